import type { Migration } from '../migrate.js';

export const guildSettings: Migration = {
  version: 1,
  name: '0001-guild-settings',
  up(db) {
    db.exec(`
      CREATE TABLE guild_settings (
        guild_id TEXT PRIMARY KEY,
        moderator_role_id TEXT,
        mod_log_channel_id TEXT,
        support_note TEXT,
        updated_at TEXT NOT NULL
      ) STRICT;
    `);
  },
};
