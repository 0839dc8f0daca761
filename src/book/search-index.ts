import Database from 'better-sqlite3';
import { editDistance, normalise } from './normalise.js';

export interface IndexedRecord {
  id: string;
  kind: string;
  label: string;
  text: string;
}

export interface IndexHit {
  id: string;
  score: number;
  snippet: string;
}

/** Words too common to rank by; a query made only of them falls back to all its words. */
const STOPWORDS = new Set(
  'a an and are as at be by did do does for from has have he her his how i in is it its me of on or she that the their them they this to was what when where which who whom why with wrote write about book chapter chapters part parts p pp pg page pages'.split(
    ' ',
  ),
);

/**
 * Full-text search over the dataset's records: an SQLite FTS5 table in an in-memory database, built once at
 * start (porter stemming, diacritics removed), ranked with bm25 weighting labels above text.
 */
export class SearchIndex {
  private readonly db: Database.Database;
  private readonly query: Database.Statement<[string, number], { id: string; score: number; snippet: string }>;
  private readonly vocabulary: string[];

  constructor(records: readonly IndexedRecord[]) {
    this.db = new Database(':memory:');
    this.db.exec("CREATE VIRTUAL TABLE records USING fts5(id UNINDEXED, kind UNINDEXED, label, text, tokenize = 'porter unicode61 remove_diacritics 2')");
    const insert = this.db.prepare('INSERT INTO records (id, kind, label, text) VALUES (?, ?, ?, ?)');
    this.db.transaction(() => {
      for (const r of records) insert.run(r.id, r.kind, r.label, r.text);
    })();
    this.query = this.db.prepare(
      "SELECT id, -bm25(records, 0.0, 0.0, 4.0, 1.0) AS score, snippet(records, 3, '**', '**', '…', 24) AS snippet FROM records WHERE records MATCH ? ORDER BY bm25(records, 0.0, 0.0, 4.0, 1.0) LIMIT ?",
    );
    const words = new Set<string>();
    for (const r of records) for (const w of normalise(`${r.label} ${r.text}`).split(' ')) if (w.length >= 4) words.add(w);
    this.vocabulary = [...words];
  }

  search(text: string, limit: number): IndexHit[] {
    const tokens = normalise(text).split(' ').filter(Boolean);
    const meaningful = tokens.filter((t) => !STOPWORDS.has(t));
    const used = meaningful.length > 0 ? meaningful : tokens;
    if (used.length === 0) return [];
    // Short words match whole words only: "p. 97" must not find every word starting with "p".
    const match = [...new Set(used)].map((t) => (t.length <= 2 ? `"${t}"` : `"${t}"*`)).join(' OR ');
    return this.query.all(match, limit);
  }

  /** Close spellings from the dataset's own words for query words it does not contain ("benjamen" → "benjamin"). */
  suggest(text: string): string[] {
    const out = new Set<string>();
    for (const token of normalise(text).split(' ')) {
      if (token.length < 4 || STOPWORDS.has(token) || this.vocabulary.some((w) => w.startsWith(token))) continue;
      const limit = token.length <= 5 ? 1 : 2;
      let best: { word: string; distance: number } | undefined;
      for (const word of this.vocabulary) {
        // The distance is at least the difference in length: most words need no full comparison.
        if (Math.abs(word.length - token.length) > limit) continue;
        const distance = editDistance(token, word);
        if (distance <= limit && (!best || distance < best.distance)) best = { word, distance };
      }
      if (best) out.add(best.word);
    }
    return [...out];
  }

  close(): void {
    this.db.close();
  }
}
