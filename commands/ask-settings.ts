import type { AskLimits } from '../src/ai/usage-repo.js';
import type { ChatInputCommand } from '../src/discord/command.js';
import { moderatorCommand } from '../src/discord/builders.js';
import { styledEmbed } from '../src/discord/render.js';
import { editOriginal, NO_MENTIONS, showCommitted } from '../src/discord/replies.js';
import { UserFacingError } from '../src/errors.js';

export const QUOTA_MAX = 1000;
export const BUDGET_MAX = 1_000_000_000;

const number = (value: number) => value.toLocaleString('en-US');

function describeLimits(limits: AskLimits, overrides: { perMemberPerHour: number | null; perMemberPerDay: number | null; monthlyTokens: number | null }): string {
  const mark = (value: number | null) => (value === null ? ' (default)' : '');
  return [
    `**Per member:** ${number(limits.perMemberPerHour)} questions an hour${mark(overrides.perMemberPerHour)}, ${number(limits.perMemberPerDay)} a day${mark(overrides.perMemberPerDay)}`,
    `**Server budget:** ${number(limits.monthlyTokens)} tokens a month${mark(overrides.monthlyTokens)}`,
  ].join('\n');
}

const askSettings: ChatInputCommand = {
  kind: 'chat-input',
  access: 'moderator',
  data: moderatorCommand('ask-settings', '/ask limits and usage for this server (moderators)')
    .addSubcommand((sub) =>
      sub
        .setName('quota')
        .setDescription('How many questions one member may ask Claude per hour and per day')
        .addIntegerOption((option) => option.setName('per-hour').setDescription('Questions per member per hour (0 = dataset answers only)').setMinValue(0).setMaxValue(QUOTA_MAX))
        .addIntegerOption((option) => option.setName('per-day').setDescription('Questions per member per day (0 = dataset answers only)').setMinValue(0).setMaxValue(QUOTA_MAX))
        .addBooleanOption((option) => option.setName('reset').setDescription('Go back to the defaults from the bot’s settings')),
    )
    .addSubcommand((sub) =>
      sub
        .setName('budget')
        .setDescription('How many tokens this server may spend on /ask each calendar month')
        .addIntegerOption((option) => option.setName('tokens').setDescription('Tokens per month (0 = dataset answers only)').setMinValue(0).setMaxValue(BUDGET_MAX))
        .addBooleanOption((option) => option.setName('reset').setDescription('Go back to the default from the bot’s settings')),
    )
    .addSubcommand((sub) => sub.setName('usage').setDescription('This month’s /ask usage and the current limits'))
    .toJSON(),
  help: 'Set the per-member /ask quota and the monthly token budget, and see this month’s usage.',
  defer: 'ephemeral',
  async execute(interaction, ctx) {
    const guildId = interaction.guildId;
    const sub = interaction.options.getSubcommand(true);
    let heading: string;
    switch (sub) {
      case 'quota': {
        const reset = interaction.options.getBoolean('reset') ?? false;
        const perHour = interaction.options.getInteger('per-hour');
        const perDay = interaction.options.getInteger('per-day');
        if (reset) {
          ctx.ask.setLimits(guildId, { perMemberPerHour: null, perMemberPerDay: null });
          heading = 'The per-member quota is back to the defaults.';
        } else {
          if (perHour === null && perDay === null) throw new UserFacingError('Give `per-hour`, `per-day` or both (or `reset:true` for the defaults).');
          ctx.ask.setLimits(guildId, { ...(perHour !== null ? { perMemberPerHour: perHour } : {}), ...(perDay !== null ? { perMemberPerDay: perDay } : {}) });
          heading = 'The per-member quota is saved.';
        }
        break;
      }
      case 'budget': {
        const reset = interaction.options.getBoolean('reset') ?? false;
        const tokens = interaction.options.getInteger('tokens');
        if (reset) {
          ctx.ask.setLimits(guildId, { monthlyTokens: null });
          heading = 'The monthly budget is back to the default.';
        } else {
          if (tokens === null) throw new UserFacingError('Give `tokens` (or `reset:true` for the default).');
          ctx.ask.setLimits(guildId, { monthlyTokens: tokens });
          heading = 'The monthly budget is saved.';
        }
        break;
      }
      case 'usage':
        heading = 'This month’s /ask usage:';
        break;
      default:
        throw new UserFacingError('That /ask-settings option is not known.');
    }
    if (sub !== 'usage') ctx.log.info({ guildId, setting: sub, by: interaction.user.id }, '/ask limits changed');
    const { effective, overrides } = ctx.ask.limits(guildId);
    const usage = ctx.ask.usage(guildId);
    const month = usage.since.toLocaleString('en-GB', { month: 'long', year: 'numeric', timeZone: 'UTC' });
    const percent = effective.monthlyTokens > 0 ? Math.min(100, Math.round((usage.total / effective.monthlyTokens) * 100)) : 0;
    const lines = [
      heading,
      '',
      describeLimits(effective, overrides),
      '',
      `**${month} (UTC):** ${number(usage.claudeAsks)} questions answered with Claude, ${number(usage.datasetAsks)} from the dataset alone`,
      `**Tokens:** ${effective.monthlyTokens > 0 ? `${number(usage.total)} of ${number(effective.monthlyTokens)} (${percent}%)` : `${number(usage.total)} used; the monthly budget is 0, so /ask answers from the dataset alone`}: ${number(usage.tokens.input)} in, ${number(usage.tokens.output)} out, ${number(usage.tokens.cacheCreation)} cache writes, ${number(usage.tokens.cacheRead)} cache reads`,
      `**Claude:** ${ctx.ask.usesClaude ? `on (${ctx.config.ANTHROPIC_MODEL})` : 'off (no ANTHROPIC_API_KEY): /ask answers from the dataset'}`,
    ];
    const show = () =>
      editOriginal(interaction, {
        embeds: [styledEmbed({ title: '/ask settings', description: lines.join('\n'), footer: 'Only moderators see this. The usage ledger keeps no questions.' })],
        allowedMentions: NO_MENTIONS,
      });
    // A stored change is confirmed through showCommitted: a failed answer must not read "please try again".
    if (sub === 'usage') await show();
    else await showCommitted(interaction, ctx.log, show, `${heading} \`/ask-settings usage\` shows the limits now in force.`, { guildId, setting: sub });
  },
};

export default askSettings;
