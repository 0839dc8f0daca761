import { createHash } from 'node:crypto';
import type { FormattedChunk, ReaderJob } from './chunks.js';
import { formats } from './formats/index.js';
import { Pseudonyms } from './privacy.js';
import { inThreadReaders, WHOLE_TABLE, type ExportReaders } from './readers.js';
import type { ExportFormat, ExportMeta, ExportScope, ExportSource, WeekHeading } from './types.js';

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
  /** The book's chapter ids, so reader threads get their labels up front (`chapterLabel` answers the rest on this thread). */
  chapterIds?: readonly string[];
  /** Rows read per statement (reader threads: ids per range); in-thread, the event loop gets a turn between chunks. */
  chunkSize?: number;
}

export interface GeneratedExport {
  count: number;
  bytes: number;
  sha256: string;
  /** Reader threads that read it (0: this thread); logged, so an operator can see exports leave the bot's thread. */
  readerThreads: number;
  /** Pauses those threads took for members' interactions while they read it; logged too. */
  pausesForMembers: number;
}

export const DEFAULT_CHUNK_SIZE = 500;

/**
 * Writes one export to the sink, a chunk at a time. The chunks are read, decrypted and formatted by the
 * source's reader threads when it has them (several at once, on one snapshot), otherwise on this thread with
 * the event loop getting a turn between chunks (each statement finished before the next await, so no
 * statement stays open while other members' commands run and write). Either way this thread writes the
 * file's frame (header, week headings, end), hashes every byte in order and hands it to the sink, which may
 * take its time (backpressure). Nothing holds more than a few chunks of the file.
 *
 * Grouped formats (Markdown, HTML) state the count up front and list reflections week by week, and a
 * pseudonymised file numbers its authors in id order, so those first have the store tally the rows (SQLite
 * counts them, nothing decrypted): the count, the weeks with the id range of each, and the authors in order
 * of appearance.
 */
export async function generateExport(options: GenerateOptions, sink: ExportSink): Promise<GeneratedExport> {
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
  const headings = new Map<number, WeekHeading | null>();
  const week = (n: number) => {
    if (!headings.has(n)) headings.set(n, options.week(n));
    return headings.get(n) ?? null;
  };
  const job: ReaderJob = {
    meta: {
      guildId: meta.guildId,
      guildName: meta.guildName,
      format: meta.format,
      exportedAt: meta.exportedAt,
      scope: meta.scope,
      since: meta.since,
      pseudonymised: meta.pseudonymised,
    },
    chapterLabels: chapterLabelsOf(options),
    chunkSize: Math.max(1, options.chunkSize ?? DEFAULT_CHUNK_SIZE),
  };

  const hash = createHash('sha256');
  let bytes = 0;
  const emit = async (data: Uint8Array) => {
    if (data.length === 0) return;
    hash.update(data);
    bytes += data.length;
    await sink(Buffer.from(data.buffer, data.byteOffset, data.length));
  };
  const emitText = (text: string) => emit(Buffer.from(text, 'utf8'));
  const separatorBytes = Buffer.byteLength(formatter.separator, 'utf8');
  let count = 0;
  const weeksSeen = new Set<number>();
  /** A chunk's entries each start with the separator; the file's very first entry goes without. */
  const emitChunk = async (chunk: FormattedChunk) => {
    if (chunk.count === 0) return;
    const data = count === 0 ? chunk.data.subarray(separatorBytes) : chunk.data;
    count += chunk.count;
    for (const w of chunk.weeks) weeksSeen.add(w);
    await emit(data);
  };

  const readers = (await options.source.openReaders?.(job)) ?? inThreadReaders(options.source, job, (id) => options.chapterLabel(id));
  try {
    const groups = formatter.grouped || options.pseudonymise ? await summarise(readers, options.pseudonymise) : null;
    if (options.pseudonymise && groups) await readers.setPseudonyms(groups.pseudonyms);
    if (!formatter.grouped) {
      await emitText(formatter.begin(0));
      for await (const chunk of readers.chunks(WHOLE_TABLE)) await emitChunk(chunk);
    } else {
      await emitText(formatter.begin(groups!.count));
      for (const [groupWeek, span] of groups!.inOrder()) {
        await emitText(formatter.group(groupWeek));
        for await (const chunk of readers.chunks({ afterId: span.firstId - 1, toId: span.lastId }, groupWeek)) await emitChunk(chunk);
        await emitText(formatter.groupEnd(groupWeek));
      }
      // The tally (the store's count) and the rows (each judged again by the privacy rules) must agree, or the
      // count at the top of the file would be wrong. They follow the same rules; this catches a store that does not.
      if (count !== groups!.count) throw new Error(`the export counted ${groups!.count} reflections but wrote ${count}`);
    }
    await emitText(formatter.end(count, [...weeksSeen].sort((a, b) => a - b)));
    return { count, bytes, sha256: hash.digest('hex'), readerThreads: readers.threads, pausesForMembers: readers.pausesForMembers() };
  } finally {
    try {
      await readers.close();
    } finally {
      options.source.exportEnded?.();
    }
  }
}

function chapterLabelsOf(options: GenerateOptions): [string, string][] {
  return (options.chapterIds ?? []).flatMap((id) => {
    const label = options.chapterLabel(id);
    return label === null ? [] : [[id, label] as [string, string]];
  });
}

interface GroupSpan {
  firstId: number;
  lastId: number;
}

/**
 * The tally, merged over the whole id range: how many rows the file will hold, which weeks they fall in (with
 * the id range of each, so each week's read covers only that range), and the authors of shared entries in
 * order of first appearance, numbered as the file's pseudonyms.
 */
async function summarise(readers: ExportReaders, withAuthors: boolean): Promise<{ count: number; pseudonyms: [string, string][]; inOrder(): [number | null, GroupSpan][] }> {
  const tally = await readers.tally(WHOLE_TABLE, withAuthors);
  const pseudonyms = new Pseudonyms();
  for (const [authorId] of tally.authors) pseudonyms.of(authorId);
  const spans = new Map<number | null, GroupSpan>(tally.weeks.map(([w, , firstId, lastId]) => [w, { firstId, lastId }]));
  return {
    count: tally.count,
    pseudonyms: pseudonyms.entries(),
    inOrder() {
      const weeks = [...spans.keys()].filter((w): w is number => w !== null).sort((a, b) => a - b);
      const ordered: [number | null, GroupSpan][] = weeks.map((w) => [w, spans.get(w)!]);
      const loose = spans.get(null);
      if (loose) ordered.push([null, loose]);
      return ordered;
    },
  };
}
