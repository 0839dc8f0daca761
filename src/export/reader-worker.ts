/**
 * The export's reads on a worker thread (see reader-thread.ts): its own read-only connection in one read
 * transaction (a consistent snapshot), the same key check and decryption as the bot, rows handed back in id
 * order. The bot's thread only formats, so members' commands are not queued behind SQLite and AES.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase } from '../db/connection.js';
import { createLogger } from '../logger.js';
import { loadReflectionCipher } from '../reflections/keyring.js';
import { prepareExportReads, type ExportFilter } from '../reflections/repo.js';
import { createExportReader } from '../reflections/service.js';
import { Secret } from '../secret.js';

export interface ReaderSetup {
  databasePath: string;
  key: string | null;
  oldKeys: string | null;
}

export type ReaderRequest = { id: number; kind: 'rows' | 'meta'; guildId: string; filter: ExportFilter } | { id: number; kind: 'close' };
export type ReaderReply = { id: number; rows: unknown[] } | { id: number; error: string } | { id: number; closed: true };

const setup = workerData as ReaderSetup;
const port = parentPort!;
const db = openDatabase(setup.databasePath, { readonly: true });
const cipher = loadReflectionCipher(
  {
    DATABASE_PATH: setup.databasePath,
    REFLECTIONS_KEY: setup.key === null ? undefined : new Secret(setup.key),
    REFLECTIONS_OLD_KEYS: setup.oldKeys === null ? undefined : new Secret(setup.oldKeys),
  },
  db,
  createLogger('silent'),
);
const reader = createExportReader(prepareExportReads(db), cipher);
db.exec('BEGIN');

port.on('message', (request: ReaderRequest) => {
  if (request.kind === 'close') {
    if (db.inTransaction) db.exec('COMMIT');
    db.close();
    port.postMessage({ id: request.id, closed: true } satisfies ReaderReply);
    port.close();
    return;
  }
  try {
    const rows = request.kind === 'rows' ? reader.listExportable(request.guildId, request.filter) : reader.listExportableMeta(request.guildId, request.filter);
    port.postMessage({ id: request.id, rows } satisfies ReaderReply);
  } catch (error) {
    port.postMessage({ id: request.id, error: error instanceof Error ? error.message : String(error) } satisfies ReaderReply);
  }
});
