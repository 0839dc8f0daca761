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
 *
 * Foreign keys are off while migrations run, as SQLite's procedure for rebuilding a table requires
 * (https://sqlite.org/lang_altertable.html#otheralter): with them on, dropping a parent table deletes its
 * rows first and ON DELETE CASCADE would take every child row with them. Every reference is checked before
 * the commit instead, and a migration that left one dangling is rolled back.
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
  // The pragma is a no-op inside a transaction, so it is switched here, around the one that migrates; inside a
  // caller's transaction it would stay on, and a table rebuild would cascade into its children.
  if (db.inTransaction) throw new Error('migrate() must not run inside a transaction.');
  const foreignKeys = db.pragma('foreign_keys', { simple: true }) as number;
  db.pragma('foreign_keys = OFF');
  try {
    db.transaction(() => {
      for (const migration of pending) migration.up(db);
      const dangling = db.pragma('foreign_key_check') as { table: string; parent: string }[];
      if (dangling.length > 0) {
        const first = dangling[0]!;
        throw new Error(`Migration left ${dangling.length} row(s) pointing at nothing (first: ${first.table} → ${first.parent}); nothing was changed.`);
      }
      db.pragma(`user_version = ${latest}`);
    }).immediate();
  } finally {
    if (foreignKeys === 1) db.pragma('foreign_keys = ON');
  }
  return { from: current, to: latest, applied: pending.map((m) => m.name) };
}
