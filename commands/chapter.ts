import type { ChatInputCommand, ComponentHandler } from '../src/discord/command.js';
import { serverCommand } from '../src/discord/builders.js';
import { BOOK_PREFIX, cachedBookReply, renderBookView } from '../src/discord/book-reply.js';
import { answer } from '../src/discord/replies.js';
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
    const count = ctx.book.chapters().length;
    const found = pick(ctx.book.resolveChapter(input), 'chapter', input, (c) => ctx.book.chapterLabel(c), `Chapters are numbered 1–${count} in the order the review presents them; try a number or a contributor’s name.`);
    await answer(interaction, cachedBookReply(ctx.book, `chapter:${found.id}`, () => renderBookView(chapterView(ctx.book, found))), { ephemeral: false });
  },
  async autocomplete(interaction, ctx) {
    await interaction.respond(ctx.book.completeChapter(interaction.options.getFocused()));
  },
};

export default chapter;
