import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay, PerformanceObserver, type IntervalHistogram } from 'node:perf_hooks';
import { getHeapSpaceStatistics, getHeapStatistics } from 'node:v8';

/**
 * The half of the bench protocol that runs inside a measured process (the bot or the floor bot): it answers
 * the bench's questions over the IPC channel. Both bots load exactly this, so its cost is on both sides.
 *
 *   { q: 'el-reset' }  → { ok: true }             starts a fresh event-loop delay histogram and GC record
 *   { q: 'el-stats' }  → { maxMs, p99Ms, meanMs, gcMaxMs, gcKind } the longest event-loop block since the
 *                        reset, and the longest garbage-collection pause in that time (and its kind)
 *   { q: 'max-rss' }   → { maxRss }               peak RSS of the process so far (bytes)
 *   { q: 'mem' }       → { usage, heap, spaces, status } a breakdown of the RSS: process.memoryUsage(), V8's heap
 *                        and per-space statistics, and the kernel's view (/proc/self/status: RssAnon, RssFile, RssShmem)
 */
export function answerBench(): void {
  if (!process.send) return;
  let histogram: IntervalHistogram | undefined;
  let gc: { observer: PerformanceObserver; maxMs: number; kind: string } | undefined;
  process.on('message', (message: { id: number; q: string }) => {
    let answer: Record<string, unknown>;
    switch (message.q) {
      case 'max-rss':
        answer = { maxRss: process.resourceUsage().maxRSS * 1024 };
        break;
      case 'mem':
        answer = memoryBreakdown();
        break;
      case 'el-reset':
        histogram?.disable();
        histogram = monitorEventLoopDelay({ resolution: 5 });
        histogram.enable();
        gc?.observer.disconnect();
        gc = longestGcPause();
        answer = { ok: true };
        break;
      case 'el-stats':
        answer = histogram
          ? { maxMs: histogram.max / 1e6, p99Ms: histogram.percentile(99) / 1e6, meanMs: histogram.mean / 1e6, gcMaxMs: gc?.maxMs ?? Number.NaN, gcKind: gc?.kind ?? '' }
          : { maxMs: Number.NaN, p99Ms: Number.NaN, meanMs: Number.NaN, gcMaxMs: Number.NaN, gcKind: '' };
        break;
      default:
        answer = { error: `unknown question ${message.q}` };
    }
    process.send?.({ id: message.id, ...answer });
  });
  process.send({ ready: 'process' });
}

/** Node's names for `detail.kind` of a 'gc' performance entry (perf_hooks constants NODE_PERFORMANCE_GC_*). */
const GC_KINDS: Record<number, string> = { 1: 'scavenge', 2: 'mark-compact', 4: 'incremental marking', 8: 'weak callbacks' };

/** Records the longest garbage-collection pause from now on, so a long event-loop block can be told apart from GC. */
function longestGcPause(): { observer: PerformanceObserver; maxMs: number; kind: string } {
  const record = {
    observer: new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        if (entry.duration <= record.maxMs) continue;
        record.maxMs = entry.duration;
        const kind = (entry as unknown as { detail?: { kind?: number } }).detail?.kind;
        record.kind = kind === undefined ? 'unknown' : (GC_KINDS[kind] ?? String(kind));
      }
    }),
    maxMs: 0,
    kind: '',
  };
  record.observer.observe({ entryTypes: ['gc'] });
  return record;
}

/** What the RSS is made of, from V8's side and the kernel's (bytes throughout). */
function memoryBreakdown(): Record<string, unknown> {
  const status: Record<string, number> = {};
  try {
    for (const line of readFileSync('/proc/self/status', 'utf8').split('\n')) {
      const match = /^(Vm\w+|Rss\w+):\s+(\d+) kB/.exec(line);
      if (match) status[match[1]!] = Number(match[2]) * 1024;
    }
  } catch {
    // Not Linux: the kernel's breakdown is left out.
  }
  return {
    usage: process.memoryUsage(),
    heap: getHeapStatistics(),
    spaces: getHeapSpaceStatistics().map((s) => ({ name: s.space_name, size: s.space_size, used: s.space_used_size, physical: s.physical_space_size })),
    status,
  };
}
