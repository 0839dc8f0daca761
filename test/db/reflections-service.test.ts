import { readFileSync, existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { UserFacingError } from '../../src/errors.js';
import { runRetention } from '../../src/reflections/retention.js';
import { MINE_COUNT_CAP } from '../../src/reflections/service.js';
import { useTempDir, join } from '../helpers/tmp.js';
import { ALICE, BOB, GUILD, OTHER_GUILD, makeService, openReflectionsDb, planWeek, weeksOf } from './reflections-helpers.js';

describe('reflection storage', () => {
  it('stores text and display name only as ciphertext, and reads them back byte-exact', () => {
    const { db, service, write } = makeService();
    const text = '**Bold** <@200000000000000002> @everyone\nשלום עולם — مرحبا 👩🏽‍⚕️ `code`';
    const r = write(ALICE, text);
    expect(service.get(GUILD, ALICE, r.id).text).toBe(text);
    expect(service.get(GUILD, ALICE, r.id).authorName).toBe('Alice');
    const raw = db.prepare('SELECT * FROM reflections WHERE id = ?').get(r.id) as Record<string, unknown>;
    const dump = JSON.stringify(raw, (_k, v: unknown) => (Buffer.isBuffer(v) ? v.toString('latin1') : v));
    expect(dump).not.toContain('Bold');
    expect(dump).not.toContain('Alice');
    expect(raw.key_id).toMatch(/^k1-/);
  });

  it('a retried submission (same interaction id) returns the first row and creates no duplicate', () => {
    const { db, service } = makeService();
    const input = { guildId: GUILD, authorId: ALICE, authorName: 'Alice', text: 'once', visibility: 'private' as const, idempotencyKey: '900000000000000001', source: 'modal' as const };
    const first = service.create(input);
    const again = service.create({ ...input, text: 'once (retried)' });
    expect(first.duplicate).toBe(false);
    expect(again.duplicate).toBe(true);
    expect(again.reflection.id).toBe(first.reflection.id);
    expect((db.prepare('SELECT COUNT(*) AS n FROM reflections').get() as { n: number }).n).toBe(1);
  });

  it.each([[''], ['   '], ['\u0000\u0001'], ['x'.repeat(4001)]])('bad text %# stores nothing', (text) => {
    const { db, write } = makeService();
    expect(() => write(ALICE, text)).toThrow(UserFacingError);
    expect((db.prepare('SELECT COUNT(*) AS n FROM reflections').get() as { n: number }).n).toBe(0);
  });

  it('a 4000-character reflection with emoji and RTL text is stored exactly', () => {
    const { service, write } = makeService();
    const text = Array.from('שלום 🌱 '.repeat(600)).slice(0, 3992).join('') + 'مرحبا 👋🏽';
    expect(Array.from(text)).toHaveLength(4000);
    const r = write(ALICE, text);
    expect(service.get(GUILD, ALICE, r.id).text).toBe(text);
  });
});

describe('ownership is enforced in SQL', () => {
  it('another member cannot read, edit, change or delete a reflection, whatever id they give', () => {
    const { service, write } = makeService();
    const mine = write(ALICE, 'Alice’s private thoughts', { visibility: 'shared' });
    const notFound = /could not find that reflection among yours/;
    expect(() => service.get(GUILD, BOB, mine.id)).toThrow(notFound);
    expect(() => service.edit(GUILD, BOB, mine.id, 'hijacked')).toThrow(notFound);
    expect(() => service.setVisibility(GUILD, BOB, mine.id, 'private')).toThrow(notFound);
    expect(() => service.remove(GUILD, BOB, mine.id)).toThrow(notFound);
    expect(() => service.get(OTHER_GUILD, ALICE, mine.id)).toThrow(notFound);
    expect(service.choices(GUILD, BOB, String(mine.id))).toEqual([]);
    expect(service.choices(GUILD, BOB, '')).toEqual([]);
    expect(service.listMine(GUILD, BOB).items).toEqual([]);
    const still = service.get(GUILD, ALICE, mine.id);
    expect(still.text).toBe('Alice’s private thoughts');
    expect(still.visibility).toBe('shared');
  });

  it('lists the member’s own reflections newest first, paged', () => {
    const { service, write } = makeService();
    const ids = [1, 2, 3, 4, 5, 6, 7].map((n) => write(ALICE, `reflection ${n}`).id);
    write(BOB, 'not Alice’s');
    const first = service.listMine(GUILD, ALICE, { limit: 5 });
    expect(first.items.map((r) => r.id)).toEqual(ids.slice(2).reverse());
    expect(first.total).toBe(7);
    const second = service.listMine(GUILD, ALICE, { limit: 5, beforeId: first.nextBeforeId! });
    expect(second.items.map((r) => r.id)).toEqual(ids.slice(0, 2).reverse());
    expect(second.nextBeforeId).toBeNull();
  });

  it('counts a member’s reflections up to 1,000 and says when there are more, however long the list', () => {
    const { db, service, write } = makeService();
    db.transaction(() => {
      for (let n = 0; n < MINE_COUNT_CAP; n++) write(ALICE, `reflection ${n}`);
    })();
    expect(service.listMine(GUILD, ALICE)).toMatchObject({ total: 1000, totalCapped: false });
    write(ALICE, 'one more');
    const page = service.listMine(GUILD, ALICE);
    expect(page).toMatchObject({ total: 1000, totalCapped: true });
    expect(page.items[0]!.text).toBe('one more');
  });

  it('autocomplete offers only the member’s own ids, matching id or text, at most 25', () => {
    const { service, write } = makeService();
    for (let n = 0; n < 30; n++) write(ALICE, `note ${n} about holding on`);
    const b = write(BOB, 'Bob on holding on');
    const all = service.choices(GUILD, ALICE, '');
    expect(all).toHaveLength(25);
    expect(all.every((c) => c.value !== String(b.id) && c.name.length <= 100)).toBe(true);
    expect(service.choices(GUILD, ALICE, 'note 3')[0]?.name).toContain('note 3');
  });
});

describe('belonging, visibility and exports', () => {
  it('belongs to the chapter given (if any) and to the week given, else the current week, else none', () => {
    const weeks = weeksOf([planWeek(1, '400000000000000001'), planWeek(2, '400000000000000002')]);
    const { service } = makeService({ weeks });
    expect(service.belonging(GUILD, 'ch-3', 1)).toEqual({ chapterId: 'ch-3', week: 1 });
    expect(service.belonging(GUILD, 'ch-3', null)).toEqual({ chapterId: 'ch-3', week: 2 });
    expect(service.belonging(OTHER_GUILD, 'ch-3', null)).toEqual({ chapterId: 'ch-3', week: null });
    expect(service.belonging(GUILD, null, 1)).toEqual({ chapterId: null, week: 1 });
    expect(service.belonging(GUILD, null, null)).toEqual({ chapterId: null, week: 2 });
    expect(service.belonging(OTHER_GUILD, null, null)).toEqual({ chapterId: null, week: null });
  });

  it('listExportable never returns private, hidden or deleted reflections, and hides anonymous authors', () => {
    const { service, write, clock } = makeService();
    const priv = write(ALICE, 'private');
    const shared = write(ALICE, 'shared one', { visibility: 'shared', week: 1 });
    const anon = write(BOB, 'anonymous one', { visibility: 'anonymous', week: 1 });
    const hidden = write(BOB, 'to be hidden', { visibility: 'shared', week: 1 });
    const deleted = write(ALICE, 'to be deleted', { visibility: 'shared', week: 2, chapterId: 'ch-2' });
    service.hide(GUILD, hidden.id);
    service.remove(GUILD, ALICE, deleted.id);
    const rows = service.listExportable(GUILD, { afterId: 0, limit: 100 });
    expect(rows.map((r) => r.id)).toEqual([shared.id, anon.id]);
    expect(rows[0]).toMatchObject({ authorId: ALICE, authorName: 'Alice', visibility: 'shared', text: 'shared one', week: 1 });
    expect(rows[1]).toMatchObject({ authorId: null, authorName: null, visibility: 'anonymous' });
    expect(JSON.stringify(rows[1])).not.toContain(BOB);
    expect(rows.some((r) => r.id === priv.id)).toBe(false);

    // keyset paging, author filter (shared only), week filter, date filter
    expect(service.listExportable(GUILD, { afterId: shared.id, limit: 100 }).map((r) => r.id)).toEqual([anon.id]);
    expect(service.listExportable(GUILD, { afterId: 0, limit: 1 }).map((r) => r.id)).toEqual([shared.id]);
    expect(service.listExportable(GUILD, { afterId: 0, limit: 100, authorId: BOB })).toEqual([]);
    expect(service.listExportable(GUILD, { afterId: 0, limit: 100, week: 2 })).toEqual([]);
    expect(service.listExportable(GUILD, { afterId: 0, limit: 100, from: '2026-03-02', to: '2026-03-02' })).toHaveLength(2);
    expect(service.listExportable(GUILD, { afterId: 0, limit: 100, to: '2026-03-01' })).toHaveLength(0);

    // exportable_at follows the last time it became shared or anonymous
    clock.set('2026-03-05T09:00:00.000Z');
    service.setVisibility(GUILD, ALICE, priv.id, 'anonymous');
    const since = service.listExportable(GUILD, { afterId: 0, limit: 100, exportableSince: '2026-03-04T00:00:00.000Z' });
    expect(since.map((r) => [r.id, r.exportableAt])).toEqual([[priv.id, '2026-03-05T09:00:00.000Z']]);
    service.setVisibility(GUILD, ALICE, priv.id, 'private');
    expect(service.listExportable(GUILD, { afterId: 0, limit: 100 }).map((r) => r.id)).toEqual([shared.id, anon.id]);
  });

  it('only shared or anonymous, unhidden reflections with a week thread are posted', () => {
    const weeks = weeksOf([planWeek(1, '400000000000000001'), planWeek(2, null)]);
    const { service, write } = makeService({ weeks });
    const a = write(ALICE, 'a', { visibility: 'shared', week: 1 });
    const b = write(ALICE, 'b', { visibility: 'anonymous', week: 2 });
    const c = write(ALICE, 'c', { visibility: 'private', week: 1 });
    expect(service.postTarget(a)).toBe('400000000000000001');
    expect(service.postTarget(b)).toBeNull();
    expect(service.shouldBePosted(c)).toBe(false);
    expect(service.shouldBePosted(service.hide(GUILD, a.id).reflection)).toBe(false);
  });

  it('reports are recorded once per member; private reflections cannot be reported', () => {
    const { service, write } = makeService();
    const a = write(ALICE, 'a', { visibility: 'anonymous' });
    expect(service.report(GUILD, a.id, BOB).firstReport).toBe(true);
    expect(service.report(GUILD, a.id, BOB).firstReport).toBe(false);
    const p = write(ALICE, 'p');
    expect(() => service.report(GUILD, p.id, BOB)).toThrow(UserFacingError);
  });
});

describe('erasure', () => {
  const tmp = useTempDir();

  it('forget-me leaves no row, id or ciphertext of the member in the database files after the checkpoint', () => {
    const path = join(tmp(), 'db.sqlite');
    const db = openReflectionsDb(path);
    const { service, write } = makeService({ db });
    const sentinel = 'SENTINEL-alice-ZETA';
    const mine = [write(ALICE, `${sentinel} one`, { visibility: 'shared' }), write(ALICE, `${sentinel} two`)];
    const bobs = write(BOB, 'Bob stays');
    service.recordPost({ reflectionId: mine[0]!.id, guildId: GUILD, channelId: '400000000000000001', messageId: '500000000000000001', postedAt: 'x', shownAs: 'name' });
    service.report(GUILD, mine[0]!.id, BOB);
    const aliceReport = write(BOB, 'Bob shared', { visibility: 'shared' });
    service.report(GUILD, aliceReport.id, ALICE);
    const ciphertexts = (db.prepare('SELECT body FROM reflections WHERE author_id = ?').all(ALICE) as { body: Buffer }[]).map((r) => r.body);

    expect(service.eraser.forgetMember(GUILD, ALICE)).toBe(3);
    service.checkpoint();

    const tables = ['reflections', 'reflection_posts', 'reflection_reports'];
    for (const table of tables) {
      const dump = JSON.stringify(db.prepare(`SELECT * FROM ${table}`).all());
      expect(dump).not.toContain(ALICE);
    }
    expect(service.get(GUILD, BOB, bobs.id).text).toBe('Bob stays');
    db.close();
    for (const file of [path, `${path}-wal`]) {
      if (!existsSync(file)) continue;
      const bytes = readFileSync(file);
      expect(bytes.includes(Buffer.from(ALICE))).toBe(false);
      for (const c of ciphertexts) expect(bytes.includes(c.subarray(0, 32))).toBe(false);
    }
  });

  it('the server purge removes only that server’s data', () => {
    const { service, write, db } = makeService();
    write(ALICE, 'here');
    service.create({ guildId: OTHER_GUILD, authorId: ALICE, authorName: 'A', text: 'elsewhere', visibility: 'private', idempotencyKey: 'o1', source: 'modal' });
    expect(service.eraser.purgeGuild(GUILD)).toBe(1);
    expect((db.prepare('SELECT guild_id FROM reflections').all() as { guild_id: string }[]).map((r) => r.guild_id)).toEqual([OTHER_GUILD]);
  });

  it('retention erases a server’s data RETENTION_DAYS after the bot left, not before, and not if it came back', () => {
    const { service, write, clock, logs } = makeService();
    write(ALICE, 'in the server the bot left');
    service.create({ guildId: OTHER_GUILD, authorId: BOB, authorName: 'B', text: 'in the server that came back', visibility: 'private', idempotencyKey: 'o2', source: 'modal' });
    service.guildLeft(GUILD, clock.now());
    service.guildLeft(OTHER_GUILD, clock.now());
    service.guildJoined(OTHER_GUILD);
    const deps = { reflections: service, erasers: [service.eraser], clock, log: logs.log, days: 30 };
    clock.advance(29 * 86_400_000);
    expect(runRetention(deps)).toEqual([]);
    expect(service.listMine(GUILD, ALICE).total).toBe(1);
    clock.advance(1 * 86_400_000);
    expect(runRetention(deps)).toEqual([GUILD]);
    expect(service.listMine(GUILD, ALICE).total).toBe(0);
    expect(service.listMine(OTHER_GUILD, BOB).total).toBe(1);
    expect(runRetention(deps)).toEqual([]);
  });

  it('knows every server it holds data for: those with reflections and those it has a presence record of, each once', () => {
    const { service, write, clock } = makeService();
    expect(service.knownGuilds()).toEqual([]);
    const third = '100000000000000003';
    write(ALICE, 'one');
    write(BOB, 'two');
    [third, OTHER_GUILD, third].forEach((guildId, i) => {
      service.create({ guildId, authorId: ALICE, authorName: 'A', text: `in ${guildId}`, visibility: 'private', idempotencyKey: `known-${i}`, source: 'modal' });
    });
    service.guildLeft('100000000000000009', clock.now());
    service.guildJoined(GUILD);
    expect([...service.knownGuilds()].sort()).toEqual([GUILD, OTHER_GUILD, third, '100000000000000009']);
  });

  it('an interaction from a server marked removed cancels its removal (the app is installed there), and retention then keeps its data', () => {
    const { service, write, clock, logs } = makeService();
    write(ALICE, 'in a server whose bot user was kicked, its commands still installed');
    service.guildLeft(GUILD, clock.now());
    clock.advance(10 * 86_400_000);
    expect(service.interactionFrom(GUILD)).toBe(true);
    expect(service.interactionFrom(GUILD)).toBe(false);
    clock.advance(30 * 86_400_000);
    expect(runRetention({ reflections: service, erasers: [service.eraser], clock, log: logs.log, days: 30 })).toEqual([]);
    expect(service.listMine(GUILD, ALICE).total).toBe(1);
    // Removed again later: a new grace period, from then.
    service.guildLeft(GUILD, clock.now());
    expect(service.dueForErasure(clock.now(), 30)).toEqual([]);
    clock.advance(30 * 86_400_000);
    expect(service.dueForErasure(clock.now(), 30)).toEqual([GUILD]);
  });

  it('an interaction from a server with no removal pending writes nothing to the database', () => {
    const { db, service, write, clock } = makeService();
    write(ALICE, 'here');
    service.guildJoined(GUILD);
    service.guildLeft(OTHER_GUILD, clock.now());
    const changes = () => db.prepare('SELECT total_changes()').pluck().get() as number;
    const before = changes();
    for (const guildId of [GUILD, '100000000000000003', GUILD]) expect(service.interactionFrom(guildId)).toBe(false);
    expect(changes()).toBe(before);
    expect(service.dueForErasure(new Date(clock.now().getTime() + 31 * 86_400_000), 30)).toEqual([OTHER_GUILD]);
  });

  it('a removal marked before a restart is cancelled by the first interaction after it; one the retention job erased is gone', () => {
    const { db, service, clock, logs } = makeService();
    service.guildLeft(GUILD, clock.now());
    service.guildLeft(OTHER_GUILD, clock.now());
    const restarted = makeService({ db }).service;
    expect(restarted.interactionFrom(GUILD)).toBe(true);
    expect(restarted.dueForErasure(new Date(clock.now().getTime() + 31 * 86_400_000), 30)).toEqual([OTHER_GUILD]);
    clock.advance(31 * 86_400_000);
    expect(runRetention({ reflections: restarted, erasers: [restarted.eraser], clock, log: logs.log, days: 30 })).toEqual([OTHER_GUILD]);
    expect(restarted.interactionFrom(OTHER_GUILD)).toBe(false);
  });

  it('a second leave event does not restart the grace period', () => {
    const { service, clock } = makeService();
    service.guildLeft(GUILD, clock.now());
    clock.advance(10 * 86_400_000);
    service.guildLeft(GUILD, clock.now());
    clock.advance(20 * 86_400_000);
    expect(service.dueForErasure(clock.now(), 30)).toEqual([GUILD]);
  });
});

describe('logging', () => {
  it('never logs a reflection or the name it was written under, at any level (an operator may turn on trace to find a fault)', () => {
    const { service, write, logs } = makeService({ logLevel: 'trace' });
    const saved = write(ALICE, 'SECRET-WORDS-123', { visibility: 'shared', authorName: 'SECRET-NAME-456' });
    service.edit(GUILD, ALICE, saved.id, 'SECRET-EDIT-789');
    service.get(GUILD, ALICE, saved.id);
    service.listMine(GUILD, ALICE);
    expect(logs.text()).toContain('reflection saved');
    expect(logs.text()).not.toMatch(/SECRET-(WORDS|NAME|EDIT)/);
  });
});
