import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ReflectionCipher, ReflectionKeyError, keyIdOf } from '../../src/reflections/crypto.js';
import { parseReflectionId, validateReflectionText } from '../../src/reflections/validation.js';
import { UserFacingError } from '../../src/errors.js';

const binding = { purpose: 'body' as const, guildId: '100000000000000001', authorId: '200000000000000002', rowId: 7 };

describe('reflection cipher (AES-256-GCM)', () => {
  it('round-trips text and uses a fresh IV for every value', () => {
    const cipher = new ReflectionCipher(randomBytes(32));
    const a = cipher.seal('the same words', binding);
    const b = cipher.seal('the same words', binding);
    expect(a.iv.equals(b.iv)).toBe(false);
    expect(a.data.equals(b.data)).toBe(false);
    expect(a.iv.length).toBe(12);
    expect(cipher.open(a, binding)).toBe('the same words');
  });

  it('never repeats an IV across pool refills, and an IV handed out stays as it was when the pool refills', () => {
    const cipher = new ReflectionCipher(randomBytes(32));
    const first = cipher.seal('value 0', { ...binding, rowId: 0 });
    const firstIv = first.iv.toString('hex');
    // 2,000 more values cross several refills of the 4 KB IV pool (about 340 IVs each).
    const sealed = Array.from({ length: 2_000 }, (_, i) => cipher.seal(`value ${i + 1}`, { ...binding, rowId: i + 1 }));
    expect(first.iv.toString('hex')).toBe(firstIv);
    expect(cipher.open(first, { ...binding, rowId: 0 })).toBe('value 0');
    expect(new Set([firstIv, ...sealed.map((s) => s.iv.toString('hex'))]).size).toBe(2_001);
    sealed.forEach((s, i) => expect(cipher.open(s, { ...binding, rowId: i + 1 })).toBe(`value ${i + 1}`));
  });

  it('refuses a ciphertext moved to another row, author or server (associated data)', () => {
    const cipher = new ReflectionCipher(randomBytes(32));
    const sealed = cipher.seal('mine', binding);
    expect(() => cipher.open(sealed, { ...binding, rowId: 8 })).toThrow(ReflectionKeyError);
    expect(() => cipher.open(sealed, { ...binding, authorId: '200000000000000003' })).toThrow(ReflectionKeyError);
    expect(() => cipher.open(sealed, { ...binding, guildId: '100000000000000009' })).toThrow(ReflectionKeyError);
    expect(() => cipher.open(sealed, { ...binding, purpose: 'name' })).toThrow(ReflectionKeyError);
  });

  it('refuses a tampered ciphertext', () => {
    const cipher = new ReflectionCipher(randomBytes(32));
    const sealed = cipher.seal('mine', binding);
    const data = Buffer.from(sealed.data);
    data[0] = (data[0] ?? 0) ^ 1;
    expect(() => cipher.open({ ...sealed, data }, binding)).toThrow(ReflectionKeyError);
  });

  it('after rotation, values sealed under the old key still open and new ones use the new key', () => {
    const oldKey = randomBytes(32);
    const newKey = randomBytes(32);
    const before = new ReflectionCipher(oldKey).seal('written last year', binding);
    const rotated = new ReflectionCipher(newKey, [oldKey]);
    expect(rotated.open(before, binding)).toBe('written last year');
    const after = rotated.seal('written today', binding);
    expect(after.keyId).toBe(keyIdOf(newKey));
    expect(after.keyId).not.toBe(before.keyId);
    expect(() => new ReflectionCipher(newKey).open(before, binding)).toThrow(/No reflections key/);
  });

  it('a key id does not reveal the key', () => {
    const key = randomBytes(32);
    expect(keyIdOf(key)).not.toContain(key.toString('hex').slice(0, 8));
    expect(keyIdOf(key)).toMatch(/^k1-[0-9a-f]{16}$/);
  });
});

describe('reflection text validation', () => {
  it.each([
    ['empty', ''],
    ['whitespace only', '  \n\t  '],
    ['control characters only', '\u0000\u0007\u001b\u007f'],
    ['invisible format characters only', '\u200b\u200d\u2066'],
  ])('refuses %s with a kind message', (_name, text) => {
    expect(() => validateReflectionText(text)).toThrow(UserFacingError);
  });

  it('refuses 4001 characters and accepts exactly 4000 (counted as characters, emoji included)', () => {
    expect(validateReflectionText('🌱'.repeat(4000))).toBe('🌱'.repeat(4000));
    expect(() => validateReflectionText('a'.repeat(4001))).toThrow(/4001 characters long; the limit is 4000/);
  });

  it('returns emoji, right-to-left text, Markdown and mentions unchanged', () => {
    const text = '  **bold** <@123456789012345678> @everyone שלום עולם مرحبا 👩🏽‍⚕️\n> quote  ';
    expect(validateReflectionText(text)).toBe(text);
  });

  it('parses ids typed as 12 or #12 and refuses anything else kindly', () => {
    expect(parseReflectionId('#12')).toBe(12);
    expect(parseReflectionId(' 7 ')).toBe(7);
    expect(() => parseReflectionId('1 OR 1=1')).toThrow(UserFacingError);
    expect(() => parseReflectionId('0')).toThrow(UserFacingError);
  });
});
