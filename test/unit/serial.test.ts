import { describe, expect, it } from 'vitest';
import { serialByKey } from '../../src/serial.js';

describe('serialByKey', () => {
  it('runs one key’s tasks one after another, in order, past a failure; other keys do not wait', async () => {
    const serial = serialByKey<string>();
    const events: string[] = [];
    let releaseFirst!: () => void;
    const first = serial.run('a', async () => {
      events.push('a1 start');
      await new Promise<void>((resolve) => (releaseFirst = resolve));
      events.push('a1 end');
      throw new Error('a1 failed');
    });
    const second = serial.run('a', () => {
      events.push('a2');
      return Promise.resolve(2);
    });
    const other = serial.run('b', () => {
      events.push('b1');
      return Promise.resolve('b');
    });
    await expect(other).resolves.toBe('b');
    expect(events).toEqual(['a1 start', 'b1']);
    releaseFirst();
    await expect(first).rejects.toThrow('a1 failed');
    await expect(second).resolves.toBe(2);
    expect(events).toEqual(['a1 start', 'b1', 'a1 end', 'a2']);
  });
});
