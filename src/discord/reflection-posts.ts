import {
  ActionRowBuilder,
  ButtonBuilder,
  ButtonStyle,
  Events,
  type ChatInputCommandInteraction,
  type Client,
  type MessageCreateOptions,
  type ThreadChannel,
} from 'discord.js';
import type { AppContext } from '../context.js';
import { forgetMemberData, purgeGuildData, type PurgeOutcome } from '../reflections/retention.js';
import type { Reflection, ShownAs, StoredPost } from '../reflections/service.js';
import { customId, type InGuild } from './command.js';
import { nonceOf } from './nonce.js';
import { describeDiscordError, discordErrorCode, isGone, isMissingPermissions } from './errors.js';
import { fitContent, styledEmbed } from './render.js';
import { NO_MENTIONS, sendPrivately, showCommitted } from './replies.js';

/**
 * The bot's posts of shared and anonymous reflections in the week threads: always an ordinary channel
 * message sent by the bot (never an interaction reply, which would show who ran the command), with no
 * mention able to ping, and kept in step with the row: edits, visibility changes, hides and deletes follow.
 */

export const ANONYMOUS_NAME = 'A member';

export type PostOutcome =
  /** Now visible in the thread (new or edited). */
  | { kind: 'posted' | 'updated'; channelId: string; messageId: string }
  /** Made anonymous: its post under the author's name was deleted and a new one posted. */
  | { kind: 'reposted'; channelId: string; messageId: string }
  /** Made anonymous: its post under the author's name was deleted, but Discord refused the new one. */
  | { kind: 'repost-failed' }
  /** Its post was taken down (or it never had one). */
  | { kind: 'removed' | 'not-posted' }
  /** It should be posted, but its week has no thread (or it belongs to no week). */
  | { kind: 'no-thread' }
  /** It should be posted, but its week's thread was deleted. */
  | { kind: 'thread-gone' }
  /** The thread or the message no longer exists; nothing left to change. */
  | { kind: 'gone' }
  /** Discord refused (for example missing permissions); the row is kept. */
  | { kind: 'failed'; reason: string };

export function postAuthorLabel(reflection: Reflection): string {
  return reflection.visibility === 'anonymous' ? ANONYMOUS_NAME : reflection.authorName;
}

export function renderPost(reflection: Reflection, weekTitle: string | null): MessageCreateOptions {
  const where = reflection.week !== null ? `Week ${reflection.week}${weekTitle ? `: ${weekTitle}` : ''}` : 'Reflection';
  return {
    embeds: [
      styledEmbed({
        title: `A reflection from ${postAuthorLabel(reflection)}`,
        description: reflection.text,
        // An anonymous post carries no reflection number: one shown earlier under the author's name would tie the two.
        footer: reflection.visibility === 'anonymous' ? `${where} · shared anonymously by its author; only they can change it` : `${where} · #${reflection.id} · shared by its author; only they can change it`,
      }),
    ],
    components: [
      new ActionRowBuilder<ButtonBuilder>()
        .addComponents(new ButtonBuilder().setCustomId(customId('reflection-report', reflection.id)).setLabel('Report').setStyle(ButtonStyle.Secondary))
        .toJSON(),
    ],
    allowedMentions: NO_MENTIONS,
  };
}

export function messageLink(guildId: string, channelId: string, messageId: string): string {
  return `https://discord.com/channels/${guildId}/${channelId}/${messageId}`;
}

type ThreadLookup = { kind: 'ok'; thread: ThreadChannel } | { kind: 'gone' } | { kind: 'failed'; reason: string };

/** Fetches a thread and unarchives it if needed (an archived thread refuses edits and deletes). */
async function openThread(client: Client, ctx: AppContext, threadId: string): Promise<ThreadLookup> {
  try {
    const channel = await client.channels.fetch(threadId, { force: true });
    if (!channel || !channel.isThread()) return { kind: 'gone' };
    if (channel.archived) {
      await channel.setArchived(false, 'A member changed their reflection in this thread');
    }
    return { kind: 'ok', thread: channel };
  } catch (error) {
    if (isGone(error)) return { kind: 'gone' };
    ctx.log.warn({ threadId, ...describeDiscordError(error) }, 'could not open a reflection thread');
    return { kind: 'failed', reason: isMissingPermissions(error) ? 'missing-permissions' : `discord-${discordErrorCode(error) ?? 'error'}` };
  }
}

/** Removes one post; a thread or message that is already gone counts as removed. */
export async function removePost(client: Client, ctx: AppContext, post: StoredPost): Promise<'removed' | 'gone' | 'failed'> {
  const opened = await openThread(client, ctx, post.channelId);
  if (opened.kind === 'gone') return 'gone';
  if (opened.kind === 'failed') return 'failed';
  try {
    await opened.thread.messages.delete(post.messageId);
    return 'removed';
  } catch (error) {
    if (isGone(error)) return 'gone';
    ctx.log.warn({ reflectionId: post.reflectionId, ...describeDiscordError(error) }, 'could not delete a reflection post');
    return 'failed';
  }
}

/**
 * Brings the thread in line with the row: posts, edits or removes the bot's message. The row is the truth;
 * Discord failures are reported, never thrown, since the member's change is already committed.
 *
 * One change per reflection at a time, each made from the row as it is when its turn comes: a member can make
 * a reflection private or anonymous, or delete it, while its first post is still on its way to Discord, and a
 * change that ran beside that post would find no post to change.
 */
export function syncReflectionPost(client: Client, ctx: AppContext, reflection: Reflection): Promise<PostOutcome> {
  return ctx.postChanges.run(reflection.id, async () => {
    const current = ctx.reflections.find(reflection.guildId, reflection.authorId, reflection.id);
    // Deleted or forgotten meanwhile: its post went with it (or goes after the send below), nothing to change.
    return current ? syncNow(client, ctx, current) : { kind: 'gone' };
  });
}

/**
 * Posts these weeks' shared and anonymous reflections that were written before their thread was open: each was
 * told "not posted, week N has no discussion thread" and waited. One at a time, each through its own queue.
 */
export async function postWaitingReflections(client: Client, ctx: AppContext, guildId: string, weeks: readonly number[]): Promise<void> {
  const waiting = ctx.reflections.unpostedOfWeeks(guildId, weeks);
  for (const reflection of waiting) {
    const outcome = await syncReflectionPost(client, ctx, reflection).catch((error: unknown) => {
      ctx.log.warn({ reflectionId: reflection.id, ...describeDiscordError(error) }, 'could not post a reflection that waited for its thread');
      return null;
    });
    if (outcome?.kind === 'posted') ctx.log.info({ guildId, week: reflection.week, reflectionId: reflection.id }, 'reflection that waited for its week thread posted');
  }
}

async function syncNow(client: Client, ctx: AppContext, reflection: Reflection): Promise<PostOutcome> {
  const existing = ctx.reflections.getPost(reflection.id);
  const wanted = ctx.reflections.shouldBePosted(reflection);

  if (!wanted) {
    if (!existing) return { kind: 'not-posted' };
    const result = await removePost(client, ctx, existing);
    if (result === 'failed') return { kind: 'failed', reason: 'could not remove the post' };
    ctx.reflections.forgetPost(reflection.id);
    return { kind: result === 'gone' ? 'gone' : 'removed' };
  }

  const week = reflection.week !== null ? ctx.weeks.get(reflection.guildId, reflection.week) : null;
  const payload = renderPost(reflection, week?.title ?? null);
  const shownAs = shownAsFor(reflection);

  if (existing && shownAs === 'anonymous' && (await shownAsOf(client, ctx, existing)) !== 'anonymous') {
    // Edited in place, a post under the author's name would keep its link and its place in the thread, and so
    // whose it is: it is taken down first (nothing new goes up beside it), then posted again as "A member".
    const removed = await removePost(client, ctx, existing);
    if (removed === 'failed') return { kind: 'failed', reason: 'could not remove the post under your name' };
    ctx.reflections.forgetPost(reflection.id);
    const reposted = await postNew(client, ctx, reflection, payload, existing.channelId);
    if (reposted.kind === 'posted') return { ...reposted, kind: 'reposted' };
    return reposted.kind === 'failed' ? { kind: 'repost-failed' } : reposted;
  }

  if (existing) {
    const opened = await openThread(client, ctx, existing.channelId);
    if (opened.kind === 'gone') {
      ctx.reflections.forgetPost(reflection.id);
      return { kind: 'gone' };
    }
    if (opened.kind === 'failed') return { kind: 'failed', reason: opened.reason };
    try {
      await opened.thread.messages.edit(existing.messageId, { embeds: payload.embeds ?? [], components: payload.components ?? [], allowedMentions: NO_MENTIONS });
      // What the post shows now (an anonymous one made shared shows the name): a later switch back reposts.
      if (existing.shownAs !== shownAs) ctx.reflections.recordPost({ ...existing, shownAs });
      return { kind: 'updated', channelId: existing.channelId, messageId: existing.messageId };
    } catch (error) {
      if (isGone(error)) {
        ctx.reflections.forgetPost(reflection.id);
        return { kind: 'gone' };
      }
      ctx.log.warn({ reflectionId: reflection.id, ...describeDiscordError(error) }, 'could not edit a reflection post');
      return { kind: 'failed', reason: isMissingPermissions(error) ? 'missing-permissions' : 'edit-failed' };
    }
  }

  const threadId = ctx.reflections.postTarget(reflection);
  if (threadId === null) return { kind: 'no-thread' };
  return postNew(client, ctx, reflection, payload, threadId);
}

const shownAsFor = (reflection: Reflection): ShownAs => (reflection.visibility === 'anonymous' ? 'anonymous' : 'name');

/**
 * How a post shows its author. Posts made before migration 0009 recorded nothing: their message is read (its
 * title names "A member" or the author), and what it shows is recorded. Unreadable, it counts as showing the name.
 */
async function shownAsOf(client: Client, ctx: AppContext, post: StoredPost): Promise<ShownAs> {
  if (post.shownAs !== null) return post.shownAs;
  let shown: ShownAs = 'name';
  try {
    const channel = await client.channels.fetch(post.channelId);
    const message = channel?.isThread() ? await channel.messages.fetch({ message: post.messageId, cache: false }) : null;
    if (message?.embeds[0]?.title === `A reflection from ${ANONYMOUS_NAME}`) shown = 'anonymous';
  } catch (error) {
    ctx.log.info({ reflectionId: post.reflectionId, ...describeDiscordError(error) }, 'could not read an older post to see how it shows its author');
    return 'name';
  }
  ctx.reflections.recordPost({ ...post, shownAs: shown });
  return shown;
}

/** Posts the reflection in the thread and records the post (unless the row changed while it was on its way). */
async function postNew(client: Client, ctx: AppContext, reflection: Reflection, payload: MessageCreateOptions, threadId: string): Promise<PostOutcome> {
  const opened = await openThread(client, ctx, threadId);
  if (opened.kind === 'gone') return { kind: 'thread-gone' };
  if (opened.kind === 'failed') return { kind: 'failed', reason: opened.reason };
  try {
    // A nonce per reflection and version: if the REST client retries a POST that did reach Discord, no second
    // post appears; a later post of the same reflection (made anonymous) is a new message.
    const message = await opened.thread.send({ ...payload, nonce: nonceOf('reflection', reflection.id, reflection.updatedAt), enforceNonce: true });
    const post = { reflectionId: reflection.id, guildId: reflection.guildId, channelId: threadId, messageId: message.id, postedAt: ctx.clock.now().toISOString(), shownAs: shownAsFor(reflection) };
    const now = ctx.reflections.find(reflection.guildId, reflection.authorId, reflection.id);
    if (!now || !ctx.reflections.shouldBePosted(now)) {
      // Deleted, forgotten, made private or hidden while the post was on its way: no change queued behind this
      // one knows of the post (none was recorded), so it is taken down here.
      const removed = await removePost(client, ctx, post);
      ctx.log.info({ reflectionId: reflection.id, removed }, 'reflection changed while its post was on its way; post taken down');
      if (removed === 'failed') {
        // Kept as the row's post when there still is a row, so the next change (or forget-me) takes it down.
        if (now) ctx.reflections.recordPost(post);
        return { kind: 'failed', reason: 'could not remove the post' };
      }
      return { kind: 'removed' };
    }
    ctx.reflections.recordPost(post);
    ctx.log.info({ reflectionId: reflection.id, threadId }, 'reflection posted');
    return { kind: 'posted', channelId: threadId, messageId: message.id };
  } catch (error) {
    if (isGone(error)) return { kind: 'thread-gone' };
    ctx.log.warn({ reflectionId: reflection.id, ...describeDiscordError(error) }, 'could not post a reflection');
    return { kind: 'failed', reason: isMissingPermissions(error) ? 'missing-permissions' : 'post-failed' };
  }
}

/** One sentence for the member about what happened in the thread. */
export function describePostOutcome(outcome: PostOutcome, reflection: Reflection): string {
  switch (outcome.kind) {
    case 'posted':
      return `It is posted in the week’s thread ${reflection.visibility === 'anonymous' ? 'as “A member”' : 'under your name'}: ${messageLink(reflection.guildId, outcome.channelId, outcome.messageId)}`;
    case 'updated':
      return 'Its post in the week’s thread is updated too.';
    case 'reposted':
      return `Its post under your name is deleted, and it is posted again as “A member”: ${messageLink(reflection.guildId, outcome.channelId, outcome.messageId)}. Members who read it before may still recognise it.`;
    case 'repost-failed':
      return 'Its post under your name is deleted, but I could not post it again as “A member” just now. Run `/reflections visibility` with `anonymous` again in a moment to post it.';
    case 'removed':
      return reflection.hidden ? 'A moderator has hidden it, so its post is removed from the thread.' : 'Its post is removed from the thread.';
    case 'not-posted':
      return reflection.visibility === 'private' ? 'It is private: only you can see it.' : reflection.hidden ? 'A moderator has hidden it, so it is not shown in the thread.' : '';
    case 'no-thread':
      return reflection.week === null
        ? 'It was not posted, because it does not belong to a week with a discussion thread. It is kept with its visibility, and moderators can include it in an export. Add `week:` to tie a reflection to a week.'
        : `It was not posted yet, because week ${reflection.week} has no discussion thread. It is kept with its visibility, and goes to the week’s thread when its prompt is posted.`;
    case 'thread-gone':
      return `It was not posted, because ${reflection.week === null ? 'its' : `week ${reflection.week}’s`} discussion thread no longer exists on Discord. It is kept with its visibility, and moderators can include it in an export.`;
    case 'gone':
      return 'Its discussion thread or post no longer exists on Discord, so there was nothing to change there.';
    case 'failed':
      return 'I could not update the week’s thread just now (Discord refused; a moderator may need to check my permissions there). Your change is saved.';
  }
}

export interface ErasureReport extends PurgeOutcome {
  postsRemoved: number;
  /** Posts Discord would not let the bot delete: their links are the only way left to find them once the rows are gone. */
  postsUnreachable: StoredPost[];
}

/** Links to at most this many unreachable posts in the summary (the rest counted), so it stays one message. */
const UNREACHABLE_LINKS = 10;

async function removePosts(client: Client, ctx: AppContext, posts: StoredPost[]): Promise<Pick<ErasureReport, 'postsRemoved' | 'postsUnreachable'>> {
  let postsRemoved = 0;
  const postsUnreachable: StoredPost[] = [];
  for (const post of posts) {
    const result = await removePost(client, ctx, post);
    if (result === 'failed') postsUnreachable.push(post);
    else postsRemoved++;
  }
  return { postsRemoved, postsUnreachable };
}

/** Forget-me: the bot's posts of the member's reflections first (while the pointers exist), then every eraser. */
export async function forgetMember(client: Client, ctx: AppContext, guildId: string, userId: string): Promise<ErasureReport> {
  const { postsRemoved, postsUnreachable } = await removePosts(client, ctx, ctx.reflections.postsOfMember(guildId, userId));
  const outcome = forgetMemberData({ reflections: ctx.reflections, erasers: ctx.erasers, log: ctx.log }, guildId, userId);
  ctx.log.info({ guildId, postsRemoved, postsUnreachable: postsUnreachable.length, erased: outcome.erased, failed: outcome.failed.map((f) => f.name) }, 'forget-me done');
  return { ...outcome, postsRemoved, postsUnreachable };
}

/** The server purge: every post the bot made of a reflection, then every eraser for the server. */
export async function purgeServer(client: Client, ctx: AppContext, guildId: string): Promise<ErasureReport> {
  const { postsRemoved, postsUnreachable } = await removePosts(client, ctx, ctx.reflections.postsOfGuild(guildId));
  const outcome = purgeGuildData({ reflections: ctx.reflections, erasers: ctx.erasers, log: ctx.log }, guildId);
  ctx.log.info({ guildId, postsRemoved, postsUnreachable: postsUnreachable.length, erased: outcome.erased, failed: outcome.failed.map((f) => f.name) }, 'server purge done');
  return { ...outcome, postsRemoved, postsUnreachable };
}

export function describeErasure(report: ErasureReport, who: 'member' | 'server'): string {
  // Stores that held nothing about this member are left out: a list of zeros reads as noise, not reassurance.
  const lines = report.erased.filter((e) => e.count > 0).map((e) => `• ${e.name}: ${e.count} record${e.count === 1 ? '' : 's'} erased`);
  if (report.postsRemoved > 0) lines.push(`• the bot’s posts in week threads: ${report.postsRemoved} removed (or already gone)`);
  if (lines.length === 0) lines.push('• nothing: the bot kept no record of you here');
  const unreached: string[] = [];
  if (report.postsUnreachable.length > 0) {
    const links = report.postsUnreachable.slice(0, UNREACHABLE_LINKS).map((p) => messageLink(p.guildId, p.channelId, p.messageId));
    const more = report.postsUnreachable.length - links.length;
    unreached.push(
      `${report.postsUnreachable.length} post(s) in threads that Discord would not let me delete; a moderator can delete them by hand: ${links.join(' ')}${more > 0 ? ` and ${more} more` : ''}`,
    );
  }
  for (const f of report.failed) unreached.push(`${f.name} (an error; please tell a moderator)`);
  unreached.push(
    who === 'member'
      ? 'anything you posted in the server yourself, messages other members wrote, and copies moderators already exported'
      : 'messages members posted themselves, and exports moderators already downloaded',
  );
  // Kept on purpose, and said so: who ran or tried an export is the server's audit trail of who took reflections out.
  const kept = who === 'member' ? '\n\n**Kept:**\n• the export log’s record of any export you ran or tried yourself (the server’s audit trail of who took reflections out of the bot)' : '';
  return `**Erased:**\n${lines.join('\n')}\n\n**Not reachable by the bot:**\n${unreached.map((u) => `• ${u}`).join('\n')}${kept}`;
}

/**
 * Tracks when the bot is removed from (or added back to) a server, for the retention job. An outage is not a
 * removal: discord.js reports it as GuildUnavailable, not GuildDelete. An interaction from a server shows the
 * app is still installed there (Discord sends them with or without the bot user in the server), so it cancels
 * a pending removal: a server whose bot user was kicked while its members keep using the commands is in use.
 */
export function wireGuildPresence(client: Client, ctx: AppContext): void {
  client.on(Events.InteractionCreate, (interaction) => {
    if (interaction.guildId !== null && ctx.reflections.interactionFrom(interaction.guildId)) {
      ctx.log.info({ guildId: interaction.guildId }, 'a server marked as having removed the bot is using it: its data is kept');
    }
  });
  client.on(Events.GuildDelete, (guild) => {
    ctx.reflections.guildLeft(guild.id, ctx.clock.now());
    ctx.log.info({ guildId: guild.id, days: ctx.config.RETENTION_DAYS_AFTER_REMOVAL }, 'removed from a server; its data will be erased after the retention period');
  });
  client.on(Events.GuildCreate, (guild) => {
    ctx.reflections.guildJoined(guild.id);
  });
  client.once(Events.ClientReady, (ready) => {
    // Servers the bot user was in when last seen and is not in now: it was removed while offline. Not every
    // server with data: one whose members use the commands without the bot user in it is not in READY either.
    // Unavailable servers (an outage) are in the cache, so they count as present.
    const removed = ctx.reflections.botPresentAtReady(new Set(ready.guilds.cache.keys()), ctx.clock.now());
    for (const guildId of removed) {
      ctx.log.info({ guildId, days: ctx.config.RETENTION_DAYS_AFTER_REMOVAL }, 'removed from a server while offline; its data will be erased after the retention period');
    }
  });
}

/** What a moderator must type to purge a server: deliberate, and impossible to send by accident. */
export const PURGE_PHRASE = 'erase everything';

/** `/settings purge-server` (Manage Server, checked by the router): typed confirmation, then every eraser. */
export async function purgeServerCommand(interaction: ChatInputCommandInteraction<InGuild>, ctx: AppContext): Promise<void> {
  const typed = interaction.options.getString('confirm', true).trim().toLowerCase();
  if (typed !== PURGE_PHRASE) {
    await sendPrivately(interaction, {
      content: `Nothing was erased. To erase all of this server’s reflections and data, run the command again and type \`${PURGE_PHRASE}\` in \`confirm\`.`,
    });
    return;
  }
  ctx.log.warn({ guildId: interaction.guildId, by: interaction.user.id }, 'server purge requested');
  const report = await purgeServer(interaction.client, ctx, interaction.guildId);
  const content = fitContent(`All of this server’s data kept by the bot is erased.\n\n${describeErasure(report, 'server')}`);
  await showCommitted(interaction, ctx.log, () => sendPrivately(interaction, { content }), content, { guildId: interaction.guildId });
}
