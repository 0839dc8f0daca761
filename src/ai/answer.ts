import type { AskBookRecord } from './book-port.js';
import type { ClaudeReply } from './claude.js';
import { citedRecordIds, describeSource, type BookDocument } from './document.js';
import type { FALLBACK_REASONS} from './prompt.js';
import { CARE_MARKER, MESSAGES } from './prompt.js';
import type { AskOutcome } from './usage-repo.js';
import { truncate } from '../text.js';

/**
 * An answer as plain values, ready for any renderer: the command turns it into an embed. The body carries
 * numbered markers [1], [2] …; `notes[n-1]` is the source line of marker [n].
 */
export interface AskAnswer {
  by: 'claude' | 'dataset';
  outcome: AskOutcome;
  title: string;
  body: string;
  notes: string[];
  /** Labels and notices shown with the answer (not found, truncated, why the dataset answered, support note). */
  remarks: string[];
  /** The record ids behind the notes, in note order (for tests and logs). */
  sourceIds: string[];
  /** False while the answer is still streaming in. */
  final: boolean;
}

export const TITLES = {
  claude: 'From the book data',
  notFound: 'Not found in the book data',
  refusal: 'About that question',
  care: 'A note from the reading companion',
  dataset: 'From the book data (dataset search)',
  datasetEmpty: 'Nothing found in the book data',
  writing: 'From the book data (writing…)',
} as const;

/** An answer to a question about the asker's own distress (Claude's [care], or the dataset's kind word): never posted in public. */
export function isCareAnswer(answer: Pick<AskAnswer, 'title'>): boolean {
  return answer.title === TITLES.care;
}

export function supportRemark(supportNote: string | null): string {
  const note = supportNote?.trim();
  return note ? `**Support:** ${note}` : `**Support:** ${MESSAGES.defaultSupport}`;
}

/**
 * What Claude wrote, made safe to show beside the bot's own markers. A "[2]" it wrote itself (or "[1, 3]",
 * "[2–4]") would look exactly like a citation the bot checked (and point at no source), so such markers are dropped (the
 * dashes are written as escapes: see BEYOND_LATIN_1 in src/bundle.ts); a masked
 * link ("[the book](https://…)") would hide where it leads, so it is shown as its text and its address.
 */
export function modelText(text: string): string {
  return text.replace(/\[([^\]\n]*)\]\((<?https?:\/\/[^)\s]*>?)\)/g, (_, label: string, url: string) => `${label} (${url.replace(/^<|>$/g, '')})`).replace(/ ?\[\s*\d+(?:\s*[,\u2013\u2014-]\s*\d+)*\s*\]/g, '');
}

/**
 * Turns Claude's reply into the member's answer. Every cited block range becomes one or more numbered
 * notes, numbered in order of first use, each naming a dataset record; an answer with no citation at all
 * is labelled as not found in the book data rather than shown as fact.
 */
export function answerFromReply(
  reply: ClaudeReply,
  document: BookDocument,
  options: { supportNote: string | null; personal: boolean; final: boolean },
): AskAnswer {
  const numbers = new Map<string, number>();
  const records: AskBookRecord[] = [];
  let body = '';
  for (const span of reply.spans) {
    body += modelText(span.text);
    const markers: number[] = [];
    for (const citation of span.citations) {
      for (const id of citedRecordIds(document, citation.start, citation.end)) {
        const record = document.byId.get(id);
        if (!record) continue;
        let number = numbers.get(id);
        if (number === undefined) {
          number = records.push(record);
          numbers.set(id, number);
        }
        if (!markers.includes(number)) markers.push(number);
      }
    }
    if (markers.length > 0) body += markers.map((n) => `[${n}]`).join('');
  }
  body = body.trim();
  const care = body.startsWith(CARE_MARKER);
  if (care) body = body.slice(CARE_MARKER.length).trim();

  const remarks: string[] = [];
  let outcome: AskOutcome = 'answered';
  let title: string = options.final ? TITLES.claude : TITLES.writing;
  if (reply.stopReason === 'refusal') {
    // A refusal may leave half a sentence behind; show only the fixed, gentle message.
    return { by: 'claude', outcome: 'refusal', title: TITLES.refusal, body: MESSAGES.refusal, notes: [], remarks: [], sourceIds: [], final: options.final };
  }
  if (care) {
    title = TITLES.care;
  } else if (options.final && records.length === 0) {
    outcome = 'not-found';
    title = TITLES.notFound;
    remarks.push(MESSAGES.notFound);
  }
  if (options.final && body === '') body = MESSAGES.empty;
  if (reply.stopReason === 'max_tokens') {
    if (outcome === 'answered') outcome = 'truncated';
    remarks.push(MESSAGES.truncated);
  }
  if (care || options.personal) remarks.push(supportRemark(options.supportNote));
  return {
    by: 'claude',
    outcome,
    title,
    body,
    notes: records.map((record, index) => `[${index + 1}] ${describeSource(record)}`),
    remarks,
    sourceIds: records.map((record) => record.id),
    final: options.final,
  };
}

export type FallbackReason = keyof typeof FALLBACK_REASONS | 'quota' | 'budget' | 'not-sent';

/**
 * The answer as one text that fits `max` (an embed description holds 4096; counted as `truncate` counts, in
 * UTF-16 code units): the remarks and the source notes always fit whole; the body is cut with a visible "…"
 * if it must be.
 */
export function composeText(answer: Pick<AskAnswer, 'body' | 'notes' | 'remarks'>, max = 4096): string {
  const tail: string[] = [];
  if (answer.remarks.length > 0) tail.push(answer.remarks.join('\n'));
  if (answer.notes.length > 0) tail.push(`**Sources**\n${answer.notes.join('\n')}`);
  let tailText = tail.length > 0 ? `\n\n${tail.join('\n\n')}` : '';
  // The sources are what make the answer checkable: they get all the room but a fifth kept for the body.
  const tailMax = Math.max(0, max - Math.max(200, Math.floor(max / 5)));
  if (tailText.length > tailMax) tailText = truncate(tailText, tailMax);
  return `${truncate(answer.body, max - tailText.length)}${tailText}`;
}
