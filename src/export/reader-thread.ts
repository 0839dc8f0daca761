import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { KeySettings } from '../reflections/keyring.js';
import type { ReaderReply, ReaderRequest, ReaderSetup } from './reader-worker.js';
import type { ExportableFilter, ExportableMeta, ExportableReflection, ExportSource } from './types.js';

export interface ReaderThreadOptions {
  /** The worker script; by default the compiled reader-worker.js beside this module. */
  script?: URL;
  /** Or the worker's code itself (tests load the TypeScript worker through tsx this way). */
  code?: string;
}

type Snapshot = ReturnType<NonNullable<ExportSource['openExportSnapshot']>>;

/**
 * The store, with each export's reads (SQLite and decryption) on a worker thread of their own: the bot's
 * event loop only formats and uploads. Falls back to the store's own snapshot for an in-memory database or
 * when the worker script is not there (running from the TypeScript sources).
 */
export function withReaderThread(source: ExportSource, settings: KeySettings, options: ReaderThreadOptions = {}): ExportSource {
  const script = options.script ?? new URL('./reader-worker.js', import.meta.url);
  const usable =
    settings.DATABASE_PATH !== ':memory:' && settings.DATABASE_PATH !== '' && (options.code !== undefined || (script.protocol === 'file:' && existsSync(fileURLToPath(script))));
  if (!usable) return source;
  const setup: ReaderSetup = {
    databasePath: settings.DATABASE_PATH,
    key: settings.REFLECTIONS_KEY?.reveal() ?? null,
    oldKeys: settings.REFLECTIONS_OLD_KEYS?.reveal() ?? null,
  };
  return {
    listExportable: (guildId, filter) => source.listExportable(guildId, filter),
    ...(source.listExportableMeta ? { listExportableMeta: (guildId: string, filter: ExportableFilter) => source.listExportableMeta!(guildId, filter) } : {}),
    openExportSnapshot: () => openReaderThread(options.code ?? script, setup),
  };
}

function openReaderThread(script: URL | string, setup: ReaderSetup): Snapshot {
  const worker = typeof script === 'string' ? new Worker(script, { eval: true, workerData: setup }) : new Worker(script, { workerData: setup });
  const waiting = new Map<number, { resolve(reply: ReaderReply): void; reject(error: Error): void }>();
  let failure: Error | null = null;
  let next = 1;
  const failAll = (error: Error) => {
    failure ??= error;
    for (const w of waiting.values()) w.reject(failure);
    waiting.clear();
  };
  worker.on('message', (reply: ReaderReply) => {
    const w = waiting.get(reply.id);
    waiting.delete(reply.id);
    if (!w) return;
    if ('error' in reply) w.reject(new Error(reply.error));
    else w.resolve(reply);
  });
  worker.on('error', (error) => failAll(error));
  worker.on('exit', () => failAll(new Error('the export reader stopped')));
  const ask = (request: Omit<Extract<ReaderRequest, { kind: 'rows' | 'meta' }>, 'id'> | { kind: 'close' }) =>
    new Promise<ReaderReply>((resolve, reject) => {
      if (failure) {
        reject(failure);
        return;
      }
      const id = next++;
      waiting.set(id, { resolve, reject });
      worker.postMessage({ ...request, id });
    });
  return {
    listExportable: async (guildId, filter) => ((await ask({ kind: 'rows', guildId, filter })) as { rows: ExportableReflection[] }).rows,
    listExportableMeta: async (guildId, filter) => ((await ask({ kind: 'meta', guildId, filter })) as { rows: ExportableMeta[] }).rows,
    close: async () => {
      try {
        if (!failure) await ask({ kind: 'close' });
      } catch {
        // Already stopped: nothing left to release but the thread.
      } finally {
        await worker.terminate();
      }
    },
  };
}
