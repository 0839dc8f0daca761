import { afterEach, describe, expect, it, vi } from 'vitest';
import { INTERACTION_REST_HANDLER_SWEEP_MS } from '../../src/discord/bot-client.js';
import { ButtonBuilder, ButtonStyle, ComponentType, Options } from 'discord.js';
import { apiJson, checkCacheLimitNames, createDiscordClient, REST_HANDLER_SWEEP_MS } from '../../src/discord/client.js';
import { undiciRequest } from '../../src/discord/rest-request.js';

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
      expect(own.options).toMatchObject({ api: 'http://127.0.0.1:9/api', timeout: 4321, handlerSweepInterval: INTERACTION_REST_HANDLER_SWEEP_MS, globalRequestsPerSecond: Number.POSITIVE_INFINITY, makeRequest: undiciRequest });
      // Both clients send through rest-request.ts (its answers keep no per-request getter).
      expect(client.rest.options.makeRequest).toBe(undiciRequest);
      expect(client.rest.options.globalRequestsPerSecond).toBe(50);
      expect(client.rest.options.handlerSweepInterval).toBe(REST_HANDLER_SWEEP_MS);
      expect(client.options.jsonTransformer).toBe(apiJson);
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

describe('apiJson (the client\'s jsonTransformer)', () => {
  const snakeCase = Options.createDefault().jsonTransformer as (value: unknown) => unknown;

  it('sends components, embeds and choices already in the API\'s shape as they are, the same object discord.js would build', () => {
    const row = { type: ComponentType.ActionRow, components: [{ type: ComponentType.Button, custom_id: 'book-chapter:1', label: 'Chapter 1', style: ButtonStyle.Secondary }] };
    const embed = { color: 1, title: 'Chapter 1', fields: [{ name: 'Part', value: 'I', inline: false }], footer: { text: 'From the review' } };
    const choice = { name: 'Pizer', value: 'pizer' };
    for (const value of [row, embed, choice]) {
      expect(apiJson(value)).toBe(value);
      expect(apiJson(value)).toEqual(snakeCase(value));
    }
  });

  it('converts what is not in the API\'s shape as discord.js does: camelCase keys, a string emoji, at any depth', () => {
    const camel = { type: ComponentType.ActionRow, components: [{ type: ComponentType.Button, customId: 'x', label: 'X', style: ButtonStyle.Primary }] };
    expect(apiJson(camel)).toEqual({ type: ComponentType.ActionRow, components: [{ type: ComponentType.Button, custom_id: 'x', label: 'X', style: ButtonStyle.Primary }] });
    const withEmoji = { type: ComponentType.Button, custom_id: 'y', style: ButtonStyle.Primary, emoji: '📖' };
    expect(apiJson(withEmoji)).toEqual(snakeCase(withEmoji));
    expect(apiJson(withEmoji)).not.toBe(withEmoji);
    const footer = { footer: { text: 'f', iconURL: 'https://example.org/i.png' } };
    expect(apiJson(footer)).toEqual({ footer: { text: 'f', icon_url: 'https://example.org/i.png' } });
    const builder = new ButtonBuilder().setCustomId('z').setLabel('Z').setStyle(ButtonStyle.Primary);
    expect(apiJson({ type: ComponentType.ActionRow, components: [builder] })).toEqual(snakeCase({ type: ComponentType.ActionRow, components: [builder] }));
  });
});
