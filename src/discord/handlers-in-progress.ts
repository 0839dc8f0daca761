import { systemTimers, type Timers } from '../clock.js';

/**
 * The interactions the router is still answering. A shutdown lets them finish before the database closes:
 * the router acknowledges first and writes after (a modal's reflection is saved once its defer is answered),
 * so closing at once would lose a member's text in that window.
 */
export interface HandlersInProgress {
  track(handling: Promise<void>): void;
  count(): number;
  /** Resolves when every tracked handler has settled, or after `maxMs` with how many had not (0 when all did). */
  drain(maxMs: number): Promise<number>;
}

export function createHandlersInProgress(timers: Timers = systemTimers): HandlersInProgress {
  const running = new Set<Promise<void>>();
  return {
    track(handling) {
      running.add(handling);
      void handling.finally(() => running.delete(handling));
    },
    count: () => running.size,
    async drain(maxMs) {
      if (running.size === 0) return 0;
      let timer: unknown;
      let timedOut = false;
      const waited = new Promise<void>((resolve) => {
        timer = timers.setTimeout(() => {
          timedOut = true;
          resolve();
        }, maxMs);
      });
      // Work may start while draining (a post a finishing handler set off): waited for too, within the same time.
      while (running.size > 0 && !timedOut) await Promise.race([Promise.allSettled([...running]), waited]);
      timers.clearTimeout(timer);
      return running.size;
    },
  };
}
