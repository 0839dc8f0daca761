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

const replies = new WeakMap<object, Map<string, unknown>>();

/**
 * What `build` makes for `key`, built once per dataset: the dataset never changes while the bot runs, so the
 * same chapter or the same search always renders the same message (or the same kind refusal). discord.js
 * only reads a payload when it sends it (the client's jsonTransformer passes API-shaped parts through
 * unchanged, where it used to copy them), so sharing one is safe. `max` bounds the cache (least recently used
 * first out) where keys are open-ended, as search queries are; a dataset's own records are few, so views of
 * them need no bound. A build that throws is not kept.
 */
export function cachedForBook<T>(book: object, key: string, build: () => T, max = Number.POSITIVE_INFINITY): T {
  let cache = replies.get(book);
  if (!cache) replies.set(book, (cache = new Map<string, unknown>()));
  if (cache.has(key)) {
    const hit = cache.get(key) as T;
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  const value = build();
  cache.set(key, value);
  if (cache.size > max) cache.delete(cache.keys().next().value as string);
  return value;
}

/** A rendered book reply, built once per dataset and key (see `cachedForBook`). */
export const cachedBookReply = (book: object, key: string, build: () => BookReply, max?: number): BookReply => cachedForBook(book, key, build, max);
