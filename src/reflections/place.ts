/** Where a reflection belongs, in words: "week 2, Chapter 5 (Matthias Wenke), Part II". Empty when nowhere. */
export function describePlace(reflection: { week: number | null; chapterId: string | null }, chapterLabel: (chapterId: string) => string): string {
  return [reflection.week !== null ? `week ${reflection.week}` : null, reflection.chapterId !== null ? chapterLabel(reflection.chapterId) : null]
    .filter(Boolean)
    .join(', ');
}
