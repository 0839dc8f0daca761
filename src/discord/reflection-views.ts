import type { APIEmbed } from 'discord.js';
import type { AppContext } from '../context.js';
import { describePlace } from '../reflections/place.js';
import type { ListedReflection, Reflection } from '../reflections/service.js';
import { VISIBILITY_LABEL } from '../reflections/validation.js';
import { messageLink } from './reflection-posts.js';
import { styledEmbed } from './render.js';

/** How a member's own reflections are shown to them (the list, one in full), wherever the view is drawn. */

export const PRIVATE_FOOTER = 'Only you can see this. Your reflections are encrypted at rest; /privacy explains more.';

export function belongsTo(ctx: AppContext, r: ListedReflection): string {
  return describePlace(r, ctx.book.chapterLabelById) || 'no week';
}

/** One of the member's reflections in full, as `/reflections show` draws it (and redraws it after a change). */
export function showEmbed(ctx: AppContext, r: Reflection): APIEmbed {
  const post = ctx.reflections.getPost(r.id);
  return styledEmbed({
    title: `Reflection #${r.id}`,
    description: r.text,
    fields: [
      { name: 'Visibility', value: VISIBILITY_LABEL[r.visibility] + (r.hidden ? ' (hidden by a moderator)' : ''), inline: true },
      { name: 'Belongs to', value: belongsTo(ctx, r), inline: true },
      { name: 'Written', value: `${r.createdAt.slice(0, 16).replace('T', ' ')} UTC${r.updatedAt !== r.createdAt ? ` (last changed ${r.updatedAt.slice(0, 10)})` : ''}`, inline: true },
      ...(post ? [{ name: 'Posted', value: messageLink(r.guildId, post.channelId, post.messageId), inline: false }] : []),
    ],
    footer: PRIVATE_FOOTER,
  });
}
