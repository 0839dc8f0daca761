import { describe, expect, it } from 'vitest';
import { fitLines, truncateAtWord } from '../../src/text.js';

describe('prose cut for reading', () => {
  it('truncateAtWord cuts at the last space before the limit, never inside a word', () => {
    const text = 'intended to tell the story of our failed attempts to connect, to help';
    const cut = truncateAtWord(text, 38);
    expect(cut).toBe('intended to tell the story of our…');
    expect(cut.length).toBeLessThanOrEqual(38);
    expect(truncateAtWord(text, 200)).toBe(text);
    // One long word: nothing to cut at, so it is cut where the limit falls.
    expect(truncateAtWord('x'.repeat(50), 10)).toBe(`${'x'.repeat(9)}…`);
  });

  it('fitLines keeps whole lines while they fit, then cuts the next one at a word', () => {
    const lines = ['First line.', 'A second line that is rather long and will not fit whole.', 'Third.'];
    const fitted = fitLines(lines, 40);
    expect(fitted).toBe('First line.\nA second line that is…');
    expect(fitted.length).toBeLessThanOrEqual(40);
    expect(fitLines(lines, 200)).toBe(lines.join('\n'));
    // Lines left out always show: the last whole line ends in the cut when there is no room for more.
    expect(fitLines(['One.', 'Two.'], 5)).toBe('One…');
    expect(fitLines(['a'.repeat(10), 'Chapter 7 (left out)'], 10)).toBe(`${'a'.repeat(9)}…`);
    expect(fitLines(['a'.repeat(8), 'Chapter 7'], 10)).toBe(`${'a'.repeat(7)}…`);
  });
});
