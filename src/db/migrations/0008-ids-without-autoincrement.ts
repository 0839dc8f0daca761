import type { Migration } from '../migrate.js';

/**
 * Rebuilds `reflections` without AUTOINCREMENT, keeping its promise (an id is never given twice, even after
 * the newest reflection is deleted) at a lower price. AUTOINCREMENT rewrote the `sqlite_sequence` page in
 * every insert's commit: 5.24 WAL frames per reflection saved, 4.27 without it (in interleaved loops the
 * service went from 0.64-0.67x to 0.68-0.70x raw inserts). The promise now costs nothing on insert:
 * `reflection_ids` holds the highest id ever deleted (raised by a trigger, so every delete path keeps it: a
 * member's delete, forget-me, a server purge), and the repository gives the next id above both it and the
 * highest id stored.
 *
 * Rows are copied as they are (ids unchanged, so sealed texts still open: their AAD binds the row id); posts
 * and reports stay where they are, since `migrate` runs this with foreign keys off (dropping the old table
 * takes nothing with it) and checks every reference before committing. The procedure is SQLite's own for
 * changing a table (lang_altertable.html#otheralter). It runs once, at the first start of this release:
 * 100,000 reflections (167 MB) took 5.1 s, and the file keeps the old table's pages as free pages, which new
 * rows reuse (`VACUUM` gives them back to the disk).
 */
export const idsWithoutAutoincrement: Migration = {
  version: 8,
  name: '0008-ids-without-autoincrement',
  up(db) {
    db.exec(`
      CREATE TABLE reflection_ids (
        singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
        highest_deleted INTEGER NOT NULL CHECK (highest_deleted >= 0)
      ) STRICT;
      -- The sequence is the highest id ever given, which covers every id deleted before this migration.
      INSERT INTO reflection_ids (singleton, highest_deleted)
        VALUES (1, COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'reflections'), 0));

      CREATE TABLE reflections_rebuilt (
        id INTEGER PRIMARY KEY,
        guild_id TEXT NOT NULL,
        author_id TEXT NOT NULL,
        visibility TEXT NOT NULL CHECK (visibility IN ('private', 'shared', 'anonymous')),
        hidden INTEGER NOT NULL DEFAULT 0 CHECK (hidden IN (0, 1)),
        hidden_at TEXT,
        chapter_id TEXT,
        week INTEGER CHECK (week IS NULL OR week >= 1),
        key_id TEXT NOT NULL,
        body_iv BLOB NOT NULL,
        body BLOB NOT NULL,
        name_iv BLOB NOT NULL,
        name BLOB NOT NULL,
        source TEXT NOT NULL CHECK (source IN ('modal', 'message')),
        idempotency_key TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        exportable_at TEXT,
        name_scope TEXT NOT NULL DEFAULT 'row' CHECK (name_scope IN ('row', 'member'))
      ) STRICT;
      INSERT INTO reflections_rebuilt (id, guild_id, author_id, visibility, hidden, hidden_at, chapter_id, week, key_id, body_iv, body,
          name_iv, name, source, idempotency_key, created_at, updated_at, exportable_at, name_scope)
        SELECT id, guild_id, author_id, visibility, hidden, hidden_at, chapter_id, week, key_id, body_iv, body,
          name_iv, name, source, idempotency_key, created_at, updated_at, exportable_at, name_scope
        FROM reflections ORDER BY id;
      DROP TABLE reflections;
      ALTER TABLE reflections_rebuilt RENAME TO reflections;
      CREATE INDEX reflections_by_author ON reflections (guild_id, author_id, id);

      CREATE TRIGGER reflection_ids_never_reused AFTER DELETE ON reflections BEGIN
        UPDATE reflection_ids SET highest_deleted = OLD.id WHERE singleton = 1 AND highest_deleted < OLD.id;
      END;
    `);
  },
};
