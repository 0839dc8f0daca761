import { csvCell } from '../escape.js';
import type { ExportEntry, FormatInfo, Formatter } from '../types.js';

/** The CSV columns, in order. Stable: spreadsheets and scripts depend on them. */
export const CSV_COLUMNS = ['id', 'created_at', 'week', 'chapter_id', 'chapter', 'visibility', 'author_id', 'author_name', 'text'] as const;

/**
 * RFC 4180 CSV with a header row and CRLF line ends. A cell a spreadsheet would run as a formula is
 * prefixed with an apostrophe (see `csvCell`). Anonymous rows leave author_id and author_name empty.
 */
function createCsv(): Formatter {
  return {
    grouped: false,
    separator: '',
    begin: () => `${CSV_COLUMNS.join(',')}\r\n`,
    group: () => '',
    groupEnd: () => '',
    entry: (e: ExportEntry) =>
      `${csvCell(e.id)},${csvCell(e.createdAt)},${csvCell(e.week)},${csvCell(e.chapterId)},${csvCell(e.chapter)},${csvCell(e.visibility)},` +
      `${csvCell(e.authorId)},${csvCell(e.authorName)},${csvCell(e.text)}\r\n`,
    end: () => '',
  };
}

export const csv: FormatInfo = { extension: 'csv', contentType: 'text/csv; charset=utf-8', create: createCsv };
