import { escapeMarkdownBlock, escapeMarkdownInline } from '../escape.js';
import type { ExportEntry, ExportMeta, FormatInfo, Formatter } from '../types.js';
import { countLabel, dayOf, describeScope, exportedAtLabel, WeekGroups } from './common.js';

/**
 * Readable Markdown, grouped by plan week: the week's prompt as the heading, then each reflection signed
 * with its author (or "A member"), date and chapter. Every piece of member or moderator text is escaped,
 * so a viewer shows it literally: no headings, links, HTML or mentions come out of it.
 */
function createMarkdown(meta: ExportMeta): Formatter {
  const groups = new WeekGroups();
  return {
    begin: () => '',
    entry(entry: ExportEntry) {
      const about = [`**${escapeMarkdownInline(entry.byline)}**`, dayOf(entry.createdAt)];
      if (entry.chapter !== null) about.push(escapeMarkdownInline(entry.chapter));
      groups.add(entry, `${about.join(' · ')}\n\n${escapeMarkdownBlock(entry.text)}\n\n---\n\n`);
      return '';
    },
    *end(count) {
      const where = meta.guildName === null ? '' : ` from ${escapeMarkdownInline(meta.guildName)}`;
      yield `# Reflections${where}\n\n`;
      yield `*Exported ${exportedAtLabel(meta)}: ${countLabel(count)}; scope: ${escapeMarkdownInline(describeScope(meta.scope, meta.since))}` +
        `${meta.pseudonymised ? '; authors pseudonymised' : ''}.*\n\n`;
      if (count === 0) yield 'No reflections match this export.\n';
      for (const [week, entries] of groups.inOrder()) {
        yield heading(meta, week);
        for (const piece of entries) yield piece;
      }
    },
  };
}

function heading(meta: ExportMeta, week: number | null): string {
  if (week === null) return '## Not tied to a plan week\n\n';
  const info = meta.week(week);
  const prompt = info?.prompt?.trim() ? `: ${escapeMarkdownInline(info.prompt)}` : '';
  const reading = info?.title?.trim() ? `*Reading: ${escapeMarkdownInline(info.title)}*\n\n` : '';
  return `## Week ${week}${prompt}\n\n${reading}`;
}

export const markdown: FormatInfo = { extension: 'md', contentType: 'text/markdown; charset=utf-8', create: createMarkdown };
