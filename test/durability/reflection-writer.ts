/**
 * A child process for the SIGKILL durability test: writes reflections through the real code (database
 * settings, migrations, key check, service) as fast as it can and prints `ack <id> <key>` only after
 * `create` returned, i.e. after COMMIT, the moment the bot would confirm to the member. Run with
 * `node --import tsx test/durability/reflection-writer.ts`, then send `<database> <run>` as one line on stdin
 * (the parent starts the next writer while the current one runs, so start-up time overlaps).
 */
import { writeSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fixedClock } from '../../src/clock.js';
import { openDatabase } from '../../src/db/connection.js';
import { migrate } from '../../src/db/migrate.js';
import { migrations } from '../../src/db/migrations/index.js';
import { createLogger } from '../../src/logger.js';
import { loadReflectionCipher } from '../../src/reflections/keyring.js';
import { createReflectionService } from '../../src/reflections/service.js';
import { Secret } from '../../src/secret.js';
import { noWeeks } from '../../src/weeks.js';

const durabilityText = (key: string) => `Reflection ${key}: שלום 🌱 ${'the words stay. '.repeat(40)}`;

const input = createInterface({ input: process.stdin });
const [path, run] = (await new Promise<string>((resolve) => input.once('line', resolve))).split(' ') as [string, string];
input.close();
const log = createLogger('silent');
const db = openDatabase(path);
migrate(db, migrations);
const cipher = loadReflectionCipher({ DATABASE_PATH: path, REFLECTIONS_KEY: new Secret(process.env.REFLECTIONS_KEY ?? '') }, db, log);
const service = createReflectionService({ db, cipher, clock: fixedClock('2026-03-02T10:00:00Z'), weeks: noWeeks, log });
writeSync(1, 'ready\n');
for (let i = 0; ; i++) {
  const key = `${run}-${i}`;
  const { reflection } = service.create({
    guildId: '100000000000000001',
    authorId: `2000000000000000${String(i % 10).padStart(2, '0')}`,
    authorName: 'Member',
    text: durabilityText(key),
    visibility: i % 3 === 0 ? 'private' : i % 3 === 1 ? 'shared' : 'anonymous',
    idempotencyKey: key,
    source: 'modal',
  });
  writeSync(1, `ack ${reflection.id} ${key}\n`);
}
