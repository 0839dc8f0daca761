import { ERRORS } from '../model.js';
import type { Register } from '../router.js';
import type { LocalDiscordServer } from '../server.js';

/** The gateway URL, the bot's user and application, and user lookups. */
export function userRoutes(r: Register, s: LocalDiscordServer): void {
  const bot = () => s.users.get(s.ids.bot)!;
  r('GET', '/gateway', () => ({ url: s.gateway.url }), false);
  r('GET', '/gateway/bot', () => ({ url: s.gateway.url, shards: 1, session_start_limit: { total: 1000, remaining: 999, reset_after: 86_400_000, max_concurrency: 1 } }));
  r('GET', '/users/@me', () => bot());
  r('GET', '/users/:user', (ctx) => s.users.get(ctx.params.user!) ?? (() => { throw ERRORS.unknownUser(); })());
  const application = () => ({ id: s.ids.application, name: 'reading-circle', icon: null, description: 'A reading group bot (local)', bot_public: false, bot_require_code_grant: false, verify_key: 'local', flags: 0, owner: s.users.get(s.ids.owner), team: null, bot: bot(), approximate_guild_count: 1 });
  r('GET', '/applications/@me', application);
  r('GET', '/oauth2/applications/@me', application);
}
