import { ChannelType } from 'discord.js';
import { MOD_LOG_PERMISSIONS, channelWarning } from '../src/discord/bot-permissions.js';
import type { ChatInputCommand } from '../src/discord/command.js';
import { moderatorCommand } from '../src/discord/builders.js';
import { styledEmbed } from '../src/discord/render.js';
import type { GuildSettings } from '../src/db/guild-settings.js';
import { UserFacingError } from '../src/errors.js';
import { PURGE_PHRASE, purgeServerCommand } from '../src/discord/reflection-posts.js';
import { editOriginal, showCommitted } from '../src/discord/replies.js';

export const SUPPORT_NOTE_MAX = 500;

function describeSettings(settings: GuildSettings): string {
  return [
    `**Moderator role:** ${settings.moderatorRoleId ? `<@&${settings.moderatorRoleId}>` : 'none (Manage Server only)'}`,
    `**Mod-log channel:** ${settings.modLogChannelId ? `<#${settings.modLogChannelId}>` : 'none'}`,
    `**Support note:** ${settings.supportNote ?? 'none yet. Members see it in /privacy, the reflection form, and /ask answers to questions that sound personal.'}`,
  ].join('\n');
}

const settings: ChatInputCommand = {
  kind: 'chat-input',
  access: 'manage-server',
  data: moderatorCommand('settings', 'Server settings for the reading group (Manage Server)')
    .addSubcommand((sub) =>
      sub
        .setName('moderator-role')
        .setDescription('Set the role whose members may use moderator tools; leave empty to clear')
        .addRoleOption((option) => option.setName('role').setDescription('The moderator role')),
    )
    .addSubcommand((sub) =>
      sub
        .setName('mod-log-channel')
        .setDescription('Where the bot tells moderators about problems and reports; leave empty to clear')
        .addChannelOption((option) =>
          option.setName('channel').setDescription('A text channel moderators read').addChannelTypes(ChannelType.GuildText),
        ),
    )
    .addSubcommand((sub) =>
      sub
        .setName('support-note')
        .setDescription('A short note on where to find support; leave empty to clear')
        .addStringOption((option) =>
          option.setName('text').setDescription('For example: who to reach when the reading stirs up distress').setMaxLength(SUPPORT_NOTE_MAX),
        ),
    )
    .addSubcommand((sub) => sub.setName('show').setDescription('Show the current settings'))
    .addSubcommand((sub) =>
      sub
        .setName('purge-server')
        .setDescription('Erase ALL of this server’s reflections and data kept by the bot (cannot be undone)')
        .addStringOption((option) => option.setName('confirm').setDescription(`Type ${PURGE_PHRASE} to confirm`).setRequired(true).setMaxLength(50)),
    )
    .toJSON(),
  defer: 'ephemeral',
  async execute(interaction, ctx) {
    const guildId = interaction.guildId;
    const now = ctx.clock.now();
    const sub = interaction.options.getSubcommand(true);
    if (sub === 'purge-server') {
      await purgeServerCommand(interaction, ctx);
      return;
    }
    let changed: string;
    switch (sub) {
      case 'moderator-role': {
        const role = interaction.options.getRole('role');
        if (role && role.id === guildId) throw new UserFacingError('@everyone cannot be the moderator role: that would make every member a moderator.');
        // A managed role (a bot's own, the Server Booster role) is handed out by an integration, not by moderators:
        // with the booster role, anyone who boosts the server could read and export shared reflections.
        if (role?.managed) throw new UserFacingError(`<@&${role.id}> is managed by an integration (a bot's own role or the Server Booster role), so moderators do not choose who has it. Please pick a role you assign by hand.`);
        ctx.settings.update(guildId, { moderatorRoleId: role?.id ?? null }, now);
        changed = role ? `Members with <@&${role.id}> can now use the moderator tools.` : 'The moderator role is cleared: only Manage Server counts now.';
        break;
      }
      case 'mod-log-channel': {
        const channel = interaction.options.getChannel('channel');
        ctx.settings.update(guildId, { modLogChannelId: channel?.id ?? null }, now);
        const warning = channel ? await channelWarning(interaction.client, guildId, channel.id, MOD_LOG_PERMISSIONS, 'reports and problem notices will not arrive') : null;
        changed = channel ? `Reports and problems will go to <#${channel.id}>.${warning ? `\n${warning}` : ''}` : 'The mod-log channel is cleared.';
        break;
      }
      case 'support-note': {
        const text = interaction.options.getString('text')?.trim() ?? '';
        ctx.settings.update(guildId, { supportNote: text === '' ? null : text }, now);
        changed = text === '' ? 'The support note is cleared.' : 'The support note is saved.';
        break;
      }
      case 'show':
        changed = 'Current settings:';
        break;
      default:
        throw new UserFacingError('That settings option is not known.');
    }
    const show = () =>
      editOriginal(interaction, {
        embeds: [styledEmbed({ title: 'Reading-group settings', description: `${changed}\n\n${describeSettings(ctx.settings.get(guildId))}`, footer: 'Only moderators see this.' })],
        allowedMentions: { parse: [] },
      });
    if (sub === 'show') {
      await show();
      return;
    }
    ctx.log.info({ guildId, setting: sub }, 'settings changed');
    // The change is stored: if Discord fails the answer, say so rather than the router's "please try again".
    await showCommitted(interaction, ctx.log, show, `${changed} \`/settings show\` shows every setting.`, { guildId, setting: sub });
  },
};

export default settings;
