import { beforeAll, describe, expect, it } from 'vitest';
import { loadBook, type BookService } from '../../src/book/service.js';
import { bookView, chapterView, nothingFound, partView, personView, pick, searchView, type BookView } from '../../src/book/views.js';
import { BOOK_PREFIX, renderBookView } from '../../src/discord/book-reply.js';
import { LIMITS } from '../../src/discord/render.js';
import { UserFacingError } from '../../src/errors.js';

let book: BookService;
beforeAll(async () => {
  book = await loadBook('data/when-hurt-remains.json');
});

function allViews(): BookView[] {
  return [
    bookView(book),
    ...book.parts().map((p) => partView(book, p)),
    ...book.chapters().map((c) => chapterView(book, c)),
    ...book.people().map((p) => personView(book, p)),
    searchView(book, 'failure', book.search('failure', 5)),
  ];
}

describe('book views', () => {
  it('fit Discord’s limits without cutting anything from the shipped dataset', () => {
    for (const view of allViews()) {
      // Nothing is cut: every piece is already within its limit before fitEmbed would shorten it.
      expect(view.title.length).toBeLessThanOrEqual(LIMITS.embedTitle);
      expect((view.description ?? '').length).toBeLessThanOrEqual(LIMITS.embedDescription);
      expect(view.fields.length).toBeLessThanOrEqual(LIMITS.embedFields);
      for (const field of view.fields) {
        expect(field.name.length, `${view.title} / ${field.name}`).toBeLessThanOrEqual(LIMITS.fieldName);
        expect(field.value.length, `${view.title} / ${field.name}`).toBeLessThanOrEqual(LIMITS.fieldValue);
      }
      const total = view.title.length + (view.description ?? '').length + view.footer.length + view.fields.reduce((n, f) => n + f.name.length + f.value.length, 0);
      expect(total, view.title).toBeLessThanOrEqual(LIMITS.embedTotal);
      const { embeds, components } = renderBookView(view);
      expect(embeds[0]?.footer?.text).toMatch(/^Source: 000_ca59435536f5b40c\.txt/);
      expect(components.length).toBeLessThanOrEqual(5);
      for (const row of components) {
        const buttons = row.components;
        expect(buttons.length).toBeLessThanOrEqual(5);
        for (const button of buttons) {
          expect('label' in button && (button.label ?? '').length).toBeLessThanOrEqual(80);
          expect('custom_id' in button && button.custom_id.length).toBeLessThanOrEqual(100);
        }
      }
    }
  });

  it('link a chapter to its contributors and part, and a person and a part back to the chapters', () => {
    const chapter = book.chapter('chapter-10')!;
    const links = chapterView(book, chapter).links.flat();
    expect(links.map((l) => `${l.kind}:${l.id}`)).toEqual(['person:muriel-dimen', 'person:asaf-rolef-ben-shahar', 'part:part-4', 'book:book']);
    expect(personView(book, book.person('muriel-dimen')!).links.flat().map((l) => l.id)).toContain('chapter-10');
    expect(partView(book, book.part('part-4')!).links.flat().map((l) => l.id)).toEqual(['chapter-10', 'chapter-11', 'book']);
    const ids = renderBookView(chapterView(book, chapter)).components.flatMap((row) => row.components.map((b) => b.custom_id));
    expect(ids).toEqual([`${BOOK_PREFIX.person}:muriel-dimen`, `${BOOK_PREFIX.person}:asaf-rolef-ben-shahar`, `${BOOK_PREFIX.part}:part-4`, `${BOOK_PREFIX.book}:book`]);
  });

  it('say what the source is silent on instead of guessing', () => {
    const chapter = chapterView(book, book.chapter('chapter-1')!);
    expect(chapter.fields.find((f) => f.name === 'Title')?.value).toMatch(/^not in the dataset/);
    expect(chapter.fields.find((f) => f.name === 'Number')?.value).toContain('inferred from the order in which the review presents the chapters');
    expect(chapter.fields.find((f) => f.name === 'Pages cited')?.value).toBe('The review cites no page for this chapter.');
    expect(personView(book, book.person('jessica-benjamin')!).fields.find((f) => f.name === 'Biography')?.value).toMatch(/^not in the dataset/);
  });

  it('attach pages only where the review does: p. 58 to Asaf Rolef Ben-Shahar’s reflection, not to a chapter', () => {
    const asaf = personView(book, book.person('asaf-rolef-ben-shahar')!);
    expect(asaf.fields.find((f) => f.name === 'Pages cited')?.value).toMatch(/^p\. 58: Asaf Rolef Ben-Shahar’s reflection/);
    for (const chapter of book.chapters()) {
      expect(JSON.stringify(chapterView(book, chapter).fields)).not.toContain('p. 58');
      expect(JSON.stringify(chapterView(book, chapter).fields)).not.toContain('p. 97');
      expect(JSON.stringify(chapterView(book, chapter).fields)).not.toContain('xxv');
    }
  });

  it('show a passage two records share once, naming both, in /search', () => {
    const hits = book.search('rupture', 5);
    // The dataset holds the review's framing passage in the book's record and in its own.
    expect(new Set(hits.map((h) => h.snippet)).size).toBeLessThan(hits.length);
    const description = searchView(book, 'rupture', hits).description ?? '';
    for (const hit of hits) {
      expect(description.split(hit.snippet).length - 1, hit.snippet).toBe(1);
      expect(description).toContain(hit.record.label);
    }
    expect(description).toMatch(/^\*\*1\. [^\n]+\*\* \(the book; source: [^)]+\) · also in \*\*When Hurt Remains \(the book\)\*\*\n/);
  });

  it('turn an ambiguous or unknown value into a kind message', () => {
    expect(() => pick(book.resolvePerson('pizer'), 'contributor', 'pizer', (p) => p.name, 'hint')).toThrow(UserFacingError);
    expect(() => pick(book.resolvePerson('pizer'), 'contributor', 'pizer', (p) => p.name, 'hint')).toThrow(/Did you mean:\n• Stuart Pizer\n• Barbara Pizer/);
    expect(() => pick(book.resolvePerson('nobody at all'), 'contributor', 'nobody at all', (p) => p.name, 'Try a name.')).toThrow(
      'I couldn’t find a contributor matching “nobody at all” in the book dataset. Try a name.',
    );
    expect(nothingFound(book, 'Wenk Benjamen')).toContain('Did you mean: “benjamin”?');
    // One guess is offered as one, not as "more than one".
    expect(() => pick(book.resolveChapter('q'), 'chapter', 'q', (c) => c.id, 'hint')).toThrow('“q” is not the name of a chapter. Did you mean:\n• chapter-13\n');
  });

  it('cut a quoted input without splitting an emoji in half', () => {
    // 100 characters as Discord counts max_length: three letters and 97 emoji, 197 UTF-16 units.
    const input = `zqx${'🙂'.repeat(97)}`;
    let message = '';
    try {
      pick(book.resolveChapter(input), 'chapter', input, (c) => c.id, 'hint');
    } catch (error) {
      message = error instanceof UserFacingError ? error.message : '';
    }
    expect(message).toMatch(/^I couldn’t find a chapter matching “zqx(?:🙂)+…” in the book dataset\. hint$/);
    expect(message).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
  });
});
