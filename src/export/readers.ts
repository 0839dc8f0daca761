import { setImmediate as nextTurn } from 'node:timers/promises';
import { createChunkReader, type FormattedChunk, type ReaderJob } from './chunks.js';
import type { ExportSource, ExportTally } from './types.js';

/** Rows with `afterId < id <= toId`. */
export interface IdRange {
  afterId: number;
  toId: number;
}

export const WHOLE_TABLE: IdRange = { afterId: 0, toId: Number.MAX_SAFE_INTEGER };

/**
 * Whoever reads one export: its chunks come back in id order, whether they were read on this thread one
 * after the other or on several reader threads at once.
 */
export interface ExportReaders {
  /** Reader threads doing the reading; 0 when it is done on the caller's thread. */
  readonly threads: number;
  /** Pauses the threads have taken so far for members' interactions (members-first.ts); 0 in-thread. */
  pausesForMembers(): number;
  /** The rows of `range` counted by week (and by shared author, `withAuthors`), before anything is written. */
  tally(range: IdRange, withAuthors: boolean): Promise<ExportTally>;
  setPseudonyms(names: [string, string][]): Promise<void>;
  /** `week` narrows a grouped export's read to one group (null: the reflections tied to no week). */
  chunks(range: IdRange, week?: number | null): AsyncIterable<FormattedChunk>;
  close(): Promise<void>;
}

/**
 * The export read on this thread, from the store's snapshot when it has one: keyset chunks of
 * `job.chunkSize` rows, the event loop getting a turn between chunks. For an in-memory database and when the
 * reader thread's script is not there (running from the TypeScript sources).
 */
export function inThreadReaders(store: ExportSource, job: ReaderJob, chapterLabel: (chapterId: string) => string | null): ExportReaders {
  const snapshot = store.openExportSnapshot?.();
  const reader = createChunkReader(snapshot ?? store, job, chapterLabel);
  async function* walk<T extends { lastId: number; more: boolean }>(range: IdRange, read: (afterId: number) => Promise<T>): AsyncIterable<T> {
    let afterId = range.afterId;
    for (;;) {
      const result = await read(afterId);
      yield result;
      if (!result.more) return;
      afterId = result.lastId;
      await nextTurn();
    }
  }
  return {
    threads: 0,
    pausesForMembers: () => 0,
    tally: (range, withAuthors) => reader.tally(range, withAuthors),
    setPseudonyms: (names) => {
      reader.setPseudonyms(names);
      return Promise.resolve();
    },
    chunks: (range, week) => walk(range, (afterId) => reader.chunk({ afterId, toId: range.toId, limit: job.chunkSize, ...(week !== undefined ? { week } : {}) })),
    close: async () => {
      await snapshot?.close();
    },
  };
}
