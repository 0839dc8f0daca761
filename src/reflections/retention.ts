import type { Clock } from '../clock.js';
import type { DataEraser } from '../erasure.js';
import type { Logger } from '../logger.js';
import type { ReflectionService } from './service.js';

export interface RetentionDeps {
  reflections: ReflectionService;
  erasers: readonly DataEraser[];
  clock: Clock;
  log: Logger;
  days: number;
}

export interface PurgeOutcome {
  erased: { name: string; count: number }[];
  failed: { name: string; error: string }[];
}

/** Calls every registered eraser for one server, then makes the deletions unrecoverable on disk. */
export function purgeGuildData(deps: Pick<RetentionDeps, 'reflections' | 'erasers' | 'log'>, guildId: string): PurgeOutcome {
  const outcome: PurgeOutcome = { erased: [], failed: [] };
  for (const eraser of deps.erasers) {
    try {
      outcome.erased.push({ name: eraser.name, count: eraser.purgeGuild(guildId) });
    } catch (error) {
      deps.log.error({ err: error, guildId, eraser: eraser.name }, 'server purge: an eraser failed');
      outcome.failed.push({ name: eraser.name, error: error instanceof Error ? error.message : String(error) });
    }
  }
  deps.reflections.checkpoint();
  return outcome;
}

/** Calls every registered eraser for one member in one server, then checkpoints. */
export function forgetMemberData(deps: Pick<RetentionDeps, 'reflections' | 'erasers' | 'log'>, guildId: string, userId: string): PurgeOutcome {
  const outcome: PurgeOutcome = { erased: [], failed: [] };
  for (const eraser of deps.erasers) {
    try {
      outcome.erased.push({ name: eraser.name, count: eraser.forgetMember(guildId, userId) });
    } catch (error) {
      deps.log.error({ err: error, guildId, eraser: eraser.name }, 'forget-me: an eraser failed');
      outcome.failed.push({ name: eraser.name, error: error instanceof Error ? error.message : String(error) });
    }
  }
  deps.reflections.checkpoint();
  return outcome;
}

/**
 * Erases the data of every server the bot was removed from at least RETENTION_DAYS_AFTER_REMOVAL days ago.
 * A server that adds the bot back before then keeps its data (GuildCreate clears the removal mark).
 */
export function runRetention(deps: RetentionDeps): string[] {
  const due = deps.reflections.dueForErasure(deps.clock.now(), deps.days);
  for (const guildId of due) {
    const outcome = purgeGuildData(deps, guildId);
    deps.log.info({ guildId, erased: outcome.erased, failed: outcome.failed.map((f) => f.name) }, 'retention: erased the data of a server the bot left');
  }
  return due;
}

/** Runs the retention sweep now and then every `everyMs`; returns a stop function. */
export function startRetention(deps: RetentionDeps, everyMs = 3_600_000): () => void {
  const sweep = () => {
    try {
      runRetention(deps);
    } catch (error) {
      deps.log.error({ err: error }, 'retention sweep failed');
    }
  };
  sweep();
  const timer = setInterval(sweep, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
