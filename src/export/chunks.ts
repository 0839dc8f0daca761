import { formats } from './formats/index.js';
import { admits, project, Pseudonyms, type ProjectOptions } from './privacy.js';
import type { IdRange } from './readers.js';
import type { ExportableFilter, ExportMeta, ExportScope, ExportSource, ExportTally } from './types.js';

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

/**
 * The filter handed to the store: the privacy rules of `project` (which checks every row again) as far as
 * they are about a row's metadata, so the store's tally counts exactly the rows the file will hold.
 */
export function storeFilter(scope: ExportScope, since: string | null, snapshot: string): Omit<ExportableFilter, 'afterId' | 'limit'> {
  const filter: Omit<ExportableFilter, 'afterId' | 'limit'> = { exportableUntil: snapshot };
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

/**
 * Tallies of parts of one export's id range (one per reader thread) as one: counts added up, each week's and
 * author's first id the lowest and a week's last id the highest, in order of first appearance.
 */
export function mergeTallies(tallies: readonly ExportTally[]): ExportTally {
  const weeks = new Map<number | null, [number | null, number, number, number]>();
  const authors = new Map<string, number>();
  let count = 0;
  for (const tally of tallies) {
    count += tally.count;
    for (const [week, n, firstId, lastId] of tally.weeks) {
      const seen = weeks.get(week);
      if (!seen) weeks.set(week, [week, n, firstId, lastId]);
      else weeks.set(week, [week, seen[1] + n, Math.min(seen[2], firstId), Math.max(seen[3], lastId)]);
    }
    for (const [authorId, firstId] of tally.authors) authors.set(authorId, Math.min(authors.get(authorId) ?? firstId, firstId));
  }
  return {
    count,
    weeks: [...weeks.values()].sort((a, b) => a[2] - b[2]),
    authors: [...authors].sort((a, b) => a[1] - b[1]),
  };
}

type RowSource = Pick<ExportSource, 'listExportable' | 'tallyExportable'>;

/**
 * Reads and formats chunks of one export from `source` (a snapshot, the store, or a reader thread's own
 * connection). Chapters are labelled from the job's list, or by `chapterLabel` on the caller's own thread.
 * `betweenRows` runs before each row is formatted (a reader thread steps aside there for members).
 */
export function createChunkReader(source: RowSource, job: ReaderJob, chapterLabel?: (chapterId: string) => string | null, betweenRows?: () => void) {
  const { meta } = job;
  const formatter = formats[meta.format].create({ ...meta, week: () => null });
  const labels = new Map(job.chapterLabels);
  const storeRange = storeFilter(meta.scope, meta.since, meta.exportedAt);
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

    /**
     * What a grouped (or pseudonymised) export learns before it writes anything, for the rows of `range`:
     * counted by the store when it can (nothing decrypted), else from its rows, `chunkSize` at a time.
     */
    async tally(range: IdRange, withAuthors: boolean): Promise<ExportTally> {
      if (source.tallyExportable) return source.tallyExportable(meta.guildId, { ...storeRange, afterId: range.afterId, toId: range.toId, limit: job.chunkSize }, withAuthors);
      const tallies: ExportTally[] = [];
      for (let afterId = range.afterId; ; ) {
        const read: ChunkRead = { afterId, toId: range.toId, limit: job.chunkSize };
        const { inRange, lastId, more } = progress(await source.listExportable(meta.guildId, filterOf(read)), read);
        const admitted = inRange.filter((row) => admits(row, options));
        tallies.push({
          count: admitted.length,
          weeks: admitted.map((row) => [row.week, 1, row.id, row.id]),
          authors: withAuthors ? admitted.flatMap((row) => (row.visibility === 'shared' && row.authorId !== null ? [[row.authorId, row.id] as [string, number]] : [])) : [],
        });
        if (!more) return mergeTallies(tallies);
        afterId = lastId;
      }
    },

    async chunk(read: ChunkRead): Promise<FormattedChunk> {
      const rows = await source.listExportable(meta.guildId, filterOf(read));
      const { inRange, lastId, more } = progress(rows, read);
      const weeks = new Set<number>();
      let count = 0;
      for (const row of inRange) {
        betweenRows?.();
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
