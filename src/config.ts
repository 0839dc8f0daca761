import { z } from 'zod';
import { Secret } from './secret.js';

/**
 * The bot's settings, read from the environment once (in main.ts) and passed down.
 * Every name here is public: it is documented in .env.example and the README.
 */

const emptyToUndefined = (value: unknown) => (typeof value === 'string' && value.trim() === '' ? undefined : value);

const optionalSecret = (what: string) =>
  z.preprocess(
    emptyToUndefined,
    z
      .string({ error: `expected ${what}` })
      .regex(/^\S+$/, { error: `expected ${what} without spaces` })
      .transform((value) => new Secret(value))
      .optional(),
  );

const url = (what: string) =>
  z
    .string({ error: `expected ${what}` })
    .url({ error: `expected ${what}, an http(s) URL` })
    .refine((value) => /^https?:\/\//.test(value), { error: `expected ${what}, an http(s) URL` })
    .transform((value) => value.replace(/\/+$/, ''));

/**
 * DISCORD_API_URL is the base discord.js appends `/v10/<route>` to. A version already at its end doubles it, and
 * a query string or fragment swallows the route; either way every request misses and the bot stops at login
 * with a bare "404: Not Found", so both are refused here, saying what to write instead. (The value itself is
 * never echoed: loadConfig keeps values out of its messages.)
 */
const discordApiUrl = () =>
  url('the Discord REST base URL (without /v10)')
    .refine((value) => !/\/v\d+$/i.test(new URL(value).pathname.replace(/\/+$/, '')), {
      error: 'expected the Discord REST base URL without the API version at its end (discord.js adds /v10): use https://discord.com/api, or drop the /v… from your own address',
    })
    .refine((value) => !/[?#]/.test(value), {
      error: 'expected the Discord REST base URL without a query string or fragment (nothing from ? or #): use https://discord.com/api, or your own address up to its path',
    });

const snowflake = (what: string) =>
  z.preprocess(emptyToUndefined, z.string().regex(/^\d{17,20}$/, { error: `expected ${what}, a Discord id (17-20 digits)` }).optional());

const positiveInt = (what: string, fallback: number, max = Number.MAX_SAFE_INTEGER, whyMax = '') =>
  z.preprocess(
    emptyToUndefined,
    z.coerce
      .number({ error: `expected ${what}, a whole number` })
      .int({ error: `expected ${what}, a whole number` })
      .positive({ error: `expected ${what}, a whole number above 0` })
      .max(max, { error: `expected ${what}, at most ${max}${whyMax}` })
      .default(fallback),
  );

/**
 * The longest delay Node.js timers take: a larger one fires after 1 ms instead (TimeoutOverflowWarning), so
 * SCHEDULER_POLL_MS=3000000000 would poll every millisecond and a large SHUTDOWN_TIMEOUT_MS would end a graceful
 * shutdown at once. Every *_MS setting is used as a timer delay (the lease renews every LEASE_TTL_MS/3, so
 * the TTL itself only ever goes into date arithmetic), never multiplied first; one that ever is must get a
 * tighter bound of its own.
 */
export const MAX_TIMER_MS = 2_147_483_647;

const milliseconds = (what: string, fallback: number) =>
  positiveInt(`${what} in milliseconds`, fallback, MAX_TIMER_MS, ' (about 24.8 days, the longest timer Node.js can set)');

export const EnvSchema = z.object({
  DISCORD_TOKEN: optionalSecret('the bot token from the Discord developer portal'),
  DISCORD_API_URL: z.preprocess(emptyToUndefined, discordApiUrl().default('https://discord.com/api')),
  DISCORD_GUILD_ID: snowflake('the id of the one server to register commands in'),
  DATABASE_PATH: z.preprocess(emptyToUndefined, z.string().default('./var/reading-circle.sqlite')),
  BOOK_PATH: z.preprocess(emptyToUndefined, z.string().default('data/when-hurt-remains.json')),
  LOG_LEVEL: z.preprocess(
    emptyToUndefined,
    z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
        error: 'expected one of fatal, error, warn, info, debug, trace, silent',
      })
      .default('info'),
  ),
  REFLECTIONS_KEY: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .regex(/^[0-9a-fA-F]{64}$/, { error: 'expected 32 bytes written as 64 hexadecimal characters' })
      .transform((value) => new Secret(value.toLowerCase()))
      .optional(),
  ),
  REFLECTIONS_OLD_KEYS: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .regex(/^[0-9a-fA-F]{64}(\s*,\s*[0-9a-fA-F]{64})*$/, { error: 'expected earlier reflections keys, 64 hexadecimal characters each, separated by commas' })
      .transform((value) => new Secret(value.toLowerCase()))
      .optional(),
  ),
  RETENTION_DAYS_AFTER_REMOVAL: positiveInt('days to keep a server’s data after the bot is removed', 30),
  ANTHROPIC_API_KEY: optionalSecret('an Anthropic API key'),
  ANTHROPIC_BASE_URL: z.preprocess(emptyToUndefined, url('the Anthropic API base URL').optional()),
  ANTHROPIC_MODEL: z.preprocess(emptyToUndefined, z.string().default('claude-haiku-4-5')),
  ASK_PER_MEMBER_PER_HOUR: positiveInt('questions one member may ask per hour', 10),
  ASK_PER_MEMBER_PER_DAY: positiveInt('questions one member may ask per day', 30),
  ASK_SERVER_MONTHLY_TOKENS: positiveInt('tokens one server may spend on /ask per month', 2_000_000),
  ASK_TIMEOUT_MS: milliseconds('how long Claude may stay silent in one Anthropic call', 45_000),
  ASK_DEADLINE_MS: milliseconds('the overall deadline of one /ask', 240_000),
  ASK_MAX_RETRY_WAIT_MS: milliseconds('the longest wait before a retry that Claude may ask for and /ask still waits', 10_000),
  ASK_EDIT_INTERVAL_MS: milliseconds('the shortest gap between two edits of a streaming /ask answer', 1_500),
  DISCORD_REST_TIMEOUT_MS: milliseconds('the Discord REST request timeout', 15_000),
  LEASE_TTL_MS: milliseconds('how long the single-instance lease lasts without renewal', 60_000),
  SCHEDULER_POLL_MS: milliseconds('how often the scheduler re-checks for due posts', 60_000),
  COMMAND_SYNC_RETRY_MS: milliseconds('the first wait before registering the slash commands again after a failure', 60_000),
  SHUTDOWN_TIMEOUT_MS: milliseconds('how long a graceful shutdown may take', 10_000),
});

export type Config = z.output<typeof EnvSchema>;

export type ConfigResult = { ok: true; config: Config } | { ok: false; problems: string[] };

/** Parses the environment. Pure: takes the env as an argument so tests never touch process.env. */
export function loadConfig(env: Record<string, string | undefined>): ConfigResult {
  const parsed = EnvSchema.safeParse(env);
  if (parsed.success) return { ok: true, config: parsed.data };
  // One line per problem, naming the variable and what is expected. Never the value: it may be a secret.
  const problems = parsed.error.issues.map((issue) => {
    const name = issue.path.join('.') || '(environment)';
    const missing = (env[name] ?? '').trim() === '';
    const expected = missing && issue.code === 'invalid_type' ? `is required (${issue.message})` : issue.message;
    return `${name}: ${expected}`;
  });
  return { ok: false, problems: [...new Set(problems)] };
}

/** The names of every setting, for documentation checks. */
export const settingNames = Object.keys(EnvSchema.shape) as (keyof typeof EnvSchema.shape)[];
