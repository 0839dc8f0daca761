import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/clock.js';
import type { InteractionHandle } from '../../src/local-discord/index.js';
import { startHarness, type Harness } from './harness.js';

/** Two moderators' /export of one server in flight at once, through the real bot and the local Discord. */

const ALICE = '300000000000000001';
const ORIGINAL = /^\/webhooks\/\d+\/[^/]+\/messages\/@original$/;

/**
 * The same through the bot: one export is kept in flight by holding Discord's answer to its first part, while
 * another moderator's since-last export is delivered; then the first one is delivered, or its last message fails.
 */
describe('concurrent /export reflections of one server', () => {
  let h: Harness;
  const clock = fixedClock('2026-03-02T10:00:00.000Z');
  let n = 0;
  const write = (text: string) =>
    h.ctx.reflections.create({ guildId: h.discord.ids.guild, authorId: ALICE, authorName: 'Alice', text, visibility: 'shared', idempotencyKey: `c-${++n}`, source: 'modal', week: 1, chapterId: null }).reflection;

  beforeEach(async () => {
    h = await startHarness({ clock, env: { REFLECTIONS_KEY: randomBytes(32).toString('hex') } });
  });
  afterEach(async () => {
    await h?.stop();
  });

  const files = (handle: InteractionHandle) => handle.messages().flatMap((m) => m.attachments.map((a) => ({ name: a.filename, data: a.data ?? Buffer.alloc(0) })));
  const singleJson = async (options: Record<string, string | number | boolean>) => {
    const handle = await h.discord.interact.chatInput({ name: 'export', subcommand: 'reflections', options: { format: 'json', ...options }, as: 'moderator' });
    const [file] = await h.discord.waitFor(() => (files(handle).length > 0 ? files(handle) : undefined), { what: 'the export file' });
    return JSON.parse(file!.data.toString('utf8')) as { reflections: { id: number }[]; since: string | null };
  };
  /** Sizes the export as the bot would write it, to pick an upload limit that makes exactly two parts. */
  const twoPartLimit = async () => {
    const plan = h.ctx.exports.plan({ guildId: h.discord.ids.guild, guildName: null, actor: { kind: 'member', id: h.discord.ids.moderator, label: null }, format: 'json', scope: h.ctx.exports.parseScope({}), pseudonymise: false });
    const produced = await h.ctx.exports.produce(plan, 1 << 30);
    return Math.ceil(produced.bytes * 0.6);
  };
  /** Starts a split export whose first part's upload Discord takes but does not answer until `release`. */
  const startHeldSplitExport = async () => {
    let release!: () => void;
    const hold = new Promise<void>((resolve) => (release = resolve));
    const held = h.discord.faults.add({ method: 'PATCH', path: ORIGINAL, hold, times: 1 });
    const limit = await twoPartLimit();
    h.discord.attachmentSizeLimit = limit;
    const handle = await h.discord.interact.chatInput({ name: 'export', subcommand: 'reflections', options: { format: 'json' }, as: 'moderator' });
    h.discord.attachmentSizeLimit = 10 * 1024 * 1024;
    await h.discord.waitFor(() => (held.hits > 0 ? true : undefined), { what: 'the first part uploaded and held' });
    return { handle, release };
  };

  it('a failed delivery does not rewind the since-last cursor past an export delivered meanwhile', async () => {
    const early: number[] = [];
    for (let i = 0; i < 20; i += 1) early.push(write(`reflection number ${i} with some words in it`).id);

    // Moderator B's large export is mid-upload (planned, not finished).
    const b = await startHeldSplitExport();
    // Moderator A's since-last export runs and is delivered: it holds every reflection.
    const a = await singleJson({ 'since-last': true });
    expect(a.reflections.map((r) => r.id)).toEqual(early);
    // B's last message (summary + manifest) is refused by Discord.
    h.discord.faults.add({ method: 'POST', path: new RegExp(b.handle.token), status: 400, body: { code: 50035, message: 'Invalid Form Body' }, times: 1 });
    b.release();
    await h.waitForLog((line) => line.msg === 'export could not be delivered');

    clock.advance(60_000);
    const next = await singleJson({ 'since-last': true });
    // Expected: nothing new since A's delivered export. Observed: everything again (the cursor was dropped).
    expect(next.since).not.toBeNull();
    expect(next.reflections.map((r) => r.id)).toEqual([]);
  }, 60_000);

  it('an export planned earlier but delivered later does not move the cursor back (no reflection exported twice)', async () => {
    for (let i = 0; i < 20; i += 1) write(`reflection number ${i} with some words in it`);
    const b = await startHeldSplitExport(); // planned at T0
    clock.advance(60_000);
    const mid = write('written after B started');
    clock.advance(60_000);
    const a = await singleJson({ 'since-last': true }); // planned at T0+2min, delivered
    expect(a.reflections.map((r) => r.id)).toContain(mid.id);
    b.release();
    await h.waitForLog((line) => line.msg === 'reflections exported' && (h.logs().filter((l) => l.msg === 'reflections exported').length === 2));

    clock.advance(60_000);
    const next = await singleJson({ 'since-last': true });
    // `mid` was delivered by A's since-last export and has not changed since.
    expect(next.reflections.map((r) => r.id)).not.toContain(mid.id);
  }, 60_000);
});
