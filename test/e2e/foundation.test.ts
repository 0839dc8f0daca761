import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './harness.js';

describe('foundation, end to end', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('logs in with the Guilds intent only', () => {
    expect(h.discord.gateway.identifies.map((i) => i.intents)).toEqual([1]);
  });

  it('answers /help ephemerally', async () => {
    const r = await h.discord.interact.chatInput({ name: 'help', as: 'member' });
    expect(r.callback.type).toBe(4);
    expect(r.ephemeral).toBe(true);
    console.log(h.discord.render(r));
  });
});
