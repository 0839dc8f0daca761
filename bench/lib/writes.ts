import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { systemClock } from '../../src/clock.js';
import { openDatabase } from '../../src/db/connection.js';
import { migrate } from '../../src/db/migrate.js';
import { migrations } from '../../src/db/migrations/index.js';
import { createLogger } from '../../src/logger.js';
import { loadReflectionCipher } from '../../src/reflections/keyring.js';
import { createReflectionService } from '../../src/reflections/service.js';
import { Secret } from '../../src/secret.js';
import { noWeeks } from '../../src/weeks.js';
import { distPath, forkForReport } from './proc.js';
import { BENCH_KEY } from './sides.js';
import { median, prng, prose } from './stats.js';

export interface WritesResult {
  perRepeat: { bot: number; floor: number; sameSchema: number }[];
  bot: number;
  floor: number;
  /** Raw inserts into the reflections table itself (its three indexes): where the cost beyond the floor goes. */
  sameSchema: number;
  synchronous: number;
}

/** `measureWrites` in a child process (writes-child.ts), with the bench's own Node flags. */
export function measureWritesApart(dir: string, options: { count: number; block: number; repeats: number }): Promise<WritesResult> {
  return forkForReport<WritesResult>(distPath('lib/writes-child.js'), [dir, String(options.count), String(options.block), String(options.repeats)]);
}

/**
 * Durable writes per second, one commit each (how members' reflections arrive): through the reflection
 * service and repository (validation, AES-256-GCM, one insert whose UNIQUE key catches a retry) against raw
 * better-sqlite3 inserts of rows the same size, both on `openDatabase` (WAL, synchronous=FULL).
 */
export function measureWrites(dir: string, options: { count: number; block: number; repeats: number }): WritesResult {
  const log = createLogger('silent');
  const botDb = openDatabase(join(dir, 'writes-bot.sqlite'));
  migrate(botDb, migrations);
  const service = createReflectionService({
    db: botDb,
    cipher: loadReflectionCipher({ DATABASE_PATH: join(dir, 'writes-bot.sqlite'), REFLECTIONS_KEY: new Secret(BENCH_KEY) }, botDb, log),
    clock: systemClock,
    weeks: noWeeks,
    log,
  });
  const floorDb = openDatabase(join(dir, 'writes-floor.sqlite'));
  floorDb.exec(`CREATE TABLE IF NOT EXISTS raw (id INTEGER PRIMARY KEY, guild_id TEXT NOT NULL, author_id TEXT NOT NULL, body BLOB NOT NULL,
    name BLOB NOT NULL, idempotency_key TEXT NOT NULL, created_at TEXT NOT NULL) STRICT`);
  const insert = floorDb.prepare('INSERT INTO raw (guild_id, author_id, body, name, idempotency_key, created_at) VALUES (?, ?, ?, ?, ?, ?)');
  const schemaDb = openDatabase(join(dir, 'writes-schema.sqlite'));
  migrate(schemaDb, migrations);
  const schemaInsert = schemaDb.prepare(`INSERT INTO reflections (guild_id, author_id, visibility, key_id, body_iv, body, name_iv, name, source, idempotency_key, created_at, updated_at, exportable_at)
    VALUES (?, ?, 'shared', 'k', ?, ?, ?, ?, 'modal', ?, ?, ?, ?)`);
  const synchronous = botDb.pragma('synchronous', { simple: true }) as number;

  const random = prng(99);
  const texts = Array.from({ length: 64 }, () => prose(random, 500 + Math.floor(random() * 1500)));
  let serial = 0;
  // Members' reflections are keyed by their interaction's id: a snowflake, rising with time.
  const interactionId = (n: number) => String(1_300_000_000_000_000_000n + BigInt(n) * 4_194_304n);
  const writeBot = (n: number) => {
    for (let i = 0; i < n; i++) {
      serial += 1;
      service.create({ guildId: '100000000000000001', authorId: '100000000000000002', authorName: 'Reader', text: texts[serial % 64]!, visibility: 'shared', idempotencyKey: interactionId(serial), source: 'modal' });
    }
  };
  const writeFloor = (n: number) => {
    for (let i = 0; i < n; i++) {
      serial += 1;
      insert.run('100000000000000001', '100000000000000002', randomBytes(texts[serial % 64]!.length + 16), randomBytes(22), interactionId(serial), new Date().toISOString());
    }
  };
  const writeSchema = (n: number) => {
    for (let i = 0; i < n; i++) {
      serial += 1;
      const now = new Date().toISOString();
      schemaInsert.run('100000000000000001', '100000000000000002', randomBytes(12), randomBytes(texts[serial % 64]!.length + 16), randomBytes(12), randomBytes(22), interactionId(serial), now, now, now);
    }
  };
  const perRepeat: { bot: number; floor: number; sameSchema: number }[] = [];
  writeBot(50);
  writeFloor(50);
  writeSchema(50);
  for (let r = 0; r < options.repeats; r++) {
    let botMs = 0;
    let floorMs = 0;
    let schemaMs = 0;
    for (let done = 0, b = 0; done < options.count; b++) {
      const n = Math.min(options.block, options.count - done);
      const timed = (fn: (n: number) => void) => {
        const t = performance.now();
        fn(n);
        return performance.now() - t;
      };
      if (b % 2 === 0) {
        botMs += timed(writeBot);
        floorMs += timed(writeFloor);
      } else {
        floorMs += timed(writeFloor);
        botMs += timed(writeBot);
      }
      schemaMs += timed(writeSchema);
      done += n;
    }
    perRepeat.push({ bot: (options.count / botMs) * 1000, floor: (options.count / floorMs) * 1000, sameSchema: (options.count / schemaMs) * 1000 });
  }
  botDb.close();
  floorDb.close();
  schemaDb.close();
  return { perRepeat, bot: median(perRepeat.map((r) => r.bot)), floor: median(perRepeat.map((r) => r.floor)), sameSchema: median(perRepeat.map((r) => r.sameSchema)), synchronous };
}
