import { Cron } from 'croner';
import { describe, expect, it } from 'vitest';
import {
  cronPattern,
  isValidTimeZone,
  latestOccurrence,
  nextOccurrences,
  occurrencesBetween,
  parseTime,
  zonedInstant,
} from '../../src/prompts/due.js';

describe('due times: a pure function of (weekday, local time, zone) and an instant', () => {
  it.each([
    ['America/New_York', 2026, 3, 8, 2, 30, '2026-03-08T07:00:00.000Z'], // skipped hour → 03:00 EDT
    ['America/New_York', 2026, 11, 1, 1, 30, '2026-11-01T05:30:00.000Z'], // repeated → first (EDT)
    ['Europe/London', 2026, 3, 29, 1, 30, '2026-03-29T01:00:00.000Z'], // skipped → 02:00 BST
    ['Europe/London', 2026, 10, 25, 1, 30, '2026-10-25T00:30:00.000Z'], // repeated → BST one
    ['Asia/Jerusalem', 2026, 3, 27, 2, 30, '2026-03-27T00:00:00.000Z'], // skipped → 03:00 IDT
    ['Asia/Jerusalem', 2026, 10, 25, 1, 30, '2026-10-24T22:30:00.000Z'], // repeated → IDT one
    ['Australia/Sydney', 2026, 4, 5, 2, 30, '2026-04-04T15:30:00.000Z'], // repeated → AEDT one
    ['Australia/Sydney', 2026, 10, 4, 2, 30, '2026-10-03T16:00:00.000Z'], // skipped → 03:00 AEDT
    ['Europe/London', 2026, 7, 5, 19, 0, '2026-07-05T18:00:00.000Z'],
  ])('%s %i-%i-%i %i:%i is due at %s', (zone, y, m, d, hh, mm, expected) => {
    expect(zonedInstant(zone, y, m, d, hh, mm).toISOString()).toBe(expected);
  });

  it.each(['America/New_York', 'Europe/London', 'Asia/Jerusalem', 'Australia/Sydney', 'Asia/Kolkata', 'Pacific/Chatham', 'UTC'])(
    'agrees with croner 11 for every week of 2026 in %s, including times inside the DST hours',
    (zone) => {
      for (const time of ['00:00', '01:30', '02:00', '02:30', '02:45', '03:00', '19:00', '23:59']) {
        for (const weekday of [0, 5]) {
          const schedule = { weekday, time, timezone: zone };
          const ours = nextOccurrences(schedule, new Date('2025-12-31T00:00:00Z'), 54).map((o) => o.at.toISOString());
          const cron = new Cron(cronPattern(schedule), { timezone: zone, paused: true });
          const theirs = cron.nextRuns(54, new Date('2025-12-31T00:00:00Z')).map((d) => d.toISOString());
          cron.stop();
          expect(ours).toEqual(theirs);
        }
      }
    },
  );

  it('lists posting times across a year boundary with local-date slots in order', () => {
    const schedule = { weekday: 4, time: '23:30', timezone: 'Asia/Tokyo' };
    const found = occurrencesBetween(schedule, new Date('2026-12-20T00:00:00Z'), new Date('2027-01-10T00:00:00Z'));
    expect(found.map((o) => o.slot)).toEqual(['2026-12-24', '2026-12-31', '2027-01-07']);
    expect(found[1]!.at.toISOString()).toBe('2026-12-31T14:30:00.000Z');
  });

  it('the latest posting time at or before an instant includes the instant itself (a restart exactly on time)', () => {
    const schedule = { weekday: 0, time: '19:00', timezone: 'Europe/London' };
    expect(latestOccurrence(schedule, new Date('2026-05-03T18:00:00Z')).slot).toBe('2026-05-03');
    expect(latestOccurrence(schedule, new Date('2026-05-03T17:59:59Z')).slot).toBe('2026-04-26');
    expect(nextOccurrences(schedule, new Date('2026-05-03T18:00:00Z'), 1)[0]!.slot).toBe('2026-05-10');
  });

  it('reads times and zones kindly and strictly', () => {
    expect(parseTime('9:05')).toEqual({ hour: 9, minute: 5 });
    expect(parseTime('23:59')).toEqual({ hour: 23, minute: 59 });
    for (const bad of ['24:00', '12:60', '7pm', '', '12', '12:5']) expect(parseTime(bad)).toBeNull();
    expect(isValidTimeZone('Europe/London')).toBe(true);
    for (const bad of ['Europe/Londn', '', ' UTC', 'GMT+25']) expect(isValidTimeZone(bad)).toBe(false);
  });
});
