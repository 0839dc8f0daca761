import type { ChatInputCommand, ComponentHandler } from '../src/discord/command.js';
import { serverCommand } from '../src/discord/builders.js';
import { BOOK_PREFIX, renderBookView } from '../src/discord/book-reply.js';
import { answer } from '../src/discord/replies.js';
import { bookView } from '../src/book/views.js';

/** "The book" buttons on part, chapter and contributor replies: the overview, for the one who clicked. */
const overviewButton: ComponentHandler = {
  prefix: BOOK_PREFIX.book,
  defer: 'none',
  async button(interaction, _args, ctx) {
    await answer(interaction, renderBookView(bookView(ctx.book)), { ephemeral: true });
  },
};

const book: ChatInputCommand = {
  kind: 'chat-input',
  data: serverCommand('book', 'The book: title, editors, structure, audiences, guiding questions and a content note').toJSON(),
  help: 'The book at a glance: editors, foreword, parts, audiences, the guiding questions, a content note.',
  defer: 'none',
  components: [overviewButton],
  async execute(interaction, ctx) {
    await answer(interaction, renderBookView(bookView(ctx.book)), { ephemeral: false });
  },
};

export default book;
