import { spawn, spawnSync } from 'node:child_process';
import { openSync, closeSync, rmSync, statSync } from 'node:fs';
import { loadConfig } from '../../src/config.js';
import { buildContext } from '../../src/app.js';
import { createLogger } from '../../src/logger.js';
import { EXPORT_FORMATS, type ExportFormat } from '../../src/export/types.js';
import { distPath, forkForReport, npmScriptCommand } from './proc.js';
import { BENCH_KEY } from './sides.js';
import { median, prng, prose } from './stats.js';

/** Writes `count` exportable reflections (shared and anonymous, 500-2,000 characters) through the reflection service. */
export function seedReflections(databasePath: string, guildId: string, count: number, seed: number): void {
  const loaded = loadConfig({ DATABASE_PATH: databasePath, REFLECTIONS_KEY: BENCH_KEY, LOG_LEVEL: 'silent' });
  if (!loaded.ok) throw new Error(loaded.problems.join('; '));
  const ctx = buildContext({ config: loaded.config, log: createLogger('silent') });
  const random = prng(seed);
  const authors = Array.from({ length: 40 }, (_, i) => ({ id: String(900000000000000000n + BigInt(i)), name: `Reader ${i + 1}` }));
  const batch = ctx.db.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const author = authors[i % authors.length]!;
      ctx.reflections.create({
        guildId,
        authorId: author.id,
        authorName: author.name,
        text: prose(random, 500 + Math.floor(random() * 1501)),
        visibility: i % 5 === 0 ? 'anonymous' : 'shared',
        idempotencyKey: `bench-seed-${i}`,
        source: 'modal',
      });
    }
  });
  for (let from = 0; from < count; from += 2_000) batch(from, Math.min(count, from + 2_000));
  ctx.db.pragma('wal_checkpoint(TRUNCATE)');
  ctx.db.close();
}

export function sqliteAvailable(): boolean {
  return spawnSync('sqlite3', ['-version'], { stdio: 'ignore' }).status === 0;
}

/** The floor: the sqlite3 shell dumping the same rows as CSV to a file (wall time, ms). */
export function sqliteDump(databasePath: string, guildId: string, out: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const fd = openSync(out, 'w');
    const started = performance.now();
    const child = spawn('sqlite3', ['-readonly', '-csv', '-header', databasePath, `SELECT * FROM reflections WHERE guild_id = '${guildId}' AND visibility IN ('shared', 'anonymous') AND hidden = 0 ORDER BY id`], { stdio: ['ignore', fd, 'pipe'] });
    let errors = '';
    child.stderr?.on('data', (chunk: Buffer) => (errors += chunk.toString()));
    child.on('exit', (code) => {
      const ms = performance.now() - started;
      closeSync(fd);
      if (code === 0) resolve(ms);
      else reject(new Error(`sqlite3 failed: ${errors}`));
    });
  });
}

export interface ExportRun {
  ms: number;
  maxRss: number;
  elMaxMs: number;
  bytes: number;
}

/**
 * One `npm run export` in its own process, with the export script's environment settings and Node flags, from
 * fork to exit (ms), with its peak RSS and longest event-loop block.
 */
export async function cliExport(databasePath: string, guildId: string, format: ExportFormat, out: string): Promise<ExportRun> {
  const command = npmScriptCommand('export');
  // The last repeat's file goes first, outside the timing, as the floor's is truncated before its timer starts:
  // otherwise the export's rename over it would pay for freeing some 130 MB (ext4 with discard: 20-30 ms).
  rmSync(out, { force: true });
  const started = performance.now();
  const report = await forkForReport<{ code: number; maxRss: number; elMaxMs: number }>(distPath('lib/export-child.js'), ['--guild', guildId, '--format', format, '--out', out], {
    execArgv: [...process.execArgv, ...command.nodeFlags],
    env: { PATH: process.env.PATH ?? '', ...command.env, DATABASE_PATH: databasePath, REFLECTIONS_KEY: BENCH_KEY, LOG_LEVEL: 'warn' },
  });
  const ms = performance.now() - started;
  if (report.code !== 0) throw new Error(`export (${format}) failed with exit code ${report.code}`);
  return { ms, maxRss: report.maxRss, elMaxMs: report.elMaxMs, bytes: statSync(out).size };
}

export interface ExportResult {
  rows: number;
  floorMs: number | null;
  floorBytes: number | null;
  formats: { format: ExportFormat; ms: number; maxRss: number; elMaxMs: number; bytes: number }[];
}

/** Each repeat: the sqlite3 dump, then each format; medians over the repeats. */
export async function measureExports(databasePath: string, guildId: string, rows: number, dir: string, repeats: number, withFloor: boolean): Promise<ExportResult> {
  const floor: number[] = [];
  let floorBytes: number | null = null;
  const runs = new Map<ExportFormat, ExportRun[]>(EXPORT_FORMATS.map((f) => [f, []]));
  for (let r = 0; r < repeats; r++) {
    if (withFloor) {
      floor.push(await sqliteDump(databasePath, guildId, `${dir}/floor.csv`));
      floorBytes = statSync(`${dir}/floor.csv`).size;
    }
    for (const format of EXPORT_FORMATS) runs.get(format)!.push(await cliExport(databasePath, guildId, format, `${dir}/export.${format}`));
  }
  return {
    rows,
    floorMs: withFloor ? median(floor) : null,
    floorBytes,
    formats: EXPORT_FORMATS.map((format) => {
      const list = runs.get(format)!;
      return { format, ms: median(list.map((x) => x.ms)), maxRss: Math.max(...list.map((x) => x.maxRss)), elMaxMs: Math.max(...list.map((x) => x.elMaxMs)), bytes: list[0]!.bytes };
    }),
  };
}
