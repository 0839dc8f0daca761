/**
 * Members' interactions come before an export. The router counts each interaction in while the bot is
 * answering it; an export's reader thread, reading on another core, checks the count between rows and
 * steps aside for a moment while it is above zero. That takes the reader's work, and the garbage collection
 * its work causes, off the two cores just while a member is waiting for an answer.
 *
 * Measured with `npm run bench` on 2 cores, during a CSV export of 100,000 reflections inside the bot while
 * /chapter kept arriving, one after another: the /chapter p99 was 1.48-2.39x its idle p99 without this (5
 * runs), and 1.00-1.62x with it (12 runs, 11 of them under 1.5x). The export is what pays, and only under such
 * a flood: 14-17 s instead of 3.5-5.9 s. With no interaction in flight the reader never pauses, so an export in a
 * quiet server, and the shell export (which has no members), run at full speed.
 */

/** The counter's one cell (Int32): interactions being answered. */
const IN_FLIGHT = 0;

/**
 * How long a reader steps aside at a time, and how long it then reads before it will step aside again. Under
 * interactions without end the reader still reads a fifth of the time, so the export always finishes.
 * Measured as above, on a prototype of this: pausing 2 ms after at least 1 ms of reading gave 1.24-1.72x
 * (export 11-13 s, 4 runs); 1 ms after 0.25 ms, 1.33-1.36x (15-16 s, 2 runs); these, 1.07-1.10x (3 runs).
 */
export const STEP_ASIDE = { pauseMs: 2, runMs: 0.5 } as const;

/** The bot's side: the count the router keeps, shared with the export's reader threads. */
export interface InteractionsInFlight {
  /** What reader threads are given (it is shared, not copied, when posted to a thread). */
  readonly buffer: SharedArrayBuffer;
  /** Counts one interaction in; the returned function counts it out, once however often it is called. */
  enter(): () => void;
  /** Interactions being answered now. */
  count(): number;
}

export function createInteractionsInFlight(): InteractionsInFlight {
  const buffer = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT);
  const cells = new Int32Array(buffer);
  return {
    buffer,
    enter() {
      Atomics.add(cells, IN_FLIGHT, 1);
      let left = false;
      return () => {
        if (left) return;
        left = true;
        Atomics.sub(cells, IN_FLIGHT, 1);
      };
    },
    count: () => Atomics.load(cells, IN_FLIGHT),
  };
}

export interface StepAsideOptions {
  pauseMs: number;
  runMs: number;
  /** Milliseconds on a monotonic clock (tests pass their own). */
  now?: () => number;
  /** Blocks this thread for `ms` (tests pass their own). */
  sleep?: (ms: number) => void;
  /** Hears of each pause, once it is over (a reader thread counts them for its export's log line). */
  onPause?: () => void;
}

/**
 * A reader thread's side: called between rows, it returns at once while no interaction is in flight, and
 * otherwise blocks the thread for `pauseMs`, unless it paused less than `runMs` ago. It does not wait for the
 * count to reach zero: a reader that started again the moment one interaction ended ran into the next one
 * (the prototype's p99 was 1.23-1.72x when it did, 3 runs).
 */
export function stepAsideFor(buffer: SharedArrayBuffer, options: StepAsideOptions): () => void {
  const cells = new Int32Array(buffer);
  const now = options.now ?? (() => performance.now());
  const sleep = options.sleep ?? blockFor;
  let lastPauseEnded = Number.NEGATIVE_INFINITY;
  return () => {
    if (Atomics.load(cells, IN_FLIGHT) === 0) return;
    if (now() - lastPauseEnded < options.runMs) return;
    sleep(options.pauseMs);
    lastPauseEnded = now();
    options.onPause?.();
  };
}

/** A cell no one notifies, so Atomics.wait sleeps for exactly its timeout. */
const nap = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));

function blockFor(ms: number): void {
  Atomics.wait(nap, 0, 0, ms);
}
