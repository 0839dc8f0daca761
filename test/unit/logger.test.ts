import { DiscordAPIError } from 'discord.js';
import { describe, expect, it } from 'vitest';
import { maskTokens } from '../../src/logger.js';
import { capturedLogger } from '../helpers/logs.js';

const TOKEN = 'aW50ZXJhY3Rpb246MTIzNDU2Nzg5MDEyMzQ1Njc4OnNlY3JldA';
const TEXT = 'my therapist said the thing I never told anyone';

function failedEdit(): DiscordAPIError {
  return new DiscordAPIError(
    { code: 50035, message: 'Invalid Form Body' },
    50035,
    400,
    'PATCH',
    `http://127.0.0.1:1234/api/v10/webhooks/123456789012345678/${TOKEN}/messages/@original`,
    { body: { embeds: [{ description: TEXT }] }, files: [{ name: 'reflections.md', data: Buffer.from(TEXT) }] },
  );
}

describe('logged errors', () => {
  it('carry neither the request body nor the interaction token of a failed Discord request', () => {
    const { log, text } = capturedLogger();
    log.error({ err: failedEdit() }, 'interaction handler failed');
    log.warn({ err: new Error('wrapped', { cause: failedEdit() }) }, 'a wrapped failure');
    const logged = text();
    expect(logged).toContain('Invalid Form Body');
    expect(logged).toContain('/webhooks/123456789012345678/:token/messages/@original');
    expect(logged).not.toContain(TEXT);
    expect(logged).not.toContain(TOKEN);
    expect(logged).not.toContain(Buffer.from(TEXT).toString('base64'));
  });

  it('mask interaction and webhook tokens wherever a URL holds one', () => {
    expect(maskTokens(`POST /api/v10/interactions/111/${TOKEN}/callback?with_response=false`)).toBe('POST /api/v10/interactions/111/:token/callback?with_response=false');
    expect(maskTokens(`/webhooks/222/${TOKEN}`)).toBe('/webhooks/222/:token');
    expect(maskTokens('/channels/333/messages')).toBe('/channels/333/messages');
  });
});
