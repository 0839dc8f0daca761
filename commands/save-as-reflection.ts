import { ApplicationCommandType, ApplicationIntegrationType, ContextMenuCommandBuilder, InteractionContextType } from 'discord.js';
import type { MessageContextCommand } from '../src/discord/command.js';
import { displayNameOf } from '../src/discord/members.js';
import { UserFacingError } from '../src/errors.js';
import { confirmSaved } from './reflect.js';

/**
 * "Save as reflection" on one of your own messages: saved privately at once (nothing is lost if the member
 * walks away), then an ephemeral choice to share it with their name or anonymously. The bot needs no
 * message-content intent: the command's payload carries the message it was used on.
 */
const saveAsReflection: MessageContextCommand = {
  kind: 'message-context',
  data: new ContextMenuCommandBuilder()
    .setName('Save as reflection')
    .setType(ApplicationCommandType.Message)
    .setContexts(InteractionContextType.Guild)
    .setIntegrationTypes(ApplicationIntegrationType.GuildInstall)
    .toJSON(),
  help: 'Right-click (or long-press) one of your own messages → Apps → Save as reflection: keeps it as a private reflection you can then share.',
  defer: 'ephemeral',
  async execute(interaction, ctx) {
    const message = interaction.targetMessage;
    if (message.author.id !== interaction.user.id) {
      throw new UserFacingError('You can save only your own messages as reflections. Every member decides for themselves what becomes a reflection.');
    }
    if (message.content.trim() === '') {
      throw new UserFacingError('That message has no text I can save (attachments and embeds are not kept). Nothing was saved.');
    }
    const guildId = interaction.guildId;
    // A message written in a week's thread belongs to that week (an earlier one's too); otherwise to the current week, if any.
    const week = ctx.weeks.byThread(guildId, message.channelId)?.week ?? ctx.reflections.belonging(guildId, null, null).week;
    const { reflection } = ctx.reflections.create({
      guildId,
      authorId: interaction.user.id,
      authorName: displayNameOf(interaction),
      text: message.content,
      visibility: 'private',
      week,
      idempotencyKey: interaction.id,
      source: 'message',
    });
    await confirmSaved(interaction, ctx, reflection, 'Saved your message as a reflection');
  },
};

export default saveAsReflection;
