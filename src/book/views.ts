import { UserFacingError } from '../errors.js';
import { truncate } from '../text.js';
import { roman } from './normalise.js';
import { NOT_IN_DATASET, type BookService, type Chapter, type Part, type Person, type Resolution, type SearchHit, type Source, type Target } from './service.js';

/**
 * What the book commands show, as plain values (no discord.js here): an embed's parts and the buttons that
 * lead on to related records. `src/discord/book-reply.ts` turns a view into a Discord message.
 */
export interface BookLink {
  kind: 'book' | 'part' | 'chapter' | 'person';
  id: string;
  label: string;
}

export interface BookView {
  title: string;
  description?: string;
  fields: { name: string; value: string; inline?: boolean }[];
  footer: string;
  /** Rows of buttons (at most 5 rows of 5). */
  links: BookLink[][];
}

function footer(service: BookService, source: Source): string {
  const review = service.book.book.review;
  const by = review ? service.person(review.by)?.name : undefined;
  return `Source: ${service.sourceText(source)}${by ? ` (a review of the book by ${by})` : ''}. Facts come only from this source.`;
}

function bullets(items: readonly string[]): string {
  return items.map((item) => `• ${item}`).join('\n');
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const rows: T[][] = [];
  for (let i = 0; i < items.length; i += size) rows.push(items.slice(i, i + size));
  return rows;
}

const chapterLink = (service: BookService, c: Chapter): BookLink => ({ kind: 'chapter', id: c.id, label: `Chapter ${c.number}: ${service.contributorNames(c)}` });
const partLink = (p: Part): BookLink => ({ kind: 'part', id: p.id, label: `Part ${roman(p.number)}: ${p.names.map((n) => n.name).join(' / ')}` });
const personLink = (p: Person): BookLink => ({ kind: 'person', id: p.id, label: p.name });
const bookLink = (service: BookService): BookLink => ({ kind: 'book', id: service.book.book.id, label: `The book: ${service.book.book.title}` });

function pageLine(service: BookService, target: Target): string[] {
  const same = (t: Target) => JSON.stringify(t) === JSON.stringify(target);
  const quotes = service.quotationsAbout(same).map((q) => `“${q.text}”${q.page ? ` (${q.page})` : ' (no page given)'}`);
  return quotes;
}

export function bookView(service: BookService): BookView {
  const info = service.book.book;
  const name = (id: string) => service.person(id)?.name ?? id;
  const fields: BookView['fields'] = [
    { name: 'Editors', value: info.editors.map(name).join(' and '), inline: true },
    { name: 'Foreword', value: info.foreword ? name(info.foreword.by) : NOT_IN_DATASET, inline: true },
    {
      name: 'Structure',
      value: `${info.counts.parts} parts, ${info.counts.chapters} chapters, ${info.counts.contributors} contributors.\n${bullets(service.parts().map((p) => service.partLabel(p)))}${info.structure ? `\n${info.structure}` : ''}`,
    },
  ];
  if (info.audiences) fields.push({ name: `Edited with ${info.audiences.length} audiences in mind`, value: bullets(info.audiences) });
  const guiding = service.questions('guiding');
  if (guiding.length > 0) {
    const askers = guiding[0]?.askedBy?.map(name).join(' and ');
    fields.push({ name: `The guiding questions${askers ? ` (asked by ${askers})` : ''}, word for word`, value: guiding.map((q) => `> ${q.text}`).join('\n') });
  }
  const contribution = service.questions('contribution');
  if (info.purpose) fields.push({ name: 'Purpose', value: info.purpose });
  else if (contribution.length > 0) fields.push({ name: 'Purpose', value: contribution.map((q) => q.context ?? q.text).join('\n') });
  if (info.framing) fields.push({ name: 'Where the book starts', value: info.framing.text });
  if (info.titleReason) fields.push({ name: 'Why the title', value: `${info.titleReason.text}${info.titleReason.source.page ? ` (${info.titleReason.source.page})` : ''}` });
  if (info.goals) fields.push({ name: 'A goal', value: info.goals.text });
  if (info.contentWarning) fields.push({ name: 'Content note', value: info.contentWarning.text });
  if (info.review) fields.push({ name: 'About the source', value: info.review.about });
  fields.push({ name: 'Numbering', value: info.numbering });
  return {
    title: `${info.title}${info.subtitle ? `: ${info.subtitle}` : ''}`,
    description: info.description,
    fields,
    footer: footer(service, info.source),
    links: chunk(service.parts().map(partLink), 5),
  };
}

export function partView(service: BookService, part: Part): BookView {
  const chapters = service.chaptersInPart(part.id);
  const fields: BookView['fields'] = [];
  if (part.names.length > 1) {
    fields.push({
      name: 'Name',
      value: `The source names this part in ${part.names.length} ways and does not say which is right:\n${bullets(part.names.map((n) => `“${n.name}” in ${n.where}`))}`,
    });
  }
  if (part.introduction) fields.push({ name: `The part’s introduction${part.source.page ? ` (${part.source.page})` : ''}`, value: part.introduction });
  fields.push({
    name: `Chapters (${chapters.length})`,
    value: chapters.map((c) => `**Chapter ${c.number}**, ${service.contributorNames(c)}: ${c.about}`).join('\n'),
  });
  fields.push({ name: 'Numbering', value: service.book.book.numbering });
  return {
    title: service.partLabel(part),
    description: `**Theme:** ${part.theme}`,
    fields,
    footer: footer(service, part.source),
    links: [...chunk(chapters.map((c) => chapterLink(service, c)), 5).slice(0, 4), [bookLink(service)]],
  };
}

export function chapterView(service: BookService, chapter: Chapter): BookView {
  const part = service.part(chapter.part);
  const contributors = chapter.contributors.map((id) => service.person(id)).filter((p): p is Person => p !== undefined);
  const target: Target = { kind: 'chapter', chapter: chapter.id };
  const citations = service.citationsAbout((t) => t.kind === 'chapter' && t.chapter === chapter.id);
  const quotes = pageLine(service, target);
  const fields: BookView['fields'] = [
    {
      name: 'Number',
      value: chapter.numberInferred ? `${chapter.number} (inferred from the order in which the review presents the chapters)` : String(chapter.number),
      inline: true,
    },
    { name: 'Part', value: part ? service.partLabel(part) : chapter.part, inline: true },
    { name: chapter.contributors.length > 1 ? 'Contributors' : 'Contributor', value: service.contributorNames(chapter), inline: true },
    { name: 'Title', value: chapter.title ?? `${NOT_IN_DATASET} (the review does not give chapter titles)` },
    {
      name: 'Pages cited',
      value: citations.length > 0 ? citations.map((c) => `${c.page}: ${c.citedFor.join(' ')}`).join('\n') : 'The review cites no page for this chapter.',
    },
  ];
  if (quotes.length > 0) fields.push({ name: 'Quoted in the review', value: bullets(quotes) });
  if (chapter.source.note) fields.push({ name: 'Note on the source', value: chapter.source.note });
  return {
    title: `Chapter ${chapter.number}: ${service.contributorNames(chapter)}`,
    description: chapter.about,
    fields,
    footer: footer(service, chapter.source),
    links: [[...contributors.map(personLink), ...(part ? [partLink(part)] : [])].slice(0, 5), [bookLink(service)]],
  };
}

export function personView(service: BookService, person: Person): BookView {
  const chapters = service.chaptersBy(person.id);
  const info = service.book.book;
  const roles: string[] = [];
  if (person.roles.includes('editor')) roles.push(`Editor of the book${info.editors.length > 1 ? ` (with ${info.editors.filter((e) => e !== person.id).map((e) => service.person(e)?.name ?? e).join(' and ')})` : ''}`);
  if (person.roles.includes('foreword')) roles.push('Wrote the foreword');
  if (person.roles.includes('contributor')) roles.push(`Contributor of ${chapters.length === 1 ? 'one chapter' : `${chapters.length} chapters`}`);
  if (person.roles.includes('reviewer')) roles.push('Wrote the review this dataset is built from');
  const fields: BookView['fields'] = [];
  if (chapters.length > 0) {
    fields.push({
      name: chapters.length > 1 ? 'Chapters' : 'Chapter',
      value: chapters
        .map((c) => {
          const co = c.contributors.filter((id) => id !== person.id).map((id) => service.person(id)?.name ?? id);
          return `**${service.chapterLabel(c)}**${co.length > 0 ? ` (co-authored with ${co.join(' and ')})` : ''}: ${c.about}`;
        })
        .join('\n'),
    });
  }
  if (person.aliases) fields.push({ name: 'Also spelled', value: bullets(person.aliases.map((a) => `“${a.name}” in ${a.where}`)) });
  fields.push({ name: 'Biography', value: person.bio ?? `${NOT_IN_DATASET} (the review gives none)` });
  if (person.notes) fields.push({ name: 'What the review also says', value: bullets(person.notes) });
  const reflections = service.citationsAbout((t) => t.kind === 'editor-reflection' && t.person === person.id);
  if (reflections.length > 0) fields.push({ name: 'Pages cited', value: reflections.map((c) => `${c.page}: ${c.citedFor.join(' ')}`).join('\n') });
  if (chapters.length > 0) fields.push({ name: 'Numbering', value: 'Chapter numbers are inferred from the order in which the review presents the chapters.' });
  return {
    title: person.name,
    description: bullets(roles),
    fields,
    footer: footer(service, person.source),
    links: [chapters.map((c) => chapterLink(service, c)).slice(0, 5), [bookLink(service)]].filter((row) => row.length > 0),
  };
}

export function searchView(service: BookService, query: string, hits: readonly SearchHit[]): BookView {
  const kinds: Record<string, string> = {
    book: 'the book',
    question: 'question',
    part: 'part',
    chapter: 'chapter',
    person: 'person',
    quotation: 'quotation',
    citation: 'page citation',
  };
  // Records that share a passage (the book's record quotes the review's framing, which is a record of its own)
  // are one entry, at the better one's rank, naming the others: not the same words twice in five results.
  const entries = new Map<string, SearchHit[]>();
  for (const hit of hits) entries.set(hit.snippet, [...(entries.get(hit.snippet) ?? []), hit]);
  const description = [...entries.values()]
    .map(([first, ...others], i) => {
      const also = others.length > 0 ? ` · also in ${others.map((o) => `**${o.record.label}**`).join(', ')}` : '';
      return `**${i + 1}. ${first!.record.label}** (${kinds[first!.record.kind] ?? first!.record.kind}; source: ${first!.record.source})${also}\n${first!.snippet}`;
    })
    .join('\n\n');
  const sources = [...new Set(hits.map((h) => h.record.source.split(',')[0] ?? h.record.source))];
  const links: BookLink[] = [];
  for (const hit of hits) {
    const r = hit.record;
    if (r.kind === 'chapter' || r.kind === 'part' || r.kind === 'person') {
      const record = r.kind === 'chapter' ? service.chapter(r.id) : r.kind === 'part' ? service.part(r.id) : service.person(r.id);
      if (record) links.push({ kind: r.kind, id: r.id, label: r.label });
    }
  }
  return {
    title: `Search: “${query}”`,
    description,
    fields: [],
    footer: `Source: ${sources.join(', ')}. Ranked full-text search over the book dataset.`,
    links: chunk(links.slice(0, 5), 5),
  };
}

/** The kind "nothing found" message, with close spellings and what to try instead. */
export function nothingFound(service: BookService, query: string): string {
  const suggestions = service.suggest(query);
  const lines = [`Nothing in the book dataset matches “${query}”.`];
  if (suggestions.length > 0) lines.push(`Did you mean: ${suggestions.map((s) => `“${s}”`).join(', ')}?`);
  lines.push(
    'Try a contributor’s name (for example “Pizer”), a theme (“bullying”, “shame”, “rupture”), a page (“p. 97”), or `/book` for the overview. ' +
      '`/part`, `/chapter` and `/contributor` suggest names as you type.',
  );
  return lines.join('\n');
}

type Kind = 'part' | 'chapter' | 'contributor';

/** Turns a resolution into the record, or a kind UserFacingError: "did you mean" when ambiguous, "not found" otherwise. */
export function pick<T>(resolution: Resolution<T>, kind: Kind, input: string, label: (item: T) => string, hint: string): T {
  if (resolution.kind === 'found') return resolution.item;
  // Cut in UTF-16 units like every Discord limit, never through an emoji: slice() left half of one (a lone surrogate).
  const shown = truncate(input.trim(), 100);
  if (resolution.kind === 'ambiguous') {
    const lead = resolution.candidates.length === 1 ? `“${shown}” is not the name of a ${kind}.` : `“${shown}” matches more than one ${kind}.`;
    throw new UserFacingError(
      `${lead} Did you mean:\n${resolution.candidates.map((c) => `• ${label(c)}`).join('\n')}\nPick one from the list as you type, or type more of the name.`,
    );
  }
  throw new UserFacingError(`I couldn’t find a ${kind} matching “${shown}” in the book dataset. ${hint}`);
}
