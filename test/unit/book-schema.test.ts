import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatPath, parseBookData } from '../../src/book/schema.js';
import { BookDataError, formatProblems, loadBook, readBookData } from '../../src/book/service.js';
import { join, useTempDir } from '../helpers/tmp.js';

const shipped = readFileSync('data/when-hurt-remains.json', 'utf8');
/** A fresh, mutable copy of the shipped dataset. */
const copy = (): Record<string, any> => JSON.parse(shipped);

function problemsOf(data: unknown): string[] {
  const result = parseBookData(data);
  if (result.ok) throw new Error('expected the dataset to be invalid');
  return result.problems;
}

describe('book dataset validation', () => {
  it('formats JSON paths the way people read them', () => {
    expect(formatPath([])).toBe('$');
    expect(formatPath(['chapters', 4, 'contributors', 0])).toBe('$.chapters[4].contributors[0]');
    expect(formatPath(['odd key'])).toBe('$["odd key"]');
  });

  it.each([
    ['a missing field', (d: any) => delete d.chapters[3].about, '$.chapters[3].about: required field is missing (expected string)'],
    ['a missing nested field', (d: any) => delete d.book.counts.parts, '$.book.counts.parts: required field is missing'],
    ['a wrong type', (d: any) => (d.chapters[4].number = 'five'), '$.chapters[4].number: '],
    ['a wrong type in a list', (d: any) => (d.people[2].roles = ['editor', 7]), '$.people[2].roles[1]: '],
    ['an unknown field', (d: any) => (d.parts[1].colour = 'blue'), '$.parts[1]: '],
    ['a malformed page', (d: any) => (d.citations[1].page = 'page 35'), '$.citations[1].page: expected a page like'],
    ['a duplicate id', (d: any) => (d.people[5].id = 'doris-brothers'), '$.people[5].id: duplicate id "doris-brothers" (already used at $.people[4].id)'],
    ['a chapter pointing at an unknown person', (d: any) => (d.chapters[6].contributors = ['no-such-person']), '$.chapters[6].contributors[0]: unknown person "no-such-person"'],
    ['a chapter pointing at an unknown part', (d: any) => (d.chapters[0].part = 'part-9'), '$.chapters[0].part: unknown part "part-9"'],
    ['a citation pointing at an unknown chapter', (d: any) => (d.citations[1].target.chapter = 'chapter-99'), '$.citations[1].target.chapter: unknown chapter "chapter-99"'],
    ['chapters out of order', (d: any) => (d.chapters[2].number = 7), '$.chapters[2].number: expected chapter number 3'],
    ['a stated count that does not match', (d: any) => (d.book.counts.chapters = 14), '$.book.counts.chapters: says 14 chapters but $.chapters lists 15'],
  ])('reports %s with its JSON path', (_what, mutate, expected) => {
    const data = copy();
    mutate(data);
    const problems = problemsOf(data);
    expect(problems.some((p) => p.startsWith(expected)), problems.join('\n')).toBe(true);
  });

  it('lists every problem, not just the first', () => {
    const data = copy();
    delete data.chapters[0].about;
    data.chapters[1].contributors = ['ghost'];
    // Shape problems are reported first; cross-references are checked once the shape is right.
    expect(problemsOf(data)).toEqual(['$.chapters[0].about: required field is missing (expected string)']);
    data.chapters[0].about = 'x';
    data.chapters[2].part = 'nowhere';
    expect(problemsOf(data)).toEqual([
      '$.chapters[1].contributors[0]: unknown person "ghost" (no entry in $.people has this id)',
      '$.chapters[2].part: unknown part "nowhere" (no entry in $.parts has this id)',
    ]);
  });
});

describe('loading a dataset file', () => {
  const tempDir = useTempDir();

  it('loads the shipped dataset', async () => {
    const service = await loadBook('data/when-hurt-remains.json');
    expect(service.book.book.title).toBe('When Hurt Remains');
  });

  it('refuses an invalid file with a BookDataError listing each problem, in the words check-data prints', async () => {
    const path = join(tempDir(), 'book.json');
    const data = copy();
    data.chapters[6].contributors = ['no-such-person'];
    delete data.parts[0].theme;
    writeFileSync(path, JSON.stringify(data));
    const error = await loadBook(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BookDataError);
    const problems = (error as BookDataError).problems;
    expect(problems).toEqual(['$.parts[0].theme: required field is missing (expected string)']);
    const checked = await readBookData(path);
    expect(checked.ok ? [] : checked.problems).toEqual(problems);
    expect((error as BookDataError).message).toBe(formatProblems(path, problems));
  });

  it('reports a file that is not JSON, or not there', async () => {
    const path = join(tempDir(), 'broken.json');
    writeFileSync(path, '{ "schemaVersion": 1,');
    expect(await readBookData(path)).toMatchObject({ ok: false, problems: [expect.stringMatching(/^\$: not valid JSON/)] });
    expect(await readBookData(join(tempDir(), 'missing.json'))).toEqual({ ok: false, problems: ['$: cannot read the file (ENOENT)'] });
  });
});
