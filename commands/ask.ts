import type { APIEmbed, ChatInputCommandInteraction } from 'discord.js';
import type { AskAnswer } from '../src/ai/answer.js';
import { composeText, isCareAnswer } from '../src/ai/answer.js';
import { looksPersonal } from '../src/ai/prompt.js';
import { QUESTION_MAX } from '../src/ai/service.js';
import { createEditThrottle } from '../src/ai/throttle.js';
import type { ChatInputCommand, InGuild, ResponsePolicy } from '../src/discord/command.js';
import { serverCommand } from '../src/discord/builders.js';
import { describeDiscordError } from '../src/discord/errors.js';
import { escapeDiscordMarkdown, LIMITS, styledEmbed, truncate } from '../src/discord/render.js';
import { editOriginal, NO_MENTIONS, sendPrivately } from '../src/discord/replies.js';

/** A member's question may be personal: the answer is private unless they choose to share it. */
/**
 * Shared only when asked for, and never a question that sounds personal: posted in the channel, a member's
 * "I failed my client and feel ashamed" would be read by the whole group, under the bot's "this sounds personal".
 */
export function askDeferPolicy(share: boolean | null, question: string): ResponsePolicy {
  return share === true && !looksPersonal(question) ? 'public' : 'ephemeral';
}

const KEPT_PRIVATE = 'You asked to share this answer, but your question sounds personal, so only you can see it. Ask again without `share` if you would rather the group read it another way.';
const TAKEN_PRIVATE = 'You asked to share this answer, but Claude read your question as personal, so it was not posted in the channel: only you can see it.';

const FOOTERS = {
  claude: 'Written by Claude from the book data; only your question was sent to Anthropic. A reading companion, not therapy.',
  dataset: 'Found by searching the book data; nothing was sent to Anthropic. A reading companion, not therapy.',
  afterClaude: 'Found by searching the book data because Claude did not answer; your question was sent to Anthropic. A reading companion, not therapy.',
} as const;

/** Outcomes the dataset answered after a call to Claude had been made: the question did leave for Anthropic. */
const AFTER_A_CALL: ReadonlySet<AskAnswer['outcome']> = new Set(['timeout', 'unavailable', 'spend-cap', 'failed']);

function footerOf(answer: AskAnswer): string {
  if (answer.by === 'claude') return FOOTERS.claude;
  return AFTER_A_CALL.has(answer.outcome) ? FOOTERS.afterClaude : FOOTERS.dataset;
}

/** The answer as one house-style embed: the question quoted, the answer with its [n] markers, then remarks and sources. */
export function renderAnswer(question: string, answer: AskAnswer): APIEmbed {
  // The member's words, shown as written (escaped like all member text), not as Markdown or a masked link.
  const quoted = `> ${truncate(escapeDiscordMarkdown(question.replace(/\s+/g, ' ').trim()), 300)}\n\n`;
  const room = LIMITS.embedDescription - quoted.length;
  const text = composeText(answer, room);
  return styledEmbed({
    title: answer.title,
    description: `${quoted}${text.trim() === '' ? '…' : text}`,
    footer: footerOf(answer),
  });
}

const ask: ChatInputCommand = {
  kind: 'chat-input',
  data: serverCommand('ask', 'Ask about the book, answered from its data. With Claude on, only your question is sent to Anthropic.')
    .addStringOption((option) =>
      option.setName('question').setDescription('Your question about the book (up to 500 characters)').setRequired(true).setMinLength(1).setMaxLength(QUESTION_MAX),
    )
    .addBooleanOption((option) => option.setName('share').setDescription('Show the question and answer in the channel (default: only you see it)'))
    .toJSON(),
  help: 'Ask a free question about the book; the answer names its sources. Private unless you add share:true.',
  defer: (interaction: ChatInputCommandInteraction<InGuild>) => askDeferPolicy(interaction.options.getBoolean('share'), interaction.options.getString('question', true)),
  async execute(interaction, ctx) {
    const question = interaction.options.getString('question', true);
    const log = ctx.log.child({ command: 'ask', interactionId: interaction.id, guildId: interaction.guildId });
    const edit = async (answer: AskAnswer) => {
      // allowed_mentions on every edit: a question or an answer quoting "@everyone" must ping nobody.
      await editOriginal(interaction, { content: '', embeds: [renderAnswer(question, answer)], allowedMentions: NO_MENTIONS });
    };
    const throttle = createEditThrottle(edit, {
      intervalMs: ctx.config.ASK_EDIT_INTERVAL_MS,
      now: () => Date.now(),
      onError: (error) => log.warn({ err: error, ...describeDiscordError(error) }, 'could not show the answer so far; the final answer follows'),
    });
    // The answer so far is shown as it is written only to the member: in the channel, only the final answer.
    // Claude may stop with a refusal at the very end of a stream, after text that must not have been posted.
    const wantedShared = interaction.options.getBoolean('share') === true;
    const shared = askDeferPolicy(wantedShared, question) === 'public';
    const answered = await ctx.ask.ask({
      guildId: interaction.guildId,
      userId: interaction.user.id,
      question,
      ...(shared ? {} : { onProgress: (partial: AskAnswer) => throttle.push(partial) }),
    });
    const answer = wantedShared && !shared ? { ...answered, remarks: [...answered.remarks, KEPT_PRIVATE] } : answered;
    if (shared && isCareAnswer(answer)) {
      // Our own check missed what Claude saw: the public "thinking…" goes, and the answer reaches the member alone.
      await sendPrivately(interaction, { content: '', embeds: [renderAnswer(question, { ...answer, remarks: [...answer.remarks, TAKEN_PRIVATE] })] });
      return;
    }
    await throttle.finish(answer);
  },
};

export default ask;
