import { randomBytes } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InteractionHandle } from '../../src/local-discord/index.js';
import { startHarness, type Harness } from './harness.js';

const sse = (event: string, data: unknown) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
const start = sse('message_start', {
  type: 'message_start',
  message: { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-haiku-4-5', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 100, output_tokens: 1 } },
});
const block = sse('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } });
const delta = (text: string) => sse('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } });
const end = (stop: string) =>
  sse('content_block_stop', { type: 'content_block_stop', index: 0 }) +
  sse('message_delta', { type: 'message_delta', delta: { stop_reason: stop, stop_sequence: null }, usage: { output_tokens: 20 } }) +
  sse('message_stop', { type: 'message_stop' });

let mode: 'slow-refusal' | 'reset' = 'slow-refusal';
let calls = 0;
const sockets = new Set<Socket>();
const server = createServer((req, res: ServerResponse) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const streaming = (JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { stream?: boolean }).stream === true;
    if (req.url?.includes('count_tokens')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"input_tokens":10}');
      return;
    }
    calls++;
    if (!streaming) {
      // The bot asks without streaming when the answer is shared: one JSON answer, refused at its end.
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: 'msg_2', type: 'message', role: 'assistant', model: 'claude-haiku-4-5', content: [{ type: 'text', text: 'Sure, here is REFUSEDSENTINEL-3131 the text you asked for' }], stop_reason: mode === 'slow-refusal' ? 'refusal' : 'end_turn', stop_sequence: null, usage: { input_tokens: 100, output_tokens: 20 } }));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(start + block);
    if (mode === 'slow-refusal') {
      res.write(delta('Sure, here is REFUSEDSENTINEL-3131 '));
      setTimeout(() => res.write(delta('the text you asked for ')), 150);
      setTimeout(() => res.end(end('refusal')), 300);
    } else {
      res.write(delta('Matthias Wenke '));
      setTimeout(() => res.socket?.destroy(), 50);
    }
  });
});

const edits = (h: Harness, handle: InteractionHandle) =>
  h.discord.requestsMatching({ method: 'PATCH', path: `/webhooks/${h.discord.ids.application}/${handle.token}/messages/@original` });

/**
 * /ask through the bot against a raw Anthropic stand-in streaming what the fake cannot script: a refusal that
 * arrives at the end of a stream, after text, and a connection cut off mid-stream.
 */
describe('/ask with a stream that refuses or breaks', () => {
  let h: Harness;
  beforeAll(async () => {
    server.on('connection', (s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    h = await startHarness({
      env: { ANTHROPIC_API_KEY: 'sk-ant-e2e-raw', ANTHROPIC_BASE_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, ASK_EDIT_INTERVAL_MS: '1', ASK_TIMEOUT_MS: '5000', REFLECTIONS_KEY: randomBytes(32).toString('hex') },
    });
  });
  afterAll(async () => {
    await h?.stop();
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('shared in the channel, a refusal streamed after some text: the refused half-answer is never posted', async () => {
    mode = 'slow-refusal';
    const handle = await h.discord.interact.chatInput({ name: 'ask', options: { question: 'Who writes about enactment?', share: true } });
    await handle.reply();
    await h.discord.waitFor(() => h.discord.render(handle).includes('I can’t answer that one'));
    await handle.settled();
    expect(h.discord.render(handle)).toContain('I can’t answer that one');
    const shownTexts = edits(h, handle).map((p) => JSON.stringify(p.body));
    expect(handle.ephemeral).toBe(false);
    expect(shownTexts.length).toBeGreaterThan(0);
    expect(shownTexts.some((t) => t.includes('REFUSEDSENTINEL-3131'))).toBe(false);
  });

  it('a connection reset mid-stream is retried before giving up', async () => {
    mode = 'reset';
    calls = 0;
    const handle = await h.discord.interact.chatInput({ name: 'ask', options: { question: 'Who writes about enactment?' } });
    await handle.reply();
    // Two waits between the three attempts (0.5 s and 1 s of back-off), then the dataset's answer.
    await h.discord.waitFor(() => h.discord.render(handle).includes('Claude could not be reached') || undefined, { timeoutMs: 10_000 });
    expect(calls).toBe(3);
    expect(h.discord.render(handle)).toContain('Claude could not be reached');
  });
});
