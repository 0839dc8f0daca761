import { randomBytes } from 'node:crypto';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { MessageFlags, Routes, type RepliableInteraction } from 'discord.js';
import { interactionRestOf } from './bot-client.js';

export interface UploadFile {
  name: string;
  data: Uint8Array;
}

/**
 * Sends an interaction's reply (its deferred original, or an ephemeral follow-up) with files, as a multipart
 * body built here in one buffer and handed to discord.js's REST client as it is (`passThroughBody`): its rate
 * limits, retries and timeout still apply. Given the files, discord.js copies each into a Blob and streams
 * the form through web streams, a chain of promise callbacks that writes megabytes before the event loop gets
 * a turn: a 10 MB export part held the bot's thread for over 100 ms while members' commands waited. A plain
 * buffer is written by the socket as it drains, a socket buffer at a time. It goes through the client for
 * token-authorised requests (bot-client.ts), as every other request on the interaction's webhook does.
 */
export async function sendWithFiles(interaction: RepliableInteraction, target: 'original' | 'follow-up', content: string, files: readonly UploadFile[]): Promise<void> {
  const payload = {
    content,
    // Nothing the bot posts can ping anyone (the API form of NO_MENTIONS).
    allowed_mentions: { parse: [] },
    ...(target === 'follow-up' ? { flags: MessageFlags.Ephemeral } : {}),
    attachments: files.map((file, id) => ({ id, filename: file.name })),
  };
  const { body, contentType } = await multipartBody(payload, files);
  const options = { body, passThroughBody: true, headers: { 'Content-Type': contentType }, auth: false } as const;
  const rest = interactionRestOf(interaction.client);
  if (target === 'original') {
    await rest.patch(Routes.webhookMessage(interaction.applicationId, interaction.token, '@original'), options);
    // As editReply would have recorded it, so discord.js's own calls see the reply as sent.
    interaction.replied = true;
  } else await rest.post(Routes.webhook(interaction.applicationId, interaction.token), { ...options, query: new URLSearchParams({ wait: 'true' }) });
}

/** Bytes copied into the body between two turns of the event loop. */
const COPY_SLICE = 1024 * 1024;

/**
 * `multipart/form-data` as Discord takes it: `payload_json`, then `files[n]` in the order of `attachments`.
 * The body is one buffer (discord.js's REST client would join any other shape into one anyway), filled a
 * megabyte at a time with the event loop getting a turn in between: copying a 10 MB export part in one go
 * into freshly allocated memory held the bot's thread for 20-50 ms.
 */
export async function multipartBody(payload: unknown, files: readonly UploadFile[]): Promise<{ body: Buffer; contentType: string }> {
  const boundary = `----reading-circle-${randomBytes(12).toString('hex')}`;
  const pieces: Uint8Array[] = [
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="payload_json"\r\nContent-Type: application/json\r\n\r\n${JSON.stringify(payload)}\r\n`, 'utf8'),
  ];
  files.forEach((file, index) => {
    pieces.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="files[${index}]"; filename="${quoted(file.name)}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
        'utf8',
      ),
      file.data,
      Buffer.from('\r\n', 'utf8'),
    );
  });
  pieces.push(Buffer.from(`--${boundary}--\r\n`, 'utf8'));
  const body = Buffer.allocUnsafe(pieces.reduce((sum, piece) => sum + piece.length, 0));
  let offset = 0;
  let sinceTurn = 0;
  for (const piece of pieces) {
    for (let start = 0; start < piece.length; start += COPY_SLICE) {
      if (sinceTurn >= COPY_SLICE) {
        await nextTurn();
        sinceTurn = 0;
      }
      const slice = piece.subarray(start, start + COPY_SLICE);
      body.set(slice, offset);
      offset += slice.length;
      sinceTurn += slice.length;
    }
  }
  return { body, contentType: `multipart/form-data; boundary=${boundary}` };
}

/** A file name inside the header's quotes: no quote, backslash or line break can end it early. */
function quoted(name: string): string {
  return name.replace(/[\r\n]/g, ' ').replace(/["\\]/g, '_');
}
