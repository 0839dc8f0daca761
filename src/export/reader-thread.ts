import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { openDatabase } from '../db/connection.js';
import type { KeySettings } from '../reflections/keyring.js';
import { mergeTallies, type ChunkRead, type FormattedChunk, type ReaderJob } from './chunks.js';
import type { ExportReaders, IdRange } from './readers.js';
import type { ReaderNotice, ReaderReply, ReaderRequest, ReaderSetup } from './reader-worker.js';
import type { ExportSource, ExportTally } from './types.js';

export interface ReaderThreadOptions {
  /** The worker script; by default the compiled reader-worker.js beside this module. */
  script?: URL;
  /** Or the worker's code itself (tests load the TypeScript worker through tsx this way). */
  code?: string;
  /** Reader threads per export; by default one per core, at most four. */
  threads?: number;
  /** How long the threads may take to pin their common snapshot while the write lock is held (ms). */
  barrierTimeoutMs?: number;
  /** What one piece's formatted bytes should come to (see PIECE_BYTES). */
  pieceBytes?: number;
  /** The bot's count of interactions in flight: the threads step aside while it is above zero (members-first.ts). */
  inFlight?: SharedArrayBuffer;
}

/** Each thread's nice value: below the bot's own thread, so members' commands come first. */
const READER_PRIORITY = 10;
const READER_YOUNG_GENERATION_MB = 16;
/**
 * A ceiling on each reader's old generation, so V8 collects it before it has filled with promoted garbage.
 * A reader's live heap is about 7 MB plus one chunk's rows; a chunk of 500 of the longest reflections
 * (4,000 emoji each, 16 KB of UTF-8) is exported under it in a test, and 16 MB was too little for that.
 * Without a ceiling, one thread's old generation reached 45-55 MB in some JSON exports of 100,000 rows, and
 * the process's peak RSS up to 225 MiB (over 200 MiB in 5 of 25 such runs).
 */
const READER_OLD_GENERATION_MB = 32;
/** Requests waiting per thread: one being read while the next is queued, so no thread idles between chunks. */
const DEPTH_PER_THREAD = 2;
/**
 * What one piece of the file should come to. A piece is at most `chunkSize` ids wide; once pieces come back,
 * the width follows the bytes per row seen, so an export of long reflections (4,000 characters of Hebrew or
 * emoji are 8-16 KB each) holds about as much at a time as one of short ones (about 1.3 KB each, where the
 * width stays at `chunkSize`). Measured on 6,000 reflections of 4,000 emoji: without it the shell export's
 * peak RSS was 237-251 MiB.
 */
const PIECE_BYTES = 1024 * 1024;
/**
 * The bot's pieces. A thread steps aside only between rows, and a piece's read from SQLite is one call of
 * some 4 ms for 1 MiB: with pieces this size the thread reaches a row sooner. Measured with the bot's export
 * under a flood of /chapter (a prototype, 3 runs each): its p99 was 0.97-1.72x idle with 1 MiB pieces,
 * 1.07-1.10x with these.
 */
export const BOT_PIECE_BYTES = 256 * 1024;
const FIRST_PIECES_NARROWER = 8;

/**
 * The store, with each export read on a pool of reader threads: each has its own read-only connection on
 * one common snapshot and reads, decrypts and formats id ranges of the export in parallel; the caller's
 * thread only hashes and delivers the bytes, in order. Falls back to reading in-thread for an in-memory
 * database or when the worker script is not there (running from the TypeScript sources).
 */
export function withReaderThreads(source: ExportSource, settings: KeySettings, options: ReaderThreadOptions = {}): ExportSource {
  const script = options.script ?? new URL('./reader-worker.js', import.meta.url);
  const usable =
    settings.DATABASE_PATH !== ':memory:' && settings.DATABASE_PATH !== '' && (options.code !== undefined || (script.protocol === 'file:' && existsSync(fileURLToPath(script))));
  if (!usable) return source;
  const threads = Math.max(1, Math.min(4, Math.trunc(options.threads ?? availableParallelism())));
  return {
    listExportable: (guildId, filter) => source.listExportable(guildId, filter),
    ...(source.tallyExportable
      ? { tallyExportable: (guildId: string, filter: Parameters<NonNullable<ExportSource['tallyExportable']>>[1], withAuthors: boolean) => source.tallyExportable!(guildId, filter, withAuthors) }
      : {}),
    ...(source.openExportSnapshot ? { openExportSnapshot: () => source.openExportSnapshot!() } : {}),
    ...(source.exportEnded ? { exportEnded: () => source.exportEnded!() } : {}),
    openReaders: (job) =>
      openReaderPool(options.code ?? script, settings, job, {
        threads,
        barrierTimeoutMs: options.barrierTimeoutMs ?? 5_000,
        pieceBytes: options.pieceBytes ?? PIECE_BYTES,
        inFlight: options.inFlight ?? null,
      }),
  };
}

interface Thread {
  ask(request: DistributiveOmit<ReaderRequest, 'id'>): Promise<unknown>;
  terminate(): Promise<number>;
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

function startThread(script: URL | string, setup: ReaderSetup): { thread: Thread; ready: Promise<void>; worker: Worker } {
  // A bounded young generation: a reader's garbage is short-lived (one chunk). Measured on 100,000 rows: at
  // 1-8 MB the threads spent 2-3x as long collecting garbage; above 16 MB peak RSS grew with no speed gained.
  // A process-wide --max-semi-space-size overrides this (V8 flags reach every thread): the shell export runs
  // without one, and the bot's single reader thread runs with the bot's.
  const resourceLimits = { maxYoungGenerationSizeMb: READER_YOUNG_GENERATION_MB, maxOldGenerationSizeMb: READER_OLD_GENERATION_MB };
  const worker = typeof script === 'string' ? new Worker(script, { eval: true, workerData: setup, resourceLimits }) : new Worker(script, { workerData: setup, resourceLimits });
  const waiting = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  let failure: Error | null = null;
  let next = 1;
  let markReady: () => void = () => undefined;
  let markFailed: (error: Error) => void = () => undefined;
  const ready = new Promise<void>((resolve, reject) => {
    markReady = resolve;
    markFailed = reject;
  });
  ready.catch(() => undefined);
  const failAll = (error: Error) => {
    failure ??= error;
    markFailed(failure);
    for (const w of waiting.values()) w.reject(failure);
    waiting.clear();
  };
  worker.on('message', (message: ReaderReply | ReaderNotice) => {
    if ('ready' in message) return markReady();
    if ('failed' in message) return failAll(new Error(message.failed));
    const w = waiting.get(message.id);
    waiting.delete(message.id);
    if (!w) return;
    if ('error' in message) w.reject(new Error(message.error));
    else w.resolve(message.value);
  });
  worker.on('error', (error) => failAll(error));
  worker.on('exit', () => failAll(new Error('the export reader stopped')));
  const thread: Thread = {
    ask: (request) =>
      new Promise((resolve, reject) => {
        if (failure) {
          reject(failure);
          return;
        }
        const id = next++;
        waiting.set(id, { resolve, reject });
        worker.postMessage({ ...request, id });
      }),
    terminate: () => worker.terminate(),
  };
  return { thread, ready, worker };
}

async function openReaderPool(
  script: URL | string,
  settings: KeySettings,
  job: ReaderJob,
  options: { threads: number; barrierTimeoutMs: number; pieceBytes: number; inFlight: SharedArrayBuffer | null },
): Promise<ExportReaders> {
  const barrier = new SharedArrayBuffer(8);
  // This export's own count, so its log line says how often its threads stepped aside (another export's do not count).
  const pauses = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));
  const setup: ReaderSetup = {
    databasePath: settings.DATABASE_PATH,
    key: settings.REFLECTIONS_KEY?.reveal() ?? null,
    oldKeys: settings.REFLECTIONS_OLD_KEYS?.reveal() ?? null,
    barrier,
    priority: READER_PRIORITY,
    stepAside: options.inFlight === null ? null : { inFlight: options.inFlight, pauses: pauses.buffer },
  };
  const started = Array.from({ length: options.threads }, () => startThread(script, setup));
  const threads = started.map((s) => s.thread);
  const stopAll = () => Promise.all(threads.map((t) => t.terminate()));
  let bounds: { min: number; max: number };
  try {
    await Promise.all(started.map((s) => s.ready));
    pinCommonSnapshot(settings.DATABASE_PATH, started.map((s) => s.worker), barrier, options.barrierTimeoutMs);
    await Promise.all(threads.map((t) => t.ask({ kind: 'configure', job })));
    bounds = (await threads[0]!.ask({ kind: 'bounds' })) as { min: number; max: number };
  } catch (error) {
    await stopAll();
    throw error;
  }
  const widest = Math.max(1, job.chunkSize);
  // The first pieces of the file are asked for before any has come back: narrow ones, until the size of a
  // row is known.
  let width = Math.ceil(widest / FIRST_PIECES_NARROWER);
  let turn = 0;
  /** Narrows (or widens back) the pieces asked for next, from the bytes per row of a chunk that came back. */
  const fitWidth = (chunk: FormattedChunk) => {
    if (chunk.count === 0 || chunk.data.length === 0) return;
    width = Math.max(1, Math.min(widest, Math.floor((options.pieceBytes * chunk.count) / chunk.data.length)));
  };

  /** The part of `range` where rows exist at all (`from` exclusive, `to` inclusive, as an IdRange). */
  const inBounds = (range: IdRange) => ({ from: Math.max(range.afterId, bounds.min - 1), to: Math.min(range.toId, bounds.max) });

  /**
   * The range cut into pieces `pieceWidth()` ids wide (so each holds at most that many rows, read in one go),
   * asked of the threads in turn, a few ahead, and handed on in id order; `seen` hears of each before it is
   * handed on.
   */
  async function* spread<T>(range: IdRange, pieceWidth: () => number, ask: (thread: Thread, read: ChunkRead) => Promise<T>, seen?: (value: T) => void): AsyncIterable<T> {
    const { from, to } = inBounds(range);
    const pending: Promise<T>[] = [];
    let afterId = from;
    const refill = () => {
      while (afterId < to && pending.length < threads.length * DEPTH_PER_THREAD) {
        const n = pieceWidth();
        const read: ChunkRead = { afterId, toId: Math.min(to, afterId + n), limit: n };
        afterId = read.toId;
        const answer = ask(threads[turn++ % threads.length]!, read);
        answer.catch(() => undefined);
        pending.push(answer);
      }
    };
    refill();
    while (pending.length > 0) {
      const value = await pending.shift()!;
      seen?.(value);
      refill();
      yield value;
    }
  }

  return {
    threads: threads.length,
    pausesForMembers: () => Atomics.load(pauses, 0),
    // One part of the range per thread, each counted by SQLite in one statement, then merged.
    tally: async (range, withAuthors) => {
      const { from, to } = inBounds(range);
      const share = Math.max(1, Math.ceil((to - from) / threads.length));
      const parts = threads.map((thread, i) => {
        const part = { afterId: Math.min(to, from + i * share), toId: i === threads.length - 1 ? to : Math.min(to, from + (i + 1) * share) };
        return thread.ask({ kind: 'tally', range: part, withAuthors }) as Promise<ExportTally>;
      });
      return mergeTallies(await Promise.all(parts));
    },
    setPseudonyms: async (names) => {
      await Promise.all(threads.map((t) => t.ask({ kind: 'pseudonyms', names })));
    },
    chunks: (range, week) =>
      spread(
        range,
        () => width,
        (thread, read) => thread.ask({ kind: 'chunk', read: week === undefined ? read : { ...read, week } }) as Promise<FormattedChunk>,
        fitWidth,
      ),
    close: async () => {
      try {
        await Promise.all(threads.map((t) => t.ask({ kind: 'close' })));
      } catch {
        // A thread already stopped: nothing left to release but the threads.
      } finally {
        await stopAll();
      }
    },
  };
}

/**
 * Makes every thread's snapshot the same one: with the database's write lock held (no commit can land, from
 * this process or another), each thread starts its read transaction, and this thread waits, synchronously,
 * until all have. Holding the lock costs writers a few milliseconds at most; without it, a reflection deleted
 * between two threads' starts could be counted by one and missing from another.
 */
function pinCommonSnapshot(databasePath: string, workers: Worker[], barrier: SharedArrayBuffer, timeoutMs: number): void {
  const counts = new Int32Array(barrier);
  const lock = openDatabase(databasePath);
  try {
    lock.exec('BEGIN IMMEDIATE');
    try {
      for (const worker of workers) worker.postMessage({ kind: 'begin' });
      const deadline = performance.now() + timeoutMs;
      for (;;) {
        const began = Atomics.load(counts, 0);
        const failed = Atomics.load(counts, 1);
        if (failed > 0) throw new Error('an export reader could not open its snapshot');
        if (began >= workers.length) break;
        const left = deadline - performance.now();
        if (left <= 0) throw new Error('the export readers did not open their snapshot in time');
        Atomics.wait(counts, 0, began, left);
      }
    } finally {
      lock.exec('ROLLBACK');
    }
  } finally {
    lock.close();
  }
}
