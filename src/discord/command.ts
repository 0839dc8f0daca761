import type {
  AnySelectMenuInteraction,
  AutocompleteInteraction,
  ButtonInteraction,
  ChatInputCommandInteraction,
  MessageContextMenuCommandInteraction,
  ModalSubmitInteraction,
  RESTPostAPIChatInputApplicationCommandsJSONBody,
  RESTPostAPIContextMenuApplicationCommandsJSONBody,
} from 'discord.js';
import type { AppContext } from '../context.js';

/** Interactions the router lets through: they come from a server (cached or not). */
export type InGuild = 'cached' | 'raw';

/**
 * How the router acknowledges before the handler runs. Decided up front, because Discord fixes a reply's
 * privacy at the first response: personal matters are 'ephemeral'. 'none' means the handler gives the
 * first response itself (a modal must be the first response; an instant reply needs no defer).
 */
export type ResponsePolicy = 'ephemeral' | 'public' | 'none';

/** Who may use a command, checked by the router on every invocation (Discord's own check can be overridden by admins). */
export type Access = 'everyone' | 'moderator' | 'manage-server';

/**
 * Buttons, selects and modals. A custom id is `prefix:arg1:arg2…` (see `customId`), and the prefix picks the
 * handler. 'update' acknowledges a component without a new message (deferUpdate).
 */
export interface ComponentHandler {
  prefix: string;
  access?: Access;
  defer: ResponsePolicy | 'update';
  button?(interaction: ButtonInteraction<InGuild>, args: string[], ctx: AppContext): Promise<void>;
  select?(interaction: AnySelectMenuInteraction<InGuild>, args: string[], ctx: AppContext): Promise<void>;
  modal?(interaction: ModalSubmitInteraction<InGuild>, args: string[], ctx: AppContext): Promise<void>;
}

interface CommandBase {
  access?: Access;
  /** One line for /help; chat commands default to their description. */
  help?: string;
  /** Called when the router refuses a member for lack of access (for example, to audit-log the attempt). */
  onDenied?(interaction: ChatInputCommandInteraction<InGuild> | MessageContextMenuCommandInteraction<InGuild>, ctx: AppContext): void | Promise<void>;
  components?: readonly ComponentHandler[];
}

export interface ChatInputCommand extends CommandBase {
  kind: 'chat-input';
  data: RESTPostAPIChatInputApplicationCommandsJSONBody;
  defer: ResponsePolicy | ((interaction: ChatInputCommandInteraction<InGuild>, ctx: AppContext) => ResponsePolicy);
  execute(interaction: ChatInputCommandInteraction<InGuild>, ctx: AppContext): Promise<void>;
  /** Must answer from memory: autocomplete cannot be deferred. */
  autocomplete?(interaction: AutocompleteInteraction<InGuild>, ctx: AppContext): Promise<void>;
}

export interface MessageContextCommand extends CommandBase {
  kind: 'message-context';
  data: RESTPostAPIContextMenuApplicationCommandsJSONBody;
  help: string;
  defer: ResponsePolicy;
  execute(interaction: MessageContextMenuCommandInteraction<InGuild>, ctx: AppContext): Promise<void>;
}

export type CommandModule = ChatInputCommand | MessageContextCommand;

const CUSTOM_ID_MAX = 100;

/** Builds a component custom id; throws at build time rather than letting Discord reject it at run time. */
export function customId(prefix: string, ...args: (string | number)[]): string {
  const parts = [prefix, ...args.map(String)];
  if (parts.some((part) => part.includes(':'))) throw new Error(`custom id parts may not contain ":" (${prefix})`);
  const id = parts.join(':');
  if (id.length > CUSTOM_ID_MAX) throw new Error(`custom id longer than ${CUSTOM_ID_MAX} characters (${prefix})`);
  return id;
}

export function parseCustomId(id: string): { prefix: string; args: string[] } {
  const [prefix = '', ...args] = id.split(':');
  return { prefix, args };
}
