import { describe, expect, it } from 'vitest';
import { createAskUsageRepo, monthStart, nextMonthStart } from '../../src/ai/usage-repo.js';
import { openDatabase } from '../../src/db/connection.js';
import { migrate, type Migration } from '../../src/db/migrate.js';
import { askUsage } from '../../src/db/migrations/0005-ask-usage.js';
import { migrations } from '../../src/db/migrations/index.js';
import { join, useTempDir } from '../helpers/tmp.js';

const tempDir = useTempDir();

/** The real list once it reaches 0005; until then the lower versions as no-ops, so 0005 is tested on its own. */
function migrationList(): Migration[] {
  if (migrations.length >= 5) return [...migrations];
  const list: Migration[] = [...migrations];
  while (list.length < 4) list.push({ version: list.length + 1, name: `placeholder-${list.length + 1}`, up: () => undefined });
  return [...list, askUsage];
}

function openRepo() {
  const db = openDatabase(join(tempDir(), 'ask.sqlite'));
  migrate(db, migrationList());
  return { db, repo: createAskUsageRepo(db) };
}

const G = '1100000000000000000';
const OTHER_G = '1100000000000000009';
const A = '1200000000000000001';
const B = '1200000000000000002';
const limits = { perMemberPerHour: 2, perMemberPerDay: 3, monthlyTokens: 1000 };
const t = (iso: string) => new Date(iso);

describe('the /ask usage ledger', () => {
  it('is migration 5, STRICT, and keeps tokens in, out and cached per member and server', () => {
    const { db, repo } = openRepo();
    expect(askUsage.version).toBe(5);
    expect(db.pragma('user_version', { simple: true })).toBe(migrationList().length);
    const strict = db.prepare(`SELECT name, strict FROM pragma_table_list WHERE name IN ('ask_usage', 'ask_limits') ORDER BY name`).all();
    expect(strict).toEqual([
      { name: 'ask_limits', strict: 1 },
      { name: 'ask_usage', strict: 1 },
    ]);
    const r = repo.reserve(G, A, limits, t('2026-03-10T10:00:00Z'));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    repo.settle(r.id, 'answered', { input: 100, output: 20, cacheCreation: 300, cacheRead: 5 });
    const row = db.prepare('SELECT guild_id, user_id, asked_at, answered_by, outcome, input_tokens, output_tokens, cache_creation_tokens, cache_read_tokens FROM ask_usage').get();
    expect(row).toEqual({
      guild_id: G,
      user_id: A,
      asked_at: '2026-03-10T10:00:00.000Z',
      answered_by: 'claude',
      outcome: 'answered',
      input_tokens: 100,
      output_tokens: 20,
      cache_creation_tokens: 300,
      cache_read_tokens: 5,
    });
    expect(repo.serverUsage(G, t('2026-03-20T00:00:00Z'))).toMatchObject({ claudeAsks: 1, total: 425, tokens: { input: 100, output: 20, cacheCreation: 300, cacheRead: 5 } });
    db.close();
  });

  it('holds a member to the hourly quota and says when they can ask again', () => {
    const { db, repo } = openRepo();
    expect(repo.reserve(G, A, limits, t('2026-03-10T10:00:00Z')).ok).toBe(true);
    expect(repo.reserve(G, A, limits, t('2026-03-10T10:20:00Z')).ok).toBe(true);
    const third = repo.reserve(G, A, limits, t('2026-03-10T10:30:00Z'));
    expect(third).toEqual({ ok: false, reason: 'hour', limit: 2, retryAt: t('2026-03-10T11:00:00Z') });
    // Another member and another server are not affected.
    expect(repo.reserve(G, B, limits, t('2026-03-10T10:30:00Z')).ok).toBe(true);
    expect(repo.reserve(OTHER_G, A, limits, t('2026-03-10T10:30:00Z')).ok).toBe(true);
    // An hour after the first question, one slot is free again.
    expect(repo.reserve(G, A, limits, t('2026-03-10T11:00:01Z')).ok).toBe(true);
    db.close();
  });

  it('holds a member to the daily quota', () => {
    const { db, repo } = openRepo();
    for (const time of ['2026-03-10T01:00:00Z', '2026-03-10T05:00:00Z', '2026-03-10T09:00:00Z']) expect(repo.reserve(G, A, limits, t(time)).ok).toBe(true);
    expect(repo.reserve(G, A, limits, t('2026-03-10T20:00:00Z'))).toEqual({ ok: false, reason: 'day', limit: 3, retryAt: t('2026-03-11T01:00:00Z') });
    expect(repo.memberAsks(G, A, t('2026-03-10T20:00:00Z'))).toEqual({ lastHour: 0, lastDay: 3 });
    db.close();
  });

  it('stops a server at its monthly token budget, and starts afresh the next month', () => {
    const { db, repo } = openRepo();
    const first = repo.reserve(G, A, limits, t('2026-03-10T10:00:00Z'));
    if (!first.ok) throw new Error('expected a reservation');
    repo.settle(first.id, 'answered', { input: 900, output: 100, cacheCreation: 0, cacheRead: 0 });
    expect(repo.reserve(G, B, limits, t('2026-03-31T23:00:00Z'))).toEqual({ ok: false, reason: 'budget', limit: 1000, spent: 1000, resetsAt: t('2026-04-01T00:00:00Z') });
    expect(repo.reserve(G, B, limits, t('2026-04-01T00:00:00Z')).ok).toBe(true);
    expect(monthStart(t('2026-12-31T23:59:59Z'))).toEqual(t('2026-12-01T00:00:00Z'));
    expect(nextMonthStart(t('2026-12-31T23:59:59Z'))).toEqual(t('2027-01-01T00:00:00Z'));
    db.close();
  });

  it('a quota of 0 means every question is answered from the dataset', () => {
    const { db, repo } = openRepo();
    expect(repo.reserve(G, A, { ...limits, perMemberPerHour: 0 }, t('2026-03-10T10:00:00Z'))).toMatchObject({ ok: false, reason: 'hour' });
    db.close();
  });

  it('stores per-server overrides, null meaning the default', () => {
    const { db, repo } = openRepo();
    expect(repo.overrides(G)).toEqual({ perMemberPerHour: null, perMemberPerDay: null, monthlyTokens: null });
    repo.setOverrides(G, { perMemberPerHour: 5 }, t('2026-03-10T10:00:00Z'));
    repo.setOverrides(G, { monthlyTokens: 0 }, t('2026-03-10T10:01:00Z'));
    expect(repo.overrides(G)).toEqual({ perMemberPerHour: 5, perMemberPerDay: null, monthlyTokens: 0 });
    repo.setOverrides(G, { perMemberPerHour: null }, t('2026-03-10T10:02:00Z'));
    expect(repo.overrides(G).perMemberPerHour).toBeNull();
    db.close();
  });

  it('forget-me strips the member’s id and keeps the server’s totals; the server purge removes its rows', () => {
    const { db, repo } = openRepo();
    for (const [user, tokens] of [
      [A, 100],
      [A, 50],
      [B, 10],
    ] as const) {
      const r = repo.reserve(G, user, { ...limits, perMemberPerHour: 10, perMemberPerDay: 10 }, t('2026-03-10T10:00:00Z'));
      if (!r.ok) throw new Error('expected a reservation');
      repo.settle(r.id, 'answered', { input: tokens, output: 0, cacheCreation: 0, cacheRead: 0 });
    }
    repo.reserve(OTHER_G, A, limits, t('2026-03-10T10:00:00Z'));
    repo.recordDatasetAnswer(G, 'no-key', t('2026-03-10T10:00:00Z'));
    repo.setOverrides(G, { monthlyTokens: 5000 }, t('2026-03-10T10:00:00Z'));

    expect(repo.forgetMember(G, A)).toBe(2);
    expect(db.prepare('SELECT count(*) AS n FROM ask_usage WHERE guild_id = ? AND user_id = ?').get(G, A)).toEqual({ n: 0 });
    expect(db.prepare('SELECT count(*) AS n FROM ask_usage WHERE guild_id = ? AND user_id = ?').get(OTHER_G, A)).toEqual({ n: 1 });
    expect(repo.serverUsage(G, t('2026-03-10T12:00:00Z'))).toMatchObject({ total: 160, claudeAsks: 3, datasetAsks: 1 });

    expect(repo.purgeGuild(G)).toBe(5);
    expect(db.prepare('SELECT count(*) AS n FROM ask_usage WHERE guild_id = ?').get(G)).toEqual({ n: 0 });
    expect(repo.overrides(G).monthlyTokens).toBeNull();
    expect(db.prepare('SELECT count(*) AS n FROM ask_usage WHERE guild_id = ?').get(OTHER_G)).toEqual({ n: 1 });
    db.close();
  });

  it('stores no member id for a question answered from the dataset alone', () => {
    const { db, repo } = openRepo();
    repo.recordDatasetAnswer(G, 'no-key', t('2026-03-10T10:00:00Z'));
    expect(db.prepare('SELECT user_id, answered_by, outcome FROM ask_usage').all()).toEqual([{ user_id: null, answered_by: 'dataset', outcome: 'no-key' }]);
    db.close();
  });
});
