import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { writeFileAtomically } from '../../src/export/atomic-file.js';
import { join, useTempDir } from '../helpers/tmp.js';

const tempDir = useTempDir();

const pieces = (count: number, size: number) => Array.from({ length: count }, (_, i) => Buffer.alloc(size, 97 + (i % 26)));

describe('writeFileAtomically (the shell export writes its file through it)', () => {
  it('writes the whole file under its name once complete, readable by its owner only', async () => {
    const dir = tempDir();
    const target = join(dir, 'export.md');
    const written = pieces(40, 1000);
    const result = await writeFileAtomically(target, async (sink) => {
      for (const piece of written) await sink(piece);
      return 'done';
    });
    expect(result).toBe('done');
    expect(readFileSync(target).equals(Buffer.concat(written))).toBe(true);
    expect(statSync(target).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir).filter((f) => f.includes('.partial-'))).toEqual([]);
  });

  it('leaves an existing file as it was, and no partial file, when the export fails', async () => {
    const dir = tempDir();
    const target = join(dir, 'export.md');
    writeFileSync(target, 'the previous export');
    const failure = new Error('the export failed');
    await expect(
      writeFileAtomically(target, async (sink) => {
        await sink(Buffer.from('half a file'));
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(readFileSync(target, 'utf8')).toBe('the previous export');
    expect(readdirSync(dir).filter((f) => f.includes('.partial-'))).toEqual([]);
  });
});
