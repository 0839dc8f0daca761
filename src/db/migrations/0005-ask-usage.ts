import type { Migration } from '../migrate.js';

/**
 * /ask: the usage ledger (one row per question that went, or was meant to go, to Claude) and the
 * per-server limits moderators set with /ask-settings.
 *
 * - `ask_usage.user_id` is NULL once the member used "forget me": the server's token totals stay right,
 *   nothing links them to the member any more. The question itself is never stored.
 * - `outcome` is 'pending' while a call runs (so two questions at once cannot both squeeze under a quota),
 *   then what happened.
 * - `ask_limits` holds overrides only; a NULL column means "the default from the environment".
 */
export const askUsage: Migration = {
  version: 5,
  name: '0005-ask-usage',
  up(db) {
    db.exec(`
      CREATE TABLE ask_usage (
        id INTEGER PRIMARY KEY,
        guild_id TEXT NOT NULL,
        user_id TEXT,
        asked_at TEXT NOT NULL,
        answered_by TEXT NOT NULL CHECK (answered_by IN ('claude', 'dataset')),
        outcome TEXT NOT NULL,
        input_tokens INTEGER NOT NULL DEFAULT 0 CHECK (input_tokens >= 0),
        output_tokens INTEGER NOT NULL DEFAULT 0 CHECK (output_tokens >= 0),
        cache_creation_tokens INTEGER NOT NULL DEFAULT 0 CHECK (cache_creation_tokens >= 0),
        cache_read_tokens INTEGER NOT NULL DEFAULT 0 CHECK (cache_read_tokens >= 0)
      ) STRICT;
      CREATE INDEX ask_usage_by_member ON ask_usage (guild_id, user_id, asked_at);
      CREATE INDEX ask_usage_by_guild ON ask_usage (guild_id, asked_at);

      CREATE TABLE ask_limits (
        guild_id TEXT PRIMARY KEY,
        per_member_per_hour INTEGER CHECK (per_member_per_hour IS NULL OR per_member_per_hour >= 0),
        per_member_per_day INTEGER CHECK (per_member_per_day IS NULL OR per_member_per_day >= 0),
        monthly_tokens INTEGER CHECK (monthly_tokens IS NULL OR monthly_tokens >= 0),
        updated_at TEXT NOT NULL
      ) STRICT;
    `);
  },
};
