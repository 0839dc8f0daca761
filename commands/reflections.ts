import { ActionRowBuilder, AttachmentBuilder, ButtonBuilder, ButtonStyle, MessageFlags, type SlashCommandStringOption, type APIActionRowComponent, type APIButtonComponent, type APIEmbed } from 'discord.js';
import type { AppContext } from '../src/context.js';
import type { ChatInputCommand, ComponentHandler } from '../src/discord/command.js';
import { customId } from '../src/discord/command.js';
import { serverCommand } from '../src/discord/builders.js';
import { describeDiscordError, isGone, isMissingPermissions } from '../src/discord/errors.js';
import { isModerator } from '../src/discord/members.js';
import { nonceOf } from '../src/discord/nonce.js';
import { describeErasure, forgetMember, messageLink, removePost } from '../src/discord/reflection-posts.js';
import { PRIVATE_FOOTER, belongsTo, showEmbed } from '../src/discord/reflection-views.js';
import { escapeDiscordMarkdown, fitContent, styledEmbed } from '../src/discord/render.js';
import { editOriginal, NO_MENTIONS, respondWithChoices, sendPrivately, showCommitted } from '../src/discord/replies.js';
import { UserFacingError } from '../src/errors.js';
import { preview, ReflectionNotFound, type Page, type Reflection } from '../src/reflections/service.js';
import { VISIBILITY_LABEL, parseReflectionId, parseVisibility } from '../src/reflections/validation.js';
import { TEXT_FIELD, confirmation, reflectionModal, syncAfterChange, visibilityButtons } from './reflect.js';

const PAGE_SIZE = 5;
const NOT_SAVED_ATTACHED = 'What you wrote is attached, so it is not lost; `/reflect` can save it as a new reflection.';
const ANSWERED_AT_ONCE = new Set(['edit', 'show', 'delete']);

type Row = APIActionRowComponent<APIButtonComponent>;
const row = (...buttons: ButtonBuilder[]): Row => new ActionRowBuilder<ButtonBuilder>().addComponents(buttons).toJSON();


/**
 * 1000 → "1,000". Not toLocaleString: the process's first Intl call maps some 7 MB of ICU's locale data into
 * memory (measured: RSS +9 MB), and the commands members use most never need it.
 */
const withCommas = (n: number): string => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');

/** A member's count as the list gives it: exact, or "more than 1,000" past the count's cap. */
function howMany(page: Page): string {
  return page.totalCapped ? `more than ${withCommas(page.total)}` : String(page.total);
}

function minePage(ctx: AppContext, guildId: string, userId: string, beforeId?: number): { embeds: APIEmbed[]; components: Row[] } {
  const page = ctx.reflections.listMine(guildId, userId, { limit: PAGE_SIZE, ...(beforeId !== undefined ? { beforeId } : {}) });
  if (page.total === 0) {
    return { embeds: [styledEmbed({ title: 'Your reflections', description: 'You have no reflections in this server yet. `/reflect` opens a private form whenever you are ready.', footer: PRIVATE_FOOTER })], components: [] };
  }
  const lines = page.items.map(
    (r) => `**#${r.id}** · ${r.createdAt.slice(0, 10)} · ${r.visibility}${r.hidden ? ' (hidden by a moderator)' : ''} · ${belongsTo(ctx, r)}\n> ${escapeDiscordMarkdown(preview(r.text, 120))}`,
  );
  const buttons: ButtonBuilder[] = [];
  if (beforeId !== undefined) buttons.push(new ButtonBuilder().setCustomId(customId('reflections-page', 'newest')).setLabel('Newest').setStyle(ButtonStyle.Secondary));
  if (page.nextBeforeId !== null) buttons.push(new ButtonBuilder().setCustomId(customId('reflections-page', page.nextBeforeId)).setLabel('Older').setStyle(ButtonStyle.Secondary));
  return {
    embeds: [
      styledEmbed({
        title: `Your reflections (${howMany(page)})`,
        description: `${lines.join('\n\n')}\n\n\`/reflections show id:\` shows one in full.`,
        footer: PRIVATE_FOOTER,
      }),
    ],
    components: buttons.length > 0 ? [row(...buttons)] : [],
  };
}


const pageButton: ComponentHandler = {
  prefix: 'reflections-page',
  defer: 'update',
  async button(interaction, [before], ctx) {
    const beforeId = before === undefined || before === 'newest' ? undefined : Number(before);
    await editOriginal(interaction, { ...minePage(ctx, interaction.guildId, interaction.user.id, beforeId), allowedMentions: NO_MENTIONS });
  },
};

const cancelButton: ComponentHandler = {
  prefix: 'reflections-cancel',
  defer: 'update',
  async button(interaction) {
    await editOriginal(interaction, { content: 'Nothing was changed.', embeds: [], components: [], allowedMentions: NO_MENTIONS });
  },
};

const deleteButton: ComponentHandler = {
  prefix: 'reflection-delete',
  defer: 'update',
  async button(interaction, [id], ctx) {
    const reflectionId = parseReflectionId(id);
    const { post } = ctx.reflections.remove(interaction.guildId, interaction.user.id, reflectionId);
    let note = '';
    if (post) {
      const result = await removePost(interaction.client, ctx, post).catch(() => 'failed' as const);
      note =
        result === 'failed'
          ? ` I could not remove its post in the thread (${messageLink(interaction.guildId, post.channelId, post.messageId)}); please ask a moderator to delete it.`
          : ' Its post in the thread is gone too.';
    }
    const content = `Reflection #${reflectionId} is deleted.${note}`;
    await showCommitted(interaction, ctx.log, () => editOriginal(interaction, { content, embeds: [], components: [], allowedMentions: NO_MENTIONS }), content, { reflectionId });
  },
};

const forgetButton: ComponentHandler = {
  prefix: 'reflections-forget',
  defer: 'update',
  async button(interaction, _args, ctx) {
    const report = await forgetMember(interaction.client, ctx, interaction.guildId, interaction.user.id);
    // Told as done even if Discord fails the edit: "something went wrong" after an erasure would alarm for nothing.
    const content = fitContent(`Done. Everything the bot kept about you in this server is erased, but for the one record listed as kept below.\n\n${describeErasure(report, 'member')}`);
    await showCommitted(interaction, ctx.log, () => editOriginal(interaction, { content, embeds: [], components: [], allowedMentions: NO_MENTIONS }), content);
  },
};

const editModal: ComponentHandler = {
  prefix: 'reflection-edit',
  defer: 'ephemeral',
  async modal(interaction, [id], ctx) {
    const reflectionId = parseReflectionId(id);
    const typed = interaction.fields.getTextInputValue(TEXT_FIELD);
    let reflection: Reflection;
    try {
      reflection = ctx.reflections.edit(interaction.guildId, interaction.user.id, reflectionId, typed);
    } catch (error) {
      // Deleted while the form was open (another device, forget-me): the form is closed by now, so what the
      // member just wrote goes back to them as a file, not into a new reflection they did not ask for.
      if (!(error instanceof ReflectionNotFound)) throw error;
      await sendPrivately(interaction, {
        content: `I could not find reflection #${reflectionId} among yours (it may have been deleted while the form was open), so nothing was saved. ${NOT_SAVED_ATTACHED}`,
        files: [new AttachmentBuilder(Buffer.from(typed, 'utf8'), { name: `reflection-${reflectionId}-not-saved.txt` })],
      });
      return;
    }
    const outcome = reflection.visibility === 'private' ? null : await syncAfterChange(interaction, ctx, reflection);
    await showCommitted(
      interaction,
      ctx.log,
      () => sendPrivately(interaction, confirmation(ctx, reflection, outcome, 'Saved your changes to')),
      `Your changes to reflection **#${reflection.id}** are saved. I could not show them here; \`/reflections show\` does.`,
      { reflectionId: reflection.id },
    );
  },
};

/** The Report button under every posted reflection: tells the moderators, never who wrote an anonymous one. */
const reportButton: ComponentHandler = {
  prefix: 'reflection-report',
  defer: 'ephemeral',
  async button(interaction, [id], ctx) {
    const guildId = interaction.guildId;
    const { reflection, firstReport } = ctx.reflections.report(guildId, parseReflectionId(id), interaction.user.id);
    const moderator = isModerator(interaction, ctx.settings.get(guildId));
    const hideRow = row(new ButtonBuilder().setCustomId(customId('reflection-hide', reflection.id)).setLabel('Hide this reflection').setStyle(ButtonStyle.Danger));
    if (reflection.hidden) {
      await sendPrivately(interaction, { content: 'A moderator has already hidden this reflection. Thank you for looking out for the group.' });
      return;
    }
    const channelId = ctx.settings.get(guildId).modLogChannelId;
    let delivery: 'told' | 'no-channel' | 'failed' = channelId ? 'failed' : 'no-channel';
    if (firstReport && channelId) {
      const post = ctx.reflections.getPost(reflection.id);
      const link = post ? messageLink(guildId, post.channelId, post.messageId) : interaction.message.url;
      try {
        const channel = await interaction.client.channels.fetch(channelId);
        if (channel?.isSendable()) {
          await channel.send({
            embeds: [
              // A link, never a copy: a copy of the text or of the author's name here would outlive the author's
              // delete, forget-me or switch to anonymous (the bot keeps no record of this message to undo it).
              styledEmbed({
                // An anonymous one by no number: the number was shown beside its author's name if it was once shared.
                title: reflection.visibility === 'anonymous' ? 'An anonymous reflection was reported' : `Reflection #${reflection.id} was reported`,
                description: `A member reported this reflection: ${link}\nThe link shows it as it is now; if the link no longer opens, its author has removed it or made it private.`,
                footer: 'Hiding it removes the post and leaves it out of exports; its author is told. Only moderators see this channel.',
              }),
            ],
            components: [hideRow],
            allowedMentions: NO_MENTIONS,
            // One post per report even when a slow answer makes the REST client send it again.
            nonce: nonceOf('report', reflection.id, interaction.user.id),
            enforceNonce: true,
          });
          delivery = 'told';
        } else {
          delivery = 'no-channel';
        }
      } catch (error) {
        ctx.log.warn({ guildId, ...describeDiscordError(error) }, 'could not post a report to the mod-log channel');
        // A channel deleted, or closed to the bot, is no mod-log channel: pressing again would change nothing.
        if (isGone(error) || isMissingPermissions(error)) delivery = 'no-channel';
      }
      // Not delivered: the report is taken back, so that pressing Report again tries again (a report kept here
      // would answer "the moderators have it" though they were never told).
      if (delivery === 'failed') ctx.reflections.withdrawReport(guildId, reflection.id, interaction.user.id);
    }
    const message = !firstReport
      ? 'You already reported this reflection; the moderators have it. Thank you.'
      : delivery === 'told'
        ? 'Thank you. The moderators have been told and will look at it.'
        : delivery === 'failed'
          ? 'Thank you. I could not reach the moderators’ channel just now (Discord did not take the message), so your report did not go through. Please press Report again in a minute, or tell a moderator directly.'
          : 'Thank you. Your report is recorded, but this server has no mod-log channel I can post to, so please also tell a moderator directly.';
    await showCommitted(interaction, ctx.log, () => sendPrivately(interaction, { content: message, components: moderator ? [hideRow] : [] }), message, { reflectionId: reflection.id });
  },
};

/** A moderator hides a shared or anonymous reflection: the post goes, exports leave it out, the author is told. */
const hideButton: ComponentHandler = {
  prefix: 'reflection-hide',
  access: 'moderator',
  defer: 'ephemeral',
  async button(interaction, [id], ctx) {
    const { reflection, changed } = ctx.reflections.hide(interaction.guildId, parseReflectionId(id));
    // Moderators never see an anonymous reflection's number: shown beside the name while it was shared, it would tie the two.
    const named = reflection.visibility === 'anonymous' ? 'The anonymous reflection' : `Reflection #${reflection.id}`;
    // The report's Hide button has done its work (now or before): taken off the mod-log message, so no one presses it again.
    const retireButton = async () => {
      if (interaction.message.author.id !== interaction.client.user.id || interaction.message.flags.has(MessageFlags.Ephemeral)) return;
      await interaction.message.edit({ components: [] }).catch((error: unknown) => ctx.log.info({ ...describeDiscordError(error) }, 'could not take the Hide button off the report'));
    };
    if (!changed) {
      await retireButton();
      await sendPrivately(interaction, { content: `${named} is already hidden.` });
      return;
    }
    const outcome = await syncAfterChange(interaction, ctx, reflection);
    await retireButton();
    let authorTold = true;
    // A member may be in several reading groups: name the server, so the DM makes sense on its own.
    const server = interaction.guild?.name ? `the server **${escapeDiscordMarkdown(interaction.guild.name)}**` : 'a reading group you are in';
    try {
      await interaction.client.users.send(reflection.authorId, {
        content:
          `A moderator of ${server} hid your reflection #${reflection.id}: it is no longer shown in the week’s thread and is left out of exports. ` +
          'It is still yours: `/reflections show`, `edit`, `download` and `delete` work as before. If you think this was a mistake, please talk to a moderator.',
        allowedMentions: NO_MENTIONS,
        nonce: nonceOf('hidden', reflection.id),
        enforceNonce: true,
      });
    } catch (error) {
      authorTold = false;
      ctx.log.info({ reflectionId: reflection.id, ...describeDiscordError(error) }, 'could not tell the author by DM that their reflection was hidden');
    }
    ctx.log.info({ guildId: interaction.guildId, reflectionId: reflection.id, moderatorId: interaction.user.id }, 'reflection hidden');
    const content =
      `${named} is hidden. ${outcome.kind === 'failed' ? 'I could not remove its post; please delete it by hand.' : 'Its post is removed.'} ` +
      (authorTold ? 'Its author was told by direct message.' : 'I could not message its author directly; they will see it marked as hidden in `/reflections mine`.');
    await showCommitted(interaction, ctx.log, () => sendPrivately(interaction, { content }), content, { reflectionId: reflection.id });
  },
};

const idOption = (o: SlashCommandStringOption) => o.setName('id').setDescription('One of your reflections (its number, like 12)').setRequired(true).setAutocomplete(true).setMaxLength(20);

const reflections: ChatInputCommand = {
  kind: 'chat-input',
  data: serverCommand('reflections', 'Your own reflections: list, read, edit, share, delete, download, erase')
    .addSubcommand((s) => s.setName('mine').setDescription('List your reflections in this server, newest first'))
    .addSubcommand((s) => s.setName('show').setDescription('Read one of your reflections in full').addStringOption(idOption))
    .addSubcommand((s) => s.setName('edit').setDescription('Edit one of your reflections').addStringOption(idOption))
    .addSubcommand((s) =>
      s
        .setName('visibility')
        .setDescription('Change who can see one of your reflections')
        .addStringOption(idOption)
        .addStringOption((o) =>
          o
            .setName('to')
            .setDescription('The new visibility')
            .setRequired(true)
            .addChoices({ name: 'private: only me', value: 'private' }, { name: 'shared: in the week’s thread with my name', value: 'shared' }, { name: 'anonymous: in the thread as “A member”', value: 'anonymous' }),
        ),
    )
    .addSubcommand((s) => s.setName('delete').setDescription('Delete one of your reflections (and its post)').addStringOption(idOption))
    .addSubcommand((s) => s.setName('download').setDescription('Download all your reflections in this server (Markdown and JSON)'))
    .addSubcommand((s) => s.setName('forget-me').setDescription('Erase everything the bot keeps about you in this server'))
    .toJSON(),
  help: 'Your own reflections: `mine`, `show`, `edit`, `visibility`, `delete`, `download`, `forget-me`. Only you can see or change them.',
  // `edit` answers with its form, which must be the first response. `show` and `delete` answer at once too,
  // in one ephemeral reply instead of a "thinking…" placeholder and an edit: they read one row by its key
  // (SQLite in WAL mode never makes a read wait on a lock) and decrypt it. `mine` acknowledges first: its page
  // and count took the bot's thread about a millisecond (measured), and the other subcommands write, post or
  // build files.
  defer: (interaction) => (ANSWERED_AT_ONCE.has(interaction.options.getSubcommand(false) ?? '') ? 'none' : 'ephemeral'),
  components: [pageButton, cancelButton, deleteButton, forgetButton, editModal, reportButton, hideButton],
  async execute(interaction, ctx) {
    const guildId = interaction.guildId;
    const userId = interaction.user.id;
    const sub = interaction.options.getSubcommand(true);
    const id = () => parseReflectionId(interaction.options.getString('id', true));
    switch (sub) {
      case 'mine':
        await sendPrivately(interaction, minePage(ctx, guildId, userId));
        return;
      case 'show': {
        const r = ctx.reflections.get(guildId, userId, id());
        await sendPrivately(interaction, { embeds: [showEmbed(ctx, r)], components: [visibilityButtons(r)] });
        return;
      }
      case 'edit': {
        const r = ctx.reflections.get(guildId, userId, id());
        await interaction.showModal(reflectionModal(ctx, guildId, { customId: customId('reflection-edit', r.id), title: `Edit reflection #${r.id}`, visibility: r.visibility, value: r.text }));
        return;
      }
      case 'visibility': {
        const { reflection, changed } = ctx.reflections.setVisibility(guildId, userId, id(), parseVisibility(interaction.options.getString('to', true)));
        const outcome = await syncAfterChange(interaction, ctx, reflection);
        const lead = changed ? 'Updated' : 'No change needed for';
        const { content, components } = confirmation(ctx, reflection, outcome, lead);
        await showCommitted(
          interaction,
          ctx.log,
          // (A hidden one's outcome, "not posted", already says a moderator hid it.)
          () => sendPrivately(interaction, { content, components }),
          `Reflection **#${reflection.id}** is now ${VISIBILITY_LABEL[reflection.visibility]}. I could not show the details here; \`/reflections show\` does.`,
          { reflectionId: reflection.id },
        );
        return;
      }
      case 'delete': {
        const r = ctx.reflections.get(guildId, userId, id());
        await sendPrivately(interaction, {
          content: `Delete reflection #${r.id} for good${ctx.reflections.getPost(r.id) ? ', with its post in the thread' : ''}? This cannot be undone.\n> ${escapeDiscordMarkdown(preview(r.text, 200))}`,
          components: [
            row(
              new ButtonBuilder().setCustomId(customId('reflection-delete', r.id)).setLabel('Delete it').setStyle(ButtonStyle.Danger),
              new ButtonBuilder().setCustomId(customId('reflections-cancel')).setLabel('Keep it').setStyle(ButtonStyle.Secondary),
            ),
          ],
        });
        return;
      }
      case 'download': {
        const { markdown, json, count } = ctx.reflections.download(guildId, userId, ctx.book.chapterLabelById);
        if (count === 0) {
          await sendPrivately(interaction, { content: 'You have no reflections in this server, so there is nothing to download.' });
          return;
        }
        await sendPrivately(interaction, {
          content: `Your ${count} reflection(s) in this server, as Markdown and as JSON. Only you can see this message.`,
          files: [new AttachmentBuilder(Buffer.from(markdown, 'utf8'), { name: 'my-reflections.md' }), new AttachmentBuilder(Buffer.from(json, 'utf8'), { name: 'my-reflections.json' })],
        });
        return;
      }
      case 'forget-me': {
        const page = ctx.reflections.listMine(guildId, userId, { limit: 1 });
        const yours =
          page.total === 0
            ? 'you have no reflections here, so it erases your stored ids and your records in every other feature (such as /ask usage)'
            : page.total === 1 && !page.totalCapped
              ? 'your 1 reflection, the bot’s post of it in a week thread, your stored name and ids, and your records in every other feature (such as /ask usage)'
              : `your ${howMany(page)} reflections, the bot’s posts of them in the week threads, your stored name and ids, and your records in every other feature (such as /ask usage)`;
        await sendPrivately(interaction, {
          content: `This erases everything the bot keeps about you in this server: ${yours}. It cannot be undone.${page.total === 0 ? '' : ' `/reflections download` first if you want a copy.'}`,
          components: [
            row(
              new ButtonBuilder().setCustomId(customId('reflections-forget')).setLabel('Erase everything about me').setStyle(ButtonStyle.Danger),
              new ButtonBuilder().setCustomId(customId('reflections-cancel')).setLabel('Cancel').setStyle(ButtonStyle.Secondary),
            ),
          ],
        });
        return;
      }
      default:
        throw new UserFacingError('That option is not known.');
    }
  },
  async autocomplete(interaction, ctx) {
    const focused = interaction.options.getFocused(true);
    if (focused.name !== 'id') {
      await respondWithChoices(interaction, []);
      return;
    }
    await respondWithChoices(interaction, ctx.reflections.choices(interaction.guildId, interaction.user.id, String(focused.value)));
  },
};

export default reflections;
