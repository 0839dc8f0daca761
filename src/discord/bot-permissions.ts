import { PermissionFlagsBits, type Client } from 'discord.js';

/** A permission the bot needs in a channel, with the name Discord's settings show for it. */
export type NeededPermission = readonly [flag: bigint, name: string];

/** What the weekly post needs in its channel: the post, its embed, the look-back after a crash, its thread. */
export const PROMPT_CHANNEL_PERMISSIONS: readonly NeededPermission[] = [
  [PermissionFlagsBits.ViewChannel, 'View Channel'],
  [PermissionFlagsBits.SendMessages, 'Send Messages'],
  [PermissionFlagsBits.EmbedLinks, 'Embed Links'],
  [PermissionFlagsBits.ReadMessageHistory, 'Read Message History'],
  [PermissionFlagsBits.CreatePublicThreads, 'Create Public Threads'],
  [PermissionFlagsBits.SendMessagesInThreads, 'Send Messages in Threads'],
];

/** What reports and problem notices need in the mod-log channel (they are embeds). */
export const MOD_LOG_PERMISSIONS: readonly NeededPermission[] = [
  [PermissionFlagsBits.ViewChannel, 'View Channel'],
  [PermissionFlagsBits.SendMessages, 'Send Messages'],
  [PermissionFlagsBits.EmbedLinks, 'Embed Links'],
];

export const HIDDEN_CHANNEL = 'View Channel (the channel is missing or hidden from the bot)';

/**
 * The names of the permissions the bot lacks in a guild channel it can see, from its cached roles and the
 * channel's overwrites; empty when it has them all or its own member is unknown (nothing to judge by).
 * Throws what discord.js throws when the channel cannot be fetched: the caller decides what that means.
 */
export async function botMissingIn(client: Client, channelId: string, needed: readonly NeededPermission[]): Promise<string[]> {
  const channel = client.channels.cache.get(channelId) ?? (await client.channels.fetch(channelId));
  if (!channel || channel.isDMBased()) return [HIDDEN_CHANNEL];
  const me = channel.guild.members.me ?? (await channel.guild.members.fetchMe().catch(() => null));
  const permissions = me ? channel.permissionsFor(me) : null;
  if (!permissions) return [];
  return needed.filter(([flag]) => !permissions.has(flag)).map(([, name]) => name);
}

/**
 * A moderator's answer when they choose a channel: a warning sentence when the bot lacks what it needs there
 * (the setting is still saved, since an admin may grant the permissions next), null when all is well.
 * `consequence` says what goes wrong until then ("reports will not arrive").
 *
 * A server the client's cache does not have is one the bot user is not in (with the Guilds intent the cache
 * holds every server it is in, an unavailable one too): the app's commands answer there, invited with the
 * `applications.commands` scope alone or left installed when the bot user was kicked, but nothing can be posted.
 */
export async function channelWarning(client: Client, guildId: string, channelId: string, needed: readonly NeededPermission[], consequence: string): Promise<string | null> {
  if (!client.guilds.cache.has(guildId)) {
    return `⚠️ I cannot post in <#${channelId}>: my commands are installed in this server, but the bot itself is not a member, so ${consequence}. A server admin can add it with the invite link that includes the \`bot\` scope (\`bot applications.commands\`, as in the bot's README); the settings are kept.`;
  }
  let missing: string[];
  try {
    missing = await botMissingIn(client, channelId, needed);
  } catch {
    return `⚠️ I could not check my permissions in <#${channelId}> just now; if I cannot post there, ${consequence}.`;
  }
  if (missing.length === 0) return null;
  return `⚠️ I cannot post there yet: I am missing ${missing.join(', ')} in <#${channelId}>. Until a server admin grants that to my role (the channel's settings → Permissions), ${consequence}.`;
}
