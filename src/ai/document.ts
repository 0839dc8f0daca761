import type { DocumentBlockParam } from '@anthropic-ai/sdk/resources/messages/messages';
import type { AskBookRecord } from './book-port.js';

/**
 * The book data as one "custom content" document: one text block per dataset record, in a fixed order,
 * so that a `content_block_location` citation's block indices point straight back at record ids.
 */
export interface BookDocument {
  block: DocumentBlockParam;
  /** recordIds[i] is the id of the record in content block i. */
  recordIds: readonly string[];
  byId: ReadonlyMap<string, AskBookRecord>;
}

export const DOCUMENT_TITLE = 'The book data';
export const DOCUMENT_CONTEXT =
  'The reading group’s dataset about the book, drawn from a review of it. Each block is one record (the book, a part, a chapter, a person, ' +
  'a quotation, a page citation or a question): its label, with the page where known, then its text.';

/** The record's label, with its page when the label does not already name it. */
function labelWithPage(record: AskBookRecord): string {
  if (!record.page) return record.label;
  const page = formatPage(record.page);
  return record.label.includes(page) ? record.label : `${record.label}, ${page}`;
}

/** The text of one block: a header naming what the record is (and its page), then the record's own text. */
export function blockText(record: AskBookRecord): string {
  return `${labelWithPage(record)}\n${record.text}`;
}

export function buildDocument(records: readonly AskBookRecord[], options: { cache?: boolean } = {}): BookDocument {
  const usable = records.filter((record) => record.text.trim() !== '' || record.label.trim() !== '');
  const block: DocumentBlockParam = {
    type: 'document',
    source: { type: 'content', content: usable.map((record) => ({ type: 'text' as const, text: blockText(record) })) },
    title: DOCUMENT_TITLE,
    context: DOCUMENT_CONTEXT,
    citations: { enabled: true },
    ...(options.cache ? { cache_control: { type: 'ephemeral' as const } } : {}),
  };
  return { block, recordIds: usable.map((record) => record.id), byId: new Map(usable.map((record) => [record.id, record])) };
}

/** Record ids a content-block citation covers (end exclusive), ignoring anything out of range. */
export function citedRecordIds(document: Pick<BookDocument, 'recordIds'>, start: number, end: number): string[] {
  const ids: string[] = [];
  for (let index = Math.max(0, start); index < Math.min(end, document.recordIds.length); index++) {
    const id = document.recordIds[index];
    if (id !== undefined) ids.push(id);
  }
  return ids;
}

/** One source line: the record's label (it names the chapter, person, part or quotation) and the page. */
export function describeSource(record: AskBookRecord): string {
  return labelWithPage(record);
}

/** Pages come as "p. 35", "pp. 67-68" or a bare "35"; always shown with the "p." prefix. */
export function formatPage(page: string): string {
  const trimmed = page.trim();
  return /^pp?\.\s/.test(trimmed) ? trimmed : `p. ${trimmed}`;
}
