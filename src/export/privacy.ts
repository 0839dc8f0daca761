import type { ExportableMeta, ExportableReflection, ExportEntry, ExportScope } from './types.js';

export const ANONYMOUS_BYLINE = 'A member';

/** Stable "Member 1", "Member 2" … within one file, in order of first appearance. */
export class Pseudonyms {
  private readonly names = new Map<string, string>();

  /** The names as numbered elsewhere (the pipeline numbers them once, in id order, for every reader thread). */
  static numbered(names: Iterable<[string, string]>): Pseudonyms {
    const pseudonyms = new Pseudonyms();
    for (const [authorId, name] of names) pseudonyms.names.set(authorId, name);
    return pseudonyms;
  }

  entries(): [string, string][] {
    return [...this.names];
  }

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
  /** The export's instant (ms): reflections that became exportable after it belong to the next export. */
  snapshotMs: number;
  /** For since-last (ms): only reflections that became exportable after this instant. */
  sinceMs: number | null;
  pseudonyms: Pseudonyms | null;
  chapterLabel(chapterId: string): string | null;
}

const time = (iso: string) => Date.parse(iso);

/**
 * The privacy rules, applied to every row whatever the store's query did: only shared and anonymous
 * reflections of this server; anonymous ones carry no author id or name; a member filter matches that
 * member's shared reflections only; anonymous rows and pseudonymised files carry no author id or name, nor the
 * reflection's number (shown beside the name in the thread). Returns null for a row
 * that must not be in the file.
 */
export function project(row: ExportableReflection, options: ProjectOptions): ExportEntry | null {
  if (!admits(row, options)) return null;
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
    id: row.visibility === 'anonymous' || options.pseudonyms ? null : row.id,
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

/** Whether a row belongs in the file at all (the rules of `project`, on the row's metadata only). */
export function admits(row: ExportableMeta, options: Omit<ProjectOptions, 'pseudonyms' | 'chapterLabel'>): boolean {
  const { scope } = options;
  if (row.guildId !== options.guildId) return false;
  if (row.visibility !== 'shared' && row.visibility !== 'anonymous') return false;
  const exportableAt = time(row.exportableAt);
  if (exportableAt > options.snapshotMs) return false;
  if (options.sinceMs !== null && !(exportableAt > options.sinceMs)) return false;
  if (scope.week !== null && row.week !== scope.week) return false;
  if (scope.chapterId !== null && row.chapterId !== scope.chapterId) return false;
  if (scope.memberId !== null && (row.visibility !== 'shared' || row.authorId !== scope.memberId)) return false;
  const day = row.createdAt.slice(0, 10);
  if (scope.from !== null && day < scope.from) return false;
  if (scope.to !== null && day > scope.to) return false;
  return true;
}

/** What `toISOString` writes; such a value is returned as it is, without a parse and a format per row. */
const CANONICAL_ISO = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{3}Z$/;

function isoOrAsIs(value: string): string {
  if (CANONICAL_ISO.test(value) && Number(value.slice(8, 10)) <= 28) return value;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? value : new Date(ms).toISOString();
}
