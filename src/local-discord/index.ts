import { InteractionDriver, type InteractionHandle } from './driver.js';
import { pathMatches } from './faults.js';
import type { LocalMessage, Overwrite } from './model.js';
import { render, type RenderOptions } from './render.js';
import { LocalDiscordServer, type LocalDiscordOptions, type RecordedRequest } from './server.js';

/**
 * A stand-in Discord for end-to-end tests and the playground. `startLocalDiscord()` listens on
 * 127.0.0.1 (random port); point the bot at it with DISCORD_API_URL = `discord.apiUrl` and
 * DISCORD_TOKEN = `discord.token`.
 *
 *   discord.interact.chatInput({ name: 'help', as: 'member' })   → InteractionHandle (after the initial response)
 *   discord.render(handle | message)                              → plain text
 *   discord.requests / discord.requestsMatching({ method, path }) → what the bot sent (headers without the token)
 *   discord.messages(channelId)                                   → a channel's messages, oldest first
 *   discord.directMessages('member') / discord.blockDMs('member') → the bot's DMs to a member / make them refuse DMs (50007)
 *   discord.faults.add({ method, path, status, body, headers, delayMs, hold, times })
 *   discord.gateway.ackHeartbeats = false; discord.gateway.disconnect(4000)
 *   discord.setBotInGuild(false)                                  → the bot user kicked, the app still installed
 */

export type { InteractionHandle } from './driver.js';
export type { Fault, FaultSpec } from './faults.js';
export type { LocalMessage, LocalChannel, LocalDMChannel, Overwrite, Json } from './model.js';
export type { LocalDiscordOptions, RecordedRequest, RecordedFile, InteractionRecord, Ids } from './server.js';
export { PERMISSIONS, permissionBits } from './model.js';
export { renderMessage, renderModal, renderChoices } from './render.js';

export interface RequestFilter {
  method?: string;
  /** Exact decoded path, a `:param` template, or a RegExp (see FaultSpec.path). */
  path?: string | RegExp;
  /** Only requests that an injected fault did (true) or did not (false) answer. */
  faulted?: boolean;
}

export class LocalDiscord {
  readonly interact: InteractionDriver;

  constructor(readonly server: LocalDiscordServer) {
    this.interact = new InteractionDriver(server);
  }

  get apiUrl(): string {
    return this.server.apiUrl;
  }
  get token(): string {
    return this.server.options.token;
  }
  get ids() {
    return this.server.ids;
  }
  get faults() {
    return this.server.faults;
  }
  get gateway() {
    return this.server.gateway;
  }
  get requests(): readonly RecordedRequest[] {
    return this.server.requests;
  }

  requestsMatching(filter: RequestFilter): RecordedRequest[] {
    return this.server.requests.filter(
      (r) =>
        (filter.method === undefined || r.method === filter.method.toUpperCase()) &&
        (filter.path === undefined || pathMatches(filter.path, r.path)) &&
        (filter.faulted === undefined || r.faulted === filter.faulted),
    );
  }

  /** Every request that creates or edits a message (channel messages, interaction replies, follow-ups, webhook edits). */
  messageWrites(): RecordedRequest[] {
    return this.server.requests.filter((r) => isMessageWrite(r));
  }

  /** A channel's messages, oldest first (default: the main text channel). */
  messages(channelId: string = this.ids.channel): LocalMessage[] {
    return this.server.channelMessages(channelId);
  }

  /** The bot's direct messages to a member ('member' | 'moderator' | 'owner' | user id), oldest first; [] before any. */
  directMessages(actor: string): LocalMessage[] {
    const channel = this.server.dms.withRecipient(this.interact.userId(actor));
    return channel ? this.server.channelMessages(channel.id) : [];
  }

  /**
   * Makes a member refuse direct messages from the bot (or accept them again with `false`): opening the DM
   * still works, sending in it answers 403 50007 "Cannot send messages to this user", as Discord does.
   */
  blockDMs(actor: string, blocked = true): void {
    const id = this.interact.userId(actor);
    if (blocked) this.server.dms.refusing.add(id);
    else this.server.dms.refusing.delete(id);
  }

  message(id: string): LocalMessage | undefined {
    return this.server.messages.get(id);
  }

  render(what: InteractionHandle | LocalMessage | readonly LocalMessage[], options?: RenderOptions): string {
    return render(what, options);
  }

  /** Resolves once `predicate` returns a truthy value (re-checked whenever the local Discord changes). */
  waitFor<T>(predicate: () => T | undefined | false, options?: { timeoutMs?: number; what?: string }): Promise<T> {
    return this.server.waitFor(predicate, options);
  }

  /** Waits until a request matching the filter has been answered, and returns it. */
  waitForRequest(filter: RequestFilter, options?: { timeoutMs?: number }): Promise<RecordedRequest> {
    return this.waitFor(() => this.requestsMatching(filter).find((r) => r.status !== 0), { ...options, what: `a ${filter.method ?? ''} request to ${String(filter.path)}` });
  }

  /** The initial-response deadline in ms (Discord: 3000). Tests of "late" set it low instead of waiting. */
  set interactionDeadlineMs(ms: number) {
    this.server.options.interactionDeadlineMs = ms;
  }
  get interactionDeadlineMs(): number {
    return this.server.options.interactionDeadlineMs;
  }

  /** The per-file upload limit (bytes) interactions announce and uploads must respect; tests of splitting set it low. */
  set attachmentSizeLimit(bytes: number) {
    this.server.options.attachmentSizeLimit = bytes;
  }
  get attachmentSizeLimit(): number {
    return this.server.options.attachmentSizeLimit;
  }

  /** Replaces a channel's permission overwrites, e.g. `[{ id: ids.roles.bot, type: 0, allow: '0', deny: String(PERMISSIONS.SEND_MESSAGES) }]`. */
  setOverwrites(channelId: string, overwrites: Overwrite[]): void {
    this.server.setOverwrites(channelId, overwrites);
  }

  /** Posts a message as a member ('member' | 'moderator' | 'owner' | user id) in a channel. */
  postAs(actor: string, content: string, channelId: string = this.ids.channel): LocalMessage {
    return this.server.postAsUser(this.interact.userId(actor), channelId, content);
  }

  /** Whether the bot user is a member of the guild; see setBotInGuild. */
  get botInGuild(): boolean {
    return this.server.botInGuild;
  }

  /**
   * Kicks the bot user from the guild (false) or invites it back (true), while the app stays installed there:
   * interactions still arrive; READY then lists no guild, and the bot's REST in the guild meets 50001. A
   * connected bot is sent GUILD_DELETE or GUILD_CREATE. `startLocalDiscord({ botInGuild: false })` starts so
   * (an app installed with the `applications.commands` scope only).
   */
  setBotInGuild(inGuild: boolean): void {
    this.server.setBotInGuild(inGuild);
  }

  /** True once a bot session has identified over the gateway and is connected. */
  get botConnected(): boolean {
    return this.server.gateway.connected;
  }

  close(): Promise<void> {
    return this.server.close();
  }
}

export function isMessageWrite(r: RecordedRequest): boolean {
  if (r.method === 'POST' && /^\/channels\/[^/]+\/messages$/.test(r.path)) return true;
  if (r.method === 'PATCH' && /^\/channels\/[^/]+\/messages\/[^/]+$/.test(r.path)) return true;
  if (r.method === 'POST' && /^\/webhooks\/[^/]+\/[^/]+$/.test(r.path)) return true;
  if (r.method === 'PATCH' && /^\/webhooks\/[^/]+\/[^/]+\/messages\/[^/]+$/.test(r.path)) return true;
  if (r.method === 'POST' && /^\/interactions\/[^/]+\/[^/]+\/callback$/.test(r.path)) {
    const type = (r.body as { type?: number } | undefined)?.type;
    return type === 4 || type === 7;
  }
  return false;
}

export async function startLocalDiscord(options: LocalDiscordOptions = {}): Promise<LocalDiscord> {
  const server = new LocalDiscordServer(options);
  await server.listen();
  return new LocalDiscord(server);
}
