import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalChannel } from '../../src/local-discord/index.js';
import type { PlanWeek } from '../../src/weeks.js';
import { weeksOf } from '../db/reflections-helpers.js';
import { addWeekThread, postedWeek } from '../helpers/weeks.js';
import { startHarness, type Harness } from './harness.js';

/**
 * A member changes or removes a shared reflection while the bot's post of it is still on its way: Discord has
 * created the message but its answer is held (a fault with `hold`), and the member acts meanwhile. Whatever
 * they chose must be what the thread shows once the answer arrives: no post of a private, deleted or
 * forgotten reflection, and no post naming the author of an anonymous one.
 */
describe('posts of reflections changed while their post is on its way', () => {
  let h: Harness;
  let thread: LocalChannel;
  const weeks: PlanWeek[] = [];

  const postsWith = (text: string) => h.discord.messages(thread.id).filter((m) => m.embeds[0]?.description === text);
  const changedTo = (id: number, to: string) =>
    h.waitForLog((line) => line.msg === 'reflection visibility changed' && line.reflectionId === id && line.to === to);
  const stored = (id: number) => h.ctx.db.prepare('SELECT visibility FROM reflections WHERE id = ?').get(id) as { visibility: string } | undefined;

  /** Submits a shared reflection for week 1 and returns once Discord has created its post, whose answer is held. */
  async function submitWhileHeld(text: string) {
    let release!: () => void;
    const held = h.discord.faults.add({ method: 'POST', path: `/channels/${thread.id}/messages`, hold: new Promise<void>((resolve) => (release = resolve)) });
    const opened = await h.discord.interact.chatInput({ name: 'reflect', options: { visibility: 'shared', week: 1 } });
    const submitted = await h.discord.interact.modalSubmit({ modal: opened, values: [text] });
    await h.discord.waitFor(() => (held.hits === 1 && postsWith(text).length === 1) || undefined, { what: 'the post to be created' });
    const id = (h.ctx.db.prepare('SELECT MAX(id) AS id FROM reflections').get() as { id: number }).id;
    return { id, submitted, release };
  }

  beforeAll(async () => {
    h = await startHarness({ env: { REFLECTIONS_KEY: randomBytes(32).toString('hex') } });
    h.ctx.weeks = weeksOf(weeks);
    thread = addWeekThread(h.discord, 'Week 1');
    weeks.push(postedWeek(h.discord, 1, thread.id));
  });
  afterAll(async () => {
    await h?.stop();
  });

  /** Submits a shared reflection, changes its visibility while its post is held, then lets Discord answer. */
  async function changeWhileHeld(text: string, to: 'private' | 'anonymous') {
    const { id, submitted, release } = await submitWhileHeld(text);
    const changed = await h.discord.interact.chatInput({ name: 'reflections', subcommand: 'visibility', options: { id: String(id), to } });
    await changedTo(id, to);
    release();
    const answer = h.discord.render(await changed.reply());
    await submitted.settled();
    await changed.settled();
    return { id, answer };
  }

  it('made private meanwhile: the post is taken down, and the member is told it is private', async () => {
    const text = 'Made private while its post was on its way.';
    const { id, answer } = await changeWhileHeld(text, 'private');
    expect(answer).toContain('private (only you).');
    expect(answer).toContain('Only you can see it.');
    expect(postsWith(text)).toEqual([]);
    expect(h.ctx.reflections.getPost(id)).toBeNull();
  });

  it('made anonymous meanwhile: the one post ends up signed "A member"', async () => {
    const text = 'Made anonymous while its post was on its way.';
    const { id } = await changeWhileHeld(text, 'anonymous');
    expect(postsWith(text).map((m) => m.embeds[0]!.title)).toEqual(['A reflection from A member']);
    expect(h.ctx.reflections.getPost(id)?.messageId).toBe(postsWith(text)[0]!.id);
  });

  /** Submits a shared reflection, erases it (a delete or forget-me, confirmed by its button) while its post is held, then lets Discord answer. */
  async function eraseWhileHeld(text: string, subcommand: 'delete' | 'forget-me', button: (id: number) => string) {
    const { id, submitted, release } = await submitWhileHeld(text);
    const asked = await h.discord.interact.chatInput({ name: 'reflections', subcommand, ...(subcommand === 'delete' ? { options: { id: String(id) } } : {}) });
    const done = await h.discord.interact.button({ message: await asked.reply(), component: button(id) });
    await done.settled();
    expect(stored(id)).toBeUndefined();
    release();
    await submitted.settled();
    await h.discord.waitFor(() => postsWith(text).length === 0 || undefined, { what: 'the post to be taken down' });
  }

  it('deleted meanwhile: the post is taken down', async () => {
    const text = 'Deleted while its post was on its way.';
    await eraseWhileHeld(text, 'delete', (id) => `reflection-delete:${id}`);
    expect(postsWith(text)).toEqual([]);
  });

  it('forgotten meanwhile (forget-me): the post is taken down', async () => {
    const text = 'Forgotten while its post was on its way.';
    await eraseWhileHeld(text, 'forget-me', () => 'reflections-forget');
    expect(postsWith(text)).toEqual([]);
  });
});
