import { describe, expect, it } from 'vitest';
import { TITLES, type AskAnswer } from '../../src/ai/answer.js';
import { blockIndex, replies, type RecordedRequest } from '../../src/ai/fake-anthropic.js';
import { MESSAGES } from '../../src/ai/prompt.js';
import { renderAnswer } from '../../commands/ask.js';
import { largeRecords } from '../helpers/ask-records.js';
import { GUILD, MEMBER, TEST_KEY, useAskRig } from '../helpers/ask-setup.js';

const rig = useAskRig();

/** Claude's usual shape: connective text, then cited spans, each citing the block that holds the words. */
const citedAnswer = (request: RecordedRequest) =>
  replies.text(
    { text: 'Two chapters come close. ' },
    { text: 'Matthias Wenke writes about a collusive enactment', cite: [{ start: blockIndex(request.body, 'collusive enactment') }] },
    { text: ', and Nancy Eichhorn about a culture of accountability and fears of litigation.', cite: [{ start: blockIndex(request.body, 'litigation') }] },
  );

const ask = (question = 'Which chapters deal with failure in practice?') => ({ guildId: GUILD, userId: MEMBER, question });

describe('/ask with Claude (real SDK, local Messages API)', () => {
  it('answers with numbered sources that map back to the cited records (JSON)', async () => {
    const { fake, service } = await rig();
    fake.responder = citedAnswer;
    const answer = await service.ask(ask());
    expect(answer.by).toBe('claude');
    expect(answer.outcome).toBe('answered');
    expect(answer.body).toBe('Two chapters come close. Matthias Wenke writes about a collusive enactment[1], and Nancy Eichhorn about a culture of accountability and fears of litigation.[2]');
    expect(answer.notes).toEqual(['[1] Chapter 5 (Matthias Wenke), Part II, p. 35', '[2] Chapter 13 (Nancy Eichhorn), Part V']);
    expect(answer.sourceIds).toEqual(['chapter-5', 'chapter-13']);
    const [request] = fake.messageRequests;
    expect(request?.body).toMatchObject({ model: 'claude-haiku-4-5', max_tokens: 800 });
    expect((request?.body as { stream?: boolean }).stream).toBeFalsy();
    // SDK 1.14 sends the key as a bearer token.
    expect(`${String(request?.headers['x-api-key'] ?? '')} ${String(request?.headers.authorization ?? '')}`).toContain(TEST_KEY);
  });

  it('streams the answer (SSE with text and citations deltas) and ends with the same sources', async () => {
    const { fake, service } = await rig();
    fake.responder = citedAnswer;
    const progress: AskAnswer[] = [];
    const answer = await service.ask({ ...ask(), onProgress: (partial) => progress.push(partial) });
    expect((fake.messageRequests[0]?.body as { stream?: boolean }).stream).toBe(true);
    expect(progress.length).toBeGreaterThan(3);
    expect(progress.every((partial) => !partial.final)).toBe(true);
    // The answer grows as it is written.
    expect(progress[0]!.body.length).toBeLessThan(progress.at(-1)!.body.length);
    expect(answer.final).toBe(true);
    expect(answer.body).toBe('Two chapters come close. Matthias Wenke writes about a collusive enactment[1], and Nancy Eichhorn about a culture of accountability and fears of litigation.[2]');
    expect(answer.notes).toEqual(['[1] Chapter 5 (Matthias Wenke), Part II, p. 35', '[2] Chapter 13 (Nancy Eichhorn), Part V']);
  });

  it('labels an answer the book data does not cover as not found', async () => {
    const { fake, service } = await rig();
    fake.script(replies.text({ text: 'The book data does not cover the author’s favourite colour.' }));
    const answer = await service.ask(ask('What is the editor’s favourite colour?'));
    expect(answer).toMatchObject({ by: 'claude', outcome: 'not-found', title: TITLES.notFound, notes: [] });
    expect(answer.remarks).toContain(MESSAGES.notFound);
  });

  it('retries 529 overloaded twice (honouring retry-after-ms) and then answers', async () => {
    const { fake, service, logs, waits } = await rig();
    fake.script(replies.overloaded(), replies.overloaded());
    fake.responder = citedAnswer;
    const answer = await service.ask({ ...ask(), onProgress: () => undefined });
    expect(fake.messageRequests).toHaveLength(3);
    expect(waits).toEqual([0, 0]);
    expect(answer.outcome).toBe('answered');
    expect(answer.sourceIds).toEqual(['chapter-5', 'chapter-13']);
    expect(logs()).toContain('retrying');
  });

  it('sends the spend-cap 429 exactly once and answers from the dataset with a kind reason', async () => {
    const { fake, service, db } = await rig();
    fake.script(replies.spendCap());
    fake.responder = citedAnswer;
    const answer = await service.ask(ask('Who writes about litigation?'));
    expect(fake.messageRequests).toHaveLength(1);
    expect(answer).toMatchObject({ by: 'dataset', outcome: 'spend-cap' });
    expect(answer.remarks[0]).toMatch(/spending limit/);
    expect(answer.sourceIds[0]).toBe('chapter-13');
    expect(db.prepare(`SELECT outcome FROM ask_usage WHERE answered_by = 'claude'`).all()).toEqual([{ outcome: 'spend-cap' }]);
  });

  it('turns a hang into a timeout answer from the dataset (short ASK_TIMEOUT_MS)', async () => {
    const { fake, service } = await rig({ env: { ASK_TIMEOUT_MS: '60', ASK_DEADLINE_MS: '1000' } });
    fake.responder = () => replies.hang();
    const answer = await service.ask(ask('Who writes about litigation?'));
    expect(answer).toMatchObject({ by: 'dataset', outcome: 'timeout' });
    expect(answer.remarks[0]).toMatch(/took too long/);
    // Each attempt timed out and the next began at once, up to three attempts.
    expect(fake.messageRequests).toHaveLength(3);
  });

  it('turns a stream that stalls half-way into a timeout, not a half answer', async () => {
    const { fake, service } = await rig({ env: { ASK_TIMEOUT_MS: '60', ASK_DEADLINE_MS: '1000' } });
    fake.responder = (request) => ({ kind: 'stall', message: { content: [{ text: 'Matthias Wenke writes', cite: [{ start: blockIndex(request.body, 'collusive') }] }] } });
    const answer = await service.ask({ ...ask('Who writes about litigation?'), onProgress: () => undefined });
    expect(answer).toMatchObject({ by: 'dataset', outcome: 'timeout' });
  });

  it('falls back to the dataset when 5xx persists after the retries', async () => {
    const { fake, service } = await rig();
    fake.responder = () => replies.serverError(500);
    const answer = await service.ask(ask('Who writes about litigation?'));
    expect(fake.messageRequests).toHaveLength(3);
    expect(answer).toMatchObject({ by: 'dataset', outcome: 'unavailable' });
  });

  it('retries an overloaded error event in the middle of a stream', async () => {
    const { fake, service, waits } = await rig();
    fake.script({ kind: 'stream-error', type: 'overloaded_error', message: { content: [{ text: 'Matthias Wenke writes about' }] } });
    fake.responder = citedAnswer;
    const answer = await service.ask({ ...ask(), onProgress: () => undefined });
    expect(fake.messageRequests).toHaveLength(2);
    // No retry-after on an error event: the back-off applies (asked for, not really waited here).
    expect(waits).toHaveLength(1);
    expect(answer.sourceIds).toEqual(['chapter-5', 'chapter-13']);
  });

  it('shows a truncation note on max_tokens and a gentle fixed message on a refusal', async () => {
    const { fake, service } = await rig();
    fake.script(
      { kind: 'message', message: { content: [{ text: 'Matthias Wenke writes about a coll', cite: [{ start: 1 }] }], stopReason: 'max_tokens' } },
      { kind: 'message', message: { content: [{ text: 'I' }], stopReason: 'refusal' } },
    );
    const cut = await service.ask(ask());
    expect(cut.outcome).toBe('truncated');
    expect(cut.remarks).toContain(MESSAGES.truncated);
    const refused = await service.ask({ ...ask(), onProgress: () => undefined });
    expect(refused).toMatchObject({ outcome: 'refusal', body: MESSAGES.refusal });
  });

  it('answers a question about the member’s own distress with the support note', async () => {
    const { fake, service } = await rig();
    fake.script(replies.text({ text: '[care]\nI’m sorry it feels heavy. I’m a reading companion, not a therapist; please reach out to someone you trust.' }));
    const answer = await service.ask(ask('I feel so ashamed after reading chapter 5, what should I do?'));
    expect(answer.title).toBe(TITLES.care);
    expect(answer.remarks).toContain('**Support:** Reach out to a host in #support.');
    expect(answer.body).not.toContain('[care]');
  });
});

describe('/ask limits', () => {
  it('answers from the dataset without calling Claude once the member’s hourly quota is used', async () => {
    const { fake, service } = await rig({ env: { ASK_PER_MEMBER_PER_HOUR: '2' } });
    fake.responder = citedAnswer;
    await service.ask(ask());
    await service.ask(ask());
    const third = await service.ask(ask('Who writes about litigation?'));
    expect(fake.messageRequests).toHaveLength(2);
    expect(third).toMatchObject({ by: 'dataset', outcome: 'quota' });
    expect(third.remarks[0]).toMatch(/2 questions in the past hour.*<t:\d+:R>/);
    // Another member still gets Claude.
    const other = await service.ask({ ...ask(), userId: '1200000000000000002' });
    expect(other.by).toBe('claude');
  });

  it('answers from the dataset once the server’s monthly budget is spent, and moderators can raise it', async () => {
    const { fake, service } = await rig({ env: { ASK_SERVER_MONTHLY_TOKENS: '100' } });
    fake.responder = citedAnswer;
    const first = await service.ask(ask());
    expect(first.by).toBe('claude');
    expect(service.usage(GUILD).total).toBeGreaterThanOrEqual(100);
    const second = await service.ask(ask('Who writes about litigation?'));
    expect(second).toMatchObject({ by: 'dataset', outcome: 'budget' });
    expect(second.remarks[0]).toMatch(/budget for the month \(100 tokens\).*1 April 2026/);
    expect(fake.messageRequests).toHaveLength(1);
    service.setLimits(GUILD, { monthlyTokens: 1_000_000 });
    expect((await service.ask(ask())).by).toBe('claude');
  });

  it('counts the tokens of every attempt, cached ones included', async () => {
    const { fake, service } = await rig({ records: largeRecords() });
    fake.responder = citedAnswerLarge;
    await service.ask(ask());
    await service.ask(ask());
    const usage = service.usage(GUILD);
    expect(usage.claudeAsks).toBe(2);
    expect(usage.tokens.cacheCreation).toBeGreaterThan(0);
    expect(usage.tokens.cacheRead).toBeGreaterThan(0);
    expect(usage.total).toBe(usage.tokens.input + usage.tokens.output + usage.tokens.cacheCreation + usage.tokens.cacheRead);
  });
});

const citedAnswerLarge = () => replies.text({ text: 'Rupture and repair.', cite: [{ start: 3 }] });

describe('prompt caching', () => {
  it('marks the document with cache_control when its counted tokens meet the model’s minimum (larger dataset)', async () => {
    const { fake, service, logs } = await rig({ records: largeRecords() });
    fake.responder = citedAnswerLarge;
    await service.ask(ask());
    await service.ask(ask());
    const counts = fake.requests.filter((request) => request.path === '/v1/messages/count_tokens');
    expect(counts).toHaveLength(1);
    const document = (fake.messageRequests[0]?.body as { messages: { content: { type: string; cache_control?: unknown }[] }[] }).messages[0]!.content[0]!;
    expect(document.type).toBe('document');
    expect(document.cache_control).toEqual({ type: 'ephemeral' });
    expect(logs()).toContain('prompt caching can engage');
  });

  it('sends no cache_control for a document below the minimum, and says so in the log', async () => {
    const { fake, service, logs } = await rig();
    fake.responder = citedAnswer;
    await service.ask(ask());
    expect(fake.messageRequests[0]?.raw).not.toContain('cache_control');
    expect(logs()).toContain('prompt caching cannot engage');
  });

  it('logs a failed token count and still answers, without cache_control', async () => {
    const { fake, service, logs } = await rig({ records: largeRecords() });
    fake.countQueue.push(replies.serverError(500));
    fake.responder = citedAnswerLarge;
    const answer = await service.ask(ask());
    expect(answer.by).toBe('claude');
    expect(fake.messageRequests[0]?.raw).not.toContain('cache_control');
    expect(logs()).toContain('could not count');
  });
});

describe('privacy of /ask', () => {
  it('sends only the question and the dataset: no member id, server id, name or metadata; logs no question, even at trace', async () => {
    const { fake, service, logs } = await rig({ logLevel: 'trace' });
    fake.responder = citedAnswer;
    const question = 'Which chapter is about a sentinel-phrase-7731 of enactment?';
    await service.ask({ guildId: GUILD, userId: MEMBER, question });
    const raw = fake.requests.map((request) => request.raw + JSON.stringify(request.headers)).join('\n');
    expect(raw).toContain('sentinel-phrase-7731');
    expect(raw).not.toContain(MEMBER);
    expect(raw).not.toContain(GUILD);
    expect(raw).not.toContain('metadata');
    expect(raw).not.toContain('user_id');
    const body = fake.messageRequests[0]!.body as Record<string, unknown>;
    expect(Object.keys(body).filter((key) => key !== 'stream').sort()).toEqual(['max_tokens', 'messages', 'model', 'system']);
    expect(logs()).toContain('/ask question');
    expect(logs()).not.toContain('sentinel-phrase-7731');
    expect(logs()).not.toContain(TEST_KEY);
  });
});

describe('/ask asked while the bot is shutting down', () => {
  it('sends nothing to Anthropic, says so in the footer, and costs the member no question of their quota', async () => {
    const { fake, service, db, usage } = await rig({ env: { ASK_PER_MEMBER_PER_HOUR: '1' } });
    fake.responder = citedAnswer;
    service.stop();
    const answer = await service.ask(ask('Who writes about litigation?'));
    expect(fake.messageRequests).toHaveLength(0);
    expect(answer).toMatchObject({ by: 'dataset', outcome: 'not-sent' });
    expect(answer.remarks[0]).toContain('restarting');
    const footer = renderAnswer('Who writes about litigation?', answer).footer?.text ?? '';
    expect(footer).toContain('nothing was sent to Anthropic');
    expect(footer).not.toContain('your question was sent');
    // A dataset answer in the ledger, as without a key: no member id, nothing counted against the hourly quota.
    expect(db.prepare('SELECT user_id, answered_by, outcome, input_tokens FROM ask_usage').all()).toEqual([{ user_id: null, answered_by: 'dataset', outcome: 'not-sent', input_tokens: 0 }]);
    expect(usage.memberAsks(GUILD, MEMBER, new Date('2026-03-10T10:00:00Z'))).toEqual({ lastHour: 0, lastDay: 0 });
  });
});
