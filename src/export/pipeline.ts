import { createHash } from 'node:crypto';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { formats } from './formats/index.js';
import { admits, project, Pseudonyms, type ProjectOptions } from './privacy.js';
import type { ExportableFilter, ExportableMeta, ExportEntry, ExportFormat, ExportMeta, ExportScope, ExportSource, WeekHeading } from './types.js';

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
/**
 * Without a fixed chunk size, each chunk is sized to take about this long (read, decrypt, format, hash), so
 * no synchronous slice comes near the 50 ms a member would notice, on a slow or busy machine too.
 */
const SLICE_TARGET_MS = 8;
const MIN_CHUNK = 25;
const MAX_CHUNK = 2000;
const FIRST_ADAPTIVE_CHUNK = 100;
const SCRATCH_BYTES = 1024 * 1024;
/** Rows per statement while counting a grouped export (no text, nothing decrypted, so a larger chunk stays short). */
const META_CHUNK_FACTOR = 2;

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
 * Writes one export to the sink, a chunk at a time: each chunk of rows is read (one synchronous statement,
 * finished before the next await, so no statement stays open while other members' commands run and write),
 * formatted, encoded once, hashed and handed to the sink, which may take its time (backpressure); then the
 * event loop gets a turn. Nothing holds more than one chunk of the file.
 *
 * Grouped formats (Markdown, HTML) state the count up front and list reflections week by week, so they read
 * twice: first the rows' metadata (nothing decrypted) to count them, find the weeks and number pseudonyms in
 * id order, then each week's rows in id order. Both passes read the same snapshot when the store offers one.
 */
export async function generateExport(options: GenerateOptions, sink: ExportSink): Promise<GeneratedExport> {
  const fixedChunk = options.chunkSize !== undefined ? Math.max(1, options.chunkSize) : null;
  let chunkSize = fixedChunk ?? FIRST_ADAPTIVE_CHUNK;
  /** The next chunk's size from how long this one took (rows per ms), within bounds; a fixed size stays fixed. */
  const adapt = (rows: number, ms: number) => {
    if (fixedChunk !== null || rows < chunkSize) return;
    const perMs = rows / Math.max(ms, 0.5);
    chunkSize = Math.round(Math.min(MAX_CHUNK, Math.max(MIN_CHUNK, Math.min(chunkSize * 2, perMs * SLICE_TARGET_MS))));
  };
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
  const encoder = new ChunkEncoder();
  const write = (text: string) => encoder.write(text);
  /** What was written since the last call, encoded and hashed (null when nothing was). */
  const takeChunk = (): Buffer | null => {
    const chunk = encoder.take();
    if (chunk === null) return null;
    hash.update(chunk);
    bytes += chunk.length;
    return chunk;
  };
  const flush = async () => {
    const chunk = takeChunk();
    if (chunk) await sink(chunk);
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

  const snapshot = options.source.openExportSnapshot?.();
  const source: ExportSource = snapshot ?? options.source;
  try {
    /** Reads rows in keyset chunks (ascending id, each id once) and hands each admitted entry on; yields between chunks. */
    const readRows = async (range: Omit<ExportableFilter, 'afterId' | 'limit'>, from: number, accept: (entry: ExportEntry) => void) => {
      let afterId = from;
      let limit = chunkSize;
      let next = source.listExportable(options.guildId, { ...range, afterId, limit });
      for (;;) {
        const rows = await next;
        const started = performance.now();
        const lastId = rows.reduce((max, row) => (row.id > max ? row.id : max), afterId);
        const more = rows.length >= limit && lastId > afterId;
        // A store on another thread reads the next chunk while this one is formatted.
        const prefetched = more && next instanceof Promise;
        const nextLimit = chunkSize;
        if (prefetched) next = source.listExportable(options.guildId, { ...range, afterId: lastId, limit: nextLimit });
        let seen = afterId;
        for (const row of rows) {
          if (row.id <= seen) continue;
          seen = row.id;
          const entry = project(row, projectOptions);
          if (entry !== null) accept(entry);
        }
        const chunk = takeChunk();
        adapt(rows.length, performance.now() - started);
        if (chunk) await sink(chunk);
        if (!more) return;
        afterId = lastId;
        await nextTurn();
        if (prefetched) {
          limit = nextLimit;
        } else {
          limit = chunkSize;
          next = source.listExportable(options.guildId, { ...range, afterId, limit });
        }
      }
    };

    let count = 0;
    if (!formatter.grouped) {
      write(formatter.begin(0));
      await readRows(filter, 0, (entry) => {
        count += 1;
        write(formatter.entry(entry));
      });
    } else {
      const groups = await countGroups(source, options.guildId, filter, chunkSize * META_CHUNK_FACTOR, projectOptions);
      write(formatter.begin(groups.count));
      for (const [groupWeek, span] of groups.inOrder()) {
        write(formatter.group(groupWeek));
        const range = { ...filter, toId: span.lastId, ...(groupWeek === null ? { noWeek: true } : { week: groupWeek }) };
        await readRows(range, span.firstId - 1, (entry) => {
          if (entry.week !== groupWeek) return;
          count += 1;
          write(formatter.entry(entry));
        });
        write(formatter.groupEnd(groupWeek));
      }
    }
    write(formatter.end(count));
    await flush();
    return { count, bytes, sha256: hash.digest('hex') };
  } finally {
    await snapshot?.close();
  }
}

/**
 * Encodes the formatter's pieces straight into a reused buffer. Joining a chunk's pieces into one string
 * first made a string of several hundred KB per chunk, which V8 keeps in its large-object space until a full
 * collection: the heap (and RSS) grew by the size of the file between collections.
 */
class ChunkEncoder {
  private readonly scratch = Buffer.allocUnsafe(SCRATCH_BYTES);
  private used = 0;
  private out: Buffer[] = [];

  write(text: string): void {
    if (text === '') return;
    // At most 3 bytes of UTF-8 per UTF-16 code unit.
    const most = text.length * 3;
    if (this.used + most > this.scratch.length) {
      this.spill();
      if (most > this.scratch.length) {
        this.out.push(Buffer.from(text, 'utf8'));
        return;
      }
    }
    this.used += this.scratch.write(text, this.used, 'utf8');
  }

  take(): Buffer | null {
    this.spill();
    if (this.out.length === 0) return null;
    const chunk = this.out.length === 1 ? this.out[0]! : Buffer.concat(this.out);
    this.out = [];
    return chunk;
  }

  private spill(): void {
    if (this.used === 0) return;
    // A copy: the sink may keep the chunk (a part being filled) while the scratch buffer is reused.
    this.out.push(Buffer.from(this.scratch.subarray(0, this.used)));
    this.used = 0;
  }
}

interface GroupSpan {
  firstId: number;
  lastId: number;
}

/**
 * The first pass of a grouped export: how many rows the file will hold, which weeks they fall in (with the
 * id range of each, so the second pass reads only that range), and the pseudonyms, numbered in id order.
 */
async function countGroups(
  source: ExportSource,
  guildId: string,
  filter: Omit<ExportableFilter, 'afterId' | 'limit'>,
  chunkSize: number,
  projectOptions: ProjectOptions,
): Promise<{ count: number; inOrder(): [number | null, GroupSpan][] }> {
  const list = (f: ExportableFilter): ExportableMeta[] | Promise<ExportableMeta[]> =>
    source.listExportableMeta ? source.listExportableMeta(guildId, f) : source.listExportable(guildId, f);
  const spans = new Map<number | null, GroupSpan>();
  let count = 0;
  let afterId = 0;
  for (;;) {
    const rows = await list({ ...filter, afterId, limit: chunkSize });
    let lastId = afterId;
    for (const row of rows) {
      if (row.id <= lastId) continue;
      lastId = row.id;
      if (!admits(row, projectOptions)) continue;
      count += 1;
      if (projectOptions.pseudonyms && row.visibility === 'shared' && row.authorId !== null) projectOptions.pseudonyms.of(row.authorId);
      const span = spans.get(row.week);
      if (span) span.lastId = row.id;
      else spans.set(row.week, { firstId: row.id, lastId: row.id });
    }
    if (rows.length < chunkSize || lastId === afterId) break;
    afterId = lastId;
    await nextTurn();
  }
  return {
    count,
    inOrder() {
      const weeks = [...spans.keys()].filter((w): w is number => w !== null).sort((a, b) => a - b);
      const ordered: [number | null, GroupSpan][] = weeks.map((w) => [w, spans.get(w)!]);
      const loose = spans.get(null);
      if (loose) ordered.push([null, loose]);
      return ordered;
    },
  };
}
