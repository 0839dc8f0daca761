import type { Readable, Writable } from 'node:stream';
import type { DestinationStream } from 'pino';
import { startApp, type RunningApp } from './app.js';
import type { Clock } from './clock.js';
import { loadConfig, type Config } from './config.js';
import type { CommandModule } from './discord/command.js';
import { createLogger, type Logger } from './logger.js';

/**
 * The one entry function behind `npm start` (main.ts) and the end-to-end tests: configured by the
 * environment alone, with a few seams tests use (clock, command list, log destination, terminal streams).
 */

export interface RunDeps {
  clock?: Clock;
  /** Replaces the command registry (tests add a throwing command, for example). */
  commands?: readonly CommandModule[];
  /** Where the JSON logs go (default stdout; the playground: stderr). */
  logDestination?: DestinationStream;
  /** Terminal streams for the playground and the settings problems (default the process's). */
  stdin?: Readable;
  stdout?: Writable;
  stderr?: Writable;
  /** Whether stdin is an interactive terminal (default: process.stdin.isTTY). */
  interactive?: boolean;
  /** Called once the logger exists (main.ts installs its process guards here). */
  onLogger?: (log: Logger) => void;
  /** Called once the bot is logging in, before it is ready (main.ts installs its signal handlers here). */
  onStarted?: (app: RunningApp, config: Config, log: Logger) => void;
}

export type RunOutcome =
  | { kind: 'invalid-config'; problems: string[] }
  | { kind: 'playground-finished' }
  | { kind: 'running'; app: RunningApp; config: Config; log: Logger };

export async function runFromEnvironment(env: Record<string, string | undefined>, deps: RunDeps = {}): Promise<RunOutcome> {
  const stderr = deps.stderr ?? process.stderr;
  const result = loadConfig(env);
  if (!result.ok) {
    stderr.write(`reading-circle cannot start. Please fix these settings (see .env.example):\n${result.problems.map((p) => `  - ${p}`).join('\n')}\n`);
    return { kind: 'invalid-config', problems: result.problems };
  }
  const config = result.config;

  if (!config.DISCORD_TOKEN) {
    // The playground keeps the terminal readable: warnings and errors only, to stderr, unless LOG_LEVEL is set.
    const level = env.LOG_LEVEL?.trim() ? config.LOG_LEVEL : 'warn';
    const log = createLogger(level, deps.logDestination ?? createStderrDestination());
    deps.onLogger?.(log);
    const { runPlayground } = await import('./playground/run.js');
    await runPlayground(config, log, { ...deps, explicitDatabase: Boolean(env.DATABASE_PATH?.trim()) });
    return { kind: 'playground-finished' };
  }

  const log = createLogger(config.LOG_LEVEL, deps.logDestination);
  deps.onLogger?.(log);
  const app = await startApp({ config, log, token: config.DISCORD_TOKEN, clock: deps.clock, commands: deps.commands });
  deps.onStarted?.(app, config, log);
  await app.ready;
  return { kind: 'running', app, config, log };
}

function createStderrDestination(): DestinationStream {
  return { write: (line: string) => void process.stderr.write(line) };
}
