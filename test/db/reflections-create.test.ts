import { describe, expect, it } from 'vitest';
import { characterCount } from '../../src/reflections/validation.js';
import { ALICE, BOB, GUILD, makeService } from './reflections-helpers.js';

/** The write path builds the new reflection from what it wrote instead of reading it back: it must be the same. */
describe('creating a reflection', () => {
  it.each(['private', 'shared', 'anonymous'] as const)('returns exactly what a later read gives (%s)', (visibility) => {
    const { service } = makeService();
    const created = service.create({ guildId: GUILD, authorId: ALICE, authorName: 'Alice 🌱', text: 'A rupture, then a repair 👩🏽‍⚕️', visibility, chapterId: 'ch-3', week: 2, idempotencyKey: `900-${visibility}`, source: 'message' });
    expect(created.duplicate).toBe(false);
    expect(created.reflection).toEqual(service.get(GUILD, ALICE, created.reflection.id));
    expect(created.reflection.exportableAt).toBe(visibility === 'private' ? null : '2026-03-02T10:00:00.000Z');
  });

  it('writes one row in one transaction; a retry returns the stored row decrypted and writes nothing', () => {
    const { db, service } = makeService();
    const input = { guildId: GUILD, authorId: ALICE, authorName: 'Alice', text: 'first words', visibility: 'shared' as const, idempotencyKey: '900000000000000042', source: 'modal' as const };
    const changesBefore = db.prepare('SELECT total_changes() AS n').get() as { n: number };
    const first = service.create(input);
    const changesAfter = db.prepare('SELECT total_changes() AS n').get() as { n: number };
    expect(changesAfter.n - changesBefore.n).toBe(1);
    const again = service.create({ ...input, text: 'second words', authorName: 'Alicia' });
    expect(again).toEqual({ reflection: first.reflection, duplicate: true });
    expect((db.prepare('SELECT total_changes() AS n').get() as { n: number }).n).toBe(changesAfter.n);
  });

  it('an interaction id reused by another member is refused and stores nothing for them', () => {
    const { db, service } = makeService();
    service.create({ guildId: GUILD, authorId: ALICE, authorName: 'Alice', text: 'mine', visibility: 'private', idempotencyKey: '900000000000000043', source: 'modal' });
    expect(() => service.create({ guildId: GUILD, authorId: BOB, authorName: 'Bob', text: 'theirs', visibility: 'private', idempotencyKey: '900000000000000043', source: 'modal' })).toThrow(/reused/);
    expect(db.prepare('SELECT author_id AS a FROM reflections').all()).toEqual([{ a: ALICE }]);
  });

  it('ids keep growing after the newest reflection is deleted (never reused)', () => {
    const { service, write } = makeService();
    const a = write(ALICE, 'one');
    const b = write(ALICE, 'two');
    service.remove(GUILD, ALICE, b.id);
    expect(write(ALICE, 'three').id).toBe(b.id + 1);
    expect(b.id).toBe(a.id + 1);
  });
});

describe('characterCount', () => {
  it.each(['', 'abc', 'שלום 🌱', '👩🏽‍⚕️', '\ud83d', 'a\udc00b', '\ud83d\ud83d\ude00', 'x'.repeat(5000)])('counts code points like Array.from (%#)', (text) => {
    expect(characterCount(text)).toBe(Array.from(text).length);
  });
});
