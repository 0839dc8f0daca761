import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { multipartBody } from '../../src/discord/file-upload.js';

describe('multipart upload body', () => {
  it('parses as the form Discord takes: payload_json, then each file under files[n] with its name and bytes', async () => {
    const payload = { content: 'Part 1 of the export.', allowed_mentions: { parse: [] }, attachments: [{ id: 0, filename: 'a.csv.part01' }, { id: 1, filename: 'a "b".json' }] };
    const binary = Uint8Array.from({ length: 4096 }, (_, i) => (i * 37) % 256);
    const { body, contentType } = await multipartBody(payload, [
      { name: 'a.csv.part01', data: binary },
      { name: 'a "b".json', data: Buffer.from('{"x":1}\r\n--not a boundary\r\n', 'utf8') },
    ]);
    const form = await new Response(new Uint8Array(body), { headers: { 'content-type': contentType } }).formData();
    expect(JSON.parse(form.get('payload_json') as string)).toEqual(payload);
    const first = form.get('files[0]') as File;
    const second = form.get('files[1]') as File;
    expect(first.name).toBe('a.csv.part01');
    expect(Buffer.from(await first.arrayBuffer()).equals(Buffer.from(binary))).toBe(true);
    // A quote cannot end the file name early.
    expect(second.name).toBe('a _b_.json');
    expect(await second.text()).toBe('{"x":1}\r\n--not a boundary\r\n');
  });

  it('copies a file of several megabytes exactly, giving the event loop turns while it does', async () => {
    const big = randomBytes(3.5 * 1024 * 1024);
    let turns = 0;
    const tick = () => {
      turns += 1;
      if (!done) setImmediate(tick);
    };
    let done = false;
    setImmediate(tick);
    const { body, contentType } = await multipartBody({ attachments: [{ id: 0, filename: 'big.bin' }] }, [{ name: 'big.bin', data: big }]);
    done = true;
    expect(turns).toBeGreaterThanOrEqual(3);
    const form = await new Response(new Uint8Array(body), { headers: { 'content-type': contentType } }).formData();
    expect(Buffer.from(await (form.get('files[0]') as File).arrayBuffer()).equals(big)).toBe(true);
  });

  it('uses a fresh boundary each time', async () => {
    const a = (await multipartBody({}, [])).contentType;
    const b = (await multipartBody({}, [])).contentType;
    expect(a).toMatch(/^multipart\/form-data; boundary=----reading-circle-[0-9a-f]{24}$/);
    expect(a).not.toBe(b);
  });
});
