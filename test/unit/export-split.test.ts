import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PartSplitter, splitExport, type ExportFile } from '../../src/export/split.js';
import { join, useTempDir } from '../helpers/tmp.js';

const tempDir = useTempDir();

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('splitting an export above the upload limit', () => {
  it('keeps a file that fits whole, with no manifest', async () => {
    const data = Buffer.from('id,text\r\n1,hello\r\n');
    const { files, manifest } = await splitExport('x.csv', data, data.length, 1);
    expect(files).toEqual([{ name: 'x.csv', data }]);
    expect(manifest).toBeNull();
  });

  it('cuts into numbered parts no larger than the limit that concatenate to the whole, at line ends where it can', async () => {
    const lines = Array.from({ length: 200 }, (_, i) => `${i},reflection number ${i} 🌱 with some text\r\n`);
    const data = Buffer.from(lines.join(''));
    const limit = 1000;
    const { files, manifest } = await splitExport('reflections.csv', data, limit, 200);
    expect(files.length).toBeGreaterThan(1);
    expect(files.length).toBeLessThan(Math.ceil(data.length / limit) * 2);
    for (const part of files) {
      expect(part.data.length).toBeLessThanOrEqual(limit);
      expect(part.data.at(-1)).toBe(0x0a);
    }
    expect(Buffer.concat(files.map((f) => f.data)).equals(data)).toBe(true);
    expect(files.map((f) => f.name)).toEqual(files.map((_, i) => `reflections.csv.part${String(i + 1).padStart(2, '0')}`));
    const parsed = JSON.parse(manifest!.data.toString('utf8'));
    expect(manifest!.name).toBe('reflections.csv.manifest.json');
    expect(parsed).toMatchObject({ file: 'reflections.csv', bytes: data.length, sha256: sha(data), count: 200 });
    expect(parsed.parts).toEqual(files.map((f) => ({ name: f.name, bytes: f.data.length, sha256: sha(f.data) })));
    expect(parsed.join).toContain('cat reflections.csv.part01');
  });

  it('never cuts inside a UTF-8 character when a line is longer than the limit', async () => {
    const data = Buffer.from('🌱'.repeat(100));
    const { files } = await splitExport('x.md', data, 10, 1);
    for (const part of files) expect(() => new TextDecoder('utf-8', { fatal: true }).decode(part.data)).not.toThrow();
    expect(Buffer.concat(files.map((f) => f.data)).equals(data)).toBe(true);
  });

  it('still splits (byte-exact) with a limit smaller than one character', async () => {
    const data = Buffer.from('🌱🌱');
    const { files } = await splitExport('x.md', data, 3, 1);
    expect(files.every((f) => f.data.length <= 3)).toBe(true);
    expect(Buffer.concat(files.map((f) => f.data)).equals(data)).toBe(true);
  });

  it('the manifest’s join command runs as it is in a shell and gives back the whole file (streamed parts too)', async () => {
    const data = Buffer.from(Array.from({ length: 100 }, (_, i) => `${i},reflection number ${i}\r\n`).join(''));
    const streamed: ExportFile[] = [];
    const splitter = new PartSplitter('reflections.csv', 700, (part) => {
      streamed.push({ name: part.name, data: Buffer.from(part.data) });
    });
    await splitter.push(data);
    const split = await splitter.finish(100, sha(data), data.length);
    const whole = await splitExport('reflections.csv', data, 700, 100);
    for (const [parts, manifest] of [[streamed, split.manifest!], [whole.files, whole.manifest!]] as const) {
      const dir = tempDir();
      for (const part of parts) writeFileSync(join(dir, part.name), part.data);
      const { join: command, joinWindows } = JSON.parse(manifest.data.toString('utf8'));
      // What a moderator copies from the manifest into a terminal.
      execFileSync('sh', ['-c', command], { cwd: dir });
      expect(readFileSync(join(dir, 'reflections.csv')).equals(data)).toBe(true);
      expect(joinWindows).toBe(`copy /b ${parts.map((p) => p.name).join('+')} reflections.csv`);
    }
  });
});
