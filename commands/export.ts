import { type ChatInputCommandInteraction, type MessageContextMenuCommandInteraction } from 'discord.js';
import type { ChatInputCommand, InGuild } from '../src/discord/command.js';
import { moderatorCommand } from '../src/discord/builders.js';
import { isExpiredInteraction } from '../src/discord/errors.js';
import { sendWithFiles } from '../src/discord/file-upload.js';
import { fitContent, styledEmbed, truncate, LIMITS } from '../src/discord/render.js';
import { editOriginal, NO_MENTIONS, respondWithChoices } from '../src/discord/replies.js';
import { describeScope } from '../src/export/formats/common.js';
import type { ExportLogEntry } from '../src/export/log-repo.js';
import type { ExportService, ScopeInput } from '../src/export/service.js';
import type { ExportFile, PartSplitter } from '../src/export/split.js';
import { EVERYTHING, EXPORT_FORMATS, type ExportFormat, type ExportScope } from '../src/export/types.js';
import type { AppContext } from '../src/context.js';
import { UserFacingError } from '../src/errors.js';

/** Discord's default upload limit, when an interaction does not say (it always should). */
export const DEFAULT_UPLOAD_LIMIT = 10 * 1024 * 1024;
const FILES_PER_MESSAGE = 10;
const LOG_ENTRIES = 15;

const FORMAT_LABELS: Record<ExportFormat, string> = { markdown: 'Markdown', csv: 'CSV', json: 'JSON', html: 'HTML (printable page)' };

function scopeInput(interaction: ChatInputCommandInteraction<InGuild>): ScopeInput {
  return {
    week: interaction.options.getInteger('week'),
    from: interaction.options.getString('from'),
    to: interaction.options.getString('to'),
    chapter: interaction.options.getString('chapter'),
    memberId: interaction.options.getUser('member')?.id ?? null,
    sinceLast: interaction.options.getBoolean('since-last'),
  };
}

function formatOf(interaction: ChatInputCommandInteraction<InGuild>): ExportFormat {
  const value = interaction.options.getString('format');
  return (EXPORT_FORMATS as readonly string[]).includes(value ?? '') ? (value as ExportFormat) : 'markdown';
}

/** The scope a refused member asked for, as far as it can be read (invalid parts are left out). */
function askedScope(exports: ExportService, input: ScopeInput): ExportScope {
  try {
    return exports.parseScope(input);
  } catch {
    return { ...EVERYTHING, week: input.week ?? null, memberId: input.memberId ?? null, sinceLast: input.sinceLast === true };
  }
}

function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/** A split export whose manifest would no longer fit one upload: stopped before more parts go out. */
class TooManyParts extends Error {}

/**
 * Streams the export to the moderator: above the upload limit, parts go out as they are cut, a few per
 * ephemeral message (at most 10 files and one upload limit's worth of bytes each; only those are held), and the
 * summary with the manifest comes last. A file within the limit goes out whole with the summary.
 */
async function exportReflections(interaction: ChatInputCommandInteraction<InGuild>, ctx: AppContext): Promise<void> {
  const format = formatOf(interaction);
  const scope = ctx.exports.parseScope(scopeInput(interaction));
  // Logged before anything is read: see ExportService.begin.
  const plan = ctx.exports.begin(
    ctx.exports.plan({
      guildId: interaction.guildId,
      guildName: interaction.guild?.name ?? null,
      actor: { kind: 'member', id: interaction.user.id, label: null },
      format,
      scope,
      pseudonymise: interaction.options.getBoolean('pseudonymise') === true,
    }),
  );
  const uploadLimit = interaction.attachmentSizeLimit > 0 ? interaction.attachmentSizeLimit : DEFAULT_UPLOAD_LIMIT;

  let messagesSent = 0;
  /** The last part number the moderator has (0: none yet). */
  let partsDelivered = 0;
  const send = async (files: ExportFile[], content: string) => {
    await sendWithFiles(interaction, messagesSent === 0 ? 'original' : 'follow-up', fitContent(content), files);
    messagesSent += 1;
  };
  let batch: ExportFile[] = [];
  let batchBytes = 0;
  let splitter: PartSplitter | null = null;
  const sendBatch = async () => {
    const files = batch;
    batch = [];
    batchBytes = 0;
    const range = files.length === 1 ? `Part ${partNumber(files[0]!)}` : `Parts ${partNumber(files[0]!)}–${partNumber(files.at(-1)!)}`;
    await send(
      files,
      messagesSent === 0
        ? `Exporting: this export is larger than the upload limit here (${size(uploadLimit)}), so it comes in numbered parts. ` +
            `${range} below; the summary and the manifest (each part’s checksum and the command to join them) come last.`
        : `${range} of the export.`,
    );
    partsDelivered += files.length;
    // Uploaded: their memory goes to the next parts.
    for (const file of files) splitter?.release(file);
  };

  let produced;
  try {
    produced = await ctx.exports.stream(plan, uploadLimit, async (part, _index, parts) => {
      splitter = parts;
      if (parts.projectedManifestBytes() > uploadLimit) throw new TooManyParts();
      // A message carries at most one upload limit's worth of files, though Discord takes 25 MB per request:
      // a 25 MB body held the bot's thread for over 100 ms at a time while members' commands waited.
      if (batch.length > 0 && (batch.length >= FILES_PER_MESSAGE || batchBytes + part.data.length > uploadLimit)) await sendBatch();
      batch.push(part);
      batchBytes += part.data.length;
    });
  } catch (error) {
    const tooMany = error instanceof TooManyParts;
    // The parts the moderator has (a message can carry several), which is what /export log reports.
    ctx.exports.recordAborted(plan, tooMany ? 'too many parts for the upload limit' : error instanceof Error ? truncate(error.message, 200) : 'failed', partsDelivered);
    if (partsDelivered > 0 && !tooMany && !isExpiredInteraction(error)) {
      // The moderator holds parts of a file that will never be whole: "try again" alone left them wondering
      // whether the rest (and the manifest) would still come, and whether the parts were any use.
      throw new UserFacingError(stoppedAfterParts(partsDelivered, 'the next part'));
    }
    if (tooMany) {
      throw new UserFacingError(
        `This export needs more parts at this server’s upload limit (${size(uploadLimit)}) than I can list in one manifest, so I stopped it. ` +
          'Please narrow it (`week`, `from`/`to`, `chapter`) or ask the server’s operator for `npm run export`.',
      );
    }
    throw error;
  }

  const { single, manifest, parts } = produced.split;
  const { logId, cursorError } = ctx.exports.recordAllowed(plan, produced, parts);
  const lines = [
    `**${produced.count === 1 ? '1 reflection' : `${produced.count} reflections`}** exported as ${FORMAT_LABELS[format]} (${size(produced.bytes)}).`,
    `Scope: ${describeScope(scope, plan.since)}${plan.pseudonymise ? '; authors pseudonymised' : ''}.`,
    `SHA-256 \`${produced.sha256}\` · logged in \`/export log\`.`,
  ];
  if (produced.count === 0) lines.push('No reflections match: the file is there for your records, with nothing in it.');
  if (cursorError !== null) lines.push('I could not move `since-last` to this export (the error is logged): the next since-last export will include these reflections again.');
  if (manifest) {
    lines.push(
      `It is larger than the upload limit here (${size(uploadLimit)}), so it came in ${parts} numbered parts plus this manifest. ` +
        'Join the parts in order to get the whole file (the manifest gives the command and each part’s checksum); nothing is left out.',
    );
  }
  lines.push('Private reflections are never exported; anonymous ones carry no author.');

  try {
    if (single) {
      await send([single], lines.join('\n'));
    } else if (manifest) {
      // The manifest goes last, with the last parts when they fit in the same message.
      if (batch.length > 0 && (batch.length >= FILES_PER_MESSAGE || batchBytes + manifest.data.length > uploadLimit)) await sendBatch();
      await send([...batch, manifest], lines.join('\n'));
      batch = [];
    }
  } catch (error) {
    // The log row says not delivered, and since-last goes back to where it was: the message says just that.
    ctx.exports.recordFailed(plan, logId, error instanceof Error ? truncate(error.message, 200) : 'delivery failed');
    // An expired interaction takes no message at all: the router logs it.
    if (isExpiredInteraction(error)) throw error;
    if (single) {
      throw new UserFacingError(`Discord did not take the export’s file, so nothing from this export reached you. Please run the export again. ${NOT_COUNTED}`);
    }
    if (partsDelivered >= parts) {
      // Every part went out; only the summary and the manifest did not.
      throw new UserFacingError(
        `The export stopped before its last message: Discord did not take the summary and the manifest. You have all ${parts} parts above, ` +
          `but no manifest to check them against, so please delete them and run the export again. ${NOT_COUNTED}`,
      );
    }
    if (partsDelivered > 0) throw new UserFacingError(stoppedAfterParts(partsDelivered, 'the rest of it (the remaining parts, the summary and the manifest)'));
    throw new UserFacingError(`Discord did not take the export’s parts, so nothing from this export reached you. Please run the export again. ${NOT_COUNTED}`);
  }
}

/** What a moderator is told of an export that did not arrive whole: true to its log row and the cursor (recordAborted, recordFailed). */
const NOT_COUNTED = 'Nothing was counted as exported (since-last is unchanged); `/export log` lists it as not delivered.';

/** The moderator holds parts 1 to `delivered` of a file that will not be whole: what they are worth, and what to do. */
function stoppedAfterParts(delivered: number, refused: string): string {
  const one = delivered === 1;
  return (
    `The export stopped after part ${delivered}: Discord did not take ${refused}. The part${one ? '' : 's'} above ` +
    `${one ? 'is' : 'are'} incomplete and no manifest will follow, so please delete ${one ? 'it' : 'them'} and run the export again. ${NOT_COUNTED}`
  );
}

function partNumber(file: ExportFile): string {
  return /\.part(\d+)$/.exec(file.name)?.[1]?.replace(/^0+(?=\d)/, '') ?? '?';
}

function describeActor(entry: ExportLogEntry): string {
  if (entry.actor.kind === 'operator') return `the shell${entry.actor.label ? ` (${entry.actor.label})` : ''}`;
  return entry.actor.id ? `<@${entry.actor.id}>` : 'a member';
}

export function logLine(entry: ExportLogEntry): string {
  const when = `<t:${Math.floor(Date.parse(entry.at) / 1000)}:f>`;
  const scope = describeScope(entry.scope, entry.since).replace('one member’s shared reflections', entry.scope.memberId ? `<@${entry.scope.memberId}>’s shared reflections` : 'one member’s');
  const forgotten = entry.memberForgotten ? ' (a member who has since been forgotten)' : '';
  const format = entry.format ? FORMAT_LABELS[entry.format].split(' ')[0]! : 'no format';
  if (entry.outcome === 'refused') {
    return `${when} · ${describeActor(entry)} · **refused** (${entry.reason ?? 'no reason given'}) · asked for ${format}, ${scope}${forgotten}`;
  }
  const outcome = entry.outcome === 'failed' ? `**not delivered** (${entry.reason ?? 'failed'})` : '**exported**';
  return `${when} · ${describeActor(entry)} · ${outcome} · ${format}, ${scope}${forgotten}${entry.pseudonymised ? ', pseudonymised' : ''}${resultOf(entry)}`;
}

/** The file an export wrote; for one stopped before it was complete (no count), how much of it had gone out. */
function resultOf(entry: ExportLogEntry): string {
  if (entry.count === null) {
    // A stream with no parts (the shell's standard output) that stopped after some of the file went out.
    if (entry.bytes !== null && entry.bytes > 0) return ` · incomplete: at least ${size(entry.bytes)} of the file went out before it stopped`;
    // Begun and never ended (a crash, a kill): how far it got is not known, and its reason says so.
    if (entry.parts === null) return '';
    return ` · ${entry.parts > 0 ? `${entry.parts} ${entry.parts === 1 ? 'part' : 'parts'} went out before it stopped` : 'nothing delivered'}`;
  }
  return ` · ${entry.count} ${entry.count === 1 ? 'row' : 'rows'}, ${size(entry.bytes ?? 0)}${(entry.parts ?? 1) > 1 ? ` in ${entry.parts} parts` : ''}, \`${(entry.sha256 ?? '').slice(0, 12)}\``;
}

async function showLog(interaction: ChatInputCommandInteraction<InGuild>, ctx: AppContext): Promise<void> {
  const entries = ctx.exports.recent(interaction.guildId, LOG_ENTRIES);
  const description =
    entries.length === 0
      ? 'No exports yet. Every export, allowed or refused, will be listed here.'
      : entries.map(logLine).reduce((text, line) => (text.length + line.length + 1 > LIMITS.embedDescription - 2 ? text : `${text}${text ? '\n' : ''}${line}`), '');
  await editOriginal(interaction, {
    embeds: [styledEmbed({ title: 'Recent exports', description, footer: `The last ${LOG_ENTRIES} exports and refusals. Only moderators see this.` })],
    allowedMentions: NO_MENTIONS,
  });
}

const exportCommand: ChatInputCommand = {
  kind: 'chat-input',
  access: 'moderator',
  help: 'Export shared and anonymous reflections as a file (Markdown, CSV, JSON, HTML), or see who exported what.',
  data: moderatorCommand('export', 'Export the group’s shared reflections, or see the export log (moderators)')
    .addSubcommand((sub) =>
      sub
        .setName('reflections')
        .setDescription('Shared and anonymous reflections as a file only you see; private ones are never included')
        .addStringOption((o) =>
          o
            .setName('format')
            .setDescription('File format (default Markdown)')
            .addChoices(
              { name: 'Markdown (readable)', value: 'markdown' },
              { name: 'CSV (spreadsheet)', value: 'csv' },
              { name: 'JSON (for scripts)', value: 'json' },
              { name: 'HTML (printable page)', value: 'html' },
            ),
        )
        .addIntegerOption((o) => o.setName('week').setDescription('A plan week number, as the weekly posts show it').setMinValue(1).setMaxValue(520))
        .addStringOption((o) => o.setName('from').setDescription('First day, YYYY-MM-DD (UTC)').setMinLength(10).setMaxLength(10))
        .addStringOption((o) => o.setName('to').setDescription('Last day, YYYY-MM-DD (UTC)').setMinLength(10).setMaxLength(10))
        .addStringOption((o) => o.setName('chapter').setDescription('Only reflections on this chapter').setAutocomplete(true).setMaxLength(100))
        .addUserOption((o) => o.setName('member').setDescription('Only this member’s shared reflections (never their anonymous ones)'))
        .addBooleanOption((o) => o.setName('since-last').setDescription('Only what became exportable since this server’s previous export'))
        .addBooleanOption((o) => o.setName('pseudonymise').setDescription('Replace author names with Member 1, Member 2 …')),
    )
    .addSubcommand((sub) => sub.setName('log').setDescription('Recent exports, allowed and refused'))
    .toJSON(),
  defer: 'ephemeral',

  onDenied(interaction: ChatInputCommandInteraction<InGuild> | MessageContextMenuCommandInteraction<InGuild>, ctx) {
    if (!interaction.isChatInputCommand() || interaction.options.getSubcommand(false) !== 'reflections') return;
    ctx.exports.recordRefused(
      {
        guildId: interaction.guildId,
        guildName: null,
        actor: { kind: 'member', id: interaction.user.id, label: null },
        format: formatOf(interaction),
        scope: askedScope(ctx.exports, scopeInput(interaction)),
        pseudonymise: interaction.options.getBoolean('pseudonymise') === true,
      },
      'not a moderator',
    );
  },

  async autocomplete(interaction, ctx) {
    const focused = interaction.options.getFocused(true);
    if (focused.name !== 'chapter') return respondWithChoices(interaction, []);
    await respondWithChoices(interaction, ctx.book.completeChapter(String(focused.value)));
  },

  async execute(interaction, ctx) {
    if (interaction.options.getSubcommand(true) === 'log') await showLog(interaction, ctx);
    else await exportReflections(interaction, ctx);
  },
};

export default exportCommand;
