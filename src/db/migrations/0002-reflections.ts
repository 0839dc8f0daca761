import type { Migration } from '../migrate.js';

/**
 * Reflections and everything they need. The text and the author's captured display name are stored only as
 * AES-256-GCM ciphertext (see src/reflections/crypto.ts); ids, timestamps and visibility stay plaintext so
 * the bot can enforce ownership and visibility in SQL.
 */
export const reflections: Migration = {
  version: 2,
  name: '0002-reflections',
  up(db) {
    db.exec(`
      CREATE TABLE reflection_keys (
        key_id TEXT PRIMARY KEY,
        canary_iv BLOB NOT NULL,
        canary BLOB NOT NULL,
        created_at TEXT NOT NULL
      ) STRICT;

      CREATE TABLE reflections (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
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
        exportable_at TEXT
      ) STRICT;
      CREATE INDEX reflections_by_author ON reflections (guild_id, author_id, id);
      CREATE INDEX reflections_by_visibility ON reflections (guild_id, visibility, id);

      CREATE TABLE reflection_posts (
        reflection_id INTEGER PRIMARY KEY REFERENCES reflections (id) ON DELETE CASCADE,
        guild_id TEXT NOT NULL,
        channel_id TEXT NOT NULL,
        message_id TEXT NOT NULL,
        posted_at TEXT NOT NULL
      ) STRICT;
      CREATE INDEX reflection_posts_by_guild ON reflection_posts (guild_id);

      CREATE TABLE reflection_reports (
        id INTEGER PRIMARY KEY,
        reflection_id INTEGER NOT NULL REFERENCES reflections (id) ON DELETE CASCADE,
        guild_id TEXT NOT NULL,
        reporter_id TEXT NOT NULL,
        created_at TEXT NOT NULL,
        UNIQUE (reflection_id, reporter_id)
      ) STRICT;
      CREATE INDEX reflection_reports_by_reporter ON reflection_reports (guild_id, reporter_id);

      CREATE TABLE guild_presence (
        guild_id TEXT PRIMARY KEY,
        removed_at TEXT
      ) STRICT;
    `);
  },
};
