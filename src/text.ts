/** Plain text helpers with no Discord in them, for the domain folders and src/discord alike. */

/**
 * Cuts text to fit a limit with a visible "…", so Discord never rejects it and the member sees it was cut. The
 * limit is in UTF-16 code units, as `length` counts them (and render.ts's embedLength, and the local Discord's checks),
 * never fewer than the code points, so the text fits however Discord counts. Counted in code points, a text of
 * emoji or rare CJK characters came out up to twice as long and was refused (the fuzz found a refusal quoting
 * such an option value, which then never reached the member). A surrogate pair is never split.
 */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = Math.max(0, max - 1);
  const last = text.charCodeAt(end - 1);
  if (end > 0 && last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}…`;
}

/**
 * `truncate` for prose a member reads: cut at the last space before the limit (when one is near), so a word is
 * never left half-written ("our failed at…").
 */
export function truncateAtWord(text: string, max: number): string {
  const cut = truncate(text, max);
  if (cut === text) return text;
  const kept = cut.slice(0, -1);
  const space = kept.search(/\s\S*$/);
  // A word runs at most some 40 characters; with no space that near, it is cut where the limit falls.
  return space > 0 && kept.length - space <= 40 ? `${kept.slice(0, space).trimEnd()}…` : cut;
}

/**
 * Lines joined by newlines within `max`: whole lines while they fit, then the next one cut at a word; when
 * lines are left out the text always ends in "…", so a reader sees there was more.
 */
export function fitLines(lines: readonly string[], max: number): string {
  const kept: string[] = [];
  let used = 0;
  for (const [index, line] of lines.entries()) {
    const separator = kept.length > 0 ? 1 : 0;
    if (used + separator + line.length <= max) {
      kept.push(line);
      used += separator + line.length;
      continue;
    }
    const room = max - used - separator;
    const last = kept.pop();
    if (room >= 20 || last === undefined) {
      if (last !== undefined) kept.push(last);
      kept.push(truncateAtWord(line, room > 0 ? room : max));
    } else {
      // Too little room for a piece of the next line: the last whole line ends in the cut instead.
      kept.push(truncateAtWord(`${last} ${lines[index]}`, last.length));
    }
    break;
  }
  return kept.join('\n');
}
