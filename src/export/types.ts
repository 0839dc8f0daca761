/**
 * The export's plain types. Nothing here imports discord.js: the slash command and the shell command
 * (`npm run export`) drive the same pipeline.
 */

import type { ExportFilter } from '../reflections/repo.js';
import type { ExportableReflection } from '../reflections/service.js';

/** A reflection as the reflections store hands it out for export, and the store's filter (see `listExportable`). */
export type { ExportableReflection };
export type ExportableFilter = ExportFilter;

/** Where exported reflections come from: ascending id, never private, hidden or deleted. */
export interface ExportSource {
  listExportable(guildId: string, filter: ExportableFilter): ExportableReflection[];
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
  id: number;
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
 * A formatter writes a file in pieces, so the pipeline can yield between chunks. `entry` may return '' and
 * keep the piece for `end` (the readable formats group reflections by week).
 */
export interface Formatter {
  begin(): string;
  entry(entry: ExportEntry): string;
  end(count: number): Iterable<string>;
}

export interface FormatInfo {
  extension: string;
  contentType: string;
  create(meta: ExportMeta): Formatter;
}
