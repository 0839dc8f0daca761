import { describe, expect, it } from 'vitest';
import { createInteractionsInFlight, stepAsideFor } from '../../src/members-first.js';

/** A reader's step-aside check on a clock the test moves, recording each pause it asks for. */
function readerSide(buffer: SharedArrayBuffer, options: { pauseMs: number; runMs: number }) {
  let clock = 0;
  const pauses: number[] = [];
  const heard = { pauses: 0 };
  const check = stepAsideFor(buffer, {
    ...options,
    now: () => clock,
    sleep: (ms) => {
      pauses.push(ms);
      clock += ms;
    },
    onPause: () => (heard.pauses += 1),
  });
  return { check, pauses, heard, advance: (ms: number) => (clock += ms) };
}

describe('interactions in flight', () => {
  it('counts each interaction in once and out once, however often it is counted out', () => {
    const inFlight = createInteractionsInFlight();
    const first = inFlight.enter();
    const second = inFlight.enter();
    expect(inFlight.count()).toBe(2);
    first();
    first();
    expect(inFlight.count()).toBe(1);
    second();
    expect(inFlight.count()).toBe(0);
  });

  it('lets a reader read on without a pause while no interaction is in flight', () => {
    const inFlight = createInteractionsInFlight();
    const reader = readerSide(inFlight.buffer, { pauseMs: 2, runMs: 0.5 });
    for (let i = 0; i < 1_000; i++) reader.check();
    expect(reader.pauses).toEqual([]);
    expect(reader.heard.pauses).toBe(0);
  });

  it('pauses a reader while an interaction is in flight, and lets it read for runMs between pauses', () => {
    const inFlight = createInteractionsInFlight();
    const reader = readerSide(inFlight.buffer, { pauseMs: 2, runMs: 0.5 });
    const leave = inFlight.enter();
    reader.check();
    expect(reader.pauses).toEqual([2]);
    // Rows read within runMs of the pause's end go on without one.
    reader.advance(0.2);
    reader.check();
    reader.advance(0.2);
    reader.check();
    expect(reader.pauses).toEqual([2]);
    reader.advance(0.1);
    reader.check();
    expect(reader.pauses).toEqual([2, 2]);
    expect(reader.heard.pauses).toBe(2);
    leave();
    reader.advance(10);
    reader.check();
    expect(reader.pauses).toEqual([2, 2]);
  });

  it('shares the count with a reader that has only the buffer (as a reader thread does)', () => {
    const inFlight = createInteractionsInFlight();
    const copy = structuredClone(inFlight.buffer);
    const reader = readerSide(copy, { pauseMs: 1, runMs: 0 });
    const leave = inFlight.enter();
    reader.check();
    leave();
    reader.check();
    expect(reader.pauses).toEqual([1]);
    expect(reader.heard.pauses).toBe(1);
  });

  it('blocks the thread for the pause by default', () => {
    const inFlight = createInteractionsInFlight();
    const check = stepAsideFor(inFlight.buffer, { pauseMs: 20, runMs: 0 });
    inFlight.enter();
    const started = performance.now();
    check();
    expect(performance.now() - started).toBeGreaterThanOrEqual(19);
  });
});
