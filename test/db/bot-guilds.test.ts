import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/connection.js';
import { migrate } from '../../src/db/migrate.js';
import { migrations } from '../../src/db/migrations/index.js';
import { ReflectionCipher } from '../../src/reflections/crypto.js';
import { useTempDir, join } from '../helpers/tmp.js';
import { ALICE, GUILD, OTHER_GUILD, makeService } from './reflections-helpers.js';

/**
 * Which servers a READY counts as having removed the bot: only those its bot user was in (seen through READY or
 * GUILD_CREATE) and is not in now. Discord delivers interactions wherever the app is installed, with or without
 * the bot user, so a server with data that READY does not list may be one whose members use the commands.
 */

const THIRD = '100000000000000003';
const FOURTH = '100000000000000004';
const DAY = 86_400_000;
const tempDir = useTempDir();

describe('READY and the servers the bot user was in', () => {
  it('counts as removed a server the bot user was in and is not in now, never one known only through its members’ reflections', () => {
    const { service, write, clock } = makeService();
    service.guildJoined(GUILD);
    service.guildJoined(OTHER_GUILD);
    write(ALICE, 'in a server the bot user was in');
    // Saved through interactions in a server the bot user never joined (the applications.commands scope alone).
    service.create({ guildId: THIRD, authorId: ALICE, authorName: 'A', text: 'commands only', visibility: 'private', idempotencyKey: 'commands-only', source: 'modal' });

    expect(service.botPresentAtReady(new Set([OTHER_GUILD]), clock.now())).toEqual([GUILD]);
    const later = new Date(clock.now().getTime() + 31 * DAY);
    expect(service.dueForErasure(later, 30)).toEqual([GUILD]);

    // The next READY does not count it again, nor restart its clock.
    clock.advance(10 * DAY);
    expect(service.botPresentAtReady(new Set([OTHER_GUILD]), clock.now())).toEqual([]);
    expect(service.dueForErasure(later, 30)).toEqual([GUILD]);
  });

  it('marks every server in READY present: one whose clock ran (added back while offline) keeps its data, and is counted again if it removes the bot once more', () => {
    const { service, clock } = makeService();
    service.guildLeft(GUILD, clock.now());
    expect(service.botPresentAtReady(new Set([GUILD, FOURTH]), clock.now())).toEqual([]);
    expect(service.dueForErasure(new Date(clock.now().getTime() + 31 * DAY), 30)).toEqual([]);
    expect(service.botPresentAtReady(new Set([FOURTH]), clock.now())).toEqual([GUILD]);
  });

  it('a server whose bot user was kicked (GUILD_DELETE) and whose clock an interaction then stopped is not counted by later READYs', () => {
    const { service, clock } = makeService();
    service.guildJoined(GUILD);
    service.guildLeft(GUILD, clock.now());
    expect(service.interactionFrom(GUILD)).toBe(true);
    expect(service.botPresentAtReady(new Set(), clock.now())).toEqual([]);
    expect(service.dueForErasure(new Date(clock.now().getTime() + 365 * DAY), 30)).toEqual([]);
    // Invited back, then removed while offline: counted again.
    service.guildJoined(GUILD);
    expect(service.botPresentAtReady(new Set(), clock.now())).toEqual([GUILD]);
  });

  it('remembers what the gateway showed across restarts (a new service on the same database)', () => {
    const { db, service, clock } = makeService();
    service.botPresentAtReady(new Set([GUILD, OTHER_GUILD]), clock.now());
    const restarted = makeService({ db }).service;
    expect(restarted.botPresentAtReady(new Set([OTHER_GUILD]), clock.now())).toEqual([GUILD]);
    // Its clock is pending in the new service too: an interaction stops it.
    expect(restarted.interactionFrom(GUILD)).toBe(true);
  });
});

describe('migration 0010 (servers the bot user was in)', () => {
  it('is seeded with every server with data that READY counted before (reflections, presence records), except those already marked removed, so an existing install counts the same servers at its next start', () => {
    const path = join(tempDir(), 'v9.sqlite');
    const db = openDatabase(path);
    migrate(db, migrations.slice(0, 9));
    const cipher = new ReflectionCipher(randomBytes(32));
    const insert = db.prepare(`INSERT INTO reflections (id, guild_id, author_id, visibility, key_id, body_iv, body, name_iv, name, name_scope, source, idempotency_key, created_at, updated_at, exportable_at)
      VALUES (@id, @guildId, @authorId, 'private', @keyId, @bodyIv, @body, @nameIv, @name, 'row', 'modal', @key, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')`);
    // GUILD: reflections, present. OTHER_GUILD: a presence record only (the bot user was in it, no reflections).
    // THIRD: reflections, already marked removed (its clock runs). FOURTH: two reflections, no presence record.
    [[1, GUILD], [2, THIRD], [3, FOURTH], [4, FOURTH]].forEach(([id, guildId]) => {
      const rowId = id as number;
      const body = cipher.seal(`text ${rowId}`, { purpose: 'body', guildId: guildId as string, authorId: ALICE, rowId });
      const name = cipher.seal('Alice', { purpose: 'name', guildId: guildId as string, authorId: ALICE, rowId });
      insert.run({ id: rowId, guildId, authorId: ALICE, keyId: body.keyId, bodyIv: body.iv, body: body.data, nameIv: name.iv, name: name.data, key: `k-${rowId}` });
    });
    db.prepare('INSERT INTO guild_presence (guild_id, removed_at) VALUES (?, NULL), (?, NULL), (?, ?)').run(GUILD, OTHER_GUILD, THIRD, '2026-02-01T00:00:00.000Z');

    expect(migrate(db, migrations).applied).toEqual(['0010-bot-guilds']);
    expect((db.prepare('SELECT guild_id FROM bot_guilds ORDER BY guild_id').pluck().all() as string[])).toEqual([GUILD, OTHER_GUILD, FOURTH].sort());
    expect(db.prepare("SELECT sql FROM sqlite_master WHERE name = 'bot_guilds'").pluck().get()).toMatch(/STRICT/);
    expect(db.prepare('SELECT guild_id, removed_at FROM guild_presence ORDER BY guild_id').all()).toEqual([
      { guild_id: GUILD, removed_at: null },
      { guild_id: OTHER_GUILD, removed_at: null },
      { guild_id: THIRD, removed_at: '2026-02-01T00:00:00.000Z' },
    ]);

    // At the next start, as before the migration: every server READY does not list is counted, THIRD keeps its clock.
    const { service, clock } = makeService({ db });
    expect([...service.botPresentAtReady(new Set(), clock.now())].sort()).toEqual([GUILD, OTHER_GUILD, FOURTH].sort());
    expect(db.prepare('SELECT removed_at FROM guild_presence WHERE guild_id = ?').pluck().get(THIRD)).toBe('2026-02-01T00:00:00.000Z');
    db.close();
  });

  it('on an empty database creates the table empty', () => {
    const db = openDatabase(':memory:');
    migrate(db, migrations);
    expect(db.prepare('SELECT COUNT(*) FROM bot_guilds').pluck().get()).toBe(0);
    db.close();
  });
});
