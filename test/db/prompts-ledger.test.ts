import { describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/clock.js';
import { UserFacingError } from '../../src/errors.js';
import { localParts } from '../../src/prompts/due.js';
import { PostFailure } from '../../src/prompts/types.js';
import { join, useTempDir } from '../helpers/tmp.js';
import { CHANNEL, GUILD, fakeDiscord, makeService, memoryDb, openMigrated, plans } from './prompts-helpers.js';

const HOUR = 3_600_000;
const WEEK = 7 * 24 * HOUR;

function localHm(instant: Date, zone: string): string {
  const p = localParts(instant, zone);
  return `${String(p.hour).padStart(2, '0')}:${String(p.minute).padStart(2, '0')}`;
}

describe('weekly prompts: the ledger decides, exactly once', () => {
  const tempDir = useTempDir();

  it('runs a whole plan from start to end, one post and one thread per week, then says it is complete and can start again', async () => {
    // Wednesday 2026-09-02, London; posts on Sundays at 19:00 (BST, then GMT from 25 October).
    const clock = fixedClock('2026-09-02T10:00:00Z');
    const discord = fakeDiscord(clock);
    const service = makeService(memoryDb(), clock, discord.poster());
    const setup = service.setup(GUILD, { channelId: CHANNEL, weekday: 'sunday', time: '19:00', timezone: 'Europe/London', plan: 'by-part' });
    expect(setup.next.map((o) => o.at.toISOString())).toEqual(['2026-09-06T18:00:00.000Z', '2026-09-13T18:00:00.000Z', '2026-09-20T18:00:00.000Z']);
    const total = plans.get('by-part').weeks.length;
    expect(total).toBe(7);

    expect(await service.tick(GUILD)).toEqual({ kind: 'idle' });
    for (let week = 1; week <= total; week += 1) {
      const next = service.status(GUILD)?.nextPost;
      expect(next).toBeTruthy();
      clock.set(new Date(next!.at.getTime() - 60_000));
      expect((await service.tick(GUILD)).kind).toBe('idle');
      clock.set(next!.at);
      const result = await service.tick(GUILD);
      expect(result).toMatchObject({ kind: 'posted', week, late: false });
      expect(localHm(clock.now(), 'Europe/London')).toBe('19:00');
      clock.advance(HOUR);
      expect((await service.tick(GUILD)).kind).toBe(week === total ? 'complete' : 'idle');
    }
    expect(discord.messages.map((m) => m.week)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(discord.threads.size).toBe(7);
    expect(new Set(discord.messages.map((m) => m.post.prompt)).size).toBe(7);
    const status = service.status(GUILD)!;
    expect(status.complete).toBe(true);
    expect(status.nextPost).toBeNull();
    clock.advance(WEEK);
    expect(await service.tick(GUILD)).toEqual({ kind: 'complete' });
    expect(discord.messages).toHaveLength(7);

    // Moderators pick the other plan: it starts at week 1 at the next posting time.
    const again = service.setup(GUILD, { channelId: CHANNEL, weekday: 'sunday', time: '19:00', timezone: 'Europe/London', plan: 'by-chapter' });
    expect(again.restarted).toBe(true);
    expect(again.nextWeek).toBe(1);
    clock.set(again.next[0]!.at);
    expect(await service.tick(GUILD)).toMatchObject({ kind: 'posted', week: 1 });
    expect(discord.messages.at(-1)?.post.totalWeeks).toBe(plans.get('by-chapter').weeks.length);
  });

  for (const [zone, date, time, kind, movedTo] of [
    ['America/New_York', '2026-03-08', '02:30', 'gap', '03:00'],
    ['America/New_York', '2026-11-01', '01:30', 'repeat', null],
    ['Europe/London', '2026-03-29', '01:30', 'gap', '02:00'],
    ['Europe/London', '2026-10-25', '01:30', 'repeat', null],
    ['Asia/Jerusalem', '2026-03-27', '02:30', 'gap', '03:00'],
    ['Asia/Jerusalem', '2026-10-25', '01:30', 'repeat', null],
    ['Australia/Sydney', '2026-04-05', '02:30', 'repeat', null],
    ['Australia/Sydney', '2026-10-04', '02:30', 'gap', '03:00'],
  ] as const) {
    it(`${zone} around ${date} (${kind === 'gap' ? 'skipped hour' : 'repeated hour'}): each week once at ${time} local${movedTo ? `, the change day at ${movedTo}` : ''}`, async () => {
      const clock = fixedClock(new Date(new Date(`${date}T00:00:00Z`).getTime() - 15 * 24 * HOUR));
      const discord = fakeDiscord(clock);
      const service = makeService(memoryDb(), clock, discord.poster());
      const weekdayName = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'][new Date(`${date}T12:00:00Z`).getUTCDay()]!;
      service.setup(GUILD, { channelId: CHANNEL, weekday: weekdayName, time, timezone: zone, plan: 'by-chapter' });
      const posted: Date[] = [];
      // Wake every 15 minutes for five weeks: far more wake-ups than posts.
      for (let step = 0; step < 5 * 7 * 24 * 4; step += 1) {
        clock.advance(15 * 60_000);
        const result = await service.tick(GUILD);
        if (result.kind === 'posted') posted.push(clock.now());
      }
      expect(posted).toHaveLength(5);
      expect(discord.messages).toHaveLength(5);
      const days = posted.map((at) => localDateOf(at, zone));
      expect(new Set(days).size).toBe(5);
      expect(days).toContain(date);
      const changeDay = posted[days.indexOf(date)]!;
      for (const at of posted) {
        if (at !== changeDay) expect(localHm(at, zone)).toBe(time);
      }
      if (kind === 'gap') {
        expect(localHm(changeDay, zone)).toBe(movedTo);
      } else {
        expect(localHm(changeDay, zone)).toBe(time);
        // The first of the two: an hour later the clock shows the same time again.
        expect(localHm(new Date(changeDay.getTime() + HOUR), zone)).toBe(time);
      }
    });
  }

  it('posts a repeated hour once (New York, 01:30 on 1 November 2026), at its first occurrence', async () => {
    const clock = fixedClock('2026-10-31T12:00:00Z');
    const discord = fakeDiscord(clock);
    const service = makeService(memoryDb(), clock, discord.poster());
    service.setup(GUILD, { channelId: CHANNEL, weekday: 'sunday', time: '01:30', timezone: 'America/New_York' });
    for (let m = 0; m < 24 * 60; m += 5) {
      clock.advance(5 * 60_000);
      await service.tick(GUILD);
    }
    expect(discord.messages).toHaveLength(1);
    expect(discord.messages[0]!.createdAt.toISOString()).toBe('2026-11-01T05:30:00.000Z'); // 01:30 EDT, the first one
  });

  it('crosses a year boundary (Tokyo, Thursdays 23:30: 24 Dec, 31 Dec, 7 Jan) with one post each', async () => {
    const clock = fixedClock('2026-12-20T00:00:00Z');
    const discord = fakeDiscord(clock);
    const service = makeService(memoryDb(), clock, discord.poster());
    service.setup(GUILD, { channelId: CHANNEL, weekday: 'thursday', time: '23:30', timezone: 'Asia/Tokyo' });
    for (let h = 0; h < 24 * 21; h += 1) {
      clock.advance(HOUR / 2);
      await service.tick(GUILD);
      clock.advance(HOUR / 2);
      await service.tick(GUILD);
    }
    expect(discord.messages.map((m) => `${localDateOf(m.createdAt, 'Asia/Tokyo')} ${localHm(m.createdAt, 'Asia/Tokyo')}`)).toEqual([
      '2026-12-24 23:30',
      '2026-12-31 23:30',
      '2027-01-07 23:30',
    ]);
    expect(service.repo.listWeeks(GUILD, 1).map((w) => w.slot)).toEqual(['2026-12-24', '2026-12-31', '2027-01-07']);
  });

  it('after a three-week outage posts the missed week once, marked late, names the older missed weeks, and posts nothing more', async () => {
    const clock = fixedClock('2026-03-01T12:00:00Z');
    const discord = fakeDiscord(clock);
    const service = makeService(memoryDb(), clock, discord.poster());
    service.setup(GUILD, { channelId: CHANNEL, weekday: 'sunday', time: '19:00', timezone: 'Europe/London' });
    clock.set('2026-03-01T19:00:00Z');
    expect(await service.tick(GUILD)).toMatchObject({ kind: 'posted', week: 1, late: false });
    // Down from Monday 2 March until Sunday 22 March, 21:00: the posts of 8, 15 and 22 March were due meanwhile.
    clock.set('2026-03-22T21:00:00Z');
    const result = await service.tick(GUILD);
    expect(result).toMatchObject({ kind: 'posted', week: 2, late: true });
    expect(discord.messages).toHaveLength(2);
    const late = discord.messages[1]!.post;
    expect(late.lateNote).toContain('Posted late');
    expect(late.lateNote).toContain('Sunday, 8 March 2026; Sunday, 15 March 2026');
    expect(late.lateNote).not.toContain('22 March 2026;');
    const status = service.status(GUILD)!;
    expect(status.skipped.map((s) => [s.slot, s.reason])).toEqual([
      ['2026-03-15', 'missed'],
      ['2026-03-08', 'missed'],
    ]);
    expect(status.nextWeek).toBe(3);
    for (let i = 0; i < 5; i += 1) {
      clock.advance(HOUR);
      expect((await service.tick(GUILD)).kind).toBe('idle');
    }
    clock.set('2026-03-29T18:00:00Z'); // 19:00 BST
    expect(await service.tick(GUILD)).toMatchObject({ kind: 'posted', week: 3, late: false });
    expect(discord.messages).toHaveLength(3);
  });

  it('a restart exactly at the posting time posts once, not late, even when the timer and the start-up check race', async () => {
    const path = join(tempDir(), 'bot.sqlite');
    const clock = fixedClock('2026-05-01T09:00:00Z');
    const discord = fakeDiscord(clock);
    const first = makeService(openMigrated(path), clock, discord.poster());
    first.setup(GUILD, { channelId: CHANNEL, weekday: 'sunday', time: '19:00', timezone: 'Europe/London' });
    clock.set('2026-05-03T18:00:00Z');
    const restarted = makeService(openMigrated(path), clock, discord.poster());
    const results = await Promise.all([restarted.tick(GUILD), restarted.tick(GUILD), restarted.tick(GUILD)]);
    expect(results.filter((r) => r.kind === 'posted')).toHaveLength(1);
    expect(results.find((r) => r.kind === 'posted')).toMatchObject({ late: false, week: 1 });
    expect(discord.messages).toHaveLength(1);
  });

  it('recovers a post Discord accepted before a crash by looking back for its marker: one message, then the thread', async () => {
    const path = join(tempDir(), 'bot.sqlite');
    const clock = fixedClock('2026-05-03T18:00:00Z');
    const discord = fakeDiscord(clock);
    const before = makeService(openMigrated(path), clock, discord.poster());
    clock.set('2026-05-01T09:00:00Z');
    before.setup(GUILD, { channelId: CHANNEL, weekday: 'sunday', time: '19:00', timezone: 'Europe/London' });
    clock.set('2026-05-03T18:00:00Z');
    discord.failNextPost('accept-then-hang');
    void before.tick(GUILD); // Discord accepts the post; the process dies before the ledger hears of it.
    await Promise.resolve();
    await Promise.resolve();
    expect(discord.messages).toHaveLength(1);

    // Restart an hour later: far beyond the nonce's few minutes.
    clock.set('2026-05-03T19:00:00Z');
    const after = makeService(openMigrated(path), clock, discord.poster());
    const result = await after.tick(GUILD);
    expect(result).toMatchObject({ kind: 'posted', week: 1, adopted: true, threadId: discord.messages[0]!.id });
    expect(discord.messages).toHaveLength(1);
    expect(discord.calls.findPosted).toBe(1);
    expect(discord.threads.size).toBe(1);
    expect((await after.tick(GUILD)).kind).toBe('idle');
    expect(discord.messages).toHaveLength(1);
  });

  it('two processes on one database post once per week', async () => {
    const path = join(tempDir(), 'bot.sqlite');
    const clock = fixedClock('2026-05-01T09:00:00Z');
    const discord = fakeDiscord(clock);
    const a = makeService(openMigrated(path), clock, discord.poster());
    const b = makeService(openMigrated(path), clock, discord.poster());
    a.setup(GUILD, { channelId: CHANNEL, weekday: 'sunday', time: '19:00', timezone: 'Europe/London' });
    for (const at of ['2026-05-03T18:00:00Z', '2026-05-10T18:00:00Z', '2026-05-17T18:00:30Z']) {
      clock.set(at);
      await Promise.all([a.tick(GUILD), b.tick(GUILD), b.tick(GUILD), a.tick(GUILD)]);
    }
    expect(discord.messages.map((m) => m.week)).toEqual([1, 2, 3]);
    expect(discord.threads.size).toBe(3);
  });

  it('a 500 is retried with back-off inside the grace window, then succeeds: one message', async () => {
    const clock = fixedClock('2026-05-01T09:00:00Z');
    const discord = fakeDiscord(clock);
    const service = makeService(memoryDb(), clock, discord.poster());
    service.setup(GUILD, { channelId: CHANNEL, weekday: 'sunday', time: '19:00', timezone: 'Europe/London' });
    clock.set('2026-05-03T18:00:00Z');
    discord.failNextPost(new PostFailure('transient', 'HTTP 500'));
    const failed = await service.tick(GUILD);
    expect(failed).toMatchObject({ kind: 'failed', week: 1, retryAt: '2026-05-03T18:00:30.000Z' });
    expect(service.status(GUILD)?.lastError).toContain('HTTP 500');
    expect(await service.tick(GUILD)).toMatchObject({ kind: 'waiting' });
    expect(discord.calls.post).toBe(1);
    clock.advance(30_000);
    expect(await service.tick(GUILD)).toMatchObject({ kind: 'posted', week: 1, late: false });
    expect(discord.messages).toHaveLength(1);
    expect(service.status(GUILD)?.lastError).toBeNull();
  });

  it('a timeout after Discord accepted the post: the retry finds the post instead of sending another', async () => {
    const clock = fixedClock('2026-05-01T09:00:00Z');
    const discord = fakeDiscord(clock);
    const service = makeService(memoryDb(), clock, discord.poster());
    service.setup(GUILD, { channelId: CHANNEL, weekday: 'sunday', time: '19:00', timezone: 'Europe/London' });
    clock.set('2026-05-03T18:00:00Z');
    discord.failNextPost('accept-then-fail');
    expect((await service.tick(GUILD)).kind).toBe('failed');
    clock.advance(30_000);
    expect(await service.tick(GUILD)).toMatchObject({ kind: 'posted', adopted: true });
    expect(discord.calls.post).toBe(1);
    expect(discord.messages).toHaveLength(1);
  });

  it('when Discord keeps failing past the next posting time, the week moves to it and the missed one is named', async () => {
    const clock = fixedClock('2026-05-01T09:00:00Z');
    const discord = fakeDiscord(clock);
    const service = makeService(memoryDb(), clock, discord.poster());
    service.setup(GUILD, { channelId: CHANNEL, weekday: 'sunday', time: '19:00', timezone: 'Europe/London' });
    clock.set('2026-05-03T18:00:00Z');
    discord.failAlways(new PostFailure('transient', 'HTTP 503'));
    while (clock.now().getTime() < new Date('2026-05-10T17:59:00Z').getTime()) {
      await service.tick(GUILD);
      clock.advance(5 * 60_000);
    }
    // Back-off doubles up to a 15-minute cap: far fewer attempts than wake-ups (2016 here), and none sent twice.
    expect(discord.calls.post).toBeGreaterThan(5);
    expect(discord.calls.post).toBeLessThan(7 * 24 * 4 + 10);
    expect(discord.messages).toHaveLength(0);
    discord.failAlways(null);
    clock.set('2026-05-10T18:00:00Z');
    const result = await service.tick(GUILD);
    expect(result).toMatchObject({ kind: 'posted', week: 1 });
    const row = service.repo.getWeek(GUILD, 1, 1)!;
    expect(row.slot).toBe('2026-05-10');
    expect(row.skipped).toEqual(['2026-05-03']);
  });

  it('missing permissions (50013) are reported once to the moderators and not retried in a loop', async () => {
    const clock = fixedClock('2026-05-01T09:00:00Z');
    const discord = fakeDiscord(clock);
    const service = makeService(memoryDb(), clock, discord.poster());
    service.setup(GUILD, { channelId: CHANNEL, weekday: 'sunday', time: '19:00', timezone: 'Europe/London' });
    clock.set('2026-05-03T18:00:00Z');
    discord.failNextPost(new PostFailure('missing-permissions', 'Missing Permissions (50013)'));
    expect(await service.tick(GUILD)).toMatchObject({ kind: 'blocked', week: 1 });
    for (let i = 0; i < 30; i += 1) {
      clock.advance(60_000);
      await service.tick(GUILD);
    }
    expect(discord.calls.post).toBe(1);
    expect(discord.notices).toHaveLength(1);
    expect(discord.notices[0]).toContain('missing permissions');
    expect(service.status(GUILD)?.lastError).toContain('missing permissions');
    // A moderator fixes it and asks again: the week goes out, once.
    expect(await service.postNow(GUILD)).toMatchObject({ kind: 'posted', week: 1 });
    expect(discord.messages).toHaveLength(1);
  });

  it("the bot's own permission check names what is missing, reports once, and sends nothing until it is fixed", async () => {
    const clock = fixedClock('2026-05-01T09:00:00Z');
    const discord = fakeDiscord(clock);
    const service = makeService(memoryDb(), clock, discord.poster());
    service.setup(GUILD, { channelId: CHANNEL, weekday: 'sunday', time: '19:00', timezone: 'Europe/London' });
    clock.set('2026-05-03T18:00:00Z');
    discord.setMissing(['Send Messages', 'Create Public Threads']);
    for (let i = 0; i < 10; i += 1) {
      expect((await service.tick(GUILD)).kind).toBe('blocked');
      clock.advance(60_000);
    }
    expect(discord.calls.post).toBe(0);
    expect(discord.notices).toHaveLength(1);
    expect(discord.notices[0]).toContain('Send Messages, Create Public Threads');
    expect(service.status(GUILD)?.lastError).toContain('Create Public Threads');
    discord.setMissing([]);
    expect(await service.tick(GUILD)).toMatchObject({ kind: 'posted', week: 1 });
  });

  it('skip, pause and resume move posting times, never the reading', async () => {
    const clock = fixedClock('2026-05-01T09:00:00Z');
    const discord = fakeDiscord(clock);
    const service = makeService(memoryDb(), clock, discord.poster());
    service.setup(GUILD, { channelId: CHANNEL, weekday: 'sunday', time: '19:00', timezone: 'Europe/London' });
    expect(service.skipNext(GUILD).slot).toBe('2026-05-03');
    clock.set('2026-05-03T18:00:00Z');
    expect((await service.tick(GUILD)).kind).toBe('idle');
    clock.set('2026-05-10T18:00:00Z');
    expect(await service.tick(GUILD)).toMatchObject({ kind: 'posted', week: 1 });
    service.pause(GUILD);
    clock.set('2026-05-17T18:00:00Z');
    expect(await service.tick(GUILD)).toEqual({ kind: 'paused' });
    clock.set('2026-05-20T10:00:00Z');
    service.resume(GUILD);
    expect((await service.tick(GUILD)).kind).toBe('idle'); // the paused Sunday is not "missed"
    clock.set('2026-05-24T18:00:00Z');
    expect(await service.tick(GUILD)).toMatchObject({ kind: 'posted', week: 2, late: false });
    expect(discord.messages[1]!.post.lateNote).toBeNull();
  });

  it("moderators replace a week's prompt with their own text and restore the book's", () => {
    const clock = fixedClock('2026-05-01T09:00:00Z');
    const service = makeService(memoryDb(), clock, null);
    service.setup(GUILD, { channelId: CHANNEL, weekday: 'sunday', time: '19:00', timezone: 'Europe/London' });
    const original = plans.get('by-part').weeks[2]!.prompt;
    expect(service.setWeekText(GUILD, 3, '  Our own question for week three.  ').prompt).toBe('Our own question for week three.');
    expect(service.preview(GUILD, 3)[2]).toMatchObject({ custom: true, content: { prompt: 'Our own question for week three.' } });
    expect(service.resetWeekText(GUILD, 3)).toEqual({ content: expect.objectContaining({ prompt: original }), changed: true });
    expect(service.resetWeekText(GUILD, 3).changed).toBe(false);
    expect(() => service.setWeekText(GUILD, 99, 'x')).toThrow(UserFacingError);
    expect(() => service.setWeekText(GUILD, 2, '   ')).toThrow(UserFacingError);
  });

  it('refuses bad setup input kindly and stores nothing', () => {
    const clock = fixedClock('2026-05-01T09:00:00Z');
    const service = makeService(memoryDb(), clock, null);
    const base = { channelId: CHANNEL, weekday: 'sunday', time: '19:00', timezone: 'Europe/London' };
    for (const bad of [
      { ...base, time: '25:00' },
      { ...base, time: '7pm' },
      { ...base, timezone: 'Mars/Olympus_Mons' },
      { ...base, weekday: 'someday' },
      { ...base, start: '2026-02-30' },
      { ...base, start: '2026-04-01' },
      { ...base, plan: 'by-page' },
    ]) {
      expect(() => service.setup(GUILD, bad)).toThrow(UserFacingError);
    }
    expect(service.status(GUILD)).toBeNull();
  });

  it('a start date begins the plan at the first posting time on or after it', () => {
    const clock = fixedClock('2026-05-01T09:00:00Z');
    const service = makeService(memoryDb(), clock, null);
    const result = service.setup(GUILD, { channelId: CHANNEL, weekday: 'wednesday', time: '8:05', timezone: 'America/New_York', start: '2026-06-01' });
    expect(result.schedule.time).toBe('08:05');
    expect(result.next[0]!.slot).toBe('2026-06-03');
  });

  it('the week directory gives reflections the posted weeks with their threads, and the purge removes the server', async () => {
    const clock = fixedClock('2026-05-01T09:00:00Z');
    const discord = fakeDiscord(clock);
    const service = makeService(memoryDb(), clock, discord.poster());
    service.setup(GUILD, { channelId: CHANNEL, weekday: 'sunday', time: '19:00', timezone: 'Europe/London' });
    expect(service.directory.current(GUILD)).toBeNull();
    clock.set('2026-05-03T18:00:00Z');
    await service.tick(GUILD);
    const current = service.directory.current(GUILD)!;
    expect(current).toMatchObject({ week: 1, channelId: CHANNEL, threadId: discord.messages[0]!.id, messageId: discord.messages[0]!.id });
    expect(service.directory.get(GUILD, 1)).toEqual(current);
    expect(service.directory.get(GUILD, 2)).toBeNull();
    // A week is found by its thread too (a message saved there belongs to it), even once a later week is current.
    clock.set('2026-05-10T18:00:00Z');
    await service.tick(GUILD);
    expect(service.directory.current(GUILD)!.week).toBe(2);
    expect(service.directory.byThread(GUILD, current.threadId!)).toEqual(current);
    expect(service.directory.byThread(GUILD, CHANNEL)).toBeNull();
    expect(service.directory.byThread('100000000000000999', current.threadId!)).toBeNull();
    expect(service.eraser.forgetMember(GUILD, '300000000000000003')).toBe(0);
    expect(service.eraser.purgeGuild(GUILD)).toBeGreaterThanOrEqual(2);
    expect(service.status(GUILD)).toBeNull();
    expect(service.directory.current(GUILD)).toBeNull();
  });
});

function localDateOf(instant: Date, zone: string): string {
  const p = localParts(instant, zone);
  return `${p.year}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`;
}
