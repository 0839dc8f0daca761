import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import { runExportCli } from '../../src/export/cli.js';

/**
 * `npm run export` as the bench runs it: the same function, in its own process, reporting its peak RSS
 * and longest event-loop block over IPC when done. Arguments are the export CLI's.
 */
const histogram = monitorEventLoopDelay({ resolution: 5 });
histogram.enable();
const sink = new Writable({ write: (_chunk, _encoding, callback) => callback() });
const started = performance.now();
runExportCli(process.argv.slice(2), { stdout: process.stdout, stderr: sink, env: process.env }).then(
  (code) => {
    histogram.disable();
    process.send?.({ done: true, code, ms: performance.now() - started, maxRss: process.resourceUsage().maxRSS * 1024, elMaxMs: histogram.max / 1e6 }, () => process.exit(code));
  },
  (error: unknown) => {
    process.stderr.write(`export child failed: ${String(error)}\n`);
    process.exit(1);
  },
);
