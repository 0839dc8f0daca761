import Database from 'better-sqlite3';
import { loadBookSync } from '../../src/book/service.js';
import type { fixedClock } from '../../src/clock.js';
import { openDatabase, type Db } from '../../src/db/connection.js';
import { migrate } from '../../src/db/migrate.js';
import { migrations } from '../../src/db/migrations/index.js';
import { createPlanCatalog } from '../../src/prompts/plans.js';
import { createPromptService, type PromptService } from '../../src/prompts/service.js';
import { PostFailure, type PromptPost, type PromptPoster } from '../../src/prompts/types.js';
import { capturedLogger } from '../helpers/logs.js';

export const GUILD = '100000000000000001';
export const CHANNEL = '200000000000000002';

export const book = loadBookSync('data/when-hurt-remains.json');
export const plans = createPlanCatalog(book);

export function openMigrated(path: string): Db {
  const db = openDatabase(path);
  migrate(db, migrations);
  return db;
}

export function memoryDb(): Db {
  const db = new Database(':memory:');
  migrate(db, migrations);
  return db;
}

export interface StoredMessage {
  id: string;
  channelId: string;
  week: number;
  nonce: string;
  createdAt: Date;
  post: PromptPost;
}

type Fault = PostFailure | Error | 'accept-then-hang' | 'accept-then-fail';

/**
 * A stand-in for Discord's side of posting, shared by any number of "processes": it keeps the channel's
 * messages, de-duplicates by nonce for five minutes like enforce_nonce, and injects faults.
 */
export function fakeDiscord(clock: { now(): Date }) {
  const messages: StoredMessage[] = [];
  const threads = new Map<string, string>();
  const notices: string[] = [];
  const postFaults: Fault[] = [];
  let missing: string[] = [];
  let always: Error | null = null;
  let nextId = 1_000_000_000_000_000_000n;
  const calls = { post: 0, findPosted: 0, startThread: 0 };

  const poster = (): PromptPoster => ({
    missingPermissions: () => Promise.resolve([...missing]),
    findPosted(channelId, week, since) {
      calls.findPosted += 1;
      const found = messages.find((m) => m.channelId === channelId && m.week === week && m.createdAt.getTime() >= since.getTime());
      return Promise.resolve(found?.id ?? null);
    },
    post(post) {
      calls.post += 1;
      const fault = postFaults.shift() ?? always ?? undefined;
      if (fault instanceof Error) return Promise.reject(fault);
      const now = clock.now();
      const duplicate = messages.find((m) => m.nonce === post.nonce && now.getTime() - m.createdAt.getTime() < 5 * 60_000);
      let message = duplicate;
      if (!message) {
        nextId += 1n;
        message = { id: nextId.toString(), channelId: post.channelId, week: post.week, nonce: post.nonce, createdAt: now, post };
        messages.push(message);
      }
      if (fault === 'accept-then-hang') return new Promise<never>(() => undefined);
      if (fault === 'accept-then-fail') return Promise.reject(new PostFailure('transient', 'AbortError: the request timed out'));
      return Promise.resolve({ messageId: message.id });
    },
    startThread(_channelId, messageId) {
      calls.startThread += 1;
      threads.set(messageId, messageId);
      return Promise.resolve({ threadId: messageId });
    },
    notifyModerators(_guildId, text) {
      notices.push(text);
      return Promise.resolve(true);
    },
  });

  return {
    messages,
    threads,
    notices,
    calls,
    poster,
    failNextPost: (...faults: Fault[]) => postFaults.push(...faults),
    failAlways: (error: Error | null) => {
      always = error;
    },
    setMissing: (names: string[]) => {
      missing = names;
    },
  };
}

export function makeService(db: Db, clock: ReturnType<typeof fixedClock>, poster: PromptPoster | null): PromptService {
  const service = createPromptService({ db, clock, log: capturedLogger('silent').log, plans });
  service.setPoster(poster);
  return service;
}
