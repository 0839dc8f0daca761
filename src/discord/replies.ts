import { MessageFlags, type InteractionReplyOptions, type RepliableInteraction } from 'discord.js';

export const NO_MENTIONS = { parse: [] as [], repliedUser: false } as const;

type PrivatePayload = Pick<InteractionReplyOptions, 'content' | 'embeds' | 'components' | 'files'>;

/**
 * Sends something only the member sees, whatever state the interaction is in: fresh (reply), deferred
 * ephemerally (edit the placeholder), or already answered or deferred in public (an ephemeral follow-up,
 * after removing a public "thinking…" placeholder so it does not hang there forever).
 */
export async function sendPrivately(interaction: RepliableInteraction, payload: PrivatePayload): Promise<void> {
  const body = { ...payload, allowedMentions: NO_MENTIONS };
  if (interaction.deferred && interaction.ephemeral === true && !interaction.replied) {
    await interaction.editReply(body);
    return;
  }
  if (interaction.deferred || interaction.replied) {
    if (interaction.deferred && !interaction.replied && interaction.ephemeral === false) {
      await interaction.deleteReply().catch(() => undefined);
    }
    await interaction.followUp({ ...body, flags: MessageFlags.Ephemeral });
    return;
  }
  await interaction.reply({ ...body, flags: MessageFlags.Ephemeral });
}

/** Answers in the way the router acknowledged: edits a deferred reply, otherwise replies. */
export async function answer(interaction: RepliableInteraction, payload: PrivatePayload, options: { ephemeral: boolean }): Promise<void> {
  const body = { ...payload, allowedMentions: NO_MENTIONS };
  if (interaction.deferred && !interaction.replied) {
    await interaction.editReply(body);
  } else if (interaction.replied) {
    await interaction.followUp({ ...body, ...(options.ephemeral ? { flags: MessageFlags.Ephemeral } : {}) });
  } else {
    await interaction.reply({ ...body, ...(options.ephemeral ? { flags: MessageFlags.Ephemeral } : {}) });
  }
}
