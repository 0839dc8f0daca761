import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openDatabase, readPragmas } from '../../src/db/connection.js';
import { DatabaseTooNewError, migrate, type Migration } from '../../src/db/migrate.js';
import { migrations } from '../../src/db/migrations/index.js';
import { join, useTempDir } from '../helpers/tmp.js';

const tempDir = useTempDir();

describe('opening the database', () => {
  it('sets WAL, FULL sync, foreign keys, busy timeout, secure delete and a 512 KB page cache on a new file', () => {
    const db = openDatabase(join(tempDir(), 'new.sqlite'));
    expect(readPragmas(db)).toEqual({ journal_mode: 'wal', synchronous: 2, foreign_keys: 1, busy_timeout: 5000, secure_delete: 1, cache_size: -512 });
    db.close();
  });

  it('sets the same on a reopened WAL file (which SQLite would otherwise read back as NORMAL sync)', () => {
    const path = join(tempDir(), 'reopened.sqlite');
    openDatabase(path).close();
    const db = openDatabase(path);
    expect(readPragmas(db)).toEqual({ journal_mode: 'wal', synchronous: 2, foreign_keys: 1, busy_timeout: 5000, secure_delete: 1, cache_size: -512 });
    db.close();
  });

  it('creates the folder of the database file', () => {
    const path = join(tempDir(), 'nested', 'deeper', 'db.sqlite');
    openDatabase(path).close();
    expect(readFileSync(path).length).toBeGreaterThan(0);
  });
});

describe('migrations', () => {
  it('bring an empty database to the latest version', () => {
    const db = openDatabase(':memory:');
    const result = migrate(db, migrations);
    expect(result).toMatchObject({ from: 0, to: migrations.length });
    expect(db.pragma('user_version', { simple: true })).toBe(migrations.length);
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all();
    expect(tables).toContain('guild_settings');
    expect(migrate(db, migrations).applied).toEqual([]);
  });

  it('refuse a database written by a newer release, with a clear message', () => {
    const db = openDatabase(':memory:');
    db.pragma(`user_version = ${migrations.length + 1}`);
    expect(() => migrate(db, migrations)).toThrow(DatabaseTooNewError);
    expect(() => migrate(db, migrations)).toThrow(/newer release/);
  });

  it('leave the file exactly as it was when one of them throws', () => {
    const path = join(tempDir(), 'broken.sqlite');
    const db = openDatabase(path);
    migrate(db, migrations.slice(0, 1));
    db.prepare("INSERT INTO guild_settings (guild_id, updated_at) VALUES ('1', 'x')").run();
    const before = db.prepare("SELECT name, sql FROM sqlite_master ORDER BY name").all();
    const failing: Migration[] = [
      ...migrations.slice(0, 1),
      { version: 2, name: 'creates-then-fails', up: (d) => d.exec('CREATE TABLE half_done (id INTEGER) STRICT') },
      { version: 3, name: 'fails', up: () => { throw new Error('boom'); } },
    ];
    expect(() => migrate(db, failing)).toThrow('boom');
    db.close();
    const reopened = openDatabase(path);
    expect(reopened.pragma('user_version', { simple: true })).toBe(1);
    expect(reopened.prepare("SELECT name, sql FROM sqlite_master ORDER BY name").all()).toEqual(before);
    expect(reopened.prepare('SELECT count(*) FROM guild_settings').pluck().get()).toBe(1);
    reopened.close();
  });

  it('run with foreign keys off (so a table can be rebuilt) but roll back one that leaves a reference dangling', () => {
    const db = openDatabase(':memory:');
    migrate(db, migrations);
    const orphan: Migration[] = [
      ...migrations,
      { version: migrations.length + 1, name: 'orphans-a-post', up: (d) => d.exec("INSERT INTO reflection_posts (reflection_id, guild_id, channel_id, message_id, posted_at) VALUES (999, '1', '2', '3', 'x')") },
    ];
    expect(() => migrate(db, orphan)).toThrow(/1 row\(s\) pointing at nothing \(first: reflection_posts → reflections\)/);
    expect(db.pragma('user_version', { simple: true })).toBe(migrations.length);
    expect(db.prepare('SELECT count(*) FROM reflection_posts').pluck().get()).toBe(0);
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
  });

  it("refuse to run inside a caller's transaction, where foreign keys could not be switched off", () => {
    const db = openDatabase(':memory:');
    expect(() => db.transaction(() => migrate(db, migrations))()).toThrow(/inside a transaction/);
    expect(db.pragma('user_version', { simple: true })).toBe(0);
  });

  it('reject a list with a gap or out of order', () => {
    const db = openDatabase(':memory:');
    const gap: Migration[] = [{ version: 2, name: 'two', up: () => undefined }];
    expect(() => migrate(db, gap)).toThrow(/out of order/);
  });
});
