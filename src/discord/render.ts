import type { APIEmbed } from 'discord.js';
import { truncate } from '../text.js';

// Where Discord's limits are enforced, with the one truncate (src/text.ts: the domain folders use it too).
export { truncate };

/** Discord's hard limits (https://discord.com/developers/docs/resources/message#embed-object-embed-limits). */
export const LIMITS = {
  content: 2000,
  embedTitle: 256,
  embedDescription: 4096,
  embedFields: 25,
  fieldName: 256,
  fieldValue: 1024,
  footer: 2048,
  authorName: 256,
  embedTotal: 6000,
  choices: 25,
  choiceName: 100,
  choiceValue: 100,
} as const;

/** The one accent colour of every embed the bot sends: a muted teal, calm rather than alarming. */
export const BRAND_COLOUR = 0x3a7d7c;

/** Characters Discord counts towards an embed's 6000 total. */
function embedLength(embed: APIEmbed): number {
  return (
    (embed.title?.length ?? 0) +
    (embed.description?.length ?? 0) +
    (embed.footer?.text.length ?? 0) +
    (embed.author?.name.length ?? 0) +
    (embed.fields ?? []).reduce((sum, field) => sum + field.name.length + field.value.length, 0)
  );
}

/**
 * Makes an embed fit every limit: each piece is cut with "…", extra fields are dropped with a note, and
 * the description shrinks if the total is still over 6000.
 */
export function fitEmbed(input: APIEmbed): APIEmbed {
  const embed: APIEmbed = { ...input };
  if (embed.title !== undefined) embed.title = truncate(embed.title, LIMITS.embedTitle);
  if (embed.description !== undefined) embed.description = truncate(embed.description, LIMITS.embedDescription);
  if (embed.footer) embed.footer = { ...embed.footer, text: truncate(embed.footer.text, LIMITS.footer) };
  if (embed.author) embed.author = { ...embed.author, name: truncate(embed.author.name, LIMITS.authorName) };
  if (embed.fields) {
    let fields = embed.fields.map((field) => ({
      ...field,
      name: truncate(field.name || '\u200b', LIMITS.fieldName),
      value: truncate(field.value || '\u200b', LIMITS.fieldValue),
    }));
    if (fields.length > LIMITS.embedFields) {
      const dropped = fields.length - (LIMITS.embedFields - 1);
      fields = [...fields.slice(0, LIMITS.embedFields - 1), { name: '…', value: `${dropped} more not shown`, inline: false }];
    }
    embed.fields = fields;
  }
  const over = embedLength(embed) - LIMITS.embedTotal;
  if (over > 0 && embed.description) {
    embed.description = truncate(embed.description, Math.max(1, embed.description.length - over));
  }
  while (embedLength(embed) > LIMITS.embedTotal && embed.fields && embed.fields.length > 0) {
    embed.fields = embed.fields.slice(0, -1);
  }
  return embed;
}

/** The house style: brand colour and a footer naming where the answer comes from. */
export function styledEmbed(parts: { title?: string; description?: string; fields?: APIEmbed['fields']; footer: string; url?: string }): APIEmbed {
  // A plain object, not an EmbedBuilder: its colour check builds and throws away an Error on every call (9 µs in
  // a warm loop, some 40 µs per answer in a CPU profile of the bot), and fitEmbed below already holds every part
  // to Discord's limits.
  return fitEmbed({
    color: BRAND_COLOUR,
    ...(parts.title !== undefined ? { title: parts.title } : {}),
    ...(parts.description !== undefined ? { description: parts.description } : {}),
    ...(parts.fields !== undefined ? { fields: parts.fields } : {}),
    ...(parts.url !== undefined ? { url: parts.url } : {}),
    footer: { text: parts.footer },
  });
}

/** Plain message content, cut to Discord's 2000 characters. */
export function fitContent(text: string): string {
  return truncate(text, LIMITS.content);
}

/**
 * Tokens Discord renders that must reach it untouched: links (a backslash would become part of the URL), and
 * custom emoji, mentions, channels and timestamps (their names hold `_`). Mentions cannot ping: everything the
 * bot sends has mentions off. None of them starts with a character LINE_START_SYNTAX looks for.
 */
const KEPT_TOKEN = /https?:\/\/\S+|<a?:\w+:\d+>|<(?:@[!&]?|#)\d+>|<t:-?\d+(?::[tTdDfFR])?>/g;
/** What Discord reads as emphasis, code, strikethrough, spoilers, an escape or (its brackets) a masked link, anywhere in a line. */
const INLINE_SYNTAX = /[\\*_~`|[\]]/g;
/** What it reads as a heading, subtext, quote or list at the start of a line (after INLINE_SYNTAX's escapes). */
const LINE_START_SYNTAX = /^([ \t]*)(?:([#>+-])|(\d+)([.)]))/gm;
/** A character INLINE_SYNTAX escapes, a mark LINE_START_SYNTAX looks for, or a numbered list's "1." or "1)": without one, nothing changes. */
const MAYBE_SYNTAX = /[\\*_~`|[\]#>+-]|\d[.)]/;

/**
 * Member text shown as written, not as Markdown: every character Discord would read as formatting gets a
 * backslash; links, emoji and mentions are left whole. Linear in the text: discord.js's escapeMarkdown runs a
 * dozen look-behind patterns, some 50 µs for a 120-character preview and 200 µs for 300 (measured), and every
 * page of `/reflections mine` escapes five previews.
 */
export function escapeDiscordMarkdown(text: string): string {
  // Most of what members write has nothing to escape: returned as it is, without the copies the replaces make.
  if (!MAYBE_SYNTAX.test(text)) return text;
  let out = '';
  let from = 0;
  for (const match of text.matchAll(KEPT_TOKEN)) {
    out += text.slice(from, match.index).replace(INLINE_SYNTAX, '\\$&') + match[0];
    from = match.index + match[0].length;
  }
  out += text.slice(from).replace(INLINE_SYNTAX, '\\$&');
  return out.replace(LINE_START_SYNTAX, (_, indent: string, mark?: string, number?: string, after?: string) =>
    mark ? `${indent}\\${mark}` : `${indent}${number}\\${after}`,
  );
}
