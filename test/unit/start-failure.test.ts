import { describe, expect, it } from 'vitest';
import { explainStartFailure } from '../../src/start-failure.js';

describe('why the bot could not start, in one line', () => {
  it('names the token when Discord refuses it', () => {
    expect(explainStartFailure(Object.assign(new Error('An invalid token was provided.'), { code: 'TokenInvalid' }), 'https://discord.com/api')).toMatch(/did not accept DISCORD_TOKEN.*Reset Token/);
  });

  it('names the address and the cause when Discord cannot be reached', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
    expect(explainStartFailure(refused, 'http://127.0.0.1:9/api')).toBe(
      "Could not reach Discord's API at http://127.0.0.1:9/api (ECONNREFUSED). Check the network and DISCORD_API_URL, then start the bot again.",
    );
    const wrapped = new TypeError('fetch failed', { cause: Object.assign(new Error('getaddrinfo ENOTFOUND discord.invalid'), { code: 'ENOTFOUND' }) });
    expect(explainStartFailure(wrapped, 'https://discord.invalid/api')).toContain('(ENOTFOUND)');
  });

  it('keeps a message already written for the operator', () => {
    expect(explainStartFailure(new Error('The reflections key k1-abc failed its check.'), 'x')).toBe('The reflections key k1-abc failed its check.');
  });
});
