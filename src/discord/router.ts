import { MessageFlags, RESTJSONErrorCodes, type AnySelectMenuInteraction, type AutocompleteInteraction, type ButtonInteraction, type Interaction, type ModalSubmitInteraction, type RepliableInteraction } from 'discord.js';
import type { AppContext } from '../context.js';
import { UserFacingError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Access, ChatInputCommand, CommandModule, ComponentHandler, InGuild, MessageContextCommand, ResponsePolicy } from './command.js';
import { parseCustomId } from './command.js';
import { describeDiscordError, discordErrorCode, isExpiredInteraction } from './errors.js';
import { hasAccess } from './members.js';
import { fitContent } from './render.js';
import { publicAnswerShown, sendPrivately } from './replies.js';

export type InteractionRouter = (interaction: Interaction) => Promise<void>;

const REFUSALS: Record<Exclude<Access, 'everyone'>, string> = {
  moderator:
    'This is a moderator tool. It needs the Manage Server permission or the moderator role this server set with `/settings moderator-role`.',
  'manage-server': 'This needs the Manage Server permission.',
};

export function apology(interactionId: string): string {
  return (
    'Sorry, something went wrong on our side while handling that. Please try again in a moment. ' +
    `If it keeps happening, a moderator can look it up with this reference: \`${interactionId}\`.`
  );
}

interface Registry {
  chatInput: Map<string, ChatInputCommand>;
  messageContext: Map<string, MessageContextCommand>;
  components: Map<string, ComponentHandler>;
}

/** Indexes the registry once; a duplicate name or component prefix is a programming error caught at start. */
export function indexCommands(modules: readonly CommandModule[]): Registry {
  const registry: Registry = { chatInput: new Map(), messageContext: new Map(), components: new Map() };
  for (const module of modules) {
    const byName = module.kind === 'chat-input' ? registry.chatInput : registry.messageContext;
    if (byName.has(module.data.name)) throw new Error(`Two commands are named "${module.data.name}".`);
    if (module.kind === 'chat-input') registry.chatInput.set(module.data.name, module);
    else registry.messageContext.set(module.data.name, module);
    for (const handler of module.components ?? []) {
      if (registry.components.has(handler.prefix)) throw new Error(`Two component handlers use the prefix "${handler.prefix}".`);
      registry.components.set(handler.prefix, handler);
    }
  }
  return registry;
}

/**
 * The one path every interaction takes: find the handler, check access, acknowledge per the handler's
 * policy, run it, and send every failure through one funnel. Nothing thrown here reaches discord.js.
 */
export function createRouter(ctx: AppContext): InteractionRouter {
  const registry = indexCommands(ctx.commands);

  return async (interaction) => {
    const started = performance.now();
    // In flight (an export's reader steps aside) until it is deferred, or else until its handler is done.
    const answered = ctx.inFlight.enter();
    const log = interactionLog(ctx.log, interaction);
    try {
      await dispatch(interaction, registry, ctx, log, answered);
      if (ctx.log.isLevelEnabled('debug')) log().debug({ ms: Math.round(performance.now() - started) }, 'interaction handled');
    } catch (error) {
      await funnel(interaction, error, log, ctx.log.isLevelEnabled('debug'));
    } finally {
      answered();
    }
  };
}

/** An interaction's logger, made when something is first logged. */
type InteractionLog = () => Logger;

/**
 * Lazy because a pino child copies its bindings through redaction: some 17 µs (CPU profile of the bot) spent
 * before every first response, for a logger that most interactions never use.
 */
function interactionLog(root: Logger, interaction: Interaction): InteractionLog {
  let child: Logger | undefined;
  return () =>
    (child ??= root.child({
      interactionId: interaction.id,
      type: interaction.type,
      command: describe(interaction),
      guildId: interaction.guildId,
      userId: interaction.user.id,
    }));
}

function describe(interaction: Interaction): string | undefined {
  if (interaction.isChatInputCommand()) {
    const group = interaction.options.getSubcommandGroup(false);
    const sub = interaction.options.getSubcommand(false);
    return [interaction.commandName, group, sub].filter(Boolean).join(' ');
  }
  if (interaction.isCommand() || interaction.isAutocomplete()) return interaction.commandName;
  if (interaction.isMessageComponent() || interaction.isModalSubmit()) return parseCustomId(interaction.customId).prefix;
  return undefined;
}

async function dispatch(interaction: Interaction, registry: Registry, ctx: AppContext, log: InteractionLog, answered: () => void): Promise<void> {
  if (!interaction.inGuild()) {
    if (interaction.isAutocomplete()) await interaction.respond([]);
    else if (interaction.isRepliable()) {
      await sendPrivately(interaction, { content: 'reading-circle works inside a reading group’s server. Please use it there.' });
    }
    return;
  }

  if (interaction.isAutocomplete()) {
    await autocomplete(interaction, registry, ctx, log);
    return;
  }

  if (interaction.isChatInputCommand()) {
    const command = registry.chatInput.get(interaction.commandName);
    if (!command) return unknown(interaction, log);
    if (!(await allowed(interaction, command.access, ctx, () => command.onDenied?.(interaction, ctx)))) return;
    const policy = typeof command.defer === 'function' ? command.defer(interaction, ctx) : command.defer;
    await acknowledge(interaction, policy, answered);
    await command.execute(interaction, ctx);
    return;
  }

  if (interaction.isMessageContextMenuCommand()) {
    const command = registry.messageContext.get(interaction.commandName);
    if (!command) return unknown(interaction, log);
    if (!(await allowed(interaction, command.access, ctx, () => command.onDenied?.(interaction, ctx)))) return;
    await acknowledge(interaction, command.defer, answered);
    await command.execute(interaction, ctx);
    return;
  }

  if (interaction.isButton() || interaction.isAnySelectMenu() || interaction.isModalSubmit()) {
    const { prefix, args } = parseCustomId(interaction.customId);
    const handler = registry.components.get(prefix);
    if (!handler) return unknown(interaction, log);
    if (!(await allowed(interaction, handler.access, ctx))) return;
    await runComponent(interaction, handler, args, ctx, log, answered);
    return;
  }

  log().warn('interaction of an unsupported type ignored');
  if (interaction.isRepliable()) await sendPrivately(interaction, { content: 'That kind of interaction is not supported here.' });
}

async function runComponent(
  interaction: ButtonInteraction<InGuild> | AnySelectMenuInteraction<InGuild> | ModalSubmitInteraction<InGuild>,
  handler: ComponentHandler,
  args: string[],
  ctx: AppContext,
  log: InteractionLog,
  answered: () => void,
): Promise<void> {
  const run = async (): Promise<boolean> => {
    if (interaction.isButton() && handler.button) {
      await handler.button(interaction, args, ctx);
      return true;
    }
    if (interaction.isAnySelectMenu() && handler.select) {
      await handler.select(interaction, args, ctx);
      return true;
    }
    if (interaction.isModalSubmit() && handler.modal) {
      await handler.modal(interaction, args, ctx);
      return true;
    }
    return false;
  };
  const acknowledgeIt = async () => {
    if (handler.defer === 'update') {
      if (interaction.isMessageComponent() || interaction.isFromMessage()) await deferred(interaction, () => interaction.deferUpdate(), interaction.ephemeral);
      else await deferred(interaction, () => interaction.deferReply({ flags: MessageFlags.Ephemeral }), true);
      answered();
    } else {
      await acknowledge(interaction, handler.defer, answered);
    }
  };
  try {
    await acknowledgeIt();
  } catch (error) {
    // A form's text is only in this submit. If Discord will not take its acknowledgement (5xx past the retries,
    // or 10062 when it arrived late), the handler still runs so that what the member wrote is saved; its answer
    // then fails and is logged, and /reflections mine shows the reflection. Lost words cannot be written again
    // for the member; a rare second copy (they send the form again) they can delete.
    if (!interaction.isModalSubmit()) throw error;
    log().warn({ ...describeDiscordError(error) }, 'could not acknowledge a form; saving what it carries anyway');
  }
  if (!(await run())) return unknown(interaction, log);
}

async function autocomplete(interaction: AutocompleteInteraction<InGuild>, registry: Registry, ctx: AppContext, log: InteractionLog): Promise<void> {
  const command = registry.chatInput.get(interaction.commandName);
  try {
    if (command?.autocomplete) await command.autocomplete(interaction, ctx);
  } catch (error) {
    log().error({ err: error, ...describeDiscordError(error) }, 'autocomplete failed');
  }
  // An autocomplete left unanswered shows "loading options failed"; an empty list is kinder.
  if (!interaction.responded) await interaction.respond([]).catch((error: unknown) => log().warn({ err: error }, 'empty autocomplete failed'));
}

async function allowed(interaction: RepliableInteraction<InGuild>, access: Access | undefined, ctx: AppContext, onDenied?: () => void | Promise<void>): Promise<boolean> {
  if (access === undefined || access === 'everyone') return true;
  const settings = ctx.settings.get(interaction.guildId);
  if (hasAccess(interaction, access, settings)) return true;
  await onDenied?.();
  await sendPrivately(interaction, { content: REFUSALS[access] });
  return false;
}

/** Defers per the policy; `answered` hears once the member sees the placeholder (with 'none', the handler answers). */
async function acknowledge(interaction: RepliableInteraction, policy: ResponsePolicy, answered: () => void): Promise<void> {
  if (policy === 'none') return;
  await deferred(interaction, () => interaction.deferReply(policy === 'ephemeral' ? { flags: MessageFlags.Ephemeral } : {}), policy === 'ephemeral');
  answered();
}

/**
 * Runs a deferral. Its REST call, timed out while Discord was carrying it out, is retried by discord.js, and
 * the retry is refused with 40060 (already acknowledged): the deferral did happen. discord.js then has not
 * marked it, so that is done here and the handler runs on; throwing instead dropped a modal's reflection
 * unsaved, the member left with "thinking…" (found by a review).
 */
async function deferred(interaction: RepliableInteraction, defer: () => Promise<unknown>, ephemeral: boolean | null): Promise<void> {
  try {
    await defer();
  } catch (error) {
    if (discordErrorCode(error) !== RESTJSONErrorCodes.InteractionHasAlreadyBeenAcknowledged || interaction.deferred || interaction.replied) throw error;
    interaction.deferred = true;
    interaction.ephemeral = ephemeral;
  }
}

async function unknown(interaction: RepliableInteraction, log: InteractionLog): Promise<void> {
  log().warn('no handler for this interaction');
  await sendPrivately(interaction, {
    content: 'Sorry, I don’t know that one. It may be from an older version of the bot; `/help` lists what I can do now.',
  });
}

/** The one error funnel. It never throws: a failure to report a failure is logged and dropped. */
async function funnel(interaction: Interaction, error: unknown, log: InteractionLog, debugEnabled: boolean): Promise<void> {
  if (isExpiredInteraction(error)) {
    const ageMs = Date.now() - interaction.createdTimestamp;
    log().warn({ ...describeDiscordError(error), ageMs }, 'interaction expired before it could be answered');
    return;
  }
  if (error instanceof UserFacingError) {
    // A refusal is an ordinary answer ("nothing in the book matches"), and its message may quote what the member
    // typed: debug only, so the interaction's logger (a pino child, copied through redaction) is not made for it.
    if (debugEnabled) log().debug({ reason: error.message }, 'interaction refused with a message for the member');
  } else {
    log().error({ err: error, ...describeDiscordError(error) }, 'interaction handler failed');
  }
  if (!interaction.isRepliable()) return;
  // A public answer that Discord did show (its edit only looked failed: answered after the timeout) stays, with
  // no apology beside it: deleting the placeholder now would take the answer down, and "try again" would post it twice.
  if (!(error instanceof UserFacingError) && !interaction.replied && (await publicAnswerShown(interaction))) {
    log().warn('the answer is shown although its edit reported a failure; left as it is');
    return;
  }
  // A message may quote what the member typed; it must still fit Discord's 2,000 characters or the member sees nothing.
  const content = error instanceof UserFacingError ? fitContent(error.message) : apology(interaction.id);
  try {
    await sendPrivately(interaction, { content });
  } catch (replyError) {
    log().warn({ err: replyError, ...describeDiscordError(replyError) }, 'could not tell the member about the failure');
  }
}
