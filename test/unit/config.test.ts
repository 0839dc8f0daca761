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
