import { ApplicationIntegrationType, InteractionContextType, PermissionFlagsBits, SlashCommandBuilder } from 'discord.js';

/**
 * Every command lives in servers only and is installed to the server (not to a user). Setting both
 * explicitly keeps our definitions identical to what Discord stores, so command sync makes no writes.
 */
export function serverCommand(name: string, description: string): SlashCommandBuilder {
  return new SlashCommandBuilder()
    .setName(name)
    .setDescription(description)
    .setContexts(InteractionContextType.Guild)
    .setIntegrationTypes(ApplicationIntegrationType.GuildInstall);
}

/** A moderator command: hidden by default from members without Manage Server (admins can grant it to a role). */
export function moderatorCommand(name: string, description: string): SlashCommandBuilder {
  return serverCommand(name, description).setDefaultMemberPermissions(PermissionFlagsBits.ManageGuild);
}
