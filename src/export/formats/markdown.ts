import { escapeMarkdownBlock, escapeMarkdownInline } from '../escape.js';
import type { ExportEntry, ExportMeta, FormatInfo, Formatter } from '../types.js';
import { countLabel, dayOf, describeScope, exportedAtLabel } from './common.js';

/**
 * Readable Markdown, grouped by plan week: the week's reading as the heading and its prompt below it, then each reflection signed
 * with its author (or "A member"), date and chapter. Every piece of member or moderator text is escaped,
 * so a viewer shows it literally: no headings, links, HTML or mentions come out of it.
 */
function createMarkdown(meta: ExportMeta): Formatter {
  return {
    grouped: true,
    separator: '',
    begin(count) {
      const where = meta.guildName === null ? '' : ` from ${escapeMarkdownInline(meta.guildName)}`;
      return (
        `# Reflections${where}\n\n` +
        `*Exported ${exportedAtLabel(meta)}: ${countLabel(count)}; scope: ${escapeMarkdownInline(describeScope(meta.scope, meta.since))}` +
        `${meta.pseudonymised ? '; authors pseudonymised' : ''}.*\n\n` +
        (count === 0 ? 'No reflections match this export.\n' : '')
      );
    },
    group: (week) => heading(meta, week),
    groupEnd: () => '',
    entry(entry: ExportEntry) {
      const about = [`**${escapeMarkdownInline(entry.byline)}**`, dayOf(entry.createdAt)];
      if (entry.chapter !== null) about.push(escapeMarkdownInline(entry.chapter));
      return `${about.join(' · ')}\n\n${escapeMarkdownBlock(entry.text)}\n\n---\n\n`;
    },
    end: () => '',
  };
}

function heading(meta: ExportMeta, week: number | null): string {
  if (week === null) return '## Not tied to a plan week\n\n';
  const info = meta.week(week);
  // The reading's title heads the week, and its prompt (often several paragraphs) follows as text: in the
  // heading, a long prompt made one line of three paragraphs.
  const title = info?.title?.trim() ? `: ${escapeMarkdownInline(info.title.trim())}` : '';
  const paragraphs = (info?.prompt ?? '').split(/\n+/).map((line) => escapeMarkdownInline(line.trim())).filter(Boolean);
  const prompt = paragraphs.length > 0 ? `*Prompt:* ${paragraphs.join('\n\n')}\n\n` : '';
  return `## Week ${week}${title}\n\n${prompt}`;
}

export const markdown: FormatInfo = { extension: 'md', contentType: 'text/markdown; charset=utf-8', create: createMarkdown };
