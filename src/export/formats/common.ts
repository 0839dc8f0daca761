import type { ExportMeta, ExportScope } from '../types.js';

/** The reflection's day, as YYYY-MM-DD (UTC). */
export function dayOf(iso: string): string {
  return iso.slice(0, 10);
}

/** A one-line description of the scope, for headers and the log. */
export function describeScope(scope: ExportScope, since: string | null): string {
  const parts: string[] = [];
  if (scope.week !== null) parts.push(`week ${scope.week}`);
  if (scope.from !== null && scope.to !== null) parts.push(`${scope.from} to ${scope.to}`);
  else if (scope.from !== null) parts.push(`from ${scope.from}`);
  else if (scope.to !== null) parts.push(`until ${scope.to}`);
  if (scope.chapterId !== null) parts.push(`chapter ${scope.chapterId}`);
  if (scope.memberId !== null) parts.push('one member’s shared reflections');
  if (scope.sinceLast) parts.push(since === null ? 'since the last export (none before: everything)' : `new since the last export (${since})`);
  return parts.length === 0 ? 'everything' : parts.join(', ');
}

export function countLabel(count: number): string {
  return count === 1 ? '1 reflection' : `${count} reflections`;
}

export function exportedAtLabel(meta: ExportMeta): string {
  return `${meta.exportedAt.slice(0, 16).replace('T', ' ')} UTC`;
}
