import { readFileSync, existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { ActionRowBuilder, ButtonBuilder, ButtonStyle, MessageFlags } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalChannel } from '../../src/local-discord/index.js';
import { MINE_COUNT_CAP } from '../../src/reflections/service.js';
import type { PlanWeek } from '../../src/weeks.js';
import { weeksOf } from '../db/reflections-helpers.js';
import { expectNoWriteCouldPing } from '../helpers/mentions.js';
import { addWeekThread, postedWeek } from '../helpers/weeks.js';
import { startHarness, type Harness } from './harness.js';

/**
 * Reflections end to end: the real bot and discord.js client against the local Discord. Members write,
 * share, edit and erase; another member tries to reach what is not theirs; moderators handle a report.
 */

const HOSTILE = '@everyone @here <@&ROLE> <@USER> **bold** שלום 👩🏽‍⚕️';

describe('reflections, end to end', () => {
  let h: Harness;
  let thread: LocalChannel;
  const weeks: PlanWeek[] = [];

  const addThread = (name: string): LocalChannel => addWeekThread(h.discord, name);
  const setWeek = (week: number, threadId: string | null) => weeks.push(postedWeek(h.discord, week, threadId));

  const hostile = () => HOSTILE.replace('ROLE', h.discord.ids.roles.readers).replace('USER', h.discord.ids.moderator);

  /** /reflect → modal → submit; returns the confirmation and the reflection id. */
  async function reflect(as: string, text: string, options: Record<string, string | number> = {}) {
    const opened = await h.discord.interact.chatInput({ name: 'reflect', options, as });
    expect(opened.callback.type).toBe(9);
    const submitted = await h.discord.interact.modalSubmit({ modal: opened, values: [text], as });
    const reply = await submitted.reply();
    const id = Number(/#(\d+)/.exec(reply.content)?.[1]);
    return { opened, submitted, reply, id };
  }

  const threadPosts = () => h.discord.messages(thread.id);
  const rows = (sql: string, ...params: unknown[]) => h.ctx.db.prepare(sql).all(...params) as Record<string, unknown>[];

  beforeAll(async () => {
    h = await startHarness({ env: { REFLECTIONS_KEY: randomBytes(32).toString('hex') } });
    h.ctx.weeks = weeksOf(weeks);
    thread = addThread('Week 1');
    setWeek(1, thread.id);
    h.ctx.settings.update(h.discord.ids.guild, { modLogChannelId: h.discord.ids.modLogChannel, moderatorRoleId: h.discord.ids.roles.moderator }, new Date());
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('/reflect opens the modal at once: title ≤ 45, one paragraph field ≤ 4000, the reminder, no defer first', async () => {
    const opened = await h.discord.interact.chatInput({ name: 'reflect', as: 'member' });
    expect(opened.callback.type).toBe(9);
    const modal = opened.modal!;
    expect(String(modal.title).length).toBeLessThanOrEqual(45);
    const json = JSON.stringify(modal);
    expect(json).toContain('identify a client');
    expect(json).toContain('"max_length":4000');
  });

  it('a private reflection is confirmed ephemerally and never posted', async () => {
    const before = threadPosts().length;
    const { submitted, reply, id } = await reflect('member', 'Just for me.');
    expect(submitted.ephemeral).toBe(true);
    expect(reply.flags & MessageFlags.Ephemeral).toBe(MessageFlags.Ephemeral);
    expect(reply.content).toContain('private');
    expect(id).toBeGreaterThan(0);
    expect(threadPosts()).toHaveLength(before);
  });

  it('a reflection on a chapter names the chapter in words, as /chapter does, in the confirmation and the list', async () => {
    const { reply, id } = await reflect('member', 'On the collusive enactment.', { chapter: 'wenke' });
    expect(reply.content).toContain(`#${id}`);
    expect(reply.content).toContain('Chapter 5 (Matthias Wenke), Part II');
    const mine = await h.discord.interact.chatInput({ name: 'reflections', subcommand: 'mine', as: 'member' });
    expect(h.discord.render(await mine.reply())).toContain('Chapter 5 (Matthias Wenke), Part II');
    // The list is acknowledged first, ephemerally (its first response is a private "thinking…").
    expect(mine.callback).toMatchObject({ type: 5, data: { flags: 64 } });
  });

  it('/reflections show of an id that is not yours answers at once, privately, and says so kindly', async () => {
    const { id } = await reflect('moderator', 'Not the member’s.', {});
    const show = await h.discord.interact.chatInput({ name: 'reflections', subcommand: 'show', options: { id: `#${id}` }, as: 'member' });
    expect(show.callback).toMatchObject({ type: 4, data: { flags: 64 } });
    const reply = await show.reply();
    expect(reply.content).toContain('I could not find that reflection among yours');
    expect(reply.content).not.toContain('Not the member’s.');
  });

  it('a shared reflection is posted by the bot in the week thread with the author’s name, byte-exact and with no pingable mention', async () => {
    const text = hostile();
    const { reply, id } = await reflect('member', text, { visibility: 'shared' });
    expect(reply.content).toContain('posted in the week’s thread');
    const post = threadPosts().at(-1)!;
    expect(post.author.id).toBe(h.discord.ids.bot);
    expect(post.interaction_metadata).toBeUndefined();
    expect(post.embeds[0]!.description).toBe(text);
    expect(String(post.embeds[0]!.title)).not.toContain('A member');
    expect(post.mention_everyone).toBe(false);
    expect(post.mentions).toEqual([]);
    expect(post.mention_roles).toEqual([]);
    expect(h.ctx.reflections.get(h.discord.ids.guild, h.discord.ids.member, id).text).toBe(text);
  });

  it('an anonymous reflection is posted as “A member”, with neither the author’s name nor id', async () => {
    const { id } = await reflect('member', 'Anonymous words.', { visibility: 'anonymous', week: 1 });
    const post = threadPosts().at(-1)!;
    expect(post.embeds[0]!.title).toBe('A reflection from A member');
    expect(JSON.stringify(post)).not.toContain(h.discord.ids.member);
    expect(h.ctx.reflections.getPost(id)?.messageId).toBe(post.id);
  });

  it('without a week thread the reflection is kept (exportable) and the member is told it was not posted', async () => {
    setWeek(2, null);
    const before = threadPosts().length;
    const { reply, id } = await reflect('member', 'No thread yet.', { visibility: 'shared', week: 2 });
    expect(reply.content).toContain('was not posted');
    expect(threadPosts()).toHaveLength(before);
    expect(h.ctx.reflections.listExportable(h.discord.ids.guild, { afterId: 0, limit: 100 }).some((r) => r.id === id)).toBe(true);
    weeks.pop();
  });

  it('the weekly prompt’s button opens a modal bound to its week; the confirmation offers sharing', async () => {
    const channel = await h.bot.client.channels.fetch(h.discord.ids.channel);
    if (!channel?.isSendable()) throw new Error('no channel');
    const prompt = await channel.send({
      content: 'Week 1 prompt',
      components: [new ActionRowBuilder<ButtonBuilder>().addComponents(new ButtonBuilder().setCustomId('reflect-week:1').setLabel('Write a reflection').setStyle(ButtonStyle.Primary))],
    });
    const pressed = await h.discord.interact.button({ message: prompt.id, component: 'reflect-week:1', as: 'member' });
    expect(pressed.callback.type).toBe(9);
    expect(String(pressed.modal!.title)).toContain('week 1');
    const submitted = await h.discord.interact.modalSubmit({ modal: pressed, values: ['From the button.'], as: 'member' });
    const reply = await submitted.reply();
    const id = Number(/#(\d+)/.exec(reply.content)?.[1]);
    expect(h.ctx.reflections.get(h.discord.ids.guild, h.discord.ids.member, id)).toMatchObject({ week: 1, visibility: 'private' });
    const before = threadPosts().length;
    const shared = await h.discord.interact.button({ message: reply, component: `reflection-vis:${id}:anonymous`, as: 'member' });
    await shared.settled();
    expect(threadPosts()).toHaveLength(before + 1);
    expect(threadPosts().at(-1)!.embeds[0]!.title).toBe('A reflection from A member');
  });

  it('Save as reflection keeps the member’s own message, and refuses another member’s kindly', async () => {
    const own = h.discord.postAs('member', `My own message ${hostile()}`, thread.id);
    const saved = await h.discord.interact.messageContext({ name: 'Save as reflection', message: own, as: 'member' });
    const reply = await saved.reply();
    expect(saved.ephemeral).toBe(true);
    const id = Number(/#(\d+)/.exec(reply.content)?.[1]);
    expect(h.ctx.reflections.get(h.discord.ids.guild, h.discord.ids.member, id)).toMatchObject({ text: own.content, week: 1, visibility: 'private', source: 'message' });
    // "Private" is the reflection; the message it came from is still there for others: the member is told.
    expect(reply.content).toContain('your message itself is still in the channel for everyone who can read it');

    const others = h.discord.postAs('moderator', 'Not yours', thread.id);
    const count = rows('SELECT COUNT(*) AS n FROM reflections')[0]!.n;
    const refused = await h.discord.interact.messageContext({ name: 'Save as reflection', message: others, as: 'member' });
    expect(h.discord.render(await refused.reply())).toContain('only your own messages');
    expect(rows('SELECT COUNT(*) AS n FROM reflections')[0]!.n).toBe(count);
  });

  it('bad input gets a kind ephemeral message and stores nothing', async () => {
    const count = rows('SELECT COUNT(*) AS n FROM reflections')[0]!.n;
    for (const text of ['   ', '\u0000\u0001\u0002']) {
      const opened = await h.discord.interact.chatInput({ name: 'reflect', as: 'member' });
      const submitted = await h.discord.interact.modalSubmit({ modal: opened, values: [text], as: 'member' });
      const reply = await submitted.reply();
      expect(reply.flags & MessageFlags.Ephemeral).toBe(MessageFlags.Ephemeral);
      expect(reply.content).toContain('nothing was saved');
    }
    expect(rows('SELECT COUNT(*) AS n FROM reflections')[0]!.n).toBe(count);
  });

  it('another member can neither read, edit, change, delete nor autocomplete someone else’s reflections', async () => {
    const { id } = await reflect('member', 'SECRET-OF-MEMBER', { visibility: 'shared' });
    for (const sub of ['show', 'edit', 'delete']) {
      const tried = await h.discord.interact.chatInput({ name: 'reflections', subcommand: sub, options: { id: String(id) }, as: 'moderator' });
      const text = h.discord.render(await tried.reply());
      expect(text).toContain('could not find that reflection among yours');
      expect(text).not.toContain('SECRET-OF-MEMBER');
      expect(tried.modal).toBeUndefined();
    }
    const vis = await h.discord.interact.chatInput({ name: 'reflections', subcommand: 'visibility', options: { id: `#${id}`, to: 'private' }, as: 'moderator' });
    expect(h.discord.render(await vis.reply())).toContain('could not find');
    const forged = await h.discord.interact.modalSubmit({ modal: { custom_id: `reflection-edit:${id}`, title: 'x', components: [{ type: 1, components: [{ type: 4, custom_id: 'text', style: 2, label: 'x' }] }] }, values: ['hijacked'], as: 'moderator' });
    expect(h.discord.render(await forged.reply())).toContain('could not find');
    for (const value of ['', String(id), 'SECRET']) {
      const ac = await h.discord.interact.autocomplete({ name: 'reflections', subcommand: 'show', focused: 'id', value, as: 'moderator', options: { id: value } });
      expect(ac.choices!.every((c) => c.value !== String(id))).toBe(true);
      expect(JSON.stringify(ac.choices)).not.toContain('SECRET');
    }
    const mine = await h.discord.interact.autocomplete({ name: 'reflections', subcommand: 'show', focused: 'id', value: '', as: 'member', options: { id: '' } });
    expect(mine.choices!.some((c) => c.value === String(id))).toBe(true);
    expect(mine.choices!.length).toBeLessThanOrEqual(25);
    expect(h.ctx.reflections.get(h.discord.ids.guild, h.discord.ids.member, id)).toMatchObject({ text: 'SECRET-OF-MEMBER', visibility: 'shared' });
    const listing = await h.discord.interact.chatInput({ name: 'reflections', subcommand: 'mine', as: 'moderator' });
    expect(h.discord.render(await listing.reply())).not.toContain('SECRET-OF-MEMBER');
  });

  it('autocompletes a reflection whose text is all emoji within Discord’s 100-character choice names', async () => {
    const { id } = await reflect('member', '😀🌧️🕯️'.repeat(40));
    const ac = await h.discord.interact.autocomplete({ name: 'reflections', subcommand: 'show', focused: 'id', value: String(id), as: 'member', options: { id: String(id) } });
    const choice = ac.choices!.find((c) => c.value === String(id));
    expect(choice).toBeDefined();
    expect(String(choice!.name).length).toBeLessThanOrEqual(100);
    expect(String(choice!.name)).toContain('😀');
  });

  it('mine, show and download give the author their own reflections, ephemerally', async () => {
    const mine = await h.discord.interact.chatInput({ name: 'reflections', subcommand: 'mine', as: 'member' });
    const page = await mine.reply();
    expect(page.flags & MessageFlags.Ephemeral).toBe(MessageFlags.Ephemeral);
    expect(h.discord.render(page)).toMatch(/#\d+/);
    const download = await h.discord.interact.chatInput({ name: 'reflections', subcommand: 'download', as: 'member' });
    const files = await download.reply();
    expect(files.attachments.map((a) => a.filename).sort()).toEqual(['my-reflections.json', 'my-reflections.md']);
  });

  it('report goes to the mod-log as a link, with no copy of the text or of who wrote it; hide removes the post and the export, and tells the author', async () => {
    const { id } = await reflect('member', 'Reported words.', { visibility: 'anonymous', week: 1 });
    const authorName = h.ctx.reflections.get(h.discord.ids.guild, h.discord.ids.member, id).authorName;
    const post = threadPosts().find((m) => m.id === h.ctx.reflections.getPost(id)?.messageId)!;
    const reported = await h.discord.interact.button({ message: post, component: `reflection-report:${id}`, as: 'owner' });
    expect(h.discord.render(await reported.reply())).toContain('moderators have been told');
    const log = h.discord.messages(h.discord.ids.modLogChannel).at(-1)!;
    const logText = JSON.stringify(log);
    expect(logText).toContain(`/channels/${h.discord.ids.guild}/${thread.id}/${post.id}`);
    // A copy would outlive the author's delete, forget-me or a switch to anonymous: the bot cannot undo it.
    expect(logText).not.toContain('Reported words');
    expect(logText).not.toContain(authorName);
    expect(logText).not.toContain(h.discord.ids.member);

    const member = await h.discord.interact.button({ message: log, component: `reflection-hide:${id}`, as: 'member' });
    expect(h.discord.render(await member.reply())).toContain('moderator tool');
    expect(h.discord.message(post.id)).toBeDefined();

    const hidden = await h.discord.interact.button({ message: log, component: `reflection-hide:${id}`, as: 'moderator' });
    expect(h.discord.render(await hidden.reply())).toContain('is hidden');
    expect(h.discord.message(post.id)).toBeUndefined();
    // The report's Hide button has done its work and is gone from the mod-log message.
    await h.discord.waitFor(() => (h.discord.message(log.id)!.components.length === 0 ? true : undefined), { what: 'the Hide button taken off the report' });
    expect(h.ctx.reflections.listExportable(h.discord.ids.guild, { afterId: 0, limit: 1000 }).some((r) => r.id === id)).toBe(false);
    expect(h.ctx.reflections.get(h.discord.ids.guild, h.discord.ids.member, id).hidden).toBe(true);
  });

  it('the author of a hidden reflection is told by DM, with no pingable mention and not who reported it; if they refuse DMs the hide still succeeds and /reflections mine shows it', async () => {
    const reportAndHide = async (text: string) => {
      const { id } = await reflect('member', text, { visibility: 'shared', week: 1 });
      const post = threadPosts().find((m) => m.id === h.ctx.reflections.getPost(id)?.messageId)!;
      await (await h.discord.interact.button({ message: post, component: `reflection-report:${id}`, as: 'owner' })).reply();
      const log = h.discord.messages(h.discord.ids.modLogChannel).at(-1)!;
      const hidden = await h.discord.interact.button({ message: log, component: `reflection-hide:${id}`, as: 'moderator' });
      return { id, answer: h.discord.render(await hidden.reply()) };
    };
    const reporter = h.discord.server.users.get(h.discord.ids.owner)!;

    const before = h.discord.directMessages('member').length;
    const told = await reportAndHide('Words a moderator will hide.');
    expect(told.answer).toContain('is hidden');
    expect(told.answer).toContain('told by direct message');
    const dm = h.discord.directMessages('member').at(-1)!;
    expect(h.discord.directMessages('member')).toHaveLength(before + 1);
    expect(dm.content).toContain(`hid your reflection #${told.id}`);
    expect(dm.content).toContain('the server **Reading Circle (local)**');
    for (const secret of [reporter.id, reporter.username, reporter.global_name!, h.discord.ids.moderator]) expect(dm.content).not.toContain(secret);
    expect(dm.content).not.toMatch(/<@|@everyone|@here/);
    const sent = h.discord.requestsMatching({ method: 'POST', path: `/channels/${dm.channel_id}/messages` }).at(-1)!;
    expect((sent.body as { allowed_mentions: { parse: string[] } }).allowed_mentions.parse).toEqual([]);

    h.discord.blockDMs('member');
    try {
      const refused = await reportAndHide('Hidden while DMs are off.');
      expect(refused.answer).toContain('is hidden');
      expect(refused.answer).toContain('could not message its author directly');
      expect(h.discord.requestsMatching({ method: 'POST', path: `/channels/${dm.channel_id}/messages` }).at(-1)!.status).toBe(403);
      expect(h.discord.directMessages('member')).toHaveLength(before + 1);
      expect(h.ctx.reflections.get(h.discord.ids.guild, h.discord.ids.member, refused.id).hidden).toBe(true);
      const mine = await h.discord.interact.chatInput({ name: 'reflections', subcommand: 'mine', as: 'member' });
      expect(h.discord.render(await mine.reply())).toMatch(new RegExp(`#${refused.id}\\b[^\\n]*hidden by a moderator`));
    } finally {
      h.discord.blockDMs('member', false);
    }
  });

  it('editing a shared reflection in an archived thread unarchives it first, and the edit carries no pingable mention', async () => {
    const { id } = await reflect('member', 'Before the edit.', { visibility: 'shared' });
    const messageId = h.ctx.reflections.getPost(id)!.messageId;
    thread.thread_metadata!.archived = true;
    const opened = await h.discord.interact.chatInput({ name: 'reflections', subcommand: 'edit', options: { id: String(id) }, as: 'member' });
    expect(JSON.stringify(opened.modal)).toContain('Before the edit.');
    const submitted = await h.discord.interact.modalSubmit({ modal: opened, values: [`After ${hostile()}`], as: 'member' });
    expect((await submitted.reply()).content).toContain('updated too');
    expect(thread.thread_metadata!.archived).toBe(false);
    expect(h.discord.message(messageId)!.embeds[0]!.description).toBe(`After ${hostile()}`);
    const edit = h.discord.requestsMatching({ method: 'PATCH', path: `/channels/${thread.id}/messages/${messageId}` }).at(-1)!;
    expect((edit.body as { allowed_mentions: { parse: string[] } }).allowed_mentions.parse).toEqual([]);
  });

  it('every message the bot wrote allowed no mention to ping', () => {
    expectNoWriteCouldPing(h.discord, 10);
  });

  it('a deleted thread is not an error: deleting the reflection still succeeds and says so', async () => {
    const gone = addThread('Week 3');
    setWeek(3, gone.id);
    const { id } = await reflect('member', 'In a thread that will vanish.', { visibility: 'shared', week: 3 });
    expect(h.ctx.reflections.getPost(id)).not.toBeNull();
    h.discord.server.channels.delete(gone.id);
    const asked = await h.discord.interact.chatInput({ name: 'reflections', subcommand: 'delete', options: { id: String(id) }, as: 'member' });
    const confirm = await asked.reply();
    const done = await h.discord.interact.button({ message: confirm, component: `reflection-delete:${id}`, as: 'member' });
    await done.settled();
    expect(h.discord.render(done.original() ?? confirm)).toContain('is deleted');
    expect(rows('SELECT id FROM reflections WHERE id = ?', id)).toEqual([]);
    // A new reflection for that week is kept, and told its thread is gone (not "nothing to change", not "later").
    const { reply } = await reflect('member', 'Shared after the thread vanished.', { visibility: 'shared', week: 3 });
    expect(reply.content).toContain('It was not posted, because week 3’s discussion thread no longer exists on Discord');
    expect(h.unhandledRejections).toEqual([]);
  });

  it('forget-me erases every row, id and ciphertext of the member, removes their posts, and reports what it did', async () => {
    const member = h.discord.ids.member;
    const posted = rows('SELECT p.message_id AS m FROM reflection_posts p JOIN reflections r ON r.id = p.reflection_id WHERE r.author_id = ?', member).map((r) => String(r.m));
    expect(posted.length).toBeGreaterThan(0);
    const ciphertexts = rows('SELECT body FROM reflections WHERE author_id = ?', member).map((r) => r.body as Buffer);
    const otherId = (await reflect('moderator', 'The moderator’s own reflection.')).id;

    const asked = await h.discord.interact.chatInput({ name: 'reflections', subcommand: 'forget-me', as: 'member' });
    const confirm = await asked.reply();
    const done = await h.discord.interact.button({ message: confirm, component: 'reflections-forget', as: 'member' });
    await done.settled();
    const summary = h.discord.render(done.original() ?? confirm);
    expect(summary).toContain('Erased');
    expect(summary).toMatch(/reflections \(with their thread posts and your reports\): (?:1 record|[2-9]\d* records|1\d+ records) erased/);
    expect(summary).toMatch(/posts in week threads: [1-9]\d* removed/);
    expect(summary).not.toMatch(/: 0 records? erased/);
    expect(summary).not.toContain('record(s)');
    expect(summary).toContain('Not reachable by the bot');
    // What stays on purpose is named as kept, not hidden behind "everything is erased".
    expect(summary).toContain('is erased, but for the one record listed as kept below');
    expect(summary).toContain('**Kept:**\n• the export log’s record of any export you ran or tried yourself');

    for (const messageId of posted) expect(h.discord.message(messageId)).toBeUndefined();
    const tables = rows("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").map((r) => String(r.name));
    for (const table of tables) expect(JSON.stringify(rows(`SELECT * FROM "${table}"`)), table).not.toContain(member);
    expect(h.ctx.reflections.get(h.discord.ids.guild, h.discord.ids.moderator, otherId).text).toBe('The moderator’s own reflection.');

    h.ctx.db.pragma('wal_checkpoint(TRUNCATE)');
    for (const file of [h.databasePath, `${h.databasePath}-wal`]) {
      if (!existsSync(file)) continue;
      const bytes = readFileSync(file);
      expect(bytes.includes(Buffer.from(member))).toBe(false);
      for (const c of ciphertexts) expect(bytes.includes(c.subarray(0, 24))).toBe(false);
    }
    expect(h.logText()).not.toContain('SECRET-OF-MEMBER');
  });
  it('/reflections mine counts up to its cap and then says "more than 1,000", with the digits grouped', async () => {
    const owner = h.discord.ids.owner;
    h.ctx.db.transaction(() => {
      for (let n = 0; n <= MINE_COUNT_CAP; n++) {
        h.ctx.reflections.create({ guildId: h.discord.ids.guild, authorId: owner, authorName: 'Owner', text: `Note ${n}`, visibility: 'private', idempotencyKey: `cap-${n}`, source: 'modal' });
      }
    })();
    const mine = await h.discord.interact.chatInput({ name: 'reflections', subcommand: 'mine', as: 'owner' });
    expect(h.discord.render(await mine.reply())).toContain('more than 1,000');
  });

  it('/settings purge-server needs Manage Server and the typed phrase, then erases all of the server’s reflection data', async () => {
    await reflect('moderator', 'Before the purge.', { visibility: 'shared' });
    const refused = await h.discord.interact.chatInput({ name: 'settings', subcommand: 'purge-server', options: { confirm: 'erase everything' }, as: 'member' });
    expect(h.discord.render(await refused.reply())).toContain('Manage Server');
    const wrongPhrase = await h.discord.interact.chatInput({ name: 'settings', subcommand: 'purge-server', options: { confirm: 'yes' }, as: 'owner' });
    expect(h.discord.render(await wrongPhrase.reply())).toContain('Nothing was erased');
    expect(rows('SELECT COUNT(*) AS n FROM reflections')[0]!.n).not.toBe(0);

    const purged = await h.discord.interact.chatInput({ name: 'settings', subcommand: 'purge-server', options: { confirm: 'Erase everything' }, as: 'owner' });
    const reply = await purged.reply();
    expect(reply.flags & MessageFlags.Ephemeral).toBe(MessageFlags.Ephemeral);
    expect(h.discord.render(reply)).toContain('Erased');
    for (const table of ['reflections', 'reflection_posts', 'reflection_reports']) expect(rows(`SELECT * FROM ${table}`), table).toEqual([]);
  });

  it('when the bot is removed from a server, its data is erased after RETENTION_DAYS_AFTER_REMOVAL (GuildDelete tracked)', async () => {
    const { id } = await reflect('member', 'Kept until the grace period ends.');
    expect(id).toBeGreaterThan(0);
    // The bot's own GuildDelete listener was registered at start, so it has run when this one fires.
    const removed = new Promise((resolve) => h.bot.client.once('guildDelete', resolve));
    h.discord.gateway.dispatch('GUILD_DELETE', { id: h.discord.ids.guild }, 1);
    await removed;
    expect(rows('SELECT removed_at FROM guild_presence WHERE guild_id = ? AND removed_at IS NOT NULL', h.discord.ids.guild)).toHaveLength(1);
    const { runRetention } = await import('../../src/reflections/retention.js');
    const deps = (days: number) => ({ reflections: h.ctx.reflections, erasers: h.ctx.erasers, clock: { now: () => new Date(Date.now() + days * 86_400_000) }, log: h.ctx.log, days: h.ctx.config.RETENTION_DAYS_AFTER_REMOVAL });
    expect(runRetention(deps(29))).toEqual([]);
    expect(rows('SELECT COUNT(*) AS n FROM reflections')[0]!.n).toBe(1);
    expect(runRetention(deps(31))).toEqual([h.discord.ids.guild]);
    expect(rows('SELECT COUNT(*) AS n FROM reflections')[0]!.n).toBe(0);
  });
});
