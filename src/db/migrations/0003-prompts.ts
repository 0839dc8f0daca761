import type { Migration } from '../migrate.js';

/**
 * The weekly prompts: one schedule per server, the ledger of plan weeks (the truth about what was posted;
 * the timer only wakes the bot), moderators' own texts for weeks, posting times skipped on purpose or
 * missed in downtime, and the single-instance lease.
 */
export const prompts: Migration = {
  version: 3,
  name: '0003-prompts',
  up(db) {
    db.exec(`
      CREATE TABLE prompt_schedules (
        guild_id TEXT PRIMARY KEY,
        channel_id TEXT NOT NULL,
        weekday INTEGER NOT NULL CHECK (weekday BETWEEN 0 AND 6),
        time TEXT NOT NULL,
        timezone TEXT NOT NULL,
        plan TEXT NOT NULL,
        ping_role_id TEXT,
        paused INTEGER NOT NULL DEFAULT 0 CHECK (paused IN (0, 1)),
        run INTEGER NOT NULL DEFAULT 1,
        -- posting times before this instant are never due (set by setup: the start date or the moment of setup)
        anchor TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      ) STRICT;

      -- The ledger: one row per plan week of a run, claimed before Discord is asked to post.
      CREATE TABLE prompt_weeks (
        guild_id TEXT NOT NULL,
        run INTEGER NOT NULL,
        week INTEGER NOT NULL CHECK (week >= 1),
        plan TEXT NOT NULL,
        -- the local date of the posting time it was posted for; NULL for a moderator's post-now
        slot TEXT,
        scheduled_for TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('claimed', 'posted', 'done')),
        nonce TEXT NOT NULL,
        channel_id TEXT NOT NULL,
        message_id TEXT,
        thread_id TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        next_attempt_at TEXT,
        -- the kind of problem already reported to the moderators for this week (report once)
        reported TEXT,
        late INTEGER NOT NULL DEFAULT 0 CHECK (late IN (0, 1)),
        -- JSON array of the local dates of older posting times missed in downtime, named in this post
        skipped TEXT NOT NULL DEFAULT '[]',
        title TEXT NOT NULL,
        prompt TEXT NOT NULL,
        claimed_at TEXT NOT NULL,
        posted_at TEXT,
        PRIMARY KEY (guild_id, run, week),
        UNIQUE (guild_id, slot)
      ) STRICT;
      CREATE INDEX prompt_weeks_open ON prompt_weeks (state) WHERE state <> 'done';

      -- Posting times that passed without a post: missed in downtime, or skipped by a moderator.
      CREATE TABLE prompt_skips (
        guild_id TEXT NOT NULL,
        slot TEXT NOT NULL,
        scheduled_for TEXT NOT NULL,
        reason TEXT NOT NULL CHECK (reason IN ('missed', 'moderator')),
        recorded_at TEXT NOT NULL,
        PRIMARY KEY (guild_id, slot)
      ) STRICT;

      -- A moderator's own text for a week of a plan (restored to the book's by deleting the row).
      CREATE TABLE prompt_texts (
        guild_id TEXT NOT NULL,
        plan TEXT NOT NULL,
        week INTEGER NOT NULL CHECK (week >= 1),
        text TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (guild_id, plan, week)
      ) STRICT;

      -- Which process may talk to Discord: one holder at a time, renewed before expires_at.
      CREATE TABLE leases (
        name TEXT PRIMARY KEY,
        holder TEXT NOT NULL,
        acquired_at TEXT NOT NULL,
        expires_at TEXT NOT NULL
      ) STRICT;
    `);
  },
};
