import type { ExportableReflection, ExportEntry, ExportScope } from './types.js';

export const ANONYMOUS_BYLINE = 'A member';

/** Stable "Member 1", "Member 2" … within one file, in order of first appearance. */
export class Pseudonyms {
  private readonly names = new Map<string, string>();

  of(authorId: string): string {
    let name = this.names.get(authorId);
    if (name === undefined) {
      name = `Member ${this.names.size + 1}`;
      this.names.set(authorId, name);
    }
    return name;
  }
}

export interface ProjectOptions {
  guildId: string;
  scope: ExportScope;
  /** Reflections that became exportable after this instant belong to the next export. */
  snapshot: string;
  /** For since-last: only reflections that became exportable after this instant. */
  since: string | null;
  pseudonyms: Pseudonyms | null;
  chapterLabel(chapterId: string): string | null;
}

const time = (iso: string) => Date.parse(iso);

/**
 * The privacy rules, applied to every row whatever the store's query did: only shared and anonymous
 * reflections of this server; anonymous ones carry no author id or name; a member filter matches that
 * member's shared reflections only; pseudonymised files carry no ids or names. Returns null for a row
 * that must not be in the file.
 */
export function project(row: ExportableReflection, options: ProjectOptions): ExportEntry | null {
  const { scope } = options;
  if (row.guildId !== options.guildId) return null;
  if (row.visibility !== 'shared' && row.visibility !== 'anonymous') return null;
  if (time(row.exportableAt) > time(options.snapshot)) return null;
  if (options.since !== null && !(time(row.exportableAt) > time(options.since))) return null;
  if (scope.week !== null && row.week !== scope.week) return null;
  if (scope.chapterId !== null && row.chapterId !== scope.chapterId) return null;
  if (scope.memberId !== null && (row.visibility !== 'shared' || row.authorId !== scope.memberId)) return null;
  const day = row.createdAt.slice(0, 10);
  if (scope.from !== null && day < scope.from) return null;
  if (scope.to !== null && day > scope.to) return null;

  let authorId: string | null = null;
  let authorName: string | null = null;
  let byline = ANONYMOUS_BYLINE;
  if (row.visibility === 'shared' && row.authorId !== null) {
    if (options.pseudonyms) {
      authorName = options.pseudonyms.of(row.authorId);
    } else {
      authorId = row.authorId;
      authorName = row.authorName;
    }
    byline = authorName ?? ANONYMOUS_BYLINE;
  }
  return {
    id: row.id,
    createdAt: isoOrAsIs(row.createdAt),
    week: row.week,
    chapterId: row.chapterId,
    chapter: row.chapterId === null ? null : (options.chapterLabel(row.chapterId) ?? row.chapterId),
    visibility: row.visibility,
    authorId,
    authorName,
    byline,
    text: row.text,
  };
}

function isoOrAsIs(value: string): string {
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? value : new Date(ms).toISOString();
}
