import type { ExportEntry, ExportMeta, ExportScope } from '../types.js';

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

/**
 * Keeps rendered entries grouped by plan week, for the readable formats: numbered weeks in order, then the
 * reflections not tied to a week. Within a week, entries keep their order (by id, i.e. as written).
 */
export class WeekGroups {
  private readonly groups = new Map<number | null, string[]>();

  add(entry: ExportEntry, rendered: string): void {
    const group = this.groups.get(entry.week);
    if (group) group.push(rendered);
    else this.groups.set(entry.week, [rendered]);
  }

  *inOrder(): Generator<[number | null, string[]]> {
    const weeks = [...this.groups.keys()].filter((w): w is number => w !== null).sort((a, b) => a - b);
    for (const week of weeks) yield [week, this.groups.get(week)!];
    const loose = this.groups.get(null);
    if (loose) yield [null, loose];
  }
}

export function exportedAtLabel(meta: ExportMeta): string {
  return `${meta.exportedAt.slice(0, 16).replace('T', ' ')} UTC`;
}
