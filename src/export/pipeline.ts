import { createHash } from 'node:crypto';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { formats } from './formats/index.js';
import { project, Pseudonyms } from './privacy.js';
import type { ExportableFilter, ExportFormat, ExportMeta, ExportScope, ExportSource, WeekHeading } from './types.js';

/** Where the file goes, a piece at a time (memory for Discord, a file or stdout for the shell). */
export type ExportSink = (chunk: Buffer) => void | Promise<void>;

export interface GenerateOptions {
  source: ExportSource;
  guildId: string;
  guildName: string | null;
  format: ExportFormat;
  scope: ExportScope;
  pseudonymise: boolean;
  /** The export's instant (ISO): reflections that become exportable later wait for the next export. */
  snapshot: string;
  since: string | null;
  week(week: number): WeekHeading | null;
  chapterLabel(chapterId: string): string | null;
  /** Rows read per statement; the pipeline yields to the event loop between chunks. */
  chunkSize?: number;
}

export interface GeneratedExport {
  count: number;
  bytes: number;
  sha256: string;
}

export const DEFAULT_CHUNK_SIZE = 500;
/** How many formatter pieces the closing phase writes before letting other work run. */
const PIECES_PER_TURN = 500;

/** The filter handed to the store (the pipeline re-checks every rule on each row, see `project`). */
export function storeFilter(scope: ExportScope, since: string | null): Omit<ExportableFilter, 'afterId' | 'limit'> {
  const filter: Omit<ExportableFilter, 'afterId' | 'limit'> = {};
  if (scope.week !== null) filter.week = scope.week;
  if (scope.from !== null) filter.from = scope.from;
  if (scope.to !== null) filter.to = scope.to;
  if (scope.chapterId !== null) filter.chapterId = scope.chapterId;
  if (scope.memberId !== null) filter.authorId = scope.memberId;
  if (since !== null) filter.exportableSince = since;
  return filter;
}

/**
 * Writes one export to the sink. Reads in keyset chunks (`id > afterId LIMIT n`): each read is one
 * synchronous statement that is finished before the next await, so no statement stays open while other
 * members' commands run and write; between chunks it yields to the event loop.
 */
export async function generateExport(options: GenerateOptions, sink: ExportSink): Promise<GeneratedExport> {
  const chunkSize = Math.max(1, options.chunkSize ?? DEFAULT_CHUNK_SIZE);
  const meta: ExportMeta = {
    guildId: options.guildId,
    guildName: options.guildName,
    format: options.format,
    exportedAt: options.snapshot,
    scope: options.scope,
    since: options.since,
    pseudonymised: options.pseudonymise,
    week: (n) => week(n),
  };
  const formatter = formats[options.format].create(meta);
  const hash = createHash('sha256');
  let bytes = 0;
  const write = async (text: string) => {
    if (text === '') return;
    const chunk = Buffer.from(text, 'utf8');
    hash.update(chunk);
    bytes += chunk.length;
    await sink(chunk);
  };

  const headings = new Map<number, WeekHeading | null>();
  const week = (n: number) => {
    if (!headings.has(n)) headings.set(n, options.week(n));
    return headings.get(n) ?? null;
  };
  const projectOptions = {
    guildId: options.guildId,
    scope: options.scope,
    snapshot: options.snapshot,
    since: options.since,
    pseudonyms: options.pseudonymise ? new Pseudonyms() : null,
    chapterLabel: (id: string) => options.chapterLabel(id),
  };

  const filter = storeFilter(options.scope, options.since);
  let count = 0;
  let afterId = 0;
  await write(formatter.begin());
  for (;;) {
    const rows = options.source.listExportable(options.guildId, { ...filter, afterId, limit: chunkSize });
    const pieces: string[] = [];
    for (const row of rows) {
      if (row.id <= afterId) continue;
      const entry = project(row, projectOptions);
      if (entry === null) continue;
      count += 1;
      pieces.push(formatter.entry(entry));
    }
    await write(pieces.join(''));
    const lastId = rows.reduce((max, r) => Math.max(max, r.id), afterId);
    if (rows.length < chunkSize || lastId === afterId) break;
    afterId = lastId;
    await nextTurn();
  }

  let pending: string[] = [];
  for (const piece of formatter.end(count)) {
    pending.push(piece);
    if (pending.length >= PIECES_PER_TURN) {
      await write(pending.join(''));
      pending = [];
      await nextTurn();
    }
  }
  await write(pending.join(''));
  return { count, bytes, sha256: hash.digest('hex') };
}
