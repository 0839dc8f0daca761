import { formats } from './formats/index.js';
import { admits, project, Pseudonyms, type ProjectOptions } from './privacy.js';
import type { ExportableFilter, ExportableMeta, ExportMeta, ExportScope, ExportSource } from './types.js';

/**
 * One chunk of an export, read and formatted where its rows are (on this thread, or on a reader thread of
 * the pool in reader-thread.ts): plain data in and out, so the same code runs on either side.
 */

/**
 * What every reader of one export is told once. Structured-clone safe. The file's meta says it all: the
 * server, format, scope, since-last instant and the export's instant (`exportedAt`, its snapshot); week
 * headings are the pipeline's (a chunk never writes one).
 */
export interface ReaderJob {
  meta: Omit<ExportMeta, 'week'>;
  chapterLabels: [string, string][];
  /** Rows per read. */
  chunkSize: number;
}

/** The filter handed to the store (every rule is checked again on each row, see `project`). */
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

/** Rows with `afterId < id <= toId`, at most `limit` of them; `week` narrows a grouped export's read to one group. */
export interface ChunkRead {
  afterId: number;
  toId: number;
  limit: number;
  /** Only entries of this plan week (null: tied to none); absent: every entry. */
  week?: number | null;
}

export interface ReadProgress {
  /** The highest id this read looked at: the next read starts after it. */
  lastId: number;
  /** Whether rows may remain in the range after `lastId`. */
  more: boolean;
}

/**
 * A chunk of the file: its entries formatted, each preceded by the formatter's separator (the pipeline drops
 * the very first one), encoded as UTF-8.
 */
export interface FormattedChunk extends ReadProgress {
  data: Uint8Array;
  count: number;
  /** The plan weeks of its entries, ascending, each once. */
  weeks: number[];
}

/** What a grouped (or pseudonymised) export learns from rows' metadata before it writes anything. */
export interface ChunkSummary extends ReadProgress {
  count: number;
  /** Per plan week (null: none), the first and last admitted id in this chunk, in order of first appearance. */
  spans: [week: number | null, firstId: number, lastId: number][];
  /** Authors of shared entries, in order of first appearance (numbered "Member N" when pseudonymised). */
  authors: string[];
}

type RowSource = Pick<ExportSource, 'listExportable' | 'listExportableMeta'>;

/**
 * Reads and formats chunks of one export from `source` (a snapshot, the store, or a reader thread's own
 * connection). Chapters are labelled from the job's list, or by `chapterLabel` on the caller's own thread.
 */
export function createChunkReader(source: RowSource, job: ReaderJob, chapterLabel?: (chapterId: string) => string | null) {
  const { meta } = job;
  const formatter = formats[meta.format].create({ ...meta, week: () => null });
  const labels = new Map(job.chapterLabels);
  const storeRange = storeFilter(meta.scope, meta.since);
  const options: ProjectOptions = {
    guildId: meta.guildId,
    scope: meta.scope,
    snapshotMs: Date.parse(meta.exportedAt),
    sinceMs: meta.since === null ? null : Date.parse(meta.since),
    pseudonyms: null,
    chapterLabel: chapterLabel ?? ((id) => labels.get(id) ?? null),
  };
  const separator = formatter.separator;
  const encoder = new ChunkEncoder();
  const filterOf = (read: ChunkRead): ExportableFilter => {
    const filter: ExportableFilter = { ...storeRange, afterId: read.afterId, toId: read.toId, limit: read.limit };
    if (read.week === null) filter.noWeek = true;
    else if (read.week !== undefined) filter.week = read.week;
    return filter;
  };
  /** Rows inside the range, each id once, ascending (a store may ignore the range or return too much). */
  const progress = <T extends { id: number }>(rows: readonly T[], read: ChunkRead): { inRange: T[] } & ReadProgress => {
    const inRange: T[] = [];
    let seen = read.afterId;
    let highest = read.afterId;
    for (const row of rows) {
      if (row.id > highest) highest = row.id;
      if (row.id <= seen || row.id > read.toId) continue;
      seen = row.id;
      inRange.push(row);
    }
    return { inRange, lastId: Math.min(highest, read.toId), more: rows.length >= read.limit && highest > read.afterId && highest < read.toId };
  };

  return {
    /** Pseudonyms numbered by the pipeline in id order over the whole export, before any entry is formatted. */
    setPseudonyms(names: [string, string][]): void {
      options.pseudonyms = Pseudonyms.numbered(names);
    },

    async summary(read: ChunkRead): Promise<ChunkSummary> {
      const filter = filterOf(read);
      const rows: readonly ExportableMeta[] = await (source.listExportableMeta ? source.listExportableMeta(meta.guildId, filter) : source.listExportable(meta.guildId, filter));
      const { inRange, lastId, more } = progress(rows, read);
      const spans = new Map<number | null, [number | null, number, number]>();
      const authors = new Set<string>();
      let count = 0;
      for (const row of inRange) {
        if (!admits(row, options)) continue;
        count += 1;
        if (row.visibility === 'shared' && row.authorId !== null) authors.add(row.authorId);
        const span = spans.get(row.week);
        if (span) span[2] = row.id;
        else spans.set(row.week, [row.week, row.id, row.id]);
      }
      return { count, spans: [...spans.values()], authors: [...authors], lastId, more };
    },

    async chunk(read: ChunkRead): Promise<FormattedChunk> {
      const rows = await source.listExportable(meta.guildId, filterOf(read));
      const { inRange, lastId, more } = progress(rows, read);
      const weeks = new Set<number>();
      let count = 0;
      for (const row of inRange) {
        const entry = project(row, options);
        if (entry === null || (read.week !== undefined && entry.week !== read.week)) continue;
        count += 1;
        if (entry.week !== null) weeks.add(entry.week);
        encoder.write(separator);
        encoder.write(formatter.entry(entry));
      }
      return { data: encoder.take(), count, weeks: [...weeks].sort((a, b) => a - b), lastId, more };
    },
  };
}

export type ChunkReader = ReturnType<typeof createChunkReader>;

const SCRATCH_BYTES = 1024 * 1024;

/**
 * Encodes a chunk's pieces straight into a reused buffer, then copies them out once into a buffer of their
 * own (which a reader thread can transfer without copying). Joining the pieces into one string first made a
 * string of several hundred KB per chunk, which V8 keeps in its large-object space until a full collection.
 */
export class ChunkEncoder {
  private readonly scratch = Buffer.allocUnsafe(SCRATCH_BYTES);
  private used = 0;
  private out: Uint8Array[] = [];
  private outBytes = 0;

  write(text: string): void {
    if (text === '') return;
    // At most 3 bytes of UTF-8 per UTF-16 code unit.
    const most = text.length * 3;
    if (this.used + most > this.scratch.length) {
      this.spill();
      if (most > this.scratch.length) {
        this.push(Buffer.from(text, 'utf8'));
        return;
      }
    }
    this.used += this.scratch.write(text, this.used, 'utf8');
  }

  /** Everything written since the last take, in one buffer that owns its memory (empty when nothing was written). */
  take(): Uint8Array {
    if (this.out.length === 0) {
      const out = copyOf(this.scratch.subarray(0, this.used));
      this.used = 0;
      return out;
    }
    this.spill();
    const out = unfilled(this.outBytes);
    let at = 0;
    for (const piece of this.out) {
      out.set(piece, at);
      at += piece.length;
    }
    this.out = [];
    this.outBytes = 0;
    return out;
  }

  private spill(): void {
    if (this.used === 0) return;
    this.push(copyOf(this.scratch.subarray(0, this.used)));
    this.used = 0;
  }

  private push(piece: Uint8Array): void {
    this.out.push(piece);
    this.outBytes += piece.length;
  }
}

function copyOf(bytes: Uint8Array): Uint8Array {
  const copy = unfilled(bytes.length);
  copy.set(bytes);
  return copy;
}

/**
 * Memory of its own (transferable, not a slice of Node's shared pool) and not zeroed first, since every byte
 * is written next (zeroing added about a third to the copy: 13 against 10 ms per 128 MB on the bench machine).
 */
function unfilled(length: number): Uint8Array {
  return Buffer.allocUnsafeSlow(length);
}
