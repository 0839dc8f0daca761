import type { ChatInputCommand } from '../src/discord/command.js';
import { serverCommand } from '../src/discord/builders.js';
import { styledEmbed } from '../src/discord/render.js';
import { sendPrivately } from '../src/discord/replies.js';

/** The gist of PRIVACY.md, with the server's own support note. */
export const PRIVACY_GIST = [
  '**What is kept:** your reflections (text, your display name when you wrote it, your id, the week or chapter, visibility, dates), reports you make, and counts of `/ask` use. The bot reads no server messages: a message becomes a reflection only if you save your own.',
  '**Protection:** reflection text and your stored name are encrypted at rest; deleted data is overwritten; logs never contain reflection text.',
  '**Who sees what:** *private* (default) only you · *shared* posted in the week’s thread with your name and exportable by moderators · *anonymous* posted as “A member”, exported without your name or id. Moderators can hide a reported post; it stays yours.',
  '**`/ask`:** when the bot is set up with Claude and this server allows it, your question is sent to Anthropic (Claude) to answer from the book’s data; otherwise it is answered from the book’s data alone and goes nowhere. Reflections are never sent to Anthropic or anyone else.',
  '**How long:** until you delete it. If the bot is removed from the server, the server’s data is erased after a grace period, unless the bot is added back or its commands are used here meanwhile.',
  '**Your controls:** `/reflections mine · show · edit · visibility · delete · download · forget-me`.',
  '**A problem?** Use **Report** under a post, or talk to a moderator.',
].join('\n\n');

const privacy: ChatInputCommand = {
  kind: 'chat-input',
  data: serverCommand('privacy', 'What the bot keeps about you, who can see it, and how to erase it').toJSON(),
  defer: 'ephemeral',
  async execute(interaction, ctx) {
    const note = ctx.settings.get(interaction.guildId).supportNote;
    await sendPrivately(interaction, {
      embeds: [
        styledEmbed({
          title: 'Privacy in this reading group',
          description: PRIVACY_GIST,
          fields: note ? [{ name: 'Support', value: note, inline: false }] : [],
          footer: 'The full notice is PRIVACY.md in the bot’s repository.',
        }),
      ],
    });
  },
};

export default privacy;
