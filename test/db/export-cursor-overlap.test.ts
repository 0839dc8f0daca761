import { describe, expect, it } from 'vitest';
import type { ExportRequest } from '../../src/export/service.js';
import { EVERYTHING, type ExportScope } from '../../src/export/types.js';
import { ALICE, BOB, GUILD } from './reflections-helpers.js';
import { makeExportService } from './export-helpers.js';

const MOD_A = '200000000000000009';
const MOD_B = '200000000000000008';

function request(actor: string, scope: Partial<ExportScope> = {}): ExportRequest {
  return { guildId: GUILD, guildName: 'Circle', actor: { kind: 'member', id: actor, label: null }, format: 'json', scope: { ...EVERYTHING, ...scope }, pseudonymise: false };
}
const idsOf = (data: Buffer) => JSON.parse(data.toString('utf8')).reflections.map((r: { id: number }) => r.id) as number[];

/**
 * Two exports of one server in flight at once (two moderators, or one and `npm run export`): the since-last
 * cursor must never move back, and a failed delivery must not undo another export's delivery.
 */
describe('since-last cursor with two exports of one server in flight', () => {
  it('an older export delivered after a newer one must not move the cursor back (no row exported twice by since-last)', async () => {
    const env = makeExportService();
    env.write(ALICE, 'old', { visibility: 'shared' });
    env.clock.advance(1000);
    // Moderator A starts a (slow, large) export.
    const planA = env.exports.plan(request(MOD_A));
    env.clock.advance(60_000);
    const mid = env.write(BOB, 'written between the two starts', { visibility: 'shared' });
    env.clock.advance(60_000);
    // Moderator B starts a small since-last export and it is delivered first.
    const planB = env.exports.plan(request(MOD_B, { sinceLast: true }));
    const producedB = await env.exports.produce(planB, 1 << 20);
    expect(idsOf(producedB.split.files[0]!.data)).toContain(mid.id);
    env.exports.recordAllowed(planB, producedB, 1);
    // A's export completes later.
    const producedA = await env.exports.produce(planA, 1 << 20);
    env.exports.recordAllowed(planA, producedA, 1);

    env.clock.advance(60_000);
    const next = env.exports.plan(request(MOD_B, { sinceLast: true }));
    const producedNext = await env.exports.produce(next, 1 << 20);
    // `mid` was already delivered by B's since-last export; it has not changed since.
    expect(next.since).toBe(planB.snapshot);
    expect(idsOf(producedNext.split.files[0]!.data)).not.toContain(mid.id);
  });

  it('a failed delivery must not rewind past another export delivered meanwhile', async () => {
    const env = makeExportService();
    const first = env.write(ALICE, 'first', { visibility: 'shared' });
    env.clock.advance(1000);
    const planA = env.exports.plan(request(MOD_A, { sinceLast: true }));
    const planB = env.exports.plan(request(MOD_B));
    // A is delivered.
    const producedA = await env.exports.produce(planA, 1 << 20);
    expect(idsOf(producedA.split.files[0]!.data)).toEqual([first.id]);
    env.exports.recordAllowed(planA, producedA, 1);
    // B is produced and logged, then its upload fails.
    const producedB = await env.exports.produce(planB, 1 << 20);
    const { logId: logB } = env.exports.recordAllowed(planB, producedB, 1);
    env.exports.recordFailed(planB, logB, 'upload failed');

    // The server's previous delivered export is A: the cursor should be A's instant.
    expect(env.logRepo.cursor(GUILD)).toBe(planA.snapshot);
    env.clock.advance(60_000);
    const next = env.exports.plan(request(MOD_A, { sinceLast: true }));
    const producedNext = await env.exports.produce(next, 1 << 20);
    expect(idsOf(producedNext.split.files[0]!.data)).not.toContain(first.id);
  });
});
