import { describe, expect, it } from 'vitest';
import { exportLog } from '../../src/db/migrations/0004-export-log.js';
import type { ExportPlan, ExportRequest } from '../../src/export/service.js';
import { EVERYTHING, type ExportFormat, type ExportScope } from '../../src/export/types.js';
import { ALICE, BOB, GUILD, OTHER_GUILD } from './reflections-helpers.js';
import { exportMigrations, makeExportService, openExportDb } from './export-helpers.js';

const MODERATOR = '200000000000000009';

function request(format: ExportFormat = 'json', scope: Partial<ExportScope> = {}, pseudonymise = false): ExportRequest {
  return { guildId: GUILD, guildName: 'Circle', actor: { kind: 'member', id: MODERATOR, label: null }, format, scope: { ...EVERYTHING, ...scope }, pseudonymise };
}

type Env = ReturnType<typeof makeExportService>;

/** Runs one export as the slash command does: plan, produce, log. Returns the parsed JSON file. */
async function exportJson(env: Env, scope: Partial<ExportScope> = {}, pseudonymise = false) {
  const plan = env.exports.plan(request('json', scope, pseudonymise));
  const produced = await env.exports.produce(plan, 10 * 1024 * 1024);
  const { logId } = env.exports.recordAllowed(plan, produced, produced.split.files.length);
  const doc = JSON.parse(produced.split.files[0]!.data.toString('utf8'));
  return { plan, produced, logId, doc, ids: (doc.reflections as { id: number | null; text: string }[]).map((r) => r.id ?? rowIdOf(env, r.text)) };
}

/** The stored id of the reflection with this text: the file gives anonymous rows no number (a test looks it up). */
function rowIdOf(env: Env, text: string): number {
  for (let id = 1; id < 10_000; id++) if (env.service.forModeration(GUILD, id)?.text === text) return id;
  throw new Error(`no reflection with the text ${text}`);
}

describe('0004 export log migration', () => {
  it('creates the log and the cursor tables as STRICT tables at version 4', () => {
    const db = openExportDb();
    expect(exportLog.version).toBe(4);
    expect(exportMigrations().map((m) => m.version)).toEqual([1, 2, 3, 4, ...exportMigrations().slice(4).map((m) => m.version)]);
    expect(db.pragma('user_version', { simple: true })).toBe(exportMigrations().length);
    const tables = db.prepare("SELECT name, sql FROM sqlite_schema WHERE type = 'table' AND name LIKE 'export_%'").all() as { name: string; sql: string }[];
    expect(tables.map((t) => t.name).sort()).toEqual(['export_cursor', 'export_log']);
    for (const t of tables) expect(t.sql).toMatch(/STRICT/);
  });
});

describe('export privacy on the real reflections store', () => {
  it('exports shared ones with their author, anonymous ones without, and never private, hidden or deleted ones', async () => {
    const env = makeExportService();
    const shared = env.write(ALICE, 'shared by Alice', { visibility: 'shared', week: 1 });
    const anon = env.write(BOB, 'anonymous by Bob', { visibility: 'anonymous', week: 1 });
    env.write(ALICE, 'private by Alice', { visibility: 'private' });
    const hidden = env.write(BOB, 'hidden by Bob', { visibility: 'shared' });
    env.service.hide(GUILD, hidden.id);
    const deleted = env.write(ALICE, 'deleted by Alice', { visibility: 'shared' });
    env.service.remove(GUILD, ALICE, deleted.id);
    env.service.create({ guildId: OTHER_GUILD, authorId: ALICE, authorName: 'Alice', text: 'elsewhere', visibility: 'shared', idempotencyKey: 'other', source: 'modal' });

    const { doc, ids } = await exportJson(env);
    expect(ids).toEqual([shared.id, anon.id]);
    expect(doc.reflections[0]).toMatchObject({ authorId: ALICE, authorName: 'Alice', text: 'shared by Alice', visibility: 'shared' });
    expect(doc.reflections[1]).toMatchObject({ id: null, authorId: null, authorName: null, text: 'anonymous by Bob', visibility: 'anonymous' });
    const raw = JSON.stringify(doc);
    expect(raw).not.toContain(BOB);
    expect(raw).not.toContain('"authorName":"Bob"');
  });

  it('a member filter gives that member’s shared reflections only, never their anonymous ones', async () => {
    const env = makeExportService();
    const mine = env.write(BOB, 'Bob shared', { visibility: 'shared' });
    env.write(BOB, 'Bob anonymous', { visibility: 'anonymous' });
    env.write(ALICE, 'Alice shared', { visibility: 'shared' });
    const { ids } = await exportJson(env, { memberId: BOB });
    expect(ids).toEqual([mine.id]);
  });

  it('a member who has been forgotten is gone from the file', async () => {
    const env = makeExportService();
    env.write(ALICE, 'Alice shared', { visibility: 'shared' });
    const keep = env.write(BOB, 'Bob shared', { visibility: 'shared' });
    env.service.eraser.forgetMember(GUILD, ALICE);
    expect((await exportJson(env)).ids).toEqual([keep.id]);
  });
});

describe('date scope', () => {
  it('from and to are inclusive UTC days', async () => {
    const env = makeExportService();
    const first = env.write(ALICE, 'on the 2nd', { visibility: 'shared' });
    env.clock.set('2026-03-04T23:59:59.999Z');
    const second = env.write(ALICE, 'on the 4th', { visibility: 'anonymous' });
    expect((await exportJson(env, { from: '2026-03-03' })).ids).toEqual([second.id]);
    expect((await exportJson(env, { to: '2026-03-03' })).ids).toEqual([first.id]);
    expect((await exportJson(env, { from: '2026-03-02', to: '2026-03-02' })).ids).toEqual([first.id]);
    expect((await exportJson(env, { from: '2026-03-02', to: '2026-03-04' })).ids).toEqual([first.id, second.id]);
  });
});

describe('pseudonyms', () => {
  it('number authors by their first reflection (id order), the same in every format, even where a grouped file shows a later one first', async () => {
    const env = makeExportService();
    env.write(BOB, 'Bob in week two', { visibility: 'shared', week: 2 });
    env.write(ALICE, 'Alice in week one', { visibility: 'shared', week: 1 });
    const { doc } = await exportJson(env, {}, true);
    expect(doc.reflections.map((r: { authorName: string; text: string }) => [r.authorName, r.text])).toEqual([
      ['Member 1', 'Bob in week two'],
      ['Member 2', 'Alice in week one'],
    ]);
    const plan = env.exports.plan(request('markdown', {}, true));
    const markdown = (await env.exports.produce(plan, 1 << 20)).split.files[0]!.data.toString('utf8');
    // Week 1 comes first in the file, and with it Member 2 (src/export/README.md says so).
    expect(markdown.indexOf('**Member 2**')).toBeLessThan(markdown.indexOf('**Member 1**'));
    expect(markdown).toMatch(/\*\*Member 2\*\*[^\n]*\n\nAlice in week one/);
  });
});

describe('since-last', () => {
  it('returns exactly the reflections that became exportable since the server’s previous export', async () => {
    const env = makeExportService();
    const first = env.write(ALICE, 'one', { visibility: 'shared' });
    const madeShared = env.write(BOB, 'private at first', { visibility: 'private' });
    const initial = await exportJson(env, { sinceLast: true });
    expect(initial.ids).toEqual([first.id]);
    expect(initial.plan.since).toBeNull();

    env.clock.advance(60_000);
    const added = env.write(ALICE, 'two', { visibility: 'anonymous' });
    env.service.setVisibility(GUILD, BOB, madeShared.id, 'shared');
    env.write(BOB, 'still private', { visibility: 'private' });

    env.clock.advance(60_000);
    const next = await exportJson(env, { sinceLast: true });
    expect(next.plan.since).toBe(initial.plan.snapshot);
    expect(next.ids.sort((a, b) => a - b)).toEqual([madeShared.id, added.id].sort((a, b) => a - b));

    env.clock.advance(60_000);
    expect((await exportJson(env, { sinceLast: true })).ids).toEqual([]);
  });

  it('leaves a reflection written after the export started for the next one', async () => {
    const env = makeExportService({ chunkSize: 2 });
    for (let i = 0; i < 6; i += 1) env.write(ALICE, `r${i}`, { visibility: 'shared' });
    const plan = env.exports.plan(request('json', { sinceLast: true }));
    env.clock.advance(1000);
    const late = env.write(BOB, 'late', { visibility: 'shared' });
    const produced = await env.exports.produce(plan, 1 << 20);
    env.exports.recordAllowed(plan, produced, 1);
    expect(JSON.parse(produced.split.files[0]!.data.toString()).reflections.map((r: { id: number }) => r.id)).not.toContain(late.id);
    env.clock.advance(1000);
    expect((await exportJson(env, { sinceLast: true })).ids).toEqual([late.id]);
  });

  it('counts at the top of a Markdown file exactly the reflections it lists, at the edges of its instant and of since-last', async () => {
    const env = makeExportService({ chunkSize: 2 });
    for (let i = 0; i < 5; i += 1) env.write(ALICE, `r${i}`, { visibility: 'shared', week: 1 + (i % 2) });
    const plan = env.exports.plan(request('markdown', { sinceLast: true }));
    // Written after the plan but at its very instant: in this export (at or before it), not the next (after it).
    const atInstant = env.write(BOB, 'at the instant', { visibility: 'anonymous', week: 2 });
    env.clock.advance(1);
    const late = env.write(BOB, 'a millisecond later', { visibility: 'shared', week: 1 });
    const produced = await env.exports.produce(plan, 1 << 20);
    env.exports.recordAllowed(plan, produced, 1);
    const first = produced.split.files[0]!.data.toString('utf8');
    expect(produced.count).toBe(6);
    expect(first).toContain(': 6 reflections;');
    expect(first).toContain('at the instant');
    expect(first).not.toContain('a millisecond later');

    env.clock.advance(1000);
    const next = await exportJson(env, { sinceLast: true });
    expect(next.ids).toEqual([late.id]);
    expect(next.ids).not.toContain(atInstant.id);
  });

  it('a failed delivery puts the cursor back, so nothing is skipped', async () => {
    const env = makeExportService();
    const r = env.write(ALICE, 'one', { visibility: 'shared' });
    const plan: ExportPlan = env.exports.plan(request('csv', { sinceLast: true }));
    const produced = await env.exports.produce(plan, 1 << 20);
    const { logId } = env.exports.recordAllowed(plan, produced, 1);
    env.exports.recordFailed(plan, logId, 'upload failed');
    expect(env.logRepo.get(logId)?.outcome).toBe('failed');
    expect(env.logRepo.cursor(GUILD)).toBeNull();
    env.clock.advance(1000);
    expect((await exportJson(env, { sinceLast: true })).ids).toEqual([r.id]);
  });
});

describe('a delivered export whose cursor cannot move', () => {
  it('stays logged as delivered; the cursor failure is logged and reported, and since-last repeats rather than skips', async () => {
    const env = makeExportService();
    const r = env.write(ALICE, 'one', { visibility: 'shared' });
    env.db.exec("CREATE TRIGGER no_cursor BEFORE INSERT ON export_cursor BEGIN SELECT RAISE(ABORT, 'cursor is broken'); END");
    const plan = env.exports.begin(env.exports.plan(request('json', { sinceLast: true })));
    const produced = await env.exports.produce(plan, 1 << 20);
    const recorded = env.exports.recordAllowed(plan, produced, 1);
    expect(recorded).toEqual({ logId: plan.logId, cursorError: 'cursor is broken' });
    expect(env.logRepo.get(plan.logId!)).toMatchObject({ outcome: 'allowed', reason: null, count: 1, sha256: produced.sha256 });
    expect(env.logRepo.cursor(GUILD)).toBeNull();
    expect(env.exportLogs.text()).toContain('cursor is broken');
    env.db.exec('DROP TRIGGER no_cursor');
    env.clock.advance(1000);
    expect((await exportJson(env, { sinceLast: true })).ids).toEqual([r.id]);
  });
});

describe('the export log', () => {
  it('records allowed and refused exports with who, when, scope, format, count and file hash', async () => {
    const env = makeExportService();
    env.write(ALICE, 'one', { visibility: 'shared' });
    const { produced, logId } = await exportJson(env, { week: 2, memberId: ALICE });
    env.clock.advance(1000);
    env.exports.recordRefused({ ...request('csv', { chapterId: 'ch-1' }), actor: { kind: 'member', id: BOB, label: null } }, 'no permission');
    const [refused, allowed] = env.exports.recent(GUILD);
    expect(allowed).toMatchObject({
      id: logId,
      outcome: 'allowed',
      actor: { kind: 'member', id: MODERATOR },
      at: '2026-03-02T10:00:00.000Z',
      format: 'json',
      scope: { ...EVERYTHING, week: 2, memberId: ALICE },
      count: produced.count,
      sha256: produced.sha256,
      bytes: produced.bytes,
    });
    expect(refused).toMatchObject({ outcome: 'refused', reason: 'no permission', actor: { id: BOB }, format: 'csv', scope: { chapterId: 'ch-1' }, count: null });
  });

  it('forget-me removes the member’s id from the scopes logged; the server purge removes the log', async () => {
    const env = makeExportService();
    await exportJson(env, { memberId: ALICE });
    await exportJson(env, { memberId: BOB });
    expect(env.exports.eraser.forgetMember(GUILD, ALICE)).toBe(1);
    const entries = env.exports.recent(GUILD);
    expect(entries.map((e) => e.scope.memberId)).toEqual([BOB, null]);
    expect(entries[1]!.memberForgotten).toBe(true);
    const bytes = env.db.prepare('SELECT * FROM export_log').all();
    expect(JSON.stringify(bytes)).not.toContain(ALICE);

    expect(env.exports.eraser.purgeGuild(GUILD)).toBe(2);
    expect(env.exports.recent(GUILD)).toEqual([]);
    expect(env.logRepo.cursor(GUILD)).toBeNull();
  });
});

describe('large exports and concurrent writes', () => {
  it('keeps the database writable while a large export runs, and the new reflection is stored', async () => {
    const env = makeExportService({ chunkSize: 250 });
    const insert = env.db.transaction(() => {
      for (let i = 0; i < 5000; i += 1) env.write(i % 2 ? ALICE : BOB, `reflection ${i}`, { visibility: i % 3 ? 'shared' : 'anonymous' });
    });
    insert();
    env.clock.advance(1000);
    const plan = env.exports.plan(request('csv'));
    let written: number | null = null;
    let chunksBefore = 0;
    const chunks: Buffer[] = [];
    const running = env.exports.generate(plan, (chunk) => {
      chunks.push(chunk);
      // After the first chunk, let another member's command write while the export is still going.
      if (chunks.length === 2) {
        chunksBefore = chunks.length;
        setImmediate(() => {
          env.clock.advance(1000);
          written = env.write(ALICE, 'written during the export', { visibility: 'shared' }).id;
        });
      }
    });
    const result = await running;
    expect(written).not.toBeNull();
    expect(chunks.length).toBeGreaterThan(chunksBefore);
    expect(result.count).toBe(5000);
    expect(env.service.get(GUILD, ALICE, written!).text).toBe('written during the export');
  });
});
