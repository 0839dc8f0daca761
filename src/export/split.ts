import { createHash } from 'node:crypto';
import { setImmediate as nextTurn } from 'node:timers/promises';

export interface ExportFile {
  name: string;
  data: Buffer;
}

export interface PartManifest {
  format: 'reading-circle/export-parts';
  version: 1;
  file: string;
  bytes: number;
  sha256: string;
  count: number;
  parts: { name: string; bytes: number; sha256: string }[];
  join: string;
}

export interface SplitExport {
  /** The parts in order; one file when the export fits. */
  files: ExportFile[];
  /** Present when the export was split. */
  manifest: ExportFile | null;
}

const NEWLINE = 0x0a;

/**
 * Where to end a part that starts at `start` and may hold `limit` bytes: after the last line break that
 * fits, else on a UTF-8 character boundary, else (a limit smaller than one character) anywhere. Joining the
 * parts byte by byte always gives back the whole file.
 */
function cutPoint(data: Buffer, start: number, limit: number): number {
  const hardEnd = start + limit;
  if (hardEnd >= data.length) return data.length;
  const newline = data.lastIndexOf(NEWLINE, hardEnd - 1);
  if (newline >= start) return newline + 1;
  let end = hardEnd;
  while (end > start && (data[end]! & 0xc0) === 0x80) end -= 1;
  return end > start ? end : hardEnd;
}

export function partName(fileName: string, index: number, total: number): string {
  return `${fileName}.part${String(index + 1).padStart(Math.max(2, String(total).length), '0')}`;
}

/**
 * Splits an export above the upload limit into numbered parts (`name.part01`, `name.part02` …) plus a
 * manifest (`name.manifest.json`) with each part's size and hash and the whole file's hash. Never drops a
 * byte: the parts concatenated in order are the file.
 */
export async function splitExport(fileName: string, data: Buffer, limit: number, count: number, wholeSha256?: string): Promise<SplitExport> {
  const max = Math.max(1, Math.floor(limit));
  if (data.length <= max) return { files: [{ name: fileName, data }], manifest: null };
  const slices: Buffer[] = [];
  for (let start = 0; start < data.length; ) {
    const end = cutPoint(data, start, max);
    slices.push(data.subarray(start, end));
    start = end;
  }
  const files = slices.map((slice, index) => ({ name: partName(fileName, index, slices.length), data: slice }));
  const names = files.map((f) => f.name);
  // Hashing a large export takes a while: one part per turn of the event loop, so other members are served.
  const hashes: string[] = [];
  for (const file of files) {
    hashes.push(sha256(file.data));
    await nextTurn();
  }
  const manifest: PartManifest = {
    format: 'reading-circle/export-parts',
    version: 1,
    file: fileName,
    bytes: data.length,
    sha256: wholeSha256 ?? sha256(data),
    count,
    parts: files.map((f, index) => ({ name: f.name, bytes: f.data.length, sha256: hashes[index]! })),
    join: `cat ${names.join(' ')} > ${fileName}   (Windows: copy /b ${names.join('+')} ${fileName})`,
  };
  // Readable when it fits the limit, compact otherwise (the caller checks that the manifest itself fits).
  let text = `${JSON.stringify(manifest, null, 2)}\n`;
  if (Buffer.byteLength(text) > max) text = `${JSON.stringify(manifest)}\n`;
  return { files, manifest: { name: `${fileName}.manifest.json`, data: Buffer.from(text, 'utf8') } };
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
