import { describe, expect, it } from 'vitest';
import { prng } from '../../bench/lib/stats.js';
import { multipartBody } from '../../src/discord/file-upload.js';
import { DiscordHttpError } from '../../src/local-discord/model.js';
import { parseMultipart } from '../../src/local-discord/multipart.js';

interface Seen {
  name: string;
  filename: string | null;
  contentType: string | null;
  bytes: string;
}

/** What undici's own parser (`Response.formData()`, which the local Discord used before) makes of a body. */
async function viaUndici(raw: Buffer, contentType: string): Promise<Seen[]> {
  const form = await new Response(new Uint8Array(raw), { headers: { 'content-type': contentType } }).formData();
  const seen: Seen[] = [];
  for (const [name, value] of form.entries()) {
    if (typeof value === 'string') seen.push({ name, filename: null, contentType: null, bytes: Buffer.from(value, 'utf8').toString('hex') });
    else seen.push({ name, filename: value.name, contentType: value.type || null, bytes: Buffer.from(await value.arrayBuffer()).toString('hex') });
  }
  return seen;
}

function viaOurs(raw: Buffer, contentType: string): Seen[] {
  return parseMultipart(raw, contentType).map((part) => ({
    name: part.name,
    filename: part.filename,
    // undici gives a field (no filename) no type; a file's missing type is "".
    contentType: part.filename === null ? null : part.contentType || null,
    bytes: part.data.toString('hex'),
  }));
}

/** A body as undici's FormData serialises it (what discord.js sends). */
async function serialised(form: FormData): Promise<{ raw: Buffer; contentType: string }> {
  const request = new Request('http://127.0.0.1/', { method: 'POST', body: form });
  return { raw: Buffer.from(await request.arrayBuffer()), contentType: request.headers.get('content-type')! };
}

describe('the local Discord’s multipart parser', () => {
  it('reads what undici reads, from forms undici serialises (seed 20261204)', async () => {
    const next = prng(20261204);
    const names = ['payload_json', 'files[0]', 'files[1]', 'a "quoted" name', 'line\nbreak', 'ünïcødé ✓', 'semi;colon', 'back\\slash'];
    for (let n = 0; n < 40; n++) {
      const form = new FormData();
      const parts = 1 + Math.floor(next() * 4);
      for (let p = 0; p < parts; p++) {
        const name = names[Math.floor(next() * names.length)]!;
        // Bytes that look like the start of a boundary, line breaks and dashes, and random binary.
        const size = Math.floor(next() * 3000);
        const bytes = Buffer.from(Array.from({ length: size }, () => (next() < 0.2 ? [0x0d, 0x0a, 0x2d][Math.floor(next() * 3)]! : Math.floor(next() * 256))));
        if (next() < 0.3) form.append(name, `{"content":"${'x'.repeat(size % 50)}\\r\\n--"}`);
        else form.append(name, new Blob([bytes], next() < 0.5 ? { type: 'text/csv' } : {}), names[Math.floor(next() * names.length)]!.replace('payload_json', 'export.csv'));
      }
      const { raw, contentType } = await serialised(form);
      expect(viaOurs(raw, contentType)).toEqual(await viaUndici(raw, contentType));
    }
  });

  it('reads the bodies the bot builds for its uploads, an empty file among them', async () => {
    const data = Buffer.from('id,text\r\n1,"--not a boundary\r\n"\r\n');
    const { body, contentType } = await multipartBody({ content: 'Your export' }, [
      { name: 'reflections.csv', data },
      { name: 'empty.md', data: new Uint8Array(0) },
    ]);
    const ours = viaOurs(body, contentType);
    expect(ours).toEqual(await viaUndici(body, contentType));
    expect(ours.map((p) => p.name)).toEqual(['payload_json', 'files[0]', 'files[1]']);
    expect(Buffer.from(ours[1]!.bytes, 'hex')).toEqual(data);
  });

  it('skips a preamble and an epilogue, and takes a quoted boundary (both RFC 7578; undici refuses them)', () => {
    const raw = Buffer.from('preamble\r\n--b:1\r\nContent-Disposition: form-data; name="payload_json"\r\n\r\n{"a":1}\r\n--b:1--\r\nepilogue');
    const contentType = 'multipart/form-data; boundary="b:1"';
    expect(viaOurs(raw, contentType)).toEqual([{ name: 'payload_json', filename: null, contentType: null, bytes: Buffer.from('{"a":1}').toString('hex') }]);
  });

  it('answers a malformed body with Discord’s 400 form error, not a crash', () => {
    const cases: [string, string][] = [
      ['--b\r\nContent-Disposition: form-data; name="x"\r\n\r\nno closing boundary', 'multipart/form-data; boundary=b'],
      ['--b\r\nContent-Disposition: form-data; name="x"', 'multipart/form-data; boundary=b'],
      ['no boundary at all', 'multipart/form-data; boundary=b'],
      ['--b\r\nContent-Type: text/plain\r\n\r\nnameless\r\n--b--', 'multipart/form-data; boundary=b'],
      ['--b\r\n\r\n\r\n--b--', 'multipart/form-data'],
    ];
    for (const [body, contentType] of cases) {
      let thrown: unknown;
      try {
        parseMultipart(Buffer.from(body), contentType);
      } catch (error) {
        thrown = error;
      }
      expect(thrown, body).toBeInstanceOf(DiscordHttpError);
      expect((thrown as DiscordHttpError).status).toBe(400);
    }
  });
});
