/**
 * Runs tasks one after another per key, in the order they were asked for; tasks of different keys run side
 * by side. A task's failure is its caller's and does not stop the next one.
 */
export interface SerialByKey<K> {
  run<T>(key: K, task: () => Promise<T>): Promise<T>;
}

export function serialByKey<K>(): SerialByKey<K> {
  // Only keys with a task queued or running are held: the entry goes when its last task settles.
  const tails = new Map<K, Promise<void>>();
  return {
    run<T>(key: K, task: () => Promise<T>): Promise<T> {
      const previous = tails.get(key) ?? Promise.resolve();
      const result = previous.then(task, task);
      const tail = result.then(
        () => undefined,
        () => undefined,
      );
      tails.set(key, tail);
      void tail.then(() => {
        if (tails.get(key) === tail) tails.delete(key);
      });
      return result;
    },
  };
}
