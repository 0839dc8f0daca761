import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseBookData, type Book } from '../../src/book/schema.js';

const DATASET = 'data/when-hurt-remains.json';
const SOURCES = 'data/sources';
const SEED_FILE = '000_ca59435536f5b40c.txt';

/** Line breaks, hyphenation at a line end and runs of spaces are layout, not text. */
function flat(text: string): string {
  return text.replace(/-\s*\n\s*/g, '-').replace(/\s+/g, ' ').trim();
}

const raw: unknown = JSON.parse(readFileSync(DATASET, 'utf8'));
const parsed = parseBookData(raw);
if (!parsed.ok) throw new Error(`the shipped dataset is invalid:\n${parsed.problems.join('\n')}`);
const data: Book = parsed.book;
const seed = flat(readFileSync(join(SOURCES, SEED_FILE), 'utf8'));

/** Every `source` object anywhere in the dataset, with where it sits. */
function sources(value: unknown, path = '$'): { path: string; source: { file: string; page?: string } }[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => sources(v, `${path}[${i}]`));
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, v]) =>
    key === 'source' ? [{ path: `${path}.source`, source: v as { file: string; page?: string } }] : sources(v, `${path}.${key}`),
  );
}

describe('the shipped dataset', () => {
  it('passes its schema and cross-checks', () => {
    expect(parseBookData(raw)).toMatchObject({ ok: true });
  });

  it('has the counts the source states: 5 parts, 15 chapters, 15 contributors', () => {
    expect(data.parts).toHaveLength(5);
    expect(data.chapters).toHaveLength(15);
    expect(new Set(data.chapters.flatMap((c) => c.contributors)).size).toBe(15);
    expect(data.book.counts).toMatchObject({ parts: 5, chapters: 15, contributors: 15 });
    expect(data.book.audiences).toHaveLength(4);
    expect(data.questions.filter((q) => q.kind === 'guiding')).toHaveLength(2);
    expect(data.citations.map((c) => c.page).sort()).toEqual(['p. 121', 'p. 35', 'p. 58', 'p. 97', 'p. xxv', 'pp. 67-68'].sort());
  });

  it('gives every chapter a known part and at least one known contributor', () => {
    const parts = new Set(data.parts.map((p) => p.id));
    const people = new Set(data.people.map((p) => p.id));
    for (const chapter of data.chapters) {
      expect(parts.has(chapter.part), chapter.id).toBe(true);
      expect(chapter.contributors.length, chapter.id).toBeGreaterThan(0);
      for (const person of chapter.contributors) expect(people.has(person), `${chapter.id} → ${person}`).toBe(true);
    }
  });

  it('marks chapter numbers as inferred and gives no chapter a title (the source gives none)', () => {
    for (const chapter of data.chapters) {
      expect(chapter.numberInferred).toBe(true);
      expect(chapter.title).toBeUndefined();
    }
    expect(data.book.numbering).toMatch(/inferred from the order/);
  });

  it('has a source on every record, naming a file that exists', () => {
    const all = sources(raw);
    const records = 1 + data.questions.length + data.parts.length + data.chapters.length + data.people.length + data.quotations.length + data.citations.length;
    expect(all.length).toBeGreaterThanOrEqual(records);
    for (const { path, source } of all) expect(existsSync(join(SOURCES, source.file)), path).toBe(true);
  });

  it('quotes only text that occurs in the seed, word for word', () => {
    for (const quotation of data.quotations) expect(seed, quotation.id).toContain(flat(quotation.text));
  });

  it('has the guiding questions and the contribution question word for word', () => {
    for (const question of data.questions) expect(seed, question.id).toContain(flat(question.text));
  });

  it('uses only curly-quoted phrases that occur in the seed, in any field', () => {
    const text = JSON.stringify(raw);
    const quoted = [...text.matchAll(/“([^”]+)”/g)].map((m) => m[1] ?? '');
    expect(quoted.length).toBeGreaterThan(10);
    for (const phrase of quoted) expect(seed, phrase).toContain(flat(phrase));
  });

  it('names every person exactly as the seed spells them', () => {
    for (const person of data.people) expect(seed, person.id).toContain(person.name);
    for (const alias of data.people.flatMap((p) => p.aliases ?? [])) expect(seed).toContain(alias.name);
  });

  it('records both names the source gives Part I', () => {
    const names = data.parts[0]?.names.map((n) => n.name);
    expect(names).toEqual(['Beyond Boundaries', 'Beyond Binaries']);
    for (const name of names ?? []) expect(seed).toContain(name);
  });

  it('attaches each cited page exactly where the review attaches it', () => {
    const target = (page: string) => data.citations.find((c) => c.page === page)?.target;
    expect(target('p. xxv')).toEqual({ kind: 'editors-introduction' });
    expect(target('p. 35')).toEqual({ kind: 'chapter', chapter: 'chapter-5' });
    expect(target('p. 58')).toEqual({ kind: 'editor-reflection', person: 'asaf-rolef-ben-shahar' });
    expect(target('pp. 67-68')).toEqual({ kind: 'chapter', chapter: 'chapter-8' });
    expect(target('p. 97')).toEqual({ kind: 'part-introduction', part: 'part-4' });
    expect(target('p. 121')).toEqual({ kind: 'chapter', chapter: 'chapter-15' });
    // A chapter lists only pages the review ties to it.
    const cited = new Map(data.citations.flatMap((c) => (c.target.kind === 'chapter' ? [[c.target.chapter, c.page] as const] : [])));
    for (const chapter of data.chapters) expect(chapter.pages ?? [], chapter.id).toEqual(cited.has(chapter.id) ? [cited.get(chapter.id)] : []);
  });

  it('gives biographies only to the two editors, as the review does', () => {
    expect(data.people.filter((p) => p.bio !== undefined).map((p) => p.id).sort()).toEqual(['asaf-rolef-ben-shahar', 'rachel-shalit']);
    for (const person of data.people) if (person.bio) expect(seed).toContain(flat(person.bio));
  });

  it('knows the reviewer is also a contributor, and Asaf Rolef Ben-Shahar is editor and author of two chapters', () => {
    const nancy = data.people.find((p) => p.id === 'nancy-eichhorn');
    expect(nancy?.roles.sort()).toEqual(['contributor', 'reviewer']);
    expect(data.book.review?.by).toBe('nancy-eichhorn');
    const asaf = data.chapters.filter((c) => c.contributors.includes('asaf-rolef-ben-shahar'));
    expect(asaf.map((c) => [c.number, c.contributors])).toEqual([
      [10, ['muriel-dimen', 'asaf-rolef-ben-shahar']],
      [15, ['asaf-rolef-ben-shahar']],
    ]);
  });
});
