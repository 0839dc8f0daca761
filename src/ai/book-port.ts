import type { BookRecord, BookService, SearchHit } from '../book/service.js';

/**
 * What /ask needs from the book: its records (the document sent to Claude) and its search (the
 * dataset-only answer). The book service is passed as it is; tests can pass any dataset of records.
 */
export type AskBookRecord = BookRecord;
export type AskSearchHit = SearchHit;
export type AskBook = Pick<BookService, 'records' | 'search'>;
