import { csvCell } from '../escape.js';
import type { ExportEntry, FormatInfo, Formatter } from '../types.js';

/** The CSV columns, in order. Stable: spreadsheets and scripts depend on them. */
export const CSV_COLUMNS = ['id', 'created_at', 'week', 'chapter_id', 'chapter', 'visibility', 'author_id', 'author_name', 'text'] as const;

/**
 * The UTF-8 byte-order mark the file opens with. Excel (Windows) reads a CSV without it in the machine's ANSI
 * code page, so accented letters, the bot's own ’ and emoji came out as garbage. It is part of the file's first
 * bytes like any other (counted in its size and hash), so it is in the first part only when the file is split.
 */
export const CSV_BOM = '\uFEFF';

/**
 * RFC 4180 CSV with a header row and CRLF line ends, opening with a UTF-8 byte-order mark. A cell a
 * spreadsheet would run as a formula is prefixed with an apostrophe (see `csvCell`). Anonymous rows leave
 * author_id and author_name empty.
 */
function createCsv(): Formatter {
  return {
    grouped: false,
    separator: '',
    begin: () => `${CSV_BOM}${CSV_COLUMNS.join(',')}\r\n`,
    group: () => '',
    groupEnd: () => '',
    entry: (e: ExportEntry) =>
      `${csvCell(e.id)},${csvCell(e.createdAt)},${csvCell(e.week)},${csvCell(e.chapterId)},${csvCell(e.chapter)},${csvCell(e.visibility)},` +
      `${csvCell(e.authorId)},${csvCell(e.authorName)},${csvCell(e.text)}\r\n`,
    end: () => '',
  };
}

export const csv: FormatInfo = { extension: 'csv', contentType: 'text/csv; charset=utf-8', create: createCsv };
