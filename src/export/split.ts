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
  /** The command that joins the parts, as a shell (macOS, Linux) runs it. */
  join: string;
  /** The same in a Windows command prompt. */
  joinWindows: string;
}

/**
 * The two join commands, each one command to copy and run as it is: with the Windows one appended in
 * parentheses, `join` was a syntax error in any shell it was pasted into.
 */
function joinCommands(fileName: string, names: readonly string[]): Pick<PartManifest, 'join' | 'joinWindows'> {
  return { join: `cat ${names.join(' ')} > ${fileName}`, joinWindows: `copy /b ${names.join('+')} ${fileName}` };
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
    ...joinCommands(fileName, names),
  };
  // Readable when it fits the limit, compact otherwise (the caller checks that the manifest itself fits).
  let text = `${JSON.stringify(manifest, null, 2)}\n`;
  if (Buffer.byteLength(text) > max) text = `${JSON.stringify(manifest)}\n`;
  return { files, manifest: { name: `${fileName}.manifest.json`, data: Buffer.from(text, 'utf8') } };
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Hashing a whole part at once blocks for tens of milliseconds at Discord's limits: this many bytes per turn. */
const HASH_SLICE = 1024 * 1024;

async function sha256InSlices(data: Buffer): Promise<string> {
  const hash = createHash('sha256');
  for (let start = 0; start < data.length; start += HASH_SLICE) {
    if (start > 0) await nextTurn();
    hash.update(data.subarray(start, start + HASH_SLICE));
  }
  return hash.digest('hex');
}

export interface StreamedSplit {
  /** The whole file, when it fit in one upload (nothing was handed to `onPart`). */
  single: ExportFile | null;
  /** The manifest, when the file went out in parts. */
  manifest: ExportFile | null;
  /** How many files the export took: 1, or the number of parts. */
  parts: number;
}

/**
 * The streaming form of `splitExport`, for a file written a chunk at a time: it cuts the same parts at the
 * same places (a part is cut only once more bytes than the limit are waiting, so the last part is whatever
 * remains) and hands each to `onPart` as soon as it is complete, awaiting it, so at most one part and one
 * chunk are held. A file that never exceeds the limit comes back whole from `finish`, with no manifest.
 * Part names are numbered with at least two digits (`.part01` … `.part99`, then `.part100`).
 */
export class PartSplitter {
  /** The part being filled, allocated at the limit's size (untouched pages cost no memory), and how much is in it. */
  private current: Buffer | null = null;
  private fill = 0;
  private readonly parts: { name: string; bytes: number; sha256: string }[] = [];
  private readonly limit: number;
  /** Buffers of parts the caller has finished with (see `release`), reused for the next parts. */
  private readonly spare: Buffer[] = [];
  private readonly buffers = new WeakMap<Buffer, Buffer>();

  constructor(
    private readonly fileName: string,
    limit: number,
    private readonly onPart: (part: ExportFile, index: number) => void | Promise<void>,
  ) {
    this.limit = Math.max(1, Math.floor(limit));
  }

  /**
   * The caller is done with a part (uploaded): its memory is reused for a later part instead of waiting for
   * the garbage collector, so an export holds a few parts' worth of memory however large it is. Optional.
   */
  release(part: ExportFile): void {
    const buffer = this.buffers.get(part.data);
    if (buffer === undefined) return;
    this.buffers.delete(part.data);
    if (this.spare.length < 2) this.spare.push(buffer);
  }

  /** How many parts have been handed on so far. */
  get partsSent(): number {
    return this.parts.length;
  }

  async push(chunk: Buffer): Promise<void> {
    let offset = 0;
    while (offset < chunk.length) {
      this.current ??= this.spare.pop() ?? Buffer.allocUnsafe(this.limit);
      const n = Math.min(this.limit - this.fill, chunk.length - offset);
      chunk.copy(this.current, this.fill, offset, offset + n);
      this.fill += n;
      offset += n;
      // The part is full and more bytes follow: cut it where splitExport would.
      if (offset < chunk.length) await this.cut(chunk[offset]!);
    }
  }

  async finish(count: number, wholeSha256: string, wholeBytes: number): Promise<StreamedSplit> {
    const rest = this.current === null ? Buffer.alloc(0) : this.current.subarray(0, this.fill);
    this.current = null;
    this.fill = 0;
    if (this.parts.length === 0) return { single: { name: this.fileName, data: rest }, manifest: null, parts: 1 };
    if (rest.length > 0) await this.emit(rest);
    return { single: null, manifest: this.manifest(count, wholeSha256, wholeBytes), parts: this.parts.length };
  }

  /** Ends the full part after its last line break, else on a UTF-8 character boundary (`next` is the byte after it). */
  private async cut(next: number): Promise<void> {
    const data = this.current!;
    let end = this.limit;
    const newline = data.lastIndexOf(NEWLINE, this.limit - 1);
    if (newline >= 0) {
      end = newline + 1;
    } else {
      let byte = next;
      while (end > 0 && (byte & 0xc0) === 0x80) {
        end -= 1;
        byte = data[end]!;
      }
      if (end === 0) end = this.limit;
    }
    this.current = this.spare.pop() ?? Buffer.allocUnsafe(this.limit);
    this.fill = data.copy(this.current, 0, end, this.limit);
    const part = data.subarray(0, end);
    this.buffers.set(part, data);
    await this.emit(part);
  }

  /** The manifest's size if the file ended after the parts sent so far (compact form): to stop early when it cannot fit. */
  projectedManifestBytes(): number {
    return Buffer.byteLength(`${JSON.stringify(this.manifestOf(0, '0'.repeat(64), Number.MAX_SAFE_INTEGER))}\n`);
  }

  private async emit(data: Buffer): Promise<void> {
    const index = this.parts.length;
    const name = partName(this.fileName, index, index + 1);
    this.parts.push({ name, bytes: data.length, sha256: await sha256InSlices(data) });
    await this.onPart({ name, data }, index);
  }

  private manifestOf(count: number, sha: string, bytes: number): PartManifest {
    const names = this.parts.map((p) => p.name);
    return {
      format: 'reading-circle/export-parts',
      version: 1,
      file: this.fileName,
      bytes,
      sha256: sha,
      count,
      parts: this.parts.map((p) => ({ ...p })),
      ...joinCommands(this.fileName, names),
    };
  }

  private manifest(count: number, sha: string, bytes: number): ExportFile {
    const manifest = this.manifestOf(count, sha, bytes);
    let text = `${JSON.stringify(manifest, null, 2)}\n`;
    if (Buffer.byteLength(text) > this.limit) text = `${JSON.stringify(manifest)}\n`;
    return { name: `${this.fileName}.manifest.json`, data: Buffer.from(text, 'utf8') };
  }
}
