import { INTENTS } from '../gateway.js';
import { CHANNEL_TYPES, ERRORS, formError, isThread, type Json, type LocalChannel } from '../model.js';
import type { Register } from '../router.js';
import type { LocalDiscordServer } from '../server.js';
import { botCan } from '../world.js';
import { channelOr404, guildOr404, messageOr404, requireView } from './guards.js';

/** Threads: start one from a message or in a channel, join, list archived and active ones. */
export function threadRoutes(r: Register, s: LocalDiscordServer): void {
  r('POST', '/channels/:channel/messages/:message/threads', (ctx) => {
    const channel = channelOr404(s, ctx.params.channel);
    requireView(s, channel);
    const message = messageOr404(s, channel, ctx.params.message);
    if (!botCan(s, channel.id, 'CREATE_PUBLIC_THREADS')) throw ERRORS.missingPermissions();
    if (s.channels.has(message.id)) throw ERRORS.threadAlreadyCreated();
    const thread = createThread(s, channel, ctx.body, message.id);
    message.thread = thread;
    return thread;
  });
  r('POST', '/channels/:channel/threads', (ctx) => {
    const channel = channelOr404(s, ctx.params.channel);
    requireView(s, channel);
    const privateThread = ctx.body.type === CHANNEL_TYPES.PRIVATE_THREAD;
    if (!botCan(s, channel.id, privateThread ? 'CREATE_PRIVATE_THREADS' : 'CREATE_PUBLIC_THREADS')) throw ERRORS.missingPermissions();
    return createThread(s, channel, ctx.body, s.newId());
  });
  r('PUT', '/channels/:channel/thread-members/@me', (ctx) => {
    channelOr404(s, ctx.params.channel);
    return undefined;
  });
  r('GET', '/channels/:channel/threads/archived/public', (ctx) => {
    const channel = channelOr404(s, ctx.params.channel);
    requireView(s, channel);
    const threads = [...s.channels.values()].filter((c) => c.parent_id === channel.id && c.thread_metadata?.archived);
    return { threads, members: [], has_more: false };
  });
  r('GET', '/guilds/:guild/threads/active', (ctx) => {
    guildOr404(s, ctx.params.guild);
    const threads = [...s.channels.values()].filter((c) => isThread(c) && !c.thread_metadata?.archived);
    return { threads, members: [] };
  });
}

function createThread(s: LocalDiscordServer, parent: LocalChannel, body: Json, id: string): LocalChannel {
  const name = typeof body.name === 'string' ? body.name : '';
  if (name.length < 1 || name.length > 100) throw formError('name', 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 100 in length.');
  const duration = (body.auto_archive_duration as number | undefined) ?? 4320;
  if (![60, 1440, 4320, 10080].includes(duration)) throw formError('auto_archive_duration', 'BASE_TYPE_CHOICES', 'Value must be one of {60, 1440, 4320, 10080}.');
  const now = new Date(s.now()).toISOString();
  const thread: LocalChannel = {
    id,
    type: (body.type as number | undefined) ?? CHANNEL_TYPES.PUBLIC_THREAD,
    guild_id: s.ids.guild,
    name,
    position: 0,
    parent_id: parent.id,
    permission_overwrites: [],
    owner_id: s.ids.bot,
    last_message_id: null,
    rate_limit_per_user: (body.rate_limit_per_user as number | undefined) ?? 0,
    message_count: 0,
    member_count: 1,
    total_message_sent: 0,
    flags: 0,
    thread_metadata: { archived: false, auto_archive_duration: duration, archive_timestamp: now, locked: false, create_timestamp: now },
  };
  s.channels.set(thread.id, thread);
  s.store.openChannel(thread.id, true);
  s.gateway.dispatch('THREAD_CREATE', { ...thread, newly_created: true }, INTENTS.GUILDS);
  return thread;
}
