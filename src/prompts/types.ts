/** Plain values shared by the prompts domain and its Discord side (which renders and sends them). */

export const PLAN_IDS = ['by-part', 'by-chapter'] as const;
export type PlanId = (typeof PLAN_IDS)[number];

export function isPlanId(value: string): value is PlanId {
  return (PLAN_IDS as readonly string[]).includes(value);
}

/** What a weekly post says, before Discord rendering. */
export interface PromptPost {
  guildId: string;
  channelId: string;
  week: number;
  totalWeeks: number;
  planName: string;
  /** The week's reading, e.g. "Part II: Techniques: Holding On and Letting Go". */
  title: string;
  /** The prompt as posted (the book's question set against the reading, or a moderator's text). */
  prompt: string;
  /** Lines describing the week's reading (chapters, contributors, what the review says). */
  reading: string[];
  quotation: { text: string; page: string | null } | null;
  contentNote: string;
  /** Set when the post comes after its posting time (downtime): says so, and names missed posting times. */
  lateNote: string | null;
  pingRoleId: string | null;
  /** ≤ 25 characters, the same for every attempt at this week: Discord de-duplicates with enforce_nonce. */
  nonce: string;
  threadName: string;
}

/** How a Discord call failed, as far as the schedule cares. */
export type FailureKind = 'missing-permissions' | 'transient' | 'gone' | 'rejected';

export class PostFailure extends Error {
  override readonly name = 'PostFailure';
  constructor(
    readonly kind: FailureKind,
    message: string,
  ) {
    super(message);
  }
}

/** The Discord side of posting (src/discord/prompt-poster.ts); fakes implement it in unit tests. */
export interface PromptPoster {
  /** The permissions the bot lacks in the channel for the weekly post and its thread, by name; [] when all is well. */
  missingPermissions(guildId: string, channelId: string): Promise<string[]>;
  /** The bot's own recent post for this week (found by its marker, the Reflect button's custom id), created after `since`. */
  findPosted(channelId: string, week: number, since: Date): Promise<string | null>;
  post(post: PromptPost): Promise<{ messageId: string }>;
  /** Starts the week's thread from the post; when one exists already (160004) its id is the message id. */
  startThread(channelId: string, messageId: string, name: string): Promise<{ threadId: string }>;
  /** Tells the moderators (mod-log channel); false when the server has none or it cannot be reached. */
  notifyModerators(guildId: string, text: string): Promise<boolean>;
}
