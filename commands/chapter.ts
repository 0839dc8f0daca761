import type { ChatInputCommand, ComponentHandler } from '../src/discord/command.js';
import { serverCommand } from '../src/discord/builders.js';
import { BOOK_PREFIX, cachedBookReply, cachedForBook, renderBookView } from '../src/discord/book-reply.js';
import { answer, respondWithChoices } from '../src/discord/replies.js';
import { UserFacingError } from '../src/errors.js';
import { chapterView, pick } from '../src/book/views.js';

/** Chapter buttons (on parts, contributors and search results): the chapter, for the one who clicked. */
const chapterButton: ComponentHandler = {
  prefix: BOOK_PREFIX.chapter,
  defer: 'none',
  async button(interaction, [id = ''], ctx) {
    const chapter = ctx.book.chapter(id);
    if (!chapter) throw new UserFacingError('That chapter is no longer in the book dataset. `/book` lists the parts and `/part` their chapters.');
    await answer(interaction, cachedBookReply(ctx.book, `chapter:${chapter.id}`, () => renderBookView(chapterView(ctx.book, chapter))), { ephemeral: true });
  },
};

/** How many recent /chapter inputs keep their resolution. */
const CHAPTER_INPUTS_KEPT = 500;

const chapter: ChatInputCommand = {
  kind: 'chat-input',
  data: serverCommand('chapter', 'A chapter: number, part, contributors, what it is about, pages cited')
    .addStringOption((o) => o.setName('chapter').setDescription('A number (in the review’s order), a contributor, or a word of its theme').setRequired(true).setAutocomplete(true).setMaxLength(100))
    .toJSON(),
  help: 'A chapter: its number (in the review’s order), part, contributors, what it is about, pages cited.',
  defer: 'none',
  components: [chapterButton],
  async execute(interaction, ctx) {
    const input = interaction.options.getString('chapter', true);
    // What an input resolves to (a chapter, or a kind "which one?") is fixed with the dataset: recent inputs are kept.
    const resolved = cachedForBook(ctx.book, `chapter-input:${input}`, () => {
      const count = ctx.book.chapters().length;
      try {
        return { chapter: pick(ctx.book.resolveChapter(input), 'chapter', input, (c) => ctx.book.chapterLabel(c), `Chapters are numbered 1–${count} in the order the review presents them; try a number or a contributor’s name.`) };
      } catch (error) {
        if (error instanceof UserFacingError) return { refusal: error.message };
        throw error;
      }
    }, CHAPTER_INPUTS_KEPT);
    if ('refusal' in resolved) throw new UserFacingError(resolved.refusal);
    const found = resolved.chapter;
    await answer(interaction, cachedBookReply(ctx.book, `chapter:${found.id}`, () => renderBookView(chapterView(ctx.book, found))), { ephemeral: false });
  },
  async autocomplete(interaction, ctx) {
    await respondWithChoices(interaction, ctx.book.completeChapter(interaction.options.getFocused()));
  },
};

export default chapter;
