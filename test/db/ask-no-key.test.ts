import type * as AnthropicModule from '@anthropic-ai/sdk';
import { describe, expect, it, vi } from 'vitest';
import { TITLES } from '../../src/ai/answer.js';
import { createAnthropicClient } from '../../src/ai/client.js';
import { describeSource } from '../../src/ai/document.js';
import { MESSAGES } from '../../src/ai/prompt.js';
import { createAskService } from '../../src/ai/service.js';
import { createAskUsageRepo } from '../../src/ai/usage-repo.js';
import { loadBookSync } from '../../src/book/service.js';
import { fixedClock } from '../../src/clock.js';
import { openDatabase } from '../../src/db/connection.js';
import { migrate } from '../../src/db/migrate.js';
import { askMigrations, GUILD, MEMBER, testConfig } from '../helpers/ask-setup.js';
import { capturedLogger } from '../helpers/logs.js';

// Count every Anthropic client the code under test constructs (the real class, wrapped).
const constructed = vi.hoisted(() => ({ count: 0 }));
vi.mock('@anthropic-ai/sdk', async (importOriginal) => {
  const actual = await importOriginal<typeof AnthropicModule>();
  class CountingAnthropic extends actual.Anthropic {
    constructor(...args: ConstructorParameters<typeof actual.Anthropic>) {
      constructed.count++;
      super(...args);
    }
  }
  return { ...actual, default: CountingAnthropic, Anthropic: CountingAnthropic };
});

const book = loadBookSync('data/when-hurt-remains.json');

async function serviceWithoutKey(supportNote: string | null = 'Ask a host in #support.') {
  const config = testConfig({});
  const db = openDatabase(':memory:');
  migrate(db, askMigrations());
  const { log } = capturedLogger('info');
  const client = await createAnthropicClient(config, log);
  const service = createAskService({ config, log, clock: fixedClock('2026-03-10T10:00:00Z'), book, usage: createAskUsageRepo(db), supportNote: () => supportNote, client });
  return { service, client, db };
}

describe('/ask without ANTHROPIC_API_KEY', () => {
  it.each([
    ['Who writes about culture?', 'chapter-13'],
    ['Which chapters deal with shame?', 'guiding-question-1'],
    ['Who is Matthias Wenke?', 'matthias-wenke'],
    ['What is on page 97?', 'page-97'],
    ['Why is the book called When Hurt Remains?', 'page-xxv'],
    ['Who wrote the foreword?', 'andrew-samuels'],
    ['@everyone what about litigation?', 'chapter-13'],
  ])('answers “%s” from the dataset, each line with its source (expects %s)', async (question, expected) => {
    const { service, client, db } = await serviceWithoutKey();
    expect(client).toBeUndefined();
    const answer = await service.ask({ guildId: GUILD, userId: MEMBER, question });
    expect(answer).toMatchObject({ by: 'dataset', outcome: 'no-key', title: TITLES.dataset });
    expect(answer.sourceIds).toContain(expected);
    expect(answer.remarks).toContain(MESSAGES.datasetLabel);
    const lines = answer.body.split('\n');
    // One line per sentence quoted: a sentence two records quote is one line naming both, so never more lines than sources.
    expect(lines.length).toBeLessThanOrEqual(answer.sourceIds.length);
    for (const line of lines) expect(line.startsWith('• ')).toBe(true);
    for (const id of answer.sourceIds) {
      const record = book.records().find((r) => r.id === id)!;
      expect(lines.some((line) => line.includes(describeSource(record))), id).toBe(true);
    }
    // Answered from the dataset: no member id is kept for it.
    expect(db.prepare('SELECT user_id, answered_by, outcome FROM ask_usage').all()).toEqual([{ user_id: null, answered_by: 'dataset', outcome: 'no-key' }]);
    db.close();
  });

  it('says when nothing in the dataset matches, with the server’s support note', async () => {
    const { service, db } = await serviceWithoutKey();
    const answer = await service.ask({ guildId: GUILD, userId: MEMBER, question: 'What is the capital of France?' });
    expect(answer).toMatchObject({ by: 'dataset', title: TITLES.datasetEmpty, body: MESSAGES.nothingMatches, sourceIds: [] });
    expect(answer.remarks).toContain('**Support:** Ask a host in #support.');
    db.close();
  });

  it('adds the support note to a question about the member’s own distress', async () => {
    const { service, db } = await serviceWithoutKey(null);
    const answer = await service.ask({ guildId: GUILD, userId: MEMBER, question: 'I feel so ashamed, my therapist hurt me' });
    expect(answer.remarks).toContain(`**Support:** ${MESSAGES.defaultSupport}`);
    db.close();
  });

  it('never constructs an Anthropic client (while a key does construct one, so the count is real)', async () => {
    const before = constructed.count;
    const { service, db } = await serviceWithoutKey();
    expect(service.usesClaude).toBe(false);
    await service.prepare();
    for (const question of ['Who writes about culture?', 'What is the capital of France?']) await service.ask({ guildId: GUILD, userId: MEMBER, question });
    expect(constructed.count).toBe(before);
    db.close();

    const withKey = await createAnthropicClient(testConfig({ ANTHROPIC_API_KEY: 'sk-ant-test-1', ANTHROPIC_BASE_URL: 'http://127.0.0.1:9' }), capturedLogger('silent').log);
    expect(withKey).toBeDefined();
    expect(constructed.count).toBe(before + 1);
  });

  it('refuses an empty or too long question kindly, storing nothing', async () => {
    const { service, db } = await serviceWithoutKey();
    await expect(service.ask({ guildId: GUILD, userId: MEMBER, question: '   ' })).rejects.toThrow(/write a question/);
    await expect(service.ask({ guildId: GUILD, userId: MEMBER, question: 'x'.repeat(501) })).rejects.toThrow(/500 characters/);
    expect(db.prepare('SELECT count(*) AS n FROM ask_usage').get()).toEqual({ n: 0 });
    db.close();
  });
});
