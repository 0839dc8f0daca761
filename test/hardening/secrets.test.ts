import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { startLocalDiscord } from '../../src/local-discord/index.js';
import { startHarness, type Harness } from '../e2e/harness.js';
import { SCALE } from './support.js';

/**
 * Sentinel secrets: a bot token, a reflections key and an Anthropic key that must never show up in a log
 * line (at debug), an error, a request body or header the local Discord recorded, or a message, even when
 * Discord fails, the Anthropic endpoint is unreachable and a handler errors.
 */

const TOKEN = 'SENTINEL.T0KEN.hardening-never-print-me';
const KEY = 'c0ffee5e'.repeat(8);
const API_KEY = 'sk-ant-SENTINEL-API-KEY-never-print-me';
const sentinels = [TOKEN, KEY, API_KEY, KEY.toUpperCase()];

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

  it('keeps the token, the reflections key and the API key out of logs, errors, requests and messages', async () => {
    for (let round = 0; round < SCALE; round++) {
      const opened = await h.discord.interact.chatInput({ name: 'reflect' });
      const saved = await h.discord.interact.modalSubmit({ modal: opened, values: [`A reflection that mentions ${'secrets'} but holds none, round ${round}.`] });
      await saved.reply();
      const asked = await h.discord.interact.chatInput({ name: 'ask', options: { question: 'What does the book say about rupture?' } });
      await asked.reply({ timeoutMs: 10_000 });
      await asked.settled({ quietMs: 200, timeoutMs: 10_000 });
      // Discord failing: the handler's reply fails three times over, and the bot logs what went wrong.
      h.discord.faults.add({ method: 'PATCH', path: /^\/webhooks\/[^/]+\/[^/]+\/messages\/@original$/, status: 500, times: 4 });
      const mine = await h.discord.interact.chatInput({ name: 'reflections', subcommand: 'mine' });
      await mine.settled({ quietMs: 300, timeoutMs: 10_000 });
      const download = await h.discord.interact.chatInput({ name: 'reflections', subcommand: 'download' });
      await download.settled({ quietMs: 200, timeoutMs: 10_000 });
    }

    const logs = h.logText();
    expect(logs.length).toBeGreaterThan(0);
    expect(h.logs().some((l) => typeof l.level === 'number' && l.level >= 40)).toBe(true);
    const recorded = JSON.stringify(h.discord.requests.map((r) => ({ ...r, files: r.files.map((f) => f.data.toString('utf8')) })));
    const messages = JSON.stringify([...h.discord.server.messages.values()]);
    const errors = h.unhandledRejections.map((e) => (e instanceof Error ? `${e.message}\n${e.stack}` : String(e))).join('\n');
    const shown = [String(h.ctx.config.DISCORD_TOKEN), String(h.ctx.config.REFLECTIONS_KEY), String(h.ctx.config.ANTHROPIC_API_KEY), JSON.stringify(h.ctx.config)].join('\n');
    // Nor what members wrote or an interaction's token: a failed request's body and URL are not logged as they were.
    expect(logs).not.toContain('holds none');
    const interactionTokens = new Set(h.discord.requests.flatMap((r) => /\/(?:interactions|webhooks)\/\d+\/([^/?]+)/.exec(r.path)?.[1] ?? []));
    expect(interactionTokens.size).toBeGreaterThan(0);
    for (const token of interactionTokens) expect(logs).not.toContain(token);
    for (const sentinel of sentinels) {
      expect(logs).not.toContain(sentinel);
      expect(recorded).not.toContain(sentinel);
      expect(messages).not.toContain(sentinel);
      expect(errors).not.toContain(sentinel);
      expect(shown).not.toContain(sentinel);
    }
  });

  it('names a bad secret setting without echoing its value', () => {
    const result = loadConfig({ DISCORD_TOKEN: `${TOKEN} with spaces`, REFLECTIONS_KEY: `${KEY}zz`, ANTHROPIC_API_KEY: `${API_KEY} x` });
    expect(result.ok).toBe(false);
    const text = result.ok ? '' : result.problems.join('\n');
    expect(text).toMatch(/DISCORD_TOKEN/);
    expect(text).toMatch(/REFLECTIONS_KEY/);
    for (const sentinel of sentinels) expect(text).not.toContain(sentinel);
  });
});
