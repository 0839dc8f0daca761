import { APIConnectionError, APIError, InternalServerError, RateLimitError } from '@anthropic-ai/sdk';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AskCallError, backoffMs, classify, retryAfterMs, withRetries } from '../../src/ai/retry.js';

const headers = (init: Record<string, string> = {}) => new Headers(init);
const rateLimit = (body: unknown, init: Record<string, string> = {}) => new RateLimitError(429, body as object, undefined, headers(init));

describe('retry-after headers', () => {
  it('prefers retry-after-ms, then retry-after in seconds, then an HTTP date', () => {
    expect(retryAfterMs(headers({ 'retry-after-ms': '0', 'retry-after': '30' }))).toBe(0);
    expect(retryAfterMs(headers({ 'retry-after-ms': '250' }))).toBe(250);
    expect(retryAfterMs(headers({ 'retry-after': '2' }))).toBe(2000);
    expect(retryAfterMs(headers({ 'retry-after': 'Thu, 01 Jan 2026 00:00:10 GMT' }), Date.parse('2026-01-01T00:00:00Z'))).toBe(10_000);
    expect(retryAfterMs(headers({ 'retry-after': 'soon' }))).toBeUndefined();
    expect(retryAfterMs(headers())).toBeUndefined();
  });

  it('backs off 0.5 s, 1 s, 2 s … up to 8 s, with at most 25 % jitter off', () => {
    expect([0, 1, 2, 3, 4, 5].map((n) => backoffMs(n, () => 0))).toEqual([500, 1000, 2000, 4000, 8000, 8000]);
    expect(backoffMs(0, () => 1)).toBe(375);
  });
});

describe('classify', () => {
  it('stops at once on the spend cap and on billing errors', () => {
    const cap = classify(rateLimit({ type: 'error', error: { type: 'rate_limit_error', message: 'cap', details: { error_code: 'enforced_spend_limit_reached' } } }), false);
    expect(cap).toMatchObject({ kind: 'spend-cap', retryable: false, status: 429, code: 'enforced_spend_limit_reached' });
    const contract = classify(rateLimit({ type: 'error', error: { type: 'rate_limit_error', message: 'cap', details: { error_code: 'contract_spend_limit_reached' } } }), false);
    expect(contract.kind).toBe('spend-cap');
    const billing = classify(APIError.generate(402, { type: 'error', error: { type: 'billing_error', message: 'no credit' } }, undefined, headers()), false);
    expect(billing).toMatchObject({ kind: 'spend-cap', retryable: false });
  });

  it('retries rate limits, overload (529, also as a stream error event), 5xx and broken connections', () => {
    expect(classify(rateLimit({ type: 'error', error: { type: 'rate_limit_error', message: 'slow down' } }, { 'retry-after-ms': '0' }), false)).toMatchObject({ kind: 'rate-limited', retryable: true, retryAfterMs: 0 });
    expect(classify(new InternalServerError(529, { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }, undefined, headers()), false)).toMatchObject({ kind: 'overloaded', retryable: true });
    expect(classify(new APIError(undefined, { type: 'error', error: { type: 'overloaded_error' } }, undefined, headers(), 'overloaded_error'), false)).toMatchObject({ kind: 'overloaded', retryable: true });
    expect(classify(new InternalServerError(503, {}, undefined, headers()), false)).toMatchObject({ kind: 'server', retryable: true });
    expect(classify(new APIConnectionError({ message: 'reset' }), false)).toMatchObject({ kind: 'connection', retryable: true });
  });

  it('does not retry a bad request, and names our own timeout as a timeout', () => {
    expect(classify(APIError.generate(400, { type: 'error', error: { type: 'invalid_request_error', message: 'bad' } }, undefined, headers()), false)).toMatchObject({ kind: 'request', retryable: false });
    expect(classify(new Error('aborted'), true)).toMatchObject({ kind: 'timeout' });
  });
});

describe('withRetries', () => {
  const far = () => Date.now() + 60_000;

  it('retries a retryable failure with the server’s wait, then returns the success', async () => {
    const waits: number[] = [];
    let calls = 0;
    const result = await withRetries(
      () => {
        calls++;
        if (calls < 3) return Promise.reject(new InternalServerError(529, { type: 'error', error: { type: 'overloaded_error' } }, undefined, headers({ 'retry-after-ms': '7' })));
        return Promise.resolve('ok');
      },
      { maxAttempts: 3, timeoutMs: 1000, deadline: far(), sleep: (ms) => Promise.resolve(void waits.push(ms)) },
    );
    expect(result).toBe('ok');
    expect(calls).toBe(3);
    expect(waits).toEqual([7, 7]);
  });

  it('gives up after maxAttempts with the last failure', async () => {
    let calls = 0;
    const failing = withRetries(
      () => {
        calls++;
        return Promise.reject(new InternalServerError(500, {}, undefined, headers({ 'retry-after-ms': '0' })));
      },
      { maxAttempts: 3, timeoutMs: 1000, deadline: far(), sleep: () => Promise.resolve() },
    );
    await expect(failing).rejects.toMatchObject({ failure: { kind: 'server' }, attempts: 3 });
    expect(calls).toBe(3);
  });

  it('makes exactly one attempt on the spend cap', async () => {
    let calls = 0;
    const failing = withRetries(
      () => {
        calls++;
        return Promise.reject(rateLimit({ type: 'error', error: { type: 'rate_limit_error', details: { error_code: 'enforced_spend_limit_reached' } } }, { 'retry-after-ms': '0' }));
      },
      { maxAttempts: 3, timeoutMs: 1000, deadline: far(), sleep: () => Promise.resolve() },
    );
    await expect(failing).rejects.toBeInstanceOf(AskCallError);
    expect(calls).toBe(1);
  });

  it('does not wait past the deadline: a long retry-after ends the call at once', async () => {
    const waits: number[] = [];
    const failing = withRetries(
      () => Promise.reject(rateLimit({ type: 'error', error: { type: 'rate_limit_error' } }, { 'retry-after': '600' })),
      { maxAttempts: 3, timeoutMs: 1000, deadline: Date.now() + 5_000, sleep: (ms) => Promise.resolve(void waits.push(ms)) },
    );
    await expect(failing).rejects.toMatchObject({ failure: { kind: 'rate-limited' }, attempts: 1 });
    expect(waits).toEqual([]);
  });

  it('does not keep a member waiting on a long retry-after (429 or 529): it gives up at once as busy, well inside the deadline', async () => {
    for (const asked of [
      rateLimit({ type: 'error', error: { type: 'rate_limit_error' } }, { 'retry-after': '60' }),
      new InternalServerError(529, { type: 'error', error: { type: 'overloaded_error' } }, undefined, headers({ 'retry-after-ms': '30000' })),
    ]) {
      const waits: number[] = [];
      let calls = 0;
      const failing = withRetries(
        () => {
          calls++;
          return Promise.reject(asked);
        },
        { maxAttempts: 3, timeoutMs: 1000, deadline: Date.now() + 240_000, maxWaitMs: 10_000, sleep: (ms) => Promise.resolve(void waits.push(ms)) },
      );
      await expect(failing).rejects.toMatchObject({ failure: { kind: 'busy', retryable: false }, attempts: 1 });
      expect(calls).toBe(1);
      expect(waits).toEqual([]);
    }
  });

  it('says busy for a long retry-after on the last attempt too, not the generic failure', async () => {
    const waits: number[] = [];
    let calls = 0;
    const failing = withRetries(
      () => {
        calls++;
        if (calls < 3) return Promise.reject(new InternalServerError(529, { type: 'error', error: { type: 'overloaded_error' } }, undefined, headers({ 'retry-after-ms': '10' })));
        return Promise.reject(rateLimit({ type: 'error', error: { type: 'rate_limit_error' } }, { 'retry-after': '60' }));
      },
      { maxAttempts: 3, timeoutMs: 1000, deadline: Date.now() + 240_000, maxWaitMs: 10_000, sleep: (ms) => Promise.resolve(void waits.push(ms)) },
    );
    await expect(failing).rejects.toMatchObject({ failure: { kind: 'busy', retryable: false, status: 429 }, attempts: 3 });
    expect(waits).toEqual([10, 10]);
    // A spend cap is never busy, whatever wait it names: it is not retryable at all.
    const capped = withRetries(
      () => Promise.reject(rateLimit({ type: 'error', error: { type: 'rate_limit_error', message: 'cap', details: { error_code: 'enforced_spend_limit_reached' } } }, { 'retry-after': '600' })),
      { maxAttempts: 3, timeoutMs: 1000, deadline: Date.now() + 240_000, maxWaitMs: 10_000 },
    );
    await expect(capped).rejects.toMatchObject({ failure: { kind: 'spend-cap' } });
  });

  it('still waits a retry-after within that bound, and retries', async () => {
    const waits: number[] = [];
    let calls = 0;
    const result = await withRetries(
      () => {
        calls++;
        if (calls === 1) return Promise.reject(rateLimit({ type: 'error', error: { type: 'rate_limit_error' } }, { 'retry-after': '10' }));
        return Promise.resolve('ok');
      },
      { maxAttempts: 3, timeoutMs: 1000, deadline: Date.now() + 240_000, maxWaitMs: 10_000, sleep: (ms) => Promise.resolve(void waits.push(ms)) },
    );
    expect(result).toBe('ok');
    expect(waits).toEqual([10_000]);
  });

  it('aborts an attempt at its timeout and reports a timeout even when the attempt ends quietly', async () => {
    const failing = withRetries(
      (signal) =>
        new Promise<string>((resolve) => {
          // Like an aborted SDK stream: it just stops, without an error.
          signal.addEventListener('abort', () => resolve('partial'));
        }),
      { maxAttempts: 1, timeoutMs: 5, deadline: far() },
    );
    await expect(failing).rejects.toMatchObject({ failure: { kind: 'timeout' }, attempts: 1 });
  });

  it('stops at once when the bot shuts down: the attempt in flight, or the wait before the next one', async () => {
    const inFlight = new AbortController();
    const hanging = withRetries(
      (signal) => new Promise<string>((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted')))),
      { maxAttempts: 3, timeoutMs: 60_000, deadline: far(), signal: inFlight.signal },
    );
    inFlight.abort();
    await expect(hanging).rejects.toMatchObject({ failure: { kind: 'stopped', retryable: false }, attempts: 1 });

    const waiting = new AbortController();
    let calls = 0;
    const backingOff = withRetries(
      () => {
        calls++;
        if (calls === 1) setTimeout(() => waiting.abort(), 5);
        return Promise.reject(rateLimit({ type: 'error', error: { type: 'rate_limit_error' } }, { 'retry-after': '30' }));
      },
      { maxAttempts: 3, timeoutMs: 1000, deadline: far(), signal: waiting.signal },
    );
    await expect(backingOff).rejects.toMatchObject({ failure: { kind: 'stopped' } });
    expect(calls).toBe(1);
  });
});

describe('withRetries: the per-call limit is on silence, not on a long answer still arriving', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  /** Like a streamed answer: a sign of life (`heard`) every `everyMs`, `events` of them, then done; an abort ends it quietly. */
  const streaming =
    (events: number, everyMs: number) =>
    (signal: AbortSignal, _attempt: number, heard: () => void): Promise<string> =>
      new Promise<string>((resolve) => {
        let sent = 0;
        const tick = setInterval(() => {
          heard();
          if (++sent === events) {
            clearInterval(tick);
            resolve('whole answer');
          }
        }, everyMs);
        signal.addEventListener('abort', () => {
          clearInterval(tick);
          resolve('partial');
        });
      });

  it('lets a slow but steady answer run past the per-call limit, in one attempt', async () => {
    let attempts = 0;
    const answer = streaming(20, 1_000);
    const result = withRetries(
      (signal, number, heard) => {
        attempts++;
        return answer(signal, number, heard);
      },
      { maxAttempts: 3, timeoutMs: 3_000, deadline: Date.now() + 240_000, sleep: () => Promise.resolve() },
    );
    await vi.advanceTimersByTimeAsync(20_000);
    await expect(result).resolves.toBe('whole answer');
    expect(attempts).toBe(1);
  });

  it('gives a call up when it goes silent for the limit, counted from its last sign of life', async () => {
    const seen: number[] = [];
    const started = Date.now();
    const failing = withRetries(
      (signal, _number, heard) =>
        new Promise<string>((resolve) => {
          // Two events a second apart, then silence, like a stream that stalls half-way.
          setTimeout(heard, 1_000);
          setTimeout(heard, 2_000);
          signal.addEventListener('abort', () => {
            seen.push(Date.now() - started);
            resolve('partial');
          });
        }),
      { maxAttempts: 1, timeoutMs: 3_000, deadline: Date.now() + 240_000 },
    );
    const settled = expect(failing).rejects.toMatchObject({ failure: { kind: 'timeout' }, attempts: 1 });
    await vi.advanceTimersByTimeAsync(10_000);
    await settled;
    expect(seen).toEqual([5_000]);
  });

  it('still ends a steady answer at the overall deadline', async () => {
    const started = Date.now();
    const failing = withRetries(streaming(1_000, 1_000), { maxAttempts: 3, timeoutMs: 3_000, deadline: started + 6_000, sleep: () => Promise.resolve() });
    const settled = expect(failing).rejects.toMatchObject({ failure: { kind: 'timeout' }, attempts: 1 });
    await vi.advanceTimersByTimeAsync(7_000);
    await settled;
  });
});
