import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { npmScriptCommand, projectPath } from '../../bench/lib/proc.js';
import { buildContext } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { startLocalDiscord, type LocalDiscord } from '../../src/local-discord/index.js';
import { bundleBot, type BundleReport } from '../../src/bundle.js';
import { join, useTempDir } from '../helpers/tmp.js';

/**
 * The bundle `npm start` runs (src/bundle.ts → dist/bot/main.js), as its own process with package.json's
 * start flags, against the local Discord: every other end-to-end test runs the TypeScript sources, so this
 * is what shows the linked bundle still starts (which includes discord.js's manager classes keeping their
 * names, or the cache limits would not apply: checkCacheLimitNames), answers, reads exports on its reader
 * thread (the worker script must sit where reader-thread.ts looks for it) and stops cleanly; and that the
 * playground's lazily loaded chunk is there.
 */

const EPHEMERAL = 64;
const GUILD = '100000000000000001';
const MEMBER = '200000000000000001';

describe('the bundled bot (what npm start runs)', () => {
  const tmp = useTempDir();
  let outdir: string;
  let report: BundleReport;
  let discord: LocalDiscord;

  beforeAll(async () => {
    // Inside the project, so the bundle finds better-sqlite3 in node_modules the way dist/bot does.
    mkdirSync(projectPath('dist'), { recursive: true });
    outdir = mkdtempSync(join(projectPath('dist'), 'bundle-test-'));
    report = await bundleBot(outdir);
    discord = await startLocalDiscord();
  }, 60_000);
  afterAll(async () => {
    await discord?.close();
    if (outdir) rmSync(outdir, { recursive: true, force: true });
  });

  /** Runs the bundle the way package.json's start script runs dist/bot/main.js, in `cwd`. */
  function run(cwd: string, env: Record<string, string>): { child: ChildProcess; logs: Record<string, unknown>[]; logLine: (msg: string, nth?: number) => Promise<Record<string, unknown>>; stderr: () => string } {
    const start = npmScriptCommand('start');
    const child = spawn(process.execPath, [...start.nodeFlags, join(outdir, 'main.js')], {
      cwd,
      env: { PATH: process.env.PATH ?? '', ...start.env, BOOK_PATH: projectPath('data/when-hurt-remains.json'), ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const logs: Record<string, unknown>[] = [];
    const waiting: { msg: string; nth: number; resolve: (line: Record<string, unknown>) => void }[] = [];
    createInterface({ input: child.stdout }).on('line', (text) => {
      let line: Record<string, unknown>;
      try {
        line = JSON.parse(text) as Record<string, unknown>;
      } catch {
        return; // the playground's own text, not a log line
      }
      logs.push(line);
      const seen = logs.filter((l) => l.msg === line.msg).length;
      for (const w of waiting.filter((w) => w.msg === line.msg && w.nth === seen - 1)) w.resolve(line);
    });
    /**
     * The first (or `nth`, from 0) log line with this message, logged already or still to come (the test's timeout
     * bounds the wait).
     */
    const logLine = (msg: string, nth = 0) =>
      new Promise<Record<string, unknown>>((resolve) => {
        const logged = logs.filter((line) => line.msg === msg)[nth];
        if (logged) resolve(logged);
        else waiting.push({ msg, nth, resolve });
      });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    return { child, logs, logLine, stderr: () => stderr };
  }
  const exited = (child: ChildProcess) => new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  it('writes the entries, the reader thread beside them, and a source map for each, all sources one byte per character', () => {
    for (const file of ['main.js', 'main.js.map', 'export-cli.js', 'export-cli.js.map', 'reader-worker.js', 'reader-worker.js.map']) expect(existsSync(join(outdir, file)), file).toBe(true);
    expect(report.twoByte).toEqual([]);
  });

  it('the shell export (what npm run export runs) exports on its reader threads, with the same privacy rules', { timeout: 30_000 }, async () => {
    const dir = tmp();
    const env = { DATABASE_PATH: join(dir, 'bot.sqlite'), REFLECTIONS_KEY: randomBytes(32).toString('hex') };
    const loaded = loadConfig({ ...env, LOG_LEVEL: 'silent' });
    if (!loaded.ok) throw new Error(loaded.problems.join('; '));
    const ctx = buildContext({ config: loaded.config, log: createLogger('silent') });
    for (const [i, visibility] of (['shared', 'anonymous', 'private'] as const).entries()) {
      ctx.reflections.create({ guildId: GUILD, authorId: MEMBER, authorName: 'Sam', text: `${visibility} from the shell`, visibility, idempotencyKey: `shell-${i}`, source: 'modal' });
    }
    ctx.db.close();
    const command = npmScriptCommand('export');
    const out = join(dir, 'out.csv');
    const child = spawn(process.execPath, [...command.nodeFlags, join(outdir, 'export-cli.js'), '--guild', GUILD, '--format', 'csv', '--out', out], {
      cwd: projectPath('.'),
      env: { PATH: process.env.PATH ?? '', ...command.env, ...env, LOG_LEVEL: 'info' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    expect(await exited(child)).toBe(0);
    expect(stderr).toContain('Exported 2 reflections');
    const file = readFileSync(out, 'utf8');
    expect(file).toContain('shared from the shell');
    expect(file).toContain('anonymous from the shell');
    expect(file).not.toContain('private from the shell');
    // Its log goes to stderr, beside its summary (stdout can carry the file itself).
    const exported = stderr
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { msg?: string; readerThreads?: number })
      .find((line) => line.msg === 'reflections exported');
    expect(exported?.readerThreads).toBeGreaterThan(0);
  });

  it('logs in, answers, stores a reflection, exports it on a reader thread, and stops on SIGTERM', { timeout: 60_000 }, async () => {
    const dir = tmp();
    const bot = run(dir, {
      DISCORD_TOKEN: discord.token,
      DISCORD_API_URL: discord.apiUrl,
      DISCORD_GUILD_ID: discord.ids.guild,
      DATABASE_PATH: join(dir, 'bot.sqlite'),
      REFLECTIONS_KEY: randomBytes(32).toString('hex'),
    });
    const gone = exited(bot.child);
    try {
      await discord.waitFor(() => discord.botConnected, { timeoutMs: 30_000, what: `the bundled bot to connect (${bot.stderr()})` });

      const chapter = await discord.interact.chatInput({ name: 'chapter', options: { chapter: 'wenke' } });
      expect(discord.render(await chapter.reply())).toContain('Matthias Wenke');

      const opened = await discord.interact.chatInput({ name: 'reflect', options: { visibility: 'shared' }, as: 'member' });
      expect(opened.modal).toBeTruthy();
      const text = `Bundled words ${randomBytes(4).toString('hex')}`;
      const saved = await (await discord.interact.modalSubmit({ modal: opened, values: [text], as: 'member' })).reply();
      expect(saved.flags & EPHEMERAL).toBe(EPHEMERAL);

      const exporting = await discord.interact.chatInput({ name: 'export', subcommand: 'reflections', options: { format: 'csv' }, as: 'owner' });
      const file = await discord.waitFor(() => exporting.messages().flatMap((m) => m.attachments).find((a) => a.filename.endsWith('.csv')), { timeoutMs: 20_000, what: 'the export file' });
      expect(file.data?.toString('utf8')).toContain(text);
      const exported = await bot.logLine('reflections exported');
      expect(exported).toMatchObject({ count: 1, readerThreads: 1, pausesForMembers: 0 });

      // A member's /chapter whose answer Discord is slow to acknowledge stays in flight for those 10 s; an export
      // started meanwhile steps aside for it on its reader thread, and says so.
      const slow = discord.faults.add({ method: 'POST', path: '/interactions/:interaction/:token/callback', delayMs: 10_000 });
      await (await discord.interact.chatInput({ name: 'chapter', options: { chapter: 'wenke' } })).reply();
      expect(slow.hits).toBe(1);
      await discord.interact.chatInput({ name: 'export', subcommand: 'reflections', options: { format: 'csv' }, as: 'owner' });
      // Its log line, not a local Discord change: the line may come after the last request the export made.
      const second = await bot.logLine('reflections exported', 1);
      expect(second).toMatchObject({ count: 1, readerThreads: 1 });
      expect(second.pausesForMembers).toBeGreaterThan(0);
    } finally {
      bot.child.kill('SIGTERM');
    }
    expect(await gone).toBe(0);
    expect(bot.logs.some((line) => line.msg === 'shutting down')).toBe(true);
    expect(bot.logs.filter((line) => Number(line.level) >= 50)).toEqual([]);
    discord.gateway.invalidateSessions();
  });

  it('exits non-zero when another copy takes its lease, so a supervisor restarts it as the waiting copy', { timeout: 30_000 }, async () => {
    const dir = tmp();
    const path = join(dir, 'bot.sqlite');
    const bot = run(dir, { DISCORD_TOKEN: discord.token, DISCORD_API_URL: discord.apiUrl, DATABASE_PATH: path, REFLECTIONS_KEY: randomBytes(32).toString('hex'), LEASE_TTL_MS: '600' });
    const gone = exited(bot.child);
    try {
      await discord.waitFor(() => discord.botConnected, { timeoutMs: 20_000, what: `the bundled bot to connect (${bot.stderr()})` });
      // Another copy (on another machine, so no process check) holds the lease now, as if this one had frozen.
      const db = new Database(path);
      db.prepare("UPDATE leases SET holder = 'another-machine:1:0123abcd', expires_at = '2999-01-01T00:00:00.000Z' WHERE name = 'discord'").run();
      db.close();
      expect(await gone).toBe(1);
    } finally {
      bot.child.kill('SIGTERM');
    }
    expect(bot.logs.some((line) => line.msg === 'another copy of the bot took over the single-instance lease; stopping this one')).toBe(true);
    expect(bot.logs.some((line) => line.msg === 'shutting down')).toBe(true);
    discord.gateway.invalidateSessions();
  });

  it('without a token, runs the playground (its chunk is loaded on demand)', { timeout: 30_000 }, async () => {
    const dir = tmp();
    const playground = run(dir, {});
    const gone = exited(playground.child);
    let out = '';
    playground.child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    playground.child.stdin!.end('/chapter chapter:wenke\n');
    expect(await gone).toBe(0);
    expect(out).toContain('local playground');
    expect(out).toContain('Matthias Wenke');
    expect(playground.stderr()).toBe('');
  });
});
