import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { undiciRequest } from '../../src/discord/rest-request.js';

interface Received {
  method: string;
  contentType: string | undefined;
  body: string;
}

describe('undiciRequest (how both REST clients send a request)', () => {
  let server: Server;
  let base: string;
  const received: Received[] = [];

  beforeAll(async () => {
    server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        received.push({ method: request.method ?? '', contentType: request.headers['content-type'], body: Buffer.concat(chunks).toString('utf8') });
        if (request.url === '/gone') {
          response.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"Unknown Message","code":10008}');
          return;
        }
        response.writeHead(200, { 'content-type': 'application/json', 'x-ratelimit-remaining': '4', 'set-cookie': ['a=1', 'b=2'] }).end('{"id":"1"}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('answers as the library expects: status, text, ok, headers by name, and a body read once', async () => {
    const response = await undiciRequest(`${base}/ok`, { method: 'POST', body: '{"type":4}', headers: { 'Content-Type': 'application/json' } });
    expect(response).toMatchObject({ status: 200, statusText: 'OK', ok: true, bodyUsed: false });
    expect(response.headers.get('X-RateLimit-Remaining')).toBe('4');
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.get('set-cookie')).toBe('a=1,b=2');
    expect(await response.json()).toEqual({ id: '1' });
    expect(response.bodyUsed).toBe(true);
    expect(received.at(-1)).toEqual({ method: 'POST', contentType: 'application/json', body: '{"type":4}' });

    const missing = await undiciRequest(`${base}/gone`, { method: 'GET' });
    expect(missing).toMatchObject({ status: 404, statusText: 'Not Found', ok: false });
    expect(await missing.text()).toContain('Unknown Message');
  });

  it('keeps no getter on the answer itself: one built per request in a literal lives in the old generation and keeps the whole request alive through scavenges', async () => {
    const response = await undiciRequest(`${base}/ok`, { method: 'GET' });
    const accessors = Object.entries(Object.getOwnPropertyDescriptors(response)).filter(([, descriptor]) => descriptor.get !== undefined || descriptor.set !== undefined);
    expect(accessors).toEqual([]);
    await response.arrayBuffer();
  });

  it('sends every kind of body the library can hand it, as its own strategy does', async () => {
    const bodies: { body: NonNullable<Parameters<typeof undiciRequest>[1]['body']>; sent: string }[] = [
      { body: 'plain text', sent: 'plain text' },
      { body: new TextEncoder().encode('bytes'), sent: 'bytes' },
      { body: new TextEncoder().encode('array buffer').buffer, sent: 'array buffer' },
      { body: new URLSearchParams({ a: '1', b: 'two' }), sent: 'a=1&b=two' },
      { body: new Blob(['a blob']), sent: 'a blob' },
      { body: new DataView(new TextEncoder().encode('xx a view xx').buffer, 3, 6), sent: 'a view' },
    ];
    for (const { body, sent } of bodies) {
      const response = await undiciRequest(`${base}/ok`, { method: 'POST', body });
      await response.arrayBuffer();
      expect(received.at(-1)?.body).toBe(sent);
    }

    // The global FormData, which the library builds for files; undici's types name only its own.
    const form = new FormData();
    form.append('payload_json', '{"content":"hi"}');
    form.append('files[0]', new Blob(['file body'], { type: 'text/plain' }), 'notes.txt');
    const response = await undiciRequest(`${base}/ok`, { method: 'POST', body: form as never });
    await response.arrayBuffer();
    const last = received.at(-1)!;
    expect(last.contentType).toMatch(/^multipart\/form-data; boundary=/);
    expect(last.body).toContain('{"content":"hi"}');
    expect(last.body).toContain('filename="notes.txt"');
    expect(last.body).toContain('file body');
  });

  it('fails as the library would when the server cannot be reached, and stops when its signal aborts', async () => {
    await expect(undiciRequest('http://127.0.0.1:9/unreachable', { method: 'GET' })).rejects.toThrow();
    const controller = new AbortController();
    controller.abort();
    await expect(undiciRequest(`${base}/ok`, { method: 'GET', signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' });
  });
});
