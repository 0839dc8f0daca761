import { z } from 'zod';
import type { Db } from '../db/connection.js';
import { EXPORT_FORMATS, type ExportFormat, type ExportScope } from './types.js';

export type ExportOutcome = 'allowed' | 'refused' | 'failed';

export interface ExportActor {
  kind: 'member' | 'operator';
  /** The member's Discord id; null for the operator's shell. */
  id: string | null;
  /** For the shell: which operator account ran it. */
  label: string | null;
}

export interface ExportLogEntry {
  id: number;
  guildId: string;
  actor: ExportActor;
  at: string;
  outcome: ExportOutcome;
  reason: string | null;
  format: ExportFormat | null;
  scope: ExportScope;
  /** True when the scope named a member who has since asked to be forgotten. */
  memberForgotten: boolean;
  since: string | null;
  pseudonymised: boolean;
  count: number | null;
  bytes: number | null;
  parts: number | null;
  sha256: string | null;
}

export type NewExportLogEntry = Omit<ExportLogEntry, 'id' | 'memberForgotten'>;

const RowSchema = z.object({
  id: z.number(),
  guildId: z.string(),
  actorKind: z.enum(['member', 'operator']),
  actorId: z.string().nullable(),
  actorLabel: z.string().nullable(),
  at: z.string(),
  outcome: z.enum(['allowed', 'refused', 'failed']),
  reason: z.string().nullable(),
  format: z.enum(EXPORT_FORMATS).nullable(),
  week: z.number().nullable(),
  from: z.string().nullable(),
  to: z.string().nullable(),
  chapterId: z.string().nullable(),
  memberId: z.string().nullable(),
  memberForgotten: z.number(),
  sinceLast: z.number(),
  since: z.string().nullable(),
  pseudonymised: z.number(),
  count: z.number().nullable(),
  bytes: z.number().nullable(),
  parts: z.number().nullable(),
  sha256: z.string().nullable(),
});

export interface ExportLogRepo {
  append(entry: NewExportLogEntry): number;
  /** How an export that was begun (logged as not finished) ended. */
  finish(id: number, ending: Pick<NewExportLogEntry, 'outcome' | 'reason' | 'count' | 'bytes' | 'parts' | 'sha256'>): void;
  /** Marks an allowed export whose delivery failed. */
  markFailed(id: number, reason: string): void;
  recent(guildId: string, limit: number): ExportLogEntry[];
  get(id: number): ExportLogEntry | null;
  /** The instant the server's previous export was taken, for since-last (null: none yet). */
  cursor(guildId: string): string | null;
  /** Moves the cursor to an export's instant, never back: an export planned earlier may be delivered later. Only for exports of everything (see coversEverything). */
  setCursor(guildId: string, since: string, logId: number): void;
  /**
   * After an export's delivery failed: if the cursor is still the one it set, puts it back to the latest export of
   * everything still delivered (or `previous`, the cursor when it was planned, whichever is later), not blindly to `previous`:
   * another export may have been delivered meanwhile.
   */
  rewindCursor(guildId: string, logId: number, previous: string | null): void;
  /** Removes a member's id from the scopes logged; returns the rows changed. */
  forgetMember(guildId: string, userId: string): number;
  purgeGuild(guildId: string): number;
}

const columns = `id, guild_id AS guildId, actor_kind AS actorKind, actor_id AS actorId, actor_label AS actorLabel,
  created_at AS at, outcome, reason, format, scope_week AS week, scope_from AS "from", scope_to AS "to",
  scope_chapter_id AS chapterId, scope_member_id AS memberId, scope_member_forgotten AS memberForgotten,
  since_last AS sinceLast, since, pseudonymised, row_count AS count, bytes, parts, sha256`;

export function createExportLogRepo(db: Db): ExportLogRepo {
  const insert = db.prepare(`
    INSERT INTO export_log (guild_id, actor_kind, actor_id, actor_label, created_at, outcome, reason, format,
      scope_week, scope_from, scope_to, scope_chapter_id, scope_member_id, since_last, since, pseudonymised,
      row_count, bytes, parts, sha256)
    VALUES (@guildId, @actorKind, @actorId, @actorLabel, @at, @outcome, @reason, @format,
      @week, @from, @to, @chapterId, @memberId, @sinceLast, @since, @pseudonymised,
      @count, @bytes, @parts, @sha256)`);
  // Only how it ended: the scope stays as forget-me may have left it while the export ran.
  const finish = db.prepare(`UPDATE export_log SET outcome = @outcome, reason = @reason, row_count = @count, bytes = @bytes, parts = @parts,
    sha256 = @sha256 WHERE id = @id`);
  const failed = db.prepare(`UPDATE export_log SET outcome = 'failed', reason = ? WHERE id = ?`);
  const recent = db.prepare(`SELECT ${columns} FROM export_log WHERE guild_id = ? ORDER BY id DESC LIMIT ?`);
  const one = db.prepare(`SELECT ${columns} FROM export_log WHERE id = ?`);
  const cursor = db.prepare<[string], { since: string }>('SELECT since FROM export_cursor WHERE guild_id = ?');
  // Two exports of a server can overlap (two moderators, or one and the shell's `npm run export`).
  const setCursor = db.prepare(`
    INSERT INTO export_cursor (guild_id, since, log_id) VALUES (?, ?, ?)
    ON CONFLICT(guild_id) DO UPDATE SET since = excluded.since, log_id = excluded.log_id WHERE excluded.since >= export_cursor.since`);
  const cursorOwner = db.prepare<[string], { logId: number }>('SELECT log_id AS logId FROM export_cursor WHERE guild_id = ?');
  const latestDelivered = db.prepare<[string, number], { id: number; at: string }>(
    `SELECT id, created_at AS at FROM export_log WHERE guild_id = ? AND outcome = 'allowed' AND id <> ?
      AND scope_week IS NULL AND scope_from IS NULL AND scope_to IS NULL AND scope_chapter_id IS NULL AND scope_member_id IS NULL
      AND scope_member_forgotten = 0
    ORDER BY created_at DESC, id DESC LIMIT 1`,
  );
  const dropCursor = db.prepare('DELETE FROM export_cursor WHERE guild_id = ?');
  const putCursor = db.prepare('UPDATE export_cursor SET since = ?, log_id = ? WHERE guild_id = ?');
  const rewind = db.transaction((guildId: string, logId: number, previous: string | null) => {
    if (cursorOwner.get(guildId)?.logId !== logId) return;
    const delivered = latestDelivered.get(guildId, logId);
    if (delivered && (previous === null || delivered.at >= previous)) putCursor.run(delivered.at, delivered.id, guildId);
    else if (previous !== null) putCursor.run(previous, 0, guildId);
    else dropCursor.run(guildId);
  });
  const forget = db.prepare(`
    UPDATE export_log SET scope_member_id = NULL, scope_member_forgotten = 1
    WHERE guild_id = ? AND scope_member_id = ?`);
  const purgeLog = db.prepare('DELETE FROM export_log WHERE guild_id = ?');
  const purgeCursor = db.prepare('DELETE FROM export_cursor WHERE guild_id = ?');

  const toEntry = (raw: unknown): ExportLogEntry => {
    const row = RowSchema.parse(raw);
    return {
      id: row.id,
      guildId: row.guildId,
      actor: { kind: row.actorKind, id: row.actorId, label: row.actorLabel },
      at: row.at,
      outcome: row.outcome,
      reason: row.reason,
      format: row.format,
      scope: { week: row.week, from: row.from, to: row.to, chapterId: row.chapterId, memberId: row.memberId, sinceLast: row.sinceLast === 1 },
      memberForgotten: row.memberForgotten === 1,
      since: row.since,
      pseudonymised: row.pseudonymised === 1,
      count: row.count,
      bytes: row.bytes,
      parts: row.parts,
      sha256: row.sha256,
    };
  };

  return {
    append(entry) {
      const result = insert.run({
        guildId: entry.guildId,
        actorKind: entry.actor.kind,
        actorId: entry.actor.id,
        actorLabel: entry.actor.label,
        at: entry.at,
        outcome: entry.outcome,
        reason: entry.reason,
        format: entry.format,
        week: entry.scope.week,
        from: entry.scope.from,
        to: entry.scope.to,
        chapterId: entry.scope.chapterId,
        memberId: entry.scope.memberId,
        sinceLast: entry.scope.sinceLast ? 1 : 0,
        since: entry.since,
        pseudonymised: entry.pseudonymised ? 1 : 0,
        count: entry.count,
        bytes: entry.bytes,
        parts: entry.parts,
        sha256: entry.sha256,
      });
      return Number(result.lastInsertRowid);
    },
    finish(id, ending) {
      finish.run({ id, outcome: ending.outcome, reason: ending.reason, count: ending.count, bytes: ending.bytes, parts: ending.parts, sha256: ending.sha256 });
    },
    markFailed(id, reason) {
      failed.run(reason, id);
    },
    recent(guildId, limit) {
      return recent.all(guildId, limit).map(toEntry);
    },
    get(id) {
      const row = one.get(id);
      return row === undefined ? null : toEntry(row);
    },
    cursor(guildId) {
      return cursor.get(guildId)?.since ?? null;
    },
    setCursor(guildId, since, logId) {
      setCursor.run(guildId, since, logId);
    },
    rewindCursor(guildId, logId, previous) {
      rewind.immediate(guildId, logId, previous);
    },
    forgetMember(guildId, userId) {
      return forget.run(guildId, userId).changes;
    },
    purgeGuild(guildId) {
      const removed = purgeLog.run(guildId).changes;
      purgeCursor.run(guildId);
      return removed;
    },
  };
}
