import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Matcher, type Choice, type MatchEntry, type Resolution } from './matcher.js';
import { roman } from './normalise.js';
import { parseBookData, type Book, type Chapter, type Citation, type Part, type Person, type Question, type Quotation, type Role, type Source, type Target } from './schema.js';
import { SearchIndex } from './search-index.js';

export type { Choice, Resolution } from './matcher.js';
export type { Book, Chapter, Citation, Part, Person, Question, Quotation, Source, Target } from './schema.js';

export interface BookRecord {
  id: string;
  kind: 'book' | 'question' | 'part' | 'chapter' | 'person' | 'quotation' | 'citation';
  /** e.g. "Chapter 5 (Matthias Wenke), Part II". */
  label: string;
  /** The facts of this record as plain prose, only from the dataset (and so only from its source). */
  text: string;
  /** e.g. "p. 35". */
  page?: string;
  /** e.g. "000_ca59435536f5b40c.txt, p. 35". */
  source: string;
}

export interface SearchHit {
  record: BookRecord;
  score: number;
  snippet: string;
}

/** A dataset that cannot be used; `problems` each start with the JSON path they concern. */
export class BookDataError extends Error {
  override readonly name = 'BookDataError';
  constructor(
    readonly path: string,
    readonly problems: string[],
  ) {
    super(formatProblems(path, problems));
  }
}

/** The one wording of dataset problems, printed by `npm run check-data` and by the bot refusing to start. */
export function formatProblems(path: string, problems: readonly string[]): string {
  return `The book dataset ${path} is not valid (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${problems.map((p) => `  - ${p}`).join('\n')}`;
}

export const NOT_IN_DATASET = 'not in the dataset';

const ROLE_WORDS: Record<Role, string> = {
  editor: 'editor',
  contributor: 'contributor',
  foreword: 'author of the foreword',
  reviewer: 'reviewer (author of the source review)',
};

export interface BookService {
  book: Book;
  records(): readonly BookRecord[];
  search(query: string, limit?: number): SearchHit[];
  /** Close spellings from the dataset for a query that found nothing. */
  suggest(query: string): string[];

  parts(): readonly Part[];
  chapters(): readonly Chapter[];
  people(): readonly Person[];
  part(id: string): Part | undefined;
  chapter(id: string): Chapter | undefined;
  person(id: string): Person | undefined;
  chaptersInPart(partId: string): Chapter[];
  chaptersBy(personId: string): Chapter[];
  /** Quotations and page citations tied to a chapter, a part's introduction, or an editor's reflection. */
  quotationsAbout(match: (target: Target) => boolean): Quotation[];
  citationsAbout(match: (target: Target) => boolean): Citation[];
  questions(kind?: Question['kind']): Question[];

  /** "Part II: Techniques: Holding On and Letting Go"; a part named two ways shows both. */
  partLabel(part: Part): string;
  /** "Chapter 5 (Matthias Wenke), Part II". */
  chapterLabel(chapter: Chapter): string;
  /** The same for a stored chapter id; an id the dataset no longer has is shown as it is. */
  chapterLabelById: (chapterId: string) => string;
  contributorNames(chapter: Chapter): string;
  roleWords(person: Person): string;
  describeTarget(target: Target): string;
  /** "000_ca59435536f5b40c.txt, p. 35". */
  sourceText(source: Source): string;

  completePart(query: string): Choice[];
  completeChapter(query: string): Choice[];
  completePerson(query: string): Choice[];
  resolvePart(input: string): Resolution<Part>;
  resolveChapter(input: string): Resolution<Chapter>;
  resolvePerson(input: string): Resolution<Person>;
}

function sourceText(source: Source): string {
  return source.page ? `${source.file}, ${source.page}` : source.file;
}

function list(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  if (items.length === 2) return `${items[0]} and ${items[1]}`;
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/** Builds the service over a parsed dataset: look-ups, autocomplete and the search index, all in memory. */
export function createBookService(book: Book): BookService {
  const people = new Map(book.people.map((p) => [p.id, p]));
  const parts = new Map(book.parts.map((p) => [p.id, p]));
  const chapters = new Map(book.chapters.map((c) => [c.id, c]));
  const nameOf = (id: string) => people.get(id)?.name ?? id;

  const partLabel = (part: Part) => `Part ${roman(part.number)}: ${part.names.map((n) => n.name).join(' / ')}`;
  const contributorNames = (chapter: Chapter) => list(chapter.contributors.map(nameOf));
  const chapterLabel = (chapter: Chapter) => {
    const part = parts.get(chapter.part);
    return `Chapter ${chapter.number} (${contributorNames(chapter)})${part ? `, Part ${roman(part.number)}` : ''}`;
  };
  const chaptersInPart = (partId: string) => book.chapters.filter((c) => c.part === partId);
  const chaptersBy = (personId: string) => book.chapters.filter((c) => c.contributors.includes(personId));
  const roleWords = (person: Person) => list(person.roles.map((r) => ROLE_WORDS[r]));
  const describeTarget = (target: Target): string => {
    switch (target.kind) {
      case 'chapter': {
        const chapter = chapters.get(target.chapter);
        return chapter ? chapterLabel(chapter) : target.chapter;
      }
      case 'part-introduction': {
        const part = parts.get(target.part);
        return `the introduction to ${part ? partLabel(part) : target.part}`;
      }
      case 'editors-introduction':
        return 'the editors’ introduction';
      case 'editor-reflection':
        return `${nameOf(target.person)}’s reflection`;
    }
  };
  const numbering = book.book.numbering;

  const records: BookRecord[] = [];
  const add = (record: Omit<BookRecord, 'source' | 'page'>, source: Source) => {
    records.push({ ...record, ...(source.page ? { page: source.page } : {}), source: sourceText(source) });
  };

  const info = book.book;
  const bookFacts = [
    `${info.title}${info.subtitle ? `: ${info.subtitle}` : ''}, edited by ${list(info.editors.map(nameOf))}.`,
    info.foreword ? `Foreword by ${nameOf(info.foreword.by)}.` : 'Foreword: not in the dataset.',
    `${info.counts.parts} parts, ${info.counts.chapters} chapters, ${info.counts.contributors} contributors.`,
    info.structure ?? '',
    info.description,
    info.framing?.text ?? '',
    info.audiences ? `Edited with ${info.audiences.length} audiences in mind: ${list(info.audiences)}.` : '',
    info.purpose ?? '',
    info.titleReason ? `Why the title: ${info.titleReason.text}${info.titleReason.source.page ? ` (${info.titleReason.source.page})` : ''}` : '',
    info.goals?.text ?? '',
    info.contentWarning ? `Content note: ${info.contentWarning.text}` : '',
    info.review?.about ?? '',
    `Parts: ${book.parts.map(partLabel).join('; ')}.`,
    numbering,
    'Chapter titles: not in the dataset.',
    'Publisher and publication year: not in the dataset.',
  ];
  add({ id: info.id, kind: 'book', label: `${info.title} (the book)`, text: bookFacts.filter(Boolean).join(' ') }, info.source);
  // Its own record too, so a citation or a search hit can point at exactly this passage.
  if (info.framing) add({ id: `${info.id}-framing`, kind: 'book', label: 'How the book sets the stage (the review’s summary)', text: info.framing.text }, info.framing.source);

  book.questions.forEach((q) => {
    const guiding = book.questions.filter((x) => x.kind === 'guiding');
    const label = q.kind === 'guiding' ? `Guiding question ${guiding.indexOf(q) + 1} of the editors` : 'The question of what relational theory and practice can contribute';
    const text = [
      q.kind === 'guiding' ? `Word for word: “${q.text}”` : `The book examines ${q.text}.`,
      q.askedBy ? `Asked by ${list(q.askedBy.map(nameOf))}.` : '',
      q.context ?? '',
    ];
    add({ id: q.id, kind: 'question', label, text: text.filter(Boolean).join(' ') }, q.source);
  });

  book.parts.forEach((p) => {
    const inPart = chaptersInPart(p.id);
    const text = [
      `${partLabel(p)}.`,
      p.names.length > 1 ? `The source names this part in ${p.names.length} ways: ${p.names.map((n) => `“${n.name}” in ${n.where}`).join('; ')}.` : '',
      `Theme: ${p.theme}`,
      p.introduction ?? '',
      `Chapters: ${inPart.map((c) => `Chapter ${c.number} by ${contributorNames(c)}`).join('; ')}.`,
      p.numberInferred ? 'The part number follows the order in which the review lists the parts.' : '',
    ];
    add({ id: p.id, kind: 'part', label: partLabel(p), text: text.filter(Boolean).join(' ') }, p.source);
  });

  book.chapters.forEach((c) => {
    const part = parts.get(c.part);
    const text = [
      `Chapter ${c.number}${c.numberInferred ? ' (number inferred from the order in which the review presents the chapters)' : ''}, in ${part ? partLabel(part) : c.part}.`,
      `Contributor${c.contributors.length > 1 ? 's' : ''}: ${contributorNames(c)}.`,
      `What the review says it is about: ${c.about}`,
      c.pages ? `Pages the review cites for it: ${c.pages.join(', ')}.` : 'The review cites no page for it.',
      `Title: ${c.title ?? NOT_IN_DATASET}.`,
    ];
    add({ id: c.id, kind: 'chapter', label: chapterLabel(c), text: text.join(' ') }, c.source);
  });

  book.people.forEach((p) => {
    const own = chaptersBy(p.id);
    const text = [
      `${p.name}: ${roleWords(p)}.`,
      p.aliases ? `Also spelled ${p.aliases.map((a) => `“${a.name}” (${a.where})`).join(', ')}.` : '',
      own.length > 0 ? `Chapters: ${own.map(chapterLabel).join('; ')}.` : 'No chapter of the book is attributed to this person in the dataset.',
      p.bio ? `Biography: ${p.bio}` : `Biography: ${NOT_IN_DATASET}.`,
      ...(p.notes ?? []),
    ];
    add({ id: p.id, kind: 'person', label: `${p.name} (${roleWords(p)})`, text: text.filter(Boolean).join(' ') }, p.source);
  });

  book.quotations.forEach((q) => {
    const where = q.about ? describeTarget(q.about) : undefined;
    const label = `Quotation${q.page ? `, ${q.page}` : ''}${where ? ` (${where})` : ''}`;
    const text = [
      `“${q.text}”`,
      q.page ? `(${q.page})` : '(the review gives no page)',
      q.speakers ? `Written by ${list(q.speakers.map(nameOf))}.` : '',
      where ? `About ${where}.` : '',
      q.context,
    ];
    add({ id: q.id, kind: 'quotation', label, text: text.filter(Boolean).join(' ') }, q.source);
  });

  book.citations.forEach((c) => {
    const label = `${c.page}: ${describeTarget(c.target)}`;
    const text = [`The review cites ${c.page} for ${describeTarget(c.target)}.`, ...c.citedFor];
    add({ id: c.id, kind: 'citation', label, text: text.join(' ') }, c.source);
  });

  const byId = new Map(records.map((r) => [r.id, r]));
  const index = new SearchIndex(records);

  const partMatcher = new Matcher<Part>(
    book.parts.map((p) => ({
      item: p,
      label: partLabel(p),
      value: p.id,
      number: p.number,
      keys: [p.id, String(p.number), roman(p.number), `part ${p.number}`, `part ${roman(p.number)}`, partLabel(p), ...p.names.map((n) => n.name)],
      primary: ['part', String(p.number), roman(p.number), ...p.names.map((n) => n.name)],
      secondary: [p.theme, ...chaptersInPart(p.id).flatMap((c) => c.contributors.flatMap((id) => [nameOf(id), ...(people.get(id)?.aliases ?? []).map((a) => a.name)]))],
    })),
  );
  const chapterMatcher = new Matcher<Chapter>(
    book.chapters.map((c): MatchEntry<Chapter> => {
      const part = parts.get(c.part);
      const names = c.contributors.flatMap((id) => [nameOf(id), ...(people.get(id)?.aliases ?? []).map((a) => a.name)]);
      const label = `${chapterLabel(c)}${part ? ` · ${part.names.map((n) => n.name).join(' / ')}` : ''}`;
      return {
        item: c,
        label,
        value: c.id,
        number: c.number,
        keys: [c.id, String(c.number), `chapter ${c.number}`, chapterLabel(c), label, ...(c.title ? [c.title] : []), ...(c.contributors.length === 1 ? names : [])],
        primary: ['chapter', String(c.number), ...names, ...(c.title ? [c.title] : [])],
        secondary: [c.about, ...(part ? ['part', roman(part.number), part.theme, ...part.names.map((n) => n.name)] : [])],
      };
    }),
  );
  const personMatcher = new Matcher<Person>(
    book.people.map((p) => ({
      item: p,
      label: `${p.name} (${list(p.roles.map((r) => (r === 'foreword' ? 'foreword' : r)))})`,
      value: p.id,
      keys: [p.id, p.name, ...(p.aliases ?? []).map((a) => a.name)],
      primary: [p.name, ...(p.aliases ?? []).map((a) => a.name)],
      secondary: [...p.roles, ...(p.roles.includes('foreword') ? ['foreword'] : [])],
    })),
  );

  return {
    book,
    records: () => records,
    search(query, limit = 10) {
      return index.search(query, Math.max(1, Math.min(limit, 50))).flatMap((hit) => {
        const record = byId.get(hit.id);
        return record ? [{ record, score: hit.score, snippet: hit.snippet }] : [];
      });
    },
    suggest: (query) => index.suggest(query),
    parts: () => book.parts,
    chapters: () => book.chapters,
    people: () => book.people,
    part: (id) => parts.get(id),
    chapter: (id) => chapters.get(id),
    person: (id) => people.get(id),
    chaptersInPart,
    chaptersBy,
    quotationsAbout: (match) => book.quotations.filter((q) => q.about !== undefined && match(q.about)),
    citationsAbout: (match) => book.citations.filter((c) => match(c.target)),
    questions: (kind) => book.questions.filter((q) => kind === undefined || q.kind === kind),
    partLabel,
    chapterLabel,
    chapterLabelById: (chapterId) => {
      const chapter = chapters.get(chapterId);
      return chapter ? chapterLabel(chapter) : `chapter ${chapterId}`;
    },
    contributorNames,
    roleWords,
    describeTarget,
    sourceText,
    completePart: (q) => partMatcher.complete(q),
    completeChapter: (q) => chapterMatcher.complete(q),
    completePerson: (q) => personMatcher.complete(q),
    resolvePart: (q) => partMatcher.resolve(q),
    resolveChapter: (q) => chapterMatcher.resolve(q),
    resolvePerson: (q) => personMatcher.resolve(q),
  };
}

type ReadResult = { ok: true; book: Book } | { ok: false; problems: string[] };

function unreadable(error: unknown): ReadResult {
  const code = (error as NodeJS.ErrnoException).code;
  return { ok: false, problems: [`$: cannot read the file (${code ?? String(error)})`] };
}

/** Reads and checks a dataset file without building anything: for `npm run check-data`. */
export async function readBookData(path: string): Promise<ReadResult> {
  let raw: string;
  try {
    raw = await readFile(path, 'utf8');
  } catch (error) {
    return unreadable(error);
  }
  return checkBookText(raw);
}

/** Checks a dataset given as JSON text. */
export function checkBookText(raw: string): ReadResult {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (error) {
    return { ok: false, problems: [`$: not valid JSON (${error instanceof Error ? error.message : String(error)})`] };
  }
  return parseBookData(json);
}

/**
 * The synchronous twin of `loadBook`, for tools that build a context without starting the bot
 * (`buildContext` without a `book`). Throws a BookDataError like `loadBook`.
 */
export function loadBookSync(path: string): BookService {
  let raw: string;
  try {
    raw = readFileSync(path, 'utf8');
  } catch (error) {
    const result = unreadable(error);
    throw new BookDataError(path, result.ok ? [] : result.problems);
  }
  const result = checkBookText(raw);
  if (!result.ok) throw new BookDataError(path, result.problems);
  return createBookService(result.book);
}

/** Loads, validates and indexes the dataset. Throws a BookDataError listing every problem with its JSON path. */
export async function loadBook(path: string): Promise<BookService> {
  const result = await readBookData(path);
  if (!result.ok) throw new BookDataError(path, result.problems);
  return createBookService(result.book);
}
