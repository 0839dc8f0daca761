import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ChangeSignal } from './changes.js';
import { DirectMessages } from './dms.js';
import { FaultInjector } from './faults.js';
import { INTENTS, LocalGateway } from './gateway.js';
import { handleRequest } from './http.js';
import { InteractionRegistry, type InteractionRecord } from './interactions.js';
import { MessageStore } from './messages.js';
import { CHANNEL_TYPES, isThread, snowflakes, type Json, type LocalChannel, type LocalMember, type LocalMessage, type LocalRole, type LocalUser, type Overwrite, type PermissionName } from './model.js';
import { RequestRecorder, type RecordedRequest } from './recording.js';
import { Router } from './router.js';
import { channelRoutes } from './routes/channels.js';
import { commandRoutes } from './routes/commands.js';
import { dmRoutes } from './routes/dms.js';
import { guildRoutes } from './routes/guild.js';
import { interactionRoutes } from './routes/interactions.js';
import { messageRoutes } from './routes/messages.js';
import { threadRoutes } from './routes/threads.js';
import { userRoutes } from './routes/users.js';
import { DEFAULT_BOT_PERMISSIONS, guildCreatePayload, guildPayload, guildPermissionsOf, permissionsOf, seedWorld, type Ids } from './world.js';

/**
 * The local Discord: one guild, a few channels, roles and members, the bot's application, and Discord API
 * v10 over HTTP (under /api/v10) and the WebSocket gateway, on 127.0.0.1 with a random port. It records
 * every request, enforces the limits a bot could get wrong, and lets tests inject faults per route.
 * The interaction driver (driver.ts) and the renderer (render.ts) build on it.
 *
 * This file holds the state and wires the parts together: world.ts (seed guild, permissions), messages.ts
 * (message store), dms.ts (DM channels), interactions.ts (interaction records), recording.ts, changes.ts (waitFor), http.ts
 * (request handling, faults, error shape), router.ts, and the routes under routes/.
 */

export type { RecordedFile, RecordedRequest } from './recording.js';
export type { InteractionRecord } from './interactions.js';
export type { Ids } from './world.js';

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
  /**
   * Makes the world's ids (server, channels, roles, people) as of this instant (ms since epoch), so they are
   * the same in every run: the playground's kept database then finds its own server again. Default: now.
   */
  worldIdsAt?: number;
  /**
   * Whether the bot user starts as a member of the guild (default true). False: the app is installed with the
   * `applications.commands` scope only. See LocalDiscordServer.setBotInGuild.
   */
  botInGuild?: boolean;
}

export class LocalDiscordServer {
  readonly options: Required<Omit<LocalDiscordOptions, 'botPermissions' | 'port' | 'worldIdsAt' | 'botInGuild'>> & { port: number };
  readonly faults = new FaultInjector();
  readonly gateway: LocalGateway;
  private readonly signal = new ChangeSignal();
  readonly events = this.signal.events;
  readonly users = new Map<string, LocalUser>();
  readonly members = new Map<string, LocalMember>();
  readonly roles = new Map<string, LocalRole>();
  readonly channels = new Map<string, LocalChannel>();
  readonly store = new MessageStore(this);
  readonly messages: Map<string, LocalMessage> = this.store.messages;
  /** The bot's DM channels with members (and who refuses DMs). */
  readonly dms = new DirectMessages(this);
  readonly interactionRegistry = new InteractionRegistry(this);
  readonly interactions: Map<string, InteractionRecord> = this.interactionRegistry.records;
  /** Application commands: key `global` or a guild id → id → command as Discord returns it. */
  readonly commands = new Map<string, Map<string, Json>>();
  readonly ids: Ids;
  guild: Json;
  readonly recorder = new RequestRecorder();
  readonly router = new Router();
  private readonly server: Server;
  readonly newId: () => string;
  private baseUrl = '';

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
    this.newId = snowflakes(() => this.options.now());
    const worldIdsAt = options.worldIdsAt;
    this.ids = seedWorld(this, options.botPermissions ?? DEFAULT_BOT_PERMISSIONS, worldIdsAt === undefined ? this.newId : snowflakes(() => worldIdsAt));
    this.guild = {};
    this.gateway = new LocalGateway(
      {
        token: () => this.options.token,
        ready: () => ({ user: this.users.get(this.ids.bot)!, application: { id: this.ids.application, flags: 0 }, guilds: this.botInGuild ? [guildCreatePayload(this)] : [] }),
        onChange: () => this.changed(),
      },
      { heartbeatIntervalMs: this.options.heartbeatIntervalMs },
    );
    if (options.botInGuild === false) this.setBotInGuild(false);
    for (const routes of [userRoutes, dmRoutes, commandRoutes, interactionRoutes, channelRoutes, messageRoutes, threadRoutes, guildRoutes]) routes(this.router.add, this);
    this.server = createServer((req, res) => void handleRequest(this, req, res));
    this.gateway.attach(this.server);
  }

  now(): number {
    return this.options.now();
  }

  /** The bot user's member while it is out of the guild, to put back as it was. */
  private botMemberAway: LocalMember | undefined;

  /** Whether the bot user is a member of the guild (it was invited with the `bot` scope and not kicked). */
  get botInGuild(): boolean {
    return this.members.has(this.ids.bot);
  }

  /**
   * Takes the bot user out of the guild or puts it back, as Discord does when it is kicked or invited again. Out
   * of it, the app can still be installed there (the `applications.commands` scope alone, or a kick that left
   * the integration): members' interactions still arrive, with the guild's id, and are answered through their
   * tokens; but READY lists no guild and no GUILD_CREATE follows, and the bot's REST calls in the guild meet 403
   * 50001 Missing Access. A connected session is sent GUILD_DELETE or GUILD_CREATE, as Discord sends them.
   */
  setBotInGuild(inGuild: boolean): void {
    if (inGuild === this.botInGuild) return;
    if (inGuild) {
      this.members.set(this.ids.bot, this.botMemberAway!);
      this.botMemberAway = undefined;
      this.gateway.dispatch('GUILD_CREATE', guildCreatePayload(this), INTENTS.GUILDS);
    } else {
      this.botMemberAway = this.members.get(this.ids.bot);
      this.members.delete(this.ids.bot);
      this.gateway.dispatch('GUILD_DELETE', { id: this.ids.guild }, INTENTS.GUILDS);
    }
    this.changed();
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
    return this.recorder.requests;
  }

  /** Real time (Date.now) of the last HTTP request received or answered, for "settled" checks. */
  get lastRequestAt(): number {
    return this.recorder.lastRequestAt;
  }

  /** Signals that something changed (a request was answered, an event sent); waiters re-check. */
  changed(): void {
    this.signal.changed();
  }

  /** Resolves once `predicate` returns a value other than undefined/false, re-checked on every change. */
  waitFor<T>(predicate: () => T | undefined | false, options: { timeoutMs?: number; what?: string } = {}): Promise<T> {
    return this.signal.waitFor(predicate, options);
  }

  // ---------------------------------------------------------------------------------------------------
  // The world (tests and the driver change it directly)

  guildPayload(): Json {
    return guildPayload(this);
  }

  /** A member's permissions in a channel (threads use their parent's overwrites). */
  permissionsOf(userId: string, channelId: string): bigint {
    return permissionsOf(this, userId, channelId);
  }

  /** A member's guild-level permissions (no overwrites). */
  guildPermissionsOf(userId: string): bigint {
    return guildPermissionsOf(this, userId);
  }

  /**
   * Forgets what past interactions left behind: the recorded requests, the interactions (their tokens stop
   * working) and their ephemeral messages; channels and their messages stay. For long runs (the bench), whose
   * history would otherwise keep growing in memory: only call it once the bot has nothing in flight.
   */
  forgetHistory(): void {
    this.recorder.forget();
    this.interactionRegistry.forgetAll();
    this.store.forgetEphemeral();
  }

  /** Adds a channel (or thread) to the guild and tells connected bots (CHANNEL_CREATE). */
  addChannel(channel: Partial<LocalChannel> & { name: string }): LocalChannel {
    const c: LocalChannel = { id: this.newId(), type: CHANNEL_TYPES.GUILD_TEXT, guild_id: this.ids.guild, position: this.channels.size, parent_id: null, permission_overwrites: [], topic: null, nsfw: false, last_message_id: null, rate_limit_per_user: 0, flags: 0, ...channel };
    this.channels.set(c.id, c);
    this.store.openChannel(c.id);
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
    return this.store.channelMessages(channelId);
  }

  /** Posts a message as a member (so a test can, for example, run a message command on it). */
  postAsUser(userId: string, channelId: string, content: string): LocalMessage {
    const author = this.users.get(userId);
    if (!author) throw new Error(`no user ${userId}`);
    return this.store.store({ channelId, author, body: { content }, files: [], visible: true });
  }

  /** A message as Discord returns it (without the local-only attachment bytes). */
  publicMessage(message: LocalMessage): Json {
    return this.store.publicMessage(message);
  }

  // ---------------------------------------------------------------------------------------------------
  // Interactions (the driver creates them; the bot answers through routes/interactions.ts)

  createInteraction(payload: Json & { type: number; channel_id: string }, userId: string, sourceMessageId?: string): InteractionRecord {
    return this.interactionRegistry.create(payload, userId, sourceMessageId);
  }
}
