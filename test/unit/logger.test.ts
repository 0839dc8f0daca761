import { describe, expect, it } from 'vitest';
import { capturedLogger } from '../helpers/logs.js';

const SENTINEL = 'sentinel-secret-4f9a';

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

  it('leaves the logged object itself as it was', () => {
    const { log } = capturedLogger('info');
    const fields = { options: { token: SENTINEL } };
    log.info(fields, 'nested');
    expect(fields.options.token).toBe(SENTINEL);
  });
});
