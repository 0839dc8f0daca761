import { runFromEnvironment } from '../../src/run.js';
import { answerBench } from './child-side.js';

/**
 * The real bot as the bench runs it: `runFromEnvironment`, the body of `npm start`, in its own process (so
 * its RSS is its own), plus the bench's IPC answers (the floor bot carries the same). Logs at the configured
 * level go to stdout, which the bench discards.
 */
answerBench();
process.on('unhandledRejection', (reason) => process.stderr.write(`bot: unhandled rejection: ${String(reason)}\n`));
// A graceful stop, as `npm start` does on SIGTERM: the single-instance lease is released, so the next start need not wait it out.
runFromEnvironment(process.env, {
  onStarted: (app) =>
    process.once('SIGTERM', () => {
      void app.stop().finally(() => process.exit(0));
    }),
}).then(
  (outcome) => {
    if (outcome.kind !== 'running') {
      process.stderr.write(`bot did not start: ${outcome.kind}\n`);
      process.exit(1);
    }
  },
  (error: unknown) => {
    process.stderr.write(`bot failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
