import { z } from 'zod';

/**
 * The book dataset's shape. Every fact the bot states about the book comes from a file that passes this
 * schema, and every record names its `source`: the file it was read from and, where the source cites one,
 * the page of the book. Fields the source is silent on (chapter titles, most biographies) are optional and
 * left out; the bot then says "not in the dataset" instead of guessing.
 *
 * Cross-references (a chapter's part and contributors, a citation's target) are checked after the shape,
 * and every problem is reported with the JSON path of the offending value (see `formatPath`).
 */

const text = z.string().trim().min(1, { error: 'expected a non-empty string' });
const id = z
  .string({ error: 'expected an id (a string)' })
  .regex(/^[a-z0-9][a-z0-9-]*$/, { error: 'expected an id of lowercase letters, digits and hyphens' })
  .max(60, { error: 'expected an id of at most 60 characters' });
/** A page as the book numbers it, written "p. 35", "pp. 67-68" or "p. xxv". */
const page = z.string().regex(/^(p\. [0-9ivxlc]+|pp\. [0-9ivxlc]+-[0-9ivxlc]+)$/, { error: 'expected a page like "p. 35", "pp. 67-68" or "p. xxv"' });

export const SourceSchema = z.strictObject({
  /** The source file's name, e.g. the seed review the facts were read from. */
  file: text,
  /** The page of the book the source cites for this record, when it cites one. */
  page: page.optional(),
  /** How the source words it, where that matters (a spelling, a contradiction, an inference). */
  note: text.optional(),
});

/** What a page citation or a quotation is tied to, exactly as the source ties it. */
export const TargetSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('chapter'), chapter: id }),
  z.strictObject({ kind: z.literal('part-introduction'), part: id }),
  z.strictObject({ kind: z.literal('editors-introduction') }),
  z.strictObject({ kind: z.literal('editor-reflection'), person: id }),
]);

export const RoleSchema = z.enum(['editor', 'contributor', 'foreword', 'reviewer']);

export const PersonSchema = z.strictObject({
  id,
  name: text,
  /** Other spellings the source uses, with where it uses them. */
  aliases: z.array(z.strictObject({ name: text, where: text })).optional(),
  roles: z.array(RoleSchema).min(1, { error: 'expected at least one role' }),
  /** The biography, only where the source gives one. */
  bio: text.optional(),
  /** Other facts the source states about the person. */
  notes: z.array(text).optional(),
  source: SourceSchema,
});

export const PartSchema = z.strictObject({
  id,
  number: z.int({ error: 'expected a whole number' }).positive({ error: 'expected a number above 0' }),
  numberInferred: z.boolean(),
  /** The part's name(s); more than one when the source names it differently in different places. */
  names: z.array(z.strictObject({ name: text, where: text })).min(1, { error: 'expected at least one name' }),
  theme: text,
  /** What the part's introduction says, where the source reports it. */
  introduction: text.optional(),
  source: SourceSchema,
});

export const ChapterSchema = z.strictObject({
  id,
  number: z.int({ error: 'expected a whole number' }).positive({ error: 'expected a number above 0' }),
  /** True when the number comes from the order the source presents the chapters in, not from the book. */
  numberInferred: z.boolean(),
  /** Absent when the source does not give it. */
  title: text.optional(),
  part: id,
  contributors: z.array(id).min(1, { error: 'expected at least one contributor' }),
  about: text,
  /** Pages the source cites for this chapter (also listed under `citations`). */
  pages: z.array(page).optional(),
  source: SourceSchema,
});

export const QuestionSchema = z.strictObject({
  id,
  kind: z.enum(['guiding', 'contribution']),
  /** Word for word as the source gives it. */
  text,
  askedBy: z.array(id).optional(),
  context: text.optional(),
  source: SourceSchema,
});

export const QuotationSchema = z.strictObject({
  id,
  /** Exactly as the source quotes it (it is checked against the source file). */
  text,
  page: page.optional(),
  /** Who the source says wrote the words, when it says. */
  speakers: z.array(id).optional(),
  /** What the source ties the words to. */
  about: TargetSchema.optional(),
  context: text,
  source: SourceSchema,
});

export const CitationSchema = z.strictObject({
  id,
  page,
  target: TargetSchema,
  citedFor: z.array(text).min(1, { error: 'expected at least one thing the page is cited for' }),
  source: SourceSchema,
});

export const BookInfoSchema = z.strictObject({
  id,
  title: text,
  subtitle: text.optional(),
  editors: z.array(id).min(1, { error: 'expected at least one editor' }),
  foreword: z.strictObject({ by: id, source: SourceSchema }).optional(),
  /** The numbers the source states; checked against the records. */
  counts: z.strictObject({
    parts: z.int().nonnegative(),
    chapters: z.int().nonnegative(),
    contributors: z.int().nonnegative(),
    source: SourceSchema,
  }),
  description: text,
  structure: text.optional(),
  audiences: z.array(text).optional(),
  purpose: text.optional(),
  /** The review's summary of the book's starting point: failure, rupture and repair, and the hurt therapists carry alone. */
  framing: z.strictObject({ text, source: SourceSchema }).optional(),
  titleReason: z.strictObject({ text, source: SourceSchema }).optional(),
  goals: z.strictObject({ text, source: SourceSchema }).optional(),
  contentWarning: z.strictObject({ text, by: id, source: SourceSchema }).optional(),
  review: z.strictObject({ by: id, about: text, source: SourceSchema }).optional(),
  /** How chapter (and part) numbers were obtained, said wherever a number is shown. */
  numbering: text,
  source: SourceSchema,
});

export const BookDataSchema = z.strictObject({
  schemaVersion: z.literal(1, { error: 'expected schemaVersion 1' }),
  book: BookInfoSchema,
  questions: z.array(QuestionSchema),
  parts: z.array(PartSchema).min(1, { error: 'expected at least one part' }),
  chapters: z.array(ChapterSchema).min(1, { error: 'expected at least one chapter' }),
  people: z.array(PersonSchema).min(1, { error: 'expected at least one person' }),
  quotations: z.array(QuotationSchema),
  citations: z.array(CitationSchema),
});

export type Source = z.infer<typeof SourceSchema>;
export type Target = z.infer<typeof TargetSchema>;
export type Role = z.infer<typeof RoleSchema>;
export type Person = z.infer<typeof PersonSchema>;
export type Part = z.infer<typeof PartSchema>;
export type Chapter = z.infer<typeof ChapterSchema>;
export type Question = z.infer<typeof QuestionSchema>;
export type Quotation = z.infer<typeof QuotationSchema>;
export type Citation = z.infer<typeof CitationSchema>;
export type BookInfo = z.infer<typeof BookInfoSchema>;
export type Book = z.infer<typeof BookDataSchema>;

/** A JSON path as people read it: `$.chapters[4].contributors[0]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '$';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (typeof key === 'string' && /^[A-Za-z_$][\w$]*$/.test(key)) out += `.${key}`;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out;
}

type Problem = { path: (string | number)[]; message: string };

/** The checks a shape cannot express: unique ids, references that resolve, numbers in order, stated counts. */
export function crossCheck(data: Book): Problem[] {
  const problems: Problem[] = [];
  const seen = new Map<string, string>();
  const register = (value: string, path: (string | number)[]) => {
    const where = formatPath(path);
    const first = seen.get(value);
    if (first !== undefined) problems.push({ path, message: `duplicate id "${value}" (already used at ${first})` });
    else seen.set(value, where);
  };
  register(data.book.id, ['book', 'id']);
  data.questions.forEach((q, i) => register(q.id, ['questions', i, 'id']));
  data.parts.forEach((p, i) => register(p.id, ['parts', i, 'id']));
  data.chapters.forEach((c, i) => register(c.id, ['chapters', i, 'id']));
  data.people.forEach((p, i) => register(p.id, ['people', i, 'id']));
  data.quotations.forEach((q, i) => register(q.id, ['quotations', i, 'id']));
  data.citations.forEach((c, i) => register(c.id, ['citations', i, 'id']));

  const people = new Set(data.people.map((p) => p.id));
  const parts = new Set(data.parts.map((p) => p.id));
  const chapters = new Set(data.chapters.map((c) => c.id));
  const person = (value: string, path: (string | number)[]) => {
    if (!people.has(value)) problems.push({ path, message: `unknown person "${value}" (no entry in $.people has this id)` });
  };
  const part = (value: string, path: (string | number)[]) => {
    if (!parts.has(value)) problems.push({ path, message: `unknown part "${value}" (no entry in $.parts has this id)` });
  };
  const chapter = (value: string, path: (string | number)[]) => {
    if (!chapters.has(value)) problems.push({ path, message: `unknown chapter "${value}" (no entry in $.chapters has this id)` });
  };
  const target = (t: Target, path: (string | number)[]) => {
    if (t.kind === 'chapter') chapter(t.chapter, [...path, 'chapter']);
    else if (t.kind === 'part-introduction') part(t.part, [...path, 'part']);
    else if (t.kind === 'editor-reflection') person(t.person, [...path, 'person']);
  };

  data.book.editors.forEach((e, i) => person(e, ['book', 'editors', i]));
  if (data.book.foreword) person(data.book.foreword.by, ['book', 'foreword', 'by']);
  if (data.book.contentWarning) person(data.book.contentWarning.by, ['book', 'contentWarning', 'by']);
  if (data.book.review) person(data.book.review.by, ['book', 'review', 'by']);
  data.questions.forEach((q, i) => q.askedBy?.forEach((p, j) => person(p, ['questions', i, 'askedBy', j])));
  data.chapters.forEach((c, i) => {
    part(c.part, ['chapters', i, 'part']);
    c.contributors.forEach((p, j) => person(p, ['chapters', i, 'contributors', j]));
    if (new Set(c.contributors).size !== c.contributors.length) problems.push({ path: ['chapters', i, 'contributors'], message: 'a contributor is listed twice' });
  });
  data.quotations.forEach((q, i) => {
    q.speakers?.forEach((p, j) => person(p, ['quotations', i, 'speakers', j]));
    if (q.about) target(q.about, ['quotations', i, 'about']);
  });
  data.citations.forEach((c, i) => target(c.target, ['citations', i, 'target']));

  data.parts.forEach((p, i) => {
    if (p.number !== i + 1) problems.push({ path: ['parts', i, 'number'], message: `expected part number ${i + 1} (parts are listed in order), found ${p.number}` });
    if (!data.chapters.some((c) => c.part === p.id)) problems.push({ path: ['parts', i], message: `part "${p.id}" has no chapters` });
  });
  data.chapters.forEach((c, i) => {
    if (c.number !== i + 1) problems.push({ path: ['chapters', i, 'number'], message: `expected chapter number ${i + 1} (chapters are listed in order), found ${c.number}` });
  });

  const counts = data.book.counts;
  if (counts.parts !== data.parts.length) problems.push({ path: ['book', 'counts', 'parts'], message: `says ${counts.parts} parts but $.parts lists ${data.parts.length}` });
  if (counts.chapters !== data.chapters.length) problems.push({ path: ['book', 'counts', 'chapters'], message: `says ${counts.chapters} chapters but $.chapters lists ${data.chapters.length}` });
  const contributors = new Set(data.chapters.flatMap((c) => c.contributors)).size;
  if (counts.contributors !== contributors) {
    problems.push({ path: ['book', 'counts', 'contributors'], message: `says ${counts.contributors} contributors but $.chapters names ${contributors} different people` });
  }
  return problems;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/** Parses and checks a dataset: either the book or every problem, each starting with its JSON path. */
export function parseBookData(input: unknown): { ok: true; book: Book } | { ok: false; problems: string[] } {
  const parsed = BookDataSchema.safeParse(input);
  if (!parsed.success) {
    return {
      ok: false,
      problems: parsed.error.issues.map((issue) => {
        const missing = issue.code === 'invalid_type' && issue.path.length > 0 && valueAt(input, issue.path) === undefined;
        const expected = issue.code === 'invalid_type' ? ` ${issue.expected}` : '';
        return `${formatPath(issue.path)}: ${missing ? `required field is missing (expected${expected})` : issue.message}`;
      }),
    };
  }
  const problems = crossCheck(parsed.data);
  if (problems.length > 0) return { ok: false, problems: problems.map((p) => `${formatPath(p.path)}: ${p.message}`) };
  return { ok: true, book: parsed.data };
}
