import type { AskAnswer, FallbackReason } from './answer.js';
import { supportRemark, TITLES } from './answer.js';
import type { AskBook, AskBookRecord } from './book-port.js';
import { describeSource } from './document.js';
import { FALLBACK_REASONS, MESSAGES } from './prompt.js';

/**
 * The dataset's own answer to a free question: used without an API key and whenever Claude cannot answer.
 * It is retrieval, not writing: the records that best match the question's content words, one line each
 * with its source. A question is mostly question words ("which chapters deal with…"), so those are set
 * aside before matching, and what the question asks for (a chapter, a person, a page) ranks those records
 * first.
 */

export const FALLBACK_LIMIT = 5;

/** Words that say what kind of answer is wanted, or nothing at all, rather than what it is about. */
const QUESTION_WORDS = new Set(
  `a about above after again all also an and any anyone are as at be been being book books but by can chapter chapters could
  deal deals dealing dealt describe describes did discuss discusses do does doing everyone explore explores find for from
  give has have here how i if in into is it its let look looks me mention mentions more most my of on one or other our
  part parts say says section sections should show so some tell than that the their them there these they this those to
  topic topics us was we were what when where which who whom whose why will with within would write writes writing wrote
  written you your page pages p quote quotes quotation quotations contributor contributors author authors person people`.split(/\s+/),
);

/** A question's content words, lower-cased, accents removed, in order, without repeats. */
export function contentWords(question: string): string[] {
  const words = fold(question).match(/[\p{L}\p{N}]+/gu) ?? [];
  return [...new Set(words.filter((word) => !QUESTION_WORDS.has(word) && (word.length > 1 || /\d/.test(word))))];
}

/** A word's stem for substring matching: "culture" finds "cultural" and "intercultural", "shame" finds "shaming". */
export function stem(word: string): string {
  for (const suffix of ['ations', 'ation', 'ings', 'ing', 'ness', 'ally', 'ies', 'al', 'es', 'ed', 's', 'e', 'y']) {
    if (word.endsWith(suffix) && word.length - suffix.length >= 4) return word.slice(0, -suffix.length);
  }
  return word;
}

function fold(text: string): string {
  return text.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();
}

/** What the question asks for, as a preference among record kinds. */
function kindPreference(question: string): Partial<Record<AskBookRecord['kind'], number>> {
  const q = fold(question);
  const prefer: Partial<Record<AskBookRecord['kind'], number>> = {};
  const add = (kind: AskBookRecord['kind'], weight: number) => {
    prefer[kind] = Math.max(prefer[kind] ?? 0, weight);
  };
  if (/\bchapters?\b/.test(q)) add('chapter', 4);
  if (/\b(who|whom|whose|contributors?|authors?|writes?|wrote|written)\b/.test(q)) {
    add('chapter', 3);
    add('person', 3);
  }
  if (/\b(parts?|sections?)\b/.test(q)) add('part', 4);
  if (/\bquot/.test(q)) add('quotation', 4);
  if (/\b(pages?|p\.?\s*\d)/.test(q)) add('citation', 4);
  if (/\bquestions?\b/.test(q)) add('question', 4);
  return prefer;
}

interface Scored {
  record: AskBookRecord;
  score: number;
}

/** Ranks every record by how many of the question's content words it holds, then by the kind asked for and the search rank. */
export function rankRecords(book: AskBook, question: string, limit = FALLBACK_LIMIT): AskBookRecord[] {
  const words = contentWords(question);
  if (words.length === 0) return [];
  const stems = words.map(stem);
  const prefer = kindPreference(question);
  const searchRank = new Map(book.search(words.join(' '), 20).map((hit, index, all) => [hit.record.id, (all.length - index) / all.length]));
  const scored: Scored[] = [];
  for (const record of book.records()) {
    const haystack = fold(`${record.label} ${record.text}`);
    const matched = stems.filter((s) => haystack.includes(s)).length;
    if (matched === 0 && !searchRank.has(record.id)) continue;
    // A quotation or page citation repeats what a chapter, part or person record says in full: on a tie, the
    // fuller record wins. The book's own record summarises everything, so it never wins a tie on that ground.
    const fuller = record.kind === 'quotation' || record.kind === 'citation' || record.kind === 'book' ? 0 : 1;
    scored.push({ record, score: matched * 10 + (prefer[record.kind] ?? 0) + fuller + (searchRank.get(record.id) ?? 0) });
  }
  scored.sort((a, b) => b.score - a.score);
  const chosen: AskBookRecord[] = [];
  for (const { record } of scored) {
    if (chosen.some((other) => repeats(other, record))) continue;
    chosen.push(record);
    if (chosen.length === limit) break;
  }
  return chosen;
}

/**
 * A quotation or page citation that repeats a passage already shown (the part that quotes it, the chapter
 * it describes). Records of the main kinds share boilerplate ("number inferred from…") and are never
 * folded together.
 */
function repeats(shown: AskBookRecord, candidate: AskBookRecord): boolean {
  const echo = (r: AskBookRecord) => r.kind === 'quotation' || r.kind === 'citation';
  return (echo(shown) || echo(candidate)) && overlaps(shown.text, candidate.text);
}

function overlaps(a: string, b: string): boolean {
  const [shorter, longer] = a.length <= b.length ? [fold(a), fold(b)] : [fold(b), fold(a)];
  const window = 60;
  if (shorter.length < window) return longer.includes(shorter);
  for (let start = 0; start + window <= shorter.length; start += 15) {
    if (longer.includes(shorter.slice(start, start + window))) return true;
  }
  return false;
}

/**
 * The sentence of a record that holds the most of the question's words (a record can be long: the book's
 * own record summarises everything), cut to `max` characters, with the matching words in bold.
 */
export function excerpt(text: string, stems: readonly string[], max = 260): string {
  // Closing and opening curly quotes (” “), written as escapes: see BEYOND_LATIN_1 in src/bundle.ts.
  const sentences = text.replace(/\s+/g, ' ').trim().split(/(?<=[.!?\u201d)])\s+(?=[A-Z\u201c"])/u);
  const hits = (sentence: string) => stems.filter((s) => fold(sentence).includes(s)).length;
  let best = 0;
  sentences.forEach((sentence, index) => {
    if (hits(sentence) > hits(sentences[best] ?? '')) best = index;
  });
  let piece = sentences[best] ?? '';
  // A short sentence reads better with the one after it ("Contributor: … What the review says it is about: …").
  if (piece.length < 80 && sentences[best + 1]) piece = `${piece} ${sentences[best + 1]}`;
  const chars = Array.from(piece);
  if (chars.length > max) piece = `${chars.slice(0, max - 1).join('').replace(/\s+\S*$/, '')}…`;
  if (stems.length === 0) return piece;
  // A word is marked whole; a number only as a whole number ("12" not inside "p. 121").
  const pattern = new RegExp(stems.map((s) => (/^\d+$/.test(s) ? `(?<!\\d)${s}(?!\\d)` : `\\p{L}*${escapeRegExp(s)}\\p{L}*`)).join('|'), 'giu');
  return piece.replace(pattern, (word) => (stems.some((s) => fold(word).includes(s)) ? `**${word}**` : word));
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function datasetAnswer(
  book: AskBook,
  question: string,
  options: { reason: FallbackReason; notice?: string; supportNote: string | null; personal: boolean },
): AskAnswer {
  const remarks: string[] = [];
  const why = options.notice ?? (options.reason in FALLBACK_REASONS ? FALLBACK_REASONS[options.reason as keyof typeof FALLBACK_REASONS] : '');
  if (why) remarks.push(why);
  const outcome = options.reason;

  // A member's own distress is not a search query: a kind word and the server's support note, nothing else.
  if (options.personal) {
    return { by: 'dataset', outcome, title: TITLES.care, body: MESSAGES.careFallback, notes: [], remarks: [...remarks, supportRemark(options.supportNote)], sourceIds: [], final: true };
  }

  const records = rankRecords(book, question);
  if (records.length === 0) {
    remarks.push(supportRemark(options.supportNote));
    return { by: 'dataset', outcome, title: TITLES.datasetEmpty, body: MESSAGES.nothingMatches, notes: [], remarks, sourceIds: [], final: true };
  }
  remarks.push(MESSAGES.datasetLabel);
  const stems = contentWords(question).map(stem);
  // Two records may quote the same sentence (the book's summary and how it sets the stage): one line, both sources.
  const sourcesByExcerpt = new Map<string, string[]>();
  for (const record of records) {
    const text = excerpt(record.text, stems);
    const sources = sourcesByExcerpt.get(text);
    if (sources) sources.push(describeSource(record));
    else sourcesByExcerpt.set(text, [describeSource(record)]);
  }
  const lines = [...sourcesByExcerpt].map(([text, sources]) => `• ${text} (${sources.join('; ')})`);
  return { by: 'dataset', outcome, title: TITLES.dataset, body: lines.join('\n'), notes: [], remarks, sourceIds: records.map((r) => r.id), final: true };
}
