import type { LocalDiscord } from '../../src/local-discord/index.js';
import type { InteractionHandle } from '../../src/local-discord/index.js';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { npmScriptCommand, distPath, projectPath, spawnMeasured, type Measured } from './proc.js';

/** The reflections key every bench run uses (a bench database holds nothing real). */
export const BENCH_KEY = '7b'.repeat(32);

export type SideName = 'bot' | 'floor';

/** One bot (the real one or the floor) in its own process, with its own local Discord. */
export interface Side {
  name: SideName;
  discord: LocalDiscord;
  proc: Measured | undefined;
  /** Interactions this process has answered since it started. */
  interactions: number;
  /** Taken at its 20,000th interaction, in the middle of the latency runs. */
  memoryAt20k?: MemoryPoint;
}

/** The RSS at one moment, and what it is made of (bytes): anonymous and file-backed pages, and V8's heap. */
export interface MemoryPoint {
  rss: number;
  anon: number;
  file: number;
  v8Heap: number;
}

export async function memoryPoint(proc: Measured): Promise<MemoryPoint> {
  const m = await proc.ask<{ usage: { rss: number; heapTotal: number }; status: Record<string, number | undefined> }>('mem');
  return { rss: m.usage.rss, anon: m.status.RssAnon ?? Number.NaN, file: m.status.RssFile ?? Number.NaN, v8Heap: m.usage.heapTotal };
}

export function botEnv(discord: LocalDiscord, databasePath: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    DISCORD_TOKEN: discord.token,
    DISCORD_API_URL: discord.apiUrl,
    DISCORD_GUILD_ID: discord.ids.guild,
    DATABASE_PATH: databasePath,
    // The bot runs in the bench's folder (so a developer's .env is not read), hence the book's absolute path.
    BOOK_PATH: projectPath('data/when-hurt-remains.json'),
    REFLECTIONS_KEY: BENCH_KEY,
    LOG_LEVEL: 'info',
    ...extra,
  };
}

/**
 * The bot is started the way `npm start` starts it (its entry, environment settings and flags, from package.json), plus the bench's
 * IPC answers preloaded; the floor bot loads the same answers itself.
 */
export function spawnSide(side: Side, databasePath: string): Measured {
  const proc =
    side.name === 'bot'
      ? spawnBot(botEnv(side.discord, databasePath), dirname(databasePath))
      : spawnMeasured('floor', distPath('floor-bot/main.js'), { DISCORD_TOKEN: side.discord.token, DISCORD_API_URL: side.discord.apiUrl });
  side.proc = proc;
  side.interactions = 0;
  return proc;
}

function spawnBot(env: Record<string, string>, cwd: string): Measured {
  const start = npmScriptCommand('start');
  if (!existsSync(start.entry)) throw new Error(`${start.entry} is missing: build it first (npm run build)`);
  return spawnMeasured('bot', start.entry, { ...start.env, ...env }, { nodeFlags: [...start.nodeFlags, '--import', pathToFileURL(distPath('lib/answer-bench.js')).href], cwd });
}

export async function stopSide(side: Side): Promise<void> {
  await side.proc?.stop();
  side.proc = undefined;
  // The killed process's gateway session would keep collecting events for a RESUME that never comes.
  side.discord.gateway.invalidateSessions();
}

/** Process start → READY → an interaction answered (ms), the way a member sees a restart. */
export async function measureStart(side: Side, databasePath: string): Promise<number> {
  const proc = spawnSide(side, databasePath);
  const exited = new Promise<never>((_, reject) => proc.child.once('exit', () => reject(new Error(`${side.name} exited: ${proc.stderr()}`))));
  exited.catch(() => undefined);
  await Promise.race([side.discord.waitFor(() => side.discord.botConnected, { timeoutMs: 60_000, what: `${side.name} to connect` }), exited]);
  const handle = await side.discord.interact.chatInput({ name: 'chapter', options: { chapter: '1' }, timeoutMs: 30_000 });
  side.interactions += 1;
  return handle.record.timing.responded! - proc.spawnedAt;
}

export interface Sample {
  /** INTERACTION_CREATE sent → the first response accepted (ms). */
  first: number;
  /** INTERACTION_CREATE sent → the first visible reply (ms); equals `first` unless the bot deferred. */
  visible: number;
}

/** Waits until the interaction has its visible reply, and returns both times. */
export async function sampleOf(side: Side, handle: InteractionHandle): Promise<Sample> {
  const timing = handle.record.timing;
  if (timing.replied === undefined) {
    await side.discord.waitFor(() => timing.replied !== undefined, { timeoutMs: 30_000, what: `the reply to ${handle.id}` });
  }
  side.interactions += 1;
  if (side.interactions === 20_000 && side.proc) side.memoryAt20k = await memoryPoint(side.proc);
  return { first: timing.responded! - timing.sent, visible: timing.replied! - timing.sent };
}
