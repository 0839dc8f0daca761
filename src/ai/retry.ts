import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from '@anthropic-ai/sdk/core/error';
// (Not the SDK's index: that would load all of the SDK at start even without a key; see client.ts.)

/**
 * The retry policy of /ask, owned here instead of left to the SDK (which is built with maxRetries 0):
 * the SDK retries every 429, including the monthly spend cap, which must stop at once.
 *
 * - retried: 408, 409, 429 (rate limits), 5xx, 529 overloaded, connection failures (a body cut off half-way
 *   included), our own per-call timeout (Claude silent for `timeoutMs`);
 * - never retried: the spend caps and billing errors, and every other 4xx (a request or setup problem);
 * - the wait honours `retry-after-ms`, then `retry-after`, else backs off 0.5 s · 2ⁿ (at most 8 s); after a
 *   timeout the next attempt starts at once;
 * - a wait the server asks for that is longer than `maxWaitMs` is not waited ('busy', on the last attempt too, for a
 *   retryable failure): a member would watch "thinking…" for a minute, then maybe get the dataset's answer anyway,
 *   so the caller answers at once and says Claude is busy;
 * - a wait that would end past the overall deadline is not waited: the caller falls back at once;
 * - `signal` (the bot shutting down) ends the attempt in flight, or the wait, at once: 'stopped'.
 */

export type FailureKind = 'spend-cap' | 'timeout' | 'overloaded' | 'rate-limited' | 'busy' | 'server' | 'connection' | 'request' | 'stopped';

export interface Failure {
  kind: FailureKind;
  retryable: boolean;
  status?: number;
  code?: string;
  /** What the server asked us to wait, if it said. */
  retryAfterMs?: number;
}

/** Error codes that mean "no more money this period": retrying cannot help. */
export const SPEND_CAP_CODES: ReadonlySet<string> = new Set([
  'enforced_spend_limit_reached',
  'contract_spend_limit_reached',
  'linked_organization_spend_limit_reached',
  'linked_organization_billing_unavailable',
]);

export class AskCallError extends Error {
  override readonly name = 'AskCallError';
  constructor(
    readonly failure: Failure,
    readonly attempts: number,
    options?: { cause?: unknown },
  ) {
    super(`Anthropic call failed (${failure.kind}${failure.status ? `, status ${failure.status}` : ''}) after ${attempts} attempt(s)`, options);
  }
}

function headerValue(headers: unknown, name: string): string | null {
  if (headers && typeof (headers as Headers).get === 'function') return (headers as Headers).get(name);
  return null;
}

/** `retry-after-ms` first, then `retry-after` (seconds or an HTTP date); undefined when absent or unreadable. */
export function retryAfterMs(headers: unknown, nowMs: number = Date.now()): number | undefined {
  const ms = headerValue(headers, 'retry-after-ms');
  if (ms !== null && ms.trim() !== '') {
    const value = Number(ms);
    if (Number.isFinite(value) && value >= 0) return value;
  }
  const after = headerValue(headers, 'retry-after');
  if (after !== null && after.trim() !== '') {
    const seconds = Number(after);
    if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
    const date = Date.parse(after);
    if (Number.isFinite(date)) return Math.max(0, date - nowMs);
  }
  return undefined;
}

/** Exponential back-off when the server named no wait: 0.5 s, 1 s, 2 s … at most 8 s, minus up to 25 % jitter. */
export function backoffMs(retryNumber: number, random: () => number = Math.random): number {
  const base = Math.min(500 * 2 ** retryNumber, 8000);
  return Math.round(base * (1 - 0.25 * random()));
}

export function classify(error: unknown, timedOut: boolean): Failure {
  if (timedOut || error instanceof APIConnectionTimeoutError) return { kind: 'timeout', retryable: true };
  if (error instanceof APIUserAbortError) return { kind: 'timeout', retryable: true };
  if (error instanceof APIConnectionError) return { kind: 'connection', retryable: true };
  if (error instanceof APIError) {
    const status: number | undefined = (error as APIError<number | undefined>).status;
    const code = error.errorCode ?? undefined;
    const after = retryAfterMs((error as APIError<number | undefined, Headers | undefined>).headers);
    const base = { ...(status !== undefined ? { status } : {}), ...(code !== undefined ? { code } : {}), ...(after !== undefined ? { retryAfterMs: after } : {}) };
    if ((code !== undefined && SPEND_CAP_CODES.has(code)) || status === 402 || error.type === 'billing_error') {
      return { kind: 'spend-cap', retryable: false, ...base };
    }
    // An error event inside a stream has no HTTP status; its type says what it was.
    if (status === 529 || error.type === 'overloaded_error') return { kind: 'overloaded', retryable: true, ...base };
    if (status === 429 || error.type === 'rate_limit_error') return { kind: 'rate-limited', retryable: true, ...base };
    if (status === 408 || status === 409 || error.type === 'timeout_error') return { kind: 'server', retryable: true, ...base };
    if ((status !== undefined && status >= 500) || (status === undefined && error.type === 'api_error')) {
      return { kind: 'server', retryable: true, ...base };
    }
    return { kind: 'request', retryable: false, ...base };
  }
  if (isDroppedConnection(error)) return { kind: 'connection', retryable: true };
  return { kind: 'request', retryable: false };
}

/** Socket errors, as Node and undici name them, that mean the connection broke (not that the request was wrong). */
const DROPPED_CONNECTION_CODES: ReadonlySet<string> = new Set(['ECONNRESET', 'EPIPE', 'ECONNREFUSED', 'ETIMEDOUT', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);

/**
 * A connection that broke after Anthropic had begun to answer. The SDK wraps a failure to connect as
 * APIConnectionError, but a body that stops half-way (a stream, or a JSON answer) reaches us as undici's own
 * `TypeError: terminated`, its cause a socket error: that is a dropped connection, retried like one.
 */
function isDroppedConnection(error: unknown): boolean {
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
    if (current instanceof TypeError && current.message === 'terminated') return true;
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && DROPPED_CONNECTION_CODES.has(code)) return true;
  }
  return false;
}

export interface RetryOptions {
  maxAttempts: number;
  /**
   * The longest an attempt may stay silent: from its start to its first sign of life (`heard`), and between two.
   * Not its whole length: a long answer still streaming in is not cut off and started again from nothing.
   */
  timeoutMs: number;
  /** The instant (ms since epoch, on `now`) by which everything must be over. */
  deadline: number;
  /** The longest `retry-after` still waited; a longer one ends the call at once as 'busy'. No bound when absent. */
  maxWaitMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  onRetry?: (failure: Failure, attempt: number, waitMs: number) => void;
  /** Aborted when the bot shuts down: no attempt or wait outlives it. */
  signal?: AbortSignal;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs `attempt` until it succeeds, fails for good, or time runs out. Each attempt gets its own
 * AbortSignal that fires once it has been silent for `timeoutMs` (it calls `heard` at every sign of life, a
 * stream event), or at the deadline, whichever is sooner; an attempt that ends because of it, even quietly
 * (an aborted stream just stops), counts as a timeout.
 */
export async function withRetries<T>(attempt: (signal: AbortSignal, attemptNumber: number, heard: () => void) => Promise<T>, options: RetryOptions): Promise<T> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? defaultSleep;
  const stop = options.signal;
  const stopped = (attempts: number, cause?: unknown) => new AskCallError({ kind: 'stopped', retryable: false }, attempts, { cause });
  for (let number = 1; ; number++) {
    if (stop?.aborted) throw stopped(number - 1);
    const remaining = options.deadline - now();
    if (remaining <= 0) throw new AskCallError({ kind: 'timeout', retryable: false }, number - 1);
    const controller = new AbortController();
    let timedOut = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    // Re-armed at every sign of life; the deadline caps even an answer that never stops arriving.
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        timedOut = true;
        controller.abort();
      }, Math.max(0, Math.min(options.timeoutMs, options.deadline - now())));
    };
    const heard = () => {
      if (!controller.signal.aborted) arm();
    };
    arm();
    const onStop = () => controller.abort();
    stop?.addEventListener('abort', onStop, { once: true });
    let failure: Failure;
    let cause: unknown;
    try {
      const result = await attempt(controller.signal, number, heard);
      if (!timedOut && !stop?.aborted) return result;
      failure = { kind: 'timeout', retryable: true };
    } catch (error) {
      cause = error;
      failure = classify(error, timedOut);
    } finally {
      clearTimeout(timer);
      stop?.removeEventListener('abort', onStop);
    }
    if (stop?.aborted) throw stopped(number, cause);
    // Before the last-attempt exit: a long wait asked for is 'busy' on any attempt, so the member hears "try again in a minute".
    if (failure.retryable && options.maxWaitMs !== undefined && failure.retryAfterMs !== undefined && failure.retryAfterMs > options.maxWaitMs) {
      throw new AskCallError({ ...failure, kind: 'busy', retryable: false }, number, { cause });
    }
    if (!failure.retryable || number >= options.maxAttempts) throw new AskCallError(failure, number, { cause });
    // A timed-out attempt has already waited its share: try again at once.
    const wait = failure.retryAfterMs ?? (failure.kind === 'timeout' ? 0 : backoffMs(number - 1, options.random));
    if (now() + wait >= options.deadline) throw new AskCallError(failure, number, { cause });
    options.onRetry?.(failure, number, wait);
    await sleepUnlessStopped(sleep, wait, stop);
  }
}

/** The wait between attempts, cut short by `signal` (the loop then sees it aborted and stops). */
async function sleepUnlessStopped(sleep: (ms: number) => Promise<void>, ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return sleep(ms);
  if (signal.aborted) return;
  let onStop: (() => void) | undefined;
  const stopped = new Promise<void>((resolve) => {
    onStop = () => resolve();
    signal.addEventListener('abort', onStop, { once: true });
  });
  try {
    await Promise.race([sleep(ms), stopped]);
  } finally {
    // The signal lives as long as the bot: a listener left on it per wait would pile up.
    if (onStop) signal.removeEventListener('abort', onStop);
  }
}
