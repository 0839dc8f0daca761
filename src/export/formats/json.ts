import { jsonString, safeJson } from '../escape.js';
import type { ExportEntry, ExportMeta, FormatInfo, Formatter, WeekHeading } from '../types.js';

/** Bumped only when a field changes meaning or disappears; new fields may be added in the same version. */
export const JSON_EXPORT_VERSION = 2;

const jsonOrNull = (text: string | null): string => (text === null ? 'null' : jsonString(text));

/**
 * The JSON export (documented in src/export/README.md):
 * { format, version, guildId, exportedAt, scope, since, pseudonymised, reflections: [...], count, weeks: [...] }
 * Written as a stream: the header, one reflection per line, then the count and the weeks seen.
 */
function createJson(meta: ExportMeta): Formatter {
  return {
    grouped: false,
    separator: ',\n',
    group: () => '',
    groupEnd: () => '',
    begin: () => {
      const header = {
        format: 'reading-circle/reflections',
        version: JSON_EXPORT_VERSION,
        guildId: meta.guildId,
        exportedAt: meta.exportedAt,
        // A pseudonymised file names no member, not even the one the scope picked.
        scope: meta.pseudonymised && meta.scope.memberId !== null ? { ...meta.scope, memberId: null } : meta.scope,
        since: meta.since,
        pseudonymised: meta.pseudonymised,
      };
      // The header object without its closing brace, then the reflections array opens.
      return `${safeJson(header, 2).slice(0, -2)},\n  "reflections": [\n`;
    },
    // Written out rather than `safeJson({ id, ... })`: the same line (the keys in this order, no spaces; a
    // test compares the two), with each string through `jsonString`. About three times faster per
    // reflection, and a JSON export writes every one.
    entry: (e: ExportEntry) =>
      `    {"id":${e.id ?? 'null'},"createdAt":${jsonString(e.createdAt)},"week":${e.week ?? 'null'},"chapterId":${jsonOrNull(e.chapterId)},` +
      `"chapter":${jsonOrNull(e.chapter)},"visibility":${jsonString(e.visibility)},"authorId":${jsonOrNull(e.authorId)},` +
      `"authorName":${jsonOrNull(e.authorName)},"text":${jsonString(e.text)}}`,
    end(count, weeks) {
      const headings: WeekHeading[] = weeks.map((week) => {
        const info = meta.week(week);
        return { week, title: info?.title ?? null, prompt: info?.prompt ?? null };
      });
      return `${count === 0 ? '' : '\n'}  ],\n  "count": ${count},\n  "weeks": ${safeJson(headings)}\n}\n`;
    },
  };
}

export const json: FormatInfo = { extension: 'json', contentType: 'application/json; charset=utf-8', create: createJson };
