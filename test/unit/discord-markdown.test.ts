import { describe, expect, it } from 'vitest';
import { escapeDiscordMarkdown } from '../../src/discord/render.js';

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
});
