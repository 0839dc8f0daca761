import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FaultInjector, type FaultSpec } from './faults.js';
import { INTENTS, LocalGateway } from './gateway.js';
import { checkChoices, checkMessage, checkModal } from './limits.js';
import {
  CHANNEL_TYPES,
  computePermissions,
  DiscordHttpError,
  apiError,
  ERRORS,
  formError,
  isThread,
  MESSAGE_FLAGS,
  notFound,
  permissionBits,
  PERMISSIONS,
  snowflakes,
  unauthorized,
  type Attachment,
  type Json,
  type LocalChannel,
  type LocalMember,
  type LocalMessage,
  type LocalRole,
  type LocalUser,
  type Overwrite,
  type PermissionName,
} from './model.js';

/**
 * The local Discord: one guild, a few channels, roles and members, the bot's application, and Discord API
 * v10 over HTTP (under /api/v10) and the WebSocket gateway, on 127.0.0.1 with a random port. It records
 * every request, enforces the limits a bot could get wrong, and lets tests inject faults per route.
 * The interaction driver (driver.ts) and the renderer (render.ts) build on it.
 */

export interface LocalDiscordOptions {
  /** Port to listen on (0 = a random free port). */
  port?: number;
  /** The bot token the local Discord accepts. */
  token?: string;
  /** HELLO's heartbeat interval (ms). Real Discord sends ~41 s; tests shorten it. */
  heartbeatIntervalMs?: number;
  /** The initial-response deadline of an interaction (ms; Discord: 3000). */
  interactionDeadlineMs?: number;
  /** How long an interaction token stays valid for edits and follow-ups (ms; Discord: 15 min). */
  interactionTokenTtlMs?: number;
  /** The clock the deadlines are measured with (ms since epoch). */
  now?: () => number;
  /** The bot's permissions through its managed role (defaults: what reading-circle asks for on invite). */
  botPermissions?: readonly PermissionName[];
  /** The per-file upload limit in bytes, sent as interactions' attachment_size_limit and enforced (Discord: 10 MiB). */
  attachmentSizeLimit?: number;
}

export interface RecordedFile {
  field: string;
  name: string;
  contentType: string;
  size: number;
  data: Buffer;
}

export interface RecordedRequest {
  seq: number;
  at: number;
  method: string;
  /** Decoded path after /api/v10, without the query: `/webhooks/1/tok/messages/@original`. */
  path: string;
  /** The route template: `/webhooks/:application/:token/messages/:message`. */
  route: string;
  query: Record<string, string>;
  /** Request headers, lower-case, without Authorization. */
  headers: Record<string, string>;
  /** The JSON body (or multipart `payload_json`), parsed; undefined when there is none. */
  body: unknown;
  files: RecordedFile[];
  status: number;
  response: unknown;
  /** True when an injected fault answered instead of the local Discord. */
  faulted: boolean;
}

export interface InteractionRecord {
  id: string;
  token: string;
  type: number;
  payload: Json;
  createdAt: number;
  channelId: string;
  userId: string;
  acknowledged: boolean;
  /** The accepted initial response. */
  callback?: { type: number; data: Json; at: number };
  /** Rejected callback attempts (late, double, invalid), with Discord's error. */
  rejected: { type: unknown; status: number; code: unknown; at: number }[];
  originalId?: string;
  originalDeleted: boolean;
  sourceMessageId?: string;
  followUpIds: string[];
  /** Real time (Date.now) of the last request touching this interaction (for "settled" checks). */
  lastActivity: number;
  /** Accepted webhook writes (edits, follow-ups, deletes) after the initial response. */
  webhookWrites: number;
  /**
   * High-resolution times (performance.now(), ms) for benchmarks: INTERACTION_CREATE dispatched, initial
   * response accepted, first visible reply (the initial response itself, or the first edit/follow-up after a defer).
   */
  timing: { sent: number; responded?: number; replied?: number };
}

const DEFAULT_BOT_PERMISSIONS: PermissionName[] = [
  'VIEW_CHANNEL',
  'SEND_MESSAGES',
  'SEND_MESSAGES_IN_THREADS',
  'CREATE_PUBLIC_THREADS',
  'MANAGE_THREADS',
  'EMBED_LINKS',
  'ATTACH_FILES',
  'READ_MESSAGE_HISTORY',
  'USE_EXTERNAL_EMOJIS',
  'ADD_REACTIONS',
];

const EVERYONE_PERMISSIONS: PermissionName[] = [
  'VIEW_CHANNEL',
  'SEND_MESSAGES',
  'SEND_MESSAGES_IN_THREADS',
  'CREATE_PUBLIC_THREADS',
  'READ_MESSAGE_HISTORY',
  'USE_APPLICATION_COMMANDS',
  'EMBED_LINKS',
  'ATTACH_FILES',
  'ADD_REACTIONS',
  'CHANGE_NICKNAME',
  'CREATE_INSTANT_INVITE',
];

type Handler = (ctx: RequestContext) => unknown;

interface RequestContext {
  method: string;
  params: Record<string, string>;
  query: URLSearchParams;
  body: Json;
  files: RecordedFile[];
  headers: Record<string, string>;
  /** Set by a handler to answer with another status (default 200, or 204 for undefined). */
  status?: number;
}

interface Route {
  method: string;
  template: string;
  parts: string[];
  auth: boolean;
  handler: Handler;
}

export interface Ids {
  application: string;
  bot: string;
  guild: string;
  owner: string;
  moderator: string;
  member: string;
  /** The main text channel (#reading-circle). */
  channel: string;
  /** A second text channel (#mod-log). */
  modLogChannel: string;
  roles: { everyone: string; moderator: string; bot: string; readers: string };
}

export class LocalDiscordServer {
  readonly options: Required<Omit<LocalDiscordOptions, 'botPermissions' | 'port'>> & { port: number };
  readonly faults = new FaultInjector();
  readonly gateway: LocalGateway;
  readonly events = new EventEmitter();
  readonly users = new Map<string, LocalUser>();
  readonly members = new Map<string, LocalMember>();
  readonly roles = new Map<string, LocalRole>();
  readonly channels = new Map<string, LocalChannel>();
  readonly messages = new Map<string, LocalMessage>();
  readonly interactions = new Map<string, InteractionRecord>();
  /** Application commands: key `global` or a guild id → id → command as Discord returns it. */
  readonly commands = new Map<string, Map<string, Json>>();
  readonly ids: Ids;
  guild: Json;
  private readonly recorded: RecordedRequest[] = [];
  private readonly channelOrder = new Map<string, string[]>();
  private readonly nonces = new Map<string, { messageId: string; at: number }>();
  private readonly byToken = new Map<string, InteractionRecord>();
  private readonly routes: Route[] = [];
  private readonly server: Server;
  readonly newId: () => string;
  private seq = 0;
  private baseUrl = '';
  /** Real time (Date.now) of the last HTTP request received or answered, for "settled" checks. */
  lastRequestAt = Date.now();

  constructor(options: LocalDiscordOptions = {}) {
    this.options = {
      port: options.port ?? 0,
      token: options.token ?? 'local-discord-token',
      heartbeatIntervalMs: options.heartbeatIntervalMs ?? 41_250,
      interactionDeadlineMs: options.interactionDeadlineMs ?? 3_000,
      interactionTokenTtlMs: options.interactionTokenTtlMs ?? 15 * 60_000,
      now: options.now ?? (() => Date.now()),
      attachmentSizeLimit: options.attachmentSizeLimit ?? 10 * 1024 * 1024,
    };
    this.events.setMaxListeners(0);
    this.newId = snowflakes(() => this.options.now());
    this.ids = this.seed(options.botPermissions ?? DEFAULT_BOT_PERMISSIONS);
    this.guild = {};
    this.gateway = new LocalGateway(
      {
        token: () => this.options.token,
        ready: () => ({ user: this.users.get(this.ids.bot)!, application: { id: this.ids.application, flags: 0 }, guilds: [this.guildCreatePayload()] }),
        onChange: () => this.changed(),
      },
      { heartbeatIntervalMs: this.options.heartbeatIntervalMs },
    );
    this.defineRoutes();
    this.server = createServer((req, res) => void this.handle(req, res));
    this.gateway.attach(this.server);
  }

  now(): number {
    return this.options.now();
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, '127.0.0.1', () => resolve());
    });
    const { port } = this.server.address() as AddressInfo;
    this.baseUrl = `http://127.0.0.1:${port}`;
    this.gateway.url = `ws://127.0.0.1:${port}`;
  }

  /** `http://127.0.0.1:<port>/api`: the value for DISCORD_API_URL (discord.js adds /v10). */
  get apiUrl(): string {
    return `${this.baseUrl}/api`;
  }

  get origin(): string {
    return this.baseUrl;
  }

  async close(): Promise<void> {
    await this.gateway.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ---------------------------------------------------------------------------------------------------
  // Recording and waiting

  get requests(): readonly RecordedRequest[] {
    return this.recorded;
  }

  /** Signals that something changed (a request was answered, an event sent); waiters re-check. */
  changed(): void {
    this.events.emit('change');
  }

  /** Resolves once `predicate` returns a value other than undefined/false, re-checked on every change. */
  waitFor<T>(predicate: () => T | undefined | false, options: { timeoutMs?: number; what?: string } = {}): Promise<T> {
    const timeoutMs = options.timeoutMs ?? 5_000;
    return new Promise<T>((resolve, reject) => {
      const check = () => {
        let value: T | undefined | false;
        try {
          value = predicate();
        } catch (error) {
          finish();
          reject(error instanceof Error ? error : new Error(String(error)));
          return;
        }
        if (value !== undefined && value !== false) {
          finish();
          resolve(value);
        }
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`local Discord: timed out after ${timeoutMs} ms waiting for ${options.what ?? 'a condition'}`));
      }, timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        this.events.off('change', check);
      };
      this.events.on('change', check);
      check();
    });
  }

  // ---------------------------------------------------------------------------------------------------
  // The world

  private seed(botPermissions: readonly PermissionName[]): Ids {
    const id = () => this.newId();
    const user = (username: string, globalName: string, bot = false): LocalUser => {
      const u: LocalUser = { id: id(), username, global_name: bot ? null : globalName, discriminator: bot ? '0001' : '0', avatar: null, public_flags: 0, ...(bot ? { bot: true } : {}) };
      this.users.set(u.id, u);
      return u;
    };
    const bot = user('reading-circle', 'reading-circle', true);
    const owner = user('orla', 'Orla (owner)');
    const moderator = user('mira', 'Mira (moderator)');
    const member = user('sam', 'Sam (member)');
    const guildId = id();
    const role = (name: string, permissions: bigint, position: number, extra: Partial<LocalRole> = {}): LocalRole => {
      const r: LocalRole = { id: extra.id ?? id(), name, permissions: permissions.toString(), position, color: 0, hoist: false, managed: false, mentionable: false, icon: null, unicode_emoji: null, flags: 0, ...extra };
      this.roles.set(r.id, r);
      return r;
    };
    const everyone = role('@everyone', permissionBits(EVERYONE_PERMISSIONS), 0, { id: guildId });
    const readers = role('Readers', 0n, 1, { mentionable: true });
    const moderators = role('Moderators', permissionBits(['MANAGE_GUILD', 'MANAGE_MESSAGES', 'MANAGE_THREADS']), 2, { hoist: true });
    const botRole = role('reading-circle', permissionBits(botPermissions), 3, { managed: true, tags: { bot_id: bot.id } });
    const joined = new Date(this.now()).toISOString();
    const addMember = (u: LocalUser, roles: string[]) =>
      this.members.set(u.id, { user: u, roles, nick: null, joined_at: joined, deaf: false, mute: false, flags: 0, pending: false, avatar: null, premium_since: null, communication_disabled_until: null });
    addMember(bot, [botRole.id]);
    addMember(owner, []);
    addMember(moderator, [moderators.id, readers.id]);
    addMember(member, [readers.id]);
    const channel = (name: string, position: number, overwrites: Overwrite[] = []): LocalChannel => {
      const c: LocalChannel = { id: id(), type: CHANNEL_TYPES.GUILD_TEXT, guild_id: guildId, name, position, parent_id: null, permission_overwrites: overwrites, topic: null, nsfw: false, last_message_id: null, rate_limit_per_user: 0, flags: 0 };
      this.channels.set(c.id, c);
      this.channelOrder.set(c.id, []);
      return c;
    };
    const main = channel('reading-circle', 0);
    const modLog = channel('mod-log', 1, [{ id: guildId, type: 0, allow: '0', deny: PERMISSIONS.VIEW_CHANNEL.toString() }, { id: moderators.id, type: 0, allow: PERMISSIONS.VIEW_CHANNEL.toString(), deny: '0' }, { id: botRole.id, type: 0, allow: PERMISSIONS.VIEW_CHANNEL.toString(), deny: '0' }]);
    return {
      application: bot.id,
      bot: bot.id,
      guild: guildId,
      owner: owner.id,
      moderator: moderator.id,
      member: member.id,
      channel: main.id,
      modLogChannel: modLog.id,
      roles: { everyone: everyone.id, moderator: moderators.id, bot: botRole.id, readers: readers.id },
    };
  }

  guildPayload(): Json {
    return {
      id: this.ids.guild,
      name: 'Reading Circle (local)',
      icon: null,
      splash: null,
      discovery_splash: null,
      banner: null,
      description: null,
      owner_id: this.ids.owner,
      region: 'deprecated',
      afk_channel_id: null,
      afk_timeout: 300,
      verification_level: 1,
      default_message_notifications: 1,
      explicit_content_filter: 2,
      roles: [...this.roles.values()],
      emojis: [],
      stickers: [],
      features: [],
      mfa_level: 0,
      application_id: null,
      system_channel_id: this.ids.channel,
      system_channel_flags: 0,
      rules_channel_id: null,
      public_updates_channel_id: null,
      safety_alerts_channel_id: null,
      max_members: 500000,
      vanity_url_code: null,
      premium_tier: 0,
      premium_subscription_count: 0,
      preferred_locale: 'en-US',
      max_video_channel_users: 25,
      nsfw_level: 0,
      premium_progress_bar_enabled: false,
      ...this.guild,
    };
  }

  private guildCreatePayload(): Json {
    const all = [...this.channels.values()];
    return {
      ...this.guildPayload(),
      joined_at: this.members.get(this.ids.bot)!.joined_at,
      large: false,
      unavailable: false,
      member_count: this.members.size,
      voice_states: [],
      members: [this.members.get(this.ids.bot)!],
      channels: all.filter((c) => !isThread(c)),
      threads: all.filter((c) => isThread(c) && !c.thread_metadata?.archived),
      presences: [],
      stage_instances: [],
      guild_scheduled_events: [],
      soundboard_sounds: [],
    };
  }

  /** A member's permissions in a channel (threads use their parent's overwrites). */
  permissionsOf(userId: string, channelId: string): bigint {
    const member = this.members.get(userId);
    if (!member) return 0n;
    let channel = this.channels.get(channelId);
    if (channel && isThread(channel) && channel.parent_id) channel = this.channels.get(channel.parent_id) ?? channel;
    return computePermissions({ guildId: this.ids.guild, ownerId: this.ids.owner, member, roles: this.roles, overwrites: channel?.permission_overwrites });
  }

  /** A member's guild-level permissions (no overwrites). */
  guildPermissionsOf(userId: string): bigint {
    const member = this.members.get(userId);
    if (!member) return 0n;
    return computePermissions({ guildId: this.ids.guild, ownerId: this.ids.owner, member, roles: this.roles });
  }

  private botCan(channelId: string, ...names: PermissionName[]): boolean {
    const permissions = this.permissionsOf(this.ids.bot, channelId);
    return names.every((name) => (permissions & PERMISSIONS[name]) !== 0n);
  }

  /** Adds a channel (or thread) to the guild and tells connected bots (CHANNEL_CREATE). */
  addChannel(channel: Partial<LocalChannel> & { name: string }): LocalChannel {
    const c: LocalChannel = { id: this.newId(), type: CHANNEL_TYPES.GUILD_TEXT, guild_id: this.ids.guild, position: this.channels.size, parent_id: null, permission_overwrites: [], topic: null, nsfw: false, last_message_id: null, rate_limit_per_user: 0, flags: 0, ...channel };
    this.channels.set(c.id, c);
    this.channelOrder.set(c.id, this.channelOrder.get(c.id) ?? []);
    this.gateway.dispatch(isThread(c) ? 'THREAD_CREATE' : 'CHANNEL_CREATE', c, INTENTS.GUILDS);
    return c;
  }

  /** Replaces a channel's permission overwrites (for example, to deny the bot's role SEND_MESSAGES). */
  setOverwrites(channelId: string, overwrites: Overwrite[]): void {
    const channel = this.channels.get(channelId);
    if (!channel) throw new Error(`no channel ${channelId}`);
    channel.permission_overwrites = overwrites;
    this.gateway.dispatch(isThread(channel) ? 'THREAD_UPDATE' : 'CHANNEL_UPDATE', channel, INTENTS.GUILDS);
  }

  /** Messages of a channel, oldest first (ephemeral messages are never in a channel). */
  channelMessages(channelId: string): LocalMessage[] {
    return (this.channelOrder.get(channelId) ?? []).map((id) => this.messages.get(id)).filter((m): m is LocalMessage => m !== undefined);
  }

  /** Posts a message as a member (so a test can, for example, run a message command on it). */
  postAsUser(userId: string, channelId: string, content: string): LocalMessage {
    const author = this.users.get(userId);
    if (!author) throw new Error(`no user ${userId}`);
    const message = this.storeMessage({ channelId, author, body: { content }, files: [], visible: true });
    return message;
  }

  // ---------------------------------------------------------------------------------------------------
  // Interactions (the driver creates them; the bot answers through the REST routes below)

  createInteraction(payload: Json & { type: number; channel_id: string }, userId: string, sourceMessageId?: string): InteractionRecord {
    const id = this.newId();
    const token = Buffer.from(`interaction:${id}:${randomBytes(24).toString('hex')}`).toString('base64url');
    const record: InteractionRecord = {
      id,
      token,
      type: payload.type,
      payload: { ...payload, id, token, application_id: this.ids.application, version: 1 },
      createdAt: this.now(),
      channelId: payload.channel_id,
      userId,
      acknowledged: false,
      rejected: [],
      originalDeleted: false,
      sourceMessageId,
      followUpIds: [],
      lastActivity: Date.now(),
      webhookWrites: 0,
      timing: { sent: 0 },
    };
    this.interactions.set(id, record);
    this.byToken.set(token, record);
    record.timing.sent = performance.now();
    this.gateway.dispatch('INTERACTION_CREATE', record.payload);
    this.changed();
    return record;
  }

  private interactionCallback(ctx: RequestContext): unknown {
    const record = this.interactions.get(ctx.params.interaction!);
    const type = ctx.body.type;
    const reject = (error: DiscordHttpError) => {
      record?.rejected.push({ type, status: error.status, code: error.body.code, at: this.now() });
      return error;
    };
    if (!record || record.token !== ctx.params.token) throw ERRORS.unknownInteraction();
    record.lastActivity = Date.now();
    if (this.now() - record.createdAt > this.options.interactionDeadlineMs) throw reject(ERRORS.unknownInteraction());
    if (record.acknowledged) throw reject(ERRORS.alreadyAcknowledged());
    const data = (ctx.body.data ?? {}) as Json;
    const isComponent = record.type === 3;
    const isModalSubmit = record.type === 5;
    const isAutocomplete = record.type === 4;
    const invalidType = () => reject(formError('type', 'INTERACTION_RESPONSE_TYPE_INVALID', `Interaction response type ${String(type)} is not valid for interaction type ${record.type}`));
    let message: LocalMessage | undefined;
    switch (type) {
      case 4: {
        if (isAutocomplete) throw invalidType();
        const error = checkMessage(data, { isEdit: false, fileCount: ctx.files.length });
        if (error) throw reject(error);
        message = this.interactionMessage(record, data, ctx.files, (data.flags as number | undefined) ?? 0);
        record.originalId = message.id;
        break;
      }
      case 5: {
        if (isAutocomplete) throw invalidType();
        const flags = ((data.flags as number | undefined) ?? 0) & MESSAGE_FLAGS.EPHEMERAL;
        message = this.interactionMessage(record, { content: '' }, [], flags | MESSAGE_FLAGS.LOADING);
        record.originalId = message.id;
        break;
      }
      case 6:
      case 7: {
        if (!isComponent && !(isModalSubmit && record.sourceMessageId)) throw invalidType();
        const source = record.sourceMessageId ? this.messages.get(record.sourceMessageId) : undefined;
        if (!source) throw reject(ERRORS.unknownMessage());
        if (type === 7) {
          const error = checkMessage(data, { isEdit: true, fileCount: ctx.files.length, existing: source });
          if (error) throw reject(error);
          this.applyEdit(source, data, ctx.files);
        }
        record.originalId = source.id;
        message = source;
        break;
      }
      case 8: {
        if (!isAutocomplete) throw invalidType();
        const error = checkChoices(data);
        if (error) throw reject(error);
        break;
      }
      case 9: {
        if (isAutocomplete || isModalSubmit) throw invalidType();
        const error = checkModal(data);
        if (error) throw reject(error);
        break;
      }
      default:
        throw invalidType();
    }
    record.acknowledged = true;
    record.callback = { type, data, at: this.now() };
    record.timing.responded = performance.now();
    if (type !== 5 && type !== 6) record.timing.replied = record.timing.responded;
    if (ctx.query.get('with_response') !== 'true') {
      ctx.status = 204;
      return undefined;
    }
    return {
      interaction: {
        id: record.id,
        type: record.type,
        response_message_id: message?.id,
        response_message_loading: type === 5,
        response_message_ephemeral: message ? (message.flags & MESSAGE_FLAGS.EPHEMERAL) !== 0 : undefined,
      },
      resource: { type, ...(message ? { message: this.publicMessage(message) } : {}) },
    };
  }

  private interactionMessage(record: InteractionRecord, data: Json, files: RecordedFile[], flags: number): LocalMessage {
    const bot = this.users.get(this.ids.bot)!;
    const ephemeral = (flags & MESSAGE_FLAGS.EPHEMERAL) !== 0;
    const commandType = (record.payload.data as Json | undefined)?.type;
    const messageType = record.type === 2 ? (commandType === 1 ? 20 : 23) : 19;
    const user = this.users.get(record.userId);
    return this.storeMessage({
      channelId: record.channelId,
      author: bot,
      body: { ...data, flags },
      files,
      visible: !ephemeral,
      extra: {
        webhook_id: this.ids.application,
        application_id: this.ids.application,
        type: messageType,
        interaction_metadata: { id: record.id, type: record.type, user, authorizing_integration_owners: { '0': this.ids.guild }, ...(record.type === 2 ? { name: (record.payload.data as Json).name } : {}) },
      },
    });
  }

  private storeMessage(options: { channelId: string; author: LocalUser; body: Json; files: RecordedFile[]; visible: boolean; extra?: Partial<LocalMessage> }): LocalMessage {
    const { body } = options;
    const id = this.newId();
    const message: LocalMessage = {
      id,
      channel_id: options.channelId,
      guild_id: this.ids.guild,
      author: options.author,
      content: typeof body.content === 'string' ? body.content : '',
      embeds: ((body.embeds as Json[] | undefined) ?? []).map((e) => ({ type: 'rich', ...e })),
      components: (body.components as Json[] | undefined) ?? [],
      attachments: this.attachments(options.files, body.attachments as Json[] | undefined),
      flags: (body.flags as number | undefined) ?? 0,
      timestamp: new Date(this.now()).toISOString(),
      edited_timestamp: null,
      type: 0,
      tts: false,
      mention_everyone: false,
      mentions: [],
      mention_roles: [],
      pinned: false,
      ...(body.nonce !== undefined && body.nonce !== null ? { nonce: body.nonce as string } : {}),
      ...(body.message_reference ? { message_reference: body.message_reference as Json } : {}),
      ...options.extra,
    };
    this.messages.set(id, message);
    if (options.visible) {
      const order = this.channelOrder.get(options.channelId) ?? [];
      order.push(id);
      this.channelOrder.set(options.channelId, order);
      const channel = this.channels.get(options.channelId);
      if (channel) {
        channel.last_message_id = id;
        if (isThread(channel)) {
          channel.message_count = (channel.message_count ?? 0) + 1;
          channel.total_message_sent = (channel.total_message_sent ?? 0) + 1;
        }
      }
      this.gateway.dispatch('MESSAGE_CREATE', this.publicMessage(message), INTENTS.GUILD_MESSAGES);
    }
    return message;
  }

  private attachments(files: RecordedFile[], described: Json[] | undefined): Attachment[] {
    return files.map((file, index) => {
      const id = this.newId();
      const meta = described?.find((a) => String(a.id) === String(index));
      return {
        id,
        filename: file.name,
        size: file.size,
        url: `${this.baseUrl}/attachments/${id}/${encodeURIComponent(file.name)}`,
        proxy_url: `${this.baseUrl}/attachments/${id}/${encodeURIComponent(file.name)}`,
        content_type: file.contentType,
        ...(typeof meta?.description === 'string' ? { description: meta.description } : {}),
        data: file.data,
      };
    });
  }

  private applyEdit(message: LocalMessage, body: Json, files: RecordedFile[]): void {
    if (body.content !== undefined) message.content = typeof body.content === 'string' ? body.content : '';
    if (body.embeds !== undefined) message.embeds = ((body.embeds as Json[] | null) ?? []).map((e) => ({ type: 'rich', ...e }));
    if (body.components !== undefined) message.components = (body.components as Json[] | null) ?? [];
    if (body.attachments !== undefined || files.length > 0) {
      const keep = body.attachments === undefined ? message.attachments : message.attachments.filter((a) => ((body.attachments as Json[] | null) ?? []).some((k) => String(k.id) === a.id));
      message.attachments = [...keep, ...this.attachments(files, body.attachments as Json[] | undefined)];
    }
    if (typeof body.flags === 'number') {
      const fixed = message.flags & (MESSAGE_FLAGS.EPHEMERAL | MESSAGE_FLAGS.IS_COMPONENTS_V2);
      message.flags = fixed | (body.flags & MESSAGE_FLAGS.SUPPRESS_EMBEDS);
    }
    message.flags &= ~MESSAGE_FLAGS.LOADING;
    message.edited_timestamp = new Date(this.now()).toISOString();
  }

  /** A message as Discord returns it (without the local-only attachment bytes). */
  publicMessage(message: LocalMessage): Json {
    return { ...message, attachments: message.attachments.map(({ data: _data, ...rest }) => rest) };
  }

  private deleteMessage(message: LocalMessage): void {
    this.messages.delete(message.id);
    const order = this.channelOrder.get(message.channel_id);
    if (order) {
      const index = order.indexOf(message.id);
      if (index >= 0) order.splice(index, 1);
    }
  }

  private interactionByWebhook(ctx: RequestContext): InteractionRecord {
    const record = this.byToken.get(ctx.params.token!);
    if (!record || ctx.params.application !== this.ids.application) throw ERRORS.unknownWebhook();
    if (this.now() - record.createdAt > this.options.interactionTokenTtlMs) throw ERRORS.invalidWebhookToken();
    record.lastActivity = Date.now();
    return record;
  }

  private webhookMessage(record: InteractionRecord, messageId: string): LocalMessage {
    if (messageId === '@original') {
      if (!record.acknowledged || record.originalDeleted || !record.originalId) throw ERRORS.unknownMessage();
      const message = this.messages.get(record.originalId);
      if (!message) throw ERRORS.unknownMessage();
      return message;
    }
    if (!record.followUpIds.includes(messageId) && record.originalId !== messageId) throw ERRORS.unknownMessage();
    const message = this.messages.get(messageId);
    if (!message) throw ERRORS.unknownMessage();
    return message;
  }

  private editCheckedMessage(message: LocalMessage, ctx: RequestContext): Json {
    const channel = this.channels.get(message.channel_id);
    if (channel?.thread_metadata?.archived && (message.flags & MESSAGE_FLAGS.EPHEMERAL) === 0) throw ERRORS.archivedThread();
    const error = checkMessage(ctx.body, { isEdit: true, fileCount: ctx.files.length, existing: message });
    if (error) throw error;
    this.applyEdit(message, ctx.body, ctx.files);
    return this.publicMessage(message);
  }

  // ---------------------------------------------------------------------------------------------------
  // HTTP

  private route(method: string, template: string, handler: Handler, auth = true): void {
    this.routes.push({ method, template, parts: template.split('/'), auth, handler });
  }

  private match(method: string, path: string): { route: Route; params: Record<string, string> } | undefined {
    const parts = path.split('/');
    for (const route of this.routes) {
      if (route.method !== method || route.parts.length !== parts.length) continue;
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < parts.length && ok; i += 1) {
        const want = route.parts[i]!;
        const got = parts[i]!;
        if (want.startsWith(':')) params[want.slice(1)] = got;
        else ok = want === got;
      }
      if (ok) return { route, params };
    }
    return undefined;
  }

  private templateFor(method: string, path: string): string {
    return this.match(method, path)?.route.template ?? path;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = (req.method ?? 'GET').toUpperCase();
    this.lastRequestAt = Date.now();
    const raw = await readBody(req);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (name === 'authorization' || value === undefined) continue;
      headers[name] = Array.isArray(value) ? value.join(', ') : value;
    }
    let path = url.pathname;
    const versioned = /^\/api\/v10(\/.*)?$/.exec(path);
    const attachment = /^\/attachments\/(\d+)\//.exec(path);
    if (method === 'GET' && attachment) return this.serveAttachment(attachment[1]!, res);
    path = versioned ? decodeURIComponent(versioned[1] ?? '/') : decodeURIComponent(path);
    const query: Record<string, string> = Object.fromEntries(url.searchParams.entries());
    const record: RecordedRequest = { seq: ++this.seq, at: this.now(), method, path, route: this.templateFor(method, path), query, headers, body: undefined, files: [], status: 0, response: undefined, faulted: false };
    let status: number;
    let response: unknown;
    let extraHeaders: Record<string, string> = {};
    let delayMs = 0;
    try {
      const parsed = await parseBody(raw, req.headers['content-type']);
      record.body = parsed.body;
      record.files = parsed.files;
      this.recorded.push(record);
      const fault = this.faults.take(method, path);
      if (fault) delayMs = fault.delayMs ?? 0;
      if (fault?.status !== undefined) {
        record.faulted = true;
        status = fault.status;
        response = fault.body ?? defaultFaultBody(fault);
        extraHeaders = fault.headers ?? {};
      } else if (!versioned) {
        throw notFound();
      } else {
        const matched = this.match(method, path);
        if (!matched) throw notFound();
        if (matched.route.auth && req.headers.authorization !== `Bot ${this.options.token}`) throw unauthorized();
        if (parsed.files.some((file) => file.size > this.options.attachmentSizeLimit)) throw apiError(413, 40005, 'Request entity too large');
        const ctx: RequestContext = { method, params: matched.params, query: url.searchParams, body: (parsed.body ?? {}) as Json, files: parsed.files, headers };
        response = matched.route.handler(ctx);
        status = ctx.status ?? (response === undefined ? 204 : 200);
      }
    } catch (error) {
      if (!(error instanceof DiscordHttpError)) {
        status = 500;
        response = { message: `local Discord failed: ${error instanceof Error ? error.message : String(error)}`, code: 0 };
      } else {
        status = error.status;
        response = error.body;
        extraHeaders = error.headers;
      }
      if (!this.recorded.includes(record)) this.recorded.push(record);
    }
    record.status = status;
    record.response = response;
    this.lastRequestAt = Date.now();
    this.changed();
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    if (res.destroyed) return;
    const payload = response === undefined || status === 204 ? '' : JSON.stringify(response);
    res.writeHead(status, { ...(payload ? { 'content-type': 'application/json' } : {}), ...extraHeaders });
    res.end(payload);
  }

  private serveAttachment(id: string, res: ServerResponse): void {
    for (const message of this.messages.values()) {
      const found = message.attachments.find((a) => a.id === id);
      if (found?.data) {
        res.writeHead(200, { 'content-type': found.content_type ?? 'application/octet-stream' });
        res.end(found.data);
        return;
      }
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ message: '404: Not Found', code: 0 }));
  }

  // ---------------------------------------------------------------------------------------------------
  // Routes

  private channelOr404(id: string | undefined): LocalChannel {
    const channel = id ? this.channels.get(id) : undefined;
    if (!channel) throw ERRORS.unknownChannel();
    return channel;
  }

  private messageOr404(channel: LocalChannel, id: string | undefined): LocalMessage {
    const message = id ? this.messages.get(id) : undefined;
    if (!message || message.channel_id !== channel.id || (message.flags & MESSAGE_FLAGS.EPHEMERAL) !== 0) throw ERRORS.unknownMessage();
    return message;
  }

  private guildOr404(id: string | undefined): void {
    if (id !== this.ids.guild) throw ERRORS.unknownGuild();
  }

  private requireView(channel: LocalChannel): void {
    if (!this.botCan(channel.id, 'VIEW_CHANNEL')) throw ERRORS.missingAccess();
  }

  private defineRoutes(): void {
    const r = this.route.bind(this);
    const bot = () => this.users.get(this.ids.bot)!;

    r('GET', '/gateway', () => ({ url: this.gateway.url }), false);
    r('GET', '/gateway/bot', () => ({ url: this.gateway.url, shards: 1, session_start_limit: { total: 1000, remaining: 999, reset_after: 86_400_000, max_concurrency: 1 } }));
    r('GET', '/users/@me', () => bot());
    r('GET', '/users/:user', (ctx) => this.users.get(ctx.params.user!) ?? (() => { throw ERRORS.unknownUser(); })());
    const application = () => ({ id: this.ids.application, name: 'reading-circle', icon: null, description: 'A reading group bot (local)', bot_public: false, bot_require_code_grant: false, verify_key: 'local', flags: 0, owner: this.users.get(this.ids.owner), team: null, bot: bot(), approximate_guild_count: 1 });
    r('GET', '/applications/@me', application);
    r('GET', '/oauth2/applications/@me', application);

    // Application commands, global and per guild.
    for (const scope of ['global', 'guild'] as const) {
      const base = scope === 'global' ? '/applications/:application/commands' : '/applications/:application/guilds/:guild/commands';
      const store = (ctx: RequestContext) => {
        if (ctx.params.application !== this.ids.application) throw apiErrorUnknownApplication();
        if (scope === 'guild') this.guildOr404(ctx.params.guild);
        const key = scope === 'global' ? 'global' : ctx.params.guild!;
        const map = this.commands.get(key) ?? new Map<string, Json>();
        this.commands.set(key, map);
        return { map, guildId: scope === 'guild' ? ctx.params.guild : undefined };
      };
      r('GET', base, (ctx) => [...store(ctx).map.values()]);
      r('PUT', base, (ctx) => {
        const { map, guildId } = store(ctx);
        const list = (Array.isArray(ctx.body) ? ctx.body : []) as Json[];
        if (!Array.isArray(ctx.body)) throw formError('_root', 'LIST_TYPE_CONVERT', 'Must be an array.');
        list.forEach((command, i) => {
          const error = checkCommand(command, String(i));
          if (error) throw error;
        });
        const next = new Map<string, Json>();
        for (const command of list) {
          const existing = [...map.values()].find((c) => c.name === command.name && (c.type ?? 1) === (command.type ?? 1));
          const normalised = this.normaliseCommand(command, guildId, existing);
          next.set(normalised.id as string, normalised);
        }
        map.clear();
        for (const [id, command] of next) map.set(id, command);
        return [...map.values()];
      });
      r('POST', base, (ctx) => {
        const { map, guildId } = store(ctx);
        const error = checkCommand(ctx.body, '_root');
        if (error) throw error;
        const existing = [...map.values()].find((c) => c.name === ctx.body.name && (c.type ?? 1) === (ctx.body.type ?? 1));
        const command = this.normaliseCommand(ctx.body, guildId, existing);
        map.set(command.id as string, command);
        ctx.status = existing ? 200 : 201;
        return command;
      });
      r('GET', `${base}/:command`, (ctx) => store(ctx).map.get(ctx.params.command!) ?? (() => { throw ERRORS.unknownCommand(); })());
      r('PATCH', `${base}/:command`, (ctx) => {
        const { map, guildId } = store(ctx);
        const existing = map.get(ctx.params.command!);
        if (!existing) throw ERRORS.unknownCommand();
        const command = this.normaliseCommand({ ...existing, ...ctx.body }, guildId, existing);
        map.set(command.id as string, command);
        return command;
      });
      r('DELETE', `${base}/:command`, (ctx) => {
        const { map } = store(ctx);
        if (!map.delete(ctx.params.command!)) throw ERRORS.unknownCommand();
        return undefined;
      });
    }

    // Interaction callback and the interaction webhook (no bot token: the interaction token authorises).
    r('POST', '/interactions/:interaction/:token/callback', (ctx) => this.interactionCallback(ctx), false);
    r('GET', '/webhooks/:application/:token/messages/:message', (ctx) => {
      const record = this.interactionByWebhook(ctx);
      return this.publicMessage(this.webhookMessage(record, ctx.params.message!));
    }, false);
    r('PATCH', '/webhooks/:application/:token/messages/:message', (ctx) => {
      const record = this.interactionByWebhook(ctx);
      const edited = this.editCheckedMessage(this.webhookMessage(record, ctx.params.message!), ctx);
      record.timing.replied ??= performance.now();
      record.webhookWrites += 1;
      return edited;
    }, false);
    r('DELETE', '/webhooks/:application/:token/messages/:message', (ctx) => {
      const record = this.interactionByWebhook(ctx);
      const message = this.webhookMessage(record, ctx.params.message!);
      if (ctx.params.message === '@original' || message.id === record.originalId) record.originalDeleted = true;
      this.deleteMessage(message);
      record.webhookWrites += 1;
      return undefined;
    }, false);
    r('POST', '/webhooks/:application/:token', (ctx) => {
      const record = this.interactionByWebhook(ctx);
      if (!record.acknowledged) throw ERRORS.unknownWebhook();
      const error = checkMessage(ctx.body, { isEdit: false, fileCount: ctx.files.length });
      if (error) throw error;
      record.timing.replied ??= performance.now();
      record.webhookWrites += 1;
      const original = record.originalId ? this.messages.get(record.originalId) : undefined;
      // Discord: the first follow-up after a deferred response replaces the "thinking…" placeholder, and
      // keeps the placeholder's visibility (an ephemeral flag on the follow-up does not make it private).
      if (record.callback?.type === 5 && original && !record.originalDeleted && (original.flags & MESSAGE_FLAGS.LOADING) !== 0) {
        this.applyEdit(original, ctx.body, ctx.files);
        original.edited_timestamp = null;
        return ctx.query.get('wait') === 'false' ? undefined : this.publicMessage(original);
      }
      const flags = ((ctx.body.flags as number | undefined) ?? 0) & (MESSAGE_FLAGS.EPHEMERAL | MESSAGE_FLAGS.SUPPRESS_EMBEDS | MESSAGE_FLAGS.IS_COMPONENTS_V2);
      const message = this.interactionMessage(record, ctx.body, ctx.files, flags);
      record.followUpIds.push(message.id);
      return ctx.query.get('wait') === 'false' ? undefined : this.publicMessage(message);
    }, false);

    // Channels and messages.
    r('GET', '/channels/:channel', (ctx) => {
      const channel = this.channelOr404(ctx.params.channel);
      this.requireView(channel);
      return channel;
    });
    r('PATCH', '/channels/:channel', (ctx) => {
      const channel = this.channelOr404(ctx.params.channel);
      this.requireView(channel);
      const body = ctx.body;
      if (isThread(channel)) {
        const meta = channel.thread_metadata!;
        const ownThread = channel.owner_id === this.ids.bot;
        const manage = this.botCan(channel.id, 'MANAGE_THREADS');
        if (!manage && (!ownThread || body.locked !== undefined)) throw ERRORS.missingPermissions();
        if (meta.locked && !manage) throw ERRORS.archivedThread();
        if (typeof body.name === 'string') channel.name = body.name;
        if (typeof body.archived === 'boolean' && body.archived !== meta.archived) {
          meta.archived = body.archived;
          meta.archive_timestamp = new Date(this.now()).toISOString();
        }
        if (typeof body.locked === 'boolean') meta.locked = body.locked;
        if (typeof body.auto_archive_duration === 'number') meta.auto_archive_duration = body.auto_archive_duration;
        this.gateway.dispatch('THREAD_UPDATE', channel, INTENTS.GUILDS);
      } else {
        if (!this.botCan(channel.id, 'MANAGE_CHANNELS')) throw ERRORS.missingPermissions();
        if (typeof body.name === 'string') channel.name = body.name;
        if (body.topic !== undefined) channel.topic = body.topic as string | null;
        this.gateway.dispatch('CHANNEL_UPDATE', channel, INTENTS.GUILDS);
      }
      return channel;
    });
    r('DELETE', '/channels/:channel', (ctx) => {
      const channel = this.channelOr404(ctx.params.channel);
      this.requireView(channel);
      if (!this.botCan(channel.id, isThread(channel) ? 'MANAGE_THREADS' : 'MANAGE_CHANNELS')) throw ERRORS.missingPermissions();
      this.channels.delete(channel.id);
      this.gateway.dispatch(isThread(channel) ? 'THREAD_DELETE' : 'CHANNEL_DELETE', { id: channel.id, guild_id: channel.guild_id, parent_id: channel.parent_id, type: channel.type }, INTENTS.GUILDS);
      return channel;
    });
    r('GET', '/channels/:channel/messages', (ctx) => {
      const channel = this.channelOr404(ctx.params.channel);
      this.requireView(channel);
      if (!this.botCan(channel.id, 'READ_MESSAGE_HISTORY')) return [];
      const limit = Number(ctx.query.get('limit') ?? 50);
      if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw formError('limit', 'NUMBER_TYPE_MAX', 'int value should be between 1 and 100.');
      let list = this.channelMessages(channel.id).reverse(); // newest first
      const before = ctx.query.get('before');
      const after = ctx.query.get('after');
      if (before) list = list.filter((m) => BigInt(m.id) < BigInt(before));
      if (after) list = list.filter((m) => BigInt(m.id) > BigInt(after)).reverse().slice(0, limit).reverse();
      return list.slice(0, limit).map((m) => this.publicMessage(m));
    });
    r('GET', '/channels/:channel/messages/:message', (ctx) => {
      const channel = this.channelOr404(ctx.params.channel);
      this.requireView(channel);
      if (!this.botCan(channel.id, 'READ_MESSAGE_HISTORY')) throw ERRORS.missingAccess();
      return this.publicMessage(this.messageOr404(channel, ctx.params.message));
    });
    r('POST', '/channels/:channel/messages', (ctx) => {
      const channel = this.channelOr404(ctx.params.channel);
      this.requireView(channel);
      if (!this.botCan(channel.id, isThread(channel) ? 'SEND_MESSAGES_IN_THREADS' : 'SEND_MESSAGES')) throw ERRORS.missingPermissions();
      if (ctx.files.length > 0 && !this.botCan(channel.id, 'ATTACH_FILES')) throw ERRORS.missingPermissions();
      const error = checkMessage(ctx.body, { isEdit: false, fileCount: ctx.files.length });
      if (error) throw error;
      const meta = channel.thread_metadata;
      if (meta?.archived) {
        if (meta.locked && !this.botCan(channel.id, 'MANAGE_THREADS')) throw ERRORS.archivedThread();
        meta.archived = false; // sending a message unarchives a thread that is not locked
        meta.archive_timestamp = new Date(this.now()).toISOString();
        this.gateway.dispatch('THREAD_UPDATE', channel, INTENTS.GUILDS);
      }
      const nonce = ctx.body.nonce;
      const nonceKey = `${this.ids.bot}:${String(nonce)}`;
      if (ctx.body.enforce_nonce === true && nonce !== undefined && nonce !== null) {
        const seen = this.nonces.get(nonceKey);
        const existing = seen && this.now() - seen.at < 5 * 60_000 ? this.messages.get(seen.messageId) : undefined;
        if (existing) return this.publicMessage(existing);
      }
      const message = this.storeMessage({ channelId: channel.id, author: bot(), body: ctx.body, files: ctx.files, visible: true });
      if (nonce !== undefined && nonce !== null) this.nonces.set(nonceKey, { messageId: message.id, at: this.now() });
      return this.publicMessage(message);
    });
    r('PATCH', '/channels/:channel/messages/:message', (ctx) => {
      const channel = this.channelOr404(ctx.params.channel);
      this.requireView(channel);
      const message = this.messageOr404(channel, ctx.params.message);
      if (message.author.id !== this.ids.bot) throw apiErrorCannotEditOthers();
      return this.editCheckedMessage(message, ctx);
    });
    r('DELETE', '/channels/:channel/messages/:message', (ctx) => {
      const channel = this.channelOr404(ctx.params.channel);
      this.requireView(channel);
      const message = this.messageOr404(channel, ctx.params.message);
      if (channel.thread_metadata?.archived) throw ERRORS.archivedThread();
      if (message.author.id !== this.ids.bot && !this.botCan(channel.id, 'MANAGE_MESSAGES')) throw ERRORS.missingPermissions();
      this.deleteMessage(message);
      return undefined;
    });
    r('POST', '/channels/:channel/messages/:message/threads', (ctx) => {
      const channel = this.channelOr404(ctx.params.channel);
      this.requireView(channel);
      const message = this.messageOr404(channel, ctx.params.message);
      if (!this.botCan(channel.id, 'CREATE_PUBLIC_THREADS')) throw ERRORS.missingPermissions();
      if (this.channels.has(message.id)) throw ERRORS.threadAlreadyCreated();
      const thread = this.createThread(channel, ctx.body, message.id);
      message.thread = thread;
      return thread;
    });
    r('POST', '/channels/:channel/threads', (ctx) => {
      const channel = this.channelOr404(ctx.params.channel);
      this.requireView(channel);
      const privateThread = ctx.body.type === CHANNEL_TYPES.PRIVATE_THREAD;
      if (!this.botCan(channel.id, privateThread ? 'CREATE_PRIVATE_THREADS' : 'CREATE_PUBLIC_THREADS')) throw ERRORS.missingPermissions();
      return this.createThread(channel, ctx.body, this.newId());
    });
    r('PUT', '/channels/:channel/thread-members/@me', (ctx) => {
      this.channelOr404(ctx.params.channel);
      return undefined;
    });
    r('GET', '/channels/:channel/threads/archived/public', (ctx) => {
      const channel = this.channelOr404(ctx.params.channel);
      this.requireView(channel);
      const threads = [...this.channels.values()].filter((c) => c.parent_id === channel.id && c.thread_metadata?.archived);
      return { threads, members: [], has_more: false };
    });
    r('GET', '/guilds/:guild/threads/active', (ctx) => {
      this.guildOr404(ctx.params.guild);
      const threads = [...this.channels.values()].filter((c) => isThread(c) && !c.thread_metadata?.archived);
      return { threads, members: [] };
    });

    // Guild reads.
    r('GET', '/guilds/:guild', (ctx) => {
      this.guildOr404(ctx.params.guild);
      return { ...this.guildPayload(), ...(ctx.query.get('with_counts') === 'true' ? { approximate_member_count: this.members.size, approximate_presence_count: 0 } : {}) };
    });
    r('GET', '/guilds/:guild/channels', (ctx) => {
      this.guildOr404(ctx.params.guild);
      return [...this.channels.values()].filter((c) => !isThread(c));
    });
    r('GET', '/guilds/:guild/roles', (ctx) => {
      this.guildOr404(ctx.params.guild);
      return [...this.roles.values()];
    });
    r('GET', '/guilds/:guild/roles/:role', (ctx) => {
      this.guildOr404(ctx.params.guild);
      return this.roles.get(ctx.params.role!) ?? (() => { throw ERRORS.unknownRole(); })();
    });
    r('GET', '/guilds/:guild/members/:user', (ctx) => {
      this.guildOr404(ctx.params.guild);
      return this.members.get(ctx.params.user === '@me' ? this.ids.bot : ctx.params.user!) ?? (() => { throw ERRORS.unknownMember(); })();
    });
    r('GET', '/guilds/:guild/members', (ctx) => {
      this.guildOr404(ctx.params.guild);
      const limit = Number(ctx.query.get('limit') ?? 1);
      return [...this.members.values()].slice(0, limit);
    });
  }

  private createThread(parent: LocalChannel, body: Json, id: string): LocalChannel {
    const name = typeof body.name === 'string' ? body.name : '';
    if (name.length < 1 || name.length > 100) throw formError('name', 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 100 in length.');
    const duration = (body.auto_archive_duration as number | undefined) ?? 4320;
    if (![60, 1440, 4320, 10080].includes(duration)) throw formError('auto_archive_duration', 'BASE_TYPE_CHOICES', 'Value must be one of {60, 1440, 4320, 10080}.');
    const now = new Date(this.now()).toISOString();
    const thread: LocalChannel = {
      id,
      type: (body.type as number | undefined) ?? CHANNEL_TYPES.PUBLIC_THREAD,
      guild_id: this.ids.guild,
      name,
      position: 0,
      parent_id: parent.id,
      permission_overwrites: [],
      owner_id: this.ids.bot,
      last_message_id: null,
      rate_limit_per_user: (body.rate_limit_per_user as number | undefined) ?? 0,
      message_count: 0,
      member_count: 1,
      total_message_sent: 0,
      flags: 0,
      thread_metadata: { archived: false, auto_archive_duration: duration, archive_timestamp: now, locked: false, create_timestamp: now },
    };
    this.channels.set(thread.id, thread);
    this.channelOrder.set(thread.id, []);
    this.gateway.dispatch('THREAD_CREATE', { ...thread, newly_created: true }, INTENTS.GUILDS);
    return thread;
  }

  /** A command as Discord returns it: ids, version, and defaults filled in; false defaults dropped. */
  private normaliseCommand(command: Json, guildId: string | undefined, existing: Json | undefined): Json {
    const type = (command.type as number | undefined) ?? 1;
    const permissions = command.default_member_permissions;
    const out: Json = {
      id: existing?.id ?? this.newId(),
      application_id: this.ids.application,
      version: existing && JSON.stringify(stripVolatile(existing)) === JSON.stringify(stripVolatile({ ...command })) ? existing.version : this.newId(),
      default_member_permissions: typeof permissions === 'string' || typeof permissions === 'number' || typeof permissions === 'bigint' ? String(permissions) : null,
      type,
      name: command.name,
      description: type === 1 ? (command.description ?? '') : '',
      dm_permission: command.dm_permission ?? true,
      contexts: command.contexts ?? null,
      integration_types: command.integration_types ?? [0],
      nsfw: command.nsfw ?? false,
      ...(guildId ? { guild_id: guildId } : {}),
    };
    if (command.name_localizations && Object.keys(command.name_localizations).length > 0) out.name_localizations = command.name_localizations;
    if (command.description_localizations && Object.keys(command.description_localizations).length > 0) out.description_localizations = command.description_localizations;
    const options = (command.options as Json[] | undefined) ?? [];
    if (type === 1 && options.length > 0) out.options = options.map(normaliseOption);
    return out;
  }
}

function stripVolatile(command: Json): Json {
  const { id: _id, version: _version, application_id: _app, guild_id: _guild, ...rest } = command;
  return rest;
}

function normaliseOption(option: Json): Json {
  const out: Json = {};
  for (const [key, value] of Object.entries(option)) {
    if (value === undefined || value === null) continue;
    if ((key === 'required' || key === 'autocomplete') && value === false) continue;
    if ((key === 'name_localizations' || key === 'description_localizations') && typeof value === 'object' && Object.keys(value).length === 0) continue;
    if (key === 'options' && Array.isArray(value)) {
      if (value.length > 0) out.options = (value as Json[]).map(normaliseOption);
      continue;
    }
    out[key] = value;
  }
  return out;
}

const apiErrorUnknownApplication = () => new DiscordHttpError(404, { message: 'Unknown Application', code: 10002 });
const apiErrorCannotEditOthers = () => new DiscordHttpError(403, { message: 'Cannot edit a message authored by another user', code: 50005 });

/** Discord's checks on a command definition: names, descriptions, 25 options, 25 choices. */
function checkCommand(command: Json, at: string): DiscordHttpError | undefined {
  const type = (command.type as number | undefined) ?? 1;
  const name = typeof command.name === 'string' ? command.name : '';
  if (name.length < 1 || name.length > 32) return formError(`${at}.name`, 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 32 in length.');
  if (type === 1 && !/^[-_'\p{L}\p{N}]{1,32}$/u.test(name)) return formError(`${at}.name`, 'APPLICATION_COMMAND_INVALID_NAME', 'Command name is invalid');
  if (type === 1 && name !== name.toLowerCase()) return formError(`${at}.name`, 'APPLICATION_COMMAND_INVALID_NAME', 'Command name is invalid');
  const description = typeof command.description === 'string' ? command.description : '';
  if (type === 1 && (description.length < 1 || description.length > 100)) return formError(`${at}.description`, 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 100 in length.');
  const check = (options: Json[], path: string): DiscordHttpError | undefined => {
    if (options.length > 25) return formError(`${path}.options`, 'BASE_TYPE_MAX_LENGTH', 'Must be 25 or fewer in length.');
    for (const [i, option] of options.entries()) {
      const p = `${path}.options.${i}`;
      const optionName = typeof option.name === 'string' ? option.name : '';
      if (!/^[-_'\p{Ll}\p{Lo}\p{N}]{1,32}$/u.test(optionName)) return formError(`${p}.name`, 'APPLICATION_COMMAND_INVALID_NAME', 'Command name is invalid');
      const optionDescription = typeof option.description === 'string' ? option.description : '';
      if (optionDescription.length < 1 || optionDescription.length > 100) return formError(`${p}.description`, 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 100 in length.');
      const choices = (option.choices as Json[] | undefined) ?? [];
      if (choices.length > 25) return formError(`${p}.choices`, 'BASE_TYPE_MAX_LENGTH', 'Must be 25 or fewer in length.');
      if (choices.length > 0 && option.autocomplete === true) return formError(`${p}.autocomplete`, 'APPLICATION_COMMAND_OPTION_AUTOCOMPLETE_CHOICES', 'Autocomplete cannot be set with choices');
      const nested = check((option.options as Json[] | undefined) ?? [], p);
      if (nested) return nested;
    }
    return undefined;
  };
  return check((command.options as Json[] | undefined) ?? [], at);
}

function defaultFaultBody(fault: FaultSpec): unknown {
  if (fault.status === 429) {
    const retryAfter = Number(fault.headers?.['retry-after'] ?? 1);
    return { message: 'You are being rate limited.', retry_after: retryAfter, global: fault.headers?.['x-ratelimit-global'] === 'true' };
  }
  if (fault.status === 204) return undefined;
  return { message: `${fault.status ?? 500}: injected fault`, code: 0 };
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function parseBody(raw: Buffer, contentType: string | undefined): Promise<{ body: unknown; files: RecordedFile[] }> {
  if (raw.length === 0) return { body: undefined, files: [] };
  if (contentType?.startsWith('multipart/form-data')) {
    const form = await new Response(new Uint8Array(raw), { headers: { 'content-type': contentType } }).formData();
    const files: RecordedFile[] = [];
    let body: unknown;
    for (const [field, value] of form.entries()) {
      if (typeof value === 'string') {
        if (field === 'payload_json') body = JSON.parse(value) as unknown;
        continue;
      }
      const data = Buffer.from(await value.arrayBuffer());
      files.push({ field, name: value.name, contentType: value.type || 'application/octet-stream', size: data.length, data });
    }
    return { body, files };
  }
  try {
    return { body: JSON.parse(raw.toString('utf8')) as unknown, files: [] };
  } catch {
    throw formError('_root', 'JSON_DECODE', 'The request body contains invalid JSON.');
  }
}
