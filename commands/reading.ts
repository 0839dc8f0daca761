import type { ChatInputCommand } from '../src/discord/command.js';
import { serverCommand } from '../src/discord/builders.js';
import { answer } from '../src/discord/replies.js';
import { LIMITS, styledEmbed, truncate } from '../src/discord/render.js';
import { UserFacingError } from '../src/errors.js';

const reading: ChatInputCommand = {
  kind: 'chat-input',
  access: 'everyone',
  data: serverCommand('reading', "This week's reading and prompt, with a link to its discussion thread").toJSON(),
  help: "This week's reading and prompt, with a link to the week's discussion thread.",
  defer: 'ephemeral',
  async execute(interaction, ctx) {
    const view = ctx.prompts.reading(interaction.guildId);
    if (!view) throw new UserFacingError('The reading group has no weekly prompts yet. A moderator can start them with `/prompt setup`.');
    const { content, row, plan } = view;
    const lines = [content.prompt];
    if (content.quotation) lines.push(`> ${content.quotation.text}${content.quotation.page ? ` (p. ${content.quotation.page})` : ''}`);
    const where = row
      ? row.threadId
        ? `Talk about it in <#${row.threadId}>, or press **Reflect** on the week's post to write a reflection.`
        : `Posted in <#${row.channelId}>.`
      : 'This is the first week; it has not been posted yet.';
    await answer(
      interaction,
      {
        embeds: [
          styledEmbed({
            title: `${row ? `Week ${row.week} of ${plan.weeks.length}` : 'Coming up'}: ${content.title}`,
            description: truncate(lines.join('\n\n'), LIMITS.embedDescription),
            fields: [
              { name: "This week's reading", value: content.reading.join('\n'), inline: false },
              { name: 'Content note', value: content.contentNote, inline: false },
              { name: 'Discussion', value: where, inline: false },
            ],
            footer: `${plan.name} · When Hurt Remains: Relational Perspectives on Therapeutic Failure`,
          }),
        ],
      },
      { ephemeral: true },
    );
  },
};

export default reading;
