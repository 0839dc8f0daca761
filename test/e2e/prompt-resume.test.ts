import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/clock.js';
import { startHarness, type Harness } from './harness.js';

describe('/prompt resume names the week that goes out next, end to end', () => {
  let h: Harness;
  const clock = fixedClock('2026-05-01T09:00:00Z');
  beforeAll(async () => {
    h = await startHarness({ clock, env: { REFLECTIONS_KEY: randomBytes(32).toString('hex') } });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('a week refused by Discord, then paused: resume says that week goes out next, not the one after it', async () => {
    const setup = await h.discord.interact.chatInput({ name: 'prompt', subcommand: 'setup', options: { channel: h.discord.ids.channel, weekday: 'sunday', time: '19:00', timezone: 'Europe/London' }, as: 'moderator' });
    await setup.reply();
    h.discord.faults.add({ method: 'POST', path: `/channels/${h.discord.ids.channel}/messages`, status: 403, body: { code: 50013, message: 'Missing Permissions' }, times: 1 });
    const posted = await h.discord.interact.chatInput({ name: 'prompt', subcommand: 'post-now', as: 'moderator' });
    await posted.reply();
    expect(h.ctx.prompts.status(h.discord.ids.guild)!.inFlight).toMatchObject({ week: 1, state: 'claimed' });
    await (await h.discord.interact.chatInput({ name: 'prompt', subcommand: 'pause', as: 'moderator' })).reply();
    const resumed = await h.discord.interact.chatInput({ name: 'prompt', subcommand: 'resume', as: 'moderator' });
    const said = h.discord.render(await resumed.reply());
    // Week 1 was never posted; it is the one the scheduler retries first.
    expect(said).toContain('Week 1');
    expect(said).not.toContain('Week 2 goes out next');
  });
});
