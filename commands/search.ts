import type { ChatInputCommand } from '../src/discord/command.js';
import { serverCommand } from '../src/discord/builders.js';
import { cachedForBook, renderBookView } from '../src/discord/book-reply.js';
import { answer } from '../src/discord/replies.js';
import { UserFacingError } from '../src/errors.js';
import { nothingFound, searchView } from '../src/book/views.js';

/** How many recent search replies are kept. */
const SEARCH_REPLIES_KEPT = 500;

const search: ChatInputCommand = {
  kind: 'chat-input',
  data: serverCommand('search', 'Search everything the book dataset holds: people, parts, chapters, quotations, pages')
    .addStringOption((o) => o.setName('query').setDescription('Words to look for, e.g. “bullying”, “Pizer”, “p. 97”').setRequired(true).setMaxLength(100))
    .toJSON(),
  help: 'Ranked full-text search over the book dataset; each hit says what it is and its source.',
  defer: 'none',
  async execute(interaction, ctx) {
    // Discord enforces the option's 100-character limit; a payload beyond it (hardening fuzz) must not break the reply.
    const query = Array.from(interaction.options.getString('query', true).trim()).slice(0, 100).join('');
    // The dataset is fixed, so a query's reply is too, and so is its "nothing matches" with its spelling
    // suggestions (the slow part): recent ones are kept, at most SEARCH_REPLIES_KEPT.
    const reply = cachedForBook(ctx.book, `search:${query}`, () => {
      const hits = ctx.book.search(query, 5);
      return hits.length === 0 ? { refusal: nothingFound(ctx.book, query) } : renderBookView(searchView(ctx.book, query, hits));
    }, SEARCH_REPLIES_KEPT);
    if ('refusal' in reply) throw new UserFacingError(reply.refusal);
    await answer(interaction, reply, { ephemeral: false });
  },
};

export default search;
