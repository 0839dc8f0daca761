import * as discordjs from 'discord.js';
import { GatewayIntentBits, isJSONEncodable, Options, Partials, type CacheWithLimitsOptions } from 'discord.js';
import type { Config } from '../config.js';
import { BotClient } from './bot-client.js';
import { NO_MENTIONS } from './replies.js';
import { undiciRequest } from './rest-request.js';

/**
 * How often @discordjs/rest drops its idle rate-limit queues on the bot's own REST client (one per route and
 * channel or server: few, and worth keeping for the limits they remember).
 */
export const REST_HANDLER_SWEEP_MS = 60_000;

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

/** discord.js's own transformer (its `toSnakeCase`), for objects that are not in the API's shape yet. */
const snakeCaseKeys = Options.createDefault().jsonTransformer as (value: unknown) => unknown;

/**
 * What discord.js does to every plain component, embed and autocomplete choice before sending it: converts
 * its keys to snake_case. Ours are already in the API's shape (`custom_id`, `name`, `value`), and lodash's
 * snakeCase on each key cost some 33 µs per `/chapter` reply (an embed and two rows of buttons) and 22 µs per
 * 25 autocomplete choices, before the first response. So an object goes out as it is when no key needs
 * converting, and through discord.js's transformer otherwise (a camelCase key, a string emoji, a Date).
 */
export function apiJson(value: unknown): unknown {
  return inApiShape(value) ? value : snakeCaseKeys(value);
}

const UPPER_CASE = /[A-Z]/;

function inApiShape(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return true;
  if (Array.isArray(value)) return value.every(inApiShape);
  if (value instanceof Date || isJSONEncodable(value)) return false;
  // for…in, not Object.entries: an array of pairs for every object of every reply was 5% of what a /chapter allocated.
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    const item = (value as Record<string, unknown>)[key];
    if (UPPER_CASE.test(key) || (key === 'emoji' && typeof item === 'string') || !inApiShape(item)) return false;
  }
  return true;
}

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
export function createDiscordClient(config: Pick<Config, 'DISCORD_API_URL' | 'DISCORD_REST_TIMEOUT_MS'>): BotClient {
  checkCacheLimitNames(CACHE_LIMITS);
  return new BotClient({
    intents: [GatewayIntentBits.Guilds],
    partials: [Partials.Channel],
    allowedMentions: NO_MENTIONS,
    rest: { api: config.DISCORD_API_URL, timeout: config.DISCORD_REST_TIMEOUT_MS, handlerSweepInterval: REST_HANDLER_SWEEP_MS, makeRequest: undiciRequest },
    makeCache: Options.cacheWithLimits(CACHE_LIMITS),
    sweepers: { ...Options.DefaultSweeperSettings },
    jsonTransformer: apiJson,
  });
}
