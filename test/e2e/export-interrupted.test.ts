import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { logLine } from '../../commands/export.js';
import { fixedClock } from '../../src/clock.js';
import { startHarness, type Harness } from './harness.js';

/**
 * /export reflections interrupted while its parts go out: by the member it is scoped to asking to be
 * forgotten. One export is kept in flight by holding Discord's answer to its first part.
 */

const ORIGINAL = /^\/webhooks\/\d+\/[^/]+\/messages\/@original$/;

describe('/export reflections interrupted mid-export', () => {
  let h: Harness;
  const clock = fixedClock('2026-03-02T10:00:00.000Z');
  let n = 0;

  beforeEach(async () => {
    h = await startHarness({ clock, env: { REFLECTIONS_KEY: randomBytes(32).toString('hex') } });
  });
  afterEach(async () => {
    await h?.stop();
  });

  const writeFor = (authorId: string, text: string) =>
    h.ctx.reflections.create({ guildId: h.discord.ids.guild, authorId, authorName: 'Sam', text, visibility: 'shared', idempotencyKey: `i-${++n}`, source: 'modal', week: 1, chapterId: null }).reflection;

  /** Starts a JSON export in several parts (a small upload limit) whose first part Discord takes but does not answer until `release`. */
  const startHeldExport = async (options: Record<string, string | boolean>) => {
    let release!: () => void;
    const hold = new Promise<void>((resolve) => (release = resolve));
    const held = h.discord.faults.add({ method: 'PATCH', path: ORIGINAL, hold, times: 1 });
    h.discord.attachmentSizeLimit = 2500;
    const handle = await h.discord.interact.chatInput({ name: 'export', subcommand: 'reflections', options: { format: 'json', ...options }, as: 'moderator' });
    await h.discord.waitFor(() => (held.hits > 0 ? true : undefined), { what: 'the first part uploaded and held' });
    h.discord.attachmentSizeLimit = 10 * 1024 * 1024;
    return { handle, release };
  };

  it('a member who asks to be forgotten while an export scoped to them runs is not named in its log entry', async () => {
    const memberId = h.discord.ids.member;
    for (let i = 0; i < 20; i += 1) writeFor(memberId, `a reflection of the member, number ${i}, with a few words `.repeat(3));
    const exporting = await startHeldExport({ member: memberId });

    const ask = await h.discord.interact.chatInput({ name: 'reflections', subcommand: 'forget-me', as: 'member' });
    const erased = await h.discord.interact.button({ message: await ask.reply(), component: 'reflections-forget', as: 'member' });
    await erased.reply();

    exporting.release();
    await h.waitForLog((line) => line.msg === 'reflections exported', { timeoutMs: 10_000 });
    const entries = h.ctx.exports.recent(h.discord.ids.guild, 50);
    expect(entries.length).toBeGreaterThan(0);
    // The forget-me came after the export started: its log entry must not name the member either.
    expect(entries.map((e) => e.scope.memberId)).not.toContain(memberId);
    expect(entries.find((e) => e.outcome === 'allowed')).toMatchObject({ memberForgotten: true, scope: { memberId: null } });
  }, 30_000);

  it('a part Discord refuses mid-export: the moderator is told the parts they have are incomplete and nothing counted as exported', async () => {
    for (let i = 0; i < 20; i += 1) writeFor('300000000000000001', `a shared reflection, number ${i}, with a few words `.repeat(3));
    h.discord.attachmentSizeLimit = 2500;
    const handle = await h.discord.interact.chatInput({ name: 'export', subcommand: 'reflections', options: { format: 'json' }, as: 'moderator' });
    // The first part (the deferred reply's edit) goes out; Discord refuses the second (the first follow-up).
    h.discord.faults.add({ method: 'POST', path: new RegExp(handle.token), status: 400, body: { code: 50035, message: 'Invalid Form Body' }, times: 1 });
    const [told] = await handle.waitForFollowUps(1);
    h.discord.attachmentSizeLimit = 10 * 1024 * 1024;
    expect(handle.original()?.attachments.map((a) => a.filename)).toEqual(['reflections-all-2026-03-02.json.part01']);
    expect(told!.attachments).toEqual([]);
    expect(told!.content).toContain('stopped after part 1');
    expect(told!.content).toContain('incomplete');
    expect(told!.content).toContain('run the export again');
    expect(told!.content).not.toContain('on our side');
    expect(h.ctx.exports.recent(h.discord.ids.guild, 1)[0]).toMatchObject({ outcome: 'failed', reason: 'Invalid Form Body' });
  });

  it('an export stopped mid-way logs how many parts the moderator has, not how many messages carried them', async () => {
    for (let i = 0; i < 20; i += 1) writeFor('300000000000000001', `a shared reflection, number ${i}, with a few words `.repeat(3));
    // Parts a third of the upload limit, so one message carries several of them (a message holds up to 10 files
    // and one upload limit's worth of bytes).
    const stream = h.ctx.exports.stream.bind(h.ctx.exports);
    h.ctx.exports.stream = (plan, limit, onPart) => stream(plan, Math.floor(limit / 3), onPart);
    h.discord.attachmentSizeLimit = 2500;
    const handle = await h.discord.interact.chatInput({ name: 'export', subcommand: 'reflections', options: { format: 'json' }, as: 'moderator' });
    h.discord.faults.add({ method: 'POST', path: new RegExp(handle.token), status: 400, body: { code: 50035, message: 'Invalid Form Body' }, times: 1 });
    const [told] = await handle.waitForFollowUps(1);
    h.discord.attachmentSizeLimit = 10 * 1024 * 1024;
    const had = handle.original()?.attachments.map((a) => a.filename) ?? [];
    expect(had.length).toBeGreaterThan(1);
    expect(told!.content).toContain(`stopped after part ${had.length}`);
    const entry = h.ctx.exports.recent(h.discord.ids.guild, 1)[0]!;
    expect(entry).toMatchObject({ outcome: 'failed', reason: 'Invalid Form Body', count: null, parts: had.length });
    // /export log says how many parts went out before it stopped, not a file of 0 rows and 0 bytes.
    const line = logLine(entry);
    expect(line).toContain(`${had.length} parts went out before it stopped`);
    expect(line).not.toContain('0 rows');
  });

  /** Makes Discord refuse the export's last message (the summary, with the file or the manifest): the next `method` to a webhook once the export is logged as allowed. */
  const refuseLastMessage = (method: 'PATCH' | 'POST', { after = 0 } = {}) => {
    const recordAllowed = h.ctx.exports.recordAllowed.bind(h.ctx.exports);
    h.ctx.exports.recordAllowed = (plan, result, parts) => {
      // A fault without a status lets its request through: the first `after` messages go out.
      if (after > 0) h.discord.faults.add({ method, path: /^\/webhooks\//, times: after });
      h.discord.faults.add({ method, path: /^\/webhooks\//, status: 400, body: { code: 50035, message: 'Invalid Form Body' }, times: 1 });
      return recordAllowed(plan, result, parts);
    };
  };
  /** What since-last would start from now. */
  const sinceLastFrom = () =>
    h.ctx.exports.plan({ guildId: h.discord.ids.guild, guildName: null, actor: { kind: 'member', id: h.discord.ids.moderator, label: null }, format: 'json', scope: h.ctx.exports.parseScope({ sinceLast: true }), pseudonymise: false }).since;
  const exportEverything = async () => {
    const handle = await h.discord.interact.chatInput({ name: 'export', subcommand: 'reflections', options: { format: 'json' }, as: 'moderator' });
    await handle.settled({ quietMs: 200 });
    return handle;
  };

  it('an export whose since-last cursor cannot move still reaches the moderator, logged as exported, and they are told', async () => {
    writeFor('300000000000000001', 'a shared reflection');
    h.ctx.db.exec("CREATE TRIGGER no_cursor BEFORE INSERT ON export_cursor BEGIN SELECT RAISE(ABORT, 'cursor is broken'); END");
    const handle = await exportEverything();
    expect(handle.original()?.attachments.map((a) => a.filename)).toEqual(['reflections-all-2026-03-02.json']);
    expect(handle.original()?.content).toContain('could not move `since-last`');
    expect(h.ctx.exports.recent(h.discord.ids.guild, 1)[0]).toMatchObject({ outcome: 'allowed', count: 1 });
    expect(sinceLastFrom()).toBeNull();
  });

  it('a file whose one message Discord refuses: the moderator is told nothing arrived, nothing counted as exported, and to run it again', async () => {
    writeFor('300000000000000001', 'a shared reflection');
    await exportEverything();
    const before = sinceLastFrom();
    expect(before).not.toBeNull();
    clock.advance(60_000);
    writeFor('300000000000000001', 'another shared reflection');
    refuseLastMessage('PATCH');
    const handle = await exportEverything();
    const told = handle.original()!;
    expect(handle.messages().flatMap((m) => m.attachments)).toEqual([]);
    expect(told.content).toContain('did not take');
    expect(told.content).toContain('nothing from this export reached you');
    expect(told.content).toContain('run the export again');
    expect(told.content).toContain('Nothing was counted as exported');
    expect(told.content).not.toContain('on our side');
    // True to the log and the cursor: not delivered, and since-last starts where it did before.
    expect(h.ctx.exports.recent(h.discord.ids.guild, 1)[0]).toMatchObject({ outcome: 'failed', reason: 'Invalid Form Body' });
    expect(sinceLastFrom()).toBe(before);
  });

  it('a split export whose last message Discord refuses: the moderator is told which parts they have, that no manifest follows, and to run it again', async () => {
    for (let i = 0; i < 20; i += 1) writeFor('300000000000000001', `a shared reflection, number ${i}, with a few words `.repeat(3));
    refuseLastMessage('POST');
    h.discord.attachmentSizeLimit = 2500;
    const handle = await exportEverything();
    h.discord.attachmentSizeLimit = 10 * 1024 * 1024;
    const had = handle.messages().flatMap((m) => m.attachments.map((a) => a.filename));
    expect(had.length).toBeGreaterThan(0);
    expect(had.every((name) => /\.part\d+$/.test(name))).toBe(true);
    const told = handle.messages().at(-1)!;
    expect(told.attachments).toEqual([]);
    expect(told.content).toContain(`stopped after part ${had.length}`);
    expect(told.content).toContain('no manifest will follow');
    expect(told.content).toContain('run the export again');
    expect(told.content).toContain('Nothing was counted as exported');
    expect(told.content).not.toContain('on our side');
    expect(h.ctx.exports.recent(h.discord.ids.guild, 1)[0]).toMatchObject({ outcome: 'failed', reason: 'Invalid Form Body' });
    expect(sinceLastFrom()).toBeNull();
  });

  it('a split export whose every part went out but whose manifest Discord refuses: the moderator is told they have all the parts, unchecked and not counted', async () => {
    // At this size the third and last part goes out in a message of its own, then the summary with the manifest.
    for (let i = 0; i < 20; i += 1) writeFor('300000000000000001', `a shared reflection, number ${i}, with a few words `.repeat(3));
    refuseLastMessage('POST', { after: 1 });
    h.discord.attachmentSizeLimit = 2500;
    const handle = await exportEverything();
    h.discord.attachmentSizeLimit = 10 * 1024 * 1024;
    const had = handle.messages().flatMap((m) => m.attachments.map((a) => a.filename));
    const entry = h.ctx.exports.recent(h.discord.ids.guild, 1)[0]!;
    expect(entry).toMatchObject({ outcome: 'failed', reason: 'Invalid Form Body' });
    expect(had).toHaveLength(entry.parts!);
    expect(had.every((name) => /\.part\d+$/.test(name))).toBe(true);
    const told = handle.messages().at(-1)!;
    expect(told.content).toContain(`You have all ${had.length} parts`);
    expect(told.content).toContain('no manifest');
    expect(told.content).not.toContain('incomplete');
    expect(told.content).toContain('run the export again');
    expect(told.content).toContain('Nothing was counted as exported');
    expect(sinceLastFrom()).toBeNull();
  });
});
