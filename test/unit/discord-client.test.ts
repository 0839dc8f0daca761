import { afterEach, describe, expect, it, vi } from 'vitest';
import { INTERACTION_REST_HANDLER_SWEEP_MS } from '../../src/discord/bot-client.js';
import { checkCacheLimitNames, createDiscordClient, REST_HANDLER_SWEEP_MS } from '../../src/discord/client.js';

interface RestInternals {
  handlers: Map<string, unknown>;
  globalRemaining: number;
  globalReset: number;
  createHandler(hash: string, majorParameter: string): unknown;
}

describe('createDiscordClient', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('drops the idle REST queue each interaction token leaves behind within INTERACTION_REST_HANDLER_SWEEP_MS', async () => {
    vi.useFakeTimers();
    const client = createDiscordClient({ DISCORD_API_URL: 'http://127.0.0.1:9/api', DISCORD_REST_TIMEOUT_MS: 5000 });
    try {
      const rest = client.interactionRest as unknown as RestInternals;
      // What a follow-up or reply edit creates: one queue per `/webhooks/:app/:token` (the token is the major parameter).
      for (let i = 0; i < 3; i++) rest.createHandler('Global(PATCH:/webhooks/:id/:token/messages/@original)', `123456789012345678/token-${i}`);
      expect(rest.handlers.size).toBe(3);
      await vi.advanceTimersByTimeAsync(INTERACTION_REST_HANDLER_SWEEP_MS - 1);
      expect(rest.handlers.size).toBe(3);
      await vi.advanceTimersByTimeAsync(1);
      expect(rest.handlers.size).toBe(0);
    } finally {
      await client.destroy();
    }
  });

  it("gives interaction webhooks a REST client of their own: the bot's settings, no token, no global budget of 50 a second", async () => {
    const client = createDiscordClient({ DISCORD_API_URL: 'http://127.0.0.1:9/api', DISCORD_REST_TIMEOUT_MS: 4321 });
    try {
      const own = client.interactionRest;
      expect(own).not.toBe(client.rest);
      expect(own.options).toMatchObject({ api: 'http://127.0.0.1:9/api', timeout: 4321, handlerSweepInterval: INTERACTION_REST_HANDLER_SWEEP_MS, globalRequestsPerSecond: Number.POSITIVE_INFINITY });
      expect(client.rest.options.globalRequestsPerSecond).toBe(50);
      expect(client.rest.options.handlerSweepInterval).toBe(REST_HANDLER_SWEEP_MS);
      client.rest.setToken('bot-token');
      // A request that needs the bot's token cannot go out through it.
      await expect(own.get('/users/@me')).rejects.toThrow(/token/i);
    } finally {
      await client.destroy();
    }
  });
});

describe('checkCacheLimitNames', () => {
  it('accepts discord.js as installed, and stops a start where a manager class was renamed (its cache limit would not apply)', () => {
    expect(() => checkCacheLimitNames({ MessageManager: 0, UserManager: 0 })).not.toThrow();
    class UserManager2 {}
    expect(() => checkCacheLimitNames({ UserManager: 0 }, { UserManager: UserManager2 })).toThrow(/UserManager is named "UserManager2"/);
    expect(() => checkCacheLimitNames({ NoSuchManager: 0 })).toThrow(/has no NoSuchManager/);
  });
});
