import type { Config } from '../config.js';
import type { Logger } from '../logger.js';

// Placeholder until the "Local Discord" issue lands the playground.
export function runPlayground(_config: Config, _log: Logger): Promise<void> {
  return Promise.reject(new Error('No DISCORD_TOKEN is set, and the local playground is not built yet. Set DISCORD_TOKEN in .env.'));
}
