import { describe, expect, it } from 'vitest';
import { prng } from '../../bench/lib/stats.js';
import { escapeHtml, escapeMarkdownBlock, escapeMarkdownInline, jsonString, safeJson } from '../../src/export/escape.js';
import { formats } from '../../src/export/formats/index.js';
import type { ExportEntry, ExportMeta } from '../../src/export/types.js';

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

  it('JSON strings: the same as safeJson, for texts of every shape and every kind of UTF-16 unit (seed 20261203)', () => {
    const next = prng(20261203);
    // Every edge of the two character classes, the characters JSON or an HTML page cares about, lone and
    // paired surrogates, and units drawn from anywhere in the range.
    const pieces = ['word', ' ', '\n', '\r', '\t', '"', '\\', '<', '>', '&', "'", '!', '#', '%', ';', '=', '?', '[', ']', '~', '\u0000', '\u001f', '\u007f', '\u0080', '\u009f', '\u00a0', 'é', '\u2027', '\u2028', '\u2029', '\u202a', '’', '“', '\ud7ff', '\ud800', '\udbff', '\udc00', '\udfff', '😀', '\ue000', '\uffff', '@everyone'];
    const anyUnit = () => String.fromCharCode(Math.floor(next() * 0x10000));
    for (let n = 0; n < 20000; n++) {
      const length = Math.floor(next() * 30);
      const text = Array.from({ length }, () => (next() < 0.1 ? anyUnit() : pieces[Math.floor(next() * pieces.length)]!)).join('');
      expect(jsonString(text), JSON.stringify(text)).toBe(safeJson(text));
    }
    // Long prose takes the quick paths; it must give the same too.
    const prose = 'the therapist felt a silence that stayed with me, and hurt remains. '.repeat(30);
    for (const text of [prose, `${prose}\n\n"${prose}"\\`, `${prose}’ “é”`, `${prose}<b>`, `${prose}\u2028`]) expect(jsonString(text)).toBe(safeJson(text));
  });

  it('a JSON export line: the same as safeJson of the reflection, with and without the fields that may be null', () => {
    const meta: ExportMeta = {
      guildId: '1',
      guildName: null,
      format: 'json',
      exportedAt: '2026-12-02T08:00:00.000Z',
      scope: { week: null, from: null, to: null, chapterId: null, memberId: null, sinceLast: false },
      since: null,
      pseudonymised: false,
      week: () => null,
    };
    const formatter = formats.json.create(meta);
    const named: ExportEntry = { id: 42, createdAt: '2026-11-30T10:00:00.000Z', week: 3, chapterId: 'wenke', chapter: 'A "title" <here>', visibility: 'shared', authorId: '900000000000000001', authorName: 'Reader “2”', byline: 'Reader “2”', text: 'line one\nline two \u2028 & done' };
    const anonymous: ExportEntry = { ...named, id: 43, week: null, chapterId: null, chapter: null, visibility: 'anonymous', authorId: null, authorName: null, byline: 'A member' };
    for (const e of [named, anonymous]) {
      const { byline: _byline, ...row } = e;
      expect(formatter.entry(e)).toBe(`    ${safeJson(row)}`);
    }
  });
});
