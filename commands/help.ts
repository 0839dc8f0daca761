import { ApplicationCommandOptionType, type APIApplicationCommandOption } from 'discord.js';
import type { ChatInputCommand, CommandModule } from '../src/discord/command.js';
import { serverCommand } from '../src/discord/builders.js';
import { styledEmbed } from '../src/discord/render.js';

function subcommandNames(options: readonly APIApplicationCommandOption[] | undefined): string[] {
  return (options ?? []).flatMap((option) => {
    if (option.type === ApplicationCommandOptionType.Subcommand) return [option.name];
    if (option.type === ApplicationCommandOptionType.SubcommandGroup) return subcommandNames(option.options).map((name) => `${option.name} ${name}`);
    return [];
  });
}

/** One line per command, context-menu commands included, in registry order. */
export function helpLines(modules: readonly CommandModule[]): string[] {
  return modules.map((module) => {
    if (module.kind === 'message-context') return `**${module.data.name}** (message menu: ⋯ › Apps): ${module.help}`;
    const subs = subcommandNames(module.data.options);
    const suffix = subs.length > 0 ? ` (${subs.join(', ')})` : '';
    const mod = module.access === 'moderator' ? ' *(moderators)*' : module.access === 'manage-server' ? ' *(Manage Server)*' : '';
    // Said once, by the marker: a description registered with Discord may end by saying who may use it too.
    const text = (module.help ?? module.data.description).replace(/\s*\((?:Manage Server|moderators)\)$/, '');
    return `**/${module.data.name}**${suffix}${mod}: ${text}`;
  });
}

const help: ChatInputCommand = {
  kind: 'chat-input',
  data: serverCommand('help', 'What this bot can do, one line per command').toJSON(),
  defer: 'none',
  async execute(interaction, ctx) {
    await interaction.reply({
      embeds: [
        styledEmbed({
          title: 'reading-circle: what I can do',
          description: helpLines(ctx.commands).join('\n'),
          footer: 'Replies about you are only visible to you. /privacy explains what is stored.',
        }),
      ],
      flags: 'Ephemeral',
      allowedMentions: { parse: [] },
    });
  },
};

export default help;
