import { escapeHtml } from '../escape.js';
import type { ExportEntry, ExportMeta, FormatInfo, Formatter } from '../types.js';
import { countLabel, dayOf, describeScope, exportedAtLabel } from './common.js';

const STYLE = `
  :root { color-scheme: light; }
  body { font: 11pt/1.5 Georgia, 'Times New Roman', serif; color: #1d1d1d; max-width: 44rem; margin: 2rem auto; padding: 0 1rem; }
  h1 { font-size: 1.6rem; margin-bottom: .2rem; }
  h2 { font-size: 1.2rem; margin-top: 2.2rem; border-bottom: 1px solid #999; padding-bottom: .2rem; }
  .summary, .reading, .about { color: #555; font-size: .9rem; }
  article { margin: 1.1rem 0; break-inside: avoid; page-break-inside: avoid; }
  .text { white-space: pre-wrap; overflow-wrap: anywhere; margin: .3rem 0 0; }
  @media print { body { margin: 0; max-width: none; } h2 { break-after: avoid; page-break-after: avoid; } }
`;

/**
 * One self-contained, printable page: inline style, no scripts, no external resources (the page's own
 * Content-Security-Policy forbids them), and every piece of text escaped.
 */
function createHtml(meta: ExportMeta): Formatter {
  return {
    grouped: true,
    separator: '',
    begin(count) {
      const title = meta.guildName === null ? 'Reflections' : `Reflections from ${meta.guildName}`;
      const summary = `Exported ${exportedAtLabel(meta)}: ${countLabel(count)}; scope: ${describeScope(meta.scope, meta.since)}${meta.pseudonymised ? '; authors pseudonymised' : ''}.`;
      return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n' +
        `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">\n` +
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n' +
        `<title>${escapeHtml(title)}</title>\n<style>${STYLE}</style>\n</head>\n<body>\n` +
        `<header><h1>${escapeHtml(title)}</h1><p class="summary">${escapeHtml(summary)}</p></header>\n` +
        (count === 0 ? '<p>No reflections match this export.</p>\n' : '')
      );
    },
    group: (week) => `<section>\n${heading(meta, week)}`,
    groupEnd: () => '</section>\n',
    entry(e: ExportEntry) {
      const about = [`<strong>${escapeHtml(e.byline)}</strong>`, `<time datetime="${escapeHtml(e.createdAt)}">${escapeHtml(dayOf(e.createdAt))}</time>`];
      if (e.chapter !== null) about.push(escapeHtml(e.chapter));
      return `<article><p class="about">${about.join(' · ')}</p><p class="text">${escapeHtml(e.text)}</p></article>\n`;
    },
    end: () => '</body>\n</html>\n',
  };
}

function heading(meta: ExportMeta, week: number | null): string {
  if (week === null) return '<h2>Not tied to a plan week</h2>\n';
  const info = meta.week(week);
  const prompt = info?.prompt?.trim() ? `: ${escapeHtml(info.prompt)}` : '';
  const reading = info?.title?.trim() ? `<p class="reading">Reading: ${escapeHtml(info.title)}</p>\n` : '';
  return `<h2>Week ${week}${prompt}</h2>\n${reading}`;
}

export const html: FormatInfo = { extension: 'html', contentType: 'text/html; charset=utf-8', create: createHtml };
