import { existsSync } from 'node:fs';
import type { Config } from './config.js';
import type { Logger } from './logger.js';
import type { RunningApp } from './app.js';
import { runFromEnvironment } from './run.js';
import { explainStartFailure } from './start-failure.js';

/**
 * The entry point of `npm start`. With a DISCORD_TOKEN it runs the bot against Discord (or whatever
 * DISCORD_API_URL points at); without one it starts the local playground. The body is
 * `runFromEnvironment` (src/run.ts), which the end-to-end tests call too.
 */
async function main(): Promise<void> {
  if (existsSync('.env')) process.loadEnvFile('.env');
  const outcome = await runFromEnvironment(process.env, {
    onLogger: (log) => installProcessGuards(log),
    onStarted: (app, config, log) => installShutdown(app, config, log),
  });
  if (outcome.kind === 'invalid-config') process.exitCode = 1;
}

function installProcessGuards(log: Logger): void {
  // A stray rejection is a bug to fix, not a reason to drop every member's interaction: log it and serve on.
  process.on('unhandledRejection', (reason) => log.error({ err: reason }, 'unhandled promise rejection'));
  process.on('uncaughtException', (error) => {
    log.fatal({ err: error }, 'uncaught exception; exiting so the supervisor restarts a clean process');
    log.flush();
    process.exit(1);
  });
}

function installShutdown(app: RunningApp, config: Config, log: Logger): void {
  const shutdown = (signal: NodeJS.Signals) => {
    log.info({ signal }, 'signal received');
    const timer = setTimeout(() => {
      log.error('shutdown took too long; exiting');
      process.exit(1);
    }, config.SHUTDOWN_TIMEOUT_MS);
    timer.unref();
    app.stop().then(
      () => {
        log.flush();
        process.exit(0);
      },
      (error: unknown) => {
        log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
  // Stopped because another copy holds the lease now: exit non-zero so the supervisor restarts this one,
  // which then waits as the standby copy instead of lingering with nothing to do.
  void app.lostLease.then(() => {
    log.flush();
    process.exit(1);
  });
}

main().catch((error: unknown) => {
  const apiUrl = process.env.DISCORD_API_URL?.trim() || 'https://discord.com/api';
  process.stderr.write(`reading-circle stopped: ${explainStartFailure(error, apiUrl)}\n`);
  process.exitCode = 1;
});
