import {
  ActionRowBuilder,
  ButtonBuilder,
  ButtonStyle,
  ChannelType,
  DiscordAPIError,
  HTTPError,
  RESTJSONErrorCodes,
  SnowflakeUtil,
  ThreadAutoArchiveDuration,
  type APIEmbed,
  type Client,
  type NewsChannel,
  type TextChannel,
} from 'discord.js';
import type { GuildSettingsRepo } from '../db/guild-settings.js';
import type { Logger } from '../logger.js';
import { PostFailure, type PromptPost, type PromptPoster } from '../prompts/types.js';
import { HIDDEN_CHANNEL, PROMPT_CHANNEL_PERMISSIONS, botMissingIn } from './bot-permissions.js';
import { customId } from './command.js';
import { nonceOf } from './nonce.js';
import { NO_MENTIONS } from './replies.js';
import { LIMITS, fitContent, styledEmbed, truncate } from './render.js';
import { fitLines, truncateAtWord } from '../text.js';

/** The Reflect button's custom id prefix; the reflections feature handles it. Also the week's marker for the look-back. */
export const REFLECT_WEEK_PREFIX = 'reflect-week';

export function weekMarker(week: number): string {
  return customId(REFLECT_WEEK_PREFIX, week);
}

/** Messages per page of the look-back (Discord's maximum), and how many pages it reads at most. */
export const LOOK_BACK_PAGE = 100;
export const LOOK_BACK_PAGES = 20;


/** Sorts a Discord failure into what the schedule does next. */
export function classifyFailure(error: unknown): PostFailure {
  if (error instanceof PostFailure) return error;
  if (error instanceof DiscordAPIError) {
    const code = typeof error.code === 'number' ? error.code : 0;
    if (code === Number(RESTJSONErrorCodes.MissingPermissions) || code === Number(RESTJSONErrorCodes.MissingAccess)) {
      return new PostFailure('missing-permissions', `${error.message} (${code})`);
    }
    if (code === Number(RESTJSONErrorCodes.UnknownChannel) || code === Number(RESTJSONErrorCodes.UnknownMessage)) {
      return new PostFailure('gone', `${error.message} (${code})`);
    }
    if (error.status >= 500 || error.status === 429) return new PostFailure('transient', `HTTP ${error.status}`);
    return new PostFailure('rejected', `${error.message} (${code})`);
  }
  if (error instanceof HTTPError) {
    return error.status >= 500 || error.status === 429 ? new PostFailure('transient', `HTTP ${error.status}`) : new PostFailure('rejected', `HTTP ${error.status}`);
  }
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return new PostFailure('transient', message);
}

type PostableChannel = TextChannel | NewsChannel;

function renderEmbed(post: PromptPost): APIEmbed {
  const description = [post.prompt];
  if (post.quotation) {
    const page = post.quotation.page ? ` (${/[-\u2013]/.test(post.quotation.page) ? 'pp.' : 'p.'} ${post.quotation.page})` : '';
    description.push(`> ${truncateAtWord(post.quotation.text, 900).replace(/\n/g, '\n> ')}${page}`);
  }
  const fields: NonNullable<APIEmbed['fields']> = [];
  if (post.reading.length > 0) fields.push({ name: "This week's reading", value: fitLines(post.reading, LIMITS.fieldValue), inline: false });
  if (post.contentNote !== '') fields.push({ name: 'Content note', value: post.contentNote, inline: false });
  if (post.lateNote) fields.push({ name: 'A note on timing', value: post.lateNote, inline: false });
  fields.push({
    name: 'Reflect',
    value: 'Press **Reflect** to write a reflection for this week. It stays private unless you choose to share it here.',
    inline: false,
  });
  return styledEmbed({
    title: `Week ${post.week} of ${post.totalWeeks}: ${post.title}`,
    description: description.join('\n\n'),
    fields,
    // The review numbers neither parts nor chapters: every number shown says it is inferred, these too.
    footer: `${post.planName} · When Hurt Remains: Relational Perspectives on Therapeutic Failure (eds. Rolef Ben-Shahar & Shalit) · part and chapter numbers follow the order in which the review presents them`,
  });
}

/** The message body of a weekly post: what Discord receives, so tests can check it. */
export function renderPromptMessage(post: PromptPost) {
  const content = post.pingRoleId ? fitContent(`<@&${post.pingRoleId}> week ${post.week}'s prompt is here.`) : undefined;
  return {
    ...(content !== undefined ? { content } : {}),
    embeds: [renderEmbed(post)],
    components: [
      new ActionRowBuilder<ButtonBuilder>().addComponents(
        new ButtonBuilder().setCustomId(weekMarker(post.week)).setLabel('Reflect').setStyle(ButtonStyle.Primary).setEmoji('📝'),
      ),
    ],
    // Nothing is ever pinged except the one role moderators chose for the weekly post.
    allowedMentions: { parse: [] as [], roles: post.pingRoleId ? [post.pingRoleId] : [], repliedUser: false },
    nonce: post.nonce,
    enforceNonce: true,
  };
}

function containsCustomId(node: unknown, id: string): boolean {
  if (Array.isArray(node)) return node.some((child) => containsCustomId(child, id));
  if (node === null || typeof node !== 'object') return false;
  const record = node as Record<string, unknown>;
  if (record.custom_id === id) return true;
  return containsCustomId(record.components, id);
}

export function createPromptPoster(client: Client, settings: GuildSettingsRepo, log: Logger): PromptPoster {
  const channelOf = async (channelId: string): Promise<PostableChannel> => {
    let channel;
    try {
      channel = client.channels.cache.get(channelId) ?? (await client.channels.fetch(channelId));
    } catch (error) {
      throw classifyFailure(error);
    }
    if (!channel || (channel.type !== ChannelType.GuildText && channel.type !== ChannelType.GuildAnnouncement)) {
      throw new PostFailure('gone', 'the prompt channel is not a text or announcement channel the bot can see');
    }
    return channel;
  };

  return {
    async missingPermissions(_guildId, channelId) {
      try {
        await channelOf(channelId);
        return await botMissingIn(client, channelId, PROMPT_CHANNEL_PERMISSIONS);
      } catch (error) {
        const failure = classifyFailure(error);
        if (failure.kind === 'transient') throw failure;
        return [HIDDEN_CHANNEL];
      }
    },

    async findPosted(channelId, week, since) {
      const channel = await channelOf(channelId);
      const marker = weekMarker(week);
      // Page forward from `since`, oldest first: `after` answers with the messages just after the id, so one
      // page stopped at the first 50 and missed a post that came after a busy hour (found by a review). Up to
      // LOOK_BACK_PAGES pages: a week of a busy channel, read only when an attempt's answer was lost.
      let after = SnowflakeUtil.generate({ timestamp: since.getTime() }).toString();
      for (let page = 0; page < LOOK_BACK_PAGES; page++) {
        let messages;
        try {
          messages = await channel.messages.fetch({ limit: LOOK_BACK_PAGE, after, cache: false });
        } catch (error) {
          throw classifyFailure(error);
        }
        const oldestFirst = [...messages.values()].sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
        const mine = oldestFirst.find(
          (message) => message.author.id === client.user?.id && containsCustomId(message.components.map((component) => component.toJSON()), marker),
        );
        if (mine) return mine.id;
        const newest = oldestFirst.at(-1);
        if (!newest || messages.size < LOOK_BACK_PAGE) return null;
        after = newest.id;
      }
      return null;
    },

    async post(post) {
      const channel = await channelOf(post.channelId);
      try {
        const message = await channel.send(renderPromptMessage(post));
        return { messageId: message.id };
      } catch (error) {
        throw classifyFailure(error);
      }
    },

    async startThread(channelId, messageId, name) {
      const channel = await channelOf(channelId);
      try {
        const thread = await channel.threads.create({
          startMessage: messageId,
          name: truncate(name, 100),
          autoArchiveDuration: ThreadAutoArchiveDuration.OneWeek,
          reason: 'Weekly reading discussion',
        });
        return { threadId: thread.id };
      } catch (error) {
        // One thread per message: it exists already, and its id is the message's id.
        if (error instanceof DiscordAPIError && error.code === RESTJSONErrorCodes.ThreadAlreadyCreatedForMessage) {
          return { threadId: messageId };
        }
        throw classifyFailure(error);
      }
    },

    async notifyModerators(guildId, text) {
      const channelId = settings.get(guildId).modLogChannelId;
      if (!channelId) return false;
      try {
        const channel = await channelOf(channelId);
        await channel.send({
          embeds: [styledEmbed({ title: 'Weekly prompt needs attention', description: truncate(text, LIMITS.embedDescription), footer: 'reading-circle · /prompt status' })],
          allowedMentions: NO_MENTIONS,
          // The same notice re-sent after a slow answer is not posted twice.
          nonce: nonceOf('prompt-notice', guildId, text),
          enforceNonce: true,
        });
        return true;
      } catch (error) {
        log.warn({ err: error, guildId }, 'could not post to the mod-log channel');
        return false;
      }
    },
  };
}
