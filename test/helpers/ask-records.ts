import type { BookRecord, SearchHit } from '../../src/book/service.js';
import type { AskBook } from '../../src/ai/book-port.js';

/** A small, hand-made dataset for /ask tests: the block order is the array order. */
export const RECORDS: BookRecord[] = [
  { id: 'book', kind: 'book', label: 'When Hurt Remains (the book)', text: 'An edited volume on therapeutic failure.', source: 'seed.txt' },
  { id: 'chapter-5', kind: 'chapter', label: 'Chapter 5 (Matthias Wenke), Part II', text: 'Matthias Wenke writes about a collusive enactment.', page: 'p. 35', source: 'seed.txt, p. 35' },
  { id: 'chapter-13', kind: 'chapter', label: 'Chapter 13 (Nancy Eichhorn), Part V', text: 'Nancy Eichhorn writes about a culture of accountability and fears of litigation.', source: 'seed.txt' },
  { id: 'part-4', kind: 'part', label: 'Part IV: Affects on the Edge', text: 'Strong affects, too volcanic to experience, including shame.', page: 'p. 97', source: 'seed.txt, p. 97' },
  { id: 'doris-brothers', kind: 'person', label: 'Doris Brothers (contributor)', text: 'Doris Brothers: contributor of Chapter 1.', source: 'seed.txt' },
];

/** A book over any records, with a plain word-overlap search (the real one is FTS5; /ask only needs the shape). */
export function bookOf(records: readonly BookRecord[] = RECORDS): AskBook {
  return {
    records: () => records,
    search(query: string, limit = 5): SearchHit[] {
      const words = query.toLowerCase().match(/[a-z]{4,}/g) ?? [];
      return records
        .map((record) => {
          const hay = `${record.label} ${record.text}`.toLowerCase();
          const score = words.filter((word) => hay.includes(word)).length;
          return { record, score, snippet: record.text };
        })
        .filter((hit) => hit.score > 0)
        .sort((a, b) => b.score - a.score)
        .slice(0, limit);
    },
  };
}

/** A dataset big enough to be cached by any model (thousands of tokens). */
export function largeRecords(count = 400): BookRecord[] {
  return Array.from({ length: count }, (_, index) => ({
    id: `record-${index}`,
    kind: 'quotation' as const,
    label: `Synthetic quotation ${index}`,
    text: `Synthetic record ${index}: a sentence about rupture, repair and the long work of staying with a client after a failure, repeated to make the document long.`,
    source: 'synthetic.txt',
  }));
}
