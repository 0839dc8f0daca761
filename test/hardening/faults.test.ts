import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalChannel } from '../../src/local-discord/index.js';
import type { PlanWeek } from '../../src/weeks.js';
import { weeksOf } from '../db/reflections-helpers.js';
import { addWeekThread, postedWeek } from '../helpers/weeks.js';
import { startHarness, type Harness } from '../e2e/harness.js';
import { KEY, SCALE, mentionViolations } from './support.js';

/**
 * Discord misbehaving, from the local Discord: 429 with retry-after and bucket headers, 500s, a response
 * slower than DISCORD_REST_TIMEOUT_MS, the gateway closing with 4000, heartbeats never acknowledged.
 * The bot must wait, retry, resume (RESUME with its last sequence) and answer, losing and doubling nothing.
 */

const REST_TIMEOUT_MS = 400;
const ROUNDS = SCALE;

describe('hardening: Discord faults', () => {
  let h: Harness;
  const reflections = () => (h.ctx.db.prepare('SELECT COUNT(*) AS n FROM reflections').get() as { n: number }).n;

  beforeAll(async () => {
    h = await startHarness({
      env: { REFLECTIONS_KEY: KEY, DISCORD_REST_TIMEOUT_MS: String(REST_TIMEOUT_MS) },
      discordOptions: { heartbeatIntervalMs: 300 },
    });
  });
  afterAll(async () => {
    await h?.stop();
  });

  async function submitReflection(text: string) {
    const opened = await h.discord.interact.chatInput({ name: 'reflect' });
    expect(opened.modal).toBeDefined();
    const submitted = await h.discord.interact.modalSubmit({ modal: opened, values: [text] });
    return { submitted, reply: await submitted.reply() };
  }

  it('waits out a 429 with retry-after and bucket headers, then answers', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const fault = h.discord.faults.add({
        method: 'POST',
        path: '/interactions/:id/:token/callback',
        status: 429,
        headers: { 'retry-after': '0.2', 'x-ratelimit-bucket': 'hardening-bucket', 'x-ratelimit-limit': '5', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset-after': '0.2', 'x-ratelimit-scope': 'user' },
      });
      const handle = await h.discord.interact.chatInput({ name: 'help' });
      expect(fault.hits).toBe(1);
      const attempts = h.discord.requestsMatching({ method: 'POST', path: `/interactions/${handle.id}/${handle.token}/callback` });
      expect(attempts.map((r) => r.status)).toEqual([429, 204]);
      expect(attempts[1]!.at - attempts[0]!.at).toBeGreaterThanOrEqual(150);
      expect(h.discord.render(await handle.reply())).toContain('/');
    }
  });

  it('waits out a 429 on the reply edit too (interaction webhooks have their own REST client), saving once', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const before = reflections();
      const fault = h.discord.faults.add({
        method: 'PATCH',
        path: /^\/webhooks\/[^/]+\/[^/]+\/messages\/@original$/,
        status: 429,
        headers: { 'retry-after': '0.2', 'x-ratelimit-bucket': 'hardening-webhook', 'x-ratelimit-limit': '5', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset-after': '0.2', 'x-ratelimit-scope': 'user' },
      });
      const { submitted, reply } = await submitReflection(`Rate limited once, round ${round}: what stayed unsaid.`);
      expect(fault.hits).toBe(1);
      const edits = h.discord.requestsMatching({ method: 'PATCH', path: `/webhooks/${h.discord.ids.application}/${submitted.token}/messages/@original` });
      expect(edits.map((r) => r.status)).toEqual([429, 200]);
      expect(edits[1]!.at - edits[0]!.at).toBeGreaterThanOrEqual(150);
      expect(h.discord.render(reply)).toMatch(/saved/i);
      expect(reflections()).toBe(before + 1);
    }
  });

  it('retries 500s on an edit and the member gets one reply; the reflection is saved once', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const before = reflections();
      const fault = h.discord.faults.add({ method: 'PATCH', path: /^\/webhooks\/[^/]+\/[^/]+\/messages\/@original$/, status: 500, times: 2 });
      const { submitted, reply } = await submitReflection(`Five hundred twice, round ${round}: the rupture we did not name.`);
      expect(fault.hits).toBe(2);
      expect(h.discord.render(reply)).toMatch(/saved/i);
      expect(submitted.ephemeral).toBe(true);
      expect(reflections()).toBe(before + 1);
    }
  });

  it('when Discord keeps failing the confirmation, the member is told the reflection is saved (not to try again)', async () => {
    const before = reflections();
    const fault = h.discord.faults.add({ method: 'PATCH', path: /^\/webhooks\/[^/]+\/[^/]+\/messages\/@original$/, status: 500, times: Number.POSITIVE_INFINITY });
    try {
      const opened = await h.discord.interact.chatInput({ name: 'reflect' });
      const submitted = await h.discord.interact.modalSubmit({ modal: opened, values: ['Written once, while Discord kept failing.'] });
      // A follow-up to a deferred reply takes the place of its "thinking…" placeholder, as on Discord.
      const notice = await submitted.reply({ timeoutMs: 10_000 });
      await submitted.settled({ requireEdit: false });
      const saved = h.ctx.db.prepare('SELECT MAX(id) AS id FROM reflections').get() as { id: number };
      expect(reflections()).toBe(before + 1);
      expect(fault.hits).toBeGreaterThan(1);
      expect(h.discord.render(notice)).toContain(`Your reflection is saved, as **#${saved.id}**`);
      expect(submitted.messages().map((m) => h.discord.render(m)).join('\n')).not.toMatch(/try again/i);
      expect(submitted.ephemeral).toBe(true);
      const posted = h.discord.requestsMatching({ method: 'POST', path: `/webhooks/${h.discord.ids.application}/${submitted.token}` });
      expect(posted.map((r) => r.status)).toEqual([200]);
    } finally {
      fault.remove();
    }
  });

  it('when Discord keeps failing the edit after a visibility button, the member is told the change is saved', async () => {
    const { reply } = await submitReflection('Private at first, shared once the message could not be updated.');
    const saved = h.ctx.db.prepare('SELECT MAX(id) AS id FROM reflections').get() as { id: number };
    const fault = h.discord.faults.add({ method: 'PATCH', path: /^\/webhooks\/[^/]+\/[^/]+\/messages\/@original$/, status: 500, times: Number.POSITIVE_INFINITY });
    try {
      const clicked = await h.discord.interact.button({ message: reply, component: `reflection-vis:${saved.id}:shared` });
      const [notice] = await clicked.waitForFollowUps(1, { timeoutMs: 10_000 });
      await clicked.settled({ requireEdit: false });
      expect(fault.hits).toBeGreaterThan(1);
      const stored = h.ctx.db.prepare('SELECT visibility FROM reflections WHERE id = ?').get(saved.id) as { visibility: string };
      expect(stored.visibility).toBe('shared');
      expect(h.discord.render(notice!)).toContain(`Reflection **#${saved.id}** is now shared`);
      expect(clicked.followUps().map((m) => h.discord.render(m)).join('\n')).not.toMatch(/try again/i);
      expect(notice!.flags & 64).toBe(64);
    } finally {
      fault.remove();
    }
  });

  it('when Discord keeps failing the edit after forget-me, the member is still told their data is erased', async () => {
    await submitReflection('Written, then forgotten while Discord kept failing.');
    const asked = await h.discord.interact.chatInput({ name: 'reflections', subcommand: 'forget-me' });
    const confirm = await asked.reply();
    const fault = h.discord.faults.add({ method: 'PATCH', path: /^\/webhooks\/[^/]+\/[^/]+\/messages\/@original$/, status: 500, times: Number.POSITIVE_INFINITY });
    try {
      const done = await h.discord.interact.button({ message: confirm, component: 'reflections-forget' });
      const [notice] = await done.waitForFollowUps(1, { timeoutMs: 10_000 });
      await done.settled({ requireEdit: false });
      expect(fault.hits).toBeGreaterThan(1);
      const left = h.ctx.db.prepare('SELECT COUNT(*) AS n FROM reflections WHERE author_id = ?').get(h.discord.ids.member) as { n: number };
      expect(left.n).toBe(0);
      expect(h.discord.render(notice!)).toContain('Everything the bot kept about you in this server is erased');
      expect(done.followUps().map((m) => h.discord.render(m)).join('\n')).not.toMatch(/went wrong|try again/i);
      expect(notice!.flags & 64).toBe(64);
    } finally {
      fault.remove();
    }
  });

  it('when Discord keeps failing the answer to /prompt skip, the moderator is told it is done, so no second time is skipped', async () => {
    const guildId = h.discord.ids.guild;
    h.ctx.prompts.setup(guildId, { channelId: h.discord.ids.channel, weekday: 'sunday', time: '19:00', timezone: 'Europe/London', plan: null, start: null, pingRoleId: null });
    const skips = () => (h.ctx.db.prepare('SELECT COUNT(*) AS n FROM prompt_skips WHERE guild_id = ?').get(guildId) as { n: number }).n;
    const before = skips();
    const fault = h.discord.faults.add({ method: 'PATCH', path: /^\/webhooks\/[^/]+\/[^/]+\/messages\/@original$/, status: 500, times: Number.POSITIVE_INFINITY });
    try {
      const skipped = await h.discord.interact.chatInput({ name: 'prompt', subcommand: 'skip', as: 'moderator' });
      const notice = await skipped.reply({ timeoutMs: 10_000 });
      await skipped.settled({ requireEdit: false });
      expect(fault.hits).toBeGreaterThan(1);
      expect(skips()).toBe(before + 1);
      expect(h.discord.render(notice)).toContain('posting time skipped');
      expect(h.discord.render(notice)).toContain('Nothing will be posted');
      expect(skipped.messages().map((m) => h.discord.render(m)).join('\n')).not.toMatch(/went wrong|try again/i);
      expect(skipped.ephemeral).toBe(true);
    } finally {
      fault.remove();
    }
  });

  it('a response slower than the REST timeout is retried without a lost or doubled write', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const before = reflections();
      const fault = h.discord.faults.add({ method: 'PATCH', path: /^\/webhooks\/[^/]+\/[^/]+\/messages\/@original$/, delayMs: REST_TIMEOUT_MS * 3 });
      const { submitted } = await submitReflection(`Slow Discord, round ${round}.`);
      await submitted.settled({ quietMs: REST_TIMEOUT_MS * 4, timeoutMs: 15_000 });
      expect(fault.hits).toBe(1);
      const edits = h.discord.requestsMatching({ method: 'PATCH', path: `/webhooks/${h.discord.ids.application}/${submitted.token}/messages/@original` });
      expect(edits.length).toBeGreaterThanOrEqual(2);
      expect(h.discord.render(submitted.original()!)).toMatch(/saved/i);
      expect(submitted.followUps()).toEqual([]);
      expect(reflections()).toBe(before + 1);
    }
  });

  it('a deferral Discord carries out but answers slower than the REST timeout still saves the reflection once, and answers', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const before = reflections();
      const opened = await h.discord.interact.chatInput({ name: 'reflect' });
      // The retry of the timed-out callback is refused as already acknowledged (40060): the deferral did happen.
      const fault = h.discord.faults.add({ method: 'POST', path: '/interactions/:id/:token/callback', delayMs: REST_TIMEOUT_MS * 3, times: 1 });
      const submitted = await h.discord.interact.modalSubmit({ modal: opened, values: [`Sent while Discord answered slowly, round ${round}.`] });
      const reply = await submitted.reply({ timeoutMs: 10_000 });
      expect(fault.hits).toBe(1);
      const callbacks = h.discord.requestsMatching({ method: 'POST', path: `/interactions/${submitted.id}/${submitted.token}/callback` });
      expect(callbacks.length).toBeGreaterThanOrEqual(2);
      expect(h.discord.render(reply)).toMatch(/saved/i);
      expect(reflections()).toBe(before + 1);
    }
  });

  it('a shared answer Discord showed, though every try of its edit was answered past the REST timeout, stays in the channel with no apology', async () => {
    const slow = h.discord.faults.add({ method: 'PATCH', path: /^\/webhooks\/[^/]+\/[^/]+\/messages\/@original$/, delayMs: REST_TIMEOUT_MS * 3, times: 4 });
    try {
      const asked = await h.discord.interact.chatInput({ name: 'ask', options: { question: 'Who writes about enactment?', share: true } });
      await h.waitForLog((line) => line.msg === 'the answer is shown although its edit reported a failure; left as it is', { timeoutMs: 15_000 });
      await asked.settled({ requireEdit: false, quietMs: REST_TIMEOUT_MS * 2, timeoutMs: 15_000 });
      expect(slow.hits).toBe(4);
      expect(asked.original()).toBeDefined();
      expect(asked.original()!.embeds.length).toBeGreaterThan(0);
      expect(asked.followUps()).toEqual([]);
    } finally {
      slow.remove();
    }
  });

  it('resumes after the gateway closes with 4000, with its last sequence, and answers what arrived meanwhile', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const identifies = h.discord.gateway.identifies.length;
      const resumes = h.discord.gateway.resumes.length;
      const before = reflections();
      const opened = await h.discord.interact.chatInput({ name: 'reflect' });
      h.discord.gateway.disconnect(4000);
      // Sent while the connection is closing: kept for the session and replayed on RESUME.
      const submitted = await h.discord.interact.modalSubmit({ modal: opened, values: [`Written while the gateway was down, round ${round}.`], timeoutMs: 10_000 });
      expect(h.discord.render(await submitted.reply())).toMatch(/saved/i);
      expect(h.discord.gateway.resumes.length).toBe(resumes + 1);
      // The RESUME carried the last sequence the bot had seen: exactly the one missed event was replayed.
      const resume = h.discord.gateway.resumes.at(-1)!;
      expect(resume.seq).toBeGreaterThan(0);
      expect(resume.replayed).toBe(1);
      expect(h.discord.gateway.identifies.length).toBe(identifies);
      expect(reflections()).toBe(before + 1);
      const next = await h.discord.interact.chatInput({ name: 'help' });
      expect(h.discord.render(await next.reply())).toContain('/');
    }
  });

  it('detects heartbeats that are never acknowledged, resumes with its last sequence, and answers what arrived meanwhile, saving once', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const identifies = h.discord.gateway.identifies.length;
      const resumes = h.discord.gateway.resumes.length;
      const before = reflections();
      const opened = await h.discord.interact.chatInput({ name: 'reflect' });
      // A zombie connection (a dead network): no heartbeat ACK, and nothing else sent over it arrives either.
      const lastSeen = h.discord.gateway.silenceOpenConnections();
      // Sent meanwhile: it does not reach the bot over the zombie connection, only through the RESUME.
      const submitting = h.discord.interact.modalSubmit({ modal: opened, values: [`Written while heartbeats went unanswered, round ${round}.`], timeoutMs: 10_000 });
      await h.discord.waitFor(() => h.discord.gateway.resumes.length > resumes, { timeoutMs: 10_000, what: 'a RESUME after missing heartbeat ACKs' });
      const submitted = await submitting;
      expect(h.discord.render(await submitted.reply())).toMatch(/saved/i);
      expect(h.discord.gateway.resumes.length).toBe(resumes + 1);
      // The RESUME carried the last sequence the bot had been sent: exactly the one missed event was replayed.
      const resume = h.discord.gateway.resumes.at(-1)!;
      expect(resume.seq).toBe(lastSeen);
      expect(resume.replayed).toBe(1);
      expect(h.discord.gateway.identifies.length).toBe(identifies);
      expect(reflections()).toBe(before + 1);
      await h.discord.waitFor(() => h.discord.botConnected, { timeoutMs: 5_000, what: 'the bot to be connected again' });
      const next = await h.discord.interact.chatInput({ name: 'chapter', options: { chapter: '1' } });
      expect(h.discord.render(await next.reply())).toMatch(/chapter/i);
      expect(reflections()).toBe(before + 1);
    }
  });

  it('sent nothing that could ping, and no promise was rejected unhandled', () => {
    expect(mentionViolations(h.discord.requests)).toEqual([]);
    expect(h.unhandledRejections).toEqual([]);
  });
});

describe('hardening: Discord slow to answer the bot’s own posts', () => {
  let h: Harness;
  const weeks: PlanWeek[] = [];
  let thread: LocalChannel;

  beforeAll(async () => {
    h = await startHarness({ env: { REFLECTIONS_KEY: KEY, DISCORD_REST_TIMEOUT_MS: String(REST_TIMEOUT_MS) } });
    h.ctx.weeks = weeksOf(weeks);
    thread = addWeekThread(h.discord, 'Week 1');
    weeks.push(postedWeek(h.discord, 1, thread.id));
    h.ctx.settings.update(h.discord.ids.guild, { modLogChannelId: h.discord.ids.modLogChannel, moderatorRoleId: h.discord.ids.roles.moderator }, new Date());
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('a report the mod-log refused (500 on every try) is taken back, the reporter is told to press again, and the next press reaches the moderators', async () => {
    const opened = await h.discord.interact.chatInput({ name: 'reflect', options: { visibility: 'shared', week: 1 }, as: 'member' });
    const submitted = await h.discord.interact.modalSubmit({ modal: opened, values: ['Words someone will report while Discord fails.'], as: 'member' });
    const id = Number(/#(\d+)/.exec((await submitted.reply()).content)?.[1]);
    const post = h.discord.message(h.ctx.reflections.getPost(id)!.messageId)!;
    const before = h.discord.messages(h.discord.ids.modLogChannel).length;
    // Four 500s: the first try and the REST client's three retries.
    const down = h.discord.faults.add({ method: 'POST', path: `/channels/${h.discord.ids.modLogChannel}/messages`, status: 500, body: { message: 'Internal Server Error', code: 0 }, times: 4 });
    const first = await h.discord.interact.button({ message: post, component: `reflection-report:${id}`, as: 'owner' });
    expect(h.discord.render(await first.reply({ timeoutMs: 10_000 }))).toContain('your report did not go through. Please press Report again');
    expect(down.hits).toBe(4);
    expect(h.discord.messages(h.discord.ids.modLogChannel)).toHaveLength(before);
    const again = await h.discord.interact.button({ message: post, component: `reflection-report:${id}`, as: 'owner' });
    expect(h.discord.render(await again.reply())).toContain('The moderators have been told');
    expect(h.discord.messages(h.discord.ids.modLogChannel)).toHaveLength(before + 1);
  });

  it('a report reaches the mod-log once and a hide reaches the author once, though each POST was answered past the REST timeout', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const opened = await h.discord.interact.chatInput({ name: 'reflect', options: { visibility: 'shared', week: 1 }, as: 'member' });
      const submitted = await h.discord.interact.modalSubmit({ modal: opened, values: [`Words that will be reported, round ${round}.`], as: 'member' });
      const id = Number(/#(\d+)/.exec((await submitted.reply()).content)?.[1]);
      const post = h.discord.message(h.ctx.reflections.getPost(id)!.messageId)!;

      const modLogBefore = h.discord.messages(h.discord.ids.modLogChannel).length;
      const slowModLog = h.discord.faults.add({ method: 'POST', path: `/channels/${h.discord.ids.modLogChannel}/messages`, delayMs: REST_TIMEOUT_MS * 3, times: 1 });
      const reported = await h.discord.interact.button({ message: post, component: `reflection-report:${id}`, as: 'owner' });
      await reported.settled({ quietMs: REST_TIMEOUT_MS * 4, timeoutMs: 15_000 });
      expect(slowModLog.hits).toBe(1);
      const reports = h.discord.messages(h.discord.ids.modLogChannel).slice(modLogBefore);
      expect(reports).toHaveLength(1);

      const dmsBefore = h.discord.directMessages('member').length;
      const slowDm = h.discord.faults.add({ method: 'POST', path: /^\/channels\/[^/]+\/messages$/, delayMs: REST_TIMEOUT_MS * 3, times: 1 });
      const hidden = await h.discord.interact.button({ message: reports[0]!, component: `reflection-hide:${id}`, as: 'moderator' });
      await hidden.settled({ quietMs: REST_TIMEOUT_MS * 4, timeoutMs: 15_000 });
      expect(slowDm.hits).toBe(1);
      expect(h.discord.directMessages('member').slice(dmsBefore)).toHaveLength(1);
    }
  });
});
