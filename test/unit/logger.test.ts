import { DiscordAPIError } from 'discord.js';
import { describe, expect, it } from 'vitest';
import { maskTokens } from '../../src/logger.js';
import { capturedLogger } from '../helpers/logs.js';

const SENTINEL = 'sentinel-secret-4f9a';
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

describe('the logger', () => {
  it('censors token, authorization and apiKey at the top level and one level down, in log objects and child bindings', () => {
    const { log, text, lines } = capturedLogger('info');
    log.info({ token: SENTINEL, count: 1 }, 'top');
    log.info({ options: { token: SENTINEL, kept: 'yes' } }, 'nested');
    log.info({ headers: { authorization: `Bot ${SENTINEL}` } }, 'headers');
    log.info({ apiKey: SENTINEL, client: { apiKey: SENTINEL } }, 'key');
    log.child({ token: SENTINEL }).info('bound');
    log.info({ err: Object.assign(new Error('failed'), { token: SENTINEL, request: { authorization: SENTINEL } }) }, 'error');
    expect(lines).toHaveLength(6);
    expect(text()).not.toContain(SENTINEL);
    const parsed = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(parsed[0]).toMatchObject({ token: '[redacted]', count: 1 });
    expect(parsed[1]).toMatchObject({ options: { token: '[redacted]', kept: 'yes' } });
    expect(parsed[2]).toMatchObject({ headers: { authorization: '[redacted]' } });
    expect(parsed[3]).toMatchObject({ apiKey: '[redacted]', client: { apiKey: '[redacted]' } });
    expect(parsed[4]).toMatchObject({ token: '[redacted]', msg: 'bound' });
    expect(parsed[5]).toMatchObject({ err: { message: 'failed', token: '[redacted]', request: { authorization: '[redacted]' } } });
  });

  it('censors secret keys one level down in child bindings, and in an error logged under a key other than err', () => {
    const { log, text, lines } = capturedLogger('info');
    log.child({ options: { token: SENTINEL } }).info('bound nested');
    log.child({ feature: 'export' }).child({ options: { token: SENTINEL } }).info('bound nested twice');
    log.info({ error: Object.assign(new Error('failed'), { token: SENTINEL }) }, 'error elsewhere');
    expect(lines).toHaveLength(3);
    expect(text()).not.toContain(SENTINEL);
    const parsed = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(parsed[0]).toMatchObject({ options: { token: '[redacted]' } });
    expect(parsed[1]).toMatchObject({ feature: 'export', options: { token: '[redacted]' } });
    expect(parsed[2]).toMatchObject({ error: { token: '[redacted]' } });
  });

  it('logs neither the request body nor the interaction token of a failed Discord request', () => {
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

  it('masks interaction and webhook tokens wherever a URL holds one', () => {
    expect(maskTokens(`POST /api/v10/interactions/111/${TOKEN}/callback?with_response=false`)).toBe('POST /api/v10/interactions/111/:token/callback?with_response=false');
    expect(maskTokens(`/webhooks/222/${TOKEN}`)).toBe('/webhooks/222/:token');
    expect(maskTokens('/channels/333/messages')).toBe('/channels/333/messages');
  });

  it('leaves the logged object itself as it was', () => {
    const { log } = capturedLogger('info');
    const fields = { options: { token: SENTINEL } };
    log.info(fields, 'nested');
    expect(fields.options.token).toBe(SENTINEL);
  });
});
