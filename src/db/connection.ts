import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';

export type Db = Database.Database;

/** The page cache of each connection, in KiB as `PRAGMA cache_size` takes it (negative): 512 KB. */
export const PAGE_CACHE_KIB = -512;

export interface OpenOptions {
  readonly?: boolean;
  /** Milliseconds a statement waits on a lock held by another connection before SQLITE_BUSY. */
  busyTimeoutMs?: number;
}

/**
 * Opens the SQLite database with the settings every connection must have. They are set explicitly on every
 * open, not only on creation: a WAL database reopened by better-sqlite3 reads `synchronous` as NORMAL
 * unless told otherwise, which would silently weaken durability after the first restart.
 */
export function openDatabase(path: string, options: OpenOptions = {}): Db {
  if (path !== ':memory:' && !options.readonly) mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false });
  db.pragma(`busy_timeout = ${Math.trunc(options.busyTimeoutMs ?? 5000)}`);
  if (!options.readonly) {
    db.pragma('journal_mode = WAL');
  }
  // A member's reflection is typed once by hand; it must survive a power loss, not only a crash.
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  // Deleted reflections are overwritten, not left on free pages (see PRIVACY.md, "forget me").
  db.pragma('secure_delete = ON');
  // better-sqlite3 builds SQLite with a 16 MB page cache per connection (SQLITE_DEFAULT_CACHE_SIZE=-16000), not
  // SQLite's own 2 MB. The cache fills as the database grows (each new reflection's pages stay cached) and is
  // kept until the connection closes, so the bot's RSS climbed 2-4 KB per reflection saved until it held 16 MB,
  // and each export's reader connection could add as much again. The bot reads a few rows at a time through
  // indexes and the OS page cache holds the file anyway. SQLite's own default (2 MB) still filled as members wrote:
  // 2.5 MB of RSS after 3,800 inserts, against 1.0 MB at 512 KB. 512 KB holds the interior pages of every b-tree
  // for tens of thousands of reflections (100,000 have 560 KB of them; past that a look-up reads a page or two from
  // the OS's cache), and the bench's latencies did not change.
  db.pragma(`cache_size = ${PAGE_CACHE_KIB}`);
  return db;
}

export interface Pragmas {
  journal_mode: string;
  synchronous: number;
  foreign_keys: number;
  busy_timeout: number;
  secure_delete: number;
  cache_size: number;
}

export function readPragmas(db: Db): Pragmas {
  return {
    journal_mode: db.pragma('journal_mode', { simple: true }) as string,
    synchronous: db.pragma('synchronous', { simple: true }) as number,
    foreign_keys: db.pragma('foreign_keys', { simple: true }) as number,
    busy_timeout: db.pragma('busy_timeout', { simple: true }) as number,
    secure_delete: db.pragma('secure_delete', { simple: true }) as number,
    cache_size: db.pragma('cache_size', { simple: true }) as number,
  };
}
