import { checkChoices, checkMessage, checkModal } from '../limits.js';
import { ERRORS, formError, MESSAGE_FLAGS, type DiscordHttpError, type Json, type LocalMessage } from '../model.js';
import type { Register, RequestContext } from '../router.js';
import type { LocalDiscordServer } from '../server.js';

/**
 * The interaction callback (initial response: deadline, single acknowledgement, response type valid for the
 * interaction type, limits) and the interaction webhook (edit/read/delete the original or a follow-up, send
 * follow-ups). Neither takes the bot token: the interaction token authorises.
 */
export function interactionRoutes(r: Register, s: LocalDiscordServer): void {
  r('POST', '/interactions/:interaction/:token/callback', (ctx) => interactionCallback(s, ctx), false);
  r('GET', '/webhooks/:application/:token/messages/:message', (ctx) => {
    const record = s.interactionRegistry.byWebhook(ctx.params);
    return s.publicMessage(s.interactionRegistry.webhookMessage(record, ctx.params.message!));
  }, false);
  r('PATCH', '/webhooks/:application/:token/messages/:message', (ctx) => {
    const record = s.interactionRegistry.byWebhook(ctx.params);
    const edited = s.store.editChecked(s.interactionRegistry.webhookMessage(record, ctx.params.message!), ctx.body, ctx.files);
    record.timing.replied ??= performance.now();
    record.webhookWrites += 1;
    return edited;
  }, false);
  r('DELETE', '/webhooks/:application/:token/messages/:message', (ctx) => {
    const record = s.interactionRegistry.byWebhook(ctx.params);
    const message = s.interactionRegistry.webhookMessage(record, ctx.params.message!);
    if (ctx.params.message === '@original' || message.id === record.originalId) record.originalDeleted = true;
    s.store.delete(message);
    record.webhookWrites += 1;
    return undefined;
  }, false);
  r('POST', '/webhooks/:application/:token', (ctx) => {
    const record = s.interactionRegistry.byWebhook(ctx.params);
    if (!record.acknowledged) throw ERRORS.unknownWebhook();
    const error = checkMessage(ctx.body, { isEdit: false, fileCount: ctx.files.length });
    if (error) throw error;
    record.timing.replied ??= performance.now();
    record.webhookWrites += 1;
    const original = record.originalId ? s.messages.get(record.originalId) : undefined;
    // Discord: the first follow-up after a deferred response replaces the "thinking…" placeholder, and
    // keeps the placeholder's visibility (an ephemeral flag on the follow-up does not make it private).
    if (record.callback?.type === 5 && original && !record.originalDeleted && (original.flags & MESSAGE_FLAGS.LOADING) !== 0) {
      s.store.applyEdit(original, ctx.body, ctx.files);
      original.edited_timestamp = null;
      return ctx.query.get('wait') === 'false' ? undefined : s.publicMessage(original);
    }
    const flags = ((ctx.body.flags as number | undefined) ?? 0) & (MESSAGE_FLAGS.EPHEMERAL | MESSAGE_FLAGS.SUPPRESS_EMBEDS | MESSAGE_FLAGS.IS_COMPONENTS_V2);
    const message = s.interactionRegistry.message(record, ctx.body, ctx.files, flags);
    record.followUpIds.push(message.id);
    return ctx.query.get('wait') === 'false' ? undefined : s.publicMessage(message);
  }, false);
}

function interactionCallback(s: LocalDiscordServer, ctx: RequestContext): unknown {
  const record = s.interactions.get(ctx.params.interaction!);
  const type = ctx.body.type;
  const reject = (error: DiscordHttpError) => {
    record?.rejected.push({ type, status: error.status, code: error.body.code, at: s.now() });
    return error;
  };
  if (!record || record.token !== ctx.params.token) throw ERRORS.unknownInteraction();
  record.lastActivity = Date.now();
  if (s.now() - record.createdAt > s.options.interactionDeadlineMs) throw reject(ERRORS.unknownInteraction());
  if (record.acknowledged) throw reject(ERRORS.alreadyAcknowledged());
  const data = (ctx.body.data ?? {}) as Json;
  const isComponent = record.type === 3;
  const isModalSubmit = record.type === 5;
  const isAutocomplete = record.type === 4;
  const invalidType = () => reject(formError('type', 'INTERACTION_RESPONSE_TYPE_INVALID', `Interaction response type ${String(type)} is not valid for interaction type ${record.type}`));
  let message: LocalMessage | undefined;
  switch (type) {
    case 4: {
      if (isAutocomplete) throw invalidType();
      const error = checkMessage(data, { isEdit: false, fileCount: ctx.files.length });
      if (error) throw reject(error);
      message = s.interactionRegistry.message(record, data, ctx.files, (data.flags as number | undefined) ?? 0);
      record.originalId = message.id;
      break;
    }
    case 5: {
      if (isAutocomplete) throw invalidType();
      const flags = ((data.flags as number | undefined) ?? 0) & MESSAGE_FLAGS.EPHEMERAL;
      message = s.interactionRegistry.message(record, { content: '' }, [], flags | MESSAGE_FLAGS.LOADING);
      record.originalId = message.id;
      break;
    }
    case 6:
    case 7: {
      if (!isComponent && !(isModalSubmit && record.sourceMessageId)) throw invalidType();
      const source = record.sourceMessageId ? s.messages.get(record.sourceMessageId) : undefined;
      if (!source) throw reject(ERRORS.unknownMessage());
      if (type === 7) {
        const error = checkMessage(data, { isEdit: true, fileCount: ctx.files.length, existing: source });
        if (error) throw reject(error);
        s.store.applyEdit(source, data, ctx.files);
      }
      record.originalId = source.id;
      message = source;
      break;
    }
    case 8: {
      if (!isAutocomplete) throw invalidType();
      const error = checkChoices(data);
      if (error) throw reject(error);
      break;
    }
    case 9: {
      if (isAutocomplete || isModalSubmit) throw invalidType();
      const error = checkModal(data);
      if (error) throw reject(error);
      break;
    }
    default:
      throw invalidType();
  }
  record.acknowledged = true;
  record.callback = { type, data, at: s.now() };
  record.timing.responded = performance.now();
  if (type !== 5 && type !== 6) record.timing.replied = record.timing.responded;
  if (ctx.query.get('with_response') !== 'true') {
    ctx.status = 204;
    return undefined;
  }
  return {
    interaction: {
      id: record.id,
      type: record.type,
      response_message_id: message?.id,
      response_message_loading: type === 5,
      response_message_ephemeral: message ? (message.flags & MESSAGE_FLAGS.EPHEMERAL) !== 0 : undefined,
    },
    resource: { type, ...(message ? { message: s.publicMessage(message) } : {}) },
  };
}
