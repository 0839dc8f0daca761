import { describe, expect, it } from 'vitest';
import { prng } from '../../bench/lib/stats.js';
import { escapeHtml, escapeMarkdownBlock, escapeMarkdownInline } from '../../src/export/escape.js';

/** The Markdown escaping as first written: every rule on every line, then the breaks. */
function referenceLine(line: string): string {
  let text = line.replace(/[\\`*_~[\]<>&|@#]/g, (c) => `\\${c}`);
  text = text.replace(/^[ \t]+/, (spaces) => spaces.replace(/\t/g, '    ').replace(/ /g, '&nbsp;'));
  text = text.replace(/^([-+=])/, '\\$1').replace(/^(\d{1,9})([.)])/, '$1\\$2');
  return text;
}

function referenceBlock(text: string): string {
  const lines = text.replace(/\r\n?/g, '\n').split('\n').map(referenceLine);
  return lines
    .map((line, index) => {
      const next = lines[index + 1];
      const breaks = next !== undefined && line.trim() !== '' && next.trim() !== '';
      return breaks ? `${line}\\` : line;
    })
    .join('\n');
}

/** The HTML escaping as first written: one callback per special character. */
function referenceHtml(text: string): string {
  const entities: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
  return text.replace(/[&<>"']/g, (c) => entities[c]!);
}

describe('escaping rewritten for speed gives what it gave before', () => {
  it('Markdown and HTML: the same as the first definitions, for texts of every shape (seed 20261202)', () => {
    const next = prng(20261202);
    const pieces = ['a', 'word', ' ', '  ', '\t', '\n', '\r\n', '\r', '-', '+', '=', '#', '>', '1', '12', '.', ')', '*', '_', '`', '\\', '@everyone', '<b>', '&', '&amp;', '"', "'", '|', '[x]', '😀', '\u00a0', '\u2003'];
    for (let n = 0; n < 5000; n++) {
      const length = Math.floor(next() * 40);
      const text = Array.from({ length }, () => pieces[Math.floor(next() * pieces.length)]!).join('');
      expect(escapeMarkdownBlock(text), JSON.stringify(text)).toBe(referenceBlock(text));
      expect(escapeMarkdownInline(text), JSON.stringify(text)).toBe(referenceLine(text.replace(/\s*[\r\n]+\s*/g, ' ')));
      expect(escapeHtml(text), JSON.stringify(text)).toBe(referenceHtml(text));
    }
  });

  it('neutralises what starts a block, and keeps breaks between lines that are not blank', () => {
    expect(escapeMarkdownBlock('1. first\n+ second\n\tcode\n\n= rule')).toBe('1\\. first\\\n\\+ second\\\n&nbsp;&nbsp;&nbsp;&nbsp;code\n\n\\= rule');
    expect(escapeMarkdownBlock('')).toBe('');
    expect(escapeMarkdownBlock('a\r\nb\rc')).toBe('a\\\nb\\\nc');
  });
});
