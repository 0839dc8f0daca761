import { describe, expect, it } from 'vitest';
import { prng } from '../../bench/lib/stats.js';
import { preview } from '../../src/reflections/service.js';

/** The definition `preview` keeps: whitespace runs as one space, trimmed, cut to `max` code points with an ellipsis. */
function reference(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  const chars = Array.from(flat);
  return chars.length <= max ? flat : `${chars.slice(0, max - 1).join('')}…`;
}

describe('preview', () => {
  it('flattens whitespace, trims, and cuts long text to max code points with an ellipsis', () => {
    expect(preview('  a\n\n b\t c  ', 80)).toBe('a b c');
    expect(preview('abcdef', 6)).toBe('abcdef');
    expect(preview('abcdefg', 6)).toBe('abcde…');
    expect(preview('😀😀😀😀', 3)).toBe('😀😀…');
    expect(preview('   ', 5)).toBe('');
  });

  it('gives what flattening the whole text would, for texts of every shape (seed 20261202)', () => {
    const next = prng(20261202);
    const pieces = ['a', 'word', ' ', '  ', '\n', '\t', '\u00a0', '\u2003', '😀', 'é', '\u200b', '…'];
    for (let n = 0; n < 2000; n++) {
      const length = Math.floor(next() * 60);
      const text = Array.from({ length }, () => pieces[Math.floor(next() * pieces.length)]!).join('');
      const max = 1 + Math.floor(next() * 30);
      expect(preview(text, max), JSON.stringify({ text, max })).toBe(reference(text, max));
    }
  });

  it('treats exactly what \\s matches as whitespace, in long texts and long previews alike (seed 20261204)', () => {
    const next = prng(20261204);
    // Every \s character, and look-alikes that are not whitespace (NEL, the Mongolian vowel separator, zero-width space).
    const spaces = ['\t', '\n', '\v', '\f', '\r', ' ', '\u00a0', '\u1680', '\u2000', '\u200a', '\u2028', '\u2029', '\u202f', '\u205f', '\u3000', '\ufeff'];
    const others = ['\u0085', '\u180e', '\u200b', 'x', 'word', '😀', '\u{1f3f3}\u{fe0f}'];
    for (let n = 0; n < 1000; n++) {
      const length = Math.floor(next() * 400);
      const pick = (from: string[]) => from[Math.floor(next() * from.length)]!;
      const text = Array.from({ length }, () => pick(next() < 0.4 ? spaces : others)).join('');
      const max = 1 + Math.floor(next() * 130);
      expect(preview(text, max), JSON.stringify({ text, max })).toBe(reference(text, max));
    }
  });
});
