import type { Migration } from '../migrate.js';

/**
 * The export audit log and the since-last cursor. Every export, allowed or refused, is one row: who (a
 * member's id, or the operator's shell), when, the scope asked for, the format, how many reflections, the
 * file's SHA-256. The scope's member filter is its own column so forget-me can remove it.
 */
export const exportLog: Migration = {
  version: 4,
  name: '0004-export-log',
  up(db) {
    db.exec(`
      CREATE TABLE export_log (
        id INTEGER PRIMARY KEY,
        guild_id TEXT NOT NULL,
        actor_kind TEXT NOT NULL CHECK (actor_kind IN ('member', 'operator')),
        actor_id TEXT,
        actor_label TEXT,
        created_at TEXT NOT NULL,
        outcome TEXT NOT NULL CHECK (outcome IN ('allowed', 'refused', 'failed')),
        reason TEXT,
        format TEXT CHECK (format IS NULL OR format IN ('markdown', 'csv', 'json', 'html')),
        scope_week INTEGER,
        scope_from TEXT,
        scope_to TEXT,
        scope_chapter_id TEXT,
        scope_member_id TEXT,
        scope_member_forgotten INTEGER NOT NULL DEFAULT 0 CHECK (scope_member_forgotten IN (0, 1)),
        since_last INTEGER NOT NULL DEFAULT 0 CHECK (since_last IN (0, 1)),
        since TEXT,
        pseudonymised INTEGER NOT NULL DEFAULT 0 CHECK (pseudonymised IN (0, 1)),
        row_count INTEGER,
        bytes INTEGER,
        parts INTEGER,
        sha256 TEXT
      ) STRICT;
      CREATE INDEX export_log_by_guild ON export_log (guild_id, id);
      CREATE INDEX export_log_by_member ON export_log (guild_id, scope_member_id) WHERE scope_member_id IS NOT NULL;

      CREATE TABLE export_cursor (
        guild_id TEXT PRIMARY KEY,
        since TEXT NOT NULL,
        log_id INTEGER NOT NULL
      ) STRICT;
    `);
  },
};
