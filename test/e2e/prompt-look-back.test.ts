import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPromptPoster, LOOK_BACK_PAGE } from '../../src/discord/prompt-poster.js';
import { startHarness, type Harness } from './harness.js';

/**
 * The look-back that keeps a week from going out twice: when an attempt's answer was lost (a timeout, a crash),
 * the bot looks in the channel for its own post of the week before it posts again. Between the claim and that
 * post, members may have written far more than one page of messages.
 */
describe('weekly prompts: looking back for an earlier post of the week', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ env: { REFLECTIONS_KEY: randomBytes(32).toString('hex') } });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('finds it past more than a page of members’ messages, and finds nothing for a week not posted', async () => {
    const poster = createPromptPoster(h.bot.client, h.ctx.settings, h.ctx.log);
    const claimedAt = new Date(Date.now() - 2_000);
    for (let i = 0; i < LOOK_BACK_PAGE + 50; i += 1) h.discord.postAs('member', `chat ${i}`);
    const { messageId } = await poster.post({
      guildId: h.discord.ids.guild,
      channelId: h.discord.ids.channel,
      week: 3,
      totalWeeks: 7,
      planName: 'By part',
      title: 'Rupture',
      prompt: 'What stayed with you?',
      reading: [],
      quotation: null,
      contentNote: '',
      lateNote: null,
      pingRoleId: null,
      nonce: 'look-back-nonce-000000001',
      threadName: 'Week 3: Rupture',
    });
    for (let i = 0; i < 10; i += 1) h.discord.postAs('member', `after ${i}`);
    expect(await poster.findPosted(h.discord.ids.channel, 3, claimedAt)).toBe(messageId);
    expect(await poster.findPosted(h.discord.ids.channel, 4, claimedAt)).toBeNull();
    const pages = h.discord.requestsMatching({ method: 'GET', path: `/channels/${h.discord.ids.channel}/messages` });
    // 161 messages after the claim: week 3 is found on the second page; week 4 reads both and stops at the
    // short one.
    expect(pages).toHaveLength(4);
  });
});
