import { normalise, wordsOf } from './normalise.js';

/** One thing a member can pick: a part, a chapter or a person. */
export interface MatchEntry<T> {
  item: T;
  /** The autocomplete choice's name (cut to 100 characters by the caller's limit). */
  label: string;
  /** The choice's value: the record id. */
  value: string;
  /** Typed exactly (after normalisation), these pick the entry outright: id, number, full name. */
  keys: string[];
  /** Its number (chapter 7, part 2), if it has one: input that looks like a number picks by this alone. */
  number?: number;
  /** Names and numbers: a hit here ranks high. */
  primary: string[];
  /** Themes and descriptions: a hit here still matches, ranked lower. */
  secondary: string[];
}

export type Resolution<T> = { kind: 'found'; item: T } | { kind: 'ambiguous'; candidates: T[] } | { kind: 'none' };

export interface Choice {
  name: string;
  value: string;
}

interface Indexed<T> {
  entry: MatchEntry<T>;
  order: number;
  keys: Set<string>;
  primary: string[];
  secondary: string[];
}

const CHOICES_MAX = 25;
const CHOICE_MAX = 100;

/**
 * The value of an input that looks like a number ("7", "-1", "+2", "3.5"), or undefined for one that does not.
 * Such input is read as a number, never through normalise(), which drops the sign and splits at the point: "-1"
 * picked chapter 1 and "-2" Part II. A decimal gives NaN, which no entry's number equals, rather than its whole
 * part: "1,000" is a thousand to some readers and 1.000 to others, and neither is chapter 1.
 */
function typedNumber(text: string): number | undefined {
  const match = /^([-+]?\d+)([.,]\d+)?$/.exec(text.trim());
  if (!match) return undefined;
  return match[2] === undefined ? Number(match[1]) : Number.NaN;
}

function cut(text: string, max: number): string {
  // At most max UTF-16 units is at most max characters: most labels return here without being split.
  if (text.length <= max) return text;
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

/**
 * An in-memory matcher over a small list: every query word must begin some word of the entry (any order),
 * so "pizer" finds both Pizers and "3" finds chapter 3. Built once at start; answers in microseconds.
 */
export class Matcher<T> {
  private readonly entries: Indexed<T>[];

  constructor(entries: readonly MatchEntry<T>[]) {
    this.entries = entries.map((entry, order) => ({
      entry,
      order,
      keys: new Set(entry.keys.map(normalise).filter(Boolean)),
      primary: [...new Set(entry.primary.flatMap(wordsOf))],
      secondary: [...new Set(entry.secondary.flatMap(wordsOf))],
    }));
  }

  /** Entries matching the query, best first. An empty query lists everything in order. */
  match(query: string): T[] {
    return this.scored(query).map((s) => s.entry.item);
  }

  private scored(query: string): Indexed<T>[] {
    return this.scoredWith(query).map((r) => r.indexed);
  }

  /** Each match with whether it is sure: every word of the query hit a name or number, or a whole word of its description. */
  private scoredWith(query: string): { indexed: Indexed<T>; sure: boolean }[] {
    const number = typedNumber(query);
    // Plain digits still match as a prefix as they are typed ("1" offers 1 and 10–15); a sign or decimal, exactly.
    if (number !== undefined && !/^\d+$/.test(query.trim())) return this.numbered(number).map((indexed) => ({ indexed, sure: true }));
    const tokens = normalise(query).split(' ').filter(Boolean);
    if (tokens.length === 0) return this.entries.map((indexed) => ({ indexed, sure: true }));
    const whole = normalise(query);
    // Numbers pick by number only ("3" is chapter 3, not a page 35 in a description).
    const numeric = tokens.map((token) => /^\d+$/.test(token));
    const results: { indexed: Indexed<T>; score: number; sure: boolean }[] = [];
    // Plain loops, not Math.max over mapped arrays: this runs for every entry on every autocomplete keystroke,
    // and the arrays were a sixth of what an autocomplete allocated (a bench allocation profile).
    for (const indexed of this.entries) {
      let score = indexed.keys.has(whole) ? 100 : 0;
      let all = true;
      let sure = true;
      for (let t = 0; t < tokens.length; t++) {
        const token = tokens[t]!;
        let best = 0;
        for (const word of indexed.primary) best = Math.max(best, word === token ? 4 : word.startsWith(token) ? 3 : 0);
        if (best < 2 && !numeric[t]) {
          for (const word of indexed.secondary) best = Math.max(best, word === token ? 2 : word.startsWith(token) ? 1 : 0);
        }
        if (best === 0) {
          all = false;
          break;
        }
        score += best;
        // Only the start of a word in a theme or description ("q" of "question"): a guess.
        if (best < 2) sure = false;
      }
      if (all) results.push({ indexed, score, sure });
    }
    results.sort((a, b) => b.score - a.score || a.indexed.order - b.indexed.order);
    return results;
  }

  /** Autocomplete choices: at most 25, each name at most 100 characters. */
  complete(query: string): Choice[] {
    return this.scored(query)
      .slice(0, CHOICES_MAX)
      .map((s) => ({ name: cut(s.entry.label, CHOICE_MAX), value: cut(s.entry.value, CHOICE_MAX) }));
  }

  private numbered(number: number): Indexed<T>[] {
    return this.entries.filter((e) => e.entry.number === number);
  }

  /**
   * What a typed value means: a picked choice (its id) or an exact name or number picks one entry; otherwise
   * a single sure match is taken, several (or one guessed from the start of a word) give a "did you mean" list,
   * none gives 'none'. A number picks the entry
   * with that number or nothing, so the caller's refusal can say which numbers there are.
   */
  resolve(input: string): Resolution<T> {
    const trimmed = input.trim();
    const byValue = this.entries.find((e) => e.entry.value === trimmed);
    if (byValue) return { kind: 'found', item: byValue.entry.item };
    const number = typedNumber(trimmed);
    if (number !== undefined) {
      const numbered = this.numbered(number).map((e) => e.entry.item);
      if (numbered.length === 1 && numbered[0]) return { kind: 'found', item: numbered[0] };
      return numbered.length > 1 ? { kind: 'ambiguous', candidates: numbered.slice(0, 10) } : { kind: 'none' };
    }
    const whole = normalise(trimmed);
    if (!whole) return { kind: 'none' };
    const exact = this.entries.filter((e) => e.keys.has(whole));
    if (exact.length === 1 && exact[0]) return { kind: 'found', item: exact[0].entry.item };
    if (exact.length > 1) return { kind: 'ambiguous', candidates: exact.slice(0, 10).map((m) => m.entry.item) };
    const matches = this.scoredWith(trimmed);
    // One match is taken when sure: "q", the start of one word in one description alone, is a guess to offer, not to open.
    if (matches.length === 1 && matches[0]) return matches[0].sure ? { kind: 'found', item: matches[0].indexed.entry.item } : { kind: 'ambiguous', candidates: [matches[0].indexed.entry.item] };
    if (matches.length > 1) return { kind: 'ambiguous', candidates: matches.slice(0, 10).map((m) => m.indexed.entry.item) };
    return { kind: 'none' };
  }
}
