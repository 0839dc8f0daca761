import type { Db } from '../db/connection.js';

/** What a question ended as, for the ledger and the moderators' usage view. */
export type AskOutcome =
  | 'pending'
  | 'answered'
  | 'not-found'
  | 'truncated'
  | 'refusal'
  | 'timeout'
  | 'unavailable'
  | 'spend-cap'
  | 'failed'
  /** Claude was to answer, but no call was made (the bot began shutting down first): a dataset answer. */
  | 'not-sent'
  | 'no-key'
  | 'quota'
  | 'budget';

export interface TokenUsage {
  input: number;
  output: number;
  cacheCreation: number;
  cacheRead: number;
}

export const NO_TOKENS: TokenUsage = { input: 0, output: 0, cacheCreation: 0, cacheRead: 0 };

/** Everything a server is charged for: fresh input, cache writes and reads, and output. */
export function totalTokens(usage: TokenUsage): number {
  return usage.input + usage.output + usage.cacheCreation + usage.cacheRead;
}

export interface AskLimits {
  perMemberPerHour: number;
  perMemberPerDay: number;
  monthlyTokens: number;
}

/** A server's overrides; null means "the default from the environment". */
export interface AskLimitOverrides {
  perMemberPerHour: number | null;
  perMemberPerDay: number | null;
  monthlyTokens: number | null;
}

export type Reservation =
  | { ok: true; id: number }
  | { ok: false; reason: 'hour' | 'day'; limit: number; retryAt: Date }
  | { ok: false; reason: 'budget'; limit: number; spent: number; resetsAt: Date };

export interface ServerUsage {
  /** The first instant of the current calendar month (UTC) the figures cover. */
  since: Date;
  claudeAsks: number;
  datasetAsks: number;
  tokens: TokenUsage;
  total: number;
}

export interface AskUsageRepo {
  overrides(guildId: string): AskLimitOverrides;
  setOverrides(guildId: string, patch: Partial<AskLimitOverrides>, now: Date): AskLimitOverrides;
  /**
   * Checks the member's quota and the server's budget and, if both allow it, books a pending row in the
   * same IMMEDIATE transaction, so two questions at the same moment cannot both slip under a limit.
   * Calls still in flight count against the budget too, each at the server's average cost this month (at
   * least `inFlightTokens`): with only settled tokens counted, five questions at once against a budget one
   * answer uses up all reached Claude. A pending row older than PENDING_COUNTS_MS (a crash) stops counting.
   */
  reserve(guildId: string, userId: string, limits: AskLimits, now: Date, inFlightTokens?: number): Reservation;
  /** Records what a reserved call cost and how it ended. */
  settle(id: number, outcome: AskOutcome, usage: TokenUsage): void;
  /**
   * A reserved call that was never made: the row becomes what it was, a dataset answer (no member id, nothing
   * charged, not counted against the member's quota).
   */
  release(id: number, outcome: AskOutcome): void;
  /** Records a question answered from the dataset alone; no member id is kept, since nothing is charged. */
  recordDatasetAnswer(guildId: string, outcome: AskOutcome, now: Date): void;
  serverUsage(guildId: string, now: Date): ServerUsage;
  memberAsks(guildId: string, userId: string, now: Date): { lastHour: number; lastDay: number };
  forgetMember(guildId: string, userId: string): number;
  purgeGuild(guildId: string): number;
}

const HOUR_MS = 60 * 60 * 1000;
/** Longer than any /ask call may run (its deadline), so only a call that can still be running is counted. */
export const PENDING_COUNTS_MS = 15 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;

export function monthStart(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
}

export function nextMonthStart(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
}

interface CountRow {
  n: number;
}
interface SumRow {
  input: number;
  output: number;
  cacheCreation: number;
  cacheRead: number;
  claudeAsks: number;
  datasetAsks: number;
}
interface OverrideRow {
  perMemberPerHour: number | null;
  perMemberPerDay: number | null;
  monthlyTokens: number | null;
}

export function createAskUsageRepo(db: Db): AskUsageRepo {
  const selectOverrides = db.prepare<[string], OverrideRow>(
    `SELECT per_member_per_hour AS perMemberPerHour, per_member_per_day AS perMemberPerDay, monthly_tokens AS monthlyTokens
     FROM ask_limits WHERE guild_id = ?`,
  );
  const upsertOverrides = db.prepare(`
    INSERT INTO ask_limits (guild_id, per_member_per_hour, per_member_per_day, monthly_tokens, updated_at)
    VALUES (@guildId, @perMemberPerHour, @perMemberPerDay, @monthlyTokens, @updatedAt)
    ON CONFLICT(guild_id) DO UPDATE SET
      per_member_per_hour = excluded.per_member_per_hour,
      per_member_per_day = excluded.per_member_per_day,
      monthly_tokens = excluded.monthly_tokens,
      updated_at = excluded.updated_at`);
  const countMember = db.prepare<[string, string, string], CountRow>(
    `SELECT count(*) AS n FROM ask_usage WHERE guild_id = ? AND user_id = ? AND answered_by = 'claude' AND asked_at > ?`,
  );
  // The instant the member's count in a window drops below the limit: the (count - limit + 1)-th oldest ask in it.
  const nthOldest = db.prepare<[string, string, string, number], { askedAt: string }>(
    `SELECT asked_at AS askedAt FROM ask_usage
     WHERE guild_id = ? AND user_id = ? AND answered_by = 'claude' AND asked_at > ?
     ORDER BY asked_at ASC LIMIT 1 OFFSET ?`,
  );
  const sumGuild = db.prepare<[string, string], SumRow>(
    `SELECT coalesce(sum(input_tokens), 0) AS input, coalesce(sum(output_tokens), 0) AS output,
            coalesce(sum(cache_creation_tokens), 0) AS cacheCreation, coalesce(sum(cache_read_tokens), 0) AS cacheRead,
            coalesce(sum(answered_by = 'claude'), 0) AS claudeAsks, coalesce(sum(answered_by = 'dataset'), 0) AS datasetAsks
     FROM ask_usage WHERE guild_id = ? AND asked_at >= ?`,
  );
  const inFlight = db.prepare<[string, string], CountRow>(
    `SELECT count(*) AS n FROM ask_usage WHERE guild_id = ? AND answered_by = 'claude' AND outcome = 'pending' AND asked_at > ?`,
  );
  const averageCall = db.prepare<[string, string], { average: number | null }>(
    `SELECT avg(coalesce(input_tokens, 0) + coalesce(output_tokens, 0) + coalesce(cache_creation_tokens, 0) + coalesce(cache_read_tokens, 0)) AS average
     FROM ask_usage WHERE guild_id = ? AND asked_at >= ? AND answered_by = 'claude' AND outcome <> 'pending'`,
  );
  const insert = db.prepare<[string, string | null, string, string, string]>(
    `INSERT INTO ask_usage (guild_id, user_id, asked_at, answered_by, outcome) VALUES (?, ?, ?, ?, ?)`,
  );
  const update = db.prepare(
    `UPDATE ask_usage SET outcome = @outcome, input_tokens = @input, output_tokens = @output,
       cache_creation_tokens = @cacheCreation, cache_read_tokens = @cacheRead
     WHERE id = @id`,
  );
  const toDataset = db.prepare<[string, number]>(`UPDATE ask_usage SET answered_by = 'dataset', user_id = NULL, outcome = ? WHERE id = ?`);
  const forget = db.prepare<[string, string]>(`UPDATE ask_usage SET user_id = NULL WHERE guild_id = ? AND user_id = ?`);
  const deleteUsage = db.prepare<[string]>(`DELETE FROM ask_usage WHERE guild_id = ?`);
  const deleteLimits = db.prepare<[string]>(`DELETE FROM ask_limits WHERE guild_id = ?`);

  const overrides = (guildId: string): AskLimitOverrides =>
    selectOverrides.get(guildId) ?? { perMemberPerHour: null, perMemberPerDay: null, monthlyTokens: null };

  const sums = (guildId: string, now: Date): SumRow =>
    sumGuild.get(guildId, monthStart(now).toISOString()) ?? { input: 0, output: 0, cacheCreation: 0, cacheRead: 0, claudeAsks: 0, datasetAsks: 0 };

  const windowCheck = (guildId: string, userId: string, now: Date, windowMs: number, limit: number): Date | null => {
    const since = new Date(now.getTime() - windowMs).toISOString();
    const count = countMember.get(guildId, userId, since)?.n ?? 0;
    if (count < limit) return null;
    const row = nthOldest.get(guildId, userId, since, count - limit);
    return new Date((row ? new Date(row.askedAt).getTime() : now.getTime()) + windowMs);
  };

  const reserve = db.transaction((guildId: string, userId: string, limits: AskLimits, now: Date, inFlightTokens: number): Reservation => {
    const hourly = windowCheck(guildId, userId, now, HOUR_MS, limits.perMemberPerHour);
    if (hourly) return { ok: false, reason: 'hour', limit: limits.perMemberPerHour, retryAt: hourly };
    const daily = windowCheck(guildId, userId, now, DAY_MS, limits.perMemberPerDay);
    if (daily) return { ok: false, reason: 'day', limit: limits.perMemberPerDay, retryAt: daily };
    const spent = sums(guildId, now);
    const total = spent.input + spent.output + spent.cacheCreation + spent.cacheRead;
    const running = inFlight.get(guildId, new Date(now.getTime() - PENDING_COUNTS_MS).toISOString())?.n ?? 0;
    const perCall = Math.max(inFlightTokens, averageCall.get(guildId, monthStart(now).toISOString())?.average ?? 0);
    if (total + running * perCall >= limits.monthlyTokens) {
      return { ok: false, reason: 'budget', limit: limits.monthlyTokens, spent: total, resetsAt: nextMonthStart(now) };
    }
    const result = insert.run(guildId, userId, now.toISOString(), 'claude', 'pending');
    return { ok: true, id: Number(result.lastInsertRowid) };
  });

  return {
    overrides,
    setOverrides(guildId, patch, now) {
      const next: AskLimitOverrides = { ...overrides(guildId), ...patch };
      upsertOverrides.run({ guildId, ...next, updatedAt: now.toISOString() });
      return next;
    },
    reserve: (guildId, userId, limits, now, inFlightTokens = 0) => reserve.immediate(guildId, userId, limits, now, inFlightTokens),
    settle(id, outcome, usage) {
      update.run({ id, outcome, ...usage });
    },
    release(id, outcome) {
      toDataset.run(outcome, id);
    },
    recordDatasetAnswer(guildId, outcome, now) {
      insert.run(guildId, null, now.toISOString(), 'dataset', outcome);
    },
    serverUsage(guildId, now) {
      const row = sums(guildId, now);
      const tokens = { input: row.input, output: row.output, cacheCreation: row.cacheCreation, cacheRead: row.cacheRead };
      return { since: monthStart(now), claudeAsks: row.claudeAsks, datasetAsks: row.datasetAsks, tokens, total: totalTokens(tokens) };
    },
    memberAsks(guildId, userId, now) {
      const count = (windowMs: number) => countMember.get(guildId, userId, new Date(now.getTime() - windowMs).toISOString())?.n ?? 0;
      return { lastHour: count(HOUR_MS), lastDay: count(DAY_MS) };
    },
    forgetMember: (guildId, userId) => forget.run(guildId, userId).changes,
    purgeGuild: (guildId) => db.transaction(() => deleteUsage.run(guildId).changes + deleteLimits.run(guildId).changes)(),
  };
}
