import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { blockIndex, FakeAnthropic, replies, type FakeBlock, type RecordedRequest } from '../../src/ai/fake-anthropic.js';
import type { InteractionHandle } from '../../src/local-discord/index.js';
import { startHarness, type Harness } from './harness.js';

/**
 * /ask end to end: the real discord.js client against the local Discord, and the real Anthropic SDK
 * against the local Messages API (ANTHROPIC_BASE_URL), asserting on what Discord and Anthropic would
 * really receive.
 */
const SENTINEL_REFLECTION = 'sentinel-reflection-4471: my own private thoughts';

const citedBlocks = (request: RecordedRequest): FakeBlock[] => [
  { text: 'Matthias Wenke writes about a painful collusive enactment', cite: [{ start: blockIndex(request.body, 'portrays a painful collusive enactment') }] },
  { text: ', and Nancy Eichhorn about a culture of accountability.', cite: [{ start: blockIndex(request.body, 'Chapter 13 (Nancy Eichhorn), Part V\n') }] },
];
const citedAnswer = (request: RecordedRequest) => replies.text(...citedBlocks(request));

const edits = (h: Harness, handle: InteractionHandle) =>
  h.discord.requestsMatching({ method: 'PATCH', path: `/webhooks/${h.discord.ids.application}/${handle.token}/messages/@original` });

async function shown(h: Harness, handle: InteractionHandle): Promise<string> {
  await handle.reply();
  await handle.settled();
  return h.discord.render(handle);
}

describe('/ask with Claude', () => {
  let h: Harness;
  let fake: FakeAnthropic;

  beforeAll(async () => {
    fake = await FakeAnthropic.start();
    h = await startHarness({
      env: {
        ANTHROPIC_API_KEY: 'sk-ant-e2e-test-key',
        ANTHROPIC_BASE_URL: fake.url,
        ASK_EDIT_INTERVAL_MS: '1',
        ASK_TIMEOUT_MS: '2000',
        REFLECTIONS_KEY: randomBytes(32).toString('hex'),
      },
    });
    h.ctx.settings.update(h.discord.ids.guild, { supportNote: 'Reach out to a host in #support.' }, new Date());
  });
  afterAll(async () => {
    await h?.stop();
    await fake?.close();
  });
  beforeEach(() => {
    fake.queue.length = 0;
    fake.requests.length = 0;
    fake.responder = citedAnswer;
  });

  it('streams a cited answer into an ephemeral reply, with numbered sources, and no ping on any edit', async () => {
    const handle = await h.discord.interact.chatInput({ name: 'ask', options: { question: '@everyone which chapters are about enactment? <@&123456789012345678>' } });
    expect(handle.callback.type).toBe(5);
    expect(handle.ephemeral).toBe(true);
    const text = await shown(h, handle);
    expect(text).toContain('Matthias Wenke writes about a painful collusive enactment[1], and Nancy Eichhorn about a culture of accountability.[2]');
    expect(text).toContain('[1] Chapter 5 (Matthias Wenke), Part II, p. 35');
    expect(text).toContain('[2] Chapter 13 (Nancy Eichhorn), Part V');
    expect(text).toContain('only your question was sent to Anthropic');
    const patches = edits(h, handle);
    // The answer arrived in more than one edit (streamed), and every edit resent allowed_mentions with no parse.
    expect(patches.length).toBeGreaterThan(1);
    for (const patch of patches) expect((patch.body as { allowed_mentions?: unknown }).allowed_mentions).toEqual({ parse: [], replied_user: false });
    expect((fake.messageRequests[0]?.body as { stream?: boolean }).stream).toBe(true);
  });

  it('posts in the channel with share:true', async () => {
    const handle = await h.discord.interact.chatInput({ name: 'ask', options: { question: 'Who writes about enactment?', share: true } });
    expect(handle.ephemeral).toBe(false);
    expect(await shown(h, handle)).toContain('[1] Chapter 5 (Matthias Wenke), Part II, p. 35');
  });

  it('keeps a personal question private even with share:true, and says why', async () => {
    const handle = await h.discord.interact.chatInput({ name: 'ask', options: { question: 'I failed a client and cannot stop thinking about it, I feel ashamed', share: true } });
    expect(handle.ephemeral).toBe(true);
    const text = await shown(h, handle);
    expect(text).toContain('your question sounds personal, so only you can see it');
    expect(h.discord.messages(h.discord.ids.channel).some((m) => JSON.stringify(m).includes('I feel ashamed'))).toBe(false);
  });

  it('takes a shared answer out of the channel when Claude finds the question personal ([care]), and answers the member privately', async () => {
    // Not caught by the bot's own check (looksPersonal), so deferred in public; Claude's [care] is what says it.
    const question = 'How do I forgive myself for harming a client last year?';
    fake.responder = () => replies.text({ text: '[care]\nThat sounds heavy to carry. I’m a reading companion, not a therapist; please reach out to someone you trust.' });
    const handle = await h.discord.interact.chatInput({ name: 'ask', options: { question, share: true } });
    expect(handle.ephemeral).toBe(false);
    await handle.waitForFollowUps(1);
    await handle.settled();
    const [followUp] = handle.followUps();
    expect(followUp && (followUp.flags & 64) !== 0).toBe(true);
    const text = h.discord.render(followUp!);
    expect(text).toContain('That sounds heavy to carry.');
    expect(text).toContain('Reach out to a host in #support.');
    expect(text).toContain('only you can see it');
    // Nothing of it stays in the channel: not the question, not the answer, not a "thinking…" placeholder.
    expect(handle.original()).toBeUndefined();
    const inChannel = JSON.stringify(h.discord.messages(h.discord.ids.channel));
    expect(inChannel).not.toContain('forgive myself');
    expect(inChannel).not.toContain('heavy to carry');
    for (const write of h.discord.messageWrites()) expect((write.body as { allowed_mentions?: unknown }).allowed_mentions).toEqual({ parse: [], replied_user: false });
  });

  it('sends Anthropic only the question and the dataset: no reflection, name or id', async () => {
    h.ctx.reflections.create({
      guildId: h.discord.ids.guild,
      authorId: h.discord.ids.member,
      authorName: 'Reader',
      text: SENTINEL_REFLECTION,
      visibility: 'shared',
      idempotencyKey: 'e2e-ask-reflection',
      source: 'modal',
    });
    const handle = await h.discord.interact.chatInput({ name: 'ask', options: { question: 'What do the reflections in this group say about shame?' } });
    await shown(h, handle);
    const payload = handle.record.payload as { member: { user: { username: string; global_name: string } } };
    const sent = fake.requests.map((request) => `${request.raw}\n${JSON.stringify(request.headers)}`).join('\n');
    expect(sent).toContain('What do the reflections in this group say about shame?');
    for (const secret of [SENTINEL_REFLECTION, 'sentinel-reflection-4471', h.discord.ids.member, h.discord.ids.guild, h.discord.ids.channel, payload.member.user.username, payload.member.user.global_name, handle.id]) {
      expect(sent).not.toContain(secret);
    }
    expect(sent).not.toContain('metadata');
    // Nor is the question logged at info.
    expect(h.logText()).not.toContain('What do the reflections in this group say about shame?');
  });

  it('retries 529 twice and answers; sends the spend-cap 429 once and answers from the dataset', async () => {
    fake.script(replies.overloaded(), replies.overloaded());
    const retried = await h.discord.interact.chatInput({ name: 'ask', options: { question: 'Who writes about enactment?' } });
    expect(await shown(h, retried)).toContain('[1] Chapter 5 (Matthias Wenke), Part II, p. 35');
    expect(fake.messageRequests).toHaveLength(3);

    fake.requests.length = 0;
    fake.script(replies.spendCap());
    const capped = await h.discord.interact.chatInput({ name: 'ask', options: { question: 'Who writes about litigation?' } });
    const text = await shown(h, capped);
    expect(fake.messageRequests).toHaveLength(1);
    expect(text).toContain('spending limit');
    expect(text).toContain('dataset’s own answer');
    expect(text).toContain('(Chapter 13 (Nancy Eichhorn), Part V)');
    // The refused request did carry the question: the footer must not say otherwise.
    expect(text).not.toContain('nothing was sent to Anthropic');
    expect(text).toContain('your question was sent to Anthropic');
  });

  it('answers at once from the dataset when Claude asks for a long wait (429, retry-after 60 s), saying Claude is busy', async () => {
    fake.script(replies.rateLimited({ 'retry-after': '60' }));
    const handle = await h.discord.interact.chatInput({ name: 'ask', options: { question: 'Who writes about litigation?' } });
    // Not a minute of "thinking…": the default ASK_MAX_RETRY_WAIT_MS (10 s) is far below the 60 s asked for.
    await h.discord.waitFor(() => h.discord.render(handle).includes('Claude is busy right now') || undefined, { timeoutMs: 3_000, what: 'the busy answer' });
    await handle.settled();
    const text = h.discord.render(handle);
    expect(text).toContain('try again in a minute or so');
    expect(text).toContain('dataset’s own answer');
    expect(text).toContain('(Chapter 13 (Nancy Eichhorn), Part V)');
    expect(text).toContain('your question was sent to Anthropic');
    expect(fake.messageRequests).toHaveLength(1);
  });

  it('turns a hang into a timeout answer from the dataset', async () => {
    fake.responder = () => replies.hang();
    const before = h.ctx.config.ASK_TIMEOUT_MS;
    (h.ctx.config as { ASK_TIMEOUT_MS: number }).ASK_TIMEOUT_MS = 50;
    try {
      const handle = await h.discord.interact.chatInput({ name: 'ask', options: { question: 'Who writes about litigation?' } });
      const text = await shown(h, handle);
      expect(text).toContain('took too long');
      expect(text).toContain('(Chapter 13 (Nancy Eichhorn), Part V)');
    } finally {
      (h.ctx.config as { ASK_TIMEOUT_MS: number }).ASK_TIMEOUT_MS = before;
    }
  });

  it('lets a long answer that keeps arriving stream in to the end, in one call, though it takes longer than the per-call limit', async () => {
    // ASK_TIMEOUT_MS is how long Claude may stay silent: here 1 s (ten times the gap, so a loaded machine's pause
    // does not trip it), with an event every 100 ms for some 3 s.
    fake.responder = (request) => ({ kind: 'slow', message: { content: citedBlocks(request) }, everyMs: 100 });
    const before = h.ctx.config.ASK_TIMEOUT_MS;
    (h.ctx.config as { ASK_TIMEOUT_MS: number }).ASK_TIMEOUT_MS = 1_000;
    try {
      const handle = await h.discord.interact.chatInput({ name: 'ask', options: { question: 'Which chapters are about enactment?' } });
      await h.discord.waitFor(() => h.discord.render(handle).includes('[2] Chapter 13 (Nancy Eichhorn), Part V') || h.discord.render(handle).includes('took too long') || undefined, { timeoutMs: 10_000, what: 'the final answer' });
      await handle.settled();
      const text = h.discord.render(handle);
      expect(text).not.toContain('took too long');
      expect(text).toContain('Matthias Wenke writes about a painful collusive enactment[1], and Nancy Eichhorn about a culture of accountability.[2]');
      expect(fake.messageRequests).toHaveLength(1);
      // The member's private answer only ever grew: it never jumped back to start again.
      const shownSoFar = edits(h, handle).map((patch) => (patch.body as { embeds: { description: string }[] }).embeds[0]!.description.replace(/\[\d+\]/g, ''));
      expect(shownSoFar.length).toBeGreaterThan(2);
      for (const [i, description] of shownSoFar.entries()) if (i > 0) expect(description.length).toBeGreaterThanOrEqual(shownSoFar[i - 1]!.length);
    } finally {
      (h.ctx.config as { ASK_TIMEOUT_MS: number }).ASK_TIMEOUT_MS = before;
    }
  });

  it('moderators set the quota and read the usage; a member over the quota gets the dataset’s answer', async () => {
    const refused = await h.discord.interact.chatInput({ name: 'ask-settings', subcommand: 'usage', as: 'member' });
    expect(await shown(h, refused)).toContain('moderator tool');

    const set = await h.discord.interact.chatInput({ name: 'ask-settings', subcommand: 'quota', options: { 'per-hour': 0 }, as: 'owner' });
    expect(set.ephemeral).toBe(true);
    expect(await shown(h, set)).toContain('0 questions an hour');

    const over = await h.discord.interact.chatInput({ name: 'ask', options: { question: 'Who writes about litigation?' }, as: 'moderator' });
    const text = await shown(h, over);
    expect(text).toContain('This server has set /ask to answer from the book data alone');
    expect(text).toContain('(Chapter 13 (Nancy Eichhorn), Part V)');
    expect(fake.messageRequests).toHaveLength(0);

    const budget = await h.discord.interact.chatInput({ name: 'ask-settings', subcommand: 'budget', options: { tokens: 5000 }, as: 'owner' });
    expect(await shown(h, budget)).toContain('5,000 tokens a month');
    const usage = await h.discord.interact.chatInput({ name: 'ask-settings', subcommand: 'usage', as: 'owner' });
    const report = await shown(h, usage);
    expect(report).toMatch(/\d+ questions answered with Claude/);
    expect(report).toContain('Claude:** on (claude-haiku-4-5)');
    // A budget of 0 means "dataset answers only", not a budget used up.
    const none = await shown(h, await h.discord.interact.chatInput({ name: 'ask-settings', subcommand: 'budget', options: { tokens: 0 }, as: 'owner' }));
    expect(none).toContain('used; the monthly budget is 0, so /ask answers from the dataset alone');
    expect(none).not.toContain('(100%)');
    await shown(h, await h.discord.interact.chatInput({ name: 'ask-settings', subcommand: 'quota', options: { reset: true }, as: 'owner' }));
    await shown(h, await h.discord.interact.chatInput({ name: 'ask-settings', subcommand: 'budget', options: { reset: true }, as: 'owner' }));
  });
});

describe('/ask and forget-me', () => {
  it('is covered by an eraser on the context', async () => {
    const fake = await FakeAnthropic.start();
    const h = await startHarness({ env: { ANTHROPIC_API_KEY: 'sk-ant-e2e-test-key', ANTHROPIC_BASE_URL: fake.url, REFLECTIONS_KEY: randomBytes(32).toString('hex') } });
    try {
      fake.responder = citedAnswer;
      await shown(h, await h.discord.interact.chatInput({ name: 'ask', options: { question: 'Who writes about enactment?' } }));
      const { guild, member } = h.discord.ids;
      const rows = () => h.ctx.db.prepare('SELECT count(*) AS n FROM ask_usage WHERE guild_id = ? AND user_id = ?').get(guild, member) as { n: number };
      expect(rows().n).toBe(1);
      const total = h.ctx.ask.usage(guild).total;
      expect(total).toBeGreaterThan(0);
      const eraser = h.ctx.erasers.find((e) => e.name === '/ask usage records');
      expect(eraser?.forgetMember(guild, member)).toBe(1);
      expect(rows().n).toBe(0);
      expect(h.ctx.ask.usage(guild).total).toBe(total);
      eraser?.purgeGuild(guild);
      expect(h.ctx.ask.usage(guild).total).toBe(0);
    } finally {
      await h.stop();
      await fake.close();
    }
  });
});

describe('/ask during a shutdown', () => {
  it('answers a member waiting on Claude from the dataset before the bot stops, instead of leaving “thinking…” behind', async () => {
    const fake = await FakeAnthropic.start();
    // The default per-call timeout (45 s) and deadline (240 s): far longer than the shutdown's drain.
    const h = await startHarness({ env: { ANTHROPIC_API_KEY: 'sk-ant-e2e-test-key', ANTHROPIC_BASE_URL: fake.url, SHUTDOWN_TIMEOUT_MS: '4000', REFLECTIONS_KEY: randomBytes(32).toString('hex') } });
    try {
      // The stop comes once Claude has the question: the responder says so (the local Discord's waitFor hears only Discord's own changes).
      let asked: () => void = () => undefined;
      const claudeHasIt = new Promise<void>((resolve) => (asked = resolve));
      fake.responder = () => {
        asked();
        return replies.hang();
      };
      const handle = await h.discord.interact.chatInput({ name: 'ask', options: { question: 'Who writes about litigation?' } });
      await claudeHasIt;
      await h.bot.stop();
      const text = h.discord.render(handle);
      expect(text).not.toContain('thinking');
      expect(text).toContain('(Chapter 13 (Nancy Eichhorn), Part V)');
      expect(text).toContain('restarting');
      expect(h.unhandledRejections).toEqual([]);
    } finally {
      await h.stop();
      await fake.close();
    }
  });
});

describe('/ask without a key', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ env: { ANTHROPIC_API_KEY: '', REFLECTIONS_KEY: randomBytes(32).toString('hex') } });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('answers from the dataset, each line with its source, and never uses Claude', async () => {
    expect(h.ctx.ask.usesClaude).toBe(false);
    const handle = await h.discord.interact.chatInput({ name: 'ask', options: { question: 'Who wrote the foreword?' } });
    expect(handle.ephemeral).toBe(true);
    const text = await shown(h, handle);
    expect(text).toContain('dataset’s own answer');
    expect(text).toContain('(Andrew Samuels (author of the foreword))');
    expect(text).toContain('nothing was sent to Anthropic');
  });

  it('says when nothing matches, with the support note', async () => {
    const text = await shown(h, await h.discord.interact.chatInput({ name: 'ask', options: { question: 'What is the capital of France?' } }));
    expect(text).toContain('Nothing in the book data matches that question.');
    expect(text).toContain('Support:');
  });
});
