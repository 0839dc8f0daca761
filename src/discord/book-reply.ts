import { ActionRowBuilder, ButtonBuilder, ButtonStyle, type APIEmbed } from 'discord.js';
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

/** A book view as a Discord message: one house-style embed (cut to Discord's limits) and its buttons. */
export function renderBookView(view: BookView): { embeds: APIEmbed[]; components: ActionRowBuilder<ButtonBuilder>[] } {
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
    .map((row) =>
      new ActionRowBuilder<ButtonBuilder>().addComponents(
        row.map(({ link, id }) => new ButtonBuilder().setCustomId(id).setLabel(truncate(link.label, BUTTON_LABEL_MAX)).setStyle(ButtonStyle.Secondary)),
      ),
    );
  return { embeds: [embed], components };
}
