import type { ChatInputCommand, ComponentHandler } from '../src/discord/command.js';
import { serverCommand } from '../src/discord/builders.js';
import { BOOK_PREFIX, renderBookView } from '../src/discord/book-reply.js';
import { answer, respondWithChoices } from '../src/discord/replies.js';
import { UserFacingError } from '../src/errors.js';
import { partView, pick } from '../src/book/views.js';

/** Part buttons (on the overview, chapters and search results): the part, for the one who clicked. */
const partButton: ComponentHandler = {
  prefix: BOOK_PREFIX.part,
  defer: 'none',
  async button(interaction, [id = ''], ctx) {
    const part = ctx.book.part(id);
    if (!part) throw new UserFacingError('That part is no longer in the book dataset. `/book` lists the parts.');
    await answer(interaction, renderBookView(partView(ctx.book, part)), { ephemeral: true });
  },
};

const part: ChatInputCommand = {
  kind: 'chat-input',
  data: serverCommand('part', 'A part of the book: its theme and its chapters with contributors')
    .addStringOption((o) => o.setName('name').setDescription('The part: a number, a word of its name or theme, or a contributor').setRequired(true).setAutocomplete(true).setMaxLength(100))
    .toJSON(),
  help: 'A part of the book: its theme and its chapters with their contributors.',
  defer: 'none',
  components: [partButton],
  async execute(interaction, ctx) {
    const input = interaction.options.getString('name', true);
    const found = pick(ctx.book.resolvePart(input), 'part', input, (p) => ctx.book.partLabel(p), `The book has ${ctx.book.parts().length} parts; try a number (1–${ctx.book.parts().length}) or a word of a part’s name.`);
    await answer(interaction, renderBookView(partView(ctx.book, found)), { ephemeral: false });
  },
  async autocomplete(interaction, ctx) {
    await respondWithChoices(interaction, ctx.book.completePart(interaction.options.getFocused()));
  },
};

export default part;
