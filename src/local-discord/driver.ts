import { modalTextInputs } from './limits.js';
import { MESSAGE_FLAGS, type Json, type LocalMessage } from './model.js';
import type { InteractionRecord, LocalDiscordServer } from './server.js';

/**
 * The interaction driver: sends INTERACTION_CREATE of every type over the gateway, as the moderator, an
 * ordinary member or the owner, and awaits the bot's initial response. Option types are read from the
 * commands the bot registered, so a test writes `options: { chapter: 'wenke' }`.
 */

export type Actor = 'member' | 'moderator' | 'owner' | (string & {});

export interface Common {
  /** Who acts (default 'member'). A user id works too. */
  as?: Actor;
  /** Channel the interaction comes from (default the main text channel). */
  channelId?: string;
  /** How long to wait (real ms) for the bot's initial response (default 5000). */
  timeoutMs?: number;
}

export type OptionValues = Record<string, string | number | boolean>;

export interface ChatInputSpec extends Common {
  name: string;
  /** `'show'`, or `'group sub'` for a subcommand in a group. */
  subcommand?: string;
  options?: OptionValues;
  /** Attachments for ATTACHMENT options: option name → file. */
  attachments?: Record<string, { name: string; content: string | Buffer; contentType?: string }>;
  /**
   * Refuse, as Discord's own client does, to send a command without its required options or with a subcommand
   * it lacks (the playground). Off by default: tests send what real Discord never would, on purpose.
   */
  asDiscordWould?: boolean;
}

export interface AutocompleteSpec extends ChatInputSpec {
  /** The option being typed in. */
  focused: string;
  /** What the member has typed so far (default ''). */
  value?: string;
}

export interface ComponentSpec extends Common {
  /** The message holding the component. */
  message: LocalMessage | string;
  /** The component's custom id, or its 1-based number among the message's interactive components. */
  component: string | number;
}

export interface SelectSpec extends ComponentSpec {
  values: string[];
}

export interface ModalSubmitSpec extends Common {
  /** The interaction that showed the modal (its callback is the modal), or the modal data itself. */
  modal: InteractionHandle | Json;
  /** Values by text input custom id, or in order (field 1, 2, …). */
  values: Record<string, string> | string[];
}

export interface MessageContextSpec extends Common {
  name: string;
  message: LocalMessage | string;
}

export interface InteractionHandle {
  readonly id: string;
  readonly token: string;
  readonly record: InteractionRecord;
  /** The accepted initial response: callback type (4, 5, 6, 7, 8, 9) and data. */
  readonly callback: { type: number; data: Json; at: number };
  /** Modal data when the bot answered with a modal (type 9). */
  readonly modal: Json | undefined;
  /** Autocomplete choices when the bot answered type 8. */
  readonly choices: Json[] | undefined;
  /** True when the original response is ephemeral (flags & 64). */
  readonly ephemeral: boolean;
  /** The current @original message (after edits), if any. */
  original(): LocalMessage | undefined;
  /** Follow-up messages, in order. */
  followUps(): LocalMessage[];
  /** The original (when not deleted) and the follow-ups, in order. */
  messages(): LocalMessage[];
  /**
   * The first visible reply: the original once it is no longer "thinking…", or else the first follow-up.
   * Waits for it (real ms; default 5000).
   */
  reply(options?: { timeoutMs?: number }): Promise<LocalMessage>;
  /** Waits until `count` follow-ups exist and returns them. */
  waitForFollowUps(count?: number, options?: { timeoutMs?: number }): Promise<LocalMessage[]>;
  /**
   * Waits until the bot has finished with this interaction: after a deferred response (type 5 or 6) it has
   * edited, followed up or deleted (unless `requireEdit: false`), the reply is no longer "thinking…", and the
   * bot has made no request to the local Discord at all for `quietMs` (default 150).
   */
  settled(options?: { quietMs?: number; timeoutMs?: number; requireEdit?: boolean }): Promise<void>;
}

const OPTION_TYPES = { SUB_COMMAND: 1, SUB_COMMAND_GROUP: 2, STRING: 3, INTEGER: 4, BOOLEAN: 5, USER: 6, CHANNEL: 7, ROLE: 8, MENTIONABLE: 9, NUMBER: 10, ATTACHMENT: 11 } as const;

export class InteractionDriver {
  constructor(private readonly discord: LocalDiscordServer) {}

  /** A slash command, with options and an optional subcommand (`'show'` or `'group sub'`). */
  async chatInput(spec: ChatInputSpec): Promise<InteractionHandle> {
    const { command, data } = this.commandData(spec, 1);
    data.options = this.buildOptions(command, spec, undefined);
    return await this.send(spec, 2, data);
  }

  /** An autocomplete request for one option; resolves with the handle whose `choices` the bot gave. */
  async autocomplete(spec: AutocompleteSpec): Promise<InteractionHandle> {
    const { command, data } = this.commandData(spec, 1);
    data.options = this.buildOptions(command, spec, { name: spec.focused, value: spec.value ?? '' });
    return await this.send(spec, 4, data);
  }

  /** A message context-menu command on a message. */
  async messageContext(spec: MessageContextSpec): Promise<InteractionHandle> {
    const { data } = this.commandData(spec, 3);
    const message = this.resolveMessage(spec.message);
    data.target_id = message.id;
    data.resolved = { messages: { [message.id]: this.discord.publicMessage(message) } };
    return await this.send({ ...spec, channelId: spec.channelId ?? message.channel_id }, 2, data);
  }

  /** Presses a button on a message. */
  async button(spec: ComponentSpec): Promise<InteractionHandle> {
    const message = this.resolveMessage(spec.message);
    const component = this.findComponent(message, spec.component);
    return await this.send({ ...spec, channelId: spec.channelId ?? message.channel_id }, 3, { custom_id: component.custom_id, component_type: component.type }, message);
  }

  /** Picks values in a select menu on a message. */
  async select(spec: SelectSpec): Promise<InteractionHandle> {
    const message = this.resolveMessage(spec.message);
    const component = this.findComponent(message, spec.component);
    return await this.send({ ...spec, channelId: spec.channelId ?? message.channel_id }, 3, { custom_id: component.custom_id, component_type: component.type, values: spec.values }, message);
  }

  /** Submits a modal the bot showed, with values by custom id or in order. */
  async modalSubmit(spec: ModalSubmitSpec): Promise<InteractionHandle> {
    const isHandle = 'callback' in spec.modal && 'record' in spec.modal;
    const modal = isHandle ? (spec.modal as InteractionHandle).modal : (spec.modal as Json);
    if (!modal) throw new Error('modalSubmit: that interaction was not answered with a modal');
    const source = isHandle ? (spec.modal as InteractionHandle).record : undefined;
    const inputs = modalTextInputs((modal.components as Json[] | undefined) ?? []);
    const valueFor = (input: Json, index: number): string => {
      if (Array.isArray(spec.values)) return spec.values[index] ?? '';
      return spec.values[String(input.custom_id)] ?? '';
    };
    const components = inputs.map((input, index) => ({ type: 18, id: index + 1, component: { type: 4, id: index + 100, custom_id: input.custom_id, value: valueFor(input, index) } }));
    const sourceMessage = source?.type === 3 && source.sourceMessageId ? this.discord.messages.get(source.sourceMessageId) : undefined;
    return await this.send({ as: source ? this.actorOf(source.userId) : undefined, channelId: source?.channelId, ...spec }, 5, { custom_id: modal.custom_id, components }, sourceMessage);
  }

  // ---------------------------------------------------------------------------------------------------

  /** Resolves 'member' | 'moderator' | 'owner' | id to a user id. */
  userId(actor: Actor | undefined): string {
    const ids = this.discord.ids;
    if (actor === undefined || actor === 'member') return ids.member;
    if (actor === 'moderator') return ids.moderator;
    if (actor === 'owner') return ids.owner;
    if (this.discord.users.has(actor)) return actor;
    throw new Error(`unknown actor "${actor}"`);
  }

  private actorOf(userId: string): Actor {
    return userId;
  }

  private resolveMessage(message: LocalMessage | string): LocalMessage {
    const found = typeof message === 'string' ? this.discord.messages.get(message) : this.discord.messages.get(message.id);
    if (!found) throw new Error(`no message ${typeof message === 'string' ? message : message.id} in the local Discord`);
    return found;
  }

  /** Interactive components of a message in reading order (buttons and selects, inside rows or containers). */
  static interactiveComponents(message: Pick<LocalMessage, 'components'>): Json[] {
    const out: Json[] = [];
    const walk = (components: Json[]) => {
      for (const component of components) {
        if (component.type === 2 || (typeof component.type === 'number' && [3, 5, 6, 7, 8].includes(component.type))) out.push(component);
        if (Array.isArray(component.components)) walk(component.components as Json[]);
        if (component.accessory && typeof component.accessory === 'object') walk([component.accessory as Json]);
      }
    };
    walk(message.components);
    return out;
  }

  private findComponent(message: LocalMessage, which: string | number): Json {
    const components = InteractionDriver.interactiveComponents(message);
    const found = typeof which === 'number' ? components[which - 1] : components.find((c) => c.custom_id === which);
    if (!found || typeof found.custom_id !== 'string') throw new Error(`message ${message.id} has no component ${String(which)}`);
    if (found.disabled === true) throw new Error(`component ${String(which)} is disabled`);
    return found;
  }

  private registered(name: string, type: number): Json | undefined {
    for (const key of [this.discord.ids.guild, 'global']) {
      const found = [...(this.discord.commands.get(key)?.values() ?? [])].find((c) => c.name === name && ((c.type as number | undefined) ?? 1) === type);
      if (found) return found;
    }
    return undefined;
  }

  private commandData(spec: { name: string }, type: number): { command: Json | undefined; data: Json } {
    const command = this.registered(spec.name, type);
    const data: Json = { id: (command?.id) ?? this.discord.newId(), name: spec.name, type, guild_id: command?.guild_id };
    return { command, data };
  }

  private buildOptions(command: Json | undefined, spec: ChatInputSpec, focused: { name: string; value: string } | undefined): Json[] {
    const values: OptionValues = { ...(spec.options ?? {}) };
    if (focused) values[focused.name] = focused.value;
    let defined = (command?.options as Json[] | undefined) ?? [];
    const path = (spec.subcommand ?? '').trim().split(/\s+/).filter(Boolean);
    const resolved: Json = {};
    const leaf = (): Json[] => {
      const missing = defined.filter((o) => o.required === true && !(String(o.name) in values)).map((o) => `${String(o.name)}:`);
      if (spec.asDiscordWould && !focused && missing.length > 0) {
        throw new Error(`/${[spec.name, ...path].join(' ')} needs ${missing.join(', ')} too (Discord asks for it before sending)`);
      }
      return Object.entries(values).map(([name, raw]) => {
        const definition = defined.find((o) => o.name === name);
        const type = (definition?.type as number | undefined) ?? (typeof raw === 'number' ? (Number.isInteger(raw) ? 4 : 10) : typeof raw === 'boolean' ? 5 : 3);
        const option: Json = { name, type, value: this.coerce(type, raw, name, resolved, spec) };
        if (focused?.name === name) option.focused = true;
        return option;
      });
    };
    const wrap = (names: string[]): Json[] => {
      if (names.length === 0) return leaf();
      const [name, ...rest] = names;
      const definition = defined.find((o) => o.name === name);
      if (command && !definition) throw new Error(`/${spec.name} has no subcommand "${name}"`);
      const type = (definition?.type as number | undefined) ?? (rest.length > 0 ? OPTION_TYPES.SUB_COMMAND_GROUP : OPTION_TYPES.SUB_COMMAND);
      defined = (definition?.options as Json[] | undefined) ?? [];
      return [{ name, type, options: wrap(rest) }];
    };
    const options = wrap(path);
    if (Object.keys(resolved).length > 0) this.pendingResolved = resolved;
    return options;
  }

  private pendingResolved: Json | undefined;

  private coerce(type: number, raw: string | number | boolean, name: string, resolved: Json, spec: ChatInputSpec): unknown {
    const bucket = (key: string): Json => {
      const existing = resolved[key] as Json | undefined;
      if (existing) return existing;
      const created: Json = {};
      resolved[key] = created;
      return created;
    };
    const text = String(raw);
    switch (type) {
      case OPTION_TYPES.INTEGER: {
        const n = Number(text);
        if (!Number.isInteger(n)) throw new Error(`option ${name} needs a whole number, not "${text}"`);
        return n;
      }
      case OPTION_TYPES.NUMBER: {
        const n = Number(text);
        if (Number.isNaN(n)) throw new Error(`option ${name} needs a number, not "${text}"`);
        return n;
      }
      case OPTION_TYPES.BOOLEAN:
        return raw === true || text === 'true' || text === 'yes';
      case OPTION_TYPES.USER:
      case OPTION_TYPES.MENTIONABLE: {
        const role = type === OPTION_TYPES.MENTIONABLE ? this.findRole(text) : undefined;
        if (role) {
          bucket('roles')[role.id as string] = role;
          return role.id;
        }
        const id = this.findUser(text);
        bucket('users')[id] = this.discord.users.get(id);
        const member = this.discord.members.get(id);
        if (member) {
          const { user: _user, ...rest } = member;
          bucket('members')[id] = { ...rest, permissions: this.discord.permissionsOf(id, spec.channelId ?? this.discord.ids.channel).toString() };
        }
        return id;
      }
      case OPTION_TYPES.ROLE: {
        const role = this.findRole(text);
        if (!role) throw new Error(`no role "${text}"`);
        bucket('roles')[role.id as string] = role;
        return role.id;
      }
      case OPTION_TYPES.CHANNEL: {
        const wanted = text.replace(/^#/, '');
        const channel = [...this.discord.channels.values()].find((c) => c.id === wanted || c.name === wanted);
        if (!channel) throw new Error(`no channel "${text}"`);
        bucket('channels')[channel.id] = { id: channel.id, name: channel.name, type: channel.type, parent_id: channel.parent_id, permissions: this.discord.permissionsOf(this.userId(spec.as), channel.id).toString(), ...(channel.thread_metadata ? { thread_metadata: channel.thread_metadata } : {}) };
        return channel.id;
      }
      case OPTION_TYPES.ATTACHMENT: {
        const file = spec.attachments?.[name];
        if (!file) throw new Error(`option ${name} needs a file in spec.attachments`);
        const id = this.discord.newId();
        const data = Buffer.isBuffer(file.content) ? file.content : Buffer.from(file.content);
        bucket('attachments')[id] = { id, filename: file.name, size: data.length, url: `${this.discord.origin}/attachments/${id}/${encodeURIComponent(file.name)}`, proxy_url: `${this.discord.origin}/attachments/${id}/${encodeURIComponent(file.name)}`, content_type: file.contentType ?? 'text/plain' };
        return id;
      }
      default:
        return text;
    }
  }

  private findUser(text: string): string {
    const wanted = text.replace(/^<@!?(\d+)>$/, '$1').replace(/^@/, '');
    if (['member', 'moderator', 'owner'].includes(wanted)) return this.userId(wanted);
    const user = [...this.discord.users.values()].find((u) => u.id === wanted || u.username === wanted || u.global_name === wanted);
    if (!user) throw new Error(`no user "${text}"`);
    return user.id;
  }

  private findRole(text: string): Json | undefined {
    const wanted = text.replace(/^<@&(\d+)>$/, '$1').replace(/^@(?!everyone)/, '');
    const role = [...this.discord.roles.values()].find((r) => r.id === wanted || r.name === wanted || r.name.toLowerCase() === wanted.toLowerCase());
    return role as Json | undefined;
  }

  private async send(spec: Common, type: number, data: Json, sourceMessage?: LocalMessage): Promise<InteractionHandle> {
    const discord = this.discord;
    const userId = this.userId(spec.as);
    const channelId = spec.channelId ?? discord.ids.channel;
    const channel = discord.channels.get(channelId);
    if (!channel) throw new Error(`no channel ${channelId}`);
    if (this.pendingResolved && (type === 2 || type === 4)) {
      data.resolved = { ...(data.resolved as Json | undefined), ...this.pendingResolved };
    }
    this.pendingResolved = undefined;
    const member = discord.members.get(userId);
    if (!member) throw new Error(`user ${userId} is not a member of the local guild`);
    const payload = {
      type,
      data,
      guild_id: discord.ids.guild,
      guild: { id: discord.ids.guild, locale: 'en-US', features: [] },
      guild_locale: 'en-US',
      channel_id: channelId,
      channel: { id: channel.id, name: channel.name, type: channel.type, guild_id: channel.guild_id, parent_id: channel.parent_id, flags: channel.flags ?? 0, permissions: discord.permissionsOf(userId, channelId).toString(), ...(channel.thread_metadata ? { thread_metadata: channel.thread_metadata } : {}) },
      member: { ...member, permissions: discord.permissionsOf(userId, channelId).toString() },
      locale: 'en-US',
      app_permissions: discord.permissionsOf(discord.ids.bot, channelId).toString(),
      entitlements: [],
      authorizing_integration_owners: { '0': discord.ids.guild },
      context: 0,
      attachment_size_limit: discord.options.attachmentSizeLimit,
      ...(sourceMessage ? { message: discord.publicMessage(sourceMessage) } : {}),
    };
    const record = discord.createInteraction(payload, userId, sourceMessage?.id);
    const timeoutMs = spec.timeoutMs ?? 5_000;
    await discord.waitFor(
      () => {
        if (record.acknowledged) return true;
        const rejected = record.rejected[0];
        if (rejected) throw new Error(`the bot's initial response to interaction ${record.id} was rejected: HTTP ${rejected.status}, code ${String(rejected.code)}`);
        return false;
      },
      { timeoutMs, what: `the bot's initial response to ${describe(type, data)}` },
    );
    return this.handle(record);
  }

  handle(record: InteractionRecord): InteractionHandle {
    const discord = this.discord;
    const original = () => (record.originalId && !record.originalDeleted ? discord.messages.get(record.originalId) : undefined);
    const followUps = () => record.followUpIds.map((id) => discord.messages.get(id)).filter((m): m is LocalMessage => m !== undefined);
    const callback = record.callback!;
    return {
      id: record.id,
      token: record.token,
      record,
      callback,
      modal: callback.type === 9 ? callback.data : undefined,
      choices: callback.type === 8 ? ((callback.data.choices as Json[] | undefined) ?? []) : undefined,
      get ephemeral() {
        const message = record.originalId ? discord.messages.get(record.originalId) : undefined;
        return message ? (message.flags & MESSAGE_FLAGS.EPHEMERAL) !== 0 : ((callback.data.flags as number | undefined ?? 0) & MESSAGE_FLAGS.EPHEMERAL) !== 0;
      },
      original,
      followUps,
      messages: () => [original(), ...followUps()].filter((m): m is LocalMessage => m !== undefined),
      reply: (options = {}) =>
        discord.waitFor(
          () => {
            const o = original();
            if (o && (o.flags & MESSAGE_FLAGS.LOADING) === 0 && (callback.type === 4 || callback.type === 5 || o.edited_timestamp !== null)) return o;
            return followUps()[0];
          },
          { timeoutMs: options.timeoutMs ?? 5_000, what: `a visible reply to interaction ${record.id}` },
        ),
      waitForFollowUps: (count = 1, options = {}) =>
        discord.waitFor(() => (followUps().length >= count ? followUps() : undefined), { timeoutMs: options.timeoutMs ?? 5_000, what: `${count} follow-up(s) to interaction ${record.id}` }),
      settled: async (options = {}) => {
        const quietMs = options.quietMs ?? 150;
        const deadline = Date.now() + (options.timeoutMs ?? 10_000);
        for (;;) {
          const o = original();
          const awaitingEdit = options.requireEdit !== false && (callback.type === 5 || callback.type === 6) && record.webhookWrites === 0;
          const loading = awaitingEdit || (o !== undefined && (o.flags & MESSAGE_FLAGS.LOADING) !== 0 && followUps().length === 0);
          const quietFor = Date.now() - Math.max(record.lastActivity, discord.lastRequestAt);
          if (!loading && quietFor >= quietMs) return;
          if (Date.now() > deadline) throw new Error(`interaction ${record.id} did not settle${awaitingEdit ? ': the bot deferred but never edited or followed up' : ''}`);
          await new Promise((resolve) => setTimeout(resolve, Math.max(10, quietMs - Math.max(0, quietFor))));
        }
      },
    };
  }
}

function describe(type: number, data: Json): string {
  if (type === 2 || type === 4) return `${type === 4 ? 'autocomplete for ' : ''}/${String(data.name)}`;
  return `${type === 3 ? 'component' : 'modal'} ${String(data.custom_id)}`;
}
