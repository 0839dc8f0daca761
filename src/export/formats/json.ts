import { safeJson } from '../escape.js';
import type { ExportEntry, ExportMeta, FormatInfo, Formatter, WeekHeading } from '../types.js';

/** Bumped only when a field changes meaning or disappears; new fields may be added in the same version. */
export const JSON_EXPORT_VERSION = 1;

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
    entry(e: ExportEntry) {
      const row = {
        id: e.id,
        createdAt: e.createdAt,
        week: e.week,
        chapterId: e.chapterId,
        chapter: e.chapter,
        visibility: e.visibility,
        authorId: e.authorId,
        authorName: e.authorName,
        text: e.text,
      };
      return `    ${safeJson(row)}`;
    },
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
