import { openDatabase, type Db } from '../../src/db/connection.js';
import { migrate, type Migration } from '../../src/db/migrate.js';
import { migrations } from '../../src/db/migrations/index.js';
import { exportLog } from '../../src/db/migrations/0004-export-log.js';
import { createExportLogRepo } from '../../src/export/log-repo.js';
import { createExportService } from '../../src/export/service.js';
import type { ExportSource } from '../../src/export/types.js';
import { capturedLogger } from '../helpers/logs.js';
import { makeService, weeksOf } from './reflections-helpers.js';

/**
 * The full migration list once 0004 is in it; until then the registered migrations, placeholders for any
 * missing lower version, and the export log.
 */
export function exportMigrations(): Migration[] {
  if (migrations.some((m) => m.version === exportLog.version)) return [...migrations];
  const list: Migration[] = migrations.filter((m) => m.version < exportLog.version);
  for (let v = list.length + 1; v < exportLog.version; v += 1) list.push({ version: v, name: `placeholder-${v}`, up: () => undefined });
  return [...list, exportLog];
}

export function openExportDb(path = ':memory:'): Db {
  const db = openDatabase(path);
  migrate(db, exportMigrations());
  return db;
}

/** A reflections service and an export service on one database and one clock. */
export function makeExportService(options: { path?: string; chunkSize?: number; key?: Buffer; source?: (service: ExportSource) => ExportSource } = {}) {
  const weeks = weeksOf([]);
  const reflections = makeService({ db: openExportDb(options.path), weeks, ...(options.key ? { key: options.key } : {}) });
  const logs = capturedLogger('info');
  const logRepo = createExportLogRepo(reflections.db);
  const exports = createExportService({
    source: options.source ? options.source(reflections.service) : reflections.service,
    weeks,
    logRepo,
    clock: reflections.clock,
    log: logs.log,
    ...(options.chunkSize !== undefined ? { chunkSize: options.chunkSize } : {}),
  });
  return { ...reflections, weeks, exports, logRepo, exportLogs: logs };
}
