import { INTENTS } from '../gateway.js';
import { checkMessage } from '../limits.js';
import { DiscordHttpError, ERRORS, formError, isThread, type LocalChannel, type LocalDMChannel, type PermissionName } from '../model.js';
import type { Register } from '../router.js';
import type { LocalDiscordServer } from '../server.js';
import { botCan } from '../world.js';
import { channelOr404, messageOr404, requireView } from './guards.js';

const cannotEditOthers = () => new DiscordHttpError(403, { message: 'Cannot edit a message authored by another user', code: 50005 });

/** The channel a message route names: a guild channel the bot can see, or one of the bot's DM channels. */
type Target = { id: string; channel: LocalChannel; dm?: undefined } | { id: string; channel?: undefined; dm: LocalDMChannel };

function target(s: LocalDiscordServer, id: string | undefined): Target {
  const dm = id ? s.dms.channel(id) : undefined;
  if (dm) return { id: dm.id, dm };
  const channel = channelOr404(s, id);
  requireView(s, channel);
  return { id: channel.id, channel };
}

/** Guild channels: the bot's permissions there. DMs: no guild permissions apply; the bot manages only its own messages. */
function can(s: LocalDiscordServer, t: Target, ...names: PermissionName[]): boolean {
  if (t.dm) return !names.includes('MANAGE_MESSAGES') && !names.includes('MANAGE_THREADS');
  return botCan(s, t.id, ...names);
}

/** Channel (and DM) messages: list, read, send (nonce de-duplication, unarchiving a thread, DMs refused), edit, delete. */
export function messageRoutes(r: Register, s: LocalDiscordServer): void {
  /** `${bot id}:${nonce}` → the message it made, for enforce_nonce (Discord keeps nonces a few minutes). */
  const nonces = new Map<string, { messageId: string; at: number }>();
  const bot = () => s.users.get(s.ids.bot)!;

  r('GET', '/channels/:channel/messages', (ctx) => {
    const t = target(s, ctx.params.channel);
    if (!can(s, t, 'READ_MESSAGE_HISTORY')) return [];
    const limit = Number(ctx.query.get('limit') ?? 50);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw formError('limit', 'NUMBER_TYPE_MAX', 'int value should be between 1 and 100.');
    let list = s.channelMessages(t.id).reverse(); // newest first
    const before = ctx.query.get('before');
    const after = ctx.query.get('after');
    if (before) list = list.filter((m) => BigInt(m.id) < BigInt(before));
    if (after) list = list.filter((m) => BigInt(m.id) > BigInt(after)).reverse().slice(0, limit).reverse();
    return list.slice(0, limit).map((m) => s.publicMessage(m));
  });
  r('GET', '/channels/:channel/messages/:message', (ctx) => {
    const t = target(s, ctx.params.channel);
    if (!can(s, t, 'READ_MESSAGE_HISTORY')) throw ERRORS.missingAccess();
    return s.publicMessage(messageOr404(s, t, ctx.params.message));
  });
  r('POST', '/channels/:channel/messages', (ctx) => {
    const t = target(s, ctx.params.channel);
    const channel = t.channel;
    if (!can(s, t, channel && isThread(channel) ? 'SEND_MESSAGES_IN_THREADS' : 'SEND_MESSAGES')) throw ERRORS.missingPermissions();
    if (ctx.files.length > 0 && !can(s, t, 'ATTACH_FILES')) throw ERRORS.missingPermissions();
    const error = checkMessage(ctx.body, { isEdit: false, fileCount: ctx.files.length });
    if (error) throw error;
    if (t.dm && s.dms.refuses(t.dm)) throw ERRORS.cannotMessageUser();
    const meta = channel?.thread_metadata;
    if (channel && meta?.archived) {
      if (meta.locked && !can(s, t, 'MANAGE_THREADS')) throw ERRORS.archivedThread();
      meta.archived = false; // sending a message unarchives a thread that is not locked
      meta.archive_timestamp = new Date(s.now()).toISOString();
      s.gateway.dispatch('THREAD_UPDATE', channel, INTENTS.GUILDS);
    }
    const nonce = ctx.body.nonce;
    const nonceKey = `${s.ids.bot}:${String(nonce)}`;
    if (ctx.body.enforce_nonce === true && nonce !== undefined && nonce !== null) {
      const seen = nonces.get(nonceKey);
      const existing = seen && s.now() - seen.at < 5 * 60_000 ? s.messages.get(seen.messageId) : undefined;
      if (existing) return s.publicMessage(existing);
    }
    const message = s.store.store({ channelId: t.id, author: bot(), body: ctx.body, files: ctx.files, visible: true });
    if (nonce !== undefined && nonce !== null) nonces.set(nonceKey, { messageId: message.id, at: s.now() });
    return s.publicMessage(message);
  });
  r('PATCH', '/channels/:channel/messages/:message', (ctx) => {
    const t = target(s, ctx.params.channel);
    const message = messageOr404(s, t, ctx.params.message);
    if (message.author.id !== s.ids.bot) throw cannotEditOthers();
    return s.store.editChecked(message, ctx.body, ctx.files);
  });
  r('DELETE', '/channels/:channel/messages/:message', (ctx) => {
    const t = target(s, ctx.params.channel);
    const message = messageOr404(s, t, ctx.params.message);
    if (t.channel?.thread_metadata?.archived) throw ERRORS.archivedThread();
    if (message.author.id !== s.ids.bot && !can(s, t, 'MANAGE_MESSAGES')) throw ERRORS.missingPermissions();
    s.store.delete(message);
    return undefined;
  });
}
