import { PermissionFlagsBits } from 'discord.js';

/** Discord API v10 payloads for interactions, as the gateway delivers them, for router-level tests. */
export const GUILD_ID = '1100000000000000000';
export const CHANNEL_ID = '1100000000000000001';
export const APPLICATION_ID = '1000000000000000001';
export const MODERATOR_ROLE_ID = '1100000000000000005';
export const MEMBER_ID = '1200000000000000001';
export const MODERATOR_ID = '1200000000000000002';

let counter = 1_400_000_000_000_000_000n;
const nextSnowflake = () => String(counter++);

export interface Who {
  id?: string;
  permissions?: bigint;
  roles?: string[];
  name?: string;
}

export const member: Who = { id: MEMBER_ID, permissions: PermissionFlagsBits.SendMessages | PermissionFlagsBits.UseApplicationCommands, name: 'Reader' };
export const moderator: Who = { id: MODERATOR_ID, permissions: PermissionFlagsBits.ManageGuild | PermissionFlagsBits.SendMessages, name: 'Moderator' };

function base(type: number, who: Who, data: unknown) {
  const id = who.id ?? MEMBER_ID;
  return {
    id: nextSnowflake(),
    application_id: APPLICATION_ID,
    type,
    token: `token-${nextSnowflake()}`,
    version: 1,
    guild_id: GUILD_ID,
    channel_id: CHANNEL_ID,
    channel: { id: CHANNEL_ID, type: 0, guild_id: GUILD_ID, name: 'reading' },
    member: {
      user: { id, username: (who.name ?? 'reader').toLowerCase(), discriminator: '0', global_name: who.name ?? 'Reader', avatar: null },
      roles: who.roles ?? [],
      permissions: String(who.permissions ?? member.permissions),
      nick: null,
      joined_at: '2026-01-01T00:00:00.000Z',
      deaf: false,
      mute: false,
      flags: 0,
    },
    data,
    locale: 'en-US',
    guild_locale: 'en-US',
    app_permissions: '2248473465835073',
    entitlements: [],
    authorizing_integration_owners: { '0': GUILD_ID },
    context: 0,
    attachment_size_limit: 10 * 1024 * 1024,
  };
}

/** A channel message as the API sends it (in a component interaction, or resolved for a message command). */
function messagePayload(id: string, content: string, author: Record<string, unknown>) {
  return {
    id,
    channel_id: CHANNEL_ID,
    type: 0,
    content,
    embeds: [],
    components: [],
    attachments: [],
    author,
    timestamp: '2026-01-01T00:00:00.000Z',
    edited_timestamp: null,
    flags: 0,
    mentions: [],
    mention_roles: [],
    mention_everyone: false,
    pinned: false,
    tts: false,
  };
}

export function chatInput(name: string, options: unknown[] = [], who: Who = member) {
  return base(2, who, { id: nextSnowflake(), name, type: 1, options });
}

export function subcommand(name: string, sub: string, options: unknown[] = [], who: Who = member, resolved?: unknown) {
  const payload = chatInput(name, [{ type: 1, name: sub, options }], who);
  if (resolved !== undefined) (payload.data as Record<string, unknown>).resolved = resolved;
  return payload;
}

export function resolvedRole(id: string, name = 'Moderators') {
  return { roles: { [id]: { id, name, color: 0, hoist: false, position: 1, permissions: '0', managed: false, mentionable: false, flags: 0 } } };
}

export function resolvedChannel(id: string, name = 'mod-log') {
  return { channels: { [id]: { id, name, type: 0, permissions: '0' } } };
}

export function autocomplete(name: string, options: unknown[], who: Who = member) {
  return base(4, who, { id: nextSnowflake(), name, type: 1, options });
}

export function button(customId: string, who: Who = member) {
  return {
    ...base(3, who, { custom_id: customId, component_type: 2 }),
    message: messagePayload(nextSnowflake(), 'a message with a button', { id: APPLICATION_ID, username: 'reading-circle', discriminator: '0', bot: true, avatar: null }),
  };
}

export function stringSelect(customId: string, values: string[], who: Who = member) {
  const payload = button(customId, who);
  return { ...payload, data: { custom_id: customId, component_type: 3, values } };
}

export function modalSubmit(customId: string, fields: Record<string, string>, who: Who = member) {
  return base(5, who, {
    custom_id: customId,
    components: Object.entries(fields).map(([id, value]) => ({ type: 1, components: [{ type: 4, custom_id: id, value }] })),
  });
}

export function messageContext(name: string, target: { id: string; content: string; authorId: string }, who: Who = member) {
  return base(2, who, {
    id: nextSnowflake(),
    name,
    type: 3,
    target_id: target.id,
    resolved: {
      messages: {
        [target.id]: messagePayload(target.id, target.content, { id: target.authorId, username: 'author', discriminator: '0', avatar: null, global_name: 'Author' }),
      },
    },
  });
}
