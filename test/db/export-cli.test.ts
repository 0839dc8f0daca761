import { execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { PassThrough, Writable } from 'node:stream';
import { promisify } from 'node:util';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { buildContext } from '../../src/app.js';
import { fixedClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config.js';
import { logLine } from '../../commands/export.js';
import { runExportCli } from '../../src/export/cli.js';
import { capturedLogger } from '../helpers/logs.js';
import { join, useTempDir } from '../helpers/tmp.js';

const GUILD = '100000000000000001';
const ALICE = '200000000000000001';
const BOB = '200000000000000002';

const tempDir = useTempDir();

function setup() {
  const dir = tempDir();
  const env = { DATABASE_PATH: join(dir, 'bot.sqlite'), REFLECTIONS_KEY: randomBytes(32).toString('hex'), LOG_LEVEL: 'silent' };
  const loaded = loadConfig(env);
  if (!loaded.ok) throw new Error(loaded.problems.join('; '));
  const clock = fixedClock('2026-03-02T10:00:00.000Z');
  const ctx = buildContext({ config: loaded.config, log: capturedLogger('warn').log, clock });
  let n = 0;
  const write = (authorId: string, text: string, visibility: 'private' | 'shared' | 'anonymous') =>
    ctx.reflections.create({ guildId: GUILD, authorId, authorName: authorId === ALICE ? 'Alice' : 'Bob', text, visibility, idempotencyKey: `k${++n}`, source: 'modal' }).reflection;
  return { dir, env, ctx, clock, write };
}

async function run(argv: string[], env: Record<string, string>, clock = fixedClock('2026-03-03T10:00:00.000Z')) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (c: Buffer) => out.push(c));
  stderr.on('data', (c: Buffer) => err.push(c));
  const code = await runExportCli(argv, { stdout, stderr, env, clock });
  return { code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
}

describe('npm run export (the shell export)', () => {
  it('writes a CSV file from the same database and key, with the same privacy rules, and logs the export', async () => {
    const { dir, env, ctx, write } = setup();
    const shared = write(ALICE, '=1+1 shared', 'shared');
    write(BOB, 'anonymous thought', 'anonymous');
    write(ALICE, 'private thought', 'private');
    ctx.db.close();

    const out = join(dir, 'export.csv');
    const result = await run(['--guild', GUILD, '--format', 'csv', '--out', out], env);
    expect(result.stderr).toContain('Exported 2 reflections');
    expect(result.code).toBe(0);
    const file = readFileSync(out);
    // A UTF-8 byte-order mark first, for Excel; a reader that strips it (csv-parse's bom, Python's utf-8-sig) sees the header as written.
    expect([...file.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(file.indexOf(Buffer.from([0xef, 0xbb, 0xbf]), 1)).toBe(-1);
    expect(result.stderr).toContain(`${file.length} bytes`);
    expect(result.stderr).toContain(createHash('sha256').update(file).digest('hex'));
    const records: Record<string, string>[] = parse(file, { columns: true, bom: true });
    expect(records.map((r) => [r.id, r.author_id, r.author_name, r.text])).toEqual([
      [String(shared.id), ALICE, 'Alice', "'=1+1 shared"],
      // No number on the anonymous row: a shared post shows it beside the author's name.
      ['', '', '', 'anonymous thought'],
    ]);
    expect(readdirSync(dir).filter((f) => f.includes('.partial-'))).toEqual([]);

    // The export is in the server's log, as the shell's.
    const again = await run(['--guild', GUILD, '--format', 'json', '--since-last'], env);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout).reflections).toEqual([]);
    const check = buildContext({ config: (loadConfig(env) as { ok: true; config: never }).config, log: capturedLogger('warn').log });
    const log = check.exports.recent(GUILD);
    check.db.close();
    expect(log.map((e) => [e.outcome, e.actor.kind, e.format, e.count])).toEqual([
      ['allowed', 'operator', 'json', 0],
      ['allowed', 'operator', 'csv', 2],
    ]);

    // To standard output as well, the mark once, at the start.
    const piped = await run(['--guild', GUILD, '--format', 'csv'], env);
    expect(piped.code).toBe(0);
    expect(piped.stdout.startsWith('\uFEFFid,created_at,')).toBe(true);
    expect(piped.stdout.indexOf('\uFEFF', 1)).toBe(-1);
  });

  it('takes --week and --pseudonymise and refuses bad usage with a clear message and exit code 2', async () => {
    const { env, ctx, write } = setup();
    write(ALICE, 'week one', 'shared');
    ctx.db.close();
    const json = await run(['--guild', GUILD, '--format', 'json', '--pseudonymise'], env);
    expect(JSON.parse(json.stdout).reflections[0]).toMatchObject({ authorId: null, authorName: 'Member 1' });
    expect((await run(['--guild', GUILD, '--week', '0'], env)).stderr).toContain('--week is a plan week number');
    expect((await run(['--guild', GUILD, '--from', '2026-02-30'], env)).code).toBe(2);
    expect((await run(['--format', 'csv'], env)).stderr).toContain('--guild needs');
    expect((await run(['--guild', GUILD, '--format', 'xlsx'], env)).code).toBe(2);
    expect((await run(['--guild', GUILD, '--bogus'], env)).code).toBe(2);
  });

  it('an unknown --chapter or a bad --member is answered in shell terms: what to type, not what to pick in Discord', async () => {
    const { env, ctx, write } = setup();
    write(ALICE, 'on no chapter', 'shared');
    ctx.db.close();
    const chapter = await run(['--guild', GUILD, '--chapter', 'zzzz no chapter like this'], env);
    expect(chapter.code).toBe(2);
    expect(chapter.stderr).toContain('--chapter');
    expect(chapter.stderr).not.toContain('as you type');
    expect(chapter.stderr).not.toContain('`');
    expect(chapter.stderr).toMatch(/chapter-\d+/);
    // What it suggests works.
    expect((await run(['--guild', GUILD, '--chapter', 'chapter-5'], env)).code).toBe(0);
    expect((await run(['--guild', GUILD, '--chapter', '5'], env)).code).toBe(0);
    expect((await run(['--guild', GUILD, '--chapter', 'wenke'], env)).code).toBe(0);

    const member = await run(['--guild', GUILD, '--member', 'Alice'], env);
    expect(member.code).toBe(2);
    expect(member.stderr).toContain('--member');
    expect(member.stderr).toContain('user id');
    expect(member.stderr).not.toContain('member of this server');
    expect(member.stdout).toBe('');
  });

  it('an export that fails after it began is in the server’s export log as failed, with the reason', async () => {
    const { dir, env, ctx, write } = setup();
    write(ALICE, 'shared once', 'shared');
    ctx.db.close();
    const result = await run(['--guild', GUILD, '--format', 'csv', '--out', join(dir, 'no-such-folder', 'export.csv')], env);
    expect(result.code).toBe(1);
    const check = buildContext({ config: (loadConfig(env) as { ok: true; config: never }).config, log: capturedLogger('warn').log });
    const log = check.exports.recent(GUILD);
    check.db.close();
    expect(log.map((e) => [e.outcome, e.actor.kind, e.format])).toEqual([['failed', 'operator', 'csv']]);
    expect(log[0]!.reason).toContain('ENOENT');
  });

  /** Standard output that takes the first `accepted` writes and then fails, as a pipe whose reader went away does. */
  function brokenPipe(accepted: number, { listen = true } = {}) {
    const got: Buffer[] = [];
    const stdout = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        if (got.length < accepted) {
          got.push(chunk);
          callback();
        } else callback(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
      },
    });
    if (listen) stdout.on('error', () => undefined);
    return { stdout, received: () => Buffer.concat(got) };
  }
  const logOf = (env: Record<string, string>) => {
    const check = buildContext({ config: (loadConfig(env) as { ok: true; config: never }).config, log: capturedLogger('warn').log });
    const log = check.exports.recent(GUILD);
    check.db.close();
    return log;
  };

  it('an export to standard output that fails part-way is logged as incomplete, with the bytes that went out, not as nothing delivered', async () => {
    const { env, ctx, write } = setup();
    for (let i = 0; i < 3; i += 1) write(ALICE, `shared ${i}`, 'shared');
    ctx.db.close();
    const pipe = brokenPipe(1);
    const stderr = new PassThrough();
    const err: Buffer[] = [];
    stderr.on('data', (c: Buffer) => err.push(c));
    const code = await runExportCli(['--guild', GUILD, '--format', 'json'], { stdout: pipe.stdout, stderr, env, clock: fixedClock('2026-03-03T10:00:00.000Z') });
    expect(code).toBe(1);
    const reached = pipe.received().length;
    expect(reached).toBeGreaterThan(0);
    const [entry] = logOf(env);
    expect(entry).toMatchObject({ outcome: 'failed', count: null, bytes: reached, sha256: null });
    expect(entry!.reason).toContain('EPIPE');
    expect(entry!.parts).not.toBe(0);
    const line = logLine(entry!);
    expect(line).not.toContain('nothing delivered');
    expect(line).toContain('incomplete');
    expect(line).toContain(`${reached} bytes`);
    // The operator is told the output they have is not a whole file.
    const said = Buffer.concat(err).toString('utf8');
    expect(said).toContain('The export failed');
    expect(said).toContain(`${reached} bytes`);
    expect(said).toContain('incomplete');
  });

  it('standard output with no error listener that emits EPIPE does not crash the export: it is logged as incomplete', async () => {
    const { env, ctx, write } = setup();
    for (let i = 0; i < 3; i += 1) write(ALICE, `shared ${i}`, 'shared');
    ctx.db.close();
    // As process.stdout: nobody listens for its 'error' event, so an unheard one would be an uncaught exception.
    const pipe = brokenPipe(1, { listen: false });
    const stderr = new PassThrough();
    const err: Buffer[] = [];
    stderr.on('data', (c: Buffer) => err.push(c));
    const code = await runExportCli(['--guild', GUILD, '--format', 'json'], { stdout: pipe.stdout, stderr, env, clock: fixedClock('2026-03-03T10:00:00.000Z') });
    expect(code).toBe(1);
    const [entry] = logOf(env);
    expect(entry).toMatchObject({ outcome: 'failed', bytes: pipe.received().length });
    expect(entry!.reason).toContain('EPIPE');
    expect(Buffer.concat(err).toString('utf8')).toBe(
      `The export failed: standard output was closed (EPIPE) after ${pipe.received().length} bytes; what went out is an incomplete file.\n`,
    );
  });

  it('an export to a file that fails is logged as nothing delivered: the partial file is removed', async () => {
    const { dir, env, ctx, write } = setup();
    write(ALICE, 'shared once', 'shared');
    ctx.db.close();
    expect((await run(['--guild', GUILD, '--out', join(dir, 'no-such-folder', 'export.md')], env)).code).toBe(1);
    const [entry] = logOf(env);
    expect(entry).toMatchObject({ outcome: 'failed', parts: 0, bytes: null });
    expect(logLine(entry!)).toContain('nothing delivered');
  });

  /** Puts a trigger into the closed database (so a later shell export's write of that kind fails). */
  const breakWrites = (env: Record<string, string>, trigger: string) => {
    const check = buildContext({ config: (loadConfig(env) as { ok: true; config: never }).config, log: capturedLogger('warn').log });
    check.db.exec(trigger);
    check.db.close();
  };

  it('a delivered file whose since-last cursor cannot move stays logged as exported, and the operator is told', async () => {
    const { dir, env, ctx, write } = setup();
    write(ALICE, 'shared once', 'shared');
    ctx.db.close();
    breakWrites(env, "CREATE TRIGGER no_cursor BEFORE INSERT ON export_cursor BEGIN SELECT RAISE(ABORT, 'cursor is broken'); END");
    const out = join(dir, 'export.md');
    const result = await run(['--guild', GUILD, '--out', out], env);
    expect(existsSync(out)).toBe(true);
    const [entry] = logOf(env);
    expect(entry).toMatchObject({ outcome: 'allowed', reason: null, count: 1, bytes: readFileSync(out).length });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('Exported 1 reflection');
    expect(result.stderr).toContain('since-last');
    expect(result.stderr).toContain('cursor is broken');
  });

  it('a delivered file whose log row cannot be finished is not then logged as failed with nothing delivered', async () => {
    const { dir, env, ctx, write } = setup();
    write(ALICE, 'shared once', 'shared');
    ctx.db.close();
    breakWrites(env, "CREATE TRIGGER no_allowed BEFORE UPDATE ON export_log WHEN NEW.outcome = 'allowed' BEGIN SELECT RAISE(ABORT, 'log is broken'); END");
    const out = join(dir, 'export.md');
    const result = await run(['--guild', GUILD, '--out', out], env);
    expect(existsSync(out)).toBe(true);
    const [entry] = logOf(env);
    // The row stays as begun: the log could not say how it ended, and must not say nothing was delivered.
    expect(entry).toMatchObject({ outcome: 'failed', reason: 'not finished: still running, or stopped before it ended', parts: null });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`complete at ${out}`);
    expect(result.stderr).toContain('log is broken');
  });

  it('refuses a database that does not exist, rather than create an empty one (and a key) and export nothing', async () => {
    const dir = tempDir();
    const missing = join(dir, 'var', 'reading-circle.sqlite');
    const result = await run(['--guild', GUILD], { DATABASE_PATH: missing, LOG_LEVEL: 'silent' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`No database at ${missing}`);
    expect(result.stdout).toBe('');
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a program whose standard output is closed early (| head) stops with one clear line and exit code 1, logged as incomplete with the bytes that went out', async () => {
    const { env, ctx, write } = setup();
    // Well over a pipe's buffer (64 KiB), so the export is still writing when the reader goes away.
    for (let i = 0; i < 300; i += 1) write(ALICE, `${i} `.padEnd(4000, 'x'), 'shared');
    ctx.db.close();
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/export/cli.ts', '--guild', GUILD, '--format', 'csv'], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let received = 0;
    // Like `head`: read the first chunk, then close the pipe.
    child.stdout.once('data', (chunk: Buffer) => {
      received = chunk.length;
      child.stdout.destroy();
    });
    const err: Buffer[] = [];
    child.stderr.on('data', (c: Buffer) => err.push(c));
    const code = await new Promise<number | null>((resolve) => child.on('close', (exitCode) => resolve(exitCode)));
    const said = Buffer.concat(err).toString('utf8');
    expect(said).not.toMatch(/^\s+at /m);
    expect(said.trim().split('\n')).toHaveLength(1);
    expect(said).toContain('standard output was closed');
    expect(code).toBe(1);
    const [entry] = logOf(env);
    expect(entry).toMatchObject({ outcome: 'failed', count: null, sha256: null });
    expect(entry!.reason).toContain('EPIPE');
    // At least what this end read, and what the child says went out.
    expect(entry!.bytes).toBeGreaterThanOrEqual(received);
    expect(said).toContain(`${entry!.bytes} bytes`);
    expect(logLine(entry!)).toContain('incomplete');
  });

  it('runs as a program (the entry point npm run export uses)', async () => {
    const { dir, env, ctx, write } = setup();
    write(ALICE, 'from the shell', 'shared');
    ctx.db.close();
    const out = join(dir, 'out.md');
    const { stderr } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/export/cli.ts', '--guild', GUILD, '--out', out], {
      env: { ...process.env, ...env },
    });
    expect(stderr).toContain('Exported 1 reflection');
    expect(existsSync(out)).toBe(true);
    expect(readFileSync(out, 'utf8')).toContain('from the shell');
  });
});
