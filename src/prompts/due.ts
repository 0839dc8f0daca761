/**
 * Due times of the weekly prompt, computed purely from (weekday, local time, IANA zone) and an instant.
 * No timers, no clock: the scheduler and the tests pass the instant in. The rules match croner 11 (Vixie
 * cron) for a fixed-time job:
 * - a local time that does not exist (the skipped hour when clocks go forward) is due at the first valid
 *   minute after the gap, on the same day;
 * - a local time that occurs twice (the repeated hour when clocks go back) is due once, at its first
 *   occurrence.
 * A posting time is identified by its local calendar date (`slot`, YYYY-MM-DD in the group's zone), which
 * is stable across DST changes and year boundaries.
 */

export const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export interface WeeklyTime {
  /** 0 = Sunday … 6 = Saturday, as in cron and Date#getUTCDay. */
  weekday: number;
  /** 24-hour local time, "HH:MM". */
  time: string;
  /** IANA zone name, e.g. "Europe/London". */
  timezone: string;
}

export interface Occurrence {
  /** The local date of the posting time, YYYY-MM-DD: the key of a calendar slot. */
  slot: string;
  /** The instant it is due (UTC). */
  at: Date;
}

const MINUTE = 60_000;
const DAY = 86_400_000;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timezone: string): Intl.DateTimeFormat {
  let f = formatters.get(timezone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timezone, f);
  }
  return f;
}

/** True for a time-zone name this runtime knows (Node 20 ships full ICU). */
export function isValidTimeZone(timezone: string): boolean {
  if (timezone.trim() === '' || timezone !== timezone.trim()) return false;
  try {
    formatter(timezone);
    return true;
  } catch {
    return false;
  }
}

export interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** The wall-clock reading in a zone at an instant. */
export function localParts(instant: Date, timezone: string): LocalParts {
  const parts: Record<string, number> = {};
  for (const part of formatter(timezone).formatToParts(instant)) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  return {
    year: parts.year ?? 0,
    month: parts.month ?? 0,
    day: parts.day ?? 0,
    hour: (parts.hour ?? 0) % 24,
    minute: parts.minute ?? 0,
    second: parts.second ?? 0,
  };
}

/** The zone's offset from UTC at an instant, in ms (positive east of Greenwich). */
export function offsetAt(instant: Date, timezone: string): number {
  const p = localParts(instant, timezone);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  const whole = Math.floor(instant.getTime() / 1000) * 1000;
  return asUtc - whole;
}

export function parseTime(time: string): { hour: number; minute: number } | null {
  const match = /^([01]?\d|2[0-3]):([0-5]\d)$/.exec(time.trim());
  if (!match) return null;
  return { hour: Number(match[1]), minute: Number(match[2]) };
}

export function parseDate(date: string): { year: number; month: number; day: number } | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date.trim());
  if (!match) return null;
  const year = Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  const check = new Date(Date.UTC(year, month - 1, day));
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) return null;
  return { year, month, day };
}

function dateKey(utcMidnight: number): string {
  return new Date(utcMidnight).toISOString().slice(0, 10);
}

/**
 * The instant a local wall time happens in a zone: the first of two in a repeated hour, the first valid
 * minute after the gap for a time that does not exist.
 */
export function zonedInstant(timezone: string, year: number, month: number, day: number, hour: number, minute: number): Date {
  const wall = Date.UTC(year, month - 1, day, hour, minute);
  const offsets = new Set([offsetAt(new Date(wall - DAY), timezone), offsetAt(new Date(wall), timezone), offsetAt(new Date(wall + DAY), timezone)]);
  const candidates = [...offsets]
    .map((offset) => wall - offset)
    .filter((t) => {
      const p = localParts(new Date(t), timezone);
      return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute) === wall;
    })
    .sort((a, b) => a - b);
  if (candidates[0] !== undefined) return new Date(candidates[0]);
  // A gap: the wall time is skipped. Due at the transition itself, the first valid minute after the gap.
  const after = offsetAt(new Date(wall + DAY), timezone);
  let lo = wall - DAY; // offset here is the one before the change
  let hi = wall + DAY; // offset here is the one after
  while (hi - lo > MINUTE) {
    const mid = lo + Math.floor((hi - lo) / 2 / MINUTE) * MINUTE;
    if (mid === lo) break;
    if (offsetAt(new Date(mid), timezone) === after) hi = mid;
    else lo = mid;
  }
  return new Date(hi);
}

/** The posting time on one local date. */
export function occurrenceOn(schedule: WeeklyTime, slot: string): Occurrence {
  const date = parseDate(slot);
  const time = parseTime(schedule.time);
  if (!date || !time) throw new Error(`bad slot or time: ${slot} ${schedule.time}`);
  return { slot, at: zonedInstant(schedule.timezone, date.year, date.month, date.day, time.hour, time.minute) };
}

function addDays(slot: string, days: number): string {
  const date = parseDate(slot);
  if (!date) throw new Error(`bad slot: ${slot}`);
  return dateKey(Date.UTC(date.year, date.month - 1, date.day) + days * DAY);
}

/** The local date (YYYY-MM-DD) in the zone at an instant. */
export function localDate(instant: Date, timezone: string): string {
  const p = localParts(instant, timezone);
  return dateKey(Date.UTC(p.year, p.month - 1, p.day));
}

/** The first slot date on or after a local date that falls on the schedule's weekday. */
export function slotOnOrAfter(schedule: WeeklyTime, date: string): string {
  const parsed = parseDate(date);
  if (!parsed) throw new Error(`bad date: ${date}`);
  const weekday = new Date(Date.UTC(parsed.year, parsed.month - 1, parsed.day)).getUTCDay();
  return addDays(date, (schedule.weekday - weekday + 7) % 7);
}

/** The next `count` posting times strictly after an instant. */
export function nextOccurrences(schedule: WeeklyTime, after: Date, count: number): Occurrence[] {
  // Start a week early so a local date that has already begun is considered too.
  let slot = slotOnOrAfter(schedule, addDays(localDate(after, schedule.timezone), -7));
  const found: Occurrence[] = [];
  while (found.length < count) {
    const occurrence = occurrenceOn(schedule, slot);
    if (occurrence.at.getTime() > after.getTime()) found.push(occurrence);
    slot = addDays(slot, 7);
  }
  return found;
}

/** The most recent posting time at or before an instant. */
export function latestOccurrence(schedule: WeeklyTime, atOrBefore: Date): Occurrence {
  let slot = slotOnOrAfter(schedule, addDays(localDate(atOrBefore, schedule.timezone), 1));
  for (;;) {
    const occurrence = occurrenceOn(schedule, slot);
    if (occurrence.at.getTime() <= atOrBefore.getTime()) return occurrence;
    slot = addDays(slot, -7);
  }
}

/** Every posting time in (after, upTo], oldest first. */
export function occurrencesBetween(schedule: WeeklyTime, after: Date, upTo: Date): Occurrence[] {
  const found: Occurrence[] = [];
  let next = nextOccurrences(schedule, after, 1)[0];
  while (next && next.at.getTime() <= upTo.getTime()) {
    found.push(next);
    next = occurrenceOn(schedule, addDays(next.slot, 7));
  }
  return found;
}

/** The instant local midnight begins on a date (the first minute of the day if midnight is skipped). */
export function startOfLocalDate(timezone: string, date: string): Date {
  const parsed = parseDate(date);
  if (!parsed) throw new Error(`bad date: ${date}`);
  return zonedInstant(timezone, parsed.year, parsed.month, parsed.day, 0, 0);
}

/** "Sunday 8 March 2026, 19:00 (Europe/London)": how a posting time reads in the group's zone. */
export function describeLocal(instant: Date, timezone: string): string {
  const text = new Intl.DateTimeFormat('en-GB', {
    timeZone: timezone,
    weekday: 'long',
    day: 'numeric',
    month: 'long',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(instant);
  return `${text} (${timezone})`;
}

/** The cron pattern croner needs to wake the bot at the posting time (seconds field first). */
export function cronPattern(schedule: WeeklyTime): string {
  const time = parseTime(schedule.time);
  if (!time) throw new Error(`bad time: ${schedule.time}`);
  return `0 ${time.minute} ${time.hour} * * ${schedule.weekday}`;
}
