import { openDatabase, type Db } from '../db/connection.js';

export type Visibility = 'private' | 'shared' | 'anonymous';
export const VISIBILITIES: readonly Visibility[] = ['private', 'shared', 'anonymous'];

/** What a sealed display name is bound to: its row, or (shared by the author's rows) its server and author. See migration 0007. */
export type NameScope = 'row' | 'member';

/** A reflection as stored: the text and the display name are ciphertext. */
export interface StoredReflection {
  id: number;
  guildId: string;
  authorId: string;
  visibility: Visibility;
  hidden: 0 | 1;
  hiddenAt: string | null;
  chapterId: string | null;
  week: number | null;
  keyId: string;
  bodyIv: Buffer;
  body: Buffer;
  nameIv: Buffer;
  name: Buffer;
  nameScope: NameScope;
  source: 'modal' | 'message';
  idempotencyKey: string;
  createdAt: string;
  updatedAt: string;
  exportableAt: string | null;
}

/** How a thread post shows its author (null: posted before migration 0009 recorded it; treated as the name). */
export type ShownAs = 'name' | 'anonymous';

export interface StoredPost {
  reflectionId: number;
  guildId: string;
  channelId: string;
  messageId: string;
  postedAt: string;
  shownAs: ShownAs | null;
}

/** A row as a member's list reads it: no name (a list never shows it) and no idempotency key. */
export type ListedRow = Omit<StoredReflection, 'nameIv' | 'name' | 'nameScope' | 'idempotencyKey'>;

export type NewStoredReflection = Omit<StoredReflection, 'hidden' | 'hiddenAt' | 'exportableAt' | 'updatedAt'>;

export interface ExportFilter {
  afterId: number;
  limit: number;
  /** Inclusive upper bound on the id (a range the scan stops at, not a filter it checks row by row). */
  toId?: number;
  week?: number;
  /** Only reflections tied to no plan week. */
  noWeek?: boolean;
  from?: string;
  to?: string;
  chapterId?: string;
  authorId?: string;
  /** Only reflections that became exportable after this instant (since-last). */
  exportableSince?: string;
  /** Only reflections that became exportable at or before this instant (the export's own). */
  exportableUntil?: string;
}

/**
 * What an export learns about its rows before it writes any (counted by SQLite, nothing decrypted): how many;
 * per plan week (null: none) how many, and the first and last id; and, when asked, the authors of shared rows
 * with the id each first appears at, in that order.
 */
export interface ExportTally {
  count: number;
  weeks: [week: number | null, count: number, firstId: number, lastId: number][];
  authors: [authorId: string, firstId: number][];
}

const COLUMNS = `id, guild_id AS guildId, author_id AS authorId, visibility, hidden, hidden_at AS hiddenAt, chapter_id AS chapterId,
  week, key_id AS keyId, body_iv AS bodyIv, body, name_iv AS nameIv, name, name_scope AS nameScope, source, idempotency_key AS idempotencyKey,
  created_at AS createdAt, updated_at AS updatedAt, exportable_at AS exportableAt`;

/** COLUMNS without the name and the idempotency key: a page of `/reflections mine` reads six rows, every time. */
const LISTED_COLUMNS = `id, guild_id AS guildId, author_id AS authorId, visibility, hidden, hidden_at AS hiddenAt, chapter_id AS chapterId,
  week, key_id AS keyId, body_iv AS bodyIv, body, source, created_at AS createdAt, updated_at AS updatedAt, exportable_at AS exportableAt`;

const POST_COLUMNS = 'reflection_id AS reflectionId, guild_id AS guildId, channel_id AS channelId, message_id AS messageId, posted_at AS postedAt, shown_as AS shownAs';

export type ReflectionRepo = ReturnType<typeof createReflectionRepo>;

/**
 * Every statement prepared once, every value bound. Statements that act for a member carry
 * `author_id = @authorId` in their WHERE clause: ownership is enforced by SQL, not by the caller.
 */
export function createReflectionRepo(db: Db) {
  // Above every id stored and every id ever deleted (migration 0008): an id, once given, is never given again.
  const nextId = db.prepare(`SELECT MAX((SELECT highest_deleted FROM reflection_ids WHERE singleton = 1),
    COALESCE((SELECT MAX(id) FROM reflections), 0)) + 1 AS id`);
  // A retried submission collides on the UNIQUE idempotency key and inserts nothing: the happy path needs no look-up first.
  const insertNew = db.prepare(`INSERT INTO reflections (id, guild_id, author_id, visibility, chapter_id, week, key_id, body_iv, body,
      name_iv, name, name_scope, source, idempotency_key, created_at, updated_at, exportable_at)
    VALUES (@id, @guildId, @authorId, @visibility, @chapterId, @week, @keyId, @bodyIv, @body, @nameIv, @name, @nameScope, @source,
      @idempotencyKey, @createdAt, @createdAt, CASE WHEN @visibility = 'private' THEN NULL ELSE @createdAt END)
    ON CONFLICT (idempotency_key) DO NOTHING`);
  const byIdempotency = db.prepare(`SELECT ${COLUMNS} FROM reflections WHERE idempotency_key = ?`);
  const own = db.prepare(`SELECT ${COLUMNS} FROM reflections WHERE id = @id AND guild_id = @guildId AND author_id = @authorId`);
  const byId = db.prepare(`SELECT ${COLUMNS} FROM reflections WHERE id = @id AND guild_id = @guildId`);
  const listOwn = db.prepare(`SELECT ${LISTED_COLUMNS} FROM reflections WHERE guild_id = @guildId AND author_id = @authorId AND id < @beforeId
    ORDER BY id DESC LIMIT @limit`);
  const countOwn = db.prepare('SELECT COUNT(*) AS n FROM (SELECT 1 FROM reflections WHERE guild_id = ? AND author_id = ? LIMIT ?)');
  const allOwn = db.prepare(`SELECT ${COLUMNS} FROM reflections WHERE guild_id = ? AND author_id = ? ORDER BY id`);
  const updateBody = db.prepare(`UPDATE reflections SET key_id = @keyId, body_iv = @bodyIv, body = @body, name_iv = @nameIv, name = @name,
    name_scope = @nameScope, updated_at = @now WHERE id = @id AND guild_id = @guildId AND author_id = @authorId`);
  const updateVisibility = db.prepare(`UPDATE reflections SET
      exportable_at = CASE WHEN @visibility = 'private' THEN NULL WHEN visibility = @visibility THEN exportable_at ELSE @now END,
      visibility = @visibility, updated_at = @now
    WHERE id = @id AND guild_id = @guildId AND author_id = @authorId`);
  const deleteOwn = db.prepare('DELETE FROM reflections WHERE id = @id AND guild_id = @guildId AND author_id = @authorId');
  const hide = db.prepare(`UPDATE reflections SET hidden = 1, hidden_at = @now, updated_at = @now
    WHERE id = @id AND guild_id = @guildId AND visibility != 'private' AND hidden = 0`);
  const getPost = db.prepare(`SELECT ${POST_COLUMNS} FROM reflection_posts WHERE reflection_id = ?`);
  // One pass over the server's rows for any number of weeks (at start, every week with a thread is asked about).
  const unpostedOfWeeks = db.prepare(`SELECT ${COLUMNS} FROM reflections r WHERE guild_id = ? AND week IN (SELECT value FROM json_each(?))
    AND visibility <> 'private' AND hidden = 0 AND NOT EXISTS (SELECT 1 FROM reflection_posts p WHERE p.reflection_id = r.id) ORDER BY id`);
  const postsOfAuthor = db.prepare(`SELECT ${POST_COLUMNS} FROM reflection_posts WHERE reflection_id IN
    (SELECT id FROM reflections WHERE guild_id = ? AND author_id = ?)`);
  const postsOfGuild = db.prepare(`SELECT ${POST_COLUMNS} FROM reflection_posts WHERE guild_id = ?`);
  const upsertPost = db.prepare(`INSERT INTO reflection_posts (reflection_id, guild_id, channel_id, message_id, posted_at, shown_as)
    VALUES (@reflectionId, @guildId, @channelId, @messageId, @postedAt, @shownAs)
    ON CONFLICT (reflection_id) DO UPDATE SET channel_id = excluded.channel_id, message_id = excluded.message_id, posted_at = excluded.posted_at,
      shown_as = excluded.shown_as`);
  const deletePost = db.prepare('DELETE FROM reflection_posts WHERE reflection_id = ?');
  const removeReport = db.prepare('DELETE FROM reflection_reports WHERE reflection_id = ? AND guild_id = ? AND reporter_id = ?');
  const addReport = db.prepare(`INSERT INTO reflection_reports (reflection_id, guild_id, reporter_id, created_at) VALUES (?, ?, ?, ?)
    ON CONFLICT (reflection_id, reporter_id) DO NOTHING`);
  const forgetReflections = db.prepare('DELETE FROM reflections WHERE guild_id = ? AND author_id = ?');
  const forgetReports = db.prepare('DELETE FROM reflection_reports WHERE guild_id = ? AND reporter_id = ?');
  const purgeReflections = db.prepare('DELETE FROM reflections WHERE guild_id = ?');
  const purgeReports = db.prepare('DELETE FROM reflection_reports WHERE guild_id = ?');
  const purgePosts = db.prepare('DELETE FROM reflection_posts WHERE guild_id = ?');
  const purgePresence = db.prepare('DELETE FROM guild_presence WHERE guild_id = ?');
  const markRemoved = db.prepare(`INSERT INTO guild_presence (guild_id, removed_at) VALUES (?, ?)
    ON CONFLICT (guild_id) DO UPDATE SET removed_at = COALESCE(guild_presence.removed_at, excluded.removed_at)`);
  const markPresent = db.prepare(`INSERT INTO guild_presence (guild_id, removed_at) VALUES (?, NULL)
    ON CONFLICT (guild_id) DO UPDATE SET removed_at = NULL`);
  const rememberBotIn = db.prepare('INSERT INTO bot_guilds (guild_id) VALUES (?) ON CONFLICT (guild_id) DO NOTHING');
  const forgetBotIn = db.prepare('DELETE FROM bot_guilds WHERE guild_id = ?');
  const botGuilds = db.prepare('SELECT guild_id FROM bot_guilds');
  const pendingRemovals = db.prepare('SELECT guild_id FROM guild_presence WHERE removed_at IS NOT NULL');
  const cancelRemoval = db.prepare('UPDATE guild_presence SET removed_at = NULL WHERE guild_id = ? AND removed_at IS NOT NULL');
  const removedBefore = db.prepare('SELECT guild_id AS guildId, removed_at AS removedAt FROM guild_presence WHERE removed_at IS NOT NULL AND removed_at <= ?');
  // Each server with reflections found by a step from one to the next in the author index (one look-up per
  // server), not by DISTINCT over every entry: that read the whole index on the event loop just as the bot
  // became ready (100,000 reflections: 11 ms warm, 90 ms cold, against 0.1-0.3 ms).
  const knownGuilds = db.prepare(`WITH RECURSIVE servers(guild_id) AS (
      SELECT MIN(guild_id) FROM reflections
      UNION ALL
      SELECT (SELECT MIN(guild_id) FROM reflections WHERE guild_id > servers.guild_id) FROM servers WHERE servers.guild_id IS NOT NULL
    )
    SELECT guild_id AS guildId FROM guild_presence UNION SELECT guild_id FROM servers WHERE guild_id IS NOT NULL`);
  const exportReads = prepareExportReads(db);
  const keyUsage = db.prepare(`SELECT ${COLUMNS} FROM reflections WHERE key_id != ? AND id > ? ORDER BY id LIMIT ?`);
  const rewrap = db.prepare(`UPDATE reflections SET key_id = @keyId, body_iv = @bodyIv, body = @body, name_iv = @nameIv, name = @name,
    name_scope = @nameScope WHERE id = @id AND key_id = @oldKeyId`);

  // Built once: better-sqlite3's db.transaction() builds five wrapper functions per call, which showed up per write.
  const immediate = db.transaction((fn: () => unknown) => fn());

  const row = (value: unknown) => value as StoredReflection | undefined;
  const rows = (value: unknown[]) => value as StoredReflection[];

  return {
    transaction<T>(fn: () => T): T {
      return immediate.immediate(fn) as T;
    },
    nextId: () => (nextId.get() as { id: number }).id,
    /** Inserts unless the idempotency key is already stored; false when it was (nothing written). */
    insertNew: (record: NewStoredReflection): boolean => insertNew.run(record).changes > 0,
    findByIdempotencyKey: (key: string) => row(byIdempotency.get(key)),
    getOwn: (guildId: string, authorId: string, id: number) => row(own.get({ guildId, authorId, id })),
    getById: (guildId: string, id: number) => row(byId.get({ guildId, id })),
    listOwn: (guildId: string, authorId: string, beforeId: number, limit: number) => listOwn.all({ guildId, authorId, beforeId, limit }) as ListedRow[],
    /** The member's reflections in the server, counted up to `atMost`. */
    countOwn: (guildId: string, authorId: string, atMost: number) => (countOwn.get(guildId, authorId, atMost) as { n: number }).n,
    allOwn: (guildId: string, authorId: string) => rows(allOwn.all(guildId, authorId)),
    updateBody: (args: { id: number; guildId: string; authorId: string; keyId: string; bodyIv: Buffer; body: Buffer; nameIv: Buffer; name: Buffer; nameScope: NameScope; now: string }) =>
      updateBody.run(args).changes,
    updateVisibility: (args: { id: number; guildId: string; authorId: string; visibility: Visibility; now: string }) => updateVisibility.run(args).changes,
    deleteOwn: (guildId: string, authorId: string, id: number) => deleteOwn.run({ guildId, authorId, id }).changes,
    hide: (guildId: string, id: number, now: string) => hide.run({ guildId, id, now }).changes,
    getPost: (reflectionId: number) => getPost.get(reflectionId) as StoredPost | undefined,
    unpostedOfWeeks: (guildId: string, weeks: readonly number[]) => rows(unpostedOfWeeks.all(guildId, JSON.stringify(weeks))),
    postsOfAuthor: (guildId: string, authorId: string) => postsOfAuthor.all(guildId, authorId) as StoredPost[],
    postsOfGuild: (guildId: string) => postsOfGuild.all(guildId) as StoredPost[],
    upsertPost: (post: StoredPost) => upsertPost.run(post),
    deletePost: (reflectionId: number) => deletePost.run(reflectionId).changes,
    addReport: (reflectionId: number, guildId: string, reporterId: string, now: string) => addReport.run(reflectionId, guildId, reporterId, now).changes,
    removeReport: (reflectionId: number, guildId: string, reporterId: string) => removeReport.run(reflectionId, guildId, reporterId).changes,
    forgetMember(guildId: string, authorId: string): number {
      return db.transaction(() => forgetReflections.run(guildId, authorId).changes + forgetReports.run(guildId, authorId).changes).immediate();
    },
    purgeGuild(guildId: string): number {
      return db
        .transaction(() => {
          const removed = purgeReflections.run(guildId).changes;
          purgeReports.run(guildId);
          purgePosts.run(guildId);
          purgePresence.run(guildId);
          return removed;
        })
        .immediate();
    },
    markRemoved: (guildId: string, at: string) => markRemoved.run(guildId, at),
    markPresent: (guildId: string) => markPresent.run(guildId),
    /** The bot user is in this server (READY, GUILD_CREATE). */
    rememberBotIn: (guildId: string) => rememberBotIn.run(guildId),
    /** The bot user is no longer in this server (GUILD_DELETE, or missing from READY). */
    forgetBotIn: (guildId: string) => forgetBotIn.run(guildId),
    /** The servers the bot user was in when the gateway last showed them. */
    botGuilds: () => botGuilds.pluck().all() as string[],
    /** Servers marked removed, whose data waits for the retention job. */
    pendingRemovals: () => pendingRemovals.pluck().all() as string[],
    /** Clears a server's removal mark (its row stays); returns whether there was one. */
    cancelRemoval: (guildId: string) => cancelRemoval.run(guildId).changes > 0,
    removedBefore: (cutoff: string) => removedBefore.all(cutoff) as { guildId: string; removedAt: string }[],
    knownGuilds: () => (knownGuilds.all() as { guildId: string }[]).map((r) => r.guildId),
    exportable: exportReads.exportable,
    exportTally: exportReads.exportTally,
    notUnderKey: (keyId: string, afterId: number, limit: number) => rows(keyUsage.all(keyId, afterId, limit)),
    rewrap: (args: { id: number; oldKeyId: string; keyId: string; bodyIv: Buffer; body: Buffer; nameIv: Buffer; name: Buffer; nameScope: NameScope }) => rewrap.run(args).changes,
    /**
     * Copies the WAL into the database file and empties it, without waiting: an export's reader holding a
     * snapshot makes a TRUNCATE checkpoint wait for it, and the default busy timeout would have frozen the
     * bot's thread for seconds. Returns whether it completed (false: a reader was in the way; try again later).
     */
    checkpoint(): boolean {
      const waited = db.pragma('busy_timeout', { simple: true }) as number;
      db.pragma('busy_timeout = 0');
      try {
        const [result] = db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
        return result === undefined || result.busy === 0;
      } catch {
        return false;
      } finally {
        db.pragma(`busy_timeout = ${waited}`);
      }
    },
  };
}

/** A row as an export reads it: the text and (for shared reflections only) the name, still encrypted. */
export interface StoredExportRow {
  id: number;
  guildId: string;
  authorId: string;
  visibility: Visibility;
  chapterId: string | null;
  week: number | null;
  createdAt: string;
  exportableAt: string | null;
  keyId: string;
  bodyIv: Buffer;
  body: Buffer;
  /** The sealed name's IV and ciphertext in hex (see prepareExportReads); null for anonymous reflections: their name is not read. */
  nameIvHex: string | null;
  nameHex: string | null;
  nameScope: NameScope;
}

export type ExportReads = ReturnType<typeof prepareExportReads>;

/**
 * Both ends of the rowid B-tree: constant time, whatever the table holds. Each in its own sub-select: SQLite
 * answers a lone min() or max() from the end of a B-tree, but `SELECT MIN(id), MAX(id)` scans a whole index
 * (100,000 rows: 14-19 ms against 0.2 ms, an extra read of the index before every export).
 */
export const ID_BOUNDS_SQL = 'SELECT (SELECT MIN(id) FROM reflections) AS min, (SELECT MAX(id) FROM reflections) AS max';

/**
 * The export's reads, prepared once per connection. `NOT INDEXED` keeps the plan a rowid range scan
 * (`id > @afterId AND id <= @toId`, in id order, stopping at LIMIT): with the visibility index SQLite would
 * gather and sort every remaining row of the server for each chunk, which made a large export quadratic.
 */
export function prepareExportReads(db: Db) {
  // When a row became exportable compares as text: every instant is stored as toISOString writes it.
  const where = `FROM reflections NOT INDEXED
    WHERE guild_id = @guildId AND visibility IN ('shared', 'anonymous') AND hidden = 0 AND id > @afterId AND id <= @toId
      AND (@week IS NULL OR week = @week)
      AND (@noWeek = 0 OR week IS NULL)
      AND (@from IS NULL OR created_at >= @from)
      AND (@to IS NULL OR created_at < @to)
      AND (@chapterId IS NULL OR chapter_id = @chapterId)
      AND (@authorId IS NULL OR (author_id = @authorId AND visibility = 'shared'))
      AND (@exportableSince IS NULL OR coalesce(exportable_at, created_at) > @exportableSince)
      AND (@exportableUntil IS NULL OR coalesce(exportable_at, created_at) <= @exportableUntil)`;
  // Only the columns an export uses (an anonymous reflection's name is not even read), as arrays: building a
  // named object per row in the driver cost more than the read itself.
  // The IVs and the name come as hex: the driver copies every BLOB into a Buffer of its own (about 1 µs each,
  // a third of the read for these three small ones), while a short string costs little, Buffer.from pools it,
  // and a member-scoped name, the same for all its author's rows, is decoded once per export (NameOpener).
  const exportable = db
    .prepare(`SELECT id, guild_id, author_id, visibility, chapter_id, week, created_at, exportable_at, key_id, hex(body_iv), body,
      CASE WHEN visibility = 'shared' THEN hex(name_iv) END, CASE WHEN visibility = 'shared' THEN hex(name) END, name_scope ${where}
      ORDER BY id LIMIT @limit`)
    .raw(true);
  // The tally of a whole range in one statement each: reading every row's metadata into JavaScript to count
  // it took a 100,000-row export's two reader threads some 100 ms each; SQLite counting the rows itself is a
  // scan of their pages (a count of all 100,000 took 63 ms on one thread).
  const tallyWeeks = db.prepare(`SELECT week, count(*), min(id), max(id) ${where} GROUP BY week`).raw(true);
  const tallyAuthors = db.prepare(`SELECT author_id, min(id) AS first ${where} AND visibility = 'shared' GROUP BY author_id ORDER BY first`).raw(true);
  const bounds = db.prepare(ID_BOUNDS_SQL);
  const params = (guildId: string, filter: ExportFilter, to: string | null, from: string | null) => ({
    guildId,
    afterId: filter.afterId,
    toId: filter.toId ?? Number.MAX_SAFE_INTEGER,
    limit: filter.limit,
    week: filter.week ?? null,
    noWeek: filter.noWeek === true ? 1 : 0,
    from,
    to,
    chapterId: filter.chapterId ?? null,
    authorId: filter.authorId ?? null,
    exportableSince: filter.exportableSince ?? null,
    exportableUntil: filter.exportableUntil ?? null,
  });
  return {
    exportable: (guildId: string, filter: ExportFilter, to: string | null, from: string | null): StoredExportRow[] =>
      // One object literal, not a spread of a shared metadata reader: the spread built objects V8 keeps larger,
      // and a 100,000-row export on two reader threads peaked some 40 MB higher (186 → 226-234 MB).
      (exportable.all(params(guildId, filter, to, from)) as unknown[][]).map((r) => ({
        id: r[0] as number,
        guildId: r[1] as string,
        authorId: r[2] as string,
        visibility: r[3] as Visibility,
        chapterId: r[4] as string | null,
        week: r[5] as number | null,
        createdAt: r[6] as string,
        exportableAt: r[7] as string | null,
        keyId: r[8] as string,
        bodyIv: Buffer.from(r[9] as string, 'hex'),
        body: r[10] as Buffer,
        nameIvHex: r[11] as string | null,
        nameHex: r[12] as string | null,
        nameScope: r[13] as NameScope,
      })),
    /** The tally of every row the export's filter admits between `afterId` and `toId` (`limit` is not applied). */
    exportTally: (guildId: string, filter: ExportFilter, to: string | null, from: string | null, withAuthors: boolean): ExportTally => {
      const bound = params(guildId, filter, to, from);
      const weeks = (tallyWeeks.all(bound) as [number | null, number, number, number][]).sort((a, b) => a[2] - b[2]);
      return {
        count: weeks.reduce((sum, week) => sum + week[1], 0),
        weeks,
        authors: withAuthors ? (tallyAuthors.all(bound) as [string, number][]) : [],
      };
    },
    /** The lowest and highest reflection id of any server (0, 0 when there is none): where an export's id ranges lie. */
    idBounds: (): { min: number; max: number } => {
      const row = bounds.get() as { min: number | null; max: number | null };
      return { min: row.min ?? 0, max: row.max ?? 0 };
    },
  };
}

/**
 * A read-only second connection to the same database file, inside one read transaction: every read an
 * export makes through it sees the database as of its first read (WAL: writers are not blocked, and the
 * bot's own connection never holds a transaction across an await). Null for an in-memory database.
 */
export function openExportSnapshot(db: Db): (ExportReads & { close(): void }) | null {
  if (db.memory || db.name === '' || db.name === ':memory:') return null;
  const reader = openDatabase(db.name, { readonly: true });
  try {
    const reads = prepareExportReads(reader);
    reader.exec('BEGIN');
    return {
      ...reads,
      close() {
        try {
          if (reader.inTransaction) reader.exec('COMMIT');
        } finally {
          reader.close();
        }
      },
    };
  } catch (error) {
    reader.close();
    throw error;
  }
}
