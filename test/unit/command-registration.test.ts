import { DiscordAPIError } from 'discord.js';
import { describe, expect, it } from 'vitest';
import type { Timers } from '../../src/clock.js';
import { keepCommandsRegistered, MAX_REGISTRATION_RETRY_MS } from '../../src/discord/command-registration.js';
import type { SyncResult } from '../../src/discord/command-sync.js';
import { capturedLogger } from '../helpers/logs.js';

/** Timers that only record what was scheduled; the test fires them by hand. */
function recordingTimers() {
  const scheduled: { fn: () => void; ms: number; id: number; cleared: boolean }[] = [];
  const timers: Timers = {
    setTimeout(fn, ms) {
      const entry = { fn, ms, id: scheduled.length + 1, cleared: false };
      scheduled.push(entry);
      return entry.id;
    },
    clearTimeout(handle) {
      const entry = scheduled.find((t) => t.id === handle);
      if (entry) entry.cleared = true;
    },
  };
  const live = () => scheduled.filter((t) => !t.cleared);
  /** Fires the one pending timer, then lets the attempt it starts settle (its register() settles at once). */
  const fire = async () => {
    const next = live().at(-1);
    if (!next) throw new Error('nothing scheduled');
    next.cleared = true;
    next.fn();
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { timers, scheduled, live, fire };
}

const synced: SyncResult = { scope: 'global', written: true, count: 12 };
const unavailable = () => new DiscordAPIError({ message: 'Service Unavailable', code: 0 }, 0, 503, 'GET', 'https://discord.test/api/v10/applications/1/commands', {});
const missingAccess = () => new DiscordAPIError({ message: 'Missing Access', code: 50001 }, 50001, 403, 'GET', 'https://discord.test/api/v10/applications/1/guilds/2/commands', {});
const failures = (lines: string[]) => lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => String(line.msg).startsWith('command registration failed'));

describe('keepCommandsRegistered', () => {
  it('registers once and schedules nothing when the first attempt works', async () => {
    const { log, lines } = capturedLogger();
    const t = recordingTimers();
    let calls = 0;
    const registration = keepCommandsRegistered({ register: () => Promise.resolve((calls += 1, synced)), log, retryMs: 1_000, timers: t.timers });
    await registration.first;
    expect(calls).toBe(1);
    expect(t.scheduled).toEqual([]);
    expect(failures(lines)).toEqual([]);
  });

  it('settles its first attempt on failure, then retries after retryMs, doubling up to an hour, until it works', async () => {
    const { log, lines } = capturedLogger();
    const t = recordingTimers();
    let calls = 0;
    const register = () => {
      calls += 1;
      return calls <= 14 ? Promise.reject(unavailable()) : Promise.resolve(synced);
    };
    const registration = keepCommandsRegistered({ register, log, retryMs: 1_000, timers: t.timers });
    await expect(registration.first).resolves.toBeUndefined();
    expect(t.live().map((s) => s.ms)).toEqual([1_000]);
    while (calls < 15) await t.fire();
    const waits = t.scheduled.map((s) => s.ms);
    expect(waits.slice(0, 5)).toEqual([1_000, 2_000, 4_000, 8_000, 16_000]);
    expect(Math.max(...waits)).toBe(MAX_REGISTRATION_RETRY_MS);
    expect(waits.at(-1)).toBe(MAX_REGISTRATION_RETRY_MS);
    expect(t.live()).toEqual([]);
    const logged = failures(lines);
    expect(logged.map((line) => line.retryInMs)).toEqual(waits);
    expect(logged[0]).toMatchObject({ level: 50, attempt: 1, status: 503, method: 'GET' });
    expect(logged[0]).not.toHaveProperty('hint');
    expect(lines.some((line) => line.includes('command registration succeeded after a retry') && line.includes('"failedAttempts":14'))).toBe(true);
  });

  it('says how to mend a missing applications.commands scope', async () => {
    const { log, lines } = capturedLogger();
    const registration = keepCommandsRegistered({ register: () => Promise.reject(missingAccess()), log, retryMs: 1_000, timers: recordingTimers().timers });
    await registration.first;
    expect(failures(lines)[0]).toMatchObject({ code: 50001, status: 403, hint: expect.stringContaining('applications.commands') });
  });

  it('stop cancels the next attempt, and an attempt that fails after stop schedules none', async () => {
    const { log } = capturedLogger();
    const first = recordingTimers();
    const stoppedBetween = keepCommandsRegistered({ register: () => Promise.reject(unavailable()), log, retryMs: 1_000, timers: first.timers });
    await stoppedBetween.first;
    expect(first.live()).toHaveLength(1);
    stoppedBetween.stop();
    expect(first.live()).toEqual([]);

    const second = recordingTimers();
    let fail: (error: Error) => void = () => undefined;
    const stoppedDuring = keepCommandsRegistered({ register: () => new Promise<SyncResult>((_, reject) => (fail = reject)), log, retryMs: 1_000, timers: second.timers });
    stoppedDuring.stop();
    fail(unavailable());
    await stoppedDuring.first;
    expect(second.scheduled).toEqual([]);
  });
});
