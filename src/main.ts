import { existsSync } from 'node:fs';
import { loadConfig, type Config } from './config.js';
import { createLogger, type Logger } from './logger.js';
import { startApp, type RunningApp } from './app.js';

/**
 * The entry point of `npm start`. With a DISCORD_TOKEN it runs the bot against Discord (or whatever
 * DISCORD_API_URL points at); without one it starts the local playground.
 */
async function main(): Promise<void> {
  if (existsSync('.env')) process.loadEnvFile('.env');
  const result = loadConfig(process.env);
  if (!result.ok) {
    process.stderr.write(`reading-circle cannot start. Please fix these settings (see .env.example):\n${result.problems.map((p) => `  - ${p}`).join('\n')}\n`);
    process.exitCode = 1;
    return;
  }
  const config = result.config;
  const log = createLogger(config.LOG_LEVEL);
  installProcessGuards(log);

  if (!config.DISCORD_TOKEN) {
    const { runPlayground } = await import('./playground/run.js');
    await runPlayground(config, log);
    return;
  }

  const app = await startApp({ config, log, token: config.DISCORD_TOKEN });
  installShutdown(app, config, log);
  await app.ready;
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
}

main().catch((error: unknown) => {
  process.stderr.write(`reading-circle stopped: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
