import { Client, GatewayIntentBits, Options, Partials, RESTEvents, type REST } from 'discord.js';
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

/**
 * The discord.js client: the Guilds intent alone (no privileged intents; interactions carry what we need),
 * mentions off by default for everything the bot sends (weekly posts set their own nonce), and caches
 * trimmed to what the bot reads (guilds, channels, roles; no members, messages or presences).
 */
export function createDiscordClient(config: Pick<Config, 'DISCORD_API_URL' | 'DISCORD_REST_TIMEOUT_MS'>): Client {
  const client = new Client({
    intents: [GatewayIntentBits.Guilds],
    partials: [Partials.Channel],
    allowedMentions: NO_MENTIONS,
    rest: { api: config.DISCORD_API_URL, timeout: config.DISCORD_REST_TIMEOUT_MS, handlerSweepInterval: REST_HANDLER_SWEEP_MS },
    makeCache: Options.cacheWithLimits({
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
    }),
    sweepers: { ...Options.DefaultSweeperSettings },
  });
  // Runs on discord.js's sweep timer, so client.destroy() stops it too.
  client.rest.on(RESTEvents.HandlerSweep, () => sweepIdleQueues(client.rest));
  return client;
}
