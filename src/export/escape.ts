/**
 * Making member-written text inert in each format. The text is kept as written: escaping changes how it is
 * encoded, never what a reader sees.
 */

/** Characters a spreadsheet treats as the start of a formula (or that hide one). */
const FORMULA_START = new Set(['=', '+', '-', '@', '\t', '\r']);

/**
 * One CSV cell (RFC 4180). A cell a spreadsheet would execute gets a leading apostrophe, then the cell is
 * quoted when it holds a comma, a quote or a line break.
 */
export function csvCell(value: string | number | null): string {
  if (value === null) return '';
  let text = String(value);
  if (typeof value === 'string' && text.length > 0 && FORMULA_START.has(text[0]!)) text = `'${text}`;
  if (/[",\r\n]/.test(text)) return `"${text.replace(/"/g, '""')}"`;
  return text;
}

const HTML_SPECIAL = /[&<>"']/;

/**
 * Text for HTML element content or a quoted attribute. One replacement per character kind (`&` first, so no
 * entity is escaped twice) rather than one callback per match: about a third faster on prose with
 * apostrophes, and an HTML export escapes every reflection.
 */
export function escapeHtml(text: string): string {
  if (!HTML_SPECIAL.test(text)) return text;
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/**
 * JSON that stays inert if someone pastes it into a page: `<`, `>`, `&` and the two JavaScript line
 * separators are written as \u escapes (JSON.parse gives back the same text).
 */
export function safeJson(value: unknown, space?: number): string {
  return JSON.stringify(value, null, space).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/*
 * What JSON.stringify writes as itself and `safeJson` leaves alone: printable ASCII except `"`, `\`, `<`, `>`
 * and `&`, and every UTF-16 unit from U+00A0 except U+2028, U+2029 and the surrogates. The gap at
 * U+007F-U+009F (which JSON.stringify would keep too) is deliberate: with the class written this way V8's
 * regular expressions scan a string at about 0.8 ns a character, with the gap closed at about 2.4 ns
 * (measured on Node 20). Those characters take the general path below, which is always right.
 */
const BEYOND_PLAIN = /[^ !#-%'-;=?-[\]-~\u00a0-\u2027\u202a-\ud7ff\ue000-\uffff]/;
/** The same, also allowing the four characters that prose needs escaped most: line breaks, quotes, backslashes. */
const BEYOND_PROSE = /[^\n\r"\\ !#-%'-;=?-[\]-~\u00a0-\u2027\u202a-\ud7ff\ue000-\uffff]/;

/**
 * `safeJson(text)` for one string, without JSON.stringify where it is not needed. JSON.stringify spends about
 * 3 ns a character on a string (Node 20) and `safeJson` scans its result again; a JSON export writes every
 * reflection's text this way. Text with nothing to escape is only quoted; text whose only specials are line
 * breaks, quotes and backslashes gets just those escaped; anything else goes to `safeJson`. The result is
 * the same string in every case (test/unit/escape-rewrites.test.ts compares them).
 */
export function jsonString(text: string): string {
  if (!BEYOND_PLAIN.test(text)) return `"${text}"`;
  if (!BEYOND_PROSE.test(text)) {
    return `"${text.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n').replaceAll('\r', '\\r')}"`;
  }
  return safeJson(text);
}

/**
 * Inline Markdown (CommonMark/GFM and Discord's flavour) that could format, hide a link behind words, embed or
 * mention. A bare address is left as written, and a viewer that autolinks shows it as a link to itself: escaping
 * cannot stop every viewer doing that (src/export/README.md, "Addresses in the Markdown export").
 */
const MARKDOWN_INLINE = /[\\`*_~[\]<>&|@#]/g;

/** Where a line could start a block construct: spaces or a tab (indented code), -, +, = or a digit (list, rule, heading underline). */
const BLOCK_START = /^[ \t\-+=0-9]/;

/**
 * One line of member text, rendered literally by a Markdown viewer: inline syntax is backslash-escaped
 * (every ASCII punctuation may be escaped in CommonMark) and block syntax at the start of the line
 * (headings, quotes, lists, rules, tables, indented code) is neutralised.
 */
function escapeMarkdownLine(line: string): string {
  const text = line.replace(MARKDOWN_INLINE, '\\$&');
  // Most lines start with a letter: the start-of-line rules below cannot apply, so they are not run (an
  // export escapes every line of 100,000 reflections).
  return BLOCK_START.test(text) ? neutraliseBlockStart(text) : text;
}

function neutraliseBlockStart(line: string): string {
  // Leading spaces or tabs would make an indented code block: keep them visible as non-breaking spaces.
  let text = line.replace(/^[ \t]+/, (spaces) => spaces.replace(/\t/g, '    ').replace(/ /g, '&nbsp;'));
  // A line starting with -, +, =, or a number followed by . or ) would start a list, rule or heading underline.
  text = text.replace(/^([-+=])/, '\\$1').replace(/^(\d{1,9})([.)])/, '$1\\$2');
  return text;
}

/** A single-line label (a name, a chapter title) for Markdown. */
export function escapeMarkdownInline(text: string): string {
  return escapeMarkdownLine(text.replace(/\s*[\r\n]+\s*/g, ' '));
}

/**
 * A multi-line text for Markdown: each line escaped, line breaks kept as hard breaks (a trailing
 * backslash) between two lines that are not blank, blank lines kept as paragraph breaks.
 */
export function escapeMarkdownBlock(text: string): string {
  const lines = (text.includes('\r') ? text.replace(/\r\n?/g, '\n') : text).split('\n');
  let out = '';
  let line = escapeMarkdownLine(lines[0]!);
  let blank = line.trim() === '';
  for (let i = 1; i < lines.length; i++) {
    const next = escapeMarkdownLine(lines[i]!);
    const nextBlank = next.trim() === '';
    out += !blank && !nextBlank ? `${line}\\\n` : `${line}\n`;
    line = next;
    blank = nextBlank;
  }
  return out + line;
}
