import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { Events, PermissionFlagsBits } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../../src/app.js';
import { fixedClock, type Timers } from '../../src/clock.js';
import { loadConfig } from '../../src/config.js';
import { isValidTimeZone } from '../../src/prompts/due.js';
import { createLeaseRepo } from '../../src/prompts/lease.js';
import { capturedLogger } from '../helpers/logs.js';
import { createPromptPoster } from '../../src/discord/prompt-poster.js';
import { startHarness, type Harness } from './harness.js';

/**
 * Weekly prompts end to end: the real bot and discord.js client against the local Discord. A moderator
 * sets up the schedule and posts a week; the post carries the Reflect button and a thread; a member's
 * shared reflection lands in that week's thread; missing permissions are reported once; a second copy
 * on the same database does not log in while the first holds the lease.
 */
describe('weekly prompts, end to end', () => {
  let h: Harness;
  const clock = fixedClock('2026-05-01T09:00:00Z');
  const botPosts = () => h.discord.messages(h.discord.ids.channel).filter((m) => m.author.id === h.discord.ids.bot);
  const modLogPosts = () => h.discord.messages(h.discord.ids.modLogChannel);
  /** What the bot's own cache says about sending in the prompt channel (it learns of changes over the gateway). */
  const canSend = (): boolean | undefined => {
    const channel = h.bot.client.channels.cache.get(h.discord.ids.channel);
    if (!channel || !('guild' in channel) || !channel.guild.members.me || !('permissionsFor' in channel)) return undefined;
    return channel.permissionsFor(channel.guild.members.me).has(PermissionFlagsBits.SendMessages);
  };

  beforeAll(async () => {
    h = await startHarness({ clock, env: { REFLECTIONS_KEY: randomBytes(32).toString('hex') } });
    h.ctx.settings.update(h.discord.ids.guild, { modLogChannelId: h.discord.ids.modLogChannel }, clock.now());
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('/prompt setup validates kindly and shows the next three posting times in local time and as Discord timestamps', async () => {
    const bad = await h.discord.interact.chatInput({
      name: 'prompt',
      subcommand: 'setup',
      options: { channel: h.discord.ids.channel, weekday: 'sunday', time: '7pm', timezone: 'Europe/London' },
      as: 'moderator',
    });
    const badReply = await bad.reply();
    expect(bad.ephemeral).toBe(true);
    expect(h.discord.render(badReply)).toContain('24-hour HH:MM');
    expect(h.ctx.prompts.status(h.discord.ids.guild)).toBeNull();

    const zones = await h.discord.interact.autocomplete({ name: 'prompt', subcommand: 'setup', focused: 'timezone', value: 'jerus', as: 'moderator' });
    expect(zones.choices?.map((c) => c.value)).toContain('Asia/Jerusalem');

    const setup = await h.discord.interact.chatInput({
      name: 'prompt',
      subcommand: 'setup',
      options: { channel: h.discord.ids.channel, weekday: 'sunday', time: '19:00', timezone: 'Europe/London', 'ping-role': h.discord.ids.roles.readers },
      as: 'moderator',
    });
    const text = h.discord.render(await setup.reply());
    expect(setup.ephemeral).toBe(true);
    expect(text).toContain('Sunday, 3 May 2026 at 19:00 (Europe/London)');
    expect(text).toContain('Sunday, 10 May 2026 at 19:00');
    expect(text).toContain('Sunday, 17 May 2026 at 19:00');
    expect(text).toContain(`<t:${Date.parse('2026-05-03T18:00:00Z') / 1000}:F>`);
    expect(botPosts()).toHaveLength(0);
  });

  it.each([
    ['São Paulo', 'America/Sao_Paulo'],
    ['Zürich', 'Europe/Zurich'],
    ['bogotá', 'America/Bogota'],
    ['sao paulo', 'America/Sao_Paulo'],
    ['kolkata', 'Asia/Kolkata'],
    ['kyiv', 'Europe/Kyiv'],
    ['calcutta', 'Asia/Kolkata'],
    ['utc', 'UTC'],
  ])('/prompt setup offers a zone typed “%s” (accents either side, current names), one setup accepts', async (typed, zone) => {
    const zones = await h.discord.interact.autocomplete({ name: 'prompt', subcommand: 'setup', focused: 'timezone', value: typed, as: 'moderator' });
    const offered = (zones.choices ?? []).map((c) => String(c.value));
    expect(offered).toContain(zone);
    // Node 20 lists only the old names (Asia/Calcutta, Europe/Kiev): offered once, under the current name.
    expect(offered).not.toContain('Asia/Calcutta');
    expect(offered).not.toContain('Europe/Kiev');
    expect(offered.length).toBeLessThanOrEqual(25);
    for (const value of offered) {
      expect(value.length).toBeLessThanOrEqual(100);
      expect(isValidTimeZone(value), value).toBe(true);
    }
  });

  it('a member cannot use /prompt', async () => {
    const denied = await h.discord.interact.chatInput({ name: 'prompt', subcommand: 'post-now', as: 'member' });
    expect(h.discord.render(await denied.reply())).toContain('moderator');
    expect(botPosts()).toHaveLength(0);
  });

  it('/prompt post-now posts week 1 once with a nonce, the Reflect button, only the chosen role pingable, and starts its thread', async () => {
    // Shared for week 1 before its thread exists: kept, and told it waits.
    const early = await h.discord.interact.chatInput({ name: 'reflect', options: { visibility: 'anonymous', week: 1 }, as: 'member' });
    const earlyText = 'Written before week 1 was posted.';
    const earlyReply = await (await h.discord.interact.modalSubmit({ modal: early, values: [earlyText], as: 'member' })).reply();
    expect(earlyReply.content).toContain('week 1 has no discussion thread');

    const posted = await h.discord.interact.chatInput({ name: 'prompt', subcommand: 'post-now', as: 'moderator' });
    const said = h.discord.render(await posted.reply());
    expect(said).toContain('Week 1 is posted');
    // A post by hand leaves the schedule as it is: the moderator is told which week goes out at its next time.
    expect(said).toContain('Week 2 follows at the next posting time, Sunday, 3 May 2026 at 19:00 (Europe/London)');
    expect(said).toContain('`/prompt skip` skips it');
    const posts = botPosts();
    expect(posts).toHaveLength(1);
    const create = h.discord.requestsMatching({ method: 'POST', path: `/channels/${h.discord.ids.channel}/messages` })[0]!;
    const body = create.body as Record<string, unknown>;
    expect(String(body.nonce).length).toBeLessThanOrEqual(25);
    expect(body.enforce_nonce).toBe(true);
    expect(body.allowed_mentions).toEqual({ parse: [], roles: [h.discord.ids.roles.readers], replied_user: false });
    expect(JSON.stringify(body.components)).toContain('"custom_id":"reflect-week:1"');
    const threadCreate = h.discord.requestsMatching({ method: 'POST', path: `/channels/${h.discord.ids.channel}/messages/${posts[0]!.id}/threads` });
    expect(threadCreate).toHaveLength(1);
    expect((threadCreate[0]!.body as Record<string, unknown>).auto_archive_duration).toBe(10080);
    const week = h.ctx.weeks.current(h.discord.ids.guild);
    expect(week).toMatchObject({ week: 1, messageId: posts[0]!.id, threadId: posts[0]!.id });
    // The reflection that waited goes to the thread once it is open, once.
    await h.discord.waitFor(() => h.discord.messages(posts[0]!.id).find((m) => m.embeds[0]?.description === earlyText), { what: 'the waiting reflection posted in the new thread' });
    expect(h.discord.messages(posts[0]!.id).filter((m) => m.embeds[0]?.description === earlyText)).toHaveLength(1);

    const reading = await h.discord.interact.chatInput({ name: 'reading', as: 'member' });
    const readingText = h.discord.render(await reading.reply());
    expect(readingText).toContain('Week 1 of');
    expect(readingText).toContain(`<#${posts[0]!.id}>`);
  });

  it('the Reflect button opens the reflection form for that week, and a shared reflection lands in that week’s thread', async () => {
    const post = botPosts()[0]!;
    const opened = await h.discord.interact.button({ message: post, component: 'reflect-week:1', as: 'member' });
    expect(opened.callback.type).toBe(9);
    expect(String(opened.modal?.title)).toContain('week 1');
    const submitted = await h.discord.interact.modalSubmit({ modal: opened, values: ['What stayed with me this week.'], as: 'member' });
    const confirmation = await submitted.reply();
    const id = Number(/#(\d+)/.exec(confirmation.content)?.[1]);
    expect(id).toBeGreaterThan(0);
    const share = await h.discord.interact.button({ message: confirmation, component: `reflection-vis:${id}:shared`, as: 'member' });
    await share.settled();
    const threadId = h.ctx.weeks.current(h.discord.ids.guild)!.threadId!;
    await h.discord.waitFor(() => h.discord.messages(threadId).find((m) => JSON.stringify(m).includes('What stayed with me this week.')));
    expect(h.discord.messages(threadId).filter((m) => JSON.stringify(m).includes('What stayed with me this week.'))).toHaveLength(1);
  });

  it('finds the week’s own post by its marker (the look-back) and treats 160004 as the thread it already has', async () => {
    const poster = createPromptPoster(h.bot.client, h.ctx.settings, h.ctx.log);
    const post = botPosts()[0]!;
    expect(await poster.findPosted(h.discord.ids.channel, 1, new Date(Date.now() - 3_600_000))).toBe(post.id);
    expect(await poster.findPosted(h.discord.ids.channel, 2, new Date(Date.now() - 3_600_000))).toBeNull();
    expect(await poster.startThread(h.discord.ids.channel, post.id, 'Week 1 again')).toEqual({ threadId: post.id });
    expect(h.discord.requestsMatching({ method: 'POST', path: `/channels/${h.discord.ids.channel}/messages/${post.id}/threads` }).map((r) => r.status)).toEqual([
      expect.any(Number),
      400,
    ]);
  });

  it('missing Send Messages in the channel is reported to the mod-log once, with nothing sent to the channel', async () => {
    const denied = once(h.bot.client, Events.ChannelUpdate);
    h.discord.server.setOverwrites(h.discord.ids.channel, [
      { id: h.discord.ids.roles.bot, type: 0, allow: '0', deny: PermissionFlagsBits.SendMessages.toString() },
    ]);
    await denied;
    expect(canSend()).toBe(false);
    const before = h.discord.requestsMatching({ method: 'POST', path: `/channels/${h.discord.ids.channel}/messages` }).length;
    for (let i = 0; i < 3; i += 1) {
      const attempt = await h.discord.interact.chatInput({ name: 'prompt', subcommand: 'post-now', as: 'moderator' });
      expect(h.discord.render(await attempt.reply())).toContain('Send Messages');
    }
    expect(h.discord.requestsMatching({ method: 'POST', path: `/channels/${h.discord.ids.channel}/messages` })).toHaveLength(before);
    expect(modLogPosts()).toHaveLength(1);
    expect(h.discord.render(modLogPosts())).toContain('Send Messages');
    const status = await h.discord.interact.chatInput({ name: 'prompt', subcommand: 'status', as: 'moderator' });
    const shownStatus = h.discord.render(await status.reply());
    expect(shownStatus).toContain('Send Messages');
    expect(shownStatus).toContain('Sundays at 19:00 (Europe/London)');
    expect(shownStatus).toMatch(/Week \d+ of \d+ is next/);

    const allowed = once(h.bot.client, Events.ChannelUpdate);
    h.discord.server.setOverwrites(h.discord.ids.channel, []);
    await allowed;
    expect(canSend()).toBe(true);
    const fixed = await h.discord.interact.chatInput({ name: 'prompt', subcommand: 'post-now', as: 'moderator' });
    expect(h.discord.render(await fixed.reply())).toContain('Week 2 is posted');
    expect(botPosts()).toHaveLength(2);
  });

  it('after a restart at the same moment nothing is posted again', async () => {
    await h.restart();
    await h.ctx.prompts.tick(h.discord.ids.guild);
    expect(botPosts()).toHaveLength(2);
  });

  it('a second copy on the same database does not log in while the first holds the lease, and takes over when it stops', async () => {
    const identifies = h.discord.gateway.identifies.length;
    const loaded = loadConfig({ ...h.env, DATABASE_PATH: h.databasePath });
    if (!loaded.ok) throw new Error(loaded.problems.join('; '));
    // The waiting copy's lease retries run on timers this test moves by hand: no real waiting.
    const pending: (() => void)[] = [];
    const timers: Timers = { setTimeout: (fn) => pending.push(fn), clearTimeout: () => undefined };
    let second: RunningApp | undefined;
    const starting = startApp({ config: loaded.config, log: capturedLogger('silent').log, token: loaded.config.DISCORD_TOKEN!, clock, timers, leaseHolder: 'second' }).then((app) => {
      second = app;
    });
    // Let it load the book and make its first (failed) attempt at the lease.
    for (let turn = 0; turn < 10_000 && pending.length === 0; turn += 1) await new Promise<void>((resolve) => setImmediate(resolve));
    for (let i = 0; i < 5; i += 1) {
      expect(pending.length).toBeGreaterThan(0);
      pending.splice(0).forEach((retry) => retry());
      await Promise.resolve();
    }
    expect(second).toBeUndefined();
    expect(h.discord.gateway.identifies).toHaveLength(identifies);
    expect(createLeaseRepo(h.ctx.db).get('discord')?.holder).not.toBe('second');

    await h.bot.stop(); // releases the lease
    pending.splice(0).forEach((retry) => retry());
    await starting;
    expect(second).toBeDefined();
    await second!.ready;
    expect(h.discord.gateway.identifies).toHaveLength(identifies + 1);
    await second!.ctx.prompts.tick(h.discord.ids.guild);
    expect(botPosts()).toHaveLength(2);
    await second!.stop();
  });
});
