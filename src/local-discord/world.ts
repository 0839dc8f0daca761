import {
  CHANNEL_TYPES,
  computePermissions,
  isThread,
  permissionBits,
  PERMISSIONS,
  type Json,
  type LocalChannel,
  type LocalRole,
  type LocalUser,
  type Overwrite,
  type PermissionName,
} from './model.js';
import type { LocalDiscordServer } from './server.js';

/**
 * The world the local Discord starts with: one guild with a bot, an owner, a moderator and a member; the
 * roles @everyone, Readers, Moderators and the bot's managed role; #reading-circle and a moderators-only
 * #mod-log. Also the guild as Discord returns it, and permissions as Discord computes them.
 */

export interface Ids {
  application: string;
  bot: string;
  guild: string;
  owner: string;
  moderator: string;
  member: string;
  /** The main text channel (#reading-circle). */
  channel: string;
  /** A second text channel (#mod-log). */
  modLogChannel: string;
  roles: { everyone: string; moderator: string; bot: string; readers: string };
}

export const DEFAULT_BOT_PERMISSIONS: PermissionName[] = [
  'VIEW_CHANNEL',
  'SEND_MESSAGES',
  'SEND_MESSAGES_IN_THREADS',
  'CREATE_PUBLIC_THREADS',
  'MANAGE_THREADS',
  'EMBED_LINKS',
  'ATTACH_FILES',
  'READ_MESSAGE_HISTORY',
  'USE_EXTERNAL_EMOJIS',
  'ADD_REACTIONS',
];

const EVERYONE_PERMISSIONS: PermissionName[] = [
  'VIEW_CHANNEL',
  'SEND_MESSAGES',
  'SEND_MESSAGES_IN_THREADS',
  'CREATE_PUBLIC_THREADS',
  'READ_MESSAGE_HISTORY',
  'USE_APPLICATION_COMMANDS',
  'EMBED_LINKS',
  'ATTACH_FILES',
  'ADD_REACTIONS',
  'CHANGE_NICKNAME',
  'CREATE_INSTANT_INVITE',
];

/** Fills the server's users, roles, members and channels; returns their ids. */
export function seedWorld(s: LocalDiscordServer, botPermissions: readonly PermissionName[], id: () => string = s.newId): Ids {
  const user = (username: string, globalName: string, bot = false): LocalUser => {
    const u: LocalUser = { id: id(), username, global_name: bot ? null : globalName, discriminator: bot ? '0001' : '0', avatar: null, public_flags: 0, ...(bot ? { bot: true } : {}) };
    s.users.set(u.id, u);
    return u;
  };
  const bot = user('reading-circle', 'reading-circle', true);
  const owner = user('orla', 'Orla (owner)');
  const moderator = user('mira', 'Mira (moderator)');
  const member = user('sam', 'Sam (member)');
  const guildId = id();
  const role = (name: string, permissions: bigint, position: number, extra: Partial<LocalRole> = {}): LocalRole => {
    const r: LocalRole = { id: extra.id ?? id(), name, permissions: permissions.toString(), position, color: 0, hoist: false, managed: false, mentionable: false, icon: null, unicode_emoji: null, flags: 0, ...extra };
    s.roles.set(r.id, r);
    return r;
  };
  const everyone = role('@everyone', permissionBits(EVERYONE_PERMISSIONS), 0, { id: guildId });
  const readers = role('Readers', 0n, 1, { mentionable: true });
  const moderators = role('Moderators', permissionBits(['MANAGE_GUILD', 'MANAGE_MESSAGES', 'MANAGE_THREADS']), 2, { hoist: true });
  const botRole = role('reading-circle', permissionBits(botPermissions), 3, { managed: true, tags: { bot_id: bot.id } });
  const joined = new Date(s.now()).toISOString();
  const addMember = (u: LocalUser, roles: string[]) =>
    s.members.set(u.id, { user: u, roles, nick: null, joined_at: joined, deaf: false, mute: false, flags: 0, pending: false, avatar: null, premium_since: null, communication_disabled_until: null });
  addMember(bot, [botRole.id]);
  addMember(owner, []);
  addMember(moderator, [moderators.id, readers.id]);
  addMember(member, [readers.id]);
  const channel = (name: string, position: number, overwrites: Overwrite[] = []): LocalChannel => {
    const c: LocalChannel = { id: id(), type: CHANNEL_TYPES.GUILD_TEXT, guild_id: guildId, name, position, parent_id: null, permission_overwrites: overwrites, topic: null, nsfw: false, last_message_id: null, rate_limit_per_user: 0, flags: 0 };
    s.channels.set(c.id, c);
    s.store.openChannel(c.id, true);
    return c;
  };
  const main = channel('reading-circle', 0);
  const modLog = channel('mod-log', 1, [{ id: guildId, type: 0, allow: '0', deny: PERMISSIONS.VIEW_CHANNEL.toString() }, { id: moderators.id, type: 0, allow: PERMISSIONS.VIEW_CHANNEL.toString(), deny: '0' }, { id: botRole.id, type: 0, allow: PERMISSIONS.VIEW_CHANNEL.toString(), deny: '0' }]);
  return {
    application: bot.id,
    bot: bot.id,
    guild: guildId,
    owner: owner.id,
    moderator: moderator.id,
    member: member.id,
    channel: main.id,
    modLogChannel: modLog.id,
    roles: { everyone: everyone.id, moderator: moderators.id, bot: botRole.id, readers: readers.id },
  };
}

/** The guild as GET /guilds/:id returns it (tests may override fields through `server.guild`). */
export function guildPayload(s: LocalDiscordServer): Json {
  return {
    id: s.ids.guild,
    name: 'Reading Circle (local)',
    icon: null,
    splash: null,
    discovery_splash: null,
    banner: null,
    description: null,
    owner_id: s.ids.owner,
    region: 'deprecated',
    afk_channel_id: null,
    afk_timeout: 300,
    verification_level: 1,
    default_message_notifications: 1,
    explicit_content_filter: 2,
    roles: [...s.roles.values()],
    emojis: [],
    stickers: [],
    features: [],
    mfa_level: 0,
    application_id: null,
    system_channel_id: s.ids.channel,
    system_channel_flags: 0,
    rules_channel_id: null,
    public_updates_channel_id: null,
    safety_alerts_channel_id: null,
    max_members: 500000,
    vanity_url_code: null,
    premium_tier: 0,
    premium_subscription_count: 0,
    preferred_locale: 'en-US',
    max_video_channel_users: 25,
    nsfw_level: 0,
    premium_progress_bar_enabled: false,
    ...s.guild,
  };
}

/** The guild as the gateway's GUILD_CREATE carries it (with channels, active threads and the bot's member). */
export function guildCreatePayload(s: LocalDiscordServer): Json {
  const all = [...s.channels.values()];
  return {
    ...guildPayload(s),
    joined_at: s.members.get(s.ids.bot)!.joined_at,
    large: false,
    unavailable: false,
    member_count: s.members.size,
    voice_states: [],
    members: [s.members.get(s.ids.bot)!],
    channels: all.filter((c) => !isThread(c)),
    threads: all.filter((c) => isThread(c) && !c.thread_metadata?.archived),
    presences: [],
    stage_instances: [],
    guild_scheduled_events: [],
    soundboard_sounds: [],
  };
}

/** A member's permissions in a channel (threads use their parent's overwrites). */
export function permissionsOf(s: LocalDiscordServer, userId: string, channelId: string): bigint {
  const member = s.members.get(userId);
  if (!member) return 0n;
  let channel = s.channels.get(channelId);
  if (channel && isThread(channel) && channel.parent_id) channel = s.channels.get(channel.parent_id) ?? channel;
  return computePermissions({ guildId: s.ids.guild, ownerId: s.ids.owner, member, roles: s.roles, overwrites: channel?.permission_overwrites });
}

/** A member's guild-level permissions (no overwrites). */
export function guildPermissionsOf(s: LocalDiscordServer, userId: string): bigint {
  const member = s.members.get(userId);
  if (!member) return 0n;
  return computePermissions({ guildId: s.ids.guild, ownerId: s.ids.owner, member, roles: s.roles });
}

/** Whether the bot has all these permissions in a channel. */
export function botCan(s: LocalDiscordServer, channelId: string, ...names: PermissionName[]): boolean {
  const permissions = permissionsOf(s, s.ids.bot, channelId);
  return names.every((name) => (permissions & PERMISSIONS[name]) !== 0n);
}
