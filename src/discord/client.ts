import * as discordjs from 'discord.js';
import { Client, GatewayIntentBits, Options, Partials, RESTEvents, type CacheWithLimitsOptions, type REST } from 'discord.js';
import type { Config } from '../config.js';
import { NO_MENTIONS } from './replies.js';

/**
 * How often @discordjs/rest drops its idle rate-limit queues. Each interaction's follow-ups and reply edits
 * go to `/webhooks/:app/:token`, whose queue is keyed by that interaction's token, so every deferred
 * interaction leaves one queue behind; at the library's default (1 hour) they pile up (~400 bytes each,
 * linear heap growth under load). A queue that is busy or rate-limited is never swept, so a short interval
 * loses no rate-limit state. discord.js's own sweep skips every queue while the bot is over its global 50
 * requests/s (a queue counts as limited then), which a sustained load is most of the time, so after each of
 * its sweeps `sweepIdleQueues` sweeps again looking only at each queue's own state.
 */
export const REST_HANDLER_SWEEP_MS = 60_000;

/** Drops every queue with nothing waiting and no rate limit of its own; the global limit lives on `rest`, not in them. */
export function sweepIdleQueues(rest: REST): void {
  const { globalRemaining } = rest;
  rest.globalRemaining = Math.max(1, globalRemaining);
  try {
    rest.handlers.sweep((handler) => handler.inactive);
  } finally {
    rest.globalRemaining = globalRemaining;
  }
}

/** What the bot caches: guilds, channels, roles and its own user; nothing else. */
const CACHE_LIMITS: CacheWithLimitsOptions = {
  ...Options.DefaultMakeCacheSettings,
  MessageManager: 0,
  ReactionManager: 0,
  ReactionUserManager: 0,
  PresenceManager: 0,
  VoiceStateManager: 0,
  StageInstanceManager: 0,
  GuildEmojiManager: 0,
  GuildStickerManager: 0,
  GuildScheduledEventManager: 0,
  GuildInviteManager: 0,
  GuildBanManager: 0,
  ThreadMemberManager: 0,
  // Before login `client.user` is still null, hence the optional chaining.
  UserManager: { maxSize: 0, keepOverLimit: (user) => user.id === (user.client.user as { id: string } | null)?.id },
  GuildMemberManager: { maxSize: 0, keepOverLimit: (member) => member.id === (member.client.user as { id: string } | null)?.id },
};

/**
 * discord.js finds each cache's limit by the class name of its manager (Options.cacheWithLimits). A bundler
 * that renames a class (esbuild does on a name collision unless told to keep names) would lift that limit
 * without a word, and the cache would grow with every interaction: so a renamed one stops the start.
 */
export function checkCacheLimitNames(limits: object, library: Record<string, unknown> = discordjs): void {
  for (const name of Object.keys(limits)) {
    const manager = library[name];
    if (typeof manager !== 'function') throw new Error(`discord.js has no ${name}, so its cache limit would not apply`);
    if (manager.name !== name) throw new Error(`discord.js's ${name} is named "${manager.name}" here (a bundle without keepNames?), so its cache limit would not apply`);
  }
}

/**
 * The discord.js client: the Guilds intent alone (no privileged intents; interactions carry what we need),
 * mentions off by default for everything the bot sends (weekly posts set their own nonce), and caches
 * trimmed to what the bot reads (guilds, channels, roles; no members, messages or presences).
 */
export function createDiscordClient(config: Pick<Config, 'DISCORD_API_URL' | 'DISCORD_REST_TIMEOUT_MS'>): Client {
  checkCacheLimitNames(CACHE_LIMITS);
  const client = new Client({
    intents: [GatewayIntentBits.Guilds],
    partials: [Partials.Channel],
    allowedMentions: NO_MENTIONS,
    rest: { api: config.DISCORD_API_URL, timeout: config.DISCORD_REST_TIMEOUT_MS, handlerSweepInterval: REST_HANDLER_SWEEP_MS },
    makeCache: Options.cacheWithLimits(CACHE_LIMITS),
    sweepers: { ...Options.DefaultSweeperSettings },
  });
  // Runs on discord.js's sweep timer, so client.destroy() stops it too.
  client.rest.on(RESTEvents.HandlerSweep, () => sweepIdleQueues(client.rest));
  return client;
}
