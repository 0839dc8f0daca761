/**
 * What the reflections (and export) side needs to know about the weekly prompts, without depending on how
 * prompts are scheduled. The prompts feature provides the real implementation; until a server has set up
 * prompts there are no weeks.
 */
export interface PlanWeek {
  guildId: string;
  /** The plan week number as the weekly posts show it (1, 2, 3 …). */
  week: number;
  /** The title of the week's reading, e.g. "Part II: Techniques: Holding On and Letting Go". */
  title: string;
  /** The prompt text as posted (a moderator's replacement where there is one). */
  prompt: string;
  channelId: string | null;
  messageId: string | null;
  /** The discussion thread started from the week's post, where shared reflections go. */
  threadId: string | null;
  postedAt: string | null;
}

export interface WeekDirectory {
  /** The most recently posted week of the server's current plan, if any. */
  current(guildId: string): PlanWeek | null;
  /** A posted week by its number, if it exists. */
  get(guildId: string, week: number): PlanWeek | null;
  /** The posted week whose discussion thread this is (the week `get` gives for its number), if any. */
  byThread(guildId: string, threadId: string): PlanWeek | null;
}

export const noWeeks: WeekDirectory = {
  current: () => null,
  get: () => null,
  byThread: () => null,
};
