import { describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/clock.js';
import { PostFailure, type PromptPoster } from '../../src/prompts/types.js';
import { CHANNEL, GUILD, fakeDiscord, makeService, memoryDb } from './prompts-helpers.js';

/**
 * A week that is claimed but cannot go out (its channel deleted, permissions missing, Discord failing) while
 * posting times pass and moderators act. Found by a review: each of these posted twice, posted against what
 * moderators were told, or let posting times pass unnamed.
 */

const NEW_CHANNEL = '200000000000000099';
const SUNDAY_LONDON = { weekday: 'sunday', time: '19:00', timezone: 'Europe/London' } as const;

function start() {
  const clock = fixedClock('2026-09-02T10:00:00Z');
  const discord = fakeDiscord(clock);
  return { clock, discord };
}

/** Sunday 19:00 in London from 2 September 2026, posting through the fake Discord. */
function scheduled() {
  const { clock, discord } = start();
  const service = makeService(memoryDb(), clock, discord.poster());
  service.setup(GUILD, { channelId: CHANNEL, ...SUNDAY_LONDON });
  return { clock, discord, service };
}

describe('weekly prompts: a week stuck in flight', () => {
  it('moves to the channel a moderator picks with /prompt setup after the old one was deleted, and the plan carries on', async () => {
    const { clock, discord } = start();
    let oldGone = false;
    const base = discord.poster();
    const poster: PromptPoster = {
      ...base,
      missingPermissions: (_g, channelId) => Promise.resolve(channelId === CHANNEL && oldGone ? ['View Channel (the channel is missing or hidden from the bot)'] : []),
      post: (post) => (post.channelId === CHANNEL && oldGone ? Promise.reject(new PostFailure('gone', 'Unknown Channel (10003)')) : base.post(post)),
    };
    const service = makeService(memoryDb(), clock, poster);
    service.setup(GUILD, { channelId: CHANNEL, ...SUNDAY_LONDON });

    oldGone = true;
    clock.set('2026-09-06T18:00:00Z'); // 19:00 in London
    expect((await service.tick(GUILD)).kind).toBe('blocked');
    expect(discord.notices).toHaveLength(1);

    clock.set('2026-09-06T18:10:00Z');
    service.setup(GUILD, { channelId: NEW_CHANNEL, ...SUNDAY_LONDON });
    expect(await service.tick(GUILD)).toMatchObject({ kind: 'posted', week: 1 });
    clock.set('2026-09-13T18:00:30Z');
    expect(await service.tick(GUILD)).toMatchObject({ kind: 'posted', week: 2 });
    expect(discord.messages.map((m) => [m.week, m.channelId])).toEqual([
      [1, NEW_CHANNEL],
      [2, NEW_CHANNEL],
    ]);
  });

  it('names every posting time it let pass when Discord kept failing, not only its own', async () => {
    const { clock, discord, service } = scheduled();
    clock.set('2026-09-06T18:00:00Z');
    discord.failNextPost(new PostFailure('transient', 'HTTP 500'));
    expect((await service.tick(GUILD)).kind).toBe('failed');
    // Then nothing until Monday 28 September: 13, 20 and 27 September have passed.
    clock.set('2026-09-28T09:00:00Z');
    expect(await service.tick(GUILD)).toMatchObject({ kind: 'posted', week: 1, late: true });
    const note = discord.messages[0]!.post.lateNote ?? '';
    expect(service.status(GUILD)!.skipped.map((s) => s.slot).sort()).toEqual(['2026-09-06', '2026-09-13', '2026-09-20']);
    expect(note).toContain('6 September 2026');
    expect(note).toContain('13 September 2026');
    expect(note).toContain('20 September 2026');
    // Not "offline": the bot was running, Discord was failing.
    expect(note).not.toContain('offline');
    expect(discord.messages).toHaveLength(1);
  });

  it('names every posting time it let pass while permissions were missing', async () => {
    const { clock, discord, service } = scheduled();
    discord.setMissing(['Send Messages']);
    for (clock.set('2026-09-06T18:00:00Z'); clock.now() < new Date('2026-09-28T09:00:00Z'); clock.advance(60 * 60_000)) {
      expect(['blocked', 'waiting', 'idle']).toContain((await service.tick(GUILD)).kind);
    }
    expect(discord.messages).toHaveLength(0);
    discord.setMissing([]);
    expect(await service.tick(GUILD)).toMatchObject({ kind: 'posted', week: 1 });
    expect(service.status(GUILD)!.skipped.map((s) => s.slot).sort()).toEqual(['2026-09-06', '2026-09-13', '2026-09-20']);
  });

  it('never moves onto a posting time a moderator skipped: it waits for the next one', async () => {
    const { clock, discord, service } = scheduled();
    clock.set('2026-09-06T18:00:00Z');
    discord.failAlways(new PostFailure('transient', 'HTTP 503'));
    expect((await service.tick(GUILD)).kind).toBe('failed');
    clock.set('2026-09-07T10:00:00Z');
    expect(service.skipNext(GUILD).slot).toBe('2026-09-13'); // "Nothing will be posted Sunday 13 September"
    for (; clock.now() < new Date('2026-09-13T18:00:00Z'); clock.advance(15 * 60_000)) await service.tick(GUILD);
    discord.failAlways(null);
    // Discord recovers just after the skipped time: nothing that day, week 1 at the next posting time.
    for (clock.set('2026-09-13T18:01:00Z'); clock.now() < new Date('2026-09-20T17:59:00Z'); clock.advance(60 * 60_000)) {
      expect((await service.tick(GUILD)).kind).not.toBe('posted');
    }
    clock.set('2026-09-20T18:00:10Z');
    expect(await service.tick(GUILD)).toMatchObject({ kind: 'posted', week: 1 });
    expect(discord.messages.map((m) => [m.week, m.createdAt.toISOString()])).toEqual([[1, '2026-09-20T18:00:10.000Z']]);
    const skips = service.status(GUILD)!.skipped.map((s) => [s.slot, s.reason]).sort();
    expect(skips).toEqual([
      ['2026-09-06', 'missed'],
      ['2026-09-13', 'moderator'],
    ]);
  });

  it('is not posted while the schedule is paused, and goes out at the first posting time after resume, the paused ones not counted as missed', async () => {
    const { clock, discord, service } = scheduled();
    discord.setMissing(['Send Messages']);
    clock.set('2026-09-06T18:00:00Z');
    expect((await service.tick(GUILD)).kind).toBe('blocked');
    clock.set('2026-09-06T20:00:00Z');
    service.pause(GUILD);
    discord.setMissing([]);
    for (clock.set('2026-09-06T21:00:00Z'); clock.now() < new Date('2026-09-22T10:00:00Z'); clock.advance(60 * 60_000)) {
      expect((await service.tick(GUILD)).kind).toBe('paused');
    }
    expect(discord.messages).toHaveLength(0);
    service.resume(GUILD); // Tuesday 22 September: the next posting time is Sunday 27th
    for (; clock.now() < new Date('2026-09-27T17:59:00Z'); clock.advance(60 * 60_000)) {
      expect((await service.tick(GUILD)).kind).not.toBe('posted');
    }
    clock.set('2026-09-27T18:00:10Z');
    expect(await service.tick(GUILD)).toMatchObject({ kind: 'posted', week: 1, late: false });
    expect(discord.messages).toHaveLength(1);
    expect(service.status(GUILD)!.skipped.map((s) => s.slot)).toEqual(['2026-09-06']);
  });

  it('after a moderator moves the day earlier, goes out once at the new day, not beside the next week', async () => {
    const { clock, discord, service } = scheduled();
    clock.set('2026-09-06T18:00:00Z');
    discord.failAlways(new PostFailure('transient', 'HTTP 503'));
    expect((await service.tick(GUILD)).kind).toBe('failed');
    clock.set('2026-09-07T10:00:00Z');
    service.setup(GUILD, { channelId: CHANNEL, weekday: 'saturday', time: '19:00', timezone: 'Europe/London' });
    for (; clock.now() < new Date('2026-09-12T18:30:00Z'); clock.advance(15 * 60_000)) await service.tick(GUILD);
    discord.failAlways(null); // half an hour after the new Saturday posting time
    for (let i = 0; i < 4; i += 1) {
      await service.tick(GUILD);
      clock.advance(60_000);
    }
    expect(discord.messages.map((m) => m.week)).toEqual([1]);
    clock.set('2026-09-19T18:00:10Z');
    expect(await service.tick(GUILD)).toMatchObject({ kind: 'posted', week: 2 });
  });
  it('after a moderator moves the time later the same day, goes out once permissions are fixed, not a week later', async () => {
    const { clock, discord, service } = scheduled();
    discord.setMissing(['Embed Links']);
    clock.set('2026-09-06T18:00:00Z'); // Sunday 19:00 in London
    expect((await service.tick(GUILD)).kind).toBe('blocked');
    clock.set('2026-09-06T18:05:00Z'); // told in the mod-log, a moderator moves today's time to 20:00
    service.setup(GUILD, { channelId: CHANNEL, ...SUNDAY_LONDON, time: '20:00' });
    expect((await service.tick(GUILD)).kind).toBe('blocked');
    clock.set('2026-09-06T19:30:00Z'); // 20:30: permissions fixed
    discord.setMissing([]);
    expect(await service.tick(GUILD)).toMatchObject({ kind: 'posted', week: 1 });
    for (let i = 0; i < 24 * 4; i += 1) {
      clock.advance(15 * 60_000);
      await service.tick(GUILD);
    }
    expect(discord.messages.map((m) => m.week)).toEqual([1]);
    expect(service.status(GUILD)!.skipped).toEqual([]);
    expect(service.status(GUILD)!.nextPost?.slot).toBe('2026-09-13');
  });
});
