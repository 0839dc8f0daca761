import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A small stand-in for the Anthropic Messages API on 127.0.0.1, for tests and the playground. It speaks
 * the real protocol, so the real SDK talks to it unchanged:
 *
 * - `POST /v1/messages`: a JSON `Message`, or, when the request says `stream: true`, server-sent events
 *   (message_start, content_block_start, content_block_delta with text_delta and citations_delta,
 *   content_block_stop, message_delta, message_stop, and ping);
 * - `POST /v1/messages/count_tokens`: `{ input_tokens }`;
 * - errors in Anthropic's shape (`{ type: 'error', error: { type, message, details? } }`) with any status
 *   and headers (retry-after, retry-after-ms), a hang (never answers until the client gives up), an
 *   error event in the middle of a stream, and a stream written slowly (one event every so often).
 *
 * Every request is recorded (path, headers, parsed body, raw text) so tests can check what would really
 * have left the machine.
 */

export interface FakeBlock {
  text: string;
  /** Content-block citations into document 0, as [start, end) block ranges. */
  cite?: { start: number; end?: number }[];
}

export interface FakeMessage {
  content: FakeBlock[];
  stopReason?: 'end_turn' | 'max_tokens' | 'stop_sequence' | 'refusal';
  outputTokens?: number;
}

export type FakeReply =
  | { kind: 'message'; message: FakeMessage; headers?: Record<string, string> }
  | { kind: 'error'; status: number; type: string; message?: string; errorCode?: string; headers?: Record<string, string> }
  | { kind: 'hang' }
  /** Streams: sends message_start and the first block's first text, then stops sending (but keeps the connection open). */
  | { kind: 'stall'; message: FakeMessage }
  /** Streams: the first block, then an `error` event (as the API does when it overloads mid-answer). */
  | { kind: 'stream-error'; message: FakeMessage; type: string }
  /** Streams the whole message, one event every `everyMs` (a long answer written slowly but steadily). */
  | { kind: 'slow'; message: FakeMessage; everyMs: number };

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  raw: string;
  body: unknown;
  at: number;
}

export type Responder = (request: RecordedRequest) => FakeReply;

/** The text blocks of the first document in a recorded request, in order (what citations index into). */
export function documentBlocks(body: unknown): string[] {
  const messages = (body as { messages?: { content?: unknown }[] } | undefined)?.messages ?? [];
  for (const message of messages) {
    if (!Array.isArray(message.content)) continue;
    for (const part of message.content as { type?: string; source?: { type?: string; content?: unknown } }[]) {
      if (part.type === 'document' && part.source?.type === 'content' && Array.isArray(part.source.content)) {
        return (part.source.content as { text?: string }[]).map((block) => block.text ?? '');
      }
    }
  }
  return [];
}

/** Index of the first document block containing `needle` (case-insensitive); throws if none does. */
export function blockIndex(body: unknown, needle: string): number {
  const index = documentBlocks(body).findIndex((text) => text.toLowerCase().includes(needle.toLowerCase()));
  if (index < 0) throw new Error(`fake-anthropic: no document block contains "${needle}"`);
  return index;
}

export const replies = {
  text: (...content: FakeBlock[]): FakeReply => ({ kind: 'message', message: { content } }),
  message: (message: FakeMessage): FakeReply => ({ kind: 'message', message }),
  overloaded: (headers: Record<string, string> = { 'retry-after-ms': '0' }): FakeReply => ({ kind: 'error', status: 529, type: 'overloaded_error', message: 'Overloaded', headers }),
  rateLimited: (headers: Record<string, string> = { 'retry-after-ms': '0', 'retry-after': '0' }): FakeReply => ({
    kind: 'error',
    status: 429,
    type: 'rate_limit_error',
    message: 'Number of request tokens has exceeded your per-minute rate limit.',
    headers,
  }),
  spendCap: (): FakeReply => ({
    kind: 'error',
    status: 429,
    type: 'rate_limit_error',
    message: 'You have reached your specified API usage limits. You will regain access on the first of next month.',
    errorCode: 'enforced_spend_limit_reached',
    headers: { 'retry-after-ms': '0', 'retry-after': '0' },
  }),
  serverError: (status = 500): FakeReply => ({ kind: 'error', status, type: 'api_error', message: 'Internal server error', headers: { 'retry-after-ms': '0' } }),
  hang: (): FakeReply => ({ kind: 'hang' }),
};

/** About four characters a token: close enough for the decisions a test exercises. */
export function estimateTokens(body: unknown): number {
  const b = body as { system?: unknown; messages?: unknown } | undefined;
  return Math.max(1, Math.ceil(JSON.stringify([b?.system ?? '', b?.messages ?? []]).length / 4));
}

function hasCacheControl(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(hasCacheControl);
  if (value && typeof value === 'object') {
    if ('cache_control' in value && (value as { cache_control?: unknown }).cache_control) return true;
    return Object.values(value).some(hasCacheControl);
  }
  return false;
}

export class FakeAnthropic {
  readonly requests: RecordedRequest[] = [];
  /** Replies used in order for /v1/messages; when empty, `responder` answers. */
  readonly queue: FakeReply[] = [];
  responder: Responder = () => replies.text({ text: 'The book data does not cover this.' });
  /** Replies used in order for /v1/messages/count_tokens; when empty, the estimate is returned. */
  readonly countQueue: FakeReply[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly hanging = new Set<ServerResponse>();
  private readonly cached = new Set<string>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<FakeAnthropic> {
    const holder: { instance?: FakeAnthropic } = {};
    const server = createServer((req, res) => holder.instance?.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const instance = new FakeAnthropic(server, `http://127.0.0.1:${port}`);
    holder.instance = instance;
    server.on('connection', (socket) => {
      instance.sockets.add(socket);
      socket.on('close', () => instance.sockets.delete(socket));
    });
    return instance;
  }

  /** Queues replies for the next /v1/messages calls. */
  script(...next: FakeReply[]): this {
    this.queue.push(...next);
    return this;
  }

  /** Requests to /v1/messages (not token counts). */
  get messageRequests(): RecordedRequest[] {
    return this.requests.filter((request) => request.path === '/v1/messages');
  }

  async close(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = raw === '' ? undefined : JSON.parse(raw);
      } catch {
        body = undefined;
      }
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      const recorded: RecordedRequest = { method: req.method ?? 'GET', path, headers: { ...req.headers }, raw, body, at: Date.now() };
      this.requests.push(recorded);
      try {
        this.route(recorded, res);
      } catch (error) {
        this.sendError(res, { kind: 'error', status: 500, type: 'api_error', message: `fake-anthropic: ${String(error)}` });
      }
    });
  }

  private route(request: RecordedRequest, res: ServerResponse): void {
    if (request.method !== 'POST' || (request.path !== '/v1/messages' && request.path !== '/v1/messages/count_tokens')) {
      this.sendError(res, { kind: 'error', status: 404, type: 'not_found_error', message: `Not found: ${request.method} ${request.path}` });
      return;
    }
    if (!request.headers['x-api-key'] && !request.headers.authorization) {
      this.sendError(res, { kind: 'error', status: 401, type: 'authentication_error', message: 'x-api-key header is required' });
      return;
    }
    if (!request.headers['anthropic-version']) {
      this.sendError(res, { kind: 'error', status: 400, type: 'invalid_request_error', message: 'anthropic-version header is required' });
      return;
    }
    const body = (request.body ?? {}) as { model?: unknown; max_tokens?: unknown; messages?: unknown; stream?: unknown };
    const problem =
      typeof body.model !== 'string' ? 'model: Field required'
      : !Array.isArray(body.messages) ? 'messages: Field required'
      : request.path === '/v1/messages' && typeof body.max_tokens !== 'number' ? 'max_tokens: Field required'
      : undefined;
    if (problem) {
      this.sendError(res, { kind: 'error', status: 400, type: 'invalid_request_error', message: problem });
      return;
    }

    if (request.path === '/v1/messages/count_tokens') {
      const scripted = this.countQueue.shift();
      if (scripted && scripted.kind !== 'message') {
        this.sendReply(res, scripted, request, false);
        return;
      }
      this.sendJson(res, 200, { input_tokens: estimateTokens(body) });
      return;
    }
    const reply = this.queue.shift() ?? this.responder(request);
    this.sendReply(res, reply, request, body.stream === true);
  }

  private sendReply(res: ServerResponse, reply: FakeReply, request: RecordedRequest, stream: boolean): void {
    switch (reply.kind) {
      case 'hang':
        this.holdOpen(res);
        return;
      case 'error':
        this.sendError(res, reply);
        return;
      case 'message':
        if (stream) this.sendStream(res, reply.message, request, reply.headers);
        else this.sendJson(res, 200, this.messageBody(reply.message, request), reply.headers);
        return;
      case 'stall':
      case 'stream-error':
        this.sendStream(res, reply.message, request, undefined, reply);
        return;
      case 'slow':
        if (stream) this.sendStream(res, reply.message, request, undefined, undefined, reply.everyMs);
        else this.sendJson(res, 200, this.messageBody(reply.message, request));
        return;
    }
  }

  private usage(message: FakeMessage, request: RecordedRequest) {
    const total = estimateTokens(request.body);
    const body = request.body as { messages?: unknown; system?: unknown };
    let input = total;
    let cacheCreation = 0;
    let cacheRead = 0;
    if (hasCacheControl(body.messages) || hasCacheControl(body.system)) {
      const key = JSON.stringify(documentBlocks(body));
      const prefix = Math.max(0, total - 50);
      if (this.cached.has(key)) cacheRead = prefix;
      else {
        cacheCreation = prefix;
        this.cached.add(key);
      }
      input = total - prefix;
    }
    const output = message.outputTokens ?? Math.max(1, Math.ceil(message.content.map((block) => block.text).join('').length / 4));
    return { input_tokens: input, cache_creation_input_tokens: cacheCreation, cache_read_input_tokens: cacheRead, output_tokens: output };
  }

  private citations(block: FakeBlock, request: RecordedRequest) {
    const blocks = documentBlocks(request.body);
    return (block.cite ?? []).map(({ start, end }) => {
      const stop = end ?? start + 1;
      return {
        type: 'content_block_location',
        cited_text: blocks.slice(start, stop).join(''),
        document_index: 0,
        document_title: this.documentTitle(request.body) ?? null,
        start_block_index: start,
        end_block_index: stop,
      };
    });
  }

  private documentTitle(body: unknown): string | undefined {
    const messages = (body as { messages?: { content?: unknown }[] } | undefined)?.messages ?? [];
    for (const message of messages) {
      if (!Array.isArray(message.content)) continue;
      for (const part of message.content as { type?: string; title?: string }[]) if (part.type === 'document') return part.title;
    }
    return undefined;
  }

  private messageBody(message: FakeMessage, request: RecordedRequest) {
    const model = (request.body as { model: string }).model;
    return {
      id: `msg_fake_${randomUUID().replaceAll('-', '')}`,
      type: 'message',
      role: 'assistant',
      model,
      content: message.content.map((block) =>
        block.cite && block.cite.length > 0 ? { type: 'text', text: block.text, citations: this.citations(block, request) } : { type: 'text', text: block.text },
      ),
      stop_reason: message.stopReason ?? 'end_turn',
      stop_sequence: null,
      usage: this.usage(message, request),
    };
  }

  private sendStream(
    res: ServerResponse,
    message: FakeMessage,
    request: RecordedRequest,
    headers?: Record<string, string>,
    fault?: Extract<FakeReply, { kind: 'stall' | 'stream-error' }>,
    everyMs = 0,
  ): void {
    const full = this.messageBody(message, request);
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'request-id': `req_fake_${randomUUID()}`, ...headers });
    const events: string[] = [];
    const send = (event: string, data: unknown) => events.push(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    const { usage } = full;
    send('message_start', { type: 'message_start', message: { ...full, content: [], stop_reason: null, stop_sequence: null, usage: { ...usage, output_tokens: 1 } } });
    send('ping', { type: 'ping' });
    full.content.forEach((block, index) => {
      const cited = 'citations' in block;
      send('content_block_start', { type: 'content_block_start', index, content_block: cited ? { type: 'text', text: '', citations: [] } : { type: 'text', text: '' } });
      if (cited) for (const citation of block.citations ?? []) send('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'citations_delta', citation } });
      const pieces = block.text.match(/\S+\s*|\s+/g) ?? [];
      for (const [n, piece] of pieces.entries()) {
        send('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'text_delta', text: piece } });
        if (fault && index === 0 && n === 0) break;
      }
      if (fault && index === 0) return;
      send('content_block_stop', { type: 'content_block_stop', index });
    });
    if (fault?.kind === 'stall') {
      for (const event of events) res.write(event);
      this.holdOpen(res);
      return;
    }
    if (fault?.kind === 'stream-error') send('error', { type: 'error', error: { type: fault.type, message: 'Overloaded' } });
    else {
      send('message_delta', { type: 'message_delta', delta: { stop_reason: full.stop_reason, stop_sequence: null }, usage: { output_tokens: usage.output_tokens } });
      send('message_stop', { type: 'message_stop' });
    }
    if (everyMs === 0) {
      for (const event of events) res.write(event);
      res.end();
      return;
    }
    // Paced: one event every `everyMs`, held open like a hang meanwhile so that close() ends it.
    let timer: NodeJS.Timeout | undefined;
    this.holdOpen(res, () => clearTimeout(timer));
    const write = (index: number) => {
      if (res.destroyed) return;
      if (index === events.length) {
        res.end();
        return;
      }
      res.write(events[index]);
      timer = setTimeout(() => write(index + 1), everyMs);
    };
    write(0);
  }

  /** Keeps a response open until the client goes or close() is called. */
  private holdOpen(res: ServerResponse, onClose?: () => void): void {
    this.hanging.add(res);
    res.on('close', () => {
      onClose?.();
      this.hanging.delete(res);
    });
  }

  private sendJson(res: ServerResponse, status: number, body: unknown, headers?: Record<string, string>): void {
    res.writeHead(status, { 'content-type': 'application/json', 'request-id': `req_fake_${randomUUID()}`, ...headers });
    res.end(JSON.stringify(body));
  }

  private sendError(res: ServerResponse, reply: Extract<FakeReply, { kind: 'error' }>): void {
    const error: Record<string, unknown> = { type: reply.type, message: reply.message ?? reply.type };
    if (reply.errorCode) error.details = { error_code: reply.errorCode };
    this.sendJson(res, reply.status, { type: 'error', error, request_id: `req_fake_${randomUUID()}` }, reply.headers);
  }
}
