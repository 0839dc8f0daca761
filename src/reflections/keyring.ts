import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import type { Db } from '../db/connection.js';
import type { Logger } from '../logger.js';
import type { Secret } from '../secret.js';

/** What the key check logs through: the bot's logger, or nothing at all on an export's reader thread. */
export type KeyCheckLog = Pick<Logger, 'info' | 'warn'>;
import { ReflectionCipher, ReflectionKeyError, keyIdOf, parseHexKey } from './crypto.js';

export const KEY_FILE_NAME = 'reflections.key';

export interface KeySettings {
  DATABASE_PATH: string;
  REFLECTIONS_KEY?: Secret | undefined;
  REFLECTIONS_OLD_KEYS?: Secret | undefined;
}

export function keyFilePath(databasePath: string): string {
  return join(dirname(databasePath), KEY_FILE_NAME);
}

const CANARY_TEXT = 'reading-circle reflections canary';
const canaryBinding = (keyId: string) => ({ purpose: 'canary' as const, guildId: '-', authorId: '-', rowId: keyId });

function readKeyFile(path: string, log: KeyCheckLog): Buffer[] {
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    log.warn({ path, mode: mode.toString(8) }, 'the reflections key file can be read by other users; run chmod 600 on it');
  }
  const lines = readFileSync(path, 'utf8')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  if (lines.length === 0) throw new ReflectionKeyError(`The reflections key file ${path} is empty.`);
  return lines.map((line, index) => parseHexKey(line, `Line ${index + 1} of ${path}`));
}

function countReflections(db: Db): number {
  return (db.prepare('SELECT COUNT(*) AS n FROM reflections').get() as { n: number }).n;
}

/**
 * Finds the reflections key and proves it is the right one before the bot serves anyone.
 *
 * Order: REFLECTIONS_KEY (with REFLECTIONS_OLD_KEYS and any key file kept as earlier keys), else the key file
 * beside the database, else, only while no reflection exists, a new key file (mode 0600). Then every stored
 * canary whose key is configured must decrypt, and every key id used by a stored reflection must be
 * configured; otherwise it refuses to start, naming what is wrong, so nothing is written that cannot be read.
 */
export function loadReflectionCipher(settings: KeySettings, db: Db, log: KeyCheckLog): ReflectionCipher {
  const inMemory = settings.DATABASE_PATH === ':memory:' || settings.DATABASE_PATH === '';
  const filePath = inMemory ? null : keyFilePath(settings.DATABASE_PATH);
  const fileKeys = filePath !== null && existsSync(filePath) ? readKeyFile(filePath, log) : [];
  const oldKeys = (settings.REFLECTIONS_OLD_KEYS?.reveal() ?? '')
    .split(',')
    .filter((part) => part.trim() !== '')
    .map((part, index) => parseHexKey(part, `Key ${index + 1} of REFLECTIONS_OLD_KEYS`));

  let current: Buffer;
  let previous: Buffer[];
  if (settings.REFLECTIONS_KEY) {
    current = parseHexKey(settings.REFLECTIONS_KEY.reveal(), 'REFLECTIONS_KEY');
    previous = [...oldKeys, ...fileKeys];
  } else if (fileKeys.length > 0) {
    const [first, ...rest] = fileKeys as [Buffer, ...Buffer[]];
    current = first;
    previous = [...rest, ...oldKeys];
  } else {
    const stored = countReflections(db);
    if (stored > 0) {
      throw new ReflectionKeyError(
        `${stored} reflection(s) are stored, but no reflections key was found: REFLECTIONS_KEY is not set and ` +
          `${filePath ?? 'the key file'} does not exist. Restore the key from your backup (set REFLECTIONS_KEY, or put the key file back). ` +
          'The bot will not start without it, so that no reflection becomes unreadable.',
      );
    }
    current = randomBytes(32);
    previous = oldKeys;
    if (filePath !== null) {
      writeFileSync(filePath, `${current.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
      chmodSync(filePath, 0o600);
      log.warn(
        { path: filePath, keyId: keyIdOf(current) },
        'Created a new reflections encryption key file. Back it up now, somewhere apart from the database backups: without it the reflections cannot be read, and anyone with both the key and the database can read them. Or set REFLECTIONS_KEY instead.',
      );
    }
  }

  const cipher = new ReflectionCipher(current, previous);

  const canaries = db.prepare('SELECT key_id AS keyId, canary_iv AS iv, canary AS data FROM reflection_keys').all() as { keyId: string; iv: Buffer; data: Buffer }[];
  for (const canary of canaries) {
    if (!cipher.has(canary.keyId)) continue;
    let text: string;
    try {
      text = cipher.open(canary, canaryBinding(canary.keyId));
    } catch {
      throw new ReflectionKeyError(`The reflections key ${canary.keyId} failed its check: the key is wrong or the database is damaged. The bot will not start.`);
    }
    if (text !== CANARY_TEXT) throw new ReflectionKeyError(`The reflections key ${canary.keyId} failed its check. The bot will not start.`);
  }

  // Which stored rows were written under a key we do not hold? Every key that wrote rows registered a canary,
  // and the oldest and newest rows are read by rowid: no scan of the whole table at every start (it blocked
  // the event loop ~0.1 s at 100,000 reflections). Rows are counted only when a suspect key turns up.
  const edgeKeys = db
    .prepare('SELECT key_id FROM reflections WHERE id IN ((SELECT MIN(id) FROM reflections), (SELECT MAX(id) FROM reflections))')
    .pluck()
    .all() as string[];
  const suspects = new Set([...canaries.map((canary) => canary.keyId), ...edgeKeys].filter((keyId) => !cipher.has(keyId)));
  const countRows = db.prepare('SELECT COUNT(*) FROM reflections WHERE key_id = ?').pluck();
  const missing = [...suspects].map((keyId) => ({ keyId, n: countRows.get(keyId) as number })).filter((row) => row.n > 0);
  if (missing.length > 0) {
    const total = missing.reduce((sum, row) => sum + row.n, 0);
    throw new ReflectionKeyError(
      `The configured reflections key is not the one ${total} stored reflection(s) were written with (key id ${missing.map((row) => row.keyId).join(', ')}; ` +
        `the configured key is ${cipher.currentKeyId}). Set REFLECTIONS_KEY back to the right key; after a rotation keep the earlier key in REFLECTIONS_OLD_KEYS. ` +
        'The bot will not start, so that no reflection becomes unreadable.',
    );
  }

  if (!canaries.some((canary) => canary.keyId === cipher.currentKeyId) && !db.readonly) {
    const sealed = cipher.seal(CANARY_TEXT, canaryBinding(cipher.currentKeyId));
    db.prepare('INSERT INTO reflection_keys (key_id, canary_iv, canary, created_at) VALUES (?, ?, ?, ?)').run(
      sealed.keyId,
      sealed.iv,
      sealed.data,
      new Date().toISOString(),
    );
  }
  log.info({ keyId: cipher.currentKeyId, earlierKeys: cipher.keyIds().length - 1 }, 'reflections key checked');
  return cipher;
}
