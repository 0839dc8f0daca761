import { afterEach, describe, expect, it, vi } from 'vitest';
import { createHandlersInProgress } from '../../src/discord/handlers-in-progress.js';

describe('handlers in progress (what a shutdown waits for)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('drains at once when nothing runs, and after the last handler when some do', async () => {
    const handling = createHandlersInProgress();
    expect(await handling.drain(1_000)).toBe(0);
    let finish!: () => void;
    handling.track(new Promise<void>((resolve) => (finish = resolve)));
    handling.track(Promise.resolve());
    expect(handling.count()).toBe(2);
    await Promise.resolve();
    expect(handling.count()).toBe(1);
    const drained = handling.drain(60_000);
    finish();
    expect(await drained).toBe(0);
    expect(handling.count()).toBe(0);
  });

  it('waits too for work started while it drains (a post a finishing handler set off)', async () => {
    const handling = createHandlersInProgress();
    let finishLater!: () => void;
    let finishFirst!: () => void;
    handling.track(
      new Promise<void>((resolve) => (finishFirst = resolve)).then(() => {
        handling.track(new Promise<void>((resolve) => (finishLater = resolve)));
      }),
    );
    let drained = false;
    const draining = handling.drain(60_000).then((left) => {
      drained = true;
      return left;
    });
    finishFirst();
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(drained).toBe(false);
    finishLater();
    expect(await draining).toBe(0);
  });

  it('stops waiting after maxMs and says how many were still running', async () => {
    vi.useFakeTimers();
    const handling = createHandlersInProgress();
    handling.track(new Promise<void>(() => undefined));
    const drained = handling.drain(5_000);
    await vi.advanceTimersByTimeAsync(4_999);
    let settled = false;
    void drained.then(() => (settled = true));
    await Promise.resolve();
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await drained).toBe(1);
  });
});
