import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/clock.js';
import { openDatabase } from '../../src/db/connection.js';
import { migrate } from '../../src/db/migrate.js';
import { migrations } from '../../src/db/migrations/index.js';
import { ReflectionCipher, ReflectionKeyError } from '../../src/reflections/crypto.js';
import { createReflectionService } from '../../src/reflections/service.js';
import { noWeeks } from '../../src/weeks.js';
import { capturedLogger } from '../helpers/logs.js';
import { ALICE, BOB, GUILD, OTHER_GUILD, makeService } from './reflections-helpers.js';

interface NameColumns {
  id: number;
  nameIv: Buffer;
  name: Buffer;
  nameScope: string;
}

const namesOf = (db: ReturnType<typeof makeService>['db']) =>
  db.prepare('SELECT id, name_iv AS nameIv, name, name_scope AS nameScope FROM reflections ORDER BY id').all() as NameColumns[];
const same = (a: NameColumns, b: NameColumns) => a.nameIv.equals(b.nameIv) && a.name.equals(b.name);

/** A cipher that counts how many values it opened. */
function countingCipher(key: Buffer) {
  const cipher = new ReflectionCipher(key);
  let opened = 0;
  const open = cipher.open.bind(cipher);
  cipher.open = (sealed, binding) => {
    opened += 1;
    return open(sealed, binding);
  };
  return { cipher, opened: () => opened };
}

describe('display names sealed once per member (migration 0007)', () => {
  it("a member's reflections under one name share one sealed name; another name, member or server gets its own", () => {
    const { db, service, write } = makeService();
    write(ALICE, 'one', { authorName: 'Alice' });
    write(ALICE, 'two', { authorName: 'Alice' });
    write(ALICE, 'three', { authorName: 'Ali' });
    write(BOB, 'four', { authorName: 'Alice' });
    service.create({ guildId: OTHER_GUILD, authorId: ALICE, authorName: 'Alice', text: 'five', visibility: 'shared', idempotencyKey: 'other-server', source: 'modal' });
    const [one, two, three, four, five] = namesOf(db);
    expect(one!.nameScope).toBe('member');
    expect(same(one!, two!)).toBe(true);
    expect(same(one!, three!)).toBe(false);
    expect(same(one!, four!)).toBe(false);
    expect(same(one!, five!)).toBe(false);
    expect([1, 2, 3].map((id) => service.get(GUILD, ALICE, id).authorName)).toEqual(['Alice', 'Alice', 'Ali']);
    expect(service.get(GUILD, BOB, 4).authorName).toBe('Alice');
  });

  it("a member-scoped name moved into another member's row does not open", () => {
    const { db, service, write } = makeService();
    const alice = write(ALICE, 'mine', { authorName: 'Alice' });
    const bob = write(BOB, 'yours', { authorName: 'Bob' });
    db.prepare('UPDATE reflections SET name_iv = (SELECT name_iv FROM reflections WHERE id = @from), name = (SELECT name FROM reflections WHERE id = @from) WHERE id = @to').run({ from: alice.id, to: bob.id });
    expect(() => service.get(GUILD, BOB, bob.id)).toThrow(ReflectionKeyError);
  });

  it('rows written before the migration (names bound to their row) still read, in the service and in an export', () => {
    const key = randomBytes(32);
    const db = openDatabase(':memory:');
    migrate(db, migrations.slice(0, 6));
    const old = new ReflectionCipher(key);
    const body = old.seal('written before 0007', { purpose: 'body', guildId: GUILD, authorId: ALICE, rowId: 1 });
    const name = old.seal('Alice then', { purpose: 'name', guildId: GUILD, authorId: ALICE, rowId: 1 });
    db.prepare(`INSERT INTO reflections (id, guild_id, author_id, visibility, key_id, body_iv, body, name_iv, name, source, idempotency_key, created_at, updated_at, exportable_at)
      VALUES (1, ?, ?, 'shared', ?, ?, ?, ?, ?, 'modal', 'old-1', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')`).run(GUILD, ALICE, body.keyId, body.iv, body.data, name.iv, name.data);
    migrate(db, migrations);
    expect(namesOf(db)[0]!.nameScope).toBe('row');
    const service = createReflectionService({ db, cipher: new ReflectionCipher(key), clock: fixedClock('2026-03-02T10:00:00.000Z'), weeks: noWeeks, log: capturedLogger('info').log });
    expect(service.get(GUILD, ALICE, 1)).toMatchObject({ text: 'written before 0007', authorName: 'Alice then' });
    expect(service.listExportable(GUILD, { afterId: 0, limit: 10 }).map((r) => r.authorName)).toEqual(['Alice then']);
    // An edit re-seals the name member-scoped, and it reads the same.
    service.edit(GUILD, ALICE, 1, 'edited after 0007');
    expect(namesOf(db)[0]!.nameScope).toBe('member');
    expect(service.get(GUILD, ALICE, 1)).toMatchObject({ text: 'edited after 0007', authorName: 'Alice then' });
    db.close();
  });

  it('an export opens each member name once, not once per row', () => {
    const counting = countingCipher(randomBytes(32));
    const { service, write } = makeService({ cipher: counting.cipher });
    for (let i = 0; i < 60; i++) write(i % 3 ? ALICE : BOB, `shared ${i}`, { visibility: 'shared' });
    const before = counting.opened();
    const rows = service.listExportable(GUILD, { afterId: 0, limit: 100 });
    expect(rows).toHaveLength(60);
    expect(rows.filter((r) => r.authorName === 'Alice')).toHaveLength(40);
    expect(rows.filter((r) => r.authorName === 'Bob')).toHaveLength(20);
    // 60 texts and 2 names.
    expect(counting.opened() - before).toBe(62);
  });

  it("a member's own lists (`/reflections mine`, its autocomplete) open only the texts, never the names they do not show", () => {
    const counting = countingCipher(randomBytes(32));
    const { service, write } = makeService({ cipher: counting.cipher });
    for (let i = 0; i < 8; i++) write(ALICE, `mine ${i}`, { authorName: 'Alice' });
    let before = counting.opened();
    const page = service.listMine(GUILD, ALICE, { limit: 5 });
    expect(page.items.map((r) => r.text)).toEqual(['mine 7', 'mine 6', 'mine 5', 'mine 4', 'mine 3']);
    expect('authorName' in page.items[0]!).toBe(false);
    expect(counting.opened() - before).toBe(5);
    before = counting.opened();
    expect(service.choices(GUILD, ALICE, 'mine')).toHaveLength(8);
    expect(counting.opened() - before).toBe(8);
    // A single reflection still carries its name (a shared one is posted under it).
    expect(service.get(GUILD, ALICE, 1).authorName).toBe('Alice');
  });

  it('forget-me and the server purge drop the remembered name: the next reflection under it is sealed afresh', () => {
    const { db, service, write } = makeService();
    write(ALICE, 'before', { authorName: 'Alice' });
    const before = namesOf(db)[0]!;
    service.eraser.forgetMember(GUILD, ALICE);
    write(ALICE, 'after', { authorName: 'Alice' });
    const after = namesOf(db)[0]!;
    expect(same(before, after)).toBe(false);
    expect(service.get(GUILD, ALICE, after.id).authorName).toBe('Alice');
    service.eraser.purgeGuild(GUILD);
    write(ALICE, 'after the purge', { authorName: 'Alice' });
    const purged = namesOf(db)[0]!;
    expect(same(after, purged)).toBe(false);
    expect(service.get(GUILD, ALICE, purged.id).authorName).toBe('Alice');
  });
});
