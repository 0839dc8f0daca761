import type { Clock } from '../clock.js';
import type { Db } from '../db/connection.js';
import type { DataEraser } from '../erasure.js';
import { UserFacingError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { WeekDirectory } from '../weeks.js';
import type { ReflectionCipher, RowBinding } from './crypto.js';
import { MemberNameSeals, NameOpener, nameBinding } from './names.js';
import { describePlace } from './place.js';
import { createReflectionRepo, openExportSnapshot, type ExportFilter, type ExportReads, type ExportTally, type ListedRow, type StoredPost, type StoredReflection, type Visibility } from './repo.js';
import { characterCount, validateReflectionText } from './validation.js';

export type { Visibility } from './repo.js';
export type { ShownAs, StoredPost } from './repo.js';

/** A reflection as its author sees it: decrypted. */
export interface Reflection {
  id: number;
  guildId: string;
  authorId: string;
  authorName: string;
  visibility: Visibility;
  hidden: boolean;
  hiddenAt: string | null;
  chapterId: string | null;
  week: number | null;
  text: string;
  source: 'modal' | 'message';
  createdAt: string;
  updatedAt: string;
  exportableAt: string | null;
}

export interface ExportableReflection {
  id: number;
  guildId: string;
  /** Both null for anonymous reflections. */
  authorId: string | null;
  authorName: string | null;
  visibility: 'shared' | 'anonymous';
  chapterId: string | null;
  week: number | null;
  text: string;
  createdAt: string;
  /** When it last became shared or anonymous. */
  exportableAt: string;
}

/** An exportable reflection's metadata: what the privacy rules judge a row by. */
export type ExportableMeta = Omit<ExportableReflection, 'text' | 'authorName'>;

export type { ExportTally };

export interface ExportReader {
  listExportable(guildId: string, filter: ExportFilter): ExportableReflection[];
  tallyExportable(guildId: string, filter: ExportFilter, withAuthors: boolean): ExportTally;
  close(): void;
}

export interface NewReflection {
  guildId: string;
  authorId: string;
  authorName: string;
  text: string;
  visibility: Visibility;
  chapterId?: string | null;
  week?: number | null;
  /** The interaction id of the submission: a retried submission finds the row it already made. */
  idempotencyKey: string;
  source: 'modal' | 'message';
}

/** `/reflections mine` counts up to this many: a count is an index scan, as long as the member's list. */
export const MINE_COUNT_CAP = 1000;

/**
 * A reflection as the member's own lists show it: everything but the display name it was written under, which
 * those lists never show (so it is not decrypted for them).
 */
export type ListedReflection = Omit<Reflection, 'authorName'>;

export interface Page {
  items: ListedReflection[];
  /** How many the member has, counted up to MINE_COUNT_CAP (then `totalCapped`, and there are more). */
  total: number;
  totalCapped: boolean;
  /** Pass as `beforeId` for the next (older) page; null when this is the last. */
  nextBeforeId: number | null;
}

export interface ReflectionService {
  create(input: NewReflection): { reflection: Reflection; duplicate: boolean };
  /** The member's own reflection; another member's id is "not found", exactly like an id that does not exist. */
  get(guildId: string, authorId: string, id: number): Reflection;
  /** The member's own reflection as it is now, or null when it is gone (deleted, forgotten). */
  find(guildId: string, authorId: string, id: number): Reflection | null;
  listMine(guildId: string, authorId: string, options?: { beforeId?: number; limit?: number }): Page;
  /** Autocomplete over the member's own reflections (≤ 25), matching the id or the start of the text. */
  choices(guildId: string, authorId: string, query: string): { name: string; value: string }[];
  edit(guildId: string, authorId: string, id: number, text: string): Reflection;
  setVisibility(guildId: string, authorId: string, id: number, to: Visibility): { reflection: Reflection; changed: boolean };
  /** Deletes the member's own reflection; returns the post it had, for the caller to remove from Discord. */
  remove(guildId: string, authorId: string, id: number): { post: StoredPost | null };
  allMine(guildId: string, authorId: string): Reflection[];
  download(guildId: string, authorId: string, chapterLabel: (chapterId: string) => string): { markdown: string; json: string; count: number };

  /** Where a shared or anonymous reflection is posted: its week's thread, when the week has one. */
  postTarget(reflection: Reflection): string | null;
  /** Whether the reflection should be visible in its thread now. */
  shouldBePosted(reflection: Reflection): boolean;
  /** The week and chapter a new reflection belongs to: the chapter given (if any), and the week given, else the current week. */
  belonging(guildId: string, chapterId: string | null, week: number | null): { chapterId: string | null; week: number | null };
  getPost(reflectionId: number): StoredPost | null;
  /** Shared and anonymous reflections of these weeks that have no post yet (written before their thread was open). */
  unpostedOfWeeks(guildId: string, weeks: readonly number[]): Reflection[];
  recordPost(post: StoredPost): void;
  forgetPost(reflectionId: number): void;
  postsOfMember(guildId: string, authorId: string): StoredPost[];
  postsOfGuild(guildId: string): StoredPost[];

  /** Moderation: any reflection of the server, read without its author's id when anonymous. */
  forModeration(guildId: string, id: number): Reflection | null;
  report(guildId: string, id: number, reporterId: string): { reflection: Reflection; firstReport: boolean };
  /** Takes a report back when the moderators could not be told of it, so reporting again tries again. */
  withdrawReport(guildId: string, id: number, reporterId: string): void;
  hide(guildId: string, id: number): { reflection: Reflection; changed: boolean };

  listExportable(guildId: string, filter: ExportFilter): ExportableReflection[];
  /** The same rows counted (nothing decrypted), by week and (`withAuthors`) shared author: to group an export ahead of writing it. */
  tallyExportable(guildId: string, filter: ExportFilter, withAuthors: boolean): ExportTally;
  /**
   * A read view for one export, consistent across all its reads (a read-only connection in one read
   * transaction; the shared connection for an in-memory database). Close it when the export ends.
   */
  openExportSnapshot(): ExportReader;

  /** The data eraser registered in ctx.erasers (forget-me and the server purge). */
  eraser: DataEraser;
  /**
   * Makes deleted rows unrecoverable from the WAL and the free pages (secure_delete + TRUNCATE checkpoint).
   * Never waits: when an export's snapshot is in the way, it is done again once that export ends.
   */
  checkpoint(): void;
  /** An export's reads ended (its snapshot released): a checkpoint it held up runs now. */
  exportEnded(): void;

  /** The bot user was removed from a server (GUILD_DELETE): its retention clock starts (unless it already runs). */
  guildLeft(guildId: string, at: Date): void;
  /** The bot user is in a server (GUILD_CREATE): any retention clock of the server stops. */
  guildJoined(guildId: string): void;
  /**
   * At READY, the servers the bot user is in now: each is marked present (as guildJoined), and each server it
   * was in when last seen and is not in now removed it while the bot was offline: its clock starts (as
   * guildLeft). A server known only through its members' interactions (the app installed without the bot user)
   * is never counted as removed. One transaction; returns the servers newly counted as removed.
   */
  botPresentAtReady(present: ReadonlySet<string>, at: Date): string[];
  /**
   * A member's interaction came from this server. Discord sends them only where the app is installed, with or
   * without its bot user, so the server is in use: a removal waiting for the retention job is cancelled. True
   * when one was. On every interaction's path, so it is a lookup in memory unless a removal is pending there.
   */
  interactionFrom(guildId: string): boolean;
  knownGuilds(): string[];
  /** Servers the bot left at least `days` ago, whose data is now due for erasure. */
  dueForErasure(now: Date, days: number): string[];

  /** Re-encrypts rows written under earlier keys with the current key; returns how many were rewritten. */
  rewrapOldRows(): number;
}

export interface ReflectionServiceDeps {
  db: Db;
  cipher: ReflectionCipher;
  clock: Clock;
  weeks: WeekDirectory;
  log: Logger;
}

const NOT_FOUND = 'I could not find that reflection among yours. `/reflections mine` lists your reflections with their numbers.';

/** None of the member's reflections has that id (never had, or it was deleted, perhaps while a form was open). */
export class ReflectionNotFound extends UserFacingError {
  constructor() {
    super(NOT_FOUND);
  }
}

/** A reflection's text is bound to its server, author and row (its display name: see nameBinding). */
const bodyBinding = (row: { guildId: string; authorId: string; id: number }): RowBinding => ({
  purpose: 'body',
  guildId: row.guildId,
  authorId: row.authorId,
  rowId: row.id,
});

function dayAfter(date: string): string {
  const start = new Date(`${date.slice(0, 10)}T00:00:00.000Z`);
  if (Number.isNaN(start.getTime())) throw new UserFacingError('Dates must be written as YYYY-MM-DD.');
  return new Date(start.getTime() + 86_400_000).toISOString();
}

function dayStart(date: string): string {
  const start = new Date(`${date.slice(0, 10)}T00:00:00.000Z`);
  if (Number.isNaN(start.getTime())) throw new UserFacingError('Dates must be written as YYYY-MM-DD.');
  return start.toISOString();
}

export function preview(text: string, max = 80): string {
  // The text with its whitespace runs as single spaces and trimmed, counted in code points, walked only as far
  // as the preview shows: flattening and splitting the whole text (up to 4,000 characters, five to a page of
  // `/reflections mine`) made most of that command's garbage, and with it a young-generation collection every
  // three interactions (measured: a sampling heap profile of the bot). The walk only counts (a string per
  // character and an array of them were still a tenth of the command's garbage); the one slice it shows is
  // flattened at the end.
  let kept = 0;
  let spaceBefore = false;
  /** Where in `text` the shown part ends if the preview is cut: after its (max - 1)th code point. */
  let shownEnd = 0;
  for (let i = 0; i < text.length; ) {
    const code = text.codePointAt(i)!;
    if (isWhitespace(code)) {
      spaceBefore = kept > 0;
      i += 1;
      continue;
    }
    // The run before this character shows as one space: a code point of its own, ending where the run does.
    if (spaceBefore && ++kept === max - 1) shownEnd = i;
    spaceBefore = false;
    i += code > 0xffff ? 2 : 1;
    if (++kept === max - 1) shownEnd = i;
    if (kept > max) return `${flatten(text.slice(0, shownEnd))}…`;
  }
  return flatten(text).trimEnd();
}

/**
 * Whitespace runs as one space, with none at the start (a cut preview may end in the space before its ellipsis).
 * Only runs that are not already one space are replaced, so prose with single spaces is not copied.
 */
const flatten = (text: string): string => text.trimStart().replace(/\s{2,}|[^\S ]/g, ' ');

/** What `\s` matches (ECMAScript's WhiteSpace and LineTerminator), tested without making a string of the character. */
function isWhitespace(code: number): boolean {
  if (code <= 0x20) return code === 0x20 || (code >= 0x09 && code <= 0x0d);
  if (code < 0xa0) return false;
  return (
    code === 0xa0 || code === 0x1680 || (code >= 0x2000 && code <= 0x200a) || code === 0x2028 || code === 0x2029 || code === 0x202f || code === 0x205f || code === 0x3000 || code === 0xfeff
  );
}

/**
 * The export's reads over any connection (the bot's, a snapshot, or one in a worker thread): rows in id
 * order, decrypted; an anonymous reflection's name is neither read nor decrypted, and its author id is dropped.
 */
/** `betweenRows` runs before each row is decrypted (a reader thread steps aside there for members: members-first.ts). */
export function createExportReader(reads: Pick<ExportReads, 'exportable' | 'exportTally'>, cipher: ReflectionCipher, betweenRows?: () => void) {
  // One per reader: an export opens each member's shared name once, not once per row.
  const names = new NameOpener(cipher);
  const exportLimit = (filter: ExportFilter): ExportFilter => ({ ...filter, limit: Math.min(Math.max(Math.trunc(filter.limit), 1), 10_000) });
  const exportDays = (filter: ExportFilter) => [filter.to !== undefined ? dayAfter(filter.to) : null, filter.from !== undefined ? dayStart(filter.from) : null] as const;
  return {
    listExportable: (guildId: string, filter: ExportFilter): ExportableReflection[] =>
      reads.exportable(guildId, exportLimit(filter), ...exportDays(filter)).map((row) => {
        betweenRows?.();
        const anonymous = row.visibility === 'anonymous';
        return {
          id: row.id,
          guildId: row.guildId,
          authorId: anonymous ? null : row.authorId,
          authorName: anonymous || row.nameIvHex === null || row.nameHex === null ? null : names.openHex(row, row.nameIvHex, row.nameHex),
          visibility: row.visibility as 'shared' | 'anonymous',
          chapterId: row.chapterId,
          week: row.week,
          text: cipher.open({ keyId: row.keyId, iv: row.bodyIv, data: row.body }, bodyBinding(row)),
          createdAt: row.createdAt,
          exportableAt: row.exportableAt ?? row.createdAt,
        };
      }),
    tallyExportable: (guildId: string, filter: ExportFilter, withAuthors: boolean): ExportTally => reads.exportTally(guildId, filter, ...exportDays(filter), withAuthors),
  };
}

export function createReflectionService(deps: ReflectionServiceDeps): ReflectionService {
  const { db, cipher, clock, weeks, log } = deps;
  const repo = createReflectionRepo(db);
  const ownExports = createExportReader(repo, cipher);

  const listed = (row: ListedRow): ListedReflection => ({
    id: row.id,
    guildId: row.guildId,
    authorId: row.authorId,
    visibility: row.visibility,
    hidden: row.hidden === 1,
    hiddenAt: row.hiddenAt,
    chapterId: row.chapterId,
    week: row.week,
    text: cipher.open({ keyId: row.keyId, iv: row.bodyIv, data: row.body }, bodyBinding(row)),
    source: row.source,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    exportableAt: row.exportableAt,
  });
  const decrypt = (row: StoredReflection): Reflection => ({
    ...listed(row),
    authorName: cipher.open({ keyId: row.keyId, iv: row.nameIv, data: row.name }, nameBinding(row)),
  });

  // The servers whose removal waits for the retention job, kept in memory so that interactionFrom, run for every
  // interaction, reads nothing from SQLite. Loaded once: only this service writes the marks (the bot holds the
  // single-instance lease), and each write below keeps the set in step after it commits.
  const pendingRemoval = new Set<string>(repo.pendingRemovals());

  /**
   * The bot user left a server: its clock starts, and the server is no longer counted as one the bot user is in,
   * so a later READY does not count it again; once an interaction has stopped its clock (the app still installed
   * there), restarts leave it alone.
   */
  const left = (guildId: string, at: Date) => {
    repo.markRemoved(guildId, at.toISOString());
    repo.forgetBotIn(guildId);
  };
  const joined = (guildId: string) => {
    repo.markPresent(guildId);
    repo.rememberBotIn(guildId);
  };

  const memberNames = new MemberNameSeals(cipher);
  /** A row's text and name sealed under the current key; the name member-scoped (shared with the author's other rows). */
  const seal = (row: { guildId: string; authorId: string; id: number }, text: string, name: string) => {
    const body = cipher.seal(text, bodyBinding(row));
    const sealedName = memberNames.seal(row.guildId, row.authorId, name);
    return { keyId: body.keyId, bodyIv: body.iv, body: body.data, nameIv: sealedName.iv, name: sealedName.data, nameScope: 'member' as const };
  };

  const ownRow = (guildId: string, authorId: string, id: number): StoredReflection => {
    const row = repo.getOwn(guildId, authorId, id);
    if (!row) throw new ReflectionNotFound();
    return row;
  };

  /** Set while a checkpoint could not complete (an export's reader held the WAL); retried when exports end. */
  let checkpointOwed = false;
  const checkpoint = () => {
    checkpointOwed = !repo.checkpoint();
    if (checkpointOwed) log.info('checkpoint deferred until the running export ends');
  };

  const service: ReflectionService = {
    create(input) {
      const text = validateReflectionText(input.text);
      const now = clock.now().toISOString();
      // One IMMEDIATE transaction, one commit: insert (a retried interaction id collides on the UNIQUE key and
      // returns the stored row instead). The new reflection is built from what was written, not read back.
      const result = repo.transaction((): { reflection: Reflection; duplicate: boolean } => {
        const id = repo.nextId();
        const row = { guildId: input.guildId, authorId: input.authorId, id };
        const record = {
          id,
          guildId: input.guildId,
          authorId: input.authorId,
          visibility: input.visibility,
          chapterId: input.chapterId ?? null,
          week: input.week ?? null,
          ...seal(row, text, input.authorName),
          source: input.source,
          idempotencyKey: input.idempotencyKey,
          createdAt: now,
        };
        if (!repo.insertNew(record)) {
          const existing = repo.findByIdempotencyKey(input.idempotencyKey);
          if (!existing) throw new Error('idempotency key conflict without a stored row');
          if (existing.guildId !== input.guildId || existing.authorId !== input.authorId) {
            throw new Error('idempotency key reused by another member or server');
          }
          return { reflection: decrypt(existing), duplicate: true };
        }
        const reflection: Reflection = {
          id,
          guildId: input.guildId,
          authorId: input.authorId,
          authorName: input.authorName,
          visibility: input.visibility,
          hidden: false,
          hiddenAt: null,
          chapterId: record.chapterId,
          week: record.week,
          text,
          source: input.source,
          createdAt: now,
          updatedAt: now,
          exportableAt: input.visibility === 'private' ? null : now,
        };
        return { reflection, duplicate: false };
      });
      log.info({ guildId: input.guildId, reflectionId: result.reflection.id, visibility: input.visibility, chars: characterCount(text), duplicate: result.duplicate }, 'reflection saved');
      return result;
    },

    get: (guildId, authorId, id) => decrypt(ownRow(guildId, authorId, id)),

    find(guildId, authorId, id) {
      const row = repo.getOwn(guildId, authorId, id);
      return row ? decrypt(row) : null;
    },

    listMine(guildId, authorId, options = {}) {
      const limit = Math.min(Math.max(options.limit ?? 5, 1), 25);
      const rows = repo.listOwn(guildId, authorId, options.beforeId ?? Number.MAX_SAFE_INTEGER, limit + 1);
      const items = rows.slice(0, limit).map(listed);
      const last = items[items.length - 1];
      const counted = repo.countOwn(guildId, authorId, MINE_COUNT_CAP + 1);
      return { items, total: Math.min(counted, MINE_COUNT_CAP), totalCapped: counted > MINE_COUNT_CAP, nextBeforeId: rows.length > limit && last ? last.id : null };
    },

    choices(guildId, authorId, query) {
      const q = query.trim().replace(/^#/, '').toLowerCase();
      const rows = repo.listOwn(guildId, authorId, Number.MAX_SAFE_INTEGER, q === '' ? 25 : 200).map(listed);
      const matching = q === '' ? rows : rows.filter((r) => String(r.id).startsWith(q) || r.text.toLowerCase().includes(q));
      return matching.slice(0, 25).map((r) => ({
        name: preview(`#${r.id} · ${r.createdAt.slice(0, 10)} · ${r.visibility} · ${preview(r.text, 60)}`, 100),
        value: String(r.id),
      }));
    },

    edit(guildId, authorId, id, rawText) {
      const text = validateReflectionText(rawText);
      const now = clock.now().toISOString();
      const updated = repo.transaction(() => {
        const current = decrypt(ownRow(guildId, authorId, id));
        repo.updateBody({ id, guildId, authorId, ...seal({ guildId, authorId, id }, text, current.authorName), now });
        return ownRow(guildId, authorId, id);
      });
      log.info({ guildId, reflectionId: id, chars: characterCount(text) }, 'reflection edited');
      return decrypt(updated);
    },

    setVisibility(guildId, authorId, id, to) {
      const now = clock.now().toISOString();
      const { before, after } = repo.transaction(() => {
        const before = ownRow(guildId, authorId, id);
        repo.updateVisibility({ id, guildId, authorId, visibility: to, now });
        return { before, after: ownRow(guildId, authorId, id) };
      });
      log.info({ guildId, reflectionId: id, from: before.visibility, to }, 'reflection visibility changed');
      return { reflection: decrypt(after), changed: before.visibility !== to };
    },

    remove(guildId, authorId, id) {
      const post = repo.transaction(() => {
        ownRow(guildId, authorId, id);
        const post = repo.getPost(id) ?? null;
        repo.deleteOwn(guildId, authorId, id);
        return post;
      });
      checkpoint();
      log.info({ guildId, reflectionId: id }, 'reflection deleted by its author');
      return { post };
    },

    allMine: (guildId, authorId) => repo.allOwn(guildId, authorId).map(decrypt),

    download(guildId, authorId, chapterLabel) {
      const all = service.allMine(guildId, authorId);
      const lines = ['# My reflections', '', `Downloaded ${clock.now().toISOString()} · ${all.length} reflection(s) in this server.`, ''];
      for (const r of all) {
        const where = describePlace(r, chapterLabel);
        lines.push(`## #${r.id} · ${r.createdAt.slice(0, 10)} · ${r.visibility}${r.hidden ? ' (hidden by a moderator)' : ''}${where ? ` · ${where}` : ''}`, '', r.text, '');
      }
      const json = JSON.stringify(
        all.map((r) => ({
          id: r.id,
          visibility: r.visibility,
          hiddenByModerator: r.hidden,
          chapterId: r.chapterId,
          week: r.week,
          createdAt: r.createdAt,
          updatedAt: r.updatedAt,
          authorName: r.authorName,
          text: r.text,
        })),
        null,
        2,
      );
      return { markdown: lines.join('\n'), json, count: all.length };
    },

    postTarget(reflection) {
      if (reflection.week === null) return null;
      return weeks.get(reflection.guildId, reflection.week)?.threadId ?? null;
    },

    shouldBePosted: (reflection) => reflection.visibility !== 'private' && !reflection.hidden,

    belonging(guildId, chapterId, week) {
      // A reflection on a chapter belongs to the week it is written in too: with no week, a shared one had no
      // thread to go to and was never posted, though "shared" promised the group would read it.
      return { chapterId, week: week ?? weeks.current(guildId)?.week ?? null };
    },

    getPost: (reflectionId) => repo.getPost(reflectionId) ?? null,
    unpostedOfWeeks: (guildId, weeks) => (weeks.length === 0 ? [] : repo.unpostedOfWeeks(guildId, weeks).map(decrypt)),
    recordPost: (post) => {
      repo.upsertPost(post);
    },
    forgetPost: (reflectionId) => {
      repo.deletePost(reflectionId);
    },
    postsOfMember: (guildId, authorId) => repo.postsOfAuthor(guildId, authorId),
    postsOfGuild: (guildId) => repo.postsOfGuild(guildId),

    forModeration(guildId, id) {
      const row = repo.getById(guildId, id);
      return row ? decrypt(row) : null;
    },

    report(guildId, id, reporterId) {
      const row = repo.getById(guildId, id);
      if (!row || row.visibility === 'private') throw new UserFacingError('That reflection is no longer shared, so there is nothing to report. Thank you for looking out for the group.');
      const firstReport = repo.addReport(id, guildId, reporterId, clock.now().toISOString()) > 0;
      log.info({ guildId, reflectionId: id, firstReport }, 'reflection reported');
      return { reflection: decrypt(row), firstReport };
    },

    withdrawReport(guildId, id, reporterId) {
      repo.removeReport(id, guildId, reporterId);
    },

    hide(guildId, id) {
      const row = repo.getById(guildId, id);
      if (!row || row.visibility === 'private') throw new UserFacingError('That reflection is not shared any more (its author may have deleted it or made it private), so there is nothing to hide.');
      const changed = repo.hide(guildId, id, clock.now().toISOString()) > 0;
      log.info({ guildId, reflectionId: id, changed }, 'reflection hidden by a moderator');
      return { reflection: decrypt(repo.getById(guildId, id) as StoredReflection), changed };
    },

    listExportable: (guildId, filter) => ownExports.listExportable(guildId, filter),
    tallyExportable: (guildId, filter, withAuthors) => ownExports.tallyExportable(guildId, filter, withAuthors),
    openExportSnapshot() {
      const snapshot = openExportSnapshot(db);
      const reader = snapshot ? createExportReader(snapshot, cipher) : ownExports;
      return { ...reader, close: () => snapshot?.close() };
    },

    eraser: {
      name: 'reflections (with their thread posts and your reports)',
      forgetMember: (guildId, userId) => {
        memberNames.forget(guildId, userId);
        return repo.forgetMember(guildId, userId);
      },
      purgeGuild: (guildId) => {
        memberNames.forget(guildId);
        const erased = repo.purgeGuild(guildId);
        pendingRemoval.delete(guildId);
        return erased;
      },
    },

    checkpoint,
    exportEnded: () => {
      if (checkpointOwed) checkpoint();
    },

    guildLeft: (guildId, at) => {
      repo.transaction(() => left(guildId, at));
      pendingRemoval.add(guildId);
    },
    guildJoined: (guildId) => {
      repo.transaction(() => joined(guildId));
      pendingRemoval.delete(guildId);
    },
    botPresentAtReady: (present, at) => {
      const removed = repo.transaction(() => {
        for (const guildId of present) joined(guildId);
        const gone = repo.botGuilds().filter((guildId) => !present.has(guildId));
        for (const guildId of gone) left(guildId, at);
        return gone;
      });
      for (const guildId of present) pendingRemoval.delete(guildId);
      for (const guildId of removed) pendingRemoval.add(guildId);
      return removed;
    },
    interactionFrom: (guildId) => {
      if (!pendingRemoval.has(guildId)) return false;
      const cancelled = repo.cancelRemoval(guildId);
      pendingRemoval.delete(guildId);
      return cancelled;
    },
    knownGuilds: () => repo.knownGuilds(),
    dueForErasure: (now, days) => repo.removedBefore(new Date(now.getTime() - days * 86_400_000).toISOString()).map((r) => r.guildId),

    rewrapOldRows() {
      let count = 0;
      let afterId = 0;
      for (;;) {
        const batch = repo.notUnderKey(cipher.currentKeyId, afterId, 200);
        if (batch.length === 0) break;
        repo.transaction(() => {
          for (const row of batch) {
            const r = decrypt(row);
            count += repo.rewrap({ id: row.id, oldKeyId: row.keyId, ...seal(row, r.text, r.authorName) });
          }
        });
        afterId = batch[batch.length - 1]!.id;
      }
      if (count > 0) log.info({ count, keyId: cipher.currentKeyId }, 'reflections re-encrypted under the current key');
      return count;
    },
  };
  return service;
}
