/**
 * Text normalisation for look-ups: case-, accent- and punctuation-insensitive. "Ben-Shahar", "ben shahar"
 * and "BEN–SHAHAR" all become "ben shahar".
 */
export function normalise(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/** The words of a text, normalised; hyphenated and multi-part words also give their joined form ("appelopper"). */
export function wordsOf(text: string): string[] {
  const words = normalise(text).split(' ').filter(Boolean);
  const joined = text
    .split(/\s+/)
    // Hyphen, Unicode hyphen, en dash, curly and straight apostrophe (escapes: see BEYOND_LATIN_1 in src/bundle.ts).
    .filter((chunk) => /[-\u2010\u2013\u2019']/.test(chunk))
    .map((chunk) => normalise(chunk).replace(/ /g, ''))
    .filter(Boolean);
  return [...words, ...joined];
}

const ROMAN: [number, string][] = [
  [1000, 'M'],
  [900, 'CM'],
  [500, 'D'],
  [400, 'CD'],
  [100, 'C'],
  [90, 'XC'],
  [50, 'L'],
  [40, 'XL'],
  [10, 'X'],
  [9, 'IX'],
  [5, 'V'],
  [4, 'IV'],
  [1, 'I'],
];

export function roman(value: number): string {
  let rest = value;
  let out = '';
  for (const [n, letters] of ROMAN) {
    while (rest >= n) {
      out += letters;
      rest -= n;
    }
  }
  return out;
}

/**
 * Edit distance for "did you mean" suggestions, with two neighbouring letters swapped counting as one edit
 * (optimal string alignment): "shaem" is one slip from "shame", where plain Levenshtein counted two, more
 * than a five-letter word is allowed, and offered nothing.
 */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  let beforePrevious: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, (beforePrevious[j - 2] ?? 0) + 1);
      current[j] = best;
    }
    beforePrevious = previous;
    previous = current;
  }
  return previous[b.length] ?? 0;
}
