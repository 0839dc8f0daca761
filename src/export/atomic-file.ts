import { open, rename, rm } from 'node:fs/promises';
import type { ExportSink } from './pipeline.js';

/**
 * Writes a file through `write`'s sink beside its target (`target.partial-<pid>`, readable by its owner only),
 * makes it durable and renames it over the target once complete: a failed or interrupted export never leaves
 * half a file under the target's name, and a completed one survives a power loss. On failure the partial
 * file is removed and the error rethrown.
 *
 * One fsync at the end, not flushes as the file grows: those shortened the final fsync of a 128 MB file
 * (52 to 12-16 ms) but the process then did the writeback itself, and a 100,000-row export took 0.12 s more
 * CPU and some 60 ms longer (8 interleaved runs each).
 */
export async function writeFileAtomically<T>(target: string, write: (sink: ExportSink) => Promise<T>): Promise<T> {
  const partial = `${target}.partial-${process.pid}`;
  const handle = await open(partial, 'w', 0o600);
  try {
    const result = await write(async (chunk) => {
      await handle.write(chunk);
    });
    await handle.sync();
    await handle.close();
    await rename(partial, target);
    return result;
  } catch (error) {
    await handle.close().catch(() => undefined);
    await rm(partial, { force: true });
    throw error;
  }
}
