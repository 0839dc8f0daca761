import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { renderAnswer } from '../../commands/ask.js';
import { blockIndex, replies, type RecordedRequest } from '../../src/ai/fake-anthropic.js';
import { GUILD, MEMBER, useAskRig } from '../helpers/ask-setup.js';

const rig = useAskRig();
const ask = (question = 'Which chapters deal with failure in practice?', userId = MEMBER) => ({ guildId: GUILD, userId, question });
const cited = (request: RecordedRequest) =>
  replies.text({ text: 'Matthias Wenke writes about a collusive enactment', cite: [{ start: blockIndex(request.body, 'collusive enactment') }] });

/**
 * /ask where Anthropic or members do what the fake's scripts do not: a connection cut off after the answer
 * began, five questions at once at the budget's edge, markers and links Claude writes itself, a quota of 0.
 * Found by a review; each fails with the code before its fix.
 */

// A raw stand-in for faults the fake cannot script.
const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});
async function rawAnthropic(handle: (n: number, res: ServerResponse) => void): Promise<{ url: string; calls: () => number }> {
  let n = 0;
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.url?.includes('count_tokens')) return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"input_tokens":10}');
      handle(++n, res);
    });
  });
  server.on('connection', (s) => (sockets.add(s), s.on('close', () => sockets.delete(s))));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  open.push({ close: () => (sockets.forEach((s) => s.destroy()), new Promise<void>((r) => server.close(() => r()))) });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, calls: () => n };
}
const sse = (event: string, data: unknown) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
const STREAM_HEAD =
  sse('message_start', { type: 'message_start', message: { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-haiku-4-5', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 100, output_tokens: 1 } } }) +
  sse('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }) +
  sse('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Matthias ' } });

describe('/ask: a connection reset after Anthropic began to answer is retried', () => {
  it('mid-stream reset (SSE)', async () => {
    const server = await rawAnthropic((_n, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(STREAM_HEAD);
      setTimeout(() => res.socket?.destroy(), 20);
    });
    const { service, logs } = await rig({ env: { ANTHROPIC_BASE_URL: server.url } });
    const answer = await service.ask({ ...ask(), onProgress: () => undefined });
    expect(answer.outcome).toBe('failed');
    expect(logs()).toContain('"kind":"connection","retryable":true'); // "Claude could not be reached"
    expect(server.calls()).toBe(3);
  });

  it('mid-body reset (plain JSON call)', async () => {
    const server = await rawAnthropic((_n, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '500' });
      res.write('{"id":"msg_1","type":"message","role":"assistant","content":[{"type":"text","text":"Matth');
      setTimeout(() => res.socket?.destroy(), 20);
    });
    const { service } = await rig({ env: { ANTHROPIC_BASE_URL: server.url } });
    await service.ask(ask());
    expect(server.calls()).toBe(3);
  });
});

describe('/ask: the monthly budget holds for questions asked at the same moment', () => {
  it('five members at once against a budget one answer exhausts', async () => {
    const { fake, service } = await rig({ env: { ASK_SERVER_MONTHLY_TOKENS: '700' } });
    fake.responder = cited; // ~640 tokens an answer in the fake
    const members = ['1200000000000000011', '1200000000000000012', '1200000000000000013', '1200000000000000014', '1200000000000000015'];
    const answers = await Promise.all(members.map((userId) => service.ask(ask(undefined, userId))));
    expect(answers.filter((a) => a.by === 'claude')).toHaveLength(1);
    expect(service.usage(GUILD).total).toBeLessThanOrEqual(700 + 700);
    const others = answers.filter((a) => a.by === 'dataset');
    expect(others.every((a) => a.outcome === 'budget' && a.remarks[0]!.includes('nearly taken by the questions being answered right now'))).toBe(true);
  });
});

describe('/ask: markers and masked links Claude writes itself', () => {
  it('drops "[n]" markers Claude wrote (an uncited claim must not look cited) and shows where a masked link leads', async () => {
    const { fake, service } = await rig();
    fake.responder = (request) =>
      replies.text(
        { text: 'Wenke writes about a collusive enactment', cite: [{ start: blockIndex(request.body, 'collusive enactment') }] },
        { text: '. Jane Invented says shame is always the therapist’s fault [1], on p. 412 [2]. See [the book](https://evil.example/phish).' },
      );
    const answer = await service.ask(ask());
    const description = renderAnswer('q', answer).description ?? '';
    expect(answer.notes).toEqual(['[1] Chapter 5 (Matthias Wenke), Part II, p. 35']);
    // Only the one marker the bot added may appear in the body.
    expect(answer.body.match(/\[\d+\]/g)).toEqual(['[1]']);
    expect(description).not.toContain('[2]');
    expect(answer.body).toContain('the book (https://evil.example/phish)');
    expect(answer.body).not.toContain('](');
  });
});

describe('/ask: a quota of 0 (the dataset alone) is not presented as a wait', () => {
  it('per-hour 0', async () => {
    const { fake, service } = await rig();
    fake.responder = cited;
    service.setLimits(GUILD, { perMemberPerHour: 0 });
    const answer = await service.ask(ask('Who writes about litigation?'));
    expect(answer).toMatchObject({ by: 'dataset', outcome: 'quota' });
    expect(answer.remarks[0]).not.toMatch(/You can ask Claude again/);
    expect(answer.remarks[0]).toContain('answer from the book data alone');
  });
});
