import { ERRORS, MESSAGE_FLAGS, type LocalChannel, type LocalMessage } from '../model.js';
import type { LocalDiscordServer } from '../server.js';
import { botCan } from '../world.js';

/** Lookups the routes share, each failing with Discord's error (unknown channel, message or guild; no access). */

export function channelOr404(s: LocalDiscordServer, id: string | undefined): LocalChannel {
  const channel = id ? s.channels.get(id) : undefined;
  if (!channel) throw ERRORS.unknownChannel();
  return channel;
}

/** A visible message of this channel (ephemeral messages cannot be fetched through the channel). */
export function messageOr404(s: LocalDiscordServer, channel: { id: string }, id: string | undefined): LocalMessage {
  const message = id ? s.messages.get(id) : undefined;
  if (!message || message.channel_id !== channel.id || (message.flags & MESSAGE_FLAGS.EPHEMERAL) !== 0) throw ERRORS.unknownMessage();
  return message;
}

/** The guild, which the bot reads only while its user is a member (Discord answers 50001 otherwise). */
export function guildOr404(s: LocalDiscordServer, id: string | undefined): void {
  if (id !== s.ids.guild) throw ERRORS.unknownGuild();
  if (!s.botInGuild) throw ERRORS.missingAccess();
}

export function requireView(s: LocalDiscordServer, channel: LocalChannel): void {
  if (!botCan(s, channel.id, 'VIEW_CHANNEL')) throw ERRORS.missingAccess();
}
