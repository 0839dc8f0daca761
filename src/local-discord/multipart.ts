import { formError } from './model.js';

/** One part of a `multipart/form-data` body. */
export interface FormPart {
  name: string;
  /** Set for a file part (Content-Disposition `filename`); null for a plain field. */
  filename: string | null;
  contentType: string | null;
  /** The part's bytes: a view into the request body, not a copy. */
  data: Buffer;
}

const CRLF = Buffer.from('\r\n');
const NAME = /;\s*name="([^"]*)"/i;
const FILENAME = /;\s*filename="([^"]*)"/i;
const HEADER_END = Buffer.from('\r\n\r\n');

/**
 * Splits a `multipart/form-data` body (RFC 7578) into its parts. Written here rather than undici's
 * `Response.formData()`: that one spent 16-102 ms of the local Discord's thread on each 10 MB export part
 * (measured in the bench), and the local Discord shares its process with the bench that times the bot, so
 * every interaction in flight meanwhile looked that much slower (the bench's slowest /chapter samples during
 * the bot's export, 50-176 ms, each overlapped one). Finding the boundaries with `Buffer.indexOf` takes about
 * 5 ms for a 10 MB part, and the file's bytes are not copied. Names and filenames are decoded as browsers and
 * undici encode them (`"`, CR and LF percent-escaped); test/unit/local-discord-multipart.test.ts checks it
 * against undici.
 */
export function parseMultipart(raw: Buffer, contentType: string): FormPart[] {
  const boundary = boundaryOf(contentType);
  const dashBoundary = Buffer.from(`--${boundary}`);
  const delimiter = Buffer.from(`\r\n--${boundary}`);
  let at = raw.indexOf(dashBoundary);
  if (at !== 0 && at !== -1) {
    // A preamble, which the RFC allows and ignores: the first boundary then follows a line break.
    at = raw.indexOf(delimiter);
    if (at !== -1) at += 2;
  }
  if (at === -1) throw malformed('no boundary in the body');
  at += dashBoundary.length;
  const parts: FormPart[] = [];
  for (;;) {
    if (raw[at] === 0x2d && raw[at + 1] === 0x2d) return parts; // "--": the close delimiter
    const lineEnd = raw.indexOf(CRLF, at);
    if (lineEnd === -1) throw malformed('a boundary line does not end');
    const headersEnd = raw.indexOf(HEADER_END, lineEnd);
    if (headersEnd === -1) throw malformed('a part’s headers do not end');
    const headers = raw.toString('latin1', lineEnd + 2, headersEnd);
    const dataStart = headersEnd + HEADER_END.length;
    const dataEnd = raw.indexOf(delimiter, dataStart);
    if (dataEnd === -1) throw malformed('a part has no closing boundary');
    parts.push({ ...describePart(headers), data: raw.subarray(dataStart, dataEnd) });
    at = dataEnd + delimiter.length;
  }
}

function boundaryOf(contentType: string): string {
  const match = /;\s*boundary=(?:"([^"]+)"|([^\s;]+))/i.exec(contentType);
  const boundary = match?.[1] ?? match?.[2];
  if (!boundary) throw malformed('the content type names no boundary');
  return boundary;
}

function describePart(headerBlock: string): Omit<FormPart, 'data'> {
  let disposition = '';
  let contentType: string | null = null;
  for (const line of headerBlock.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon === -1) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'content-disposition') disposition = value;
    else if (name === 'content-type') contentType = value;
  }
  if (!/^form-data\s*(;|$)/i.test(disposition)) throw malformed('a part is not form-data');
  const name = parameter(disposition, NAME);
  if (name === null) throw malformed('a part has no name');
  return { name, filename: parameter(disposition, FILENAME), contentType };
}

/** A quoted Content-Disposition parameter, decoded (bytes as UTF-8, the three escapes undici writes). */
function parameter(disposition: string, pattern: RegExp): string | null {
  const match = pattern.exec(disposition);
  if (!match) return null;
  return Buffer.from(match[1]!, 'latin1')
    .toString('utf8')
    .replace(/%22/g, '"')
    .replace(/%0D/gi, '\r')
    .replace(/%0A/gi, '\n');
}

function malformed(why: string) {
  return formError('_root', 'MULTIPART_DECODE', `The request body is not valid multipart/form-data: ${why}.`);
}
