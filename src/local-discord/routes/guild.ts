import { ERRORS, isThread } from '../model.js';
import type { Register } from '../router.js';
import type { LocalDiscordServer } from '../server.js';
import { guildPayload } from '../world.js';
import { guildOr404 } from './guards.js';

/** Guild reads: the guild, its channels, roles and members. */
export function guildRoutes(r: Register, s: LocalDiscordServer): void {
  r('GET', '/guilds/:guild', (ctx) => {
    guildOr404(s, ctx.params.guild);
    return { ...guildPayload(s), ...(ctx.query.get('with_counts') === 'true' ? { approximate_member_count: s.members.size, approximate_presence_count: 0 } : {}) };
  });
  r('GET', '/guilds/:guild/channels', (ctx) => {
    guildOr404(s, ctx.params.guild);
    return [...s.channels.values()].filter((c) => !isThread(c));
  });
  r('GET', '/guilds/:guild/roles', (ctx) => {
    guildOr404(s, ctx.params.guild);
    return [...s.roles.values()];
  });
  r('GET', '/guilds/:guild/roles/:role', (ctx) => {
    guildOr404(s, ctx.params.guild);
    return s.roles.get(ctx.params.role!) ?? (() => { throw ERRORS.unknownRole(); })();
  });
  r('GET', '/guilds/:guild/members/:user', (ctx) => {
    guildOr404(s, ctx.params.guild);
    return s.members.get(ctx.params.user === '@me' ? s.ids.bot : ctx.params.user!) ?? (() => { throw ERRORS.unknownMember(); })();
  });
  r('GET', '/guilds/:guild/members', (ctx) => {
    guildOr404(s, ctx.params.guild);
    const limit = Number(ctx.query.get('limit') ?? 1);
    return [...s.members.values()].slice(0, limit);
  });
}
