import { ChannelType, type APIEmbed } from 'discord.js';
import { PROMPT_CHANNEL_PERMISSIONS, channelWarning } from '../src/discord/bot-permissions.js';
import type { ChatInputCommand } from '../src/discord/command.js';
import { moderatorCommand } from '../src/discord/builders.js';
import { fitContent, LIMITS, styledEmbed, truncate } from '../src/discord/render.js';
import { UserFacingError } from '../src/errors.js';
import { normalise } from '../src/book/normalise.js';
import { WEEKDAYS, describeLocal, isValidTimeZone, type Occurrence } from '../src/prompts/due.js';
import { SET_WEEK_TEXT_MAX, describeSkipped, type StatusView, type TickResult } from '../src/prompts/service.js';
import { PLAN_IDS } from '../src/prompts/types.js';
import { editOriginal, respondWithChoices, showCommitted } from '../src/discord/replies.js';

const FOOTER = 'Weekly prompts · only moderators see this';

function when(occurrence: Occurrence, timezone: string): string {
  return `${describeLocal(occurrence.at, timezone)}: <t:${Math.floor(occurrence.at.getTime() / 1000)}:F>`;
}

/**
 * Zones that Node 20's ICU lists only under their old IANA names. Moderators type and expect the current ones
 * ("kolkata", "kyiv"), so those are offered instead, each only where this runtime's validation accepts it.
 */
const RENAMED: Readonly<Record<string, string>> = {
  'Africa/Asmera': 'Africa/Asmara',
  'America/Godthab': 'America/Nuuk',
  'Asia/Calcutta': 'Asia/Kolkata',
  'Asia/Katmandu': 'Asia/Kathmandu',
  'Asia/Rangoon': 'Asia/Yangon',
  'Asia/Saigon': 'Asia/Ho_Chi_Minh',
  'Atlantic/Faeroe': 'Atlantic/Faroe',
  'Europe/Kiev': 'Europe/Kyiv',
  'Pacific/Enderbury': 'Pacific/Kanton',
  'Pacific/Ponape': 'Pacific/Pohnpei',
  'Pacific/Truk': 'Pacific/Chuuk',
};

/**
 * Every zone offered, in order, with what finds it: its name and any old one, normalised like the book's look-ups
 * so "São Paulo" and "sao paulo" both find America/Sao_Paulo. Node 20 lists no UTC, so it is added.
 */
const ZONES: readonly { zone: string; keys: string[] }[] = (() => {
  const keys = new Map<string, Set<string>>();
  for (const listed of [...Intl.supportedValuesOf('timeZone'), 'UTC']) {
    const renamed = RENAMED[listed];
    const zone = renamed !== undefined && isValidTimeZone(renamed) ? renamed : listed;
    keys.set(zone, (keys.get(zone) ?? new Set([normalise(zone)])).add(normalise(listed)));
  }
  return [...keys].sort(([a], [b]) => (a < b ? -1 : 1)).map(([zone, found]) => ({ zone, keys: [...found] }));
})();

/** Up to 25 zones matching what the moderator typed ("new york", "london", "Asia/Jer", "Zürich"), prefixes first. */
export function completeTimeZone(query: string): { name: string; value: string }[] {
  const needle = normalise(query);
  const matches = needle === '' ? ZONES : ZONES.filter((z) => z.keys.some((key) => key.includes(needle)));
  const starts = (z: (typeof ZONES)[number]) => z.keys.some((key) => key.startsWith(needle));
  const ranked = [...matches].sort((a, b) => Number(!starts(a)) - Number(!starts(b)));
  return ranked.slice(0, LIMITS.choices).map(({ zone }) => ({ name: zone, value: zone }));
}

/** "Monday", as a sentence shows it (the schedule keeps the weekday as typed in commands: "monday"). */
const weekdayName = (weekday: number): string => {
  const name = WEEKDAYS[weekday] ?? '';
  return name.charAt(0).toUpperCase() + name.slice(1);
};

function describeResult(result: TickResult, channelId: string | null): string {
  switch (result.kind) {
    case 'posted':
      return `Week ${result.week} is posted${channelId ? ` in <#${channelId}>` : ''}${result.threadId ? `, with its discussion thread <#${result.threadId}>` : ''}.${result.adopted ? ' (It had already gone out before a restart; I picked it up rather than posting it twice.)' : ''}`;
    case 'complete':
      return 'The plan is complete: every week has been posted. Run `/prompt setup` to start it again or to pick the other plan.';
    case 'blocked':
      return result.reason;
    case 'failed':
      return `Discord did not accept it yet (${result.reason}). I will try again${result.retryAt ? ` <t:${Math.floor(new Date(result.retryAt).getTime() / 1000)}:R>` : ''}.`;
    case 'waiting':
      return `A post for week ${result.week} is waiting to be retried <t:${Math.floor(new Date(result.until).getTime() / 1000)}:R>.`;
    case 'no-poster':
      return 'The bot is not connected to Discord right now; the post will go out as soon as it is.';
    case 'no-schedule':
      return 'Weekly prompts are not set up yet. Use `/prompt setup` first.';
    default:
      return 'Nothing was due.';
  }
}

function statusFields(status: StatusView): APIEmbed['fields'] {
  const { schedule, plan } = status;
  const fields: NonNullable<APIEmbed['fields']> = [
    { name: 'Plan', value: `${plan.name}: ${plan.description}`, inline: false },
    {
      name: 'Schedule',
      value: `${weekdayName(schedule.weekday)}s at ${schedule.time} (${schedule.timezone}) in <#${schedule.channelId}>${schedule.pingRoleId ? `, pinging <@&${schedule.pingRoleId}>` : ''}${schedule.paused ? ' · **paused**' : ''}`,
      inline: false,
    },
    {
      name: 'Week',
      value: status.complete
        ? `Complete: all ${plan.weeks.length} weeks posted. \`/prompt setup\` starts it again or picks the other plan.`
        : `Week ${status.nextWeek ?? '?'} of ${plan.weeks.length} is next${status.nextWeek ? ` (${plan.weeks[status.nextWeek - 1]?.title ?? ''})` : ''}`,
      inline: false,
    },
    { name: 'Next post', value: status.nextPost ? when(status.nextPost, schedule.timezone) : schedule.paused ? 'Paused' : 'None', inline: false },
    {
      name: 'Last post',
      value: status.lastPosted
        ? `Week ${status.lastPosted.week}${status.lastPosted.postedAt ? ` <t:${Math.floor(new Date(status.lastPosted.postedAt).getTime() / 1000)}:F>` : ''}${status.lastPosted.late ? ' (late)' : ''}${status.lastPosted.threadId ? ` · <#${status.lastPosted.threadId}>` : ''}`
        : 'None yet',
      inline: false,
    },
  ];
  if (status.inFlight) fields.push({ name: 'In progress', value: `Week ${status.inFlight.week}: ${status.inFlight.state} (attempts: ${status.inFlight.attempts})`, inline: false });
  fields.push({
    name: 'Skipped posting times',
    value: status.skipped.length > 0 ? status.skipped.map((s) => `${describeSkipped([s.slot])} (${s.reason === 'missed' ? 'missed while offline' : 'skipped by a moderator'})`).join('\n') : 'None',
    inline: false,
  });
  fields.push({ name: 'Last error', value: status.lastError ?? 'None', inline: false });
  return fields;
}

const prompt: ChatInputCommand = {
  kind: 'chat-input',
  access: 'moderator',
  data: moderatorCommand('prompt', 'Weekly reading prompts: schedule, status and posting (moderators)')
    .addSubcommand((sub) =>
      sub
        .setName('setup')
        .setDescription('Where and when the weekly prompt is posted')
        .addChannelOption((o) =>
          o.setName('channel').setDescription('A text or announcement channel').addChannelTypes(ChannelType.GuildText, ChannelType.GuildAnnouncement).setRequired(true),
        )
        .addStringOption((o) =>
          o
            .setName('weekday')
            .setDescription('The day of the week')
            .setRequired(true)
            .addChoices(...['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'].map((d) => ({ name: d, value: d }))),
        )
        .addStringOption((o) => o.setName('time').setDescription('24-hour local time, HH:MM (e.g. 19:30)').setRequired(true).setMaxLength(5))
        .addStringOption((o) => o.setName('timezone').setDescription('Time zone, e.g. Europe/London').setRequired(true).setAutocomplete(true).setMaxLength(64))
        .addStringOption((o) =>
          o
            .setName('plan')
            .setDescription('The reading plan (default: by-part, or the current one)')
            .addChoices(...PLAN_IDS.map((id) => ({ name: id, value: id }))),
        )
        .addStringOption((o) => o.setName('start').setDescription('First day, YYYY-MM-DD (default: the next posting time)').setMaxLength(10))
        .addRoleOption((o) => o.setName('ping-role').setDescription('The one role the weekly post may ping (optional)')),
    )
    .addSubcommand((sub) => sub.setName('status').setDescription('Plan, week, next and last post, skipped weeks, last error'))
    .addSubcommand((sub) =>
      sub
        .setName('preview')
        .setDescription('The next weeks’ prompts and when they go out')
        .addIntegerOption((o) => o.setName('count').setDescription('How many weeks (1-5)').setMinValue(1).setMaxValue(5)),
    )
    .addSubcommand((sub) => sub.setName('post-now').setDescription('Post the next week now (or retry the one in progress)'))
    .addSubcommand((sub) => sub.setName('skip').setDescription('Skip the next posting time; the reading does not move on'))
    .addSubcommand((sub) => sub.setName('pause').setDescription('Pause the weekly posts'))
    .addSubcommand((sub) => sub.setName('resume').setDescription('Resume the weekly posts at the next posting time'))
    .addSubcommand((sub) =>
      sub
        .setName('set-week')
        .setDescription('Replace a week’s prompt with your own text')
        .addIntegerOption((o) => o.setName('week').setDescription('The plan week').setRequired(true).setMinValue(1).setMaxValue(60))
        .addStringOption((o) => o.setName('text').setDescription('The prompt members will see').setRequired(true).setMaxLength(SET_WEEK_TEXT_MAX)),
    )
    .addSubcommand((sub) =>
      sub
        .setName('reset-week')
        .setDescription('Restore a week’s prompt from the book')
        .addIntegerOption((o) => o.setName('week').setDescription('The plan week').setRequired(true).setMinValue(1).setMaxValue(60)),
    )
    .toJSON(),
  help: 'Moderators: set up, preview, post, skip, pause and resume the weekly reading prompts.',
  defer: 'ephemeral',
  async execute(interaction, ctx) {
    const guildId = interaction.guildId;
    const service = ctx.prompts;
    const sub = interaction.options.getSubcommand(true);
    const reply = async (title: string, description: string, fields?: APIEmbed['fields']) => {
      await editOriginal(interaction, {
        embeds: [styledEmbed({ title, description: truncate(description, LIMITS.embedDescription), ...(fields ? { fields } : {}), footer: FOOTER })],
        allowedMentions: { parse: [] },
      });
    };
    // After a change is stored: were Discord to fail the answer, the router's "please try again" would be
    // wrong, and a second skip or post-now would skip or post a second week. Say what was done instead.
    const confirm = (title: string, description: string) =>
      showCommitted(interaction, ctx.log, () => reply(title, description), fitContent(`**${title}**\n${description}`), { guildId, subcommand: sub });
    switch (sub) {
      case 'setup': {
        const channel = interaction.options.getChannel('channel', true);
        const role = interaction.options.getRole('ping-role');
        if (role && role.id === guildId) throw new UserFacingError('The weekly post cannot ping @everyone. Choose a role members can opt into, or leave ping-role empty.');
        const pingedBefore = service.status(guildId)?.schedule.pingRoleId ?? null;
        const result = service.setup(guildId, {
          channelId: channel.id,
          weekday: interaction.options.getString('weekday', true),
          time: interaction.options.getString('time', true),
          timezone: interaction.options.getString('timezone', true),
          plan: interaction.options.getString('plan'),
          start: interaction.options.getString('start'),
          pingRoleId: role?.id ?? null,
        });
        const { schedule, plan } = result;
        const warnings = [
          await channelWarning(interaction.client, guildId, schedule.channelId, PROMPT_CHANNEL_PERMISSIONS, 'the weekly post cannot go out (`/prompt status` and the mod-log will say so)'),
          // The bot never holds Mention Everyone, and without it Discord notifies a role only if it is mentionable.
          role && !role.mentionable
            ? `⚠️ <@&${role.id}> does not allow mentions, so Discord will not notify its members. A server admin can turn on “Allow anyone to @mention this role” in Server Settings → Roles.`
            : null,
          // Setup sets every choice anew: a ping role left out is cleared, and that should not pass unnoticed.
          pingedBefore !== null && role === null ? `The weekly post no longer pings <@&${pingedBefore}>: \`/prompt setup\` sets every choice anew, so give \`ping-role\` again to keep it.` : null,
        ].filter((w): w is string => w !== null);
        await confirm(
          'Weekly prompts are set up',
          `${result.restarted ? 'The plan starts at week 1.' : `The plan continues at week ${result.nextWeek}.`} ${plan.name}: ${plan.description}\n\n` +
            `Posting in <#${schedule.channelId}> every ${weekdayName(schedule.weekday)} at ${schedule.time} (${schedule.timezone})` +
            `${schedule.pingRoleId ? `, pinging <@&${schedule.pingRoleId}> and nobody else` : ', pinging nobody'}.\n\n` +
            (warnings.length > 0 ? `${warnings.join('\n')}\n\n` : '') +
            `**The next three posting times**\n${result.next.map((o) => `• ${when(o, schedule.timezone)}`).join('\n')}`,
        );
        return;
      }
      case 'status': {
        const status = service.status(guildId);
        if (!status) throw new UserFacingError('Weekly prompts are not set up yet. Use `/prompt setup` to choose a channel, day and time.');
        await reply('Weekly prompts: status', status.complete ? 'The plan is complete.' : `Week ${status.nextWeek ?? '?'} is next.`, statusFields(status));
        return;
      }
      case 'preview': {
        const count = interaction.options.getInteger('count') ?? 3;
        const status = service.status(guildId);
        const items = service.preview(guildId, count);
        if (!status || items.length === 0) {
          await reply('Weekly prompts: preview', 'The plan is complete: nothing more to post. `/prompt setup` starts it again or picks the other plan.');
          return;
        }
        const fields = items.map((item) => ({
          name: truncate(`Week ${item.content.week}: ${item.content.title}`, LIMITS.fieldName),
          value: truncate(
            `${item.occurrence ? when(item.occurrence, status.schedule.timezone) : 'Not scheduled (paused)'}${item.custom ? ' · moderators’ own text' : ''}\n${item.content.prompt}`,
            LIMITS.fieldValue,
          ),
          inline: false,
        }));
        await reply('Weekly prompts: preview', `The next ${items.length} week${items.length === 1 ? '' : 's'} of the ${status.plan.name} plan.`, fields);
        return;
      }
      case 'post-now': {
        const result = await service.postNow(guildId);
        const status = service.status(guildId);
        // A post by hand does not take the schedule's next time: say which week goes out then, so a post-now just
        // before that time does not come as a surprise a few minutes later.
        const next =
          result.kind !== 'posted'
            ? ''
            : status?.schedule.paused
              ? '\n\nWeekly prompts are still paused: this post by hand does not resume them (`/prompt resume` does).'
              : status?.nextPost && status.nextWeek !== null
                ? `\n\nWeek ${status.nextWeek} follows at the next posting time, ${when(status.nextPost, status.schedule.timezone)}. If that is too soon, \`/prompt skip\` skips it.`
                : '';
        await confirm('Weekly prompts: post now', describeResult(result, status?.schedule.channelId ?? null) + next);
        return;
      }
      case 'skip': {
        const skipped = service.skipNext(guildId);
        const status = service.status(guildId);
        await confirm(
          'Weekly prompts: posting time skipped',
          `Nothing will be posted ${status ? describeLocal(skipped.at, status.schedule.timezone) : skipped.slot}. The reading does not move on: ` +
            `week ${status?.nextWeek ?? '?'} goes out ${status?.nextPost ? when(status.nextPost, status.schedule.timezone) : 'at the next posting time'}.`,
        );
        return;
      }
      case 'pause': {
        service.pause(guildId);
        await confirm('Weekly prompts: paused', 'No weekly prompts will be posted until you run `/prompt resume`. Paused weeks are not counted as missed.');
        return;
      }
      case 'resume': {
        const schedule = service.resume(guildId);
        const status = service.status(guildId);
        await confirm(
          'Weekly prompts: resumed',
          status?.inFlight
            ? `Week ${status.inFlight.week} is still on its way (it could not go out before) and is tried again next; \`/prompt status\` shows when.`
            : status?.nextPost && status.nextWeek !== null
              ? `Week ${status.nextWeek} goes out next: ${when(status.nextPost, schedule.timezone)}.`
              : 'Next post: none (the plan is complete).',
        );
        return;
      }
      case 'set-week': {
        const week = interaction.options.getInteger('week', true);
        const content = service.setWeekText(guildId, week, interaction.options.getString('text', true));
        await confirm(`Week ${week}: your own text`, `Week ${week} (${content.title}) will now read:\n\n${content.prompt}\n\n\`/prompt reset-week week:${week}\` restores the book’s prompt.`);
        return;
      }
      case 'reset-week': {
        const week = interaction.options.getInteger('week', true);
        const { content, changed } = service.resetWeekText(guildId, week);
        await confirm(`Week ${week}: the book’s prompt`, `Week ${week} (${content.title}) ${changed ? 'is back to' : 'already had the book’s prompt'}:\n\n${content.prompt}`);
        return;
      }
      default:
        throw new UserFacingError('That /prompt option is not known.');
    }
  },
  async autocomplete(interaction) {
    await respondWithChoices(interaction, completeTimeZone(interaction.options.getFocused()));
  },
};

export default prompt;
