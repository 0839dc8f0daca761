import type { Db } from './connection.js';

export interface Migration {
  /** 1, 2, 3 … with no gaps: the value `PRAGMA user_version` holds once this migration has run. */
  version: number;
  name: string;
  up(db: Db): void;
}

export class DatabaseTooNewError extends Error {
  override readonly name = 'DatabaseTooNewError';
}

export interface MigrationResult {
  from: number;
  to: number;
  applied: string[];
}

/**
 * Brings the schema up to date. Forward only; every pending migration runs in one transaction together
 * with the `user_version` bump, so a migration that throws leaves the file exactly as it was.
 */
export function migrate(db: Db, migrations: readonly Migration[]): MigrationResult {
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new Error(`Migration list is out of order: "${migration.name}" has version ${migration.version}, expected ${index + 1}.`);
    }
  });
  const latest = migrations.length;
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > latest) {
    throw new DatabaseTooNewError(
      `The database is at schema version ${current}, but this version of reading-circle only knows up to ${latest}. ` +
        'It was written by a newer release: run that release, or restore a backup made for this one.',
    );
  }
  const pending = migrations.slice(current);
  if (pending.length === 0) return { from: current, to: current, applied: [] };
  db.transaction(() => {
    for (const migration of pending) migration.up(db);
    db.pragma(`user_version = ${latest}`);
  }).immediate();
  return { from: current, to: latest, applied: pending.map((m) => m.name) };
}
