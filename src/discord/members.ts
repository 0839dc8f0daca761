import { PermissionFlagsBits, type BaseInteraction } from 'discord.js';
import type { GuildSettings } from '../db/guild-settings.js';
import type { Access, InGuild } from './command.js';

/**
 * Who the member is, read from the interaction payload itself: the bot has no member cache (no privileged
 * intents), and the payload carries the member's permissions and roles.
 */
export function hasManageServer(interaction: BaseInteraction<InGuild>): boolean {
  return interaction.memberPermissions.has(PermissionFlagsBits.ManageGuild);
}

export function hasRole(interaction: BaseInteraction<InGuild>, roleId: string): boolean {
  const member = interaction.member;
  if (Array.isArray(member.roles)) return member.roles.includes(roleId);
  // The payload's role ids, as discord.js keeps them: its `roles.cache` holds only the roles it has cached for
  // the server, which is none while Discord reports the server unavailable (an outage), though the member's
  // interactions still arrive with their roles (found by a review).
  const ids = (member as { _roles?: unknown })._roles;
  return Array.isArray(ids) ? ids.includes(roleId) : member.roles.cache.has(roleId);
}

export function isModerator(interaction: BaseInteraction<InGuild>, settings: GuildSettings): boolean {
  if (hasManageServer(interaction)) return true;
  return settings.moderatorRoleId !== null && hasRole(interaction, settings.moderatorRoleId);
}

export function hasAccess(interaction: BaseInteraction<InGuild>, access: Access, settings: GuildSettings): boolean {
  switch (access) {
    case 'everyone':
      return true;
    case 'moderator':
      return isModerator(interaction, settings);
    case 'manage-server':
      return hasManageServer(interaction);
  }
}

/** The name the member shows in this server, as the interaction gives it. */
export function displayNameOf(interaction: BaseInteraction<InGuild>): string {
  const member = interaction.member;
  if ('displayName' in member) return member.displayName;
  return member.nick ?? interaction.user.globalName ?? interaction.user.username;
}
