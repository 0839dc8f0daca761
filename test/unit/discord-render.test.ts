import { describe, expect, it } from 'vitest';
import { prng } from '../../bench/lib/stats.js';
import { escapeDiscordMarkdown, fitContent, fitEmbed, LIMITS, truncate } from '../../src/discord/render.js';

describe('escapeDiscordMarkdown', () => {
  it('leaves plain prose as it is', () => {
    expect(escapeDiscordMarkdown('I felt unseen, and then it was named (gently). It helped.')).toBe('I felt unseen, and then it was named (gently). It helped.');
    expect(escapeDiscordMarkdown('')).toBe('');
  });

  it('escapes emphasis, code, strikethrough, spoilers, masked links and backslashes', () => {
    expect(escapeDiscordMarkdown('**bold** *it* _it_ __under__')).toBe('\\*\\*bold\\*\\* \\*it\\* \\_it\\_ \\_\\_under\\_\\_');
    expect(escapeDiscordMarkdown('`code` ```block``` ~~gone~~ ||hidden||')).toBe('\\`code\\` \\`\\`\\`block\\`\\`\\` \\~\\~gone\\~\\~ \\|\\|hidden\\|\\|');
    expect(escapeDiscordMarkdown('[look](https://example.com)')).toBe('\\[look\\](https://example.com)');
    expect(escapeDiscordMarkdown('a \\ b \\*')).toBe('a \\\\ b \\\\\\*');
  });

  it('escapes headings, subtext, quotes and lists only where a line starts', () => {
    expect(escapeDiscordMarkdown('# Heading')).toBe('\\# Heading');
    expect(escapeDiscordMarkdown('-# small print')).toBe('\\-# small print');
    expect(escapeDiscordMarkdown('> quoted')).toBe('\\> quoted');
    expect(escapeDiscordMarkdown('- one\n  + two\n3. three')).toBe('\\- one\n  \\+ two\n3\\. three');
    expect(escapeDiscordMarkdown('1) first')).toBe('1\\) first');
    expect(escapeDiscordMarkdown('week 3 - #2 > 1. fine')).toBe('week 3 - #2 > 1. fine');
  });

  it('keeps links, custom emoji, mentions, channels and timestamps whole', () => {
    expect(escapeDiscordMarkdown('see https://example.com/a_b*c and _this_')).toBe('see https://example.com/a_b*c and \\_this\\_');
    expect(escapeDiscordMarkdown('<:sad_face:123> <a:wave_hi:456>')).toBe('<:sad_face:123> <a:wave_hi:456>');
    expect(escapeDiscordMarkdown('<@123> <@!123> <@&456> <#789> <t:1700000000:R> @everyone')).toBe('<@123> <@!123> <@&456> <#789> <t:1700000000:R> @everyone');
    expect(escapeDiscordMarkdown('_a_ <@1> _b_ https://x.y/_ _c_')).toBe('\\_a\\_ <@1> \\_b\\_ https://x.y/_ \\_c\\_');
  });

  it('leaves no unescaped formatting character outside the kept tokens', () => {
    const nasty = '*_~`|[]\\'.repeat(50) + ' https://example.com/_ ' + '#>-+'.repeat(10);
    const escaped = escapeDiscordMarkdown(nasty);
    const outside = escaped.replace('https://example.com/_', '');
    // Every formatting character outside the link is preceded by a backslash that is not itself escaped.
    expect(outside.replace(/\\[\\*_~`|[\]#>+-]/g, '')).not.toMatch(/[\\*_~`|[\]]/);
    expect(escaped.startsWith('\\*\\_')).toBe(true);
  });

  it('gives text that needs no escaping back unchanged, and escapes the same as when the full escape runs (seed 20261204)', () => {
    const next = prng(20261204);
    const pieces = ['a', 'word', ' ', '\n', '\t', '1', '12', '.', ')', '(', ',', '#', '>', '+', '-', '*', '_', '~', '`', '|', '[', ']', '\\', ':', '<', '@', '!', '&', 'https://example.org/a_b', '<t:1700000000:R>', '<@123>', '<:smile_face:42>', 'é', '😀'];
    for (let n = 0; n < 3000; n++) {
      const text = Array.from({ length: Math.floor(next() * 30) }, () => pieces[Math.floor(next() * pieces.length)]!).join('');
      // A trailing " *" always needs escaping, so that call takes the full path; the space ends any link before it.
      const full = escapeDiscordMarkdown(`${text} *`);
      expect(full.endsWith(' \\*'), JSON.stringify(text)).toBe(true);
      expect(escapeDiscordMarkdown(text), JSON.stringify(text)).toBe(full.slice(0, -3));
    }
  });
});

describe('truncate', () => {
  it('leaves text within the limit alone and cuts longer text with a visible ellipsis', () => {
    expect(truncate('short', 10)).toBe('short');
    expect(truncate('exactly10!', 10)).toBe('exactly10!');
    expect(truncate('eleven char', 10)).toBe('eleven ch…');
  });

  it('counts UTF-16 code units, so emoji and astral characters never push a text past the limit', () => {
    const astral = '😀𠀀'.repeat(1500); // 3,000 code points, 6,000 code units
    const content = fitContent(astral);
    expect(content.length).toBeLessThanOrEqual(LIMITS.content);
    expect(content.endsWith('…')).toBe(true);
    const description = fitEmbed({ description: astral.repeat(2) }).description!;
    expect(description.length).toBeLessThanOrEqual(LIMITS.embedDescription);
  });

  it('never splits a surrogate pair', () => {
    for (let max = 1; max <= 8; max++) {
      const cut = truncate('a😀b😀c😀d😀e', max);
      expect(cut.length).toBeLessThanOrEqual(max);
      expect(cut).not.toMatch(/\p{Cs}/u); // a lone surrogate, as a split pair leaves
    }
  });
});
