import { EventEmitter } from 'node:events';

/**
 * Change notification: the local Discord signals every change (a request answered, an event sent, an
 * interaction created), and waiters re-check their condition then instead of polling or sleeping.
 */
export class ChangeSignal {
  readonly events = new EventEmitter();

  constructor() {
    this.events.setMaxListeners(0);
  }

  changed(): void {
    this.events.emit('change');
  }

  /** Resolves once `predicate` returns a value other than undefined/false, re-checked on every change. */
  waitFor<T>(predicate: () => T | undefined | false, options: { timeoutMs?: number; what?: string } = {}): Promise<T> {
    const timeoutMs = options.timeoutMs ?? 5_000;
    return new Promise<T>((resolve, reject) => {
      const check = () => {
        let value: T | undefined | false;
        try {
          value = predicate();
        } catch (error) {
          finish();
          reject(error instanceof Error ? error : new Error(String(error)));
          return;
        }
        if (value !== undefined && value !== false) {
          finish();
          resolve(value);
        }
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`local Discord: timed out after ${timeoutMs} ms waiting for ${options.what ?? 'a condition'}`));
      }, timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        this.events.off('change', check);
      };
      this.events.on('change', check);
      check();
    });
  }
}
