import { createHash } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { Db } from '../db/connection.js';
import type { DataEraser } from '../erasure.js';
import { UserFacingError } from '../errors.js';
import type { Logger } from '../logger.js';
import { serialByKey } from '../serial.js';
import type { PlanWeek, WeekDirectory } from '../weeks.js';
import {
  WEEKDAYS,
  describeLocal,
  isValidTimeZone,
  latestOccurrence,
  localDate,
  nextOccurrences,
  occurrencesBetween,
  parseDate,
  parseTime,
  startOfLocalDate,
  type Occurrence,
  type WeeklyTime,
} from './due.js';
import type { Plan, PlanCatalog, PlanWeekContent } from './plan-types.js';
import { createPromptRepo, type PromptRepo, type Schedule, type Skip, type WeekRow } from './repo.js';
import { PostFailure, isPlanId, type PlanId, type PromptPost, type PromptPoster } from './types.js';

/** A post more than this long after its posting time is marked late (the bot was down or stuck). */
export const LATE_AFTER_MS = 10 * 60_000;
/** First retry after a 5xx or timeout; doubles each attempt, capped. Retries stop at the end of the grace window. */
export const RETRY_BASE_MS = 30_000;
export const RETRY_MAX_MS = 15 * 60_000;
/** After Discord itself refuses for permissions (50013) or a vanished channel: reported once, tried again only this rarely. */
export const BLOCKED_RETRY_MS = 60 * 60_000;
export const SET_WEEK_TEXT_MAX = 1500;

export interface SetupInput {
  channelId: string;
  weekday: string;
  time: string;
  timezone: string;
  plan?: string | null;
  start?: string | null;
  pingRoleId?: string | null;
}

export interface SetupResult {
  schedule: Schedule;
  plan: Plan;
  /** The next posting times (three), in order. */
  next: Occurrence[];
  /** True when setup began the plan again at week 1 (new plan, or the old one was complete). */
  restarted: boolean;
  /** The plan week the next post will carry. */
  nextWeek: number;
}

export interface StatusView {
  schedule: Schedule;
  plan: Plan;
  complete: boolean;
  /** The week the next post will carry (null when complete). */
  nextWeek: number | null;
  nextPost: Occurrence | null;
  lastPosted: WeekRow | null;
  inFlight: WeekRow | null;
  skipped: Skip[];
  lastError: string | null;
}

export interface PreviewItem {
  occurrence: Occurrence | null;
  content: PlanWeekContent;
  custom: boolean;
}

export interface ReadingView {
  plan: Plan;
  row: WeekRow | null;
  content: PlanWeekContent;
  custom: boolean;
}

export type TickResult =
  | { kind: 'idle' | 'paused' | 'complete' | 'no-schedule' | 'no-poster' }
  | { kind: 'waiting'; week: number; until: string }
  | { kind: 'blocked'; week: number; reason: string }
  | { kind: 'failed'; week: number; reason: string; retryAt: string | null }
  | { kind: 'posted'; week: number; messageId: string; threadId: string | null; late: boolean; adopted: boolean };

export interface PromptService {
  readonly repo: PromptRepo;
  readonly directory: WeekDirectory;
  readonly eraser: DataEraser;
  setPoster(poster: PromptPoster | null): void;
  /** Called with the guild id whenever a schedule changes (the scheduler re-arms its timers). */
  onChange(listener: (guildId: string) => void): () => void;
  /** The plan weeks of the current run whose discussion thread is open. */
  weeksWithThreads(guildId: string): number[];
  /** Called once a week's discussion thread is open (reflections shared for that week before it can go there now). */
  onThreadOpened(listener: (opened: { guildId: string; week: number; threadId: string }) => void): () => void;
  scheduledGuilds(): string[];
  weeklyTime(guildId: string): WeeklyTime | null;
  setup(guildId: string, input: SetupInput): SetupResult;
  status(guildId: string): StatusView | null;
  preview(guildId: string, count: number): PreviewItem[];
  reading(guildId: string): ReadingView | null;
  pause(guildId: string): Schedule;
  resume(guildId: string): Schedule;
  skipNext(guildId: string): Occurrence;
  setWeekText(guildId: string, week: number, text: string): PlanWeekContent;
  /** Back to the book's prompt; `changed` is false when the week had no text of the moderators' own. */
  resetWeekText(guildId: string, week: number): { content: PlanWeekContent; changed: boolean };
  /** Posts whatever is due (or resumes a week in flight). Serialised per server. */
  tick(guildId: string): Promise<TickResult>;
  /** A moderator's "post the next week now", or a retry of the week in flight. */
  postNow(guildId: string): Promise<TickResult>;
}

export interface PromptServiceOptions {
  db: Db;
  clock: Clock;
  log: Logger;
  plans: PlanCatalog;
}

export function weekNonce(guildId: string, run: number, week: number): string {
  return createHash('sha256').update(`prompt:${guildId}:${run}:${week}`).digest('base64url').slice(0, 25);
}

function describeDay(slot: string): string {
  const date = parseDate(slot);
  if (!date) return slot;
  return new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' }).format(
    new Date(Date.UTC(date.year, date.month - 1, date.day)),
  );
}

export function describeSkipped(slots: readonly string[], max = 8): string {
  const named = slots.slice(0, max).map(describeDay);
  const more = slots.length > max ? `, and ${slots.length - max} more` : '';
  return `${named.join('; ')}${more}`;
}

export function createPromptService(options: PromptServiceOptions): PromptService {
  const { clock, log, plans } = options;
  const repo = createPromptRepo(options.db);
  const listeners = new Set<(guildId: string) => void>();
  const threadListeners = new Set<(opened: { guildId: string; week: number; threadId: string }) => void>();
  const perGuild = serialByKey<string>();
  let poster: PromptPoster | null = null;

  const changed = (guildId: string) => {
    for (const listener of listeners) {
      try {
        listener(guildId);
      } catch (error) {
        log.error({ err: error, guildId }, 'prompt schedule listener failed');
      }
    }
  };

  const weekly = (schedule: Schedule): WeeklyTime => ({ weekday: schedule.weekday, time: schedule.time, timezone: schedule.timezone });

  const contentFor = (guildId: string, plan: Plan, week: number): { content: PlanWeekContent; custom: boolean } => {
    const base = plan.weeks[week - 1];
    if (!base) throw new UserFacingError(`The ${plan.name} plan has ${plan.weeks.length} weeks; there is no week ${week}.`);
    const text = repo.getText(guildId, plan.id, week);
    return text === null ? { content: base, custom: false } : { content: { ...base, prompt: text }, custom: true };
  };

  const requireSchedule = (guildId: string): Schedule => {
    const schedule = repo.getSchedule(guildId);
    if (!schedule) throw new UserFacingError('Weekly prompts are not set up in this server yet. Use `/prompt setup` to choose a channel, day and time.');
    return schedule;
  };

  /** The posting times still to come that will carry a week: after now (or the anchor), not skipped, not already used. */
  const upcoming = (schedule: Schedule, count: number): Occurrence[] => {
    const now = clock.now();
    const anchor = new Date(schedule.anchor);
    const from = new Date(Math.max(now.getTime(), anchor.getTime() - 1));
    const latestSlot = repo.latestSlot(schedule.guildId);
    const found: Occurrence[] = [];
    let after = from;
    for (let guard = 0; found.length < count && guard < count + 60; guard += 1) {
      const next = nextOccurrences(weekly(schedule), after, 1)[0];
      if (!next) break;
      after = next.at;
      if (latestSlot !== null && next.slot <= latestSlot) continue;
      if (repo.isSkipped(schedule.guildId, next.slot)) continue;
      found.push(next);
    }
    return found;
  };

  const nextWeekOf = (schedule: Schedule, plan: Plan): number | null => {
    const last = repo.lastWeek(schedule.guildId, schedule.run);
    const next = (last?.week ?? 0) + 1;
    return next > plan.weeks.length ? null : next;
  };

  const buildPost = (schedule: Schedule, row: WeekRow): PromptPost => {
    const plan = plans.get(row.plan);
    const content = plan.weeks[row.week - 1];
    let lateNote: string | null = null;
    // Not "the bot was offline": a week also goes out late after Discord refused it (permissions, a deleted
    // channel) or kept failing; /prompt status says which.
    if (row.late) {
      lateNote = `Posted late: it could not go out at this week's posting time (${describeLocal(new Date(row.scheduledFor), schedule.timezone)}).`;
    }
    if (row.skipped.length > 0) {
      const missed = `Posting times that passed with no post (the reading did not move on): ${describeSkipped(row.skipped)}.`;
      lateNote = lateNote ? `${lateNote}\n${missed}` : missed;
    }
    return {
      guildId: row.guildId,
      channelId: row.channelId,
      week: row.week,
      totalWeeks: plan.weeks.length,
      planName: plan.name,
      title: row.title,
      prompt: row.prompt,
      reading: content?.reading ? [...content.reading] : [],
      quotation: content?.quotation ?? null,
      contentNote: content?.contentNote ?? '',
      lateNote,
      pingRoleId: schedule.pingRoleId,
      nonce: row.nonce,
      threadName: `Week ${row.week}: ${row.title}`,
    };
  };

  const report = async (row: WeekRow, kind: string, text: string, nextAttemptAt: string | null): Promise<WeekRow> => {
    if (row.reported !== kind && poster) {
      const delivered = await poster.notifyModerators(row.guildId, text).catch((error: unknown) => {
        log.warn({ err: error, guildId: row.guildId }, 'could not tell the moderators about a prompt problem');
        return false;
      });
      log.warn({ guildId: row.guildId, week: row.week, kind, delivered }, 'weekly prompt problem reported');
    }
    return repo.recordProblem(row, { error: text, nextAttemptAt, reported: kind });
  };

  const failureOf = (error: unknown): PostFailure =>
    error instanceof PostFailure ? error : new PostFailure('transient', error instanceof Error ? error.message : String(error));

  /**
   * When a claimed week's chance at its posting time is over: the schedule's next posting time after the one
   * it was claimed for. Counted from that instant with the schedule as it is now, so a moderator's move to an
   * earlier weekday ends the window at the new day, not a week after the old one (which let the stuck week and
   * the next one go out a minute apart). An occurrence on the week's own posting date is not a next one: a time
   * moved later the same day is still this week's, and ending the window there left the week nowhere to move
   * (its own slot is taken, by itself) and silent until the week after.
   */
  const graceEndOf = (schedule: Schedule, row: WeekRow): Date =>
    nextOccurrences(weekly(schedule), new Date(row.scheduledFor), 2).find((o) => o.slot !== row.slot)!.at;

  /**
   * A week that missed its posting time moves to the latest one, and every posting time it let pass is recorded
   * as missed (its own, and any between: a week stuck for three weeks names all three). It never moves onto a
   * time a moderator skipped or one before the schedule's anchor (a pause): it waits for the next posting time.
   */
  const moveToLatestSlot = (row: WeekRow, schedule: Schedule, now: Date): { moved: WeekRow | null } | { waitUntil: Date } => {
    const due = latestOccurrence(weekly(schedule), now);
    const anchor = new Date(schedule.anchor);
    if (due.at.getTime() < anchor.getTime() || repo.isSkipped(schedule.guildId, due.slot)) {
      return { waitUntil: nextOccurrences(weekly(schedule), due.at, 1)[0]!.at };
    }
    const passed = occurrencesBetween(weekly(schedule), new Date(row.scheduledFor), new Date(due.at.getTime() - 1)).filter(
      (o) => o.at.getTime() >= anchor.getTime() && !repo.isSkipped(schedule.guildId, o.slot),
    );
    const own = row.slot === null ? [] : [{ slot: row.slot, at: new Date(row.scheduledFor) }];
    const missed = [...own, ...passed].map((o) => ({ slot: o.slot, scheduledFor: o.at.toISOString(), reason: 'missed' as const, recordedAt: now.toISOString() }));
    return { moved: repo.moveToSlot(row, { slot: due.slot, scheduledFor: due.at.toISOString(), late: now.getTime() - due.at.getTime() > LATE_AFTER_MS }, missed) };
  };

  /** Moves a week past its grace window (see moveToLatestSlot), or says how long it waits. */
  const moveOrWait = (row: WeekRow, schedule: Schedule, now: Date, plog: Logger): WeekRow | TickResult => {
    const outcome = moveToLatestSlot(row, schedule, now);
    if ('waitUntil' in outcome) {
      const until = outcome.waitUntil.toISOString();
      repo.recordProblem(row, { error: row.lastError ?? 'Waiting for the next posting time (the last one was skipped or paused).', nextAttemptAt: until });
      return { kind: 'waiting', week: row.week, until };
    }
    if (!outcome.moved) return { kind: 'idle' };
    plog.warn({ from: row.slot, to: outcome.moved.slot, missed: outcome.moved.skipped }, 'weekly prompt missed its grace window; moved to the latest posting time');
    return outcome.moved;
  };

  /** Takes a claimed or posted week as far as it can go: look-back, post, thread. */
  const advance = async (schedule: Schedule, start: WeekRow, manual: boolean): Promise<TickResult> => {
    const activePoster = poster;
    if (!activePoster) return { kind: 'no-poster' };
    let row = start;
    const now = clock.now();
    const plog = log.child({ job: 'weekly-prompt', guildId: row.guildId, run: row.run, week: row.week });

    if (row.state === 'claimed') {
      if (!manual && row.nextAttemptAt !== null && now.getTime() < new Date(row.nextAttemptAt).getTime()) {
        return { kind: 'waiting', week: row.week, until: row.nextAttemptAt };
      }
      const missing = await activePoster.missingPermissions(row.guildId, row.channelId);
      if (missing.length > 0) {
        const reason =
          `I can't post week ${row.week}'s prompt in <#${row.channelId}>: I'm missing ${missing.join(', ')} in that channel. ` +
          'Please grant them (channel settings → Permissions); I will post as soon as I can.';
        await report(row, `missing:${missing.join(',')}`, reason, null);
        return { kind: 'blocked', week: row.week, reason };
      }
      // Grace window: a scheduled week that never got out before the next posting time moves to that one.
      if (!manual && row.slot !== null && row.attempts === 0 && now.getTime() >= graceEndOf(schedule, row).getTime()) {
        const next = moveOrWait(row, schedule, now, plog);
        if ('kind' in next) return next;
        row = next;
      }
      if (row.attempts > 0) {
        // Maybe Discord accepted an earlier attempt and we crashed (or timed out) before recording it.
        const since = new Date(new Date(row.claimedAt).getTime() - 60_000);
        let found: string | null;
        try {
          found = await activePoster.findPosted(row.channelId, row.week, since);
        } catch (error) {
          const failure = failureOf(error);
          plog.warn({ err: error, kind: failure.kind }, 'look-back for an earlier post failed');
          if (failure.kind === 'missing-permissions' || failure.kind === 'gone') {
            const reason = `I couldn't check <#${row.channelId}> for week ${row.week}'s earlier post: ${failure.message}`;
            await report(row, failure.kind, reason, new Date(now.getTime() + BLOCKED_RETRY_MS).toISOString());
            return { kind: 'blocked', week: row.week, reason };
          }
          const retryAt = new Date(now.getTime() + Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** (row.attempts - 1))).toISOString();
          repo.recordProblem(row, { error: `Discord did not answer: ${failure.message}`, nextAttemptAt: retryAt });
          return { kind: 'failed', week: row.week, reason: failure.message, retryAt };
        }
        if (found !== null) {
          plog.info({ messageId: found }, 'found the week already posted before a restart; adopting it');
          row = repo.recordMessage(row, found, now.toISOString());
          return finishThread(row, activePoster, plog, true);
        }
        // Past the grace window and not posted after all: move it, then post.
        if (!manual && row.slot !== null && now.getTime() >= graceEndOf(schedule, row).getTime()) {
          const next = moveOrWait(row, schedule, now, plog);
          if ('kind' in next) return next;
          row = next;
        }
      }
      row = repo.recordAttempt(row, now.toISOString());
      try {
        const { messageId } = await activePoster.post(buildPost(schedule, row));
        row = repo.recordMessage(row, messageId, clock.now().toISOString());
        plog.info({ messageId, late: row.late, attempts: row.attempts }, 'weekly prompt posted');
      } catch (error) {
        const failure = failureOf(error);
        plog.warn({ err: error, kind: failure.kind, attempts: row.attempts }, 'weekly prompt post failed');
        if (failure.kind === 'transient') {
          const retryAt = new Date(now.getTime() + Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** (row.attempts - 1))).toISOString();
          repo.recordProblem(row, { error: `Discord did not accept the post (${failure.message}); trying again.`, nextAttemptAt: retryAt });
          return { kind: 'failed', week: row.week, reason: failure.message, retryAt };
        }
        const retryAt = new Date(now.getTime() + BLOCKED_RETRY_MS).toISOString();
        const reason =
          failure.kind === 'missing-permissions'
            ? `Discord refused week ${row.week}'s prompt in <#${row.channelId}> for missing permissions (${failure.message}). Please check the bot's permissions in that channel.`
            : failure.kind === 'gone'
              ? `The prompt channel <#${row.channelId}> seems to be gone. Please choose another with \`/prompt setup\`.`
              : `Discord rejected week ${row.week}'s prompt: ${failure.message}`;
        await report(row, failure.kind, reason, retryAt);
        return { kind: 'blocked', week: row.week, reason };
      }
    }
    return finishThread(row, activePoster, plog, false);
  };

  const finishThread = async (start: WeekRow, activePoster: PromptPoster, plog: Logger, adopted: boolean): Promise<TickResult> => {
    let row = start;
    if (row.state === 'done' || row.messageId === null) {
      return { kind: 'posted', week: row.week, messageId: row.messageId ?? '', threadId: row.threadId, late: row.late, adopted };
    }
    const now = clock.now();
    try {
      const { threadId } = await activePoster.startThread(row.channelId, row.messageId, `Week ${row.week}: ${row.title}`);
      row = repo.recordThread(row, threadId);
      plog.info({ threadId }, 'weekly prompt thread started');
      for (const listener of threadListeners) {
        try {
          listener({ guildId: row.guildId, week: row.week, threadId });
        } catch (error) {
          plog.error({ err: error }, 'thread-opened listener failed');
        }
      }
      return { kind: 'posted', week: row.week, messageId: row.messageId ?? '', threadId, late: row.late, adopted };
    } catch (error) {
      const failure = failureOf(error);
      plog.warn({ err: error, kind: failure.kind }, 'starting the weekly thread failed');
      const retryAt = new Date(now.getTime() + (failure.kind === 'transient' ? RETRY_BASE_MS : BLOCKED_RETRY_MS)).toISOString();
      if (failure.kind === 'transient') {
        repo.recordProblem(row, { error: `The week's thread could not be started yet (${failure.message}); trying again.`, nextAttemptAt: retryAt });
      } else {
        await report(row, `thread-${failure.kind}`, `I posted week ${row.week} but could not start its thread: ${failure.message}`, retryAt);
      }
      return { kind: 'failed', week: row.week, reason: failure.message, retryAt };
    }
  };

  const runDue = async (guildId: string, manual: boolean): Promise<TickResult> => {
    const schedule = repo.getSchedule(guildId);
    if (!schedule) return { kind: 'no-schedule' };
    if (!poster) return { kind: 'no-poster' };
    const open = repo.openWeek(guildId);
    // Paused means nothing is posted, a week already claimed included ("until you run /prompt resume"); a week
    // whose post is out still gets its thread.
    if (open?.state === 'claimed' && schedule.paused && !manual) return { kind: 'paused' };
    if (open) {
      if (open.state === 'posted' && !manual && open.nextAttemptAt !== null && clock.now().getTime() < new Date(open.nextAttemptAt).getTime()) {
        return { kind: 'waiting', week: open.week, until: open.nextAttemptAt };
      }
      return advance(schedule, open, manual);
    }
    if (schedule.paused && !manual) return { kind: 'paused' };
    const plan = plans.get(schedule.plan);
    const week = nextWeekOf(schedule, plan);
    if (week === null) return { kind: 'complete' };
    const now = clock.now();
    const { content } = contentFor(guildId, plan, week);

    let slot: string | null = null;
    let scheduledFor = now;
    let late = false;
    let missed: Skip[] = [];
    if (!manual) {
      const anchor = new Date(schedule.anchor);
      const due = latestOccurrence(weekly(schedule), now);
      if (due.at.getTime() < anchor.getTime()) return { kind: 'idle' };
      const latestSlot = repo.latestSlot(guildId);
      if (latestSlot !== null && due.slot <= latestSlot) return { kind: 'idle' };
      if (repo.isSkipped(guildId, due.slot)) return { kind: 'idle' };
      missed = occurrencesBetween(weekly(schedule), new Date(anchor.getTime() - 1), new Date(due.at.getTime() - 1))
        .filter((o) => (latestSlot === null || o.slot > latestSlot) && !repo.isSkipped(guildId, o.slot))
        .map((o) => ({ slot: o.slot, scheduledFor: o.at.toISOString(), reason: 'missed' as const, recordedAt: now.toISOString() }));
      slot = due.slot;
      scheduledFor = due.at;
      late = now.getTime() - due.at.getTime() > LATE_AFTER_MS;
    }
    const row = repo.claim(
      {
        guildId,
        run: schedule.run,
        week,
        plan: plan.id,
        slot,
        scheduledFor: scheduledFor.toISOString(),
        nonce: weekNonce(guildId, schedule.run, week),
        channelId: schedule.channelId,
        late,
        skipped: missed.map((m) => m.slot),
        title: content.title,
        prompt: content.prompt,
        claimedAt: now.toISOString(),
      },
      missed,
    );
    if (!row) return { kind: 'idle' };
    if (missed.length > 0) log.warn({ guildId, week, missed: missed.map((m) => m.slot) }, 'posting times missed during downtime recorded as skipped');
    return advance(schedule, row, manual);
  };

  const directoryWeek = (row: WeekRow | null): PlanWeek | null =>
    row === null
      ? null
      : {
          guildId: row.guildId,
          week: row.week,
          title: row.title,
          prompt: row.prompt,
          channelId: row.channelId,
          messageId: row.messageId,
          threadId: row.threadId,
          postedAt: row.postedAt,
        };

  const directory: WeekDirectory = {
    current: (guildId) => directoryWeek(repo.latestPosted(guildId)),
    get: (guildId, week) => {
      const run = repo.getSchedule(guildId)?.run ?? 0;
      return directoryWeek(repo.postedWeek(guildId, week, run));
    },
    byThread: (guildId, threadId) => {
      const row = repo.weekByThread(guildId, threadId);
      // A thread of an earlier run whose week number now names another week's thread belongs to neither.
      const week = row === null ? null : directory.get(guildId, row.week);
      return week?.threadId === threadId ? week : null;
    },
  };

  const eraser: DataEraser = {
    name: 'weekly prompt schedule and posts',
    forgetMember: () => 0,
    purgeGuild: (guildId) => {
      const removed = repo.purgeGuild(guildId);
      changed(guildId);
      return removed;
    },
  };

  return {
    repo,
    directory,
    eraser,
    setPoster(next) {
      poster = next;
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    weeksWithThreads(guildId) {
      const run = repo.getSchedule(guildId)?.run;
      return run === undefined ? [] : repo.listWeeks(guildId, run).filter((row) => row.threadId !== null).map((row) => row.week);
    },
    onThreadOpened(listener) {
      threadListeners.add(listener);
      return () => threadListeners.delete(listener);
    },
    scheduledGuilds: () => repo.scheduledGuilds(),
    weeklyTime(guildId) {
      const schedule = repo.getSchedule(guildId);
      return schedule && !schedule.paused ? weekly(schedule) : null;
    },

    setup(guildId, input) {
      const weekdayName = input.weekday.trim().toLowerCase();
      const weekday = (WEEKDAYS as readonly string[]).indexOf(weekdayName);
      if (weekday < 0) throw new UserFacingError(`"${input.weekday}" is not a weekday. Please choose one of ${WEEKDAYS.join(', ')}.`);
      const time = parseTime(input.time);
      if (!time) {
        throw new UserFacingError(`"${input.time}" is not a time I can read. Please write it as 24-hour HH:MM, for example 19:30 or 08:00.`);
      }
      const timezone = input.timezone.trim();
      if (!isValidTimeZone(timezone)) {
        throw new UserFacingError(
          `"${input.timezone}" is not a time zone I know. Please pick one from the list, written like Europe/London or America/New_York.`,
        );
      }
      const planInput = input.plan?.trim() ?? '';
      if (planInput !== '' && !isPlanId(planInput)) throw new UserFacingError(`"${planInput}" is not a plan. Choose by-part or by-chapter.`);
      const now = clock.now();
      let anchor = now;
      if (input.start) {
        const start = parseDate(input.start);
        if (!start) throw new UserFacingError(`"${input.start}" is not a date I can read. Please write it as YYYY-MM-DD, for example 2026-09-06.`);
        if (input.start.trim() < localDate(now, timezone)) {
          throw new UserFacingError(`${input.start} has already passed in ${timezone}. Please choose today or a later date, or leave start empty.`);
        }
        anchor = startOfLocalDate(timezone, input.start.trim());
      }
      const existing = repo.getSchedule(guildId);
      const planId: PlanId = planInput !== '' && isPlanId(planInput) ? planInput : (existing?.plan ?? 'by-part');
      const plan = plans.get(planId);
      let run = existing?.run ?? 1;
      let restarted = existing === null;
      if (existing) {
        const complete = nextWeekOf(existing, plans.get(existing.plan)) === null;
        if (existing.plan !== planId || complete) {
          run = existing.run + 1;
          restarted = true;
        }
      }
      const schedule: Schedule = {
        guildId,
        channelId: input.channelId,
        weekday,
        time: `${String(time.hour).padStart(2, '0')}:${String(time.minute).padStart(2, '0')}`,
        timezone,
        plan: planId,
        pingRoleId: input.pingRoleId ?? null,
        paused: false,
        run,
        anchor: anchor.toISOString(),
        createdAt: existing?.createdAt ?? now.toISOString(),
        updatedAt: now.toISOString(),
      };
      repo.saveSchedule(schedule);
      // A week claimed but not out yet goes where the moderator now points, and tries again at once: the bot
      // asks for exactly this when a channel is deleted, and a week left on the old channel stayed blocked,
      // with every later week behind it.
      const open = repo.openWeek(guildId);
      if (open?.state === 'claimed') repo.retarget(open, schedule.channelId);
      log.info({ guildId, plan: planId, run, weekday, time: schedule.time, timezone }, 'weekly prompt schedule set');
      changed(guildId);
      return { schedule, plan, next: upcoming(schedule, 3), restarted, nextWeek: nextWeekOf(schedule, plan) ?? 1 };
    },

    status(guildId) {
      const schedule = repo.getSchedule(guildId);
      if (!schedule) return null;
      const plan = plans.get(schedule.plan);
      const nextWeek = nextWeekOf(schedule, plan);
      const inFlight = repo.openWeek(guildId);
      const recent = repo.listWeeks(guildId, schedule.run);
      const withError = [inFlight, ...recent.slice().reverse()].find((row) => row?.lastError);
      return {
        schedule,
        plan,
        complete: nextWeek === null && inFlight === null,
        nextWeek,
        nextPost: nextWeek === null || schedule.paused ? null : (upcoming(schedule, 1)[0] ?? null),
        lastPosted: repo.latestPosted(guildId),
        inFlight,
        skipped: repo.listSkips(guildId, 10),
        lastError: withError?.lastError ?? null,
      };
    },

    preview(guildId, count) {
      const schedule = requireSchedule(guildId);
      const plan = plans.get(schedule.plan);
      const first = nextWeekOf(schedule, plan);
      if (first === null) return [];
      const weeks = Math.min(count, plan.weeks.length - first + 1);
      const times = schedule.paused ? [] : upcoming(schedule, weeks);
      return Array.from({ length: weeks }, (_, i) => {
        const { content, custom } = contentFor(guildId, plan, first + i);
        return { occurrence: times[i] ?? null, content, custom };
      });
    },

    reading(guildId) {
      const schedule = repo.getSchedule(guildId);
      const row = repo.latestPosted(guildId);
      if (!schedule && !row) return null;
      if (row) {
        const plan = plans.get(row.plan);
        const base = plan.weeks[row.week - 1];
        if (!base) return null;
        return { plan, row, content: { ...base, prompt: row.prompt }, custom: row.prompt !== base.prompt };
      }
      if (!schedule) return null;
      const plan = plans.get(schedule.plan);
      const { content, custom } = contentFor(guildId, plan, 1);
      return { plan, row: null, content, custom };
    },

    pause(guildId) {
      const schedule = requireSchedule(guildId);
      repo.setPaused(guildId, true, clock.now().toISOString());
      changed(guildId);
      return { ...schedule, paused: true };
    },

    resume(guildId) {
      const schedule = requireSchedule(guildId);
      // Posting times that passed while paused are not "missed": the plan simply resumes at the next one.
      const now = clock.now();
      const anchor = schedule.paused ? now.toISOString() : schedule.anchor;
      const next: Schedule = { ...schedule, paused: false, anchor: anchor > schedule.anchor ? anchor : schedule.anchor, updatedAt: now.toISOString() };
      repo.saveSchedule(next);
      changed(guildId);
      return next;
    },

    skipNext(guildId) {
      const schedule = requireSchedule(guildId);
      const next = upcoming(schedule, 1)[0];
      if (!next) throw new UserFacingError('There is no posting time coming up to skip.');
      repo.addSkip(guildId, { slot: next.slot, scheduledFor: next.at.toISOString(), reason: 'moderator', recordedAt: clock.now().toISOString() });
      changed(guildId);
      return next;
    },

    setWeekText(guildId, week, text) {
      const schedule = requireSchedule(guildId);
      const plan = plans.get(schedule.plan);
      const trimmed = text.trim();
      if (trimmed === '') throw new UserFacingError('The text is empty. Please write the prompt you want members to see.');
      if (Array.from(trimmed).length > SET_WEEK_TEXT_MAX) {
        throw new UserFacingError(`That text is ${Array.from(trimmed).length} characters; a week's prompt can be at most ${SET_WEEK_TEXT_MAX}.`);
      }
      contentFor(guildId, plan, week); // validates the week number
      repo.setText(guildId, plan.id, week, trimmed, clock.now().toISOString());
      return contentFor(guildId, plan, week).content;
    },

    resetWeekText(guildId, week) {
      const schedule = requireSchedule(guildId);
      const plan = plans.get(schedule.plan);
      contentFor(guildId, plan, week);
      const changed = repo.removeText(guildId, plan.id, week);
      return { content: contentFor(guildId, plan, week).content, changed };
    },

    tick: (guildId) => perGuild.run(guildId, () => runDue(guildId, false)),
    postNow: (guildId) => {
      requireSchedule(guildId);
      return perGuild.run(guildId, () => runDue(guildId, true));
    },
  };
}
