import {
  MessageFlags,
  MessagePayload,
  RequestMethod,
  Routes,
  type ApplicationCommandOptionChoiceData,
  type AutocompleteInteraction,
  type InternalRequest,
  type InteractionEditReplyOptions,
  type InteractionReplyOptions,
  type RepliableInteraction,
} from 'discord.js';
import type { Logger } from '../logger.js';
import { interactionRestOf } from './bot-client.js';
import { describeDiscordError } from './errors.js';
import { LIMITS, truncate } from './render.js';

export const NO_MENTIONS = { parse: [] as [], repliedUser: false } as const;

type PrivatePayload = Pick<InteractionReplyOptions, 'content' | 'embeds' | 'components' | 'files'>;

/**
 * Sends something only the member sees, whatever state the interaction is in: fresh (reply), deferred
 * ephemerally (edit the placeholder), or already answered or deferred in public (an ephemeral follow-up,
 * after removing a public "thinking…" placeholder so it does not hang there forever).
 */
export async function sendPrivately(interaction: RepliableInteraction, payload: PrivatePayload): Promise<void> {
  const body = { ...payload, allowedMentions: NO_MENTIONS };
  if (interaction.deferred && interaction.ephemeral === true && !interaction.replied) {
    await editOriginal(interaction, body);
    return;
  }
  if (interaction.deferred || interaction.replied) {
    if (interaction.deferred && !interaction.replied && interaction.ephemeral === false) {
      await deleteOriginal(interaction).catch(() => undefined);
    }
    await followUp(interaction, { ...body, flags: MessageFlags.Ephemeral });
    return;
  }
  await interaction.reply({ ...body, flags: MessageFlags.Ephemeral });
}

/**
 * Shows the answer to a change that is already committed. If Discord fails it (even after the REST client's
 * retries), the router's apology ("please try again") would be the wrong advice: the change is saved, and
 * trying a new reflection again makes a second one. So the failure is logged and `notice` (what was saved and
 * where to find it) goes out as an ephemeral follow-up of its own. Never throws.
 */
export async function showCommitted(interaction: RepliableInteraction, log: Logger, show: () => Promise<void>, notice: string, fields: Record<string, unknown> = {}): Promise<void> {
  try {
    await show();
  } catch (error) {
    log.error({ err: error, ...describeDiscordError(error), ...fields }, 'change saved, but its answer could not be shown');
    await followUp(interaction, { content: notice, flags: MessageFlags.Ephemeral, allowedMentions: NO_MENTIONS }).catch((again: unknown) =>
      log.warn({ err: again, ...describeDiscordError(again), ...fields }, 'could not tell the member their change is saved'),
    );
  }
}

/**
 * Answers an autocomplete within Discord's limits (25 choices, names of 1-100 characters), whatever the choices
 * hold: a name made from a member's own text (an emoji-heavy reflection) could otherwise run past 100 code units
 * and Discord would refuse the whole list.
 */
export async function respondWithChoices(interaction: AutocompleteInteraction, choices: readonly ApplicationCommandOptionChoiceData[]): Promise<void> {
  await interaction.respond(choices.slice(0, LIMITS.choices).map((choice) => ({ ...choice, name: truncate(choice.name, LIMITS.choiceName) || '…' })));
}

/** Answers in the way the router acknowledged: edits a deferred reply, otherwise replies. */
export async function answer(interaction: RepliableInteraction, payload: PrivatePayload, options: { ephemeral: boolean }): Promise<void> {
  const body = { ...payload, allowedMentions: NO_MENTIONS };
  if (interaction.deferred && !interaction.replied) {
    await editOriginal(interaction, body);
  } else if (interaction.replied) {
    await followUp(interaction, { ...body, ...(options.ephemeral ? { flags: MessageFlags.Ephemeral } : {}) });
  } else {
    await interaction.reply({ ...body, ...(options.ephemeral ? { flags: MessageFlags.Ephemeral } : {}) });
  }
}

/*
 * The interaction's webhook: what `editReply`, `followUp` and `deleteReply` do, sent through the client for
 * token-authorised requests (bot-client.ts), and without the discord.js Message those build from Discord's
 * answer: nothing reads it, and building one (embeds, components, author) is work on the bot's thread for
 * every reply.
 */

/** The JSON body and files of a reply, resolved as discord.js resolves them (builders, files, allowed mentions). */
async function webhookPayload(interaction: RepliableInteraction, options: InteractionEditReplyOptions | InteractionReplyOptions) {
  const { body, files } = await MessagePayload.create(interaction.webhook, options).resolveBody().resolveFiles();
  return { body, files: files ?? [] };
}

/** Edits the original reply (a deferred placeholder, or the message a deferred component is on). */
export async function editOriginal(interaction: RepliableInteraction, options: InteractionEditReplyOptions): Promise<void> {
  const payload = await webhookPayload(interaction, options);
  await viaWebhook(interaction, { method: RequestMethod.Patch, fullRoute: Routes.webhookMessage(interaction.applicationId, interaction.token, '@original'), ...payload });
  // As editReply records it, so the router and discord.js see the reply as sent.
  interaction.replied = true;
}

/** A follow-up message; `wait` makes Discord confirm it was created (or say why not) before this resolves. */
export async function followUp(interaction: RepliableInteraction, options: InteractionReplyOptions): Promise<void> {
  const payload = await webhookPayload(interaction, options);
  await viaWebhook(interaction, { method: RequestMethod.Post, fullRoute: Routes.webhook(interaction.applicationId, interaction.token), ...payload, query: new URLSearchParams({ wait: 'true' }) });
}

/**
 * Whether a reply deferred in public already shows an answer: an edit whose every try Discord carried out but
 * answered after the REST timeout throws, yet its answer is in the channel. Read from Discord (the original's
 * Loading flag); false when there is nothing to read or the read fails.
 */
export async function publicAnswerShown(interaction: RepliableInteraction): Promise<boolean> {
  if (!interaction.deferred || interaction.ephemeral !== false) return false;
  try {
    const original = (await interactionRestOf(interaction.client).get(Routes.webhookMessage(interaction.applicationId, interaction.token, '@original'), { auth: false })) as { flags?: number };
    return ((original.flags ?? 0) & MessageFlags.Loading) === 0;
  } catch {
    return false;
  }
}

export async function deleteOriginal(interaction: RepliableInteraction): Promise<void> {
  await viaWebhook(interaction, { method: RequestMethod.Delete, fullRoute: Routes.webhookMessage(interaction.applicationId, interaction.token, '@original') });
}

/**
 * One request to the interaction's webhook. queueRequest, not patch or post: the same rate limits, retries and
 * errors (a 4xx or 5xx still throws), but Discord's answer (the message, which nothing reads) is drained
 * instead of parsed. Parsing it was some 60 µs of the bot's thread per reply edit, spent just as the member's
 * next interaction may be arriving; `/reflections mine`'s first response p50 went from 0.43-0.44 ms to
 * 0.40-0.42 ms in the bench.
 */
async function viaWebhook(interaction: RepliableInteraction, request: Omit<InternalRequest, 'auth'>): Promise<void> {
  const response = await interactionRestOf(interaction.client).queueRequest({ ...request, auth: false });
  await response.arrayBuffer();
}
