/**
 * Paces the edits of a streaming reply. An interaction's reply is edited through a webhook, which has its
 * own rate limit (about 5 requests per 2 seconds), so an answer arriving word by word is shown at most
 * once per `intervalMs`: an update that comes too soon, or while an edit is still in flight, is held, and
 * only the newest held one is sent. `finish` always sends the final version, after any edit in flight.
 *
 * No timers: an update is sent when one arrives late enough, and the final one when the answer is done,
 * so nothing fires after the reply is finished.
 */
export interface EditThrottle<T> {
  push(value: T): void;
  finish(value: T): Promise<void>;
  /** How many edits were sent (for tests and logs). */
  readonly sent: number;
}

export function createEditThrottle<T>(
  send: (value: T) => Promise<void>,
  options: { intervalMs: number; now: () => number; onError?: (error: unknown) => void },
): EditThrottle<T> {
  let last = Number.NEGATIVE_INFINITY;
  let inFlight: Promise<void> | undefined;
  let sent = 0;
  let finished = false;

  const start = (value: T): Promise<void> => {
    last = options.now();
    sent++;
    const attempt = send(value).catch((error: unknown) => options.onError?.(error));
    const tracked = attempt.finally(() => {
      if (inFlight === tracked) inFlight = undefined;
    });
    inFlight = tracked;
    return tracked;
  };

  return {
    push(value) {
      if (finished || inFlight) return;
      if (options.now() - last < options.intervalMs) return;
      void start(value);
    },
    async finish(value) {
      finished = true;
      if (inFlight) await inFlight;
      last = options.now();
      sent++;
      await send(value);
    },
    get sent() {
      return sent;
    },
  };
}
