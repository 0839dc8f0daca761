import { describe, expect, it } from 'vitest';
import { fixedClock, type Timers } from '../../src/clock.js';
import { hostname } from 'node:os';
import { createLeaseRepo, holdLease, isDeadLocalHolder, type HeldLease } from '../../src/prompts/lease.js';
import { capturedLogger } from '../helpers/logs.js';
import { join, useTempDir } from '../helpers/tmp.js';
import { openMigrated } from './prompts-helpers.js';

/** Timers moved by hand together with the clock: nothing waits for real. */
function manualTimers(clock: ReturnType<typeof fixedClock>) {
  let pending: { at: number; fn: () => void; id: number }[] = [];
  let nextId = 0;
  const timers: Timers = {
    setTimeout(fn, ms) {
      nextId += 1;
      pending.push({ at: clock.now().getTime() + ms, fn, id: nextId });
      return nextId;
    },
    clearTimeout(handle) {
      pending = pending.filter((t) => t.id !== handle);
    },
  };
  const runDue = () => {
    const due = pending.filter((t) => t.at <= clock.now().getTime());
    pending = pending.filter((t) => t.at > clock.now().getTime());
    for (const t of due) t.fn();
  };
  return { timers, runDue, pendingCount: () => pending.length };
}

const TTL = 3_000;

describe('single-instance lease in SQLite', () => {
  const tempDir = useTempDir();

  it('lets one of two processes on one database hold it; the other waits and takes over when it expires', async () => {
    const path = join(tempDir(), 'bot.sqlite');
    const clock = fixedClock('2026-05-01T09:00:00Z');
    const dbA = openMigrated(path);
    const dbB = openMigrated(path);
    const a = manualTimers(clock);
    const b = manualTimers(clock);
    const log = capturedLogger('silent').log;

    const leaseA = await holdLease({ repo: createLeaseRepo(dbA), holder: 'A', ttlMs: TTL, clock, timers: a.timers, log });
    let leaseB: HeldLease | undefined;
    void holdLease({ repo: createLeaseRepo(dbB), holder: 'B', ttlMs: TTL, clock, timers: b.timers, log }).then((held) => {
      leaseB = held;
    });
    let lostA = false;
    void leaseA.lost.then(() => {
      lostA = true;
    });

    // A renews every TTL/3; B keeps waiting as long as A lives.
    for (let i = 0; i < 12; i += 1) {
      clock.advance(TTL / 3);
      a.runDue();
      b.runDue();
      await Promise.resolve();
    }
    expect(leaseB).toBeUndefined();
    expect(createLeaseRepo(dbA).get('discord')?.holder).toBe('A');

    // A freezes (no more renewals). Once its lease has expired, B's next try takes it.
    for (let i = 0; i < 4; i += 1) {
      clock.advance(TTL / 3);
      b.runDue();
      await Promise.resolve();
    }
    await Promise.resolve();
    expect(leaseB?.holder).toBe('B');
    expect(createLeaseRepo(dbA).get('discord')?.holder).toBe('B');

    // A wakes up: its renewal fails, and it learns it lost the lease (startApp then stops that copy).
    a.runDue();
    await Promise.resolve();
    expect(lostA).toBe(true);
    leaseB?.release();
    dbA.close();
    dbB.close();
  });

  it('a released lease is taken at the waiting copy’s next try, without waiting for the TTL', async () => {
    const path = join(tempDir(), 'bot.sqlite');
    const clock = fixedClock('2026-05-01T09:00:00Z');
    const dbA = openMigrated(path);
    const dbB = openMigrated(path);
    const a = manualTimers(clock);
    const b = manualTimers(clock);
    const log = capturedLogger('silent').log;
    const leaseA = await holdLease({ repo: createLeaseRepo(dbA), holder: 'A', ttlMs: 60_000, clock, timers: a.timers, log });
    let leaseB: HeldLease | undefined;
    void holdLease({ repo: createLeaseRepo(dbB), holder: 'B', ttlMs: 60_000, clock, timers: b.timers, log }).then((held) => {
      leaseB = held;
    });
    leaseA.release();
    expect(a.pendingCount()).toBe(0);
    clock.advance(20_000);
    b.runDue();
    await Promise.resolve();
    expect(leaseB?.holder).toBe('B');
    dbA.close();
    dbB.close();
  });

  it('stops waiting when shut down before it ever held the lease', async () => {
    const path = join(tempDir(), 'bot.sqlite');
    const clock = fixedClock('2026-05-01T09:00:00Z');
    const db = openMigrated(path);
    const repo = createLeaseRepo(db);
    expect(repo.tryAcquire('discord', 'other', clock.now(), TTL)).toBe(true);
    const controller = new AbortController();
    const b = manualTimers(clock);
    const waiting = holdLease({ repo, holder: 'B', ttlMs: TTL, clock, timers: b.timers, log: capturedLogger('silent').log, signal: controller.signal });
    controller.abort();
    await expect(waiting).rejects.toThrow('stopped while waiting');
    expect(repo.get('discord')?.holder).toBe('other');
    db.close();
  });

  it('takes over at once from a holder on this machine whose process is gone (a restart after kill -9)', async () => {
    const path = join(tempDir(), 'bot.sqlite');
    const clock = fixedClock('2026-05-01T09:00:00Z');
    const db = openMigrated(path);
    const repo = createLeaseRepo(db);
    const killed = `${hostname()}:424242:0123abcd`;
    expect(repo.tryAcquire('discord', killed, clock.now(), 60_000)).toBe(true);
    const held = await holdLease({ repo, ttlMs: 60_000, clock, timers: manualTimers(clock).timers, log: capturedLogger('silent').log, probe: () => false });
    expect(repo.get('discord')?.holder).toBe(held.holder);
    held.release();
    db.close();
  });

  it('waits for a live holder, and never judges a holder on another machine by process id', () => {
    const alive = () => true;
    const dead = () => false;
    expect(isDeadLocalHolder(`${hostname()}:4242:0123abcd`, alive)).toBe(false);
    expect(isDeadLocalHolder(`${hostname()}:4242:0123abcd`, dead)).toBe(true);
    expect(isDeadLocalHolder('another-host:4242:0123abcd', dead)).toBe(false);
    expect(isDeadLocalHolder('A', dead)).toBe(false);
    expect(isDeadLocalHolder(`${hostname()}:${process.pid}:0123abcd`)).toBe(false);
  });
});
