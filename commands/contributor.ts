import type { ChatInputCommand, ComponentHandler } from '../src/discord/command.js';
import { serverCommand } from '../src/discord/builders.js';
import { BOOK_PREFIX, renderBookView } from '../src/discord/book-reply.js';
import { answer, respondWithChoices } from '../src/discord/replies.js';
import { UserFacingError } from '../src/errors.js';
import { personView, pick } from '../src/book/views.js';

/** Contributor buttons (on chapters and search results): the person, for the one who clicked. */
const personButton: ComponentHandler = {
  prefix: BOOK_PREFIX.person,
  defer: 'none',
  async button(interaction, [id = ''], ctx) {
    const person = ctx.book.person(id);
    if (!person) throw new UserFacingError('That person is no longer in the book dataset. `/contributor` suggests names as you type.');
    await answer(interaction, renderBookView(personView(ctx.book, person)), { ephemeral: true });
  },
};

const contributor: ChatInputCommand = {
  kind: 'chat-input',
  data: serverCommand('contributor', 'A contributor, editor or the foreword’s author: roles, chapters, biography where known')
    .addStringOption((o) => o.setName('name').setDescription('Any part of the name, e.g. “Pizer”').setRequired(true).setAutocomplete(true).setMaxLength(100))
    .toJSON(),
  help: 'A person behind the book: roles, chapters, and a biography where the source gives one.',
  defer: 'none',
  components: [personButton],
  async execute(interaction, ctx) {
    const input = interaction.options.getString('name', true);
    const found = pick(ctx.book.resolvePerson(input), 'contributor', input, (p) => p.name, 'Try part of a name (for example “Pizer” or “Ben-Shahar”); the list appears as you type.');
    await answer(interaction, renderBookView(personView(ctx.book, found)), { ephemeral: false });
  },
  async autocomplete(interaction, ctx) {
    await respondWithChoices(interaction, ctx.book.completePerson(interaction.options.getFocused()));
  },
};

export default contributor;
