import { randomBytes } from 'node:crypto';
import { fixedClock } from '../../src/clock.js';
import { openDatabase, type Db } from '../../src/db/connection.js';
import { migrate } from '../../src/db/migrate.js';
import { migrations } from '../../src/db/migrations/index.js';
import { ReflectionCipher } from '../../src/reflections/crypto.js';
import { createReflectionService } from '../../src/reflections/service.js';
import type { PlanWeek, WeekDirectory } from '../../src/weeks.js';
import { capturedLogger } from '../helpers/logs.js';

export const GUILD = '100000000000000001';
export const OTHER_GUILD = '100000000000000002';
export const ALICE = '200000000000000001';
export const BOB = '200000000000000002';

/** The whole schema: later migrations change the reflections table too (0006, 0007). */
export function openReflectionsDb(path = ':memory:'): Db {
  const db = openDatabase(path);
  migrate(db, migrations);
  return db;
}

export function weeksOf(list: PlanWeek[]): WeekDirectory & { list: PlanWeek[] } {
  return {
    list,
    current: (guildId) => list.filter((w) => w.guildId === guildId).at(-1) ?? null,
    get: (guildId, week) => list.find((w) => w.guildId === guildId && w.week === week) ?? null,
    byThread: (guildId, threadId) => list.find((w) => w.guildId === guildId && w.threadId === threadId) ?? null,
  };
}

export function planWeek(week: number, threadId: string | null, guildId = GUILD): PlanWeek {
  return { guildId, week, title: `Week ${week}`, prompt: 'What stayed with you?', channelId: '300000000000000001', messageId: threadId, threadId, postedAt: '2026-03-01T18:00:00.000Z' };
}

export function makeService(options: { db?: Db; key?: Buffer; cipher?: ReflectionCipher; weeks?: WeekDirectory; logLevel?: string } = {}) {
  const db = options.db ?? openReflectionsDb();
  const clock = fixedClock('2026-03-02T10:00:00.000Z');
  const logs = capturedLogger(options.logLevel ?? 'info');
  const cipher = options.cipher ?? new ReflectionCipher(options.key ?? randomBytes(32));
  const weeks = options.weeks ?? weeksOf([]);
  const service = createReflectionService({ db, cipher, clock, weeks, log: logs.log });
  let n = 0;
  const write = (authorId: string, text: string, extra: Partial<Parameters<typeof service.create>[0]> = {}) =>
    service.create({ guildId: GUILD, authorId, authorName: authorId === ALICE ? 'Alice' : 'Bob', text, visibility: 'private', idempotencyKey: `i-${++n}-${Math.random()}`, source: 'modal', ...extra }).reflection;
  return { db, clock, logs, cipher, service, write };
}
