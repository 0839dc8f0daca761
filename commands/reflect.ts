import { pick } from '../src/book/views.js';
import { describePlace } from '../src/reflections/place.js';
import {
  ActionRowBuilder,
  ButtonBuilder,
  ButtonStyle,
  LabelBuilder,
  ModalBuilder,
  TextDisplayBuilder,
  TextInputBuilder,
  TextInputStyle,
  type APIActionRowComponent,
  type APIButtonComponent,
  type RepliableInteraction,
} from 'discord.js';
import type { AppContext } from '../src/context.js';
import type { ChatInputCommand, ComponentHandler, InGuild } from '../src/discord/command.js';
import { customId } from '../src/discord/command.js';
import { serverCommand } from '../src/discord/builders.js';
import { displayNameOf } from '../src/discord/members.js';
import { describePostOutcome, syncReflectionPost, type PostOutcome } from '../src/discord/reflection-posts.js';
import { showEmbed } from '../src/discord/reflection-views.js';
import { truncate } from '../src/discord/render.js';
import { editOriginal, NO_MENTIONS, respondWithChoices, sendPrivately, showCommitted } from '../src/discord/replies.js';
import type { Reflection, Visibility } from '../src/reflections/service.js';
import { REFLECTION_MAX_CHARS, VISIBILITY_LABEL, parseVisibility, parseWeek } from '../src/reflections/validation.js';

export const TEXT_FIELD = 'text';
const NONE = '-';

/** The modal every reflection is written or edited in: one paragraph field, a reminder, and the server's support note. */
export function reflectionModal(ctx: AppContext, guildId: string, options: { customId: string; title: string; visibility?: Visibility; value?: string }): ModalBuilder {
  const note = ctx.settings.get(guildId).supportNote;
  const lines = [
    'Please leave out names and any detail that could identify a client, a colleague or anyone else.',
    options.visibility ? `Visibility: **${VISIBILITY_LABEL[options.visibility]}**. You can change it afterwards with \`/reflections visibility\`.` : null,
    note ? `If the reading stirs things up: ${note}` : null,
  ].filter((line): line is string => line !== null);
  const input = new TextInputBuilder()
    .setCustomId(TEXT_FIELD)
    .setStyle(TextInputStyle.Paragraph)
    .setRequired(true)
    .setMinLength(1)
    .setMaxLength(REFLECTION_MAX_CHARS)
    .setPlaceholder('What stayed with you from this reading?');
  if (options.value !== undefined) input.setValue(truncate(options.value, REFLECTION_MAX_CHARS));
  return new ModalBuilder()
    .setCustomId(options.customId)
    .setTitle(truncate(options.title, 45))
    .addTextDisplayComponents(new TextDisplayBuilder().setContent(truncate(lines.join('\n'), 4000)))
    .addLabelComponents(
      new LabelBuilder().setLabel('Your reflection').setDescription('Up to 4000 characters. No details that could identify a client.').setTextInputComponent(input),
    );
}

/** Buttons that move a reflection between visibilities (the author's own; checked again in SQL on click). */
export function visibilityButtons(reflection: Reflection): APIActionRowComponent<APIButtonComponent> {
  const choices: [Visibility, string, ButtonStyle][] = [
    ['private', 'Keep it private', ButtonStyle.Secondary],
    ['shared', 'Share with my name', ButtonStyle.Primary],
    ['anonymous', 'Share anonymously', ButtonStyle.Primary],
  ];
  return new ActionRowBuilder<ButtonBuilder>()
    .addComponents(
      choices
        .filter(([to]) => to !== reflection.visibility)
        .map(([to, label, style]) => new ButtonBuilder().setCustomId(customId('reflection-vis', reflection.id, to)).setLabel(label).setStyle(style)),
    )
    .toJSON();
}

export function confirmation(ctx: AppContext, reflection: Reflection, outcome: PostOutcome | null, lead: string): { content: string; components: APIActionRowComponent<APIButtonComponent>[] } {
  const belongs = describePlace(reflection, ctx.book.chapterLabelById);
  const lines = [
    `${lead} **#${reflection.id}**${belongs ? ` (${belongs})` : ''}, ${VISIBILITY_LABEL[reflection.visibility]}.`,
    // A private one's own line below says it; "It is private" above it would say it twice.
    outcome && !(outcome.kind === 'not-posted' && reflection.visibility === 'private') ? describePostOutcome(outcome, reflection) : '',
    reflection.visibility === 'private'
      ? reflection.source === 'message'
        ? 'Only you can see the reflection, but your message itself is still in the channel for everyone who can read it: delete it there if you want it gone (the reflection keeps its words). Would you like to share the reflection with the group?'
        : 'Only you can see it. Would you like to share it with the group?'
      : '',
    '`/reflections mine` lists your reflections; you can edit, share, unshare or delete them at any time.',
  ].filter(Boolean);
  return { content: lines.join('\n'), components: [visibilityButtons(reflection)] };
}

/** Shows a new reflection's confirmation; if Discord fails it, says in a follow-up that it is saved (showCommitted). */
export async function confirmSaved(interaction: RepliableInteraction, ctx: AppContext, reflection: Reflection, lead: string, outcome: PostOutcome | null = null): Promise<void> {
  await showCommitted(
    interaction,
    ctx.log,
    () => sendPrivately(interaction, confirmation(ctx, reflection, outcome, lead)),
    `Your reflection is saved, as **#${reflection.id}**. I could not show its confirmation here; \`/reflections mine\` lists it.`,
    { reflectionId: reflection.id },
  );
}

/** Posts, edits or removes the thread post after a committed change; never throws (the change is saved). */
export async function syncAfterChange(interaction: RepliableInteraction, ctx: AppContext, reflection: Reflection): Promise<PostOutcome> {
  try {
    return await syncReflectionPost(interaction.client, ctx, reflection);
  } catch (error) {
    ctx.log.error({ err: error, reflectionId: reflection.id }, 'reflection post sync failed');
    return { kind: 'failed', reason: 'unexpected' };
  }
}

function resolveChapter(ctx: AppContext, input: string | null): string | null {
  if (input === null || input.trim() === '') return null;
  // The book commands' own refusals ("did you mean", "couldn't find"), so every chapter look-up says it one way.
  return pick(ctx.book.resolveChapter(input), 'chapter', input, (c) => ctx.book.chapterLabel(c), 'Pick one from the list, or leave `chapter` empty.').id;
}

const encode = (value: string | number | null) => (value === null ? NONE : encodeURIComponent(String(value)));
const decode = (value: string | undefined) => (value === undefined || value === NONE ? null : decodeURIComponent(value));

/** The modal's submit: save (idempotent on the interaction id), then post, then confirm. */
const submit: ComponentHandler = {
  prefix: 'reflect-modal',
  defer: 'ephemeral',
  async modal(interaction, [visibility, chapter, week], ctx) {
    const guildId = interaction.guildId;
    const weekNumber = decode(week);
    const belonging = ctx.reflections.belonging(guildId, decode(chapter), weekNumber === null ? null : parseWeek(Number(weekNumber)));
    const { reflection, duplicate } = ctx.reflections.create({
      guildId,
      authorId: interaction.user.id,
      authorName: displayNameOf(interaction),
      text: interaction.fields.getTextInputValue(TEXT_FIELD),
      visibility: parseVisibility(visibility),
      chapterId: belonging.chapterId,
      week: belonging.week,
      idempotencyKey: interaction.id,
      source: 'modal',
    });
    const outcome = reflection.visibility === 'private' || duplicate ? null : await syncAfterChange(interaction, ctx, reflection);
    await confirmSaved(interaction, ctx, reflection, 'Saved your reflection', outcome);
  },
};

/** The weekly prompt's "Write a reflection" button: the modal, bound to that week, private unless shared afterwards. */
const weekButton: ComponentHandler = {
  prefix: 'reflect-week',
  defer: 'none',
  async button(interaction, [week], ctx) {
    const number = parseWeek(Number(week));
    await interaction.showModal(
      reflectionModal(ctx, interaction.guildId, { customId: customId('reflect-modal', 'private', NONE, encode(number)), title: `Your reflection for week ${number}`, visibility: 'private' }),
    );
  },
};

/** The visibility buttons under a confirmation. */
const visibilityButton: ComponentHandler = {
  prefix: 'reflection-vis',
  defer: 'update',
  async button(interaction, [id, to], ctx) {
    const { reflection } = ctx.reflections.setVisibility(interaction.guildId, interaction.user.id, Number(id), parseVisibility(to));
    const outcome = await syncAfterChange(interaction, ctx, reflection);
    await showCommitted(
      interaction,
      ctx.log,
      // Under /reflections show the reflection is redrawn with its new visibility, not left showing the old one.
      () => editOriginal(interaction, { ...confirmation(ctx, reflection, outcome, 'Updated'), embeds: interaction.message.embeds.length > 0 ? [showEmbed(ctx, reflection)] : [], allowedMentions: NO_MENTIONS }),
      `Reflection **#${reflection.id}** is now ${VISIBILITY_LABEL[reflection.visibility]}. I could not update the message above; \`/reflections mine\` shows it.`,
      { reflectionId: reflection.id },
    );
  },
};

async function openReflectModal(interaction: RepliableInteraction<InGuild> & { showModal: (modal: ModalBuilder) => Promise<unknown> }, ctx: AppContext, options: { visibility: Visibility; chapterId: string | null; week: number | null }): Promise<void> {
  const title = options.week !== null ? `Your reflection for week ${options.week}` : 'Write a reflection';
  await interaction.showModal(
    reflectionModal(ctx, interaction.guildId, {
      customId: customId('reflect-modal', options.visibility, encode(options.chapterId), encode(options.week)),
      title,
      visibility: options.visibility,
    }),
  );
}

const reflect: ChatInputCommand = {
  kind: 'chat-input',
  data: serverCommand('reflect', 'Write a reflection: private unless you choose to share it')
    .addStringOption((o) =>
      o
        .setName('visibility')
        .setDescription('Who can see it (default: only you)')
        .addChoices({ name: 'private: only me', value: 'private' }, { name: 'shared: in the week’s thread with my name', value: 'shared' }, { name: 'anonymous: in the thread as “A member”', value: 'anonymous' }),
    )
    .addStringOption((o) => o.setName('chapter').setDescription('The chapter it is about').setAutocomplete(true).setMaxLength(100))
    .addIntegerOption((o) => o.setName('week').setDescription('The reading week it belongs to (default: this week)').setMinValue(1).setMaxValue(520))
    .toJSON(),
  help: 'Write a reflection in a private form; keep it private, share it in the week’s thread, or share it anonymously.',
  defer: 'none',
  components: [submit, weekButton, visibilityButton],
  async execute(interaction, ctx) {
    const visibility = parseVisibility(interaction.options.getString('visibility'));
    const chapterId = resolveChapter(ctx, interaction.options.getString('chapter'));
    const week = parseWeek(interaction.options.getInteger('week'));
    await openReflectModal(interaction, ctx, { visibility, chapterId, week });
  },
  async autocomplete(interaction, ctx) {
    await respondWithChoices(interaction, ctx.book.completeChapter(interaction.options.getFocused()));
  },
};

export default reflect;
