import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/clock.js';
import { ReflectionKeyError } from '../../src/reflections/crypto.js';
import { keyFilePath, loadReflectionCipher } from '../../src/reflections/keyring.js';
import { createReflectionService } from '../../src/reflections/service.js';
import { Secret } from '../../src/secret.js';
import { capturedLogger } from '../helpers/logs.js';
import { join, useTempDir } from '../helpers/tmp.js';
import { ALICE, GUILD, openReflectionsDb, weeksOf } from './reflections-helpers.js';

const hex = () => randomBytes(32).toString('hex');

function start(path: string, env: { key?: string; old?: string } = {}) {
  const db = openReflectionsDb(path);
  const logs = capturedLogger('info');
  try {
    const cipher = loadReflectionCipher(
      { DATABASE_PATH: path, REFLECTIONS_KEY: env.key ? new Secret(env.key) : undefined, REFLECTIONS_OLD_KEYS: env.old ? new Secret(env.old) : undefined },
      db,
      logs.log,
    );
    const service = createReflectionService({ db, cipher, clock: fixedClock('2026-03-02T10:00:00Z'), weeks: weeksOf([]), log: logs.log });
    return { db, service, logs, cipher };
  } catch (error) {
    db.close();
    throw error;
  }
}

const write = (service: ReturnType<typeof start>['service'], text: string, key: string) =>
  service.create({ guildId: GUILD, authorId: ALICE, authorName: 'Alice', text, visibility: 'private', idempotencyKey: key, source: 'modal' }).reflection;

describe('reflections key', () => {
  const tmp = useTempDir();

  it('without REFLECTIONS_KEY, creates a key file beside the database (mode 0600) and tells the operator to back it up', () => {
    const path = join(tmp(), 'db.sqlite');
    const first = start(path);
    const file = keyFilePath(path);
    expect(existsSync(file)).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8').trim()).toMatch(/^[0-9a-f]{64}$/);
    expect(first.logs.text()).toMatch(/Back it up now, somewhere apart from the database/);
    expect(first.logs.text()).not.toContain(readFileSync(file, 'utf8').trim());
    const r = write(first.service, 'kept with the file key', 'a');
    first.db.close();

    const second = start(path);
    expect(second.service.get(GUILD, ALICE, r.id).text).toBe('kept with the file key');
    expect(second.logs.text()).not.toMatch(/Created a new/);
    second.db.close();
  });

  it('refuses to start, clearly, when reflections exist and the key file is gone', () => {
    const path = join(tmp(), 'db.sqlite');
    const first = start(path);
    write(first.service, 'needs its key', 'a');
    first.db.close();
    writeFileSync(keyFilePath(path), '');
    expect(() => start(path)).toThrow(ReflectionKeyError);
  });

  it('refuses to start with a missing key while reflections exist, and does not create a new key file', () => {
    const dir = tmp();
    const path = join(dir, 'db.sqlite');
    const key = hex();
    const first = start(path, { key });
    write(first.service, 'under the env key', 'a');
    first.db.close();
    expect(() => start(path)).toThrow(/1 reflection\(s\) are stored, but no reflections key was found/);
    expect(existsSync(keyFilePath(path))).toBe(false);
  });

  it('refuses a wrong key while reflections exist, naming the key id it needs', () => {
    const path = join(tmp(), 'db.sqlite');
    const first = start(path, { key: hex() });
    write(first.service, 'under the first key', 'a');
    first.db.close();
    expect(() => start(path, { key: hex() })).toThrow(/not the one 1 stored reflection\(s\) were written with/);
  });

  it('refuses a wrong key even when the old key’s canary row is gone (the oldest and newest rows are checked too)', () => {
    const path = join(tmp(), 'db.sqlite');
    const first = start(path, { key: hex() });
    write(first.service, 'first', 'a');
    write(first.service, 'second', 'b');
    first.db.prepare('DELETE FROM reflection_keys').run();
    first.db.close();
    expect(() => start(path, { key: hex() })).toThrow(/not the one 2 stored reflection\(s\) were written with/);
  });

  it('refuses a key whose canary does not decrypt (damaged or forged canary)', () => {
    const path = join(tmp(), 'db.sqlite');
    const key = hex();
    const first = start(path, { key });
    first.db.prepare('UPDATE reflection_keys SET canary = ?').run(randomBytes(40));
    first.db.close();
    expect(() => start(path, { key })).toThrow(/failed its check/);
  });

  it('after rotation (new REFLECTIONS_KEY, old one in REFLECTIONS_OLD_KEYS) old rows still read and new rows use the new key', () => {
    const path = join(tmp(), 'db.sqlite');
    const oldKey = hex();
    const newKey = hex();
    const first = start(path, { key: oldKey });
    const old = write(first.service, 'written before the rotation', 'a');
    first.db.close();

    const rotated = start(path, { key: newKey, old: oldKey });
    expect(rotated.service.get(GUILD, ALICE, old.id).text).toBe('written before the rotation');
    const fresh = write(rotated.service, 'written after', 'b');
    const keyIds = rotated.db.prepare('SELECT id, key_id AS k FROM reflections ORDER BY id').all() as { id: number; k: string }[];
    expect(keyIds[0]!.k).not.toBe(keyIds[1]!.k);
    expect(keyIds[1]!.k).toBe(rotated.cipher.currentKeyId);

    // Re-encrypting old rows lets the old key be retired.
    expect(rotated.service.rewrapOldRows()).toBe(1);
    rotated.db.close();
    const retired = start(path, { key: newKey });
    expect(retired.service.get(GUILD, ALICE, old.id).text).toBe('written before the rotation');
    expect(retired.service.get(GUILD, ALICE, fresh.id).text).toBe('written after');
    retired.db.close();
  });

  it('a key file kept beside the database still reads old rows after REFLECTIONS_KEY is set', () => {
    const path = join(tmp(), 'db.sqlite');
    const first = start(path);
    const old = write(first.service, 'under the file key', 'a');
    first.db.close();
    const next = start(path, { key: hex() });
    expect(next.service.get(GUILD, ALICE, old.id).text).toBe('under the file key');
    next.db.close();
  });
});
