import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startLocalDiscord, type LocalDiscord } from '../src/local-discord/index.js';
import { measureExports, seedReflections, sqliteAvailable, type ExportResult } from './lib/export.js';
import { measureLatency, workloads, type LatencyResult, type Pace } from './lib/latency.js';
import { measureStart, memoryPoint, spawnSide, stopSide, type MemoryPoint, type Side } from './lib/sides.js';
import { median, percentile, round } from './lib/stats.js';
import { measureWritesApart, type WritesResult } from './lib/writes.js';

/**
 * `npm run bench`: the bot against its floor, measured in one run, alternating in blocks, medians of
 * repeats. Prints a table and writes bench/results.json. `--quick` for a smoke run with small counts;
 * `--hardening` runs the hardening suite (test/hardening) at five times its `npm test` size instead.
 */

const SECTIONS = ['latency', 'export', 'bot-export', 'writes'] as const;
type Section = (typeof SECTIONS)[number];

const PACES: readonly Pace[] = ['visible', 'first-response'];

const USAGE = `Usage: npm run bench [-- --quick] [-- --hardening] [-- --seed N] [-- --only ${SECTIONS.join(',')}] [-- --pace ${PACES.join('|')}]
  --quick       small counts (a smoke run of every measurement, well under a minute)
  --only LIST   only these measurements (start and RSS after READY are always measured); writes no file
  --pace PACE   when the latency runs send the next interaction: once the last one's visible reply is in
                (visible, the default), or as soon as its first response is (first-response); writes no file
  --hardening   run the hardening suite (test/hardening) at five times its npm test size, and nothing else
  --seed N      seed for the generated texts (default 1)`;

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    hardening: { type: 'boolean', default: false },
    seed: { type: 'string', default: '1' },
    only: { type: 'string' },
    pace: { type: 'string', default: 'visible' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}

const root = fileURLToPath(new URL('../../', import.meta.url));

if (args.hardening) {
  const scale = process.env.HARDENING_SCALE ?? '5';
  process.stdout.write(`Hardening suite at ${scale}x (HARDENING_SCALE=${scale}); a fuzz seed can be replayed with HARDENING_SEED=<seed>.\n`);
  const result = spawnSync('npx', ['vitest', 'run', '--project', 'hardening'], { cwd: root, stdio: 'inherit', env: { ...process.env, HARDENING_SCALE: scale } });
  process.exit(result.status ?? 1);
}

const quick = args.quick;
const only = args.only === undefined ? null : args.only.split(',').map((name) => name.trim());
const unknownSection = only?.find((name) => !(SECTIONS as readonly string[]).includes(name));
if (unknownSection !== undefined) {
  process.stderr.write(`Unknown section "${unknownSection}".\n${USAGE}\n`);
  process.exit(2);
}
const want = (section: Section) => only === null || only.includes(section);
const pace = args.pace as Pace;
if (!PACES.includes(pace)) {
  process.stderr.write(`Unknown pace "${args.pace}".\n${USAGE}\n`);
  process.exit(2);
}
const seed = Number(args.seed) || 1;
const plan = quick
  ? { startRepeats: 1, latency: { count: 100, block: 50, repeats: 1, warmup: 10, pace }, exportRows: 5_000, exportRepeats: 1, idleWarmup: 10, idleChapter: 50, writes: { count: 300, block: 100, repeats: 1 } }
  : { startRepeats: 3, latency: { count: 2_000, block: 250, repeats: 3, warmup: 50, pace }, exportRows: 100_000, exportRepeats: 3, idleWarmup: 100, idleChapter: 2_000, writes: { count: 2_000, block: 250, repeats: 3 } };

const cpuModel = (() => {
  try {
    return /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpus()[0]?.model ?? 'unknown';
  } catch {
    return cpus()[0]?.model ?? 'unknown';
  }
})();
const machine = { nproc: cpus().length, cpu: cpuModel, node: process.version, platform: `${process.platform} ${process.arch}` };
const say = (text: string) => process.stdout.write(`${text}\n`);
const mb = (bytes: number) => bytes / 1024 / 1024;

async function main(): Promise<void> {
  say(`reading-circle bench${quick ? ' (--quick: small counts, not comparable to a full run)' : ''}: ${machine.nproc} × ${machine.cpu}, Node ${machine.node}`);
  if (pace !== 'visible') say(`latency paced by: ${pace} (the next interaction sent as soon as the last one's first response is in)`);
  const dir = mkdtempSync(join(tmpdir(), 'reading-circle-bench-'));
  const discords: LocalDiscord[] = [await startLocalDiscord(), await startLocalDiscord()];
  const bot: Side = { name: 'bot', discord: discords[0]!, proc: undefined, interactions: 0 };
  const floor: Side = { name: 'floor', discord: discords[1]!, proc: undefined, interactions: 0 };
  const dbPath = join(dir, 'bot.sqlite');
  const started = performance.now();
  try {
    // Start: process start → READY → a command answered; alternating, the last of each stays up.
    const starts = { bot: [] as number[], floor: [] as number[] };
    for (let r = 0; r < plan.startRepeats; r++) {
      const last = r === plan.startRepeats - 1;
      starts.bot.push(await measureStart(bot, dbPath));
      if (r === 0) {
        // The floor's local Discord offers the same commands, so both bots get identical payloads.
        await bot.discord.waitFor(() => (bot.discord.server.commands.get(bot.discord.ids.guild)?.size ?? 0) > 0 || undefined, { timeoutMs: 30_000, what: 'the bot to register its commands' });
        for (const [key, commands] of bot.discord.server.commands) floor.discord.server.commands.set(key === bot.discord.ids.guild ? floor.discord.ids.guild : key, new Map(commands));
      }
      if (!last) await stopSide(bot);
      starts.floor.push(await measureStart(floor, dbPath));
      if (!last) await stopSide(floor);
    }
    say(`start: bot ${round(median(starts.bot), 0)} ms, floor ${round(median(starts.floor), 0)} ms`);

    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const rssReady = { bot: await memoryPoint(bot.proc!), floor: await memoryPoint(floor.proc!) };

    // Interaction latency, five workloads.
    const reflect = await bot.discord.interact.chatInput({ name: 'reflect' });
    if (!reflect.modal) throw new Error('/reflect did not answer with a modal');
    bot.interactions += 1;
    const latency: LatencyResult[] = [];
    for (const workload of want('latency') ? workloads(reflect.modal, seed) : []) {
      const t = performance.now();
      const result = await measureLatency(workload, bot, floor, plan.latency);
      latency.push(result);
      say(`latency ${workload.label}: bot p50 ${round(result.bot.p50)} / p99 ${round(result.bot.p99)} ms, floor p50 ${round(result.floor.p50)} / p99 ${round(result.floor.p99)} ms (${round((performance.now() - t) / 1000, 1)} s)`);
    }
    const rssAfter = {
      bot: bot.memoryAt20k ?? (await memoryPoint(bot.proc!)),
      floor: floor.memoryAt20k ?? (await memoryPoint(floor.proc!)),
      interactions: bot.memoryAt20k !== undefined ? 20_000 : Math.min(bot.interactions, floor.interactions),
    };
    await stopSide(bot);
    await stopSide(floor);

    // Export: seed through the reflection service, then sqlite3 vs each format; then one inside the bot under load.
    let t = performance.now();
    let exports: ExportResult | null = null;
    let underLoad: UnderLoad | null = null;
    if (want('export') || want('bot-export')) {
      seedReflections(dbPath, bot.discord.ids.guild, plan.exportRows, seed);
      say(`seeded ${plan.exportRows} reflections in ${round((performance.now() - t) / 1000, 1)} s`);
    }
    if (want('export')) {
      const haveSqlite = sqliteAvailable();
      if (!haveSqlite) say('NOTE: the sqlite3 command line tool is missing, so the export floor is skipped. Install it with: apt-get install -y sqlite3 (Debian/Ubuntu) or brew install sqlite (macOS).');
      exports = await measureExports(dbPath, bot.discord.ids.guild, plan.exportRows, dir, plan.exportRepeats, haveSqlite);
      say(`export: sqlite3 ${exports.floorMs === null ? 'skipped' : `${round(exports.floorMs, 0)} ms`}; ${exports.formats.map((f) => `${f.format} ${round(f.ms, 0)} ms`).join(', ')}`);
    }
    if (want('bot-export')) {
      // The latency runs left some 30,000 interactions' requests and replies in each local Discord's memory;
      // the bench process collecting that garbage competed with the bot for the two cores during the export.
      for (const discord of discords) discord.server.forgetHistory();
      underLoad = await exportUnderLoad(bot, dbPath);
      say(`export in the bot: ${round(underLoad.exportMs, 0)} ms; event loop max ${round(underLoad.elMaxMs, 1)} ms (longest GC pause ${round(underLoad.gcMaxMs, 1)} ms, ${underLoad.gcKind || 'none'}); /chapter p99 idle ${round(underLoad.idleP99)} ms, during ${round(underLoad.duringP99)} ms`);
      await stopSide(bot);
    }

    let writes: WritesResult | null = null;
    if (want('writes')) {
      t = performance.now();
      writes = await measureWritesApart(dir, plan.writes);
      say(`durable writes: service ${round(writes.bot, 0)}/s, raw ${round(writes.floor, 0)}/s (${round((performance.now() - t) / 1000, 1)} s)`);
    }

    const results = report({ starts, rssReady, rssAfter, latency, exports, underLoad, writes, seconds: (performance.now() - started) / 1000 });
    // A --quick, --only or --pace first-response run is a smoke test, a partial one or another kind: it never replaces the last full results.
    if (!quick && only === null && pace === 'visible') {
      writeFileSync(join(root, 'bench/results.json'), `${JSON.stringify(results, null, 2)}\n`);
      say('\nwritten: bench/results.json');
    }
  } finally {
    await stopSide(bot).catch(() => undefined);
    await stopSide(floor).catch(() => undefined);
    for (const discord of discords) await discord.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

interface UnderLoad {
  exportMs: number;
  rows: string;
  elMaxMs: number;
  /** The longest garbage-collection pause while the export ran, and its kind: a GC pause also blocks the event loop. */
  gcMaxMs: number;
  gcKind: string;
  maxRss: number;
  idleP99: number;
  duringP99: number;
  during: number;
  failed: number;
}

/** A moderator's /export reflections (CSV) inside the running bot while members keep asking /chapter. */
async function exportUnderLoad(bot: Side, dbPath: string): Promise<UnderLoad> {
  spawnSide(bot, dbPath);
  await bot.discord.waitFor(() => bot.discord.botConnected, { timeoutMs: 60_000, what: 'the bot to reconnect' });
  const chapter = (i: number) => bot.discord.interact.chatInput({ name: 'chapter', options: { chapter: String((i % 5) + 1) } });
  // The idle p99 is the yardstick of the one during the export, so it is measured as carefully: after a warm-up
  // (the process has just started), over about as many interactions as the export sees (300 gave idle p99s of
  // 2.9-9.3 ms from run to run, its third-slowest sample).
  for (let i = 0; i < plan.idleWarmup; i++) await chapter(i);
  const idle: number[] = [];
  for (let i = 0; i < plan.idleChapter; i++) {
    const h = await chapter(i);
    idle.push(h.record.timing.responded! - h.record.timing.sent);
  }
  await bot.proc!.ask('el-reset');
  const handle = await bot.discord.interact.chatInput({ name: 'export', subcommand: 'reflections', options: { format: 'csv' }, as: 'moderator', timeoutMs: 10_000 });
  let done = false;
  // Capped: an export that never completes is reported as such (time = the cap) instead of holding the bench.
  let finished = true;
  // Done when the summary (sent last, after every part) arrives. Not settled(): that waits for the whole local
  // Discord to go quiet, which never happens while the /chapter loop below runs, so every export read as unfinished.
  const settled = bot.discord
    .waitFor(() => handle.messages().some((m) => /\*\*[\d,]+ reflections?\*\* exported/.test(m.content)) || undefined, { timeoutMs: 120_000, what: 'the export summary' })
    .catch(() => (finished = false))
    .finally(() => (done = true));
  const during: number[] = [];
  let failed = 0;
  for (let i = 0; !done; i++) {
    try {
      const h = await chapter(i);
      during.push(h.record.timing.responded! - h.record.timing.sent);
    } catch {
      failed += 1;
    }
  }
  await settled;
  const exportMs = (handle.record.lastActivity - handle.record.createdAt);
  const el = await bot.proc!.ask<{ maxMs: number; gcMaxMs: number; gcKind: string }>('el-stats');
  const { maxRss } = await bot.proc!.ask<{ maxRss: number }>('max-rss');
  const text = handle.messages().map((m) => m.content).join(' ');
  return { exportMs: finished ? exportMs : Number.POSITIVE_INFINITY, rows: /\*\*([\d,]+) reflections\*\*/.exec(text)?.[1] ?? '?', elMaxMs: el.maxMs, gcMaxMs: el.gcMaxMs, gcKind: el.gcKind, maxRss, idleP99: percentile(idle, 99), duringP99: percentile(during, 99), during: during.length, failed };
}

interface Collected {
  starts: { bot: number[]; floor: number[] };
  rssReady: { bot: MemoryPoint; floor: MemoryPoint };
  rssAfter: { bot: MemoryPoint; floor: MemoryPoint; interactions: number };
  latency: LatencyResult[];
  exports: ExportResult | null;
  underLoad: UnderLoad | null;
  writes: WritesResult | null;
  seconds: number;
}

function report(c: Collected) {
  const rows: { measure: string; bot: string; floor: string; ratio: string; target: string; met: boolean | null }[] = [];
  const add = (measure: string, bot: number, floor: number | null, unit: string, target: string, met: boolean | null, digits = 2) =>
    rows.push({ measure, bot: `${round(bot, digits)} ${unit}`, floor: floor === null ? '-' : `${round(floor, digits)} ${unit}`, ratio: floor === null ? '-' : `${round(bot / floor, 2)}x`, target, met });

  for (const l of c.latency) {
    add(`${l.label} p50 (first response)`, l.bot.p50, l.floor.p50, 'ms', '≤ 1.5x', l.bot.p50 <= 1.5 * l.floor.p50);
    add(`${l.label} p99 (first response)`, l.bot.p99, l.floor.p99, 'ms', '≤ 2x', l.bot.p99 <= 2 * l.floor.p99);
    if (l.bot.visibleP50 !== l.bot.p50 || l.bot.visibleP99 !== l.bot.p99) {
      add(`${l.label} p50 / p99 to the visible reply`, l.bot.visibleP50, l.floor.visibleP50, 'ms', 'info', null);
      add(`  (p99)`, l.bot.visibleP99, l.floor.visibleP99, 'ms', 'info', null);
    }
  }
  const floorMs = c.exports?.floorMs ?? null;
  for (const f of c.exports?.formats ?? []) {
    add(`export ${c.exports!.rows} rows, ${f.format} (vs sqlite3 CSV)`, f.ms, floorMs, 'ms', '≤ 2x', floorMs === null ? null : f.ms <= 2 * floorMs, 0);
    add(`  peak RSS, ${f.format}`, mb(f.maxRss), null, 'MB', '< 200 MB', mb(f.maxRss) < 200, 1);
    add(`  longest event-loop block, ${f.format}`, f.elMaxMs, null, 'ms', '≤ 50 ms', f.elMaxMs <= 50, 1);
  }
  const u = c.underLoad;
  if (u) {
    add(`export inside the bot (csv, ${u.rows} rows): time`, u.exportMs, null, 'ms', 'info', null, 0);
    add('  bot peak RSS during it', mb(u.maxRss), null, 'MB', '< 200 MB', mb(u.maxRss) < 200, 1);
    add('  bot longest event-loop block', u.elMaxMs, null, 'ms', '≤ 50 ms', u.elMaxMs <= 50, 1);
    add(`  bot longest GC pause in that time (${u.gcKind || 'none'})`, u.gcMaxMs, null, 'ms', 'info', null, 1);
    add(`  concurrent /chapter p99 (${u.during} during, ${u.failed} failed) vs idle p99`, u.duringP99, u.idleP99, 'ms', '≤ 1.5x', u.failed === 0 && u.duringP99 <= 1.5 * u.idleP99);
  }
  const w = c.writes;
  if (w) {
    add(`durable writes/s (synchronous=${w.synchronous === 2 ? 'FULL' : w.synchronous})`, w.bot, w.floor, '/s', '≥ 0.7x', w.bot >= 0.7 * w.floor, 0);
    add('  durable writes/s vs raw inserts into the same reflections schema', w.bot, w.sameSchema, '/s', 'info', null, 0);
  }
  const ready = { bot: c.rssReady.bot.rss, floor: c.rssReady.floor.rss };
  const after = { bot: c.rssAfter.bot.rss, floor: c.rssAfter.floor.rss };
  add('RSS after READY', mb(ready.bot), mb(ready.floor), 'MB', '≤ 1.3x', ready.bot <= 1.3 * ready.floor, 1);
  if (c.latency.length > 0) {
    add(`RSS after ${c.rssAfter.interactions} interactions`, mb(after.bot), mb(after.floor), 'MB', '≤ 1.3x', after.bot <= 1.3 * after.floor, 1);
    const growth = after.bot / ready.bot - 1;
    rows.push({ measure: 'bot RSS growth READY → after', bot: `${round(growth * 100, 1)} %`, floor: `${round((after.floor / ready.floor - 1) * 100, 1)} %`, ratio: '-', target: '< 10 %', met: growth < 0.1 });
    // Where the growth is: anonymous memory (V8's heap is part of it) or file-backed pages (code mapped from
    // the node binary and libraries, which the kernel may have dropped from memory before READY).
    const grew = (side: 'bot' | 'floor') => {
      const [a, b] = [c.rssReady[side], c.rssAfter[side]];
      const signed = (bytes: number) => `${bytes >= 0 ? '+' : ''}${round(mb(bytes), 1)}`;
      return `${signed(b.anon - a.anon)} / ${signed(b.file - a.file)} / ${signed(b.v8Heap - a.v8Heap)} MB`;
    };
    rows.push({ measure: '  growth: anonymous / file-backed / V8 heap', bot: grew('bot'), floor: grew('floor'), ratio: '-', target: 'info', met: null });
  }
  add('start → commands answered', median(c.starts.bot), median(c.starts.floor), 'ms', '≤ 1.5x', median(c.starts.bot) <= 1.5 * median(c.starts.floor), 0);

  const widths = ['measure', 'bot', 'floor', 'ratio', 'target', 'met'].map((key) => Math.max(key.length, ...rows.map((r) => String(r[key as keyof typeof r] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((cell, i) => cell.padEnd(widths[i]!)).join(' | ')} |`;
  say('');
  say(line(['measure', 'bot', 'floor', 'ratio', 'target', 'met']));
  say(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of rows) say(line([r.measure, r.bot, r.floor, r.ratio, r.target, r.met === null ? '' : r.met ? 'yes' : 'NO']));
  say(`\n${machine.nproc} × ${machine.cpu}, Node ${machine.node}; ${round(c.seconds, 0)} s in all.`);
  return { date: new Date().toISOString(), quick, seed, machine, plan, seconds: round(c.seconds, 1), table: rows, raw: c };
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
