import type { LocalChannel, LocalDiscord } from '../../src/local-discord/index.js';
import type { PlanWeek } from '../../src/weeks.js';

/** A week's discussion thread under the main channel, as the bot opens one: public, the bot's, not archived. */
export function addWeekThread(discord: LocalDiscord, name: string): LocalChannel {
  const now = new Date().toISOString();
  return discord.server.addChannel({
    name,
    type: 11,
    parent_id: discord.ids.channel,
    owner_id: discord.ids.bot,
    thread_metadata: { archived: false, auto_archive_duration: 10080, archive_timestamp: now, locked: false, create_timestamp: now },
  });
}

/** A posted week whose thread is `threadId` (null: posted, but with no thread), for a `weeksOf` directory. */
export function postedWeek(discord: LocalDiscord, week: number, threadId: string | null): PlanWeek {
  return { guildId: discord.ids.guild, week, title: `Reading ${week}`, prompt: 'What stayed with you?', channelId: discord.ids.channel, messageId: threadId, threadId, postedAt: '2026-03-01T18:00:00.000Z' };
}
