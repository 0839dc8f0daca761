import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalChannel } from '../../src/local-discord/index.js';
import type { PlanWeek } from '../../src/weeks.js';
import { weeksOf } from '../db/reflections-helpers.js';
import { expectNoWriteCouldPing } from '../helpers/mentions.js';
import { addWeekThread, postedWeek } from '../helpers/weeks.js';
import { startHarness, type Harness } from './harness.js';

/**
 * Reflections at their edges, end to end: a form submitted after its reflection was deleted, a message saved
 * from an earlier week's thread, a view redrawn after a change, Discord failing an answer or a delete. In each
 * the member keeps what they wrote and is told the truth about it.
 */
describe('reflections at their edges, end to end', () => {
  let h: Harness;
  const weeks: PlanWeek[] = [];
  let week1: LocalChannel;
  let week2: LocalChannel;

  const addThread = (name: string): LocalChannel => addWeekThread(h.discord, name);
  const addWeek = (week: number, thread: LocalChannel) => weeks.push(postedWeek(h.discord, week, thread.id));

  async function reflect(as: string, text: string, options: Record<string, string | number> = {}) {
    const opened = await h.discord.interact.chatInput({ name: 'reflect', options, as });
    const submitted = await h.discord.interact.modalSubmit({ modal: opened, values: [text], as });
    const reply = await submitted.reply();
    return { reply, id: Number(/#(\d+)/.exec(reply.content)?.[1]) };
  }

  beforeAll(async () => {
    h = await startHarness({ env: { REFLECTIONS_KEY: randomBytes(32).toString('hex') } });
    h.ctx.weeks = weeksOf(weeks);
    week1 = addThread('Week 1');
    addWeek(1, week1);
    week2 = addThread('Week 2');
    addWeek(2, week2);
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('an edit submitted after its reflection was deleted hands the text back as a file and saves nothing', async () => {
    const { id } = await reflect('member', 'Original words.');
    const opened = await h.discord.interact.chatInput({ name: 'reflections', subcommand: 'edit', options: { id: String(id) }, as: 'member' });
    expect(opened.modal).toBeDefined();
    // Meanwhile (another device, or forget-me) the reflection is deleted.
    h.ctx.reflections.remove(h.discord.ids.guild, h.discord.ids.member, id);
    const typed = 'A long, careful rewrite the member spent twenty minutes on. שלום 🌱';
    const submitted = await h.discord.interact.modalSubmit({ modal: opened, values: [typed], as: 'member' });
    const reply = await submitted.reply();
    expect(submitted.ephemeral).toBe(true);
    expect(reply.content).toContain(`I could not find reflection #${id} among yours (it may have been deleted while the form was open), so nothing was saved`);
    expect(reply.attachments.map((a) => a.filename)).toEqual([`reflection-${id}-not-saved.txt`]);
    expect(reply.attachments[0]!.data!.toString('utf8')).toBe(typed);
    expect(h.ctx.reflections.allMine(h.discord.ids.guild, h.discord.ids.member).some((r) => r.text === typed)).toBe(false);
  });

  it('Save as reflection on a message in an earlier week’s thread ties it to that week, not the current one', async () => {
    const own = h.discord.postAs('member', 'Going back to last week’s question.', week1.id);
    const saved = await h.discord.interact.messageContext({ name: 'Save as reflection', message: own, as: 'member' });
    const id = Number(/#(\d+)/.exec((await saved.reply()).content)?.[1]);
    expect(h.ctx.reflections.get(h.discord.ids.guild, h.discord.ids.member, id).week).toBe(1);
    // Outside any week's thread it belongs to the current week.
    const elsewhere = h.discord.postAs('member', 'Said in the main channel.', h.discord.ids.channel);
    const savedElsewhere = await h.discord.interact.messageContext({ name: 'Save as reflection', message: elsewhere, as: 'member' });
    const other = Number(/#(\d+)/.exec((await savedElsewhere.reply()).content)?.[1]);
    expect(h.ctx.reflections.get(h.discord.ids.guild, h.discord.ids.member, other).week).toBe(2);
  });

  it('a shared reflection on a chapter is posted in the current week’s thread, and belongs to both', async () => {
    const { reply, id } = await reflect('member', 'On the collusive enactment, shared.', { visibility: 'shared', chapter: 'wenke' });
    expect(reply.content).toContain('(week 2, Chapter 5 (Matthias Wenke), Part II)');
    const post = h.ctx.reflections.getPost(id)!;
    expect(post.channelId).toBe(week2.id);
    expect(h.discord.message(post.messageId)!.embeds[0]!.description).toBe('On the collusive enactment, shared.');
  });

  it('the visibility buttons under /reflections show redraw the reflection with its new visibility', async () => {
    const { id } = await reflect('member', 'Shown, then shared.', { week: 2 });
    const show = await h.discord.interact.chatInput({ name: 'reflections', subcommand: 'show', options: { id: String(id) }, as: 'member' });
    const shown = await show.reply();
    expect(h.discord.render(shown)).toContain('private (only you)');
    const pressed = await h.discord.interact.button({ message: shown, component: `reflection-vis:${id}:shared`, as: 'member' });
    await pressed.settled();
    const after = pressed.original()!;
    const rendered = h.discord.render(after);
    expect(h.ctx.reflections.get(h.discord.ids.guild, h.discord.ids.member, id).visibility).toBe('shared');
    expect(rendered).toContain(`Updated **#${id}**`);
    expect(after.embeds[0]!.title).toBe(`Reflection #${id}`);
    expect(after.embeds[0]!.description).toBe('Shown, then shared.');
    expect(rendered).not.toContain('private (only you)');
    // The confirmation's buttons (no embed) stay a confirmation: nothing is drawn into them.
    const { reply } = await reflect('member', 'Confirmed, then shared.', { week: 2 });
    const fromConfirmation = await h.discord.interact.button({ message: reply, component: `reflection-vis:${/#(\d+)/.exec(reply.content)![1]}:shared`, as: 'member' });
    await fromConfirmation.settled();
    expect(fromConfirmation.original()!.embeds).toEqual([]);
  });

  it('/reflections visibility: when Discord fails the answer, the member is told the change is saved, not to try again', async () => {
    const { id } = await reflect('member', 'Will be shared while Discord stumbles.', { week: 2 });
    // The first edit of the reply fails (500 on the try and on discord.js's 3 retries); Discord works again afterwards.
    const fault = h.discord.faults.add({ method: 'PATCH', path: /^\/webhooks\/[^/]+\/[^/]+\/messages\/@original$/, status: 500, body: { message: 'Internal Server Error', code: 0 }, times: 4 });
    try {
      const changed = await h.discord.interact.chatInput({ name: 'reflections', subcommand: 'visibility', options: { id: String(id), to: 'shared' }, as: 'member' });
      await changed.settled();
      // (Discord turns the first follow-up of a deferred reply into that reply: so every message of the interaction.)
      const said = changed.messages().map((m) => h.discord.render(m)).join('\n');
      expect(h.ctx.reflections.get(h.discord.ids.guild, h.discord.ids.member, id).visibility).toBe('shared');
      expect(said).toContain(`Reflection **#${id}** is now shared`);
      expect(said).not.toContain('Please try again');
      expect(changed.messages().every((m) => (m.flags & 64) === 64)).toBe(true);
    } finally {
      fault.remove();
    }
  });

  it('forget-me links each post Discord would not let it delete, so a moderator can still find it', async () => {
    const { id } = await reflect('owner', 'Shared, and the thread will refuse the delete.', { visibility: 'shared', week: 2 });
    const post = h.ctx.reflections.getPost(id)!;
    expect(post).not.toBeNull();
    const fault = h.discord.faults.add({ method: 'DELETE', path: `/channels/${post.channelId}/messages/${post.messageId}`, status: 500, body: { message: 'Internal Server Error', code: 0 }, times: 20 });
    try {
      const asked = await h.discord.interact.chatInput({ name: 'reflections', subcommand: 'forget-me', as: 'owner' });
      const confirm = await asked.reply();
      const done = await h.discord.interact.button({ message: confirm, component: 'reflections-forget', as: 'owner' });
      await done.settled();
      const summary = h.discord.render(done.original()!);
      expect(h.discord.message(post.messageId)).toBeDefined();
      expect(summary).toContain('1 post(s) in threads that Discord would not let me delete');
      expect(summary).toContain(`https://discord.com/channels/${h.discord.ids.guild}/${post.channelId}/${post.messageId}`);
    } finally {
      fault.remove();
    }
  });

  it('switched from shared to anonymous, a post is replaced, not edited: a new message as “A member”, with no number to tie it to the old one', async () => {
    for (const recorded of ['name', null] as const) {
      const { id } = await reflect('member', `Shared under my name first (${String(recorded)}).`, { visibility: 'shared', week: 2 });
      const before = h.ctx.reflections.getPost(id)!;
      // Posts made before migration 0009 recorded nothing: they are replaced too.
      if (recorded === null) h.ctx.db.prepare('UPDATE reflection_posts SET shown_as = NULL WHERE reflection_id = ?').run(id);
      const changed = await h.discord.interact.chatInput({ name: 'reflections', subcommand: 'visibility', options: { id: String(id), to: 'anonymous' }, as: 'member' });
      const said = h.discord.render(await changed.reply());
      const after = h.ctx.reflections.getPost(id)!;
      expect(after.messageId).not.toBe(before.messageId);
      expect(after.shownAs).toBe('anonymous');
      expect(h.discord.message(before.messageId)).toBeUndefined();
      const post = h.discord.message(after.messageId)!;
      expect(post.embeds[0]!.title).toBe('A reflection from A member');
      expect(String((post.embeds[0] as { footer?: { text?: string } }).footer?.text)).toContain('shared anonymously by its author');
      expect(JSON.stringify(post.embeds)).not.toContain(`#${id}`);
      expect(JSON.stringify(post)).not.toContain('Sam');
      expect(said).toContain('Its post under your name is deleted, and it is posted again as “A member”');
      expect(said).toContain('Members who read it before may still recognise it.');
    }
  });

  it('made anonymous while Discord will not delete the post under the author’s name: nothing new is posted beside it, and the member is told', async () => {
    const { id } = await reflect('member', 'Shared, then Discord refuses to take it down.', { visibility: 'shared', week: 2 });
    const before = h.ctx.reflections.getPost(id)!;
    const fault = h.discord.faults.add({ method: 'DELETE', path: `/channels/${before.channelId}/messages/${before.messageId}`, status: 500, body: { message: 'Internal Server Error', code: 0 }, times: 20 });
    try {
      const posts = h.discord.messages(week2.id).length;
      const changed = await h.discord.interact.chatInput({ name: 'reflections', subcommand: 'visibility', options: { id: String(id), to: 'anonymous' }, as: 'member' });
      const said = h.discord.render(await changed.reply());
      expect(h.discord.messages(week2.id)).toHaveLength(posts);
      expect(h.ctx.reflections.getPost(id)!.messageId).toBe(before.messageId);
      expect(said).toContain('I could not update the week’s thread just now');
    } finally {
      fault.remove();
    }
  });

  const setVisibility = async (id: number, to: string) => {
    const changed = await h.discord.interact.chatInput({ name: 'reflections', subcommand: 'visibility', options: { id: String(id), to }, as: 'member' });
    return h.discord.render(await changed.reply());
  };

  it('anonymous → shared → anonymous: the post shown under the name is replaced again, not relabelled', async () => {
    const { id } = await reflect('member', 'Anonymous first, then named, then anonymous.', { visibility: 'anonymous', week: 2 });
    await setVisibility(id, 'shared');
    const underName = h.ctx.reflections.getPost(id)!;
    expect(underName.shownAs).toBe('name');
    await setVisibility(id, 'anonymous');
    expect(h.ctx.reflections.getPost(id)!.messageId).not.toBe(underName.messageId);
    expect(h.discord.message(underName.messageId)).toBeUndefined();
  });

  it('shared → anonymous when Discord refuses the new post: the member is told the named post is gone and how to post it again', async () => {
    const text = 'Shared, then anonymous while posting fails.';
    const { id } = await reflect('member', text, { visibility: 'shared', week: 2 });
    const fault = h.discord.faults.add({ method: 'POST', path: `/channels/${week2.id}/messages`, status: 500, body: { message: 'Internal Server Error', code: 0 }, times: 20 });
    let said: string;
    try {
      said = await setVisibility(id, 'anonymous');
    } finally {
      fault.remove();
    }
    expect(said).toContain('Its post under your name is deleted, but I could not post it again as “A member” just now');
    expect(h.discord.messages(week2.id).filter((m) => m.embeds[0]?.description === text)).toHaveLength(0);
    // As told: the same change again posts it.
    expect(await setVisibility(id, 'anonymous')).toContain('posted in the week’s thread as “A member”');
    expect(h.discord.messages(week2.id).filter((m) => m.embeds[0]?.description === text)).toHaveLength(1);
  });

  it('an older post (no shown_as) of an always-anonymous reflection is edited in place, and learns what it shows', async () => {
    const { id } = await reflect('member', 'Anonymous from the start.', { visibility: 'anonymous', week: 2 });
    const before = h.ctx.reflections.getPost(id)!;
    h.ctx.db.prepare('UPDATE reflection_posts SET shown_as = NULL WHERE reflection_id = ?').run(id);
    const opened = await h.discord.interact.chatInput({ name: 'reflections', subcommand: 'edit', options: { id: String(id) }, as: 'member' });
    const submitted = await h.discord.interact.modalSubmit({ modal: opened, values: ['Anonymous from the start, edited.'], as: 'member' });
    const said = h.discord.render(await submitted.reply());
    expect(said).not.toContain('Its post under your name is deleted');
    expect(h.ctx.reflections.getPost(id)).toMatchObject({ messageId: before.messageId, shownAs: 'anonymous' });
  });

  it('a mod-log channel that was deleted counts as none: the report is kept and the reporter told to tell a moderator', async () => {
    const { id } = await reflect('member', 'Reported into a deleted mod-log.', { visibility: 'shared', week: 2 });
    const kept = h.ctx.settings.get(h.discord.ids.guild).modLogChannelId;
    h.ctx.settings.update(h.discord.ids.guild, { modLogChannelId: '1234567890123456789' }, new Date());
    try {
      const post = h.discord.message(h.ctx.reflections.getPost(id)!.messageId)!;
      const reported = await h.discord.interact.button({ message: post, component: `reflection-report:${id}`, as: 'owner' });
      expect(h.discord.render(await reported.reply())).toContain('no mod-log channel I can post to, so please also tell a moderator directly');
      expect(h.ctx.db.prepare('SELECT COUNT(*) FROM reflection_reports WHERE reflection_id = ?').pluck().get(id)).toBe(1);
    } finally {
      h.ctx.settings.update(h.discord.ids.guild, { modLogChannelId: kept }, new Date());
    }
  });

  it('a report of an anonymous reflection reaches the mod-log with no reflection number (it was shown beside the name when shared)', async () => {
    const { id } = await reflect('member', 'Named first, then anonymous, then reported.', { visibility: 'shared', week: 2 });
    await setVisibility(id, 'anonymous');
    const kept = h.ctx.settings.get(h.discord.ids.guild).modLogChannelId;
    h.ctx.settings.update(h.discord.ids.guild, { modLogChannelId: h.discord.ids.modLogChannel }, new Date());
    try {
      const before = h.discord.messages(h.discord.ids.modLogChannel).length;
      const post = h.discord.message(h.ctx.reflections.getPost(id)!.messageId)!;
      await (await h.discord.interact.button({ message: post, component: `reflection-report:${id}`, as: 'owner' })).reply();
      const report = h.discord.messages(h.discord.ids.modLogChannel).slice(before);
      expect(report).toHaveLength(1);
      expect(report[0]!.embeds[0]!.title).toBe('An anonymous reflection was reported');
      expect(JSON.stringify(report[0]!.embeds)).not.toContain(`#${id}`);
    } finally {
      h.ctx.settings.update(h.discord.ids.guild, { modLogChannelId: kept }, new Date());
    }
  });

  it('a hidden reflection made shared again says once that a moderator hid it, and show says “last changed”, not “edited”', async () => {
    const { id } = await reflect('member', 'Shared, then hidden by a moderator.', { visibility: 'shared', week: 2 });
    h.ctx.reflections.hide(h.discord.ids.guild, id);
    const said = await setVisibility(id, 'anonymous');
    expect(said.match(/A moderator has hidden it/g)).toHaveLength(1);
    const show = await h.discord.interact.chatInput({ name: 'reflections', subcommand: 'show', options: { id: String(id) }, as: 'member' });
    const shown = h.discord.render(await show.reply());
    expect(shown).toContain('(last changed ');
    expect(shown).not.toContain('(edited ');
  });

  it('forget-me for a member with no reflections says so, rather than “your 0 reflection(s)”', async () => {
    const asked = await h.discord.interact.chatInput({ name: 'reflections', subcommand: 'forget-me', as: 'moderator' });
    const text = h.discord.render(await asked.reply());
    expect(text).toContain('you have no reflections here, so it erases your stored ids');
    expect(text).not.toContain('reflection(s)');
    expect(text).not.toContain('/reflections download');
  });

  it('making a private reflection private again says so once', async () => {
    const { id } = await reflect('member', 'Private, and kept so.');
    const again = await h.discord.interact.chatInput({ name: 'reflections', subcommand: 'visibility', options: { id: String(id), to: 'private' }, as: 'member' });
    const said = h.discord.render(await again.reply());
    expect(said).toContain(`No change needed for **#${id}**`);
    expect(said.match(/only you can see it/gi)).toHaveLength(1);
  });

  it('/reflect with a chapter it cannot be sure of refuses as the book commands do, and opens no form', async () => {
    const guessed = await h.discord.interact.chatInput({ name: 'reflect', options: { chapter: 'q' }, as: 'member' });
    expect(guessed.modal).toBeUndefined();
    expect(h.discord.render(await guessed.reply())).toContain('“q” is not the name of a chapter. Did you mean:\n• Chapter 13');
    const unknown = await h.discord.interact.chatInput({ name: 'reflect', options: { chapter: 'zzzz' }, as: 'member' });
    expect(h.discord.render(await unknown.reply())).toContain('I couldn’t find a chapter matching “zzzz” in the book dataset. Pick one from the list, or leave `chapter` empty.');
  });

  it('every message the bot wrote here allowed no mention to ping', () => {
    expectNoWriteCouldPing(h.discord, 10);
  });
});

describe('a shutdown while a member’s reflection is being saved, end to end', () => {
  const started: Harness[] = [];
  afterAll(async () => {
    for (const harness of started) await harness.stop();
  });

  /** A bot with a form submitted whose deferral Discord holds: the router has acknowledged, the write comes after. */
  async function submittedWhileHeld() {
    const harness = await startHarness({ env: { REFLECTIONS_KEY: randomBytes(32).toString('hex') } });
    started.push(harness);
    const opened = await harness.discord.interact.chatInput({ name: 'reflect', as: 'member' });
    let release!: () => void;
    const hold = new Promise<void>((resolve) => (release = resolve));
    harness.discord.faults.add({ method: 'POST', path: /^\/interactions\/\d+\/[^/]+\/callback$/, hold, times: 1 });
    const submitted = harness.discord.interact.modalSubmit({ modal: opened, values: ['Written just before the deploy.'], as: 'member' });
    await harness.discord.waitFor(() => harness.discord.requestsMatching({ method: 'POST', path: /\/callback$/ }).length >= 2);
    const savedCount = () => {
      const db = new Database(harness.databasePath, { readonly: true });
      const count = db.prepare('SELECT COUNT(*) FROM reflections').pluck().get();
      db.close();
      return count;
    };
    return { harness, release, submitted, savedCount };
  }

  it('the form’s reflection is saved before the database closes (the shutdown waits for the handler)', async () => {
    const { harness, release, submitted, savedCount } = await submittedWhileHeld();
    // SIGTERM (main.ts calls stop()). Discord's answer to the defer arrives once the bot waits for the handler,
    // or else when it closes the database (then too late to save).
    let closing = false;
    const close = harness.ctx.db.close.bind(harness.ctx.db);
    harness.ctx.db.close = () => {
      closing = true;
      release();
      return close();
    };
    const stopping = harness.bot.stop();
    await harness.discord.waitFor(() => closing || harness.logs().some((l) => l.msg === 'waiting for interactions in progress'));
    release();
    await stopping;
    await submitted.catch(() => undefined);
    expect(savedCount()).toBe(1);
    expect(harness.logs().filter((l) => Number(l.level) >= 50)).toEqual([]);
  });

  it('a second stop resolves only once the bot has stopped (main.ts exits on it: SIGINT after SIGTERM, or a lease lost meanwhile)', async () => {
    const { harness, release, submitted, savedCount } = await submittedWhileHeld();
    const first = harness.bot.stop();
    await harness.discord.waitFor(() => harness.logs().some((l) => l.msg === 'waiting for interactions in progress'));
    const second = harness.bot.stop();
    let secondDone = false;
    void second.then(() => (secondDone = true));
    // Still draining: the second call has not resolved.
    await Promise.resolve();
    expect(secondDone).toBe(false);
    release();
    await Promise.all([first, second]);
    expect(harness.ctx.db.open).toBe(false);
    await submitted.catch(() => undefined);
    expect(savedCount()).toBe(1);
  });
});
