import { createHash, randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generateExport } from '../../src/export/pipeline.js';
import { withReaderThreads } from '../../src/export/reader-thread.js';
import { createInteractionsInFlight } from '../../src/members-first.js';
import type { ExportRequest } from '../../src/export/service.js';
import type { KeySettings } from '../../src/reflections/keyring.js';
import { Secret } from '../../src/secret.js';
import { PartSplitter, splitExport } from '../../src/export/split.js';
import type { ReaderJob } from '../../src/export/chunks.js';
import { WHOLE_TABLE } from '../../src/export/readers.js';
import { EVERYTHING, type ExportFormat } from '../../src/export/types.js';
import { join, useTempDir } from '../helpers/tmp.js';
import { ALICE, BOB, GUILD } from './reflections-helpers.js';
import { makeExportService } from './export-helpers.js';

const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const tempDir = useTempDir();

function request(format: ExportFormat): ExportRequest {
  return { guildId: GUILD, guildName: 'Circle', actor: { kind: 'member', id: ALICE, label: null }, format, scope: { ...EVERYTHING }, pseudonymise: false };
}

/** A few thousand reflections on a database file (so the export reads through its own snapshot connection). */
function seeded(rows: number, chunkSize?: number, extra: Omit<Parameters<typeof makeExportService>[0] & object, 'path' | 'chunkSize'> = {}) {
  const env = makeExportService({ path: join(tempDir(), 'bot.sqlite'), ...(chunkSize !== undefined ? { chunkSize } : {}), ...extra });
  env.db.transaction(() => {
    for (let i = 0; i < rows; i += 1) {
      env.write(i % 2 ? ALICE : BOB, `reflection ${i}: ${'a thought that stays with me, '.repeat(1 + (i % 7))}`, { visibility: i % 3 ? 'shared' : 'anonymous', week: i % 4 ? 1 + (i % 5) : null });
    }
  })();
  env.clock.advance(1000);
  return env;
}

describe('streaming an export in parts', () => {
  it('the streaming splitter cuts exactly where the whole-file splitter does', async () => {
    const lines = Array.from({ length: 400 }, (_, i) => `${i},reflection ${'🌱'.repeat(i % 9)} ${'x'.repeat(i % 37)}\r\n`);
    const whole = Buffer.from(lines.join(''));
    // Limits that give fewer than 100 parts: from the 100th on, streamed part names are numbered .part100 … (the whole-file splitter pads all to three digits).
    for (const limit of [400, 700, 1000, whole.length - 1, whole.length]) {
      expect(Math.ceil(whole.length / limit)).toBeLessThan(90);
      const expected = await splitExport('f.csv', whole, limit, 400, sha(whole));
      const parts: Buffer[] = [];
      const splitter = new PartSplitter('f.csv', limit, (part) => {
        parts.push(part.data);
      });
      // Fed in uneven chunks, as the pipeline does.
      for (let at = 0, step = 1; at < whole.length; at += step, step = (step * 7) % 997) await splitter.push(whole.subarray(at, at + step));
      const result = await splitter.finish(400, sha(whole), whole.length);
      if (expected.manifest === null) {
        expect(result.single?.data.equals(whole)).toBe(true);
        expect(parts).toEqual([]);
      } else {
        expect(parts.map((p) => p.toString('hex'))).toEqual(expected.files.map((f) => f.data.toString('hex')));
        expect(JSON.parse(result.manifest!.data.toString())).toEqual(JSON.parse(expected.manifest.data.toString()));
      }
    }
  });

  it('hands parts on while the export is still being read, and they concatenate to the same file generate writes', async () => {
    const env = seeded(3000, 100);
    const plan = env.exports.plan(request('markdown'));
    const whole: Buffer[] = [];
    const direct = await env.exports.generate(plan, (chunk) => {
      whole.push(chunk);
    });
    const file = Buffer.concat(whole);

    let readsAtFirstPart: number | null = null;
    let readCount = 0;
    const original = env.service.openExportSnapshot.bind(env.service);
    env.service.openExportSnapshot = () => {
      const snapshot = original();
      return { ...snapshot, listExportable: (g, f) => ((readCount += 1), snapshot.listExportable(g, f)) };
    };
    const parts: Buffer[] = [];
    const streamed = await env.exports.stream(plan, 16 * 1024, (part) => {
      readsAtFirstPart ??= readCount;
      parts.push(part.data);
    });
    expect(streamed.sha256).toBe(direct.sha256);
    expect(streamed.count).toBe(3000);
    expect(parts.length).toBeGreaterThan(5);
    expect(Buffer.concat(parts).equals(file)).toBe(true);
    for (const part of parts) expect(part.length).toBeLessThanOrEqual(16 * 1024);
    const manifest = JSON.parse(streamed.split.manifest!.data.toString('utf8'));
    expect(manifest).toMatchObject({ bytes: file.length, sha256: sha(file), count: 3000 });
    expect(manifest.parts.map((p: { sha256: string }) => p.sha256)).toEqual(parts.map(sha));
    // The first part went out long before the last rows were read: nothing waits for the whole file.
    expect(readsAtFirstPart).not.toBeNull();
    expect(readsAtFirstPart!).toBeLessThan(readCount / 2);
  });

  it('a CSV export in parts has its byte-order mark once, at the start of the first part: the joined parts are the file, as the manifest says', async () => {
    const env = seeded(600, 50);
    const plan = env.exports.plan(request('csv'));
    const whole: Buffer[] = [];
    await env.exports.generate(plan, (chunk) => {
      whole.push(chunk);
    });
    const file = Buffer.concat(whole);
    const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
    expect(file.subarray(0, 3).equals(BOM)).toBe(true);
    const parts: Buffer[] = [];
    const streamed = await env.exports.stream(plan, 4 * 1024, (part) => {
      parts.push(Buffer.from(part.data));
    });
    expect(parts.length).toBeGreaterThan(3);
    expect(parts[0]!.subarray(0, 3).equals(BOM)).toBe(true);
    for (const part of parts.slice(1)) expect(part.subarray(0, 3).equals(BOM)).toBe(false);
    expect(Buffer.concat(parts).indexOf(BOM, 1)).toBe(-1);
    expect(Buffer.concat(parts).equals(file)).toBe(true);
    const manifest = JSON.parse(streamed.split.manifest!.data.toString('utf8'));
    expect(manifest).toMatchObject({ bytes: file.length, sha256: sha(file), count: 600 });
    expect(streamed).toMatchObject({ bytes: file.length, sha256: sha(file) });
    expect(manifest.parts.map((p: { bytes: number; sha256: string }) => [p.bytes, p.sha256])).toEqual(parts.map((p) => [p.length, sha(p)]));
  });

  it('yields to the event loop between chunks: a timer set during the export fires before it ends, again and again', async () => {
    const env = seeded(3000, 100);
    const plan = env.exports.plan(request('csv'));
    let chunks = 0;
    let ticks = 0;
    let tickChunks: number[] = [];
    const tick = () => {
      ticks += 1;
      tickChunks.push(chunks);
      if (!done) setImmediate(tick);
    };
    let done = false;
    setImmediate(tick);
    const result = await env.exports.generate(plan, () => {
      chunks += 1;
    });
    done = true;
    expect(result.count).toBe(3000);
    expect(chunks).toBeGreaterThanOrEqual(30);
    // Serviced between chunks, not only before the first or after the last.
    tickChunks = [...new Set(tickChunks)];
    expect(tickChunks.filter((c) => c > 0 && c < chunks).length).toBeGreaterThan(chunks / 2);
    expect(ticks).toBeGreaterThan(chunks / 2);
  });

  it('reads on reader threads (own read-only connections, same key) and writes, in every format, the file read in-thread would be', async () => {
    const env = seededOnThreads(1200);
    for (const [format, pseudonymise] of [['markdown', false], ['json', false], ['csv', true], ['html', true]] as const) {
      const plan = env.exports.plan({ ...request(format), pseudonymise });
      const threaded: Buffer[] = [];
      const result = await env.exports.generate(plan, (chunk) => {
        threaded.push(chunk);
      });
      // In-thread, tallied by SQLite as the threads do, and by the pipeline from the rows (a store without tallies).
      for (const source of [seededCopy(env), { listExportable: seededCopy(env).listExportable }]) {
        const inThread: Buffer[] = [];
        const expected = await generateExport(
          { source, guildId: GUILD, guildName: 'Circle', format, scope: plan.scope, pseudonymise, snapshot: plan.snapshot, since: null, week: () => null, chapterLabel: () => null, chunkSize: 50 },
          (chunk) => {
            inThread.push(chunk);
          },
        );
        expect(result.count).toBe(1200);
        expect(result.sha256).toBe(expected.sha256);
        expect(Buffer.concat(threaded).equals(Buffer.concat(inThread))).toBe(true);
      }
    }
  }, 60_000);

  it('reader threads step aside while a member interaction is in flight, and still write the whole file; with none in flight they never pause', async () => {
    const inFlight = createInteractionsInFlight();
    const env = seededOnThreads(300, 50, { inFlight: inFlight.buffer });
    const csv = () => env.exports.generate(env.exports.plan(request('csv')), () => undefined);
    const quiet = await csv();
    expect(quiet.pausesForMembers).toBe(0);
    // A member's interaction that stays in flight for the whole export: the threads pause, but read on between pauses.
    const leave = inFlight.enter();
    try {
      const busy = await csv();
      expect(busy.sha256).toBe(quiet.sha256);
      expect(busy.pausesForMembers).toBeGreaterThan(0);
    } finally {
      leave();
    }
    // Each export counts only its own pauses.
    expect((await csv()).pausesForMembers).toBe(0);
  }, 30_000);

  it('a reader thread holds a whole chunk of the longest reflections under its heap ceiling: 1,000 of 4,000 emoji each, 500 to a chunk', async () => {
    const env = seededOnThreads(0, null);
    const longest = '\u{1F600}'.repeat(4000);
    env.db.transaction(() => {
      for (let i = 0; i < 1000; i += 1) env.write(i % 2 ? ALICE : BOB, longest, { visibility: 'shared' });
    })();
    env.clock.advance(1000);
    for (const format of ['json', 'csv'] as const) {
      let bytes = 0;
      const result = await env.exports.generate(env.exports.plan(request(format)), (chunk) => {
        bytes += chunk.length;
      });
      expect(result.count).toBe(1000);
      expect(bytes).toBeGreaterThan(1000 * Buffer.byteLength(longest));
    }
  }, 60_000);

  it('pieces narrow to the byte target when reflections are long, and the file is the one read in-thread', async () => {
    const env = seededOnThreads(0, 50, { pieceBytes: 64 * 1024 });
    const longest = '\u{1F600}'.repeat(4000);
    env.db.transaction(() => {
      for (let i = 0; i < 300; i += 1) env.write(i % 2 ? ALICE : BOB, `${i % 10}${longest.slice(2)}`, { visibility: 'shared' });
    })();
    env.clock.advance(1000);
    const plan = env.exports.plan(request('csv'));
    const sizes: number[] = [];
    const threaded: Buffer[] = [];
    const result = await env.exports.generate(plan, (chunk) => {
      sizes.push(chunk.length);
      threaded.push(chunk);
    });
    const inThread: Buffer[] = [];
    await generateExport(
      { source: seededCopy(env), guildId: GUILD, guildName: 'Circle', format: 'csv', scope: plan.scope, pseudonymise: false, snapshot: plan.snapshot, since: null, week: () => null, chapterLabel: () => null, chunkSize: 50 },
      (chunk) => {
        inThread.push(chunk);
      },
    );
    expect(result.count).toBe(300);
    expect(Buffer.concat(threaded).equals(Buffer.concat(inThread))).toBe(true);
    // The header, then four pieces asked for before any came back (7 of the 50 rows, about 112 KB), then
    // pieces of about 64 KB (a row is about 16 KB, so three or four rows each).
    const row = Buffer.byteLength(longest) + 100;
    expect(Math.max(...sizes.slice(1, 5))).toBeGreaterThan(6 * row);
    const later = sizes.slice(5);
    expect(later.length).toBeGreaterThan(40);
    expect(Math.max(...later)).toBeLessThanOrEqual(64 * 1024 + row);
  }, 60_000);

  it("the tally is one statement per reader thread, merged; only the file's first pieces start narrow", async () => {
    const env = seededOnThreads(1200);
    const job: ReaderJob = {
      meta: { guildId: GUILD, guildName: null, format: 'markdown', exportedAt: env.clock.now().toISOString(), scope: { ...EVERYTHING }, since: null, pseudonymised: false },
      chapterLabels: [],
      chunkSize: 50,
    };
    const readers = await withReaderThreads(env.service, env.readerSettings(), { code: tsWorker, threads: 2 }).openReaders!(job);
    try {
      const tally = await readers.tally(WHOLE_TABLE, true);
      const byWeek = env.db
        .prepare("SELECT week, count(*) AS n, min(id) AS first, max(id) AS last FROM reflections WHERE visibility IN ('shared', 'anonymous') GROUP BY week ORDER BY first")
        .all() as { week: number | null; n: number; first: number; last: number }[];
      expect(tally.count).toBe(1200);
      expect(tally.weeks).toEqual(byWeek.map((w) => [w.week, w.n, w.first, w.last]));
      const authors = env.db.prepare("SELECT author_id AS a, min(id) AS first FROM reflections WHERE visibility = 'shared' GROUP BY author_id ORDER BY first").all() as { a: string; first: number }[];
      expect(tally.authors).toEqual(authors.map((r) => [r.a, r.first]));
      const chunks: number[] = [];
      for await (const chunk of readers.chunks(WHOLE_TABLE)) chunks.push(chunk.count);
      // Four pieces asked for before any came back (an eighth of 50), then the full width: rows here are short.
      expect(chunks.slice(0, 5)).toEqual([7, 7, 7, 7, 50]);
      expect(chunks.reduce((sum, count) => sum + count, 0)).toBe(1200);
    } finally {
      await readers.close();
    }
  }, 30_000);

  it('reader threads read the server as it was when the export started: a reflection deleted meanwhile is still in it, and the stated count matches', async () => {
    const env = seededOnThreads(600);
    const last = env.db.prepare('SELECT id, author_id AS authorId FROM reflections ORDER BY id DESC LIMIT 1').get() as { id: number; authorId: string };
    const plan = env.exports.plan(request('markdown'));
    let deleted = false;
    const chunks: Buffer[] = [];
    const result = await env.exports.generate(plan, (chunk) => {
      chunks.push(chunk);
      // Once the file has started, the newest reflection (not read yet) is deleted by its author.
      if (!deleted) {
        env.service.remove(GUILD, last.authorId, last.id);
        deleted = true;
      }
    });
    expect(deleted).toBe(true);
    expect(env.db.prepare('SELECT COUNT(*) AS n FROM reflections WHERE id = ?').get(last.id)).toEqual({ n: 0 });
    expect(result.count).toBe(600);
    const text = Buffer.concat(chunks).toString('utf8');
    expect(text).toContain('600 reflections');
    expect(text).toContain(`reflection ${599}:`);
    // The delete's checkpoint did not wait for the readers (that froze the bot's thread for the busy timeout):
    // it was put off, and ran once the export ended, leaving the WAL empty.
    expect(env.logs.text()).toContain('checkpoint deferred until the running export ends');
    expect(statSync(`${env.db.name}-wal`).size).toBe(0);
  }, 30_000);
});

const tsWorker = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(new URL('../../src/export/reader-worker.ts', import.meta.url).href)}); });`;

/**
 * `seeded`, its exports read on two reader threads: the TypeScript worker loaded through tsx (the build runs the
 * compiled reader-worker.js), on the database's own file and key; `chunkSize` null: the export's default.
 */
function seededOnThreads(rows: number, chunkSize: number | null = 50, options: { pieceBytes?: number; inFlight?: SharedArrayBuffer } = {}) {
  const key = randomBytes(32);
  let settings: KeySettings | null = null;
  const env = seeded(rows, chunkSize ?? undefined, {
    key,
    source: (service) => ({
      listExportable: (g, f) => service.listExportable(g, f),
      openReaders: (job) => withReaderThreads(service, settings!, { code: tsWorker, threads: 2, ...options }).openReaders!(job),
      exportEnded: () => service.exportEnded?.(),
    }),
  });
  settings = { DATABASE_PATH: env.db.name, REFLECTIONS_KEY: new Secret(key.toString('hex')) };
  return Object.assign(env, { readerSettings: () => settings });
}

/** The same store read on this thread (no snapshot, no worker). */
function seededCopy(env: ReturnType<typeof seeded>) {
  return { listExportable: env.service.listExportable.bind(env.service), tallyExportable: env.service.tallyExportable.bind(env.service) };
}
