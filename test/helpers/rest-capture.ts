import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from 'discord.js';
import { createDiscordClient } from '../../src/discord/client.js';

export interface CapturedRequest {
  method: string;
  path: string;
  body: any;
}

/**
 * A minimal HTTP stand-in for Discord's REST API, for router-level tests: it records every request the real
 * discord.js client makes and answers with plausible shapes. (The full local Discord with a gateway lives in
 * src/local-discord and serves the end-to-end tests.)
 */
export interface RestCapture {
  client: Client;
  requests: CapturedRequest[];
  close(): Promise<void>;
}

async function readBody(request: IncomingMessage): Promise<any> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

let nextId = 1_300_000_000_000_000_000n;
const snowflake = () => String(nextId++);

export async function startRestCapture(): Promise<RestCapture> {
  const requests: CapturedRequest[] = [];
  const server: Server = createServer((request, response) => {
    void (async () => {
      const url = new URL(request.url ?? '/', 'http://localhost');
      const path = decodeURIComponent(url.pathname.replace(/^\/api\/v10/, ''));
      const body = await readBody(request);
      requests.push({ method: request.method ?? 'GET', path, body });
      if (/^\/interactions\/\d+\/[^/]+\/callback$/.test(path)) {
        response.statusCode = 204;
        response.end();
        return;
      }
      if (/^\/webhooks\//.test(path) && request.method !== 'DELETE') {
        response.setHeader('content-type', 'application/json');
        response.end(
          JSON.stringify({
            id: snowflake(),
            channel_id: '1100000000000000001',
            type: 0,
            content: body?.content ?? '',
            embeds: body?.embeds ?? [],
            components: body?.components ?? [],
            attachments: [],
            author: { id: '1000000000000000001', username: 'reading-circle', discriminator: '0', bot: true, avatar: null },
            timestamp: new Date().toISOString(),
            edited_timestamp: null,
            flags: body?.flags ?? 0,
            mentions: [],
            mention_roles: [],
            mention_everyone: false,
            pinned: false,
            tts: false,
          }),
        );
        return;
      }
      if (request.method !== 'DELETE') response.setHeader('content-type', 'application/json');
      response.statusCode = request.method === 'DELETE' ? 204 : 404;
      response.end(request.method === 'DELETE' ? undefined : JSON.stringify({ message: '404: Not Found', code: 0 }));
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const client = createDiscordClient({ DISCORD_API_URL: `http://127.0.0.1:${port}/api`, DISCORD_REST_TIMEOUT_MS: 5000 });
  client.rest.setToken('test-token-not-secret');
  return {
    client,
    requests,
    close: async () => {
      await client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
