import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig, settingNames } from '../../src/config.js';
import { capturedLogger } from '../helpers/logs.js';

const SENTINEL = 'SENTINEL-TOKEN-7f3a9c.do-not-print';

describe('configuration', () => {
  it('applies the documented defaults when nothing is set', () => {
    const result = loadConfig({});
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.DISCORD_API_URL).toBe('https://discord.com/api');
    expect(result.config.DATABASE_PATH).toBe('./var/reading-circle.sqlite');
    expect(result.config.BOOK_PATH).toBe('data/when-hurt-remains.json');
    expect(result.config.LOG_LEVEL).toBe('info');
    expect(result.config.DISCORD_TOKEN).toBeUndefined();
    expect(result.config.RETENTION_DAYS_AFTER_REMOVAL).toBe(30);
  });

  it.each([
    ['DISCORD_API_URL', 'not a url', 'DISCORD_API_URL: expected the Discord REST base URL'],
    ['DISCORD_GUILD_ID', '12ab', 'DISCORD_GUILD_ID: expected the id of the one server'],
    ['LOG_LEVEL', 'loud', 'LOG_LEVEL: expected one of'],
    ['REFLECTIONS_KEY', 'abc', 'REFLECTIONS_KEY: expected 32 bytes'],
    ['RETENTION_DAYS_AFTER_REMOVAL', '-3', 'RETENTION_DAYS_AFTER_REMOVAL: expected'],
    ['ASK_PER_MEMBER_PER_HOUR', 'ten', 'ASK_PER_MEMBER_PER_HOUR: expected'],
    ['ASK_TIMEOUT_MS', '1.5', 'ASK_TIMEOUT_MS: expected'],
    ['ANTHROPIC_BASE_URL', 'ftp://example', 'ANTHROPIC_BASE_URL: expected'],
    ['DISCORD_TOKEN', 'has a space', 'DISCORD_TOKEN: expected'],
  ])('names %s when it is malformed', (name, value, message) => {
    const result = loadConfig({ [name]: value });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]).toContain(message);
  });

  // Node fires a timer set beyond 2^31-1 ms after 1 ms instead (TimeoutOverflowWarning): SCHEDULER_POLL_MS=3000000000
  // would poll every millisecond and a large SHUTDOWN_TIMEOUT_MS would end every graceful shutdown at once.
  it.each(settingNames.filter((name) => name.endsWith('_MS')))('refuses %s above the longest timer Node.js can set', (name) => {
    const result = loadConfig({ [name]: '3000000000' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]).toMatch(new RegExp(`^${name}: .*at most 2147483647`));
    expect(loadConfig({ [name]: '2147483647' }).ok).toBe(true);
  });

  // discord.js adds /v10 itself; with it in the setting (or a query or fragment, which the path is appended
  // after) every request misses and the bot stops at login with a bare "404: Not Found".
  it.each([
    ['https://discord.com/api/v10', /^DISCORD_API_URL: .*without the API version.*use https:\/\/discord\.com\/api/],
    ['https://discord.com/api/v9/', /^DISCORD_API_URL: .*without the API version.*use https:\/\/discord\.com\/api/],
    ['http://127.0.0.1:8080/api?x=1', /^DISCORD_API_URL: .*without a query string or fragment/],
    ['https://discord.com/api#top', /^DISCORD_API_URL: .*without a query string or fragment/],
  ])('refuses DISCORD_API_URL=%s, saying what to change', (value, message) => {
    const result = loadConfig({ DISCORD_API_URL: value });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]).toMatch(message);
  });

  it.each([
    ['https://discord.com/api/', 'https://discord.com/api'],
    ['http://127.0.0.1:8080/api', 'http://127.0.0.1:8080/api'],
    ['https://proxy.example/v10-mirror/api', 'https://proxy.example/v10-mirror/api'],
  ])('accepts DISCORD_API_URL=%s', (value, expected) => {
    const result = loadConfig({ DISCORD_API_URL: value });
    expect(result.ok && result.config.DISCORD_API_URL).toBe(expected);
  });

  it('lists every problem at once, one line each', () => {
    const result = loadConfig({ LOG_LEVEL: 'x', DISCORD_GUILD_ID: 'y', LEASE_TTL_MS: '0' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.map((line) => line.split(':')[0]).sort()).toEqual(['DISCORD_GUILD_ID', 'LEASE_TTL_MS', 'LOG_LEVEL']);
  });

  it('never echoes a value back in a problem, secrets included', () => {
    const result = loadConfig({ DISCORD_TOKEN: `${SENTINEL} x`, ANTHROPIC_API_KEY: `${SENTINEL} y`, REFLECTIONS_KEY: SENTINEL });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.join('\n')).not.toContain('SENTINEL');
  });

  it('keeps the token out of logs even when the whole config is logged', () => {
    const result = loadConfig({ DISCORD_TOKEN: SENTINEL, ANTHROPIC_API_KEY: SENTINEL });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const { log, text } = capturedLogger('trace');
    log.info({ config: result.config }, 'config loaded');
    log.info({ token: result.config.DISCORD_TOKEN?.reveal() }, 'a careless line');
    log.info(`interpolated ${String(result.config.DISCORD_TOKEN)}`);
    log.flush();
    expect(text()).toContain('config loaded');
    expect(text()).not.toContain(SENTINEL);
    expect(JSON.stringify(result.config)).not.toContain(SENTINEL);
    expect(result.config.DISCORD_TOKEN?.reveal()).toBe(SENTINEL);
  });

  it('documents every setting in .env.example, and nothing that does not exist', () => {
    const documented = readFileSync('.env.example', 'utf8')
      .split('\n')
      .filter((line) => /^[A-Z_]+=/.test(line))
      .map((line) => line.split('=')[0]);
    expect([...documented].sort()).toEqual([...settingNames].sort());
  });
});
