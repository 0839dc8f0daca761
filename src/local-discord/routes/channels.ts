import { INTENTS } from '../gateway.js';
import { ERRORS, isThread } from '../model.js';
import type { Register } from '../router.js';
import type { LocalDiscordServer } from '../server.js';
import { botCan } from '../world.js';
import { channelOr404, requireView } from './guards.js';

/** Channels and threads as channels: read, edit (thread archive/lock rules), delete. */
export function channelRoutes(r: Register, s: LocalDiscordServer): void {
  r('GET', '/channels/:channel', (ctx) => {
    const dm = s.dms.channel(ctx.params.channel!);
    if (dm) return dm;
    const channel = channelOr404(s, ctx.params.channel);
    requireView(s, channel);
    return channel;
  });
  r('PATCH', '/channels/:channel', (ctx) => {
    const channel = channelOr404(s, ctx.params.channel);
    requireView(s, channel);
    const body = ctx.body;
    if (isThread(channel)) {
      const meta = channel.thread_metadata!;
      const ownThread = channel.owner_id === s.ids.bot;
      const manage = botCan(s, channel.id, 'MANAGE_THREADS');
      if (!manage && (!ownThread || body.locked !== undefined)) throw ERRORS.missingPermissions();
      if (meta.locked && !manage) throw ERRORS.archivedThread();
      if (typeof body.name === 'string') channel.name = body.name;
      if (typeof body.archived === 'boolean' && body.archived !== meta.archived) {
        meta.archived = body.archived;
        meta.archive_timestamp = new Date(s.now()).toISOString();
      }
      if (typeof body.locked === 'boolean') meta.locked = body.locked;
      if (typeof body.auto_archive_duration === 'number') meta.auto_archive_duration = body.auto_archive_duration;
      s.gateway.dispatch('THREAD_UPDATE', channel, INTENTS.GUILDS);
    } else {
      if (!botCan(s, channel.id, 'MANAGE_CHANNELS')) throw ERRORS.missingPermissions();
      if (typeof body.name === 'string') channel.name = body.name;
      if (body.topic !== undefined) channel.topic = body.topic as string | null;
      s.gateway.dispatch('CHANNEL_UPDATE', channel, INTENTS.GUILDS);
    }
    return channel;
  });
  r('DELETE', '/channels/:channel', (ctx) => {
    const channel = channelOr404(s, ctx.params.channel);
    requireView(s, channel);
    if (!botCan(s, channel.id, isThread(channel) ? 'MANAGE_THREADS' : 'MANAGE_CHANNELS')) throw ERRORS.missingPermissions();
    s.channels.delete(channel.id);
    s.gateway.dispatch(isThread(channel) ? 'THREAD_DELETE' : 'CHANNEL_DELETE', { id: channel.id, guild_id: channel.guild_id, parent_id: channel.parent_id, type: channel.type }, INTENTS.GUILDS);
    return channel;
  });
}
