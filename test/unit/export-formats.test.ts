import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { csvCell, escapeHtml, escapeMarkdownBlock, safeJson } from '../../src/export/escape.js';
import { CSV_COLUMNS } from '../../src/export/formats/index.js';
import { generateExport, type GenerateOptions } from '../../src/export/pipeline.js';
import type { ExportableFilter, ExportableReflection, ExportFormat, ExportSource } from '../../src/export/types.js';
import { EVERYTHING } from '../../src/export/types.js';

const GUILD = '1100000000000000000';
const ALICE = '1200000000000000001';
const BOB = '1200000000000000002';

const HOSTILE = [
  '=HYPERLINK("http://evil.example","click")',
  '+1+1',
  '-2+3',
  '@SUM(A1:A2)',
  '\tTabbed',
  '\rReturn',
  '</script><script>alert(1)</script>',
  '<img src=x onerror=alert(1)> & "quotes" \'single\'',
  '# Heading\n> quote\n- list\n1. one\n    code\n[link](http://evil.example) ![img](x) **bold** `code` ~~s~~ ||spoiler||',
  '@everyone @here <@1200000000000000009> <@&1100000000000000005> <#1100000000000000001>',
  'Line one,\r\nline "two"\n\nparagraph after a blank line 🌱 שלום',
];

function rows(): ExportableReflection[] {
  const base = { guildId: GUILD, chapterId: 'ch-4', week: 2, createdAt: '2026-03-02T10:00:00.000Z', exportableAt: '2026-03-02T10:00:00.000Z' };
  return HOSTILE.map((text, i) => {
    const anonymous = i % 3 === 1;
    return {
      ...base,
      id: i + 1,
      text,
      visibility: anonymous ? ('anonymous' as const) : ('shared' as const),
      authorId: anonymous ? null : i % 2 === 0 ? ALICE : BOB,
      authorName: anonymous ? null : i % 2 === 0 ? 'Alice <b>' : '=Bob',
      week: i < 6 ? 2 : i < 9 ? 1 : null,
    };
  });
}

/** An in-memory store that keeps the store's contract: ascending id, after `afterId`, at most `limit`. */
function sourceOf(data: ExportableReflection[], calls: ExportableFilter[] = []): ExportSource {
  return {
    listExportable(guildId, filter) {
      calls.push(filter);
      return data.filter((r) => r.guildId === guildId && r.id > filter.afterId).slice(0, filter.limit);
    },
  };
}

function options(format: ExportFormat, extra: Partial<GenerateOptions> = {}): GenerateOptions {
  return {
    source: sourceOf(rows()),
    guildId: GUILD,
    guildName: 'Reading <Circle>',
    format,
    scope: EVERYTHING,
    pseudonymise: false,
    snapshot: '2026-03-10T00:00:00.000Z',
    since: null,
    week: (week) => ({ week, title: `Part ${week} <title>`, prompt: `What stayed with you in week ${week}? <script>` }),
    chapterLabel: (id) => `Chapter 4 [${id}]`,
    chunkSize: 4,
    ...extra,
  };
}

async function render(format: ExportFormat, extra: Partial<GenerateOptions> = {}): Promise<{ text: string; count: number; sha256: string; bytes: number }> {
  const chunks: Buffer[] = [];
  const result = await generateExport(options(format, extra), (chunk) => {
    chunks.push(chunk);
  });
  const data = Buffer.concat(chunks);
  return { text: data.toString('utf8'), ...result, bytes: data.length };
}

describe('csv cells', () => {
  it('prefixes every cell a spreadsheet would execute with an apostrophe', () => {
    for (const start of ['=', '+', '-', '@', '\t', '\r']) expect(csvCell(`${start}x`).replace(/^"/, '')).toMatch(/^'/);
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell(null)).toBe('');
    expect(csvCell(3)).toBe('3');
  });
});

describe('CSV export', () => {
  it('parses back with a CSV parser to the header and the rows as stored, with formulas made inert', async () => {
    const { text, count } = await render('csv');
    // The file opens with a byte-order mark (for Excel); a reader that strips it sees the header as written.
    const records: string[][] = parse(text, { relax_column_count: false, bom: true });
    expect(records[0]).toEqual([...CSV_COLUMNS]);
    const body = records.slice(1);
    expect(body).toHaveLength(HOSTILE.length);
    expect(count).toBe(HOSTILE.length);
    for (const [i, original] of rows().entries()) {
      const record = Object.fromEntries(CSV_COLUMNS.map((c, j) => [c, body[i]![j]!]));
      const dangerous = /^[=+\-@\t\r]/.test(original.text);
      expect(record.text).toBe(dangerous ? `'${original.text}` : original.text);
      // The number only for shared rows: a shared post shows it beside the author's name.
      expect(record.id).toBe(original.visibility === 'anonymous' ? '' : String(original.id));
      expect(record.visibility).toBe(original.visibility);
      if (original.visibility === 'anonymous') {
        expect(record.author_id).toBe('');
        expect(record.author_name).toBe('');
      } else {
        expect(record.author_id).toBe(original.authorId);
        expect(record.author_name).toBe(original.authorName === '=Bob' ? "'=Bob" : original.authorName);
      }
      for (const cell of Object.values(record)) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
    }
  });
});

describe('the CSV byte-order mark', () => {
  it('opens the CSV file with one UTF-8 byte-order mark, counted in its size and hash, so Excel reads it as UTF-8', async () => {
    const chunks: Buffer[] = [];
    const result = await generateExport(options('csv'), (chunk) => {
      chunks.push(chunk);
    });
    const data = Buffer.concat(chunks);
    expect([...data.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(data.subarray(3, 3 + CSV_COLUMNS.join(',').length).toString('utf8')).toBe(CSV_COLUMNS.join(','));
    // Only at the very start: never again, not at a chunk's start.
    expect(data.indexOf(Buffer.from([0xef, 0xbb, 0xbf]), 1)).toBe(-1);
    expect(result.bytes).toBe(data.length);
    const { createHash } = await import('node:crypto');
    expect(result.sha256).toBe(createHash('sha256').update(data).digest('hex'));
    // An empty export has the mark and the header too.
    const empty = await render('csv', { source: sourceOf([]) });
    expect(empty.text).toBe(`\uFEFF${CSV_COLUMNS.join(',')}\r\n`);
  });

  it('is only in CSV: Markdown, JSON and HTML start without one', async () => {
    for (const format of ['markdown', 'json', 'html'] as const) expect((await render(format)).text.charCodeAt(0)).not.toBe(0xfeff);
  });
});

describe('JSON export', () => {
  it('parses with JSON.parse to the documented shape, with ISO dates and no author on anonymous entries', async () => {
    const { text, count } = await render('json');
    const doc = JSON.parse(text);
    expect(Object.keys(doc)).toEqual(['format', 'version', 'guildId', 'exportedAt', 'scope', 'since', 'pseudonymised', 'reflections', 'count', 'weeks']);
    expect(doc.format).toBe('reading-circle/reflections');
    expect(doc.version).toBe(2);
    expect(doc.count).toBe(count);
    expect(doc.reflections).toHaveLength(HOSTILE.length);
    for (const [i, original] of rows().entries()) {
      const entry = doc.reflections[i];
      expect(Object.keys(entry)).toEqual(['id', 'createdAt', 'week', 'chapterId', 'chapter', 'visibility', 'authorId', 'authorName', 'text']);
      expect(entry.text).toBe(original.text);
      expect(new Date(entry.createdAt).toISOString()).toBe(entry.createdAt);
      if (original.visibility === 'anonymous') expect([entry.id, entry.authorId, entry.authorName]).toEqual([null, null, null]);
      else expect([entry.id, entry.authorId, entry.authorName]).toEqual([original.id, original.authorId, original.authorName]);
    }
    expect(doc.weeks.map((w: { week: number }) => w.week)).toEqual([1, 2]);
    // Nothing in the raw file would be markup if pasted into a page.
    expect(text).not.toMatch(/[<>]/);
  });

  it('is valid JSON with no reflections at all', async () => {
    const { text } = await render('json', { source: sourceOf([]) });
    expect(JSON.parse(text)).toMatchObject({ reflections: [], count: 0, weeks: [] });
  });

  it('round-trips any string through safeJson', () => {
    const value = { s: '</script>\u2028\u2029&<>' };
    expect(JSON.parse(safeJson(value))).toEqual(value);
  });
});

describe('HTML export', () => {
  it('is one self-contained page with every piece of text escaped', async () => {
    const { text } = await render('html');
    expect(text.startsWith('<!doctype html>')).toBe(true);
    expect(text).toContain("default-src 'none'");
    // The only tags are the page's own.
    const tags = [...text.matchAll(/<\/?([a-zA-Z0-9!]+)/g)].map((m) => m[1]!.toLowerCase());
    expect(new Set(tags)).toEqual(new Set(['!doctype', 'html', 'head', 'meta', 'title', 'style', 'body', 'header', 'h1', 'p', 'section', 'h2', 'article', 'strong', 'time']));
    expect(text).not.toMatch(/<script|<img/i);
    for (const original of rows()) expect(text).toContain(escapeHtml(original.text));
    expect(text).toContain('Reading &lt;Circle&gt;');
    expect(text).toContain('Week 2: What stayed with you in week 2? &lt;script&gt;');
    expect(text).toContain('<strong>A member</strong>');
    expect(text.indexOf('Week 1:')).toBeLessThan(text.indexOf('Week 2:'));
    expect(text.indexOf('Week 2:')).toBeLessThan(text.indexOf('Not tied to a plan week'));
  });
});

describe('Markdown export', () => {
  it('heads each week with its reading, the prompt below, and signs each reflection with author or "A member", date and chapter', async () => {
    const { text } = await render('markdown');
    expect(text).toMatch(/^# Reflections from Reading \\<Circle\\>/);
    expect(text).toContain('## Week 1: Part 1 \\<title\\>\n\n*Prompt:* What stayed with you in week 1? \\<script\\>\n\n');
    expect(text).toContain('**A member** · 2026-03-02 · Chapter 4 \\[ch\\-4\\]'.replace('\\-', '-'));
    expect(text).toContain('**Alice \\<b\\>** · 2026-03-02');
    expect(text.indexOf('## Week 1')).toBeLessThan(text.indexOf('## Week 2'));
  });

  it('leaves no Markdown, HTML or mention in member text active', async () => {
    const { text } = await render('markdown');
    const bodies = text.split('\n');
    // No line that comes from member text starts a block construct or holds live inline syntax.
    for (const line of bodies) {
      if (/^(#|\*\*|\*Exported|\*Prompt:\* |---$|$)/.test(line)) continue;
      expect(line).not.toMatch(/^( {4}|\t|>|[-+=] |\d+[.)] )/);
      expect(line.replace(/^(&nbsp;)+/, '')).not.toMatch(/(^|[^\\])[<>[\]`*_~|@&]/);
    }
    expect(text).not.toMatch(/(^|[^\\])@everyone/);
    expect(text).toContain('\\@everyone');
  });

  it('keeps line breaks of the text as written', () => {
    expect(escapeMarkdownBlock('one\ntwo\n\nthree')).toBe('one\\\ntwo\n\nthree');
    expect(escapeMarkdownBlock('    indented')).toBe('&nbsp;&nbsp;&nbsp;&nbsp;indented');
    expect(escapeMarkdownBlock('- item\n2. item')).toBe('\\- item\\\n2\\. item');
  });

  it('leaves a bare address as written (a viewer that autolinks shows it, clickable), but no words that hide one (src/export/README.md says so)', () => {
    // Kept as written, so a GFM viewer links it, showing the address itself.
    expect(escapeMarkdownBlock('see http://evil.example/a?b=c and www.evil.example')).toBe('see http://evil.example/a?b=c and www.evil.example');
    // A masked link, a reference link or an image is written out as its text: the address shows beside it.
    expect(escapeMarkdownBlock('[click](http://evil.example)')).toBe('\\[click\\](http://evil.example)');
    expect(escapeMarkdownBlock('![x](http://evil.example/p.png)')).toBe('!\\[x\\](http://evil.example/p.png)');
    expect(escapeMarkdownBlock('[1]: http://evil.example')).toBe('\\[1\\]: http://evil.example');
  });
});

describe('privacy rules in every format', () => {
  it('pseudonymises authors as stable Member 1, Member 2 and drops their ids', async () => {
    const { text } = await render('json', { pseudonymise: true });
    const doc = JSON.parse(text);
    const names = doc.reflections.map((r: { authorName: string | null }) => r.authorName);
    expect(new Set(names)).toEqual(new Set(['Member 1', 'Member 2', null]));
    expect(doc.reflections.every((r: { authorId: string | null }) => r.authorId === null)).toBe(true);
    // No reflection numbers either: shared posts show them beside the author's name.
    expect(doc.reflections.every((r: { id: number | null }) => r.id === null)).toBe(true);
    // Alice wrote first, so she is Member 1 in every one of her shared rows.
    const alice = rows().filter((r) => r.authorId === ALICE && r.visibility === 'shared').map((r) => r.text);
    const hers = doc.reflections.filter((r: { text: string }) => alice.includes(r.text));
    expect(hers.length).toBeGreaterThan(0);
    for (const r of hers) expect(r.authorName).toBe('Member 1');
    for (const format of ['csv', 'markdown', 'html', 'json'] as const) {
      const other = await render(format, { pseudonymise: true, scope: { ...EVERYTHING, memberId: ALICE } });
      expect(other.text).not.toContain(ALICE);
      expect(other.text).not.toContain('Alice');
      expect(other.text).not.toContain('Bob');
    }
  });

  it('drops rows a misbehaving store returns: private, other servers, after the snapshot, other members, anonymous for a member', async () => {
    const leaky: ExportableReflection[] = [
      { ...rows()[0]!, id: 1, visibility: 'private' as 'shared' },
      { ...rows()[0]!, id: 2, guildId: '1100000000000000999' },
      { ...rows()[0]!, id: 3, exportableAt: '2026-04-01T00:00:00.000Z' },
      { ...rows()[0]!, id: 4, authorId: BOB },
      { ...rows()[0]!, id: 5, visibility: 'anonymous', authorId: ALICE, authorName: 'Alice' },
      { ...rows()[0]!, id: 6, text: 'kept' },
    ];
    const source: ExportSource = { listExportable: (_g, f) => leaky.filter((r) => r.id > f.afterId).slice(0, f.limit) };
    const { text } = await render('json', { source, scope: { ...EVERYTHING, memberId: ALICE } });
    expect(JSON.parse(text).reflections.map((r: { id: number }) => r.id)).toEqual([6]);
  });

  it('never writes the author of an anonymous reflection, even if the store handed it out', async () => {
    const source = sourceOf([{ ...rows()[0]!, visibility: 'anonymous', authorId: ALICE, authorName: 'Alice Secret' }]);
    for (const format of ['csv', 'json', 'markdown', 'html'] as const) {
      const { text } = await render(format, { source });
      expect(text).not.toContain(ALICE);
      expect(text).not.toContain('Alice Secret');
    }
  });
});

describe('the pipeline', () => {
  it('reads in keyset chunks and hashes exactly the bytes it wrote', async () => {
    const calls: ExportableFilter[] = [];
    const { sha256, bytes, text } = await render('csv', { source: sourceOf(rows(), calls), chunkSize: 4 });
    expect(calls.map((c) => c.afterId)).toEqual([0, 4, 8]);
    expect(calls.every((c) => c.limit === 4)).toBe(true);
    const { createHash } = await import('node:crypto');
    expect(createHash('sha256').update(text, 'utf8').digest('hex')).toBe(sha256);
    expect(Buffer.byteLength(text)).toBe(bytes);
  });

  it('passes the scope to the store and keeps only rows newer than the cursor for since-last', async () => {
    const calls: ExportableFilter[] = [];
    const data = rows().map((r) => ({ ...r, exportableAt: r.id <= 5 ? '2026-03-01T00:00:00.000Z' : '2026-03-05T00:00:00.000Z' }));
    const { text } = await render('json', {
      source: sourceOf(data, calls),
      since: '2026-03-01T00:00:00.000Z',
      scope: { ...EVERYTHING, sinceLast: true },
    });
    expect(calls[0]).toMatchObject({ exportableSince: '2026-03-01T00:00:00.000Z' });
    expect(JSON.parse(text).reflections.map((r: { text: string }) => r.text)).toEqual(data.filter((r) => r.id > 5).map((r) => r.text));
  });

  it('yields to the event loop between chunks', async () => {
    let ticks = 0;
    const timer = setInterval(() => (ticks += 1), 0);
    const many = Array.from({ length: 2000 }, (_, i) => ({ ...rows()[0]!, id: i + 1 }));
    let turnsSeen = 0;
    const source: ExportSource = {
      listExportable(_g, f) {
        turnsSeen = ticks;
        return many.filter((r) => r.id > f.afterId).slice(0, f.limit);
      },
    };
    await render('csv', { source, chunkSize: 100 });
    clearInterval(timer);
    expect(turnsSeen).toBeGreaterThan(0);
  });
});
