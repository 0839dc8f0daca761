import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/clock.js';
import { startHarness, type Harness } from './harness.js';

/** Reflections shared for a week before its thread opened: posted once it opens, even if that first try fails. */
describe('reflections waiting for their week thread, end to end', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  async function setUp(): Promise<Harness> {
    const clock = fixedClock('2026-05-01T09:00:00Z');
    const harness = await startHarness({ clock, env: { REFLECTIONS_KEY: randomBytes(32).toString('hex') } });
    const setup = await harness.discord.interact.chatInput({
      name: 'prompt',
      subcommand: 'setup',
      options: { channel: harness.discord.ids.channel, weekday: 'sunday', time: '19:00', timezone: 'Europe/London' },
      as: 'moderator',
    });
    await setup.reply();
    return harness;
  }

  async function reflectFor(harness: Harness, week: number, text: string): Promise<number> {
    const opened = await harness.discord.interact.chatInput({ name: 'reflect', options: { visibility: 'shared', week }, as: 'member' });
    const reply = await (await harness.discord.interact.modalSubmit({ modal: opened, values: [text], as: 'member' })).reply();
    expect(reply.content).toContain(`week ${week} has no discussion thread`);
    return Number(/#(\d+)/.exec(reply.content)?.[1]);
  }

  it('a waiting reflection whose first post Discord refused (missing permission, since fixed) is still posted later, e.g. after a restart', async () => {
    h = await setUp();
    const id = await reflectFor(h, 1, 'Waited for week 1.');
    const channel = h.discord.ids.channel;
    // The one post to the new thread is refused once (the bot lacked Send Messages in Threads then).
    h.discord.faults.add({ method: 'POST', path: new RegExp(`^/channels/(?!${channel}/)\\d+/messages$`), status: 403, body: { code: 50013, message: 'Missing Permissions' }, times: 1 });
    const posted = await h.discord.interact.chatInput({ name: 'prompt', subcommand: 'post-now', as: 'moderator' });
    expect(h.discord.render(await posted.reply())).toContain('Week 1 is posted');
    await h.waitForLog((l) => l.msg === 'could not post a reflection');
    await h.restart();
    await h.bot.ready;
    // The member was told it "goes to the week's thread when its prompt is posted": it should get there.
    await h.waitForLog((l) => l.msg === 'reflection that waited for its week thread posted' && l.reflectionId === id);
    expect(h.ctx.reflections.getPost(id)).not.toBeNull();
  });

});
