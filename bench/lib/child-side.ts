import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

/**
 * The half of the bench protocol that runs inside a measured process (the bot or the floor bot): it answers
 * the bench's questions over the IPC channel. Both bots load exactly this, so its cost is on both sides.
 *
 *   { q: 'rss' }       → { rss }                  resident set size now (bytes)
 *   { q: 'el-reset' }  → { ok: true }             starts a fresh event-loop delay histogram
 *   { q: 'el-stats' }  → { maxMs, p99Ms, meanMs } the longest event-loop block since the reset
 *   { q: 'max-rss' }   → { maxRss }               peak RSS of the process so far (bytes)
 */
export function answerBench(): void {
  if (!process.send) return;
  let histogram: IntervalHistogram | undefined;
  process.on('message', (message: { id: number; q: string }) => {
    let answer: Record<string, unknown>;
    switch (message.q) {
      case 'rss':
        answer = { rss: process.memoryUsage.rss() };
        break;
      case 'max-rss':
        answer = { maxRss: process.resourceUsage().maxRSS * 1024 };
        break;
      case 'el-reset':
        histogram?.disable();
        histogram = monitorEventLoopDelay({ resolution: 5 });
        histogram.enable();
        answer = { ok: true };
        break;
      case 'el-stats':
        answer = histogram
          ? { maxMs: histogram.max / 1e6, p99Ms: histogram.percentile(99) / 1e6, meanMs: histogram.mean / 1e6 }
          : { maxMs: Number.NaN, p99Ms: Number.NaN, meanMs: Number.NaN };
        break;
      default:
        answer = { error: `unknown question ${message.q}` };
    }
    process.send?.({ id: message.id, ...answer });
  });
  process.send({ ready: 'process' });
}
