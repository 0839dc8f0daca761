import { beforeAll, describe, expect, it } from 'vitest';
import { normalise, roman } from '../../src/book/normalise.js';
import { loadBook, type BookService } from '../../src/book/service.js';
import { EXPECTED_CHAPTERS, EXPECTED_PARTS, EXPECTED_PEOPLE } from '../helpers/book-expected.js';

let book: BookService;
beforeAll(async () => {
  book = await loadBook('data/when-hurt-remains.json');
});

const values = (choices: { value: string }[]) => choices.map((c) => c.value);

describe('normalisation', () => {
  it('ignores case, accents and punctuation', () => {
    expect(normalise('Ben-Shahar')).toBe('ben shahar');
    expect(normalise('  MATTHÍAS   Wénke! ')).toBe('matthias wenke');
    expect(normalise('Appel–Opper’s')).toBe('appel opper s');
    expect(roman(4)).toBe('IV');
  });
});

describe('autocomplete and look-ups, for every chapter', () => {
  it.each(EXPECTED_CHAPTERS)('chapter $number ($search)', (expected) => {
    const id = `chapter-${expected.number}`;
    // The number alone puts the chapter first; typed without picking, it resolves to exactly that chapter.
    expect(values(book.completeChapter(String(expected.number)))[0]).toBe(id);
    expect(book.resolveChapter(String(expected.number))).toMatchObject({ kind: 'found', item: { id } });
    expect(book.resolveChapter(`Chapter ${expected.number}`)).toMatchObject({ kind: 'found', item: { id } });
    // A word of the contributor's name finds it, in any case and without accents or punctuation.
    expect(values(book.completeChapter(expected.search.toUpperCase()))).toContain(id);
    // Picking the choice sends its value (the id), which resolves.
    expect(book.resolveChapter(id)).toMatchObject({ kind: 'found', item: { id } });
    const chapter = book.chapter(id);
    expect(chapter && book.contributorNames(chapter)).toBe(expected.contributors.join(' and '));
    expect(chapter?.part).toBe(`part-${expected.part}`);
    expect(chapter?.pages ?? []).toEqual(expected.pages);
    expect(chapter?.about).toContain(expected.about);
  });

  it('takes a pasted choice name as well as its value', () => {
    for (const chapter of book.chapters()) {
      const choice = book.completeChapter(String(chapter.number))[0]!;
      expect(book.resolveChapter(choice.name)).toMatchObject({ kind: 'found', item: { id: chapter.id } });
    }
    for (const part of book.parts()) {
      const choice = book.completePart(book.partLabel(part))[0]!;
      expect(book.resolvePart(choice.name)).toMatchObject({ kind: 'found', item: { id: part.id } });
    }
  });

  it('finds chapters by a theme word', () => {
    expect(values(book.completeChapter('bullying'))).toEqual(['chapter-9']);
    expect(book.resolveChapter('bullying')).toMatchObject({ kind: 'found', item: { id: 'chapter-9' } });
  });

  it('offers both Pizers and asks which one when typed without picking', () => {
    expect(values(book.completeChapter('pizer'))).toEqual(['chapter-4', 'chapter-11']);
    const resolution = book.resolveChapter('pizer');
    expect(resolution.kind).toBe('ambiguous');
    expect(resolution.kind === 'ambiguous' && resolution.candidates.map((c) => c.id)).toEqual(['chapter-4', 'chapter-11']);
  });

  it('finds Matthias Wenke’s chapter under the review’s other spelling too', () => {
    expect(values(book.completeChapter('wenke'))).toEqual(['chapter-5']);
    expect(values(book.completeChapter('Matthais'))).toEqual(['chapter-5']);
  });

  it('does not match a number inside a page citation', () => {
    expect(values(book.completeChapter('3'))).toEqual(['chapter-3']);
  });

  it('says nothing was found for nonsense', () => {
    expect(book.resolveChapter('zzzz')).toEqual({ kind: 'none' });
    expect(book.completeChapter('zzzz')).toEqual([]);
  });
});

describe('numbers typed with a sign or a decimal', () => {
  // normalise() drops the sign and splits at the point, so "-1" picked chapter 1 and "-2" Part II.
  it.each(['-1', '-0', '0', '16', '3.5', '1,0', '2.0', ' -3 '])('“%s” is no chapter: it resolves to none and offers none', (typed) => {
    expect(book.resolveChapter(typed)).toEqual({ kind: 'none' });
    expect(book.completeChapter(typed)).toEqual([]);
  });

  it.each(['-2', '6', '2.5', '+0'])('“%s” is no part', (typed) => {
    expect(book.resolvePart(typed)).toEqual({ kind: 'none' });
    expect(book.completePart(typed)).toEqual([]);
  });

  it('reads a whole number in range as that number, with or without a plus or leading zero', () => {
    expect(book.resolveChapter('+3')).toMatchObject({ kind: 'found', item: { id: 'chapter-3' } });
    expect(book.resolveChapter('03')).toMatchObject({ kind: 'found', item: { id: 'chapter-3' } });
    expect(values(book.completeChapter('+3'))).toEqual(['chapter-3']);
    expect(book.resolvePart('+2')).toMatchObject({ kind: 'found', item: { id: 'part-2' } });
  });

  it('never picks a contributor by a number', () => {
    for (const typed of ['-1', '1', '+1', '1.5']) expect(book.resolvePerson(typed), typed).toEqual({ kind: 'none' });
  });
});

describe('a single match guessed from the start of a word', () => {
  // "q" is only the start of "question" in chapter 13's description: opening chapter 13 for it was a leap.
  it('is offered, not opened; a whole word of a description, or the start of a name, still opens', () => {
    expect(book.resolveChapter('q')).toMatchObject({ kind: 'ambiguous', candidates: [{ id: 'chapter-13' }] });
    expect(book.resolveChapter('collusive')).toMatchObject({ kind: 'found', item: { id: 'chapter-5' } });
    expect(book.resolveChapter('matt')).toMatchObject({ kind: 'found', item: { id: 'chapter-5' } });
  });
});

describe('autocomplete and look-ups, for every part', () => {
  it.each(EXPECTED_PARTS)('part $roman ($word)', (expected) => {
    const id = `part-${expected.number}`;
    for (const typed of [String(expected.number), expected.roman, `Part ${expected.roman}`, `part ${expected.number}`, ...expected.names]) {
      expect(book.resolvePart(typed), typed).toMatchObject({ kind: 'found', item: { id } });
    }
    expect(values(book.completePart(expected.word))).toEqual([id]);
    expect(book.chaptersInPart(id).map((c) => c.number)).toEqual(expected.chapters);
    const part = book.part(id);
    expect(part && book.partLabel(part)).toBe(`Part ${expected.roman}: ${expected.names.join(' / ')}`);
  });

  it('finds a part by a contributor in it', () => {
    expect(values(book.completePart('wenke'))).toEqual(['part-2']);
    expect(values(book.completePart('pizer'))).toEqual(['part-2', 'part-4']);
    expect(values(book.completePart('boundaries'))).toEqual(['part-1']);
  });
});

describe('autocomplete and look-ups, for every person', () => {
  it.each(EXPECTED_PEOPLE)('$name', (expected) => {
    const person = book.people().find((p) => p.name === expected.name);
    expect(person).toBeDefined();
    const id = person?.id ?? '';
    expect(values(book.completePerson(expected.search))).toContain(id);
    expect(book.resolvePerson(expected.name.toLowerCase())).toMatchObject({ kind: 'found', item: { id } });
    expect(book.resolvePerson(id)).toMatchObject({ kind: 'found', item: { id } });
    expect(person?.roles).toEqual(expected.roles);
    expect(book.chaptersBy(id).map((c) => c.number)).toEqual(expected.chapters);
    if (expected.bio) expect(person?.bio).toContain(expected.bio);
    else expect(person?.bio).toBeUndefined();
  });

  it('offers both Pizers, and a did-you-mean when typed without picking', () => {
    expect(values(book.completePerson('pizer'))).toEqual(['stuart-pizer', 'barbara-pizer']);
    const resolution = book.resolvePerson('Pizer');
    expect(resolution.kind === 'ambiguous' && resolution.candidates.map((p) => p.name)).toEqual(['Stuart Pizer', 'Barbara Pizer']);
  });

  it('matches without accents or hyphens', () => {
    expect(values(book.completePerson('ben shahar'))).toEqual(['asaf-rolef-ben-shahar']);
    expect(values(book.completePerson('BENSHAHAR'))).toEqual(['asaf-rolef-ben-shahar']);
    expect(values(book.completePerson('appel-opper'))).toEqual(['julianne-appel-opper']);
    expect(values(book.completePerson('edítor'))).toEqual(['asaf-rolef-ben-shahar', 'rachel-shalit']);
  });
});

describe('autocomplete limits', () => {
  it('answers at most 25 choices of at most 100 characters, for any prefix', () => {
    for (const query of ['', 'a', 'e', 'chapter', 'part', 'p', '1', 'the']) {
      for (const choices of [book.completeChapter(query), book.completePart(query), book.completePerson(query)]) {
        expect(choices.length).toBeLessThanOrEqual(25);
        for (const choice of choices) {
          expect(choice.name.length).toBeGreaterThan(0);
          expect(choice.name.length).toBeLessThanOrEqual(100);
          expect(choice.value.length).toBeLessThanOrEqual(100);
        }
      }
    }
    expect(book.completeChapter('')).toHaveLength(15);
    expect(book.completePerson('')).toHaveLength(17);
  });
});

describe('records and search', () => {
  it('has one record per dataset record, with unique ids and a source each', () => {
    const records = book.records();
    const data = book.book;
    const bookRecords = data.book.framing ? 2 : 1; // the book, and its framing passage on its own
    expect(records).toHaveLength(bookRecords + data.questions.length + data.parts.length + data.chapters.length + data.people.length + data.quotations.length + data.citations.length);
    expect(new Set(records.map((r) => r.id)).size).toBe(records.length);
    for (const record of records) expect(record.source).toMatch(/^000_ca59435536f5b40c\.txt/);
    const chapter = records.find((r) => r.id === 'chapter-5');
    expect(chapter).toMatchObject({ kind: 'chapter', label: 'Chapter 5 (Matthias Wenke), Part II', page: 'p. 35', source: '000_ca59435536f5b40c.txt, p. 35' });
    expect(chapter?.text).toContain('number inferred from the order in which the review presents the chapters');
    expect(chapter?.text).toContain('Title: not in the dataset');
  });

  it('finds the book’s starting point (rupture and repair, the hurt carried alone) as its own record', () => {
    const hits = book.search('rupture repair').map((hit) => hit.record.id);
    expect(hits[0]).toBe('book-framing');
    expect(book.records().find((r) => r.id === 'book-framing')?.text).toContain('carry it, secretly and shamefully, for a long, long time');
  });

  it.each([
    ['who wrote the chapter on bullying', 'chapter-9'],
    ['p. 97', 'page-97'],
    ['audiences', 'book'],
    ['narcissistic wounds', 'guiding-question-2'],
    ['foreword', 'andrew-samuels'],
    ['reflection', 'page-58'],
    ['Matthais', 'matthias-wenke'],
    ['intercultural', 'chapter-14'],
  ])('ranks the right record among the first hits for “%s”', (query, id) => {
    const hits = book.search(query, 3);
    expect(hits.map((h) => h.record.id)).toContain(id);
    for (const hit of hits) expect(hit.snippet.length).toBeGreaterThan(0);
  });

  it('ranks best first, and finds nothing for words the dataset does not hold, with a close spelling', () => {
    const hits = book.search('bullying', 5);
    expect(hits[0]?.record.id).toBe('chapter-9');
    for (let i = 1; i < hits.length; i++) expect(hits[i - 1]!.score).toBeGreaterThanOrEqual(hits[i]!.score);
    expect(book.search('xylophone', 5)).toEqual([]);
    // What the source is silent on is said to be missing rather than guessed.
    expect(book.search('publisher', 5)[0]?.record.text).toContain('Publisher and publication year: not in the dataset');
    expect(book.search('Benjamen', 5)).toEqual([]);
    expect(book.suggest('Benjamen')).toEqual(['benjamin']);
    // Two letters swapped is one slip, not two: a five-letter word gets its suggestion.
    expect(book.suggest('shaem')).toEqual(['shame']);
    expect(book.search('   ', 5)).toEqual([]);
    expect(book.search('"quotes" AND OR NEAR(', 5)).toBeInstanceOf(Array);
  });
});
