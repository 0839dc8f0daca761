import { measureWrites } from './writes.js';

/**
 * The durable-write measurement in a process of its own (forked by `measureWritesApart`): both sides then run
 * in a fresh heap, not in the bench's, which by this point holds what the latency and export sections left.
 * Arguments: the folder for the three databases, then count, block and repeats.
 */
const [dir, count, block, repeats] = process.argv.slice(2);
if (!dir) throw new Error('usage: writes-child <dir> <count> <block> <repeats>');
const result = measureWrites(dir, { count: Number(count), block: Number(block), repeats: Number(repeats) });
process.send?.(result, () => process.exit(0));
