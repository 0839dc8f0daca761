import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildContext } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { runExportCli } from '../../src/export/cli.js';
import { startLocalDiscord } from '../../src/local-discord/index.js';
import { runFromEnvironment } from '../../src/run.js';
import { explainStartFailure } from '../../src/start-failure.js';
import { startHarness, type Harness } from '../e2e/harness.js';
import { capturedLogger } from '../helpers/logs.js';
import { SCALE } from './support.js';

/**
 * Sentinel secrets: a bot token, a reflections key and an Anthropic key that must never show up in a log
 * line (at debug), an error, a request body or header the local Discord recorded, or a message, even when
 * Discord fails, the Anthropic endpoint is unreachable and a handler errors; nor in what an export writes
 * (in the bot, or `npm run export` with its standard output and error), what a start that fails says and
 * logs (main.ts prints `explainStartFailure` of the error), or what the playground prints.
 */

const TOKEN = 'SENTINEL.T0KEN.hardening-never-print-me';
const KEY = 'c0ffee5e'.repeat(8);
/** A second sentinel key: the wrong key a failed start is given. */
const WRONG_KEY = 'decade00'.repeat(8);
const API_KEY = 'sk-ant-SENTINEL-API-KEY-never-print-me';
const sentinels = [TOKEN, KEY, API_KEY, WRONG_KEY, KEY.toUpperCase(), WRONG_KEY.toUpperCase()];
const GUILD = '100000000000000001';

/** Fails naming where a sentinel showed up. */
function expectNoSecrets(where: string, text: string): void {
  for (const sentinel of sentinels) expect(text.includes(sentinel), `${where} contains the sentinel ${sentinel}`).toBe(false);
}

const errorText = (error: unknown) => (error instanceof Error ? `${error.message}\n${error.stack}\n${inspect(error, { depth: 6 })}` : inspect(error, { depth: 6 }));

function collector(): { stream: PassThrough; text: () => string } {
  const chunks: Buffer[] = [];
  const stream = new PassThrough();
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

describe('hardening: secrets never leak', () => {
  let h: Harness;

  beforeAll(async () => {
    const discord = await startLocalDiscord({ token: TOKEN });
    h = await startHarness({
      discord,
      env: {
        REFLECTIONS_KEY: KEY,
        ANTHROPIC_API_KEY: API_KEY,
        // Nothing listens there: every /ask call fails, and its error is logged.
        ANTHROPIC_BASE_URL: 'http://127.0.0.1:9',
        ASK_TIMEOUT_MS: '300',
        ASK_DEADLINE_MS: '1500',
        LOG_LEVEL: 'debug',
      },
    });
  });
  afterAll(async () => {
    const discord = h?.discord;
    await h?.stop();
    await discord?.close();
  });

  it('keeps the token, the reflections key and the API key out of logs, errors, requests, messages and exports', async () => {
    const exported: string[] = [];
    for (let round = 0; round < SCALE; round++) {
      const opened = await h.discord.interact.chatInput({ name: 'reflect' });
      const saved = await h.discord.interact.modalSubmit({ modal: opened, values: [`A reflection that mentions ${'secrets'} but holds none, round ${round}.`] });
      await saved.reply();
      h.ctx.reflections.create({ guildId: h.discord.ids.guild, authorId: h.discord.ids.member, authorName: 'Member', text: `Shared words to export, round ${round}.`, visibility: 'shared', idempotencyKey: `secrets-${round}`, source: 'modal' });
      const asked = await h.discord.interact.chatInput({ name: 'ask', options: { question: 'What does the book say about rupture?' } });
      await asked.reply({ timeoutMs: 10_000 });
      await asked.settled({ quietMs: 200, timeoutMs: 10_000 });
      // Discord failing: the handler's reply fails three times over, and the bot logs what went wrong.
      h.discord.faults.add({ method: 'PATCH', path: /^\/webhooks\/[^/]+\/[^/]+\/messages\/@original$/, status: 500, times: 4 });
      const mine = await h.discord.interact.chatInput({ name: 'reflections', subcommand: 'mine' });
      await mine.settled({ quietMs: 300, timeoutMs: 10_000 });
      const download = await h.discord.interact.chatInput({ name: 'reflections', subcommand: 'download' });
      await download.settled({ quietMs: 200, timeoutMs: 10_000 });
      // The in-bot export, in every format, and the export log it is recorded in.
      for (const format of ['markdown', 'csv', 'json', 'html']) {
        const handle = await h.discord.interact.chatInput({ name: 'export', subcommand: 'reflections', options: { format }, as: 'moderator' });
        const files = await h.discord.waitFor(() => {
          const found = handle.messages().flatMap((m) => m.attachments.map((a) => a.data?.toString('utf8') ?? ''));
          return found.length > 0 ? found : undefined;
        }, { timeoutMs: 20_000, what: `the ${format} export's file` });
        await handle.settled({ quietMs: 100, timeoutMs: 10_000 });
        exported.push(...files, ...handle.messages().map((m) => h.discord.render(m)));
      }
      const log = await h.discord.interact.chatInput({ name: 'export', subcommand: 'log', as: 'moderator' });
      exported.push(h.discord.render(await log.reply()));
    }

    const logs = h.logText();
    expect(logs.length).toBeGreaterThan(0);
    expect(h.logs().some((l) => typeof l.level === 'number' && l.level >= 40)).toBe(true);
    // The exports were made and read: their files hold what was shared.
    expect(exported.join('\n')).toContain('Shared words to export, round 0.');
    const recorded = JSON.stringify(h.discord.requests.map((r) => ({ ...r, files: r.files.map((f) => f.data.toString('utf8')) })));
    const messages = JSON.stringify([...h.discord.server.messages.values()].map((m) => ({ ...m, attachments: m.attachments.map((a) => ({ ...a, data: a.data?.toString('utf8') })) })));
    const errors = h.unhandledRejections.map(errorText).join('\n');
    const shown = [String(h.ctx.config.DISCORD_TOKEN), String(h.ctx.config.REFLECTIONS_KEY), String(h.ctx.config.ANTHROPIC_API_KEY), JSON.stringify(h.ctx.config), inspect(h.ctx.config)].join('\n');
    // Nor what members wrote or an interaction's token: a failed request's body and URL are not logged as they were.
    expect(logs).not.toContain('holds none');
    const interactionTokens = new Set(h.discord.requests.flatMap((r) => /\/(?:interactions|webhooks)\/\d+\/([^/?]+)/.exec(r.path)?.[1] ?? []));
    expect(interactionTokens.size).toBeGreaterThan(0);
    for (const token of interactionTokens) expect(logs).not.toContain(token);
    expectNoSecrets('the log', logs);
    expectNoSecrets('a request the local Discord recorded', recorded);
    expectNoSecrets('a message', messages);
    expectNoSecrets('an unhandled rejection', errors);
    expectNoSecrets('the config as printed', shown);
    expectNoSecrets('an in-bot export', exported.join('\n'));
  });

  it('names a bad secret setting without echoing its value', () => {
    const result = loadConfig({ DISCORD_TOKEN: `${TOKEN} with spaces`, REFLECTIONS_KEY: `${KEY}zz`, ANTHROPIC_API_KEY: `${API_KEY} x` });
    expect(result.ok).toBe(false);
    const text = result.ok ? '' : result.problems.join('\n');
    expect(text).toMatch(/DISCORD_TOKEN/);
    expect(text).toMatch(/REFLECTIONS_KEY/);
    expectNoSecrets('the settings problems', text);
  });
});

describe('hardening: secrets stay out of the shell export, failed starts and the playground', () => {
  let dir: string;
  /** A database with one shared reflection written under the sentinel KEY. */
  let databasePath: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'reading-circle-secrets-'));
    databasePath = join(dir, 'bot.sqlite');
    const loaded = loadConfig({ DATABASE_PATH: databasePath, REFLECTIONS_KEY: KEY, LOG_LEVEL: 'silent' });
    if (!loaded.ok) throw new Error(loaded.problems.join('; '));
    const ctx = buildContext({ config: loaded.config, log: capturedLogger('warn').log });
    ctx.reflections.create({ guildId: GUILD, authorId: '200000000000000001', authorName: 'Alice', text: 'Shared from the shell.', visibility: 'shared', idempotencyKey: 'shell-1', source: 'modal' });
    ctx.db.close();
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const secretEnv = (overrides: Record<string, string> = {}) => ({ DATABASE_PATH: databasePath, REFLECTIONS_KEY: KEY, DISCORD_TOKEN: TOKEN, ANTHROPIC_API_KEY: API_KEY, LOG_LEVEL: 'debug', ...overrides });

  async function exportCli(argv: string[], env: Record<string, string>) {
    const stdout = collector();
    const stderr = collector();
    const code = await runExportCli(argv, { stdout: stdout.stream, stderr: stderr.stream, env });
    return { code, stdout: stdout.text(), stderr: stderr.text() };
  }

  it('npm run export: standard output, standard error and the files hold none of them, done or failed', async () => {
    for (const format of ['markdown', 'csv', 'json', 'html']) {
      const out = join(dir, `export.${format}`);
      const toFile = await exportCli(['--guild', GUILD, '--format', format, '--out', out], secretEnv());
      expect(toFile.code, toFile.stderr).toBe(0);
      expect(toFile.stderr).toContain('Exported 1 reflection');
      const file = readFileSync(out, 'utf8');
      expect(file).toContain('Shared from the shell.');
      const toStdout = await exportCli(['--guild', GUILD, '--format', format], secretEnv());
      expect(toStdout.code, toStdout.stderr).toBe(0);
      expect(toStdout.stdout).toContain('Shared from the shell.');
      for (const [where, text] of [['file', file], ['stdout', toFile.stdout + toStdout.stdout], ['stderr', toFile.stderr + toStdout.stderr]] as const) expectNoSecrets(`the shell export's ${format} ${where}`, text);
    }
    const failures = [
      // The wrong key for this database: the key check refuses it.
      { env: secretEnv({ REFLECTIONS_KEY: WRONG_KEY }), code: 1, says: /not the one 1 stored reflection/ },
      // A malformed key and token: the settings are refused.
      { env: secretEnv({ REFLECTIONS_KEY: `${KEY}zz`, DISCORD_TOKEN: `${TOKEN} with spaces` }), code: 1, says: /REFLECTIONS_KEY/ },
      // Bad usage, with every secret set.
      { env: secretEnv(), argv: ['--guild', GUILD, '--format', 'xlsx'], code: 2, says: /--format must be/ },
    ];
    for (const failure of failures) {
      const result = await exportCli(failure.argv ?? ['--guild', GUILD, '--format', 'json'], failure.env);
      expect(result.code, result.stderr).toBe(failure.code);
      expect(result.stderr).toMatch(failure.says);
      expectNoSecrets('a failed shell export', result.stdout + result.stderr);
    }
  });

  /** A start as `npm start` makes it: what it writes, logs, throws, and what main.ts then prints. */
  async function failedStart(env: Record<string, string>) {
    const stdout = collector();
    const stderr = collector();
    const logs: string[] = [];
    let outcome: string;
    let thrown: unknown;
    try {
      const result = await runFromEnvironment(env, { stdout: stdout.stream, stderr: stderr.stream, logDestination: { write: (line: string) => void logs.push(line) } });
      outcome = result.kind === 'invalid-config' ? `invalid-config: ${result.problems.join('\n')}` : result.kind;
      if (result.kind === 'running') await result.app.stop();
    } catch (error) {
      thrown = error;
      outcome = 'threw';
    }
    const printed = thrown === undefined ? '' : `reading-circle stopped: ${explainStartFailure(thrown, env.DISCORD_API_URL ?? 'https://discord.com/api')}`;
    const everything = [outcome, stdout.text(), stderr.text(), logs.join(''), printed, thrown === undefined ? '' : errorText(thrown)].join('\n');
    return { outcome, printed, stderr: stderr.text(), logs: logs.join(''), everything };
  }

  it('a start that fails says why without the token or a key, in its error, its explanation or its logs', async () => {
    const invalid = await failedStart(secretEnv({ DISCORD_TOKEN: `${TOKEN} with spaces`, REFLECTIONS_KEY: `${KEY}zz`, ANTHROPIC_API_KEY: `${API_KEY} x` }));
    expect(invalid.outcome).toMatch(/^invalid-config/);
    expect(invalid.stderr).toMatch(/cannot start.*DISCORD_TOKEN/s);
    expectNoSecrets('an invalid configuration', invalid.everything);

    const wrongKey = await failedStart(secretEnv({ REFLECTIONS_KEY: WRONG_KEY, DISCORD_API_URL: 'http://127.0.0.1:9' }));
    expect(wrongKey.printed).toMatch(/not the one 1 stored reflection/);
    expectNoSecrets('a start with the wrong key', wrongKey.everything);

    const refused = await failedStart(secretEnv({ DATABASE_PATH: join(dir, 'refused.sqlite'), DISCORD_API_URL: 'http://127.0.0.1:9', DISCORD_REST_TIMEOUT_MS: '1000' }));
    expect(refused.printed).toMatch(/Could not reach Discord's API at http:\/\/127\.0\.0\.1:9/);
    expectNoSecrets('a start against an address that refuses', refused.everything);

    // Discord refusing the token: the local Discord knows another one.
    const discord = await startLocalDiscord({ token: 'another.bot.token' });
    try {
      const rejected = await failedStart(secretEnv({ DATABASE_PATH: join(dir, 'rejected.sqlite'), DISCORD_API_URL: discord.apiUrl, DISCORD_REST_TIMEOUT_MS: '2000' }));
      expect(rejected.printed).toMatch(/did not accept DISCORD_TOKEN/);
      expectNoSecrets('a start with a token Discord refuses', rejected.everything);
      expectNoSecrets('what the local Discord recorded of it', JSON.stringify(discord.requests.map((r) => ({ ...r, headers: undefined }))));
    } finally {
      await discord.close();
    }
  });

  it('the playground prints and logs none of them', async () => {
    const stdout = collector();
    const stderr = collector();
    const logs: string[] = [];
    const lines = ['/help', '/reflect visibility:shared', 'Words typed into the playground.', ':as moderator', '/export reflections format:json', '/ask question:"What does the book say about rupture?"', '/settings show'];
    const outcome = await runFromEnvironment(
      { DATABASE_PATH: join(dir, 'playground.sqlite'), REFLECTIONS_KEY: KEY, ANTHROPIC_API_KEY: API_KEY, ANTHROPIC_BASE_URL: 'http://127.0.0.1:9', ASK_TIMEOUT_MS: '300', ASK_DEADLINE_MS: '1500', LOG_LEVEL: 'debug' },
      { stdin: Readable.from([lines.map((l) => `${l}\n`).join('')]), stdout: stdout.stream, stderr: stderr.stream, interactive: false, logDestination: { write: (line: string) => void logs.push(line) } },
    );
    expect(outcome.kind).toBe('playground-finished');
    expect(stdout.text()).toContain('exported as JSON');
    expect(stdout.text()).toContain('Bye. The playground is closed.');
    expect(logs.join('')).toContain('"level":20');
    expectNoSecrets('the playground', [stdout.text(), stderr.text(), logs.join('')].join('\n'));
  });
});
