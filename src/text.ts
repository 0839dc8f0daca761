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
