import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { RunDeps } from '../run.js';

// Placeholder until the playground lands (next commit).
export function runPlayground(_config: Config, _log: Logger, _deps: RunDeps & { explicitDatabase: boolean }): Promise<void> {
  return Promise.reject(new Error('No DISCORD_TOKEN is set, and the local playground is not built yet. Set DISCORD_TOKEN in .env.'));
}
