import { Cron } from 'croner';
import type { Logger } from '../logger.js';
import { cronPattern } from './due.js';
import type { PromptService } from './service.js';

/**
 * Wakes the bot to post. croner 11 (with the group's IANA zone) fires at each posting time, and a slow
 * poll (SCHEDULER_POLL_MS) catches everything else: retries, a posting time passed while the process was
 * down, a timer that did not fire. Neither decides anything: each wake-up asks the service, which reads
 * the ledger in SQLite, so a spare wake-up posts nothing and a missed one is caught by the next.
 */
export interface PromptScheduler {
  start(): void;
  /** Stops every timer and waits for a post in progress to finish. */
  stop(): Promise<void>;
  /** Wakes the check for every scheduled server now (also what start does). */
  checkAll(): Promise<void>;
}

export interface SchedulerOptions {
  service: PromptService;
  log: Logger;
  pollMs: number;
}

export function createPromptScheduler(options: SchedulerOptions): PromptScheduler {
  const { service, pollMs } = options;
  const log = options.log.child({ job: 'prompt-scheduler' });
  const crons = new Map<string, Cron>();
  const running = new Set<Promise<unknown>>();
  let poll: NodeJS.Timeout | undefined;
  let unsubscribe: (() => void) | undefined;
  let stopped = true;

  const check = (guildId: string, why: string) => {
    if (stopped) return;
    const job = service
      .tick(guildId)
      .then((result) => {
        if (result.kind !== 'idle' && result.kind !== 'complete' && result.kind !== 'paused') log.info({ guildId, why, result }, 'weekly prompt check');
      })
      .catch((error: unknown) => log.error({ err: error, guildId }, 'weekly prompt check failed'));
    running.add(job);
    void job.finally(() => running.delete(job));
  };

  const arm = (guildId: string) => {
    crons.get(guildId)?.stop();
    crons.delete(guildId);
    if (stopped) return;
    const weekly = service.weeklyTime(guildId);
    if (!weekly) return;
    const cron = new Cron(
      cronPattern(weekly),
      {
        timezone: weekly.timezone,
        name: `prompt-${guildId}`,
        protect: true,
        unref: true,
        catch: (error: unknown) => log.error({ err: error, guildId }, 'prompt timer failed'),
      },
      () => check(guildId, 'posting time'),
    );
    crons.set(guildId, cron);
    log.debug({ guildId, next: cron.nextRun()?.toISOString() }, 'prompt timer armed');
  };

  const checkAll = async () => {
    for (const guildId of service.scheduledGuilds()) check(guildId, 'poll');
    // Also servers with a week in flight but a paused schedule: the service decides what to do.
    await Promise.all([...running]);
  };

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      for (const guildId of service.scheduledGuilds()) arm(guildId);
      unsubscribe = service.onChange((guildId) => {
        arm(guildId);
        check(guildId, 'schedule changed');
      });
      poll = setInterval(() => {
        void checkAll();
      }, pollMs);
      poll.unref();
      void checkAll();
      log.info({ servers: crons.size, pollMs }, 'weekly prompt scheduler started');
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      unsubscribe?.();
      if (poll) clearInterval(poll);
      for (const cron of crons.values()) cron.stop();
      crons.clear();
      await Promise.all([...running]);
    },
    checkAll,
  };
}
