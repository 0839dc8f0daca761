import { afterEach, describe, expect, it, vi } from 'vitest';
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

  it('drops the idle REST queue each interaction token leaves behind within REST_HANDLER_SWEEP_MS', async () => {
    vi.useFakeTimers();
    const client = createDiscordClient({ DISCORD_API_URL: 'http://127.0.0.1:9/api', DISCORD_REST_TIMEOUT_MS: 5000 });
    try {
      const rest = client.rest as unknown as RestInternals;
      // What a follow-up or reply edit creates: one queue per `/webhooks/:app/:token` (the token is the major parameter).
      for (let i = 0; i < 3; i++) rest.createHandler('Global(PATCH:/webhooks/:id/:token/messages/@original)', `123456789012345678/token-${i}`);
      expect(rest.handlers.size).toBe(3);
      await vi.advanceTimersByTimeAsync(REST_HANDLER_SWEEP_MS - 1);
      expect(rest.handlers.size).toBe(3);
      await vi.advanceTimersByTimeAsync(1);
      expect(rest.handlers.size).toBe(0);
    } finally {
      await client.destroy();
    }
  });

  it('sweeps them even while the bot is over its global request budget, and leaves that budget as it was', async () => {
    vi.useFakeTimers();
    const client = createDiscordClient({ DISCORD_API_URL: 'http://127.0.0.1:9/api', DISCORD_REST_TIMEOUT_MS: 5000 });
    try {
      const rest = client.rest as unknown as RestInternals;
      for (let i = 0; i < 3; i++) rest.createHandler('Global(POST:/webhooks/:id/:token)', `123456789012345678/token-${i}`);
      rest.globalRemaining = 0;
      rest.globalReset = Date.now() + 10 * REST_HANDLER_SWEEP_MS;
      await vi.advanceTimersByTimeAsync(REST_HANDLER_SWEEP_MS);
      expect(rest.handlers.size).toBe(0);
      expect(rest.globalRemaining).toBe(0);
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
