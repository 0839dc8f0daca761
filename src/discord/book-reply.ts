import { ButtonStyle, ComponentType, type APIActionRowComponent, type APIButtonComponentWithCustomId, type APIEmbed } from 'discord.js';
import type { BookLink, BookView } from '../book/views.js';
import { customId } from './command.js';
import { styledEmbed, truncate } from './render.js';

/** The custom-id prefixes of the book's navigation buttons, one per kind of record. */
export const BOOK_PREFIX: Record<BookLink['kind'], string> = {
  book: 'book-overview',
  part: 'book-part',
  chapter: 'book-chapter',
  person: 'book-person',
};

const BUTTON_LABEL_MAX = 80;

export type BookButtonRow = APIActionRowComponent<APIButtonComponentWithCustomId>;

/**
 * A book view as a Discord message: one house-style embed (cut to Discord's limits) and its buttons.
 * The buttons are plain API objects, not discord.js builders: the builders re-validate every field on every
 * reply (more than the search itself cost), and here every id and label is already fitted to its limit.
 */
export function renderBookView(view: BookView): { embeds: APIEmbed[]; components: BookButtonRow[] } {
  const embed = styledEmbed({
    title: view.title,
    ...(view.description ? { description: view.description } : {}),
    fields: view.fields,
    footer: view.footer,
  });
  const seen = new Set<string>();
  const components = view.links
    .slice(0, 5)
    .map((row) =>
      row
        .slice(0, 5)
        .map((link) => ({ link, id: customId(BOOK_PREFIX[link.kind], link.id) }))
        .filter(({ id }) => (seen.has(id) ? false : (seen.add(id), true))),
    )
    .filter((row) => row.length > 0)
    .map(
      (row): BookButtonRow => ({
        type: ComponentType.ActionRow,
        components: row.map(({ link, id }) => ({ type: ComponentType.Button, custom_id: id, label: truncate(link.label, BUTTON_LABEL_MAX), style: ButtonStyle.Secondary })),
      }),
    );
  return { embeds: [embed], components };
}

export type BookReply = ReturnType<typeof renderBookView>;

const replies = new WeakMap<object, Map<string, BookReply>>();

/**
 * The rendered reply for `key`, built once per dataset: the dataset never changes while the bot runs, so the
 * same chapter or the same search always renders the same message. discord.js copies a payload when it sends
 * it, so sharing one is safe. `max` bounds the cache (least recently used first out) where keys are
 * open-ended, as search queries are; a dataset's own records are few, so views of them need no bound.
 */
export function cachedBookReply(book: object, key: string, build: () => BookReply, max = Number.POSITIVE_INFINITY): BookReply {
  let cache = replies.get(book);
  if (!cache) replies.set(book, (cache = new Map<string, BookReply>()));
  const hit = cache.get(key);
  if (hit) {
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  const reply = build();
  cache.set(key, reply);
  if (cache.size > max) cache.delete(cache.keys().next().value as string);
  return reply;
}
