import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import type { runExportCli as RunExportCli } from '../../src/export/cli.js';
import { npmScriptCommand } from './proc.js';

/**
 * `npm run export` as the bench runs it: the script's own entry (the bundle, dist/bot/export-cli.js), loaded
 * in its own process and run through the function it exports, so this process can report its peak RSS and
 * the longest event-loop block of the export itself (from the call on: the entry's loading is start-up, not
 * export work) over IPC when done. Arguments are the export CLI's.
 */
const entry = pathToFileURL(npmScriptCommand('export').entry).href;
const { runExportCli } = (await import(entry)) as { runExportCli: typeof RunExportCli };
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
