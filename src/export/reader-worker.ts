/**
 * One reader thread of an export's pool (see reader-thread.ts): its own read-only connection, the same key
 * check and decryption as the bot, and the same chunk code as an export read in-thread (chunks.ts). It reads,
 * decrypts and formats the id ranges it is asked for and hands each chunk back as bytes (transferred, not
 * copied). The thread runs at a lower CPU priority: an export is background work, and the bot's own thread
 * (members' commands) comes first.
 */
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase } from '../db/connection.js';
import { STEP_ASIDE, stepAsideFor } from '../members-first.js';
import { loadReflectionCipher, type KeyCheckLog } from '../reflections/keyring.js';
import { prepareExportReads } from '../reflections/repo.js';
import { createExportReader } from '../reflections/service.js';
import { Secret } from '../secret.js';
import { createChunkReader, type ChunkRead, type ChunkReader, type ReaderJob } from './chunks.js';
import type { IdRange } from './readers.js';

export interface ReaderSetup {
  databasePath: string;
  key: string | null;
  oldKeys: string | null;
  /** [began, failed]: each thread counts itself in once its snapshot is pinned (see `begin`). */
  barrier: SharedArrayBuffer;
  /** Nice value for this thread (Linux sets it per thread); null leaves it as it is. */
  priority: number | null;
  /**
   * The bot's count of interactions in flight, to step aside for between rows (members-first.ts), and the
   * export's count of the pauses taken (one Int32); null: never step aside.
   */
  stepAside: { inFlight: SharedArrayBuffer; pauses: SharedArrayBuffer } | null;
}

export type ReaderRequest =
  | { id: number; kind: 'configure'; job: ReaderJob }
  | { id: number; kind: 'pseudonyms'; names: [string, string][] }
  | { id: number; kind: 'bounds' }
  | { id: number; kind: 'tally'; range: IdRange; withAuthors: boolean }
  | { id: number; kind: 'chunk'; read: ChunkRead }
  | { id: number; kind: 'close' };

export type ReaderReply = { id: number; value: unknown } | { id: number; error: string };

/** A message outside the request/reply pairs: the thread is ready (or could not start), then `begin` was done. */
export type ReaderNotice = { ready: true } | { failed: string };

const setup = workerData as ReaderSetup;
const port = parentPort!;
const barrier = new Int32Array(setup.barrier);

/**
 * Lowers this thread's priority once its snapshot is pinned: until then the pool's caller waits for it
 * synchronously (see `begin`), and a niced thread could wait behind every other runnable thread for a core.
 */
function lowerPriority(): void {
  if (setup.priority === null) return;
  try {
    setPriority(0, setup.priority);
  } catch {
    // Not permitted here: the thread runs at the bot's priority, which is only slower for members.
  }
}

/**
 * The bot's own thread has checked the key and said so; this thread's check is silent. Not a pino logger:
 * loading pino cost each reader thread some 7 ms of its start.
 */
const SILENT: KeyCheckLog = { info: () => undefined, warn: () => undefined };

let started: ReturnType<typeof start>;
try {
  started = start();
  port.postMessage({ ready: true } satisfies ReaderNotice);
} catch (error) {
  port.postMessage({ failed: error instanceof Error ? error.message : String(error) } satisfies ReaderNotice);
  port.close();
  throw error;
}

function start() {
  const db = openDatabase(setup.databasePath, { readonly: true });
  const cipher = loadReflectionCipher(
    {
      DATABASE_PATH: setup.databasePath,
      REFLECTIONS_KEY: setup.key === null ? undefined : new Secret(setup.key),
      REFLECTIONS_OLD_KEYS: setup.oldKeys === null ? undefined : new Secret(setup.oldKeys),
    },
    db,
    SILENT,
  );
  const reads = prepareExportReads(db);
  const betweenRows = setup.stepAside === null ? undefined : stepAsideForMembers(setup.stepAside);
  return { db, reads, rows: createExportReader(reads, cipher, betweenRows), betweenRows, pin: db.prepare('SELECT 1 FROM sqlite_master LIMIT 1') };
}

function stepAsideForMembers(shared: { inFlight: SharedArrayBuffer; pauses: SharedArrayBuffer }): () => void {
  const pauses = new Int32Array(shared.pauses);
  return stepAsideFor(shared.inFlight, { ...STEP_ASIDE, onPause: () => Atomics.add(pauses, 0, 1) });
}

let reader: ChunkReader | null = null;

async function answer(request: ReaderRequest): Promise<{ value: unknown; transfer: ArrayBuffer[] }> {
  switch (request.kind) {
    case 'configure':
      reader = createChunkReader(started.rows, request.job, undefined, started.betweenRows);
      lowerPriority();
      return { value: true, transfer: [] };
    case 'pseudonyms':
      configured().setPseudonyms(request.names);
      return { value: true, transfer: [] };
    case 'bounds':
      return { value: started.reads.idBounds(), transfer: [] };
    case 'tally':
      return { value: await configured().tally(request.range, request.withAuthors), transfer: [] };
    case 'chunk': {
      const chunk = await configured().chunk(request.read);
      return { value: chunk, transfer: [chunk.data.buffer as ArrayBuffer] };
    }
    case 'close':
      if (started.db.inTransaction) started.db.exec('COMMIT');
      started.db.close();
      return { value: true, transfer: [] };
  }
}

function configured(): ChunkReader {
  if (!reader) throw new Error('the export reader was asked to read before it was configured');
  return reader;
}

port.on('message', (message: ReaderRequest | { kind: 'begin' }) => {
  if (message.kind === 'begin') {
    // Pins this connection's snapshot (a WAL read transaction starts at its first read), then counts itself
    // in. The pool waits for every thread while it holds the write lock, so all of them see the same data.
    try {
      started.db.exec('BEGIN');
      started.pin.get();
      Atomics.add(barrier, 0, 1);
    } catch {
      Atomics.add(barrier, 1, 1);
    }
    Atomics.notify(barrier, 0);
    return;
  }
  const request = message;
  answer(request).then(
    ({ value, transfer }) => {
      port.postMessage({ id: request.id, value } satisfies ReaderReply, transfer);
      if (request.kind === 'close') port.close();
    },
    (error: unknown) => port.postMessage({ id: request.id, error: error instanceof Error ? error.message : String(error) } satisfies ReaderReply),
  );
});
