import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FaultSpec } from './faults.js';
import { apiError, DiscordHttpError, formError, notFound, unauthorized, type Json } from './model.js';
import { parseMultipart } from './multipart.js';
import type { RecordedFile } from './recording.js';
import type { RequestContext } from './router.js';
import type { LocalDiscordServer } from './server.js';

/**
 * The HTTP front: reads and parses each request (JSON or multipart with `payload_json`), records it,
 * applies an injected fault or dispatches it to its route (bot token checked, upload size enforced),
 * and answers in Discord's error shape (`{ message, code, errors? }`; anything unexpected is a 500).
 * Uploaded attachments are served back under /attachments/:id/:name.
 */
export async function handleRequest(s: LocalDiscordServer, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const method = (req.method ?? 'GET').toUpperCase();
  s.recorder.lastRequestAt = Date.now();
  const raw = await readBody(req);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (name === 'authorization' || value === undefined) continue;
    headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  let path = url.pathname;
  const versioned = /^\/api\/v10(\/.*)?$/.exec(path);
  const attachment = /^\/attachments\/(\d+)\//.exec(path);
  if (method === 'GET' && attachment) return serveAttachment(s, attachment[1]!, res);
  path = versioned ? decodeURIComponent(versioned[1] ?? '/') : decodeURIComponent(path);
  const query: Record<string, string> = Object.fromEntries(url.searchParams.entries());
  const record = s.recorder.begin({ at: s.now(), method, path, route: s.router.templateFor(method, path), query, headers });
  let kept = false;
  let status: number;
  let response: unknown;
  let extraHeaders: Record<string, string> = {};
  let delayMs = 0;
  let hold: Promise<unknown> | undefined;
  try {
    const parsed = parseBody(raw, req.headers['content-type']);
    record.body = parsed.body;
    record.files = parsed.files;
    s.recorder.keep(record);
    kept = true;
    const fault = s.faults.take(method, path);
    if (fault) delayMs = fault.delayMs ?? 0;
    hold = fault?.hold;
    if (fault?.status !== undefined) {
      record.faulted = true;
      status = fault.status;
      response = fault.body ?? defaultFaultBody(fault);
      extraHeaders = fault.headers ?? {};
    } else if (!versioned) {
      throw notFound();
    } else {
      const matched = s.router.match(method, path);
      if (!matched) throw notFound();
      if (matched.route.auth && req.headers.authorization !== `Bot ${s.options.token}`) throw unauthorized();
      if (parsed.files.some((file) => file.size > s.options.attachmentSizeLimit)) throw apiError(413, 40005, 'Request entity too large');
      const ctx: RequestContext = { method, params: matched.params, query: url.searchParams, body: (parsed.body ?? {}) as Json, files: parsed.files, headers };
      response = matched.route.handler(ctx);
      status = ctx.status ?? (response === undefined ? 204 : 200);
    }
  } catch (error) {
    if (!(error instanceof DiscordHttpError)) {
      status = 500;
      response = { message: `local Discord failed: ${error instanceof Error ? error.message : String(error)}`, code: 0 };
    } else {
      status = error.status;
      response = error.body;
      extraHeaders = error.headers;
    }
    if (!kept) s.recorder.keep(record);
  }
  s.recorder.settle(record, status, response);
  s.changed();
  if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
  if (hold) await hold.catch(() => undefined);
  if (res.destroyed) return;
  const payload = response === undefined || status === 204 ? '' : JSON.stringify(response);
  res.writeHead(status, { ...(payload ? { 'content-type': 'application/json' } : {}), ...extraHeaders });
  res.end(payload);
}

function serveAttachment(s: LocalDiscordServer, id: string, res: ServerResponse): void {
  const found = s.store.attachmentData(id);
  if (found?.data) {
    res.writeHead(200, { 'content-type': found.content_type ?? 'application/octet-stream' });
    res.end(found.data);
    return;
  }
  res.writeHead(404, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ message: '404: Not Found', code: 0 }));
}

function defaultFaultBody(fault: FaultSpec): unknown {
  if (fault.status === 429) {
    const retryAfter = Number(fault.headers?.['retry-after'] ?? 1);
    return { message: 'You are being rate limited.', retry_after: retryAfter, global: fault.headers?.['x-ratelimit-global'] === 'true' };
  }
  if (fault.status === 204) return undefined;
  return { message: `${fault.status ?? 500}: injected fault`, code: 0 };
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function parseBody(raw: Buffer, contentType: string | undefined): { body: unknown; files: RecordedFile[] } {
  if (raw.length === 0) return { body: undefined, files: [] };
  if (contentType?.startsWith('multipart/form-data')) {
    const files: RecordedFile[] = [];
    let body: unknown;
    for (const part of parseMultipart(raw, contentType)) {
      if (part.filename === null) {
        if (part.name === 'payload_json') body = parseJson(part.data);
        continue;
      }
      files.push({ field: part.name, name: part.filename, contentType: part.contentType || 'application/octet-stream', size: part.data.length, data: part.data });
    }
    return { body, files };
  }
  return { body: parseJson(raw), files: [] };
}

function parseJson(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString('utf8')) as unknown;
  } catch {
    throw formError('_root', 'JSON_DECODE', 'The request body contains invalid JSON.');
  }
}
