import { systemTimers, type Timers } from '../clock.js';
import type { Logger } from '../logger.js';
import type { SyncResult } from './command-sync.js';
import { describeDiscordError, isMissingPermissions } from './errors.js';

/**
 * The longest wait between two attempts. A failure Discord will not mend by itself (a server that never
 * granted the `applications.commands` scope) is tried again hourly: cheap, and it picks up a fixed invite.
 */
export const MAX_REGISTRATION_RETRY_MS = 3_600_000;

export interface CommandRegistration {
  /** Settles once the first attempt is over, whatever its outcome: it never rejects. */
  first: Promise<void>;
  /** Cancels the next attempt (shutdown). An attempt already sent finishes but schedules nothing. */
  stop(): void;
}

/**
 * Registers the slash commands once the bot is logged in, and keeps trying when that fails. A failed
 * registration must not take down a bot that is already answering: the commands Discord holds from an
 * earlier start keep working, and members should not lose the bot over a 5xx or a missing scope. So a
 * failure is logged with when the next attempt comes, and retried after `retryMs`, doubling up to an hour.
 */
export function keepCommandsRegistered(options: { register: () => Promise<SyncResult>; log: Logger; retryMs: number; timers?: Timers }): CommandRegistration {
  const { register, log, retryMs } = options;
  const timers = options.timers ?? systemTimers;
  let stopped = false;
  let handle: unknown;
  let failures = 0;

  const attempt = async (): Promise<void> => {
    try {
      await register();
      if (failures > 0) log.info({ failedAttempts: failures }, 'command registration succeeded after a retry');
    } catch (error) {
      failures += 1;
      if (stopped) return;
      const retryInMs = Math.min(retryMs * 2 ** (failures - 1), MAX_REGISTRATION_RETRY_MS);
      log.error(
        {
          err: error,
          ...describeDiscordError(error),
          attempt: failures,
          retryInMs,
          ...(isMissingPermissions(error) ? { hint: 'invite the bot with both the bot and applications.commands scopes (README, "Running it for real", step 2)' } : {}),
        },
        'command registration failed; the bot keeps answering and tries again',
      );
      handle = timers.setTimeout(() => {
        handle = undefined;
        if (!stopped) void attempt();
      }, retryInMs);
    }
  };

  return {
    first: attempt(),
    stop: () => {
      stopped = true;
      if (handle !== undefined) timers.clearTimeout(handle);
      handle = undefined;
    },
  };
}
