/**
 * The local Discord's data model: the shapes it stores and returns (Discord API v10 JSON, trimmed to what a
 * bot reads), snowflake ids, permission arithmetic and Discord's errors. No I/O here.
 */

export type Json = Record<string, unknown>;

export interface LocalUser {
  id: string;
  username: string;
  global_name: string | null;
  discriminator: string;
  avatar: null;
  bot?: boolean;
  system?: boolean;
  public_flags?: number;
}

export interface LocalRole {
  id: string;
  name: string;
  permissions: string;
  position: number;
  color: number;
  hoist: boolean;
  managed: boolean;
  mentionable: boolean;
  icon: null;
  unicode_emoji: null;
  flags: number;
  tags?: Json;
}

export interface LocalMember {
  user: LocalUser;
  roles: string[];
  nick: string | null;
  joined_at: string;
  deaf: boolean;
  mute: boolean;
  flags: number;
  pending: boolean;
  avatar: null;
  premium_since: null;
  communication_disabled_until: null;
}

export interface Overwrite {
  id: string;
  /** 0 = role, 1 = member */
  type: 0 | 1;
  allow: string;
  deny: string;
}

export interface ThreadMetadata {
  archived: boolean;
  auto_archive_duration: number;
  archive_timestamp: string;
  locked: boolean;
  create_timestamp?: string;
}

export interface LocalChannel {
  id: string;
  type: number;
  guild_id: string;
  name: string;
  position: number;
  parent_id: string | null;
  permission_overwrites: Overwrite[];
  topic?: string | null;
  nsfw?: boolean;
  last_message_id?: string | null;
  rate_limit_per_user?: number;
  thread_metadata?: ThreadMetadata;
  owner_id?: string;
  member_count?: number;
  message_count?: number;
  total_message_sent?: number;
  flags?: number;
}

/** A DM channel between the bot and one user (type 1), as POST /users/@me/channels returns it. */
export interface LocalDMChannel {
  id: string;
  type: 1;
  last_message_id: string | null;
  flags: number;
  recipients: LocalUser[];
}

export interface Attachment {
  id: string;
  filename: string;
  size: number;
  url: string;
  proxy_url: string;
  content_type?: string;
  description?: string;
  /** Local only: the bytes the bot uploaded (not part of Discord's JSON). */
  data?: Buffer;
}

export interface LocalMessage {
  id: string;
  channel_id: string;
  guild_id?: string;
  author: LocalUser;
  content: string;
  embeds: Json[];
  components: Json[];
  attachments: Attachment[];
  flags: number;
  timestamp: string;
  edited_timestamp: string | null;
  type: number;
  tts: boolean;
  mention_everyone: boolean;
  mentions: LocalUser[];
  mention_roles: string[];
  pinned: boolean;
  nonce?: string | number;
  webhook_id?: string;
  application_id?: string;
  interaction_metadata?: Json;
  message_reference?: Json;
  thread?: LocalChannel;
  position?: number;
}

/** Discord's message flags the local Discord cares about. */
export const MESSAGE_FLAGS = { EPHEMERAL: 1 << 6, LOADING: 1 << 7, SUPPRESS_EMBEDS: 1 << 2, IS_COMPONENTS_V2: 1 << 15 } as const;

export const CHANNEL_TYPES = { GUILD_TEXT: 0, DM: 1, GUILD_CATEGORY: 4, ANNOUNCEMENT_THREAD: 10, PUBLIC_THREAD: 11, PRIVATE_THREAD: 12 } as const;

export const isThread = (channel: LocalChannel) => channel.type === 10 || channel.type === 11 || channel.type === 12;

/** Permission bits (Discord's values). */
export const PERMISSIONS = {
  CREATE_INSTANT_INVITE: 1n << 0n,
  KICK_MEMBERS: 1n << 1n,
  BAN_MEMBERS: 1n << 2n,
  ADMINISTRATOR: 1n << 3n,
  MANAGE_CHANNELS: 1n << 4n,
  MANAGE_GUILD: 1n << 5n,
  ADD_REACTIONS: 1n << 6n,
  VIEW_CHANNEL: 1n << 10n,
  SEND_MESSAGES: 1n << 11n,
  MANAGE_MESSAGES: 1n << 13n,
  EMBED_LINKS: 1n << 14n,
  ATTACH_FILES: 1n << 15n,
  READ_MESSAGE_HISTORY: 1n << 16n,
  MENTION_EVERYONE: 1n << 17n,
  USE_EXTERNAL_EMOJIS: 1n << 18n,
  CHANGE_NICKNAME: 1n << 26n,
  MANAGE_ROLES: 1n << 28n,
  USE_APPLICATION_COMMANDS: 1n << 31n,
  MANAGE_THREADS: 1n << 34n,
  CREATE_PUBLIC_THREADS: 1n << 35n,
  CREATE_PRIVATE_THREADS: 1n << 36n,
  SEND_MESSAGES_IN_THREADS: 1n << 38n,
} as const;

export type PermissionName = keyof typeof PERMISSIONS;

export const ALL_PERMISSIONS = Object.values(PERMISSIONS).reduce((all, bit) => all | bit, 0n);

export function permissionBits(names: readonly PermissionName[]): bigint {
  return names.reduce((all, name) => all | PERMISSIONS[name], 0n);
}

/**
 * Discord's permission computation: base (everyone role + member roles), administrator short-cut, then the
 * channel's overwrites (everyone, roles, member). Threads use their parent's overwrites.
 */
export function computePermissions(options: {
  guildId: string;
  ownerId: string;
  member: Pick<LocalMember, 'roles' | 'user'>;
  roles: ReadonlyMap<string, LocalRole>;
  overwrites?: readonly Overwrite[];
}): bigint {
  const { guildId, member, roles } = options;
  if (member.user.id === options.ownerId) return ALL_PERMISSIONS;
  let base = BigInt(roles.get(guildId)?.permissions ?? '0');
  for (const roleId of member.roles) base |= BigInt(roles.get(roleId)?.permissions ?? '0');
  if ((base & PERMISSIONS.ADMINISTRATOR) !== 0n) return ALL_PERMISSIONS;
  const overwrites = options.overwrites ?? [];
  let permissions = base;
  const everyone = overwrites.find((o) => o.id === guildId);
  if (everyone) permissions = (permissions & ~BigInt(everyone.deny)) | BigInt(everyone.allow);
  let allow = 0n;
  let deny = 0n;
  for (const o of overwrites) {
    if (o.type === 0 && member.roles.includes(o.id)) {
      allow |= BigInt(o.allow);
      deny |= BigInt(o.deny);
    }
  }
  permissions = (permissions & ~deny) | allow;
  const own = overwrites.find((o) => o.type === 1 && o.id === member.user.id);
  if (own) permissions = (permissions & ~BigInt(own.deny)) | BigInt(own.allow);
  return permissions;
}

// ---------------------------------------------------------------------------------------------------------
// Snowflakes

const DISCORD_EPOCH = 1_420_070_400_000n;

/** Makes Discord-style ids (timestamp in the high bits), so discord.js derives sensible creation times. */
export function snowflakes(now: () => number): () => string {
  let increment = 0n;
  return () => {
    increment = (increment + 1n) & 0xfffn;
    return (((BigInt(Math.floor(now())) - DISCORD_EPOCH) << 22n) | (1n << 17n) | increment).toString();
  };
}

export function snowflakeTime(id: string): number {
  return Number((BigInt(id) >> 22n) + DISCORD_EPOCH);
}

// ---------------------------------------------------------------------------------------------------------
// Errors

/** An error the local Discord answers with, in Discord's JSON shape. */
export class DiscordHttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: Json,
    readonly headers: Record<string, string> = {},
  ) {
    super(typeof body.message === 'string' ? body.message : `HTTP ${status}`);
  }
}

export const apiError = (status: number, code: number, message: string, errors?: Json) =>
  new DiscordHttpError(status, errors ? { message, code, errors } : { message, code });

export const notFound = () => new DiscordHttpError(404, { message: '404: Not Found', code: 0 });
export const unauthorized = () => new DiscordHttpError(401, { message: '401: Unauthorized', code: 0 });

export const ERRORS = {
  unknownChannel: () => apiError(404, 10003, 'Unknown Channel'),
  unknownGuild: () => apiError(404, 10004, 'Unknown Guild'),
  unknownMember: () => apiError(404, 10007, 'Unknown Member'),
  unknownMessage: () => apiError(404, 10008, 'Unknown Message'),
  unknownRole: () => apiError(404, 10011, 'Unknown Role'),
  unknownUser: () => apiError(404, 10013, 'Unknown User'),
  unknownWebhook: () => apiError(404, 10015, 'Unknown Webhook'),
  unknownInteraction: () => apiError(404, 10062, 'Unknown interaction'),
  unknownCommand: () => apiError(404, 10063, 'Unknown application command'),
  alreadyAcknowledged: () => apiError(400, 40060, 'Interaction has already been acknowledged.'),
  missingAccess: () => apiError(403, 50001, 'Missing Access'),
  emptyMessage: () => apiError(400, 50006, 'Cannot send an empty message'),
  cannotMessageUser: () => apiError(403, 50007, 'Cannot send messages to this user'),
  missingPermissions: () => apiError(403, 50013, 'Missing Permissions'),
  invalidWebhookToken: () => apiError(401, 50027, 'Invalid Webhook Token'),
  archivedThread: () => apiError(400, 50083, 'Thread is archived'),
  threadAlreadyCreated: () => apiError(400, 160004, 'A thread has already been created for this message'),
  invalidForm: (errors: Json) => apiError(400, 50035, 'Invalid Form Body', errors),
};

/** Builds Discord's nested `errors` object for one field path such as `embeds.0.description`. */
export function formError(path: string, code: string, message: string): DiscordHttpError {
  const parts = path.split('.');
  const root: Json = {};
  let node = root;
  for (const part of parts) {
    const next: Json = {};
    node[part] = next;
    node = next;
  }
  node._errors = [{ code, message }];
  return ERRORS.invalidForm(root);
}
