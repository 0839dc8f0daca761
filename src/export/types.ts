/**
 * The export's plain types. Nothing here imports discord.js: the slash command and the shell command
 * (`npm run export`) drive the same pipeline.
 */

import type { ExportFilter } from '../reflections/repo.js';
import type { ExportableMeta, ExportableReflection, ExportTally } from '../reflections/service.js';
import type { ReaderJob } from './chunks.js';
import type { ExportReaders } from './readers.js';

/** A reflection as the reflections store hands it out for export, and the store's filter (see `listExportable`). */
export type { ExportableMeta, ExportableReflection, ExportTally };
export type ExportableFilter = ExportFilter;

/**
 * Where exported reflections come from: ascending id, never private, hidden or deleted. The filter's scope
 * fields (and `week`/`noWeek`/`toId`) narrow the rows; a store may ignore them, since the pipeline checks
 * every row again.
 */
export interface ExportSource {
  listExportable(guildId: string, filter: ExportableFilter): ExportableReflection[] | Promise<ExportableReflection[]>;
  /**
   * The same rows counted by week (and shared author, when asked), `limit` aside and nothing decrypted; without
   * it the pipeline tallies the rows of `listExportable`.
   */
  tallyExportable?(guildId: string, filter: ExportableFilter, withAuthors: boolean): ExportTally | Promise<ExportTally>;
  /**
   * A view of the store that every read of one export shares (consistent count and rows), possibly on another
   * thread (then reads are asynchronous); closed when the export ends.
   */
  openExportSnapshot?(): Omit<ExportSource, 'openExportSnapshot' | 'openReaders'> & { close(): void | Promise<void> };
  /**
   * Reader threads for one export, all on one snapshot, each reading and formatting chunks of it (see
   * reader-thread.ts); without it the export is read on the caller's thread.
   */
  openReaders?(job: ReaderJob): Promise<ExportReaders>;
  /** Called once an export's reads have ended and its snapshot is released (work a reader held up can run now). */
  exportEnded?(): void;
}

export const EXPORT_FORMATS = ['markdown', 'csv', 'json', 'html'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** What a moderator (or the operator) asked for. No field set means everything. */
export interface ExportScope {
  week: number | null;
  /** Inclusive UTC dates, YYYY-MM-DD. */
  from: string | null;
  to: string | null;
  chapterId: string | null;
  /** That member's shared reflections only. */
  memberId: string | null;
  sinceLast: boolean;
}

export const EVERYTHING: ExportScope = { week: null, from: null, to: null, chapterId: null, memberId: null, sinceLast: false };

/** One reflection after the privacy rules were applied: what a file may contain. */
export interface ExportEntry {
  /**
   * The reflection's number; null for anonymous reflections and in pseudonymised files. Shared posts show it in
   * the thread beside the author's name, so a number in the file would tie a row back to who wrote it.
   */
  id: number | null;
  createdAt: string;
  week: number | null;
  chapterId: string | null;
  chapter: string | null;
  visibility: 'shared' | 'anonymous';
  /** Null for anonymous reflections and in pseudonymised files. */
  authorId: string | null;
  /** The stored display name, "Member N" when pseudonymised, null for anonymous reflections. */
  authorName: string | null;
  /** How the entry is signed in readable formats: the name, "Member N", or "A member". */
  byline: string;
  text: string;
}

export interface WeekHeading {
  week: number;
  title: string | null;
  prompt: string | null;
}

/** What every formatter knows about the file it writes. */
export interface ExportMeta {
  guildId: string;
  guildName: string | null;
  format: ExportFormat;
  exportedAt: string;
  scope: ExportScope;
  /** The previous export's instant a since-last export starts after (null: everything). */
  since: string | null;
  pseudonymised: boolean;
  week(week: number): WeekHeading | null;
}

/**
 * A formatter writes a file in pieces, so the pipeline can stream it chunk by chunk, and entries can be
 * formatted on other threads: `entry` depends on its entry alone, and the pipeline puts `separator` between
 * consecutive entries. A `grouped` formatter gets its entries week by week (numbered weeks in order, then
 * those tied to no week; by id within a week), each group opened by `group` and closed by `groupEnd`, and
 * knows the count from `begin`, since its header states it. The others get their entries in id order and
 * learn the count, and the weeks their entries belong to, at `end`.
 */
export interface Formatter {
  readonly grouped: boolean;
  /** Written between two consecutive entries (JSON's comma), across groups and chunks alike. */
  readonly separator: string;
  /** The file's start; `count` is the number of entries for a grouped formatter (0 for the others, unknown yet). */
  begin(count: number): string;
  group(week: number | null): string;
  groupEnd(week: number | null): string;
  entry(entry: ExportEntry): string;
  /** The file's end: how many entries it holds, and the plan weeks they belong to (ascending). */
  end(count: number, weeks: readonly number[]): string;
}

export interface FormatInfo {
  extension: string;
  contentType: string;
  create(meta: ExportMeta): Formatter;
}
