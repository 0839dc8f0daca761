import { ERRORS, type LocalDMChannel } from './model.js';
import type { LocalDiscordServer } from './server.js';

/**
 * Direct messages between the bot and members: one DM channel per recipient (opened on demand, then
 * reused), its messages kept in the message store like any channel's. A member can be set to refuse DMs
 * from the bot (Discord's "allow direct messages from server members" off, or a block): sending to them
 * answers 50007 "Cannot send messages to this user", while opening the channel still succeeds.
 */
export class DirectMessages {
  private readonly byId = new Map<string, LocalDMChannel>();
  private readonly byRecipient = new Map<string, LocalDMChannel>();
  /** User ids of members who do not accept DMs from the bot. */
  readonly refusing = new Set<string>();

  constructor(private readonly s: LocalDiscordServer) {}

  /** The bot's DM channel with a user, opened on first use. */
  open(recipientId: string): LocalDMChannel {
    const existing = this.byRecipient.get(recipientId);
    if (existing) return existing;
    const recipient = this.s.users.get(recipientId);
    if (!recipient) throw ERRORS.unknownUser();
    const channel: LocalDMChannel = { id: this.s.newId(), type: 1, last_message_id: null, flags: 0, recipients: [recipient] };
    this.byId.set(channel.id, channel);
    this.byRecipient.set(recipientId, channel);
    this.s.store.openChannel(channel.id, true);
    return channel;
  }

  /** A DM channel by its id (undefined for guild channels). */
  channel(id: string): LocalDMChannel | undefined {
    return this.byId.get(id);
  }

  /** The bot's DM channel with a user, if one was opened. */
  withRecipient(userId: string): LocalDMChannel | undefined {
    return this.byRecipient.get(userId);
  }

  /** Whether the channel's recipient refuses DMs from the bot. */
  refuses(channel: LocalDMChannel): boolean {
    return channel.recipients.some((user) => this.refusing.has(user.id));
  }
}
