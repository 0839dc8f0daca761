import { afterEach } from 'vitest';
import { createAnthropicClient } from '../../src/ai/client.js';
import { FakeAnthropic } from '../../src/ai/fake-anthropic.js';
import { createAskService, type AskService } from '../../src/ai/service.js';
import { createAskUsageRepo, type AskUsageRepo } from '../../src/ai/usage-repo.js';
import type { BookRecord } from '../../src/book/service.js';
import { fixedClock } from '../../src/clock.js';
import { loadConfig, type Config } from '../../src/config.js';
import { openDatabase, type Db } from '../../src/db/connection.js';
import { migrate, type Migration } from '../../src/db/migrate.js';
import { askUsage } from '../../src/db/migrations/0005-ask-usage.js';
import { migrations } from '../../src/db/migrations/index.js';
import { bookOf, RECORDS } from './ask-records.js';
import { capturedLogger } from './logs.js';

export const TEST_KEY = 'sk-ant-test-0000000000000000';
export const GUILD = '1100000000000000000';
export const MEMBER = '1200000000000000001';

/** The real list once it reaches 0005; until then the lower versions as no-ops, so 0005 is tested on its own. */
export function askMigrations(): Migration[] {
  if (migrations.length >= 5) return [...migrations];
  const list: Migration[] = [...migrations];
  while (list.length < 4) list.push({ version: list.length + 1, name: `placeholder-${list.length + 1}`, up: () => undefined });
  return [...list, askUsage];
}

export interface AskRig {
  fake: FakeAnthropic;
  config: Config;
  service: AskService;
  usage: AskUsageRepo;
  db: Db;
  logs(): string;
  clock: ReturnType<typeof fixedClock>;
  /** The waits between attempts the service asked for (they are not really waited). */
  waits: number[];
}

export function testConfig(env: Record<string, string | undefined>): Config {
  const result = loadConfig({ DATABASE_PATH: ':memory:', LOG_LEVEL: 'silent', ...env });
  if (!result.ok) throw new Error(result.problems.join('\n'));
  return result.config;
}

/** A fake Messages API, a config pointing at it, and the real service and SDK; all closed after each test. */
export function useAskRig(): (options?: { env?: Record<string, string>; records?: BookRecord[]; key?: boolean; logLevel?: string }) => Promise<AskRig> {
  const open: { fake: FakeAnthropic; db: Db }[] = [];
  afterEach(async () => {
    for (const { fake, db } of open.splice(0)) {
      await fake.close();
      db.close();
    }
  });
  return async (options = {}) => {
    const fake = await FakeAnthropic.start();
    const config = testConfig({
      ...(options.key === false ? {} : { ANTHROPIC_API_KEY: TEST_KEY }),
      ANTHROPIC_BASE_URL: fake.url,
      ANTHROPIC_MODEL: 'claude-haiku-4-5',
      ASK_TIMEOUT_MS: '2000',
      ASK_DEADLINE_MS: '5000',
      ...options.env,
    });
    const db = openDatabase(':memory:');
    migrate(db, askMigrations());
    open.push({ fake, db });
    const captured = capturedLogger(options.logLevel ?? 'info');
    const usage = createAskUsageRepo(db);
    const clock = fixedClock('2026-03-10T10:00:00Z');
    const waits: number[] = [];
    const service = createAskService({
      config,
      log: captured.log,
      clock,
      book: bookOf(options.records ?? RECORDS),
      usage,
      supportNote: () => 'Reach out to a host in #support.',
      client: await createAnthropicClient(config, captured.log),
      sleep: (ms) => Promise.resolve(void waits.push(ms)),
    });
    return { fake, config, service, usage, db, logs: captured.text, clock, waits };
  };
}
