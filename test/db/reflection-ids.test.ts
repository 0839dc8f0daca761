import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/clock.js';
import { openDatabase, type Db } from '../../src/db/connection.js';
import { migrate } from '../../src/db/migrate.js';
import { migrations } from '../../src/db/migrations/index.js';
import { ReflectionCipher } from '../../src/reflections/crypto.js';
import { ID_BOUNDS_SQL, prepareExportReads } from '../../src/reflections/repo.js';
import { createReflectionService } from '../../src/reflections/service.js';
import { noWeeks } from '../../src/weeks.js';
import { capturedLogger } from '../helpers/logs.js';
import { join, useTempDir } from '../helpers/tmp.js';
import { ALICE, BOB, GUILD, makeService, openReflectionsDb } from './reflections-helpers.js';

const tempDir = useTempDir();
const serviceOn = (db: Db, key: Buffer) =>
  createReflectionService({ db, cipher: new ReflectionCipher(key), clock: fixedClock('2026-03-02T10:00:00.000Z'), weeks: noWeeks, log: capturedLogger('info').log });
const create = (service: ReturnType<typeof serviceOn>, authorId: string, idempotencyKey: string) =>
  service.create({ guildId: GUILD, authorId, authorName: 'Reader', text: `written as ${idempotencyKey}`, visibility: 'shared', idempotencyKey, source: 'modal' }).reflection;

/** Reflection ids are never given twice: members' buttons, exports and moderators' notes name them. */
describe('reflection ids', () => {
  it('stay above a deleted newest reflection, after forget-me and after a restart', () => {
    const path = join(tempDir(), 'ids.sqlite');
    const key = randomBytes(32);
    const db = openReflectionsDb(path);
    const service = serviceOn(db, key);
    create(service, ALICE, 'a1');
    const bobs = create(service, BOB, 'b1');
    const alices = create(service, ALICE, 'a2');
    service.remove(GUILD, ALICE, alices.id);
    expect(create(service, BOB, 'b2').id).toBe(alices.id + 1);
    // Forget-me deletes every row of the member in one statement; the trigger sees each of them.
    expect(service.eraser.forgetMember(GUILD, BOB)).toBe(2);
    expect(db.prepare('SELECT highest_deleted FROM reflection_ids').pluck().get()).toBe(alices.id + 1);
    db.close();

    const reopened = openReflectionsDb(path);
    const again = serviceOn(reopened, key);
    const next = create(again, ALICE, 'a3');
    expect(next.id).toBe(alices.id + 2);
    expect(next.id).toBeGreaterThan(bobs.id);
    reopened.close();
  });

  it('cost no sequence write on insert: the table has no AUTOINCREMENT and sqlite_sequence no row for it', () => {
    const { db, write } = makeService();
    write(ALICE, 'first');
    expect(db.prepare("SELECT count(*) FROM sqlite_sequence WHERE name = 'reflections'").pluck().get()).toBe(0);
    expect(db.prepare("SELECT sql FROM sqlite_master WHERE name = 'reflections'").pluck().get()).not.toMatch(/AUTOINCREMENT/i);
  });
});

describe("an export's id bounds", () => {
  it('are the lowest and highest id stored (0, 0 for none), read from both ends of the table, not by a scan', () => {
    const { db, service, write } = makeService();
    const reads = prepareExportReads(db);
    expect(reads.idBounds()).toEqual({ min: 0, max: 0 });
    const ids = [write(ALICE, 'one'), write(BOB, 'two'), write(ALICE, 'three'), write(BOB, 'four')].map((r) => r.id);
    service.remove(GUILD, ALICE, ids[0]!);
    service.remove(GUILD, BOB, ids[3]!);
    expect(reads.idBounds()).toEqual({ min: ids[1], max: ids[2] });
    const plan = (db.prepare(`EXPLAIN QUERY PLAN ${ID_BOUNDS_SQL}`).all() as { detail: string }[]).map((step) => step.detail);
    // `SELECT MIN(id), MAX(id) FROM reflections` plans "SCAN reflections USING COVERING INDEX …".
    expect(plan.filter((detail) => /^SCAN reflections\b/.test(detail))).toEqual([]);
    expect(plan.filter((detail) => /^SEARCH reflections\b/.test(detail))).toHaveLength(2);
  });
});

describe('migration 0008 (reflections without AUTOINCREMENT)', () => {
  /** A database as release 0007 left it: rows with sealed texts, a post, a report, and its newest row deleted. */
  function version7(key: Buffer): Db {
    const db = openDatabase(join(tempDir(), 'v7.sqlite'));
    migrate(db, migrations.slice(0, 7));
    const cipher = new ReflectionCipher(key);
    const insert = db.prepare(`INSERT INTO reflections (guild_id, author_id, visibility, key_id, body_iv, body, name_iv, name, source, idempotency_key, created_at, updated_at, exportable_at)
      VALUES (@guildId, @authorId, 'shared', @keyId, @bodyIv, @body, @nameIv, @name, 'modal', @key, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')`);
    for (const [rowId, authorId] of [[1, ALICE], [2, BOB], [3, ALICE], [4, ALICE]] as const) {
      const body = cipher.seal(`text ${rowId}`, { purpose: 'body', guildId: GUILD, authorId, rowId });
      const name = cipher.seal(`name ${rowId}`, { purpose: 'name', guildId: GUILD, authorId, rowId });
      insert.run({ guildId: GUILD, authorId, keyId: body.keyId, bodyIv: body.iv, body: body.data, nameIv: name.iv, name: name.data, key: `old-${rowId}` });
    }
    db.prepare("INSERT INTO reflection_posts VALUES (1, ?, '300000000000000001', '400000000000000001', '2026-01-01T00:00:00.000Z')").run(GUILD);
    db.prepare("INSERT INTO reflection_reports (reflection_id, guild_id, reporter_id, created_at) VALUES (3, ?, ?, '2026-01-02T00:00:00.000Z')").run(GUILD, BOB);
    db.prepare('DELETE FROM reflections WHERE id = 4').run();
    return db;
  }

  it('keeps every row, post and report as it was, and the next id stays above the deleted newest one', () => {
    const key = randomBytes(32);
    const db = version7(key);
    const rowsBefore = db.prepare('SELECT * FROM reflections ORDER BY id').all();
    const postsBefore = db.prepare('SELECT * FROM reflection_posts').all();
    const reportsBefore = db.prepare('SELECT * FROM reflection_reports').all();
    expect(migrate(db, migrations.slice(0, 8)).applied).toEqual(['0008-ids-without-autoincrement']);

    expect(db.prepare('SELECT * FROM reflections ORDER BY id').all()).toEqual(rowsBefore);
    expect(db.prepare('SELECT * FROM reflection_posts').all()).toEqual(postsBefore);
    // 0009 then gives the post a shown_as it cannot know (null: treated as showing the name).
    expect(migrate(db, migrations).applied).toEqual(['0009-post-shown-as', '0010-bot-guilds']);
    expect(db.prepare('SELECT * FROM reflection_posts').all()).toEqual(postsBefore.map((p) => ({ ...(p as object), shown_as: null })));
    expect(db.prepare('SELECT * FROM reflection_reports').all()).toEqual(reportsBefore);
    expect(postsBefore).toHaveLength(1);
    expect(reportsBefore).toHaveLength(1);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'reflections' ORDER BY name").pluck().all())
      .toEqual(['reflections_by_author', 'sqlite_autoindex_reflections_1']);

    const service = serviceOn(db, key);
    expect(service.get(GUILD, ALICE, 3)).toMatchObject({ text: 'text 3', authorName: 'name 3' });
    expect(create(service, BOB, 'new-1').id).toBe(5);
    // Foreign keys are back on after the migration: a deleted reflection still takes its post with it.
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    service.remove(GUILD, ALICE, 1);
    expect(db.prepare('SELECT count(*) FROM reflection_posts').pluck().get()).toBe(0);
    expect(db.pragma('foreign_key_check')).toEqual([]);
    db.close();
  });

  it('keeps the UNIQUE idempotency key: a retried interaction is still answered with its stored row', () => {
    const key = randomBytes(32);
    const db = version7(key);
    migrate(db, migrations);
    const service = serviceOn(db, key);
    const first = service.create({ guildId: GUILD, authorId: ALICE, authorName: 'Alice', text: 'once', visibility: 'private', idempotencyKey: 'retry-me', source: 'modal' });
    const retried = service.create({ guildId: GUILD, authorId: ALICE, authorName: 'Alice', text: 'twice', visibility: 'private', idempotencyKey: 'retry-me', source: 'modal' });
    expect(retried).toEqual({ reflection: first.reflection, duplicate: true });
    expect(() => db.prepare("UPDATE reflections SET idempotency_key = 'old-1' WHERE id = 2").run()).toThrow(/UNIQUE/);
    db.close();
  });
});
