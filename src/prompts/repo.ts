import { z } from 'zod';
import type { Db } from '../db/connection.js';
import { PLAN_IDS, type PlanId } from './types.js';

export const ScheduleSchema = z.object({
  guildId: z.string(),
  channelId: z.string(),
  weekday: z.number().int().min(0).max(6),
  time: z.string(),
  timezone: z.string(),
  plan: z.enum(PLAN_IDS),
  pingRoleId: z.string().nullable(),
  paused: z.number().transform((v) => v === 1),
  run: z.number().int(),
  anchor: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Schedule = z.output<typeof ScheduleSchema>;

export type WeekState = 'claimed' | 'posted' | 'done';

export const WeekRowSchema = z.object({
  guildId: z.string(),
  run: z.number().int(),
  week: z.number().int(),
  plan: z.enum(PLAN_IDS),
  slot: z.string().nullable(),
  scheduledFor: z.string(),
  state: z.enum(['claimed', 'posted', 'done']),
  nonce: z.string(),
  channelId: z.string(),
  messageId: z.string().nullable(),
  threadId: z.string().nullable(),
  attempts: z.number().int(),
  lastError: z.string().nullable(),
  nextAttemptAt: z.string().nullable(),
  reported: z.string().nullable(),
  late: z.number().transform((v) => v === 1),
  skipped: z.string().transform((v) => z.array(z.string()).parse(JSON.parse(v))),
  title: z.string(),
  prompt: z.string(),
  claimedAt: z.string(),
  postedAt: z.string().nullable(),
});
export type WeekRow = z.output<typeof WeekRowSchema>;

export interface NewWeek {
  guildId: string;
  run: number;
  week: number;
  plan: PlanId;
  slot: string | null;
  scheduledFor: string;
  nonce: string;
  channelId: string;
  late: boolean;
  skipped: string[];
  title: string;
  prompt: string;
  claimedAt: string;
}

export interface Skip {
  slot: string;
  scheduledFor: string;
  reason: 'missed' | 'moderator';
  recordedAt: string;
}

export interface PromptRepo {
  getSchedule(guildId: string): Schedule | null;
  saveSchedule(schedule: Schedule): void;
  setPaused(guildId: string, paused: boolean, now: string): void;
  scheduledGuilds(): string[];

  openWeek(guildId: string): WeekRow | null;
  lastWeek(guildId: string, run: number): WeekRow | null;
  getWeek(guildId: string, run: number, week: number): WeekRow | null;
  latestPosted(guildId: string): WeekRow | null;
  postedWeek(guildId: string, week: number, run: number): WeekRow | null;
  /** The latest run's week whose thread this is. */
  weekByThread(guildId: string, threadId: string): WeekRow | null;
  listWeeks(guildId: string, run: number): WeekRow[];
  /** The latest posting time (local date) any week of this server was posted for. */
  latestSlot(guildId: string): string | null;
  /**
   * Claims a week in one immediate transaction, with the missed posting times it names: only if no other
   * week is in flight, the week is free and the posting time is unused. Null when someone else got there.
   */
  claim(week: NewWeek, missed: Skip[]): WeekRow | null;
  recordAttempt(row: WeekRow, now: string): WeekRow;
  recordMessage(row: WeekRow, messageId: string, now: string): WeekRow;
  recordThread(row: WeekRow, threadId: string): WeekRow;
  recordProblem(row: WeekRow, problem: { error: string; nextAttemptAt: string | null; reported?: string | null }): WeekRow;
  /** Points a claimed week at the schedule's channel (a moderator chose another) and lets it try again now. */
  retarget(row: WeekRow, channelId: string): WeekRow;
  /** Moves a never-posted week to a later posting time (its grace window ran out); the times it let pass become missed. */
  moveToSlot(row: WeekRow, to: { slot: string; scheduledFor: string; late: boolean }, missed: readonly Skip[]): WeekRow | null;

  addSkip(guildId: string, skip: Skip): boolean;
  isSkipped(guildId: string, slot: string): boolean;
  listSkips(guildId: string, limit: number): Skip[];

  getText(guildId: string, plan: PlanId, week: number): string | null;
  setText(guildId: string, plan: PlanId, week: number, text: string, now: string): void;
  removeText(guildId: string, plan: PlanId, week: number): boolean;

  purgeGuild(guildId: string): number;
}

const scheduleColumns = `guild_id AS guildId, channel_id AS channelId, weekday, time, timezone, plan, ping_role_id AS pingRoleId,
  paused, run, anchor, created_at AS createdAt, updated_at AS updatedAt`;

const weekColumns = `guild_id AS guildId, run, week, plan, slot, scheduled_for AS scheduledFor, state, nonce, channel_id AS channelId,
  message_id AS messageId, thread_id AS threadId, attempts, last_error AS lastError, next_attempt_at AS nextAttemptAt,
  reported, late, skipped, title, prompt, claimed_at AS claimedAt, posted_at AS postedAt`;

export function createPromptRepo(db: Db): PromptRepo {
  const selectSchedule = db.prepare(`SELECT ${scheduleColumns} FROM prompt_schedules WHERE guild_id = ?`);
  const upsertSchedule = db.prepare(`
    INSERT INTO prompt_schedules (guild_id, channel_id, weekday, time, timezone, plan, ping_role_id, paused, run, anchor, created_at, updated_at)
    VALUES (@guildId, @channelId, @weekday, @time, @timezone, @plan, @pingRoleId, @paused, @run, @anchor, @createdAt, @updatedAt)
    ON CONFLICT(guild_id) DO UPDATE SET channel_id = excluded.channel_id, weekday = excluded.weekday, time = excluded.time,
      timezone = excluded.timezone, plan = excluded.plan, ping_role_id = excluded.ping_role_id, paused = excluded.paused,
      run = excluded.run, anchor = excluded.anchor, updated_at = excluded.updated_at`);
  const updatePaused = db.prepare('UPDATE prompt_schedules SET paused = ?, updated_at = ? WHERE guild_id = ?');
  const selectGuilds = db
    .prepare("SELECT guild_id FROM prompt_schedules WHERE paused = 0 UNION SELECT guild_id FROM prompt_weeks WHERE state <> 'done' ORDER BY 1")
    .pluck();

  const selectOpen = db.prepare(`SELECT ${weekColumns} FROM prompt_weeks WHERE guild_id = ? AND state <> 'done' ORDER BY claimed_at DESC LIMIT 1`);
  const selectLast = db.prepare(`SELECT ${weekColumns} FROM prompt_weeks WHERE guild_id = ? AND run = ? ORDER BY week DESC LIMIT 1`);
  const selectWeek = db.prepare(`SELECT ${weekColumns} FROM prompt_weeks WHERE guild_id = ? AND run = ? AND week = ?`);
  const selectLatestPosted = db.prepare(
    `SELECT ${weekColumns} FROM prompt_weeks WHERE guild_id = ? AND message_id IS NOT NULL ORDER BY run DESC, week DESC LIMIT 1`,
  );
  const selectPostedWeek = db.prepare(
    `SELECT ${weekColumns} FROM prompt_weeks WHERE guild_id = ? AND week = ? AND message_id IS NOT NULL ORDER BY (run = ?) DESC, run DESC LIMIT 1`,
  );
  const selectWeekByThread = db.prepare(`SELECT ${weekColumns} FROM prompt_weeks WHERE guild_id = ? AND thread_id = ? ORDER BY run DESC LIMIT 1`);
  const selectWeeks = db.prepare(`SELECT ${weekColumns} FROM prompt_weeks WHERE guild_id = ? AND run = ? ORDER BY week`);
  const selectLatestSlot = db.prepare('SELECT MAX(slot) FROM prompt_weeks WHERE guild_id = ?').pluck();
  const selectSlotUsed = db.prepare('SELECT 1 FROM prompt_weeks WHERE guild_id = ? AND slot = ?').pluck();
  const insertWeek = db.prepare(`
    INSERT INTO prompt_weeks (guild_id, run, week, plan, slot, scheduled_for, state, nonce, channel_id, attempts, late, skipped, title, prompt, claimed_at)
    VALUES (@guildId, @run, @week, @plan, @slot, @scheduledFor, 'claimed', @nonce, @channelId, 0, @late, @skipped, @title, @prompt, @claimedAt)
    ON CONFLICT DO NOTHING`);
  const updateAttempt = db.prepare(
    'UPDATE prompt_weeks SET attempts = attempts + 1, next_attempt_at = NULL WHERE guild_id = ? AND run = ? AND week = ? AND state = \'claimed\'',
  );
  const updateMessage = db.prepare(
    "UPDATE prompt_weeks SET message_id = ?, posted_at = ?, state = 'posted', last_error = NULL, next_attempt_at = NULL, reported = NULL WHERE guild_id = ? AND run = ? AND week = ? AND state = 'claimed'",
  );
  const updateThread = db.prepare(
    "UPDATE prompt_weeks SET thread_id = ?, state = 'done', last_error = NULL, next_attempt_at = NULL, reported = NULL WHERE guild_id = ? AND run = ? AND week = ?",
  );
  const updateProblem = db.prepare(
    'UPDATE prompt_weeks SET last_error = ?, next_attempt_at = ?, reported = ? WHERE guild_id = ? AND run = ? AND week = ?',
  );
  // A problem already reported about the old channel is not news about the new one: it is reported afresh.
  const updateChannel = db.prepare(
    "UPDATE prompt_weeks SET reported = CASE WHEN channel_id = @channelId THEN reported ELSE NULL END, channel_id = @channelId, next_attempt_at = NULL WHERE guild_id = @guildId AND run = @run AND week = @week AND state = 'claimed'",
  );
  const updateSlot = db.prepare(
    "UPDATE prompt_weeks SET slot = ?, scheduled_for = ?, late = ?, skipped = ?, attempts = 0, next_attempt_at = NULL WHERE guild_id = ? AND run = ? AND week = ? AND state = 'claimed' AND message_id IS NULL",
  );

  const insertSkip = db.prepare(
    'INSERT INTO prompt_skips (guild_id, slot, scheduled_for, reason, recorded_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
  );
  const selectSkip = db.prepare('SELECT 1 FROM prompt_skips WHERE guild_id = ? AND slot = ?').pluck();
  const selectSkips = db.prepare(
    'SELECT slot, scheduled_for AS scheduledFor, reason, recorded_at AS recordedAt FROM prompt_skips WHERE guild_id = ? ORDER BY slot DESC LIMIT ?',
  );

  const selectText = db.prepare('SELECT text FROM prompt_texts WHERE guild_id = ? AND plan = ? AND week = ?').pluck();
  const upsertText = db.prepare(`
    INSERT INTO prompt_texts (guild_id, plan, week, text, updated_at) VALUES (?, ?, ?, ?, ?)
    ON CONFLICT(guild_id, plan, week) DO UPDATE SET text = excluded.text, updated_at = excluded.updated_at`);
  const deleteText = db.prepare('DELETE FROM prompt_texts WHERE guild_id = ? AND plan = ? AND week = ?');

  const purgeStatements = ['prompt_schedules', 'prompt_weeks', 'prompt_skips', 'prompt_texts'].map((table) =>
    db.prepare(`DELETE FROM ${table} WHERE guild_id = ?`),
  );

  const parseWeek = (row: unknown): WeekRow | null => (row === undefined ? null : WeekRowSchema.parse(row));
  const reload = (row: WeekRow): WeekRow => {
    const fresh = parseWeek(selectWeek.get(row.guildId, row.run, row.week));
    if (!fresh) throw new Error(`prompt week ${row.guildId}/${row.run}/${row.week} vanished`);
    return fresh;
  };

  const claim = db.transaction((week: NewWeek, missed: Skip[]): WeekRow | null => {
    if (selectOpen.get(week.guildId) !== undefined) return null;
    if (week.slot !== null && (selectSlotUsed.get(week.guildId, week.slot) !== undefined || selectSkip.get(week.guildId, week.slot) !== undefined)) return null;
    const result = insertWeek.run({ ...week, late: week.late ? 1 : 0, skipped: JSON.stringify(week.skipped) });
    if (result.changes === 0) return null;
    for (const skip of missed) insertSkip.run(week.guildId, skip.slot, skip.scheduledFor, skip.reason, skip.recordedAt);
    return parseWeek(selectWeek.get(week.guildId, week.run, week.week));
  });

  const moveToSlot = db.transaction((row: WeekRow, to: { slot: string; scheduledFor: string; late: boolean }, missed: readonly Skip[]): WeekRow | null => {
    if (selectSlotUsed.get(row.guildId, to.slot) !== undefined) return null;
    const skipped = [...new Set([...row.skipped, ...missed.map((m) => m.slot)])].sort();
    const result = updateSlot.run(to.slot, to.scheduledFor, to.late ? 1 : 0, JSON.stringify(skipped), row.guildId, row.run, row.week);
    if (result.changes === 0) return null;
    for (const skip of missed) insertSkip.run(row.guildId, skip.slot, skip.scheduledFor, skip.reason, skip.recordedAt);
    return reload(row);
  });

  return {
    getSchedule(guildId) {
      const row = selectSchedule.get(guildId);
      return row === undefined ? null : ScheduleSchema.parse(row);
    },
    saveSchedule(schedule) {
      upsertSchedule.run({ ...schedule, paused: schedule.paused ? 1 : 0 });
    },
    setPaused(guildId, paused, now) {
      updatePaused.run(paused ? 1 : 0, now, guildId);
    },
    scheduledGuilds: () => selectGuilds.all() as string[],

    openWeek: (guildId) => parseWeek(selectOpen.get(guildId)),
    lastWeek: (guildId, run) => parseWeek(selectLast.get(guildId, run)),
    getWeek: (guildId, run, week) => parseWeek(selectWeek.get(guildId, run, week)),
    latestPosted: (guildId) => parseWeek(selectLatestPosted.get(guildId)),
    postedWeek: (guildId, week, run) => parseWeek(selectPostedWeek.get(guildId, week, run)),
    weekByThread: (guildId, threadId) => parseWeek(selectWeekByThread.get(guildId, threadId)),
    listWeeks: (guildId, run) => selectWeeks.all(guildId, run).map((row) => WeekRowSchema.parse(row)),
    latestSlot: (guildId) => (selectLatestSlot.get(guildId) as string | null | undefined) ?? null,
    claim: (week, missed) => claim.immediate(week, missed),
    recordAttempt(row) {
      updateAttempt.run(row.guildId, row.run, row.week);
      return reload(row);
    },
    recordMessage(row, messageId, now) {
      updateMessage.run(messageId, now, row.guildId, row.run, row.week);
      return reload(row);
    },
    recordThread(row, threadId) {
      updateThread.run(threadId, row.guildId, row.run, row.week);
      return reload(row);
    },
    recordProblem(row, problem) {
      updateProblem.run(problem.error, problem.nextAttemptAt, problem.reported === undefined ? row.reported : problem.reported, row.guildId, row.run, row.week);
      return reload(row);
    },
    retarget(row, channelId) {
      updateChannel.run({ channelId, guildId: row.guildId, run: row.run, week: row.week });
      return reload(row);
    },
    moveToSlot: (row, to, missed) => moveToSlot.immediate(row, to, missed),

    addSkip(guildId, skip) {
      return insertSkip.run(guildId, skip.slot, skip.scheduledFor, skip.reason, skip.recordedAt).changes > 0;
    },
    isSkipped: (guildId, slot) => selectSkip.get(guildId, slot) !== undefined,
    listSkips: (guildId, limit) => selectSkips.all(guildId, limit) as Skip[],

    getText: (guildId, plan, week) => (selectText.get(guildId, plan, week) as string | undefined) ?? null,
    setText(guildId, plan, week, text, now) {
      upsertText.run(guildId, plan, week, text, now);
    },
    removeText: (guildId, plan, week) => deleteText.run(guildId, plan, week).changes > 0,

    purgeGuild(guildId) {
      return db.transaction(() => purgeStatements.reduce((sum, statement) => sum + statement.run(guildId).changes, 0)).immediate();
    },
  };
}
