import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PlanWeek } from '../../src/weeks.js';
import { weeksOf } from '../db/reflections-helpers.js';
import { addWeekThread, postedWeek } from '../helpers/weeks.js';
import { startHarness, type Harness } from './harness.js';

/** The Hide button under a report in the mod-log: what it tells the moderator, and that it is gone once used. */
describe('Hide on a report in the mod-log, end to end', () => {
  let h: Harness;
  const weeks: PlanWeek[] = [];

  async function reflect(text: string, visibility: string): Promise<number> {
    const opened = await h.discord.interact.chatInput({ name: 'reflect', options: { visibility, week: 1 }, as: 'member' });
    const reply = await (await h.discord.interact.modalSubmit({ modal: opened, values: [text], as: 'member' })).reply();
    return Number(/#(\d+)/.exec(reply.content)?.[1]);
  }
  async function report(id: number, as: string) {
    const before = h.discord.messages(h.discord.ids.modLogChannel).length;
    const post = h.discord.message(h.ctx.reflections.getPost(id)!.messageId)!;
    await (await h.discord.interact.button({ message: post, component: `reflection-report:${id}`, as })).reply();
    return h.discord.messages(h.discord.ids.modLogChannel).slice(before)[0]!;
  }

  beforeAll(async () => {
    h = await startHarness({ env: { REFLECTIONS_KEY: randomBytes(32).toString('hex') } });
    h.ctx.weeks = weeksOf(weeks);
    weeks.push(postedWeek(h.discord, 1, addWeekThread(h.discord, 'Week 1').id));
    h.ctx.settings.update(h.discord.ids.guild, { modLogChannelId: h.discord.ids.modLogChannel }, new Date());
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('hiding an anonymous reflection from its report does not tell the moderator its number (the report left it out)', async () => {
    const id = await reflect('Shared under my name first, anonymous now.', 'shared');
    const changed = await h.discord.interact.chatInput({ name: 'reflections', subcommand: 'visibility', options: { id: String(id), to: 'anonymous' }, as: 'member' });
    await changed.reply();
    const modLog = await report(id, 'owner');
    expect(modLog.embeds[0]!.title).toBe('An anonymous reflection was reported');
    const hidden = await h.discord.interact.button({ message: modLog, component: `reflection-hide:${id}`, as: 'moderator' });
    const said = h.discord.render(await hidden.reply());
    expect(said).toContain('is hidden');
    expect(said).not.toContain(`#${id}`);
  });

  it('a second report of the same reflection loses its Hide button too once the reflection is hidden', async () => {
    const id = await reflect('Reported twice.', 'shared');
    const first = await report(id, 'owner');
    const second = await report(id, 'moderator');
    await (await h.discord.interact.button({ message: first, component: `reflection-hide:${id}`, as: 'moderator' })).reply();
    expect(h.discord.message(first.id)!.components ?? []).toHaveLength(0);
    const again = await h.discord.interact.button({ message: h.discord.message(second.id)!, component: `reflection-hide:${id}`, as: 'owner' });
    expect(h.discord.render(await again.reply())).toContain('already hidden');
    expect(h.discord.message(second.id)!.components ?? []).toHaveLength(0);
  });
});
