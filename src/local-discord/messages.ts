import { INTENTS } from './gateway.js';
import { checkMessage } from './limits.js';
import { ERRORS, isThread, MESSAGE_FLAGS, type Attachment, type Json, type LocalMessage, type LocalUser } from './model.js';
import type { RecordedFile } from './recording.js';
import type { LocalDiscordServer } from './server.js';

/**
 * The message store: every message by id (ephemeral ones too), each channel's visible messages in order,
 * attachments with their bytes, edits as Discord applies them, and the message JSON Discord returns.
 */
export class MessageStore {
  readonly messages = new Map<string, LocalMessage>();
  /** Channel id → ids of its visible messages, oldest first. */
  private readonly order = new Map<string, string[]>();

  constructor(private readonly s: LocalDiscordServer) {}

  /** Starts a channel's message list (kept if it already has one, unless `fresh`). */
  openChannel(channelId: string, fresh = false): void {
    this.order.set(channelId, fresh ? [] : (this.order.get(channelId) ?? []));
  }

  /** Drops every message no channel lists (ephemeral ones: interaction replies only their member saw). */
  forgetEphemeral(): void {
    const listed = new Set<string>();
    for (const ids of this.order.values()) for (const id of ids) listed.add(id);
    for (const id of [...this.messages.keys()]) if (!listed.has(id)) this.messages.delete(id);
  }

  /** Messages of a channel, oldest first (ephemeral messages are never in a channel). */
  channelMessages(channelId: string): LocalMessage[] {
    return (this.order.get(channelId) ?? []).map((id) => this.messages.get(id)).filter((m): m is LocalMessage => m !== undefined);
  }

  store(options: { channelId: string; author: LocalUser; body: Json; files: RecordedFile[]; visible: boolean; extra?: Partial<LocalMessage> }): LocalMessage {
    const s = this.s;
    const { body } = options;
    const id = s.newId();
    const dm = s.dms.channel(options.channelId);
    const message: LocalMessage = {
      id,
      channel_id: options.channelId,
      ...(dm ? {} : { guild_id: s.ids.guild }),
      author: options.author,
      content: typeof body.content === 'string' ? body.content : '',
      embeds: ((body.embeds as Json[] | undefined) ?? []).map((e) => ({ type: 'rich', ...e })),
      components: (body.components as Json[] | undefined) ?? [],
      attachments: this.attachments(options.files, body.attachments as Json[] | undefined),
      flags: (body.flags as number | undefined) ?? 0,
      timestamp: new Date(s.now()).toISOString(),
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
      const order = this.order.get(options.channelId) ?? [];
      order.push(id);
      this.order.set(options.channelId, order);
      if (dm) dm.last_message_id = id;
      const channel = s.channels.get(options.channelId);
      if (channel) {
        channel.last_message_id = id;
        if (isThread(channel)) {
          channel.message_count = (channel.message_count ?? 0) + 1;
          channel.total_message_sent = (channel.total_message_sent ?? 0) + 1;
        }
      }
      s.gateway.dispatch('MESSAGE_CREATE', this.publicMessage(message), dm ? INTENTS.DIRECT_MESSAGES : INTENTS.GUILD_MESSAGES);
    }
    return message;
  }

  private attachments(files: RecordedFile[], described: Json[] | undefined): Attachment[] {
    return files.map((file, index) => {
      const id = this.s.newId();
      const meta = described?.find((a) => String(a.id) === String(index));
      return {
        id,
        filename: file.name,
        size: file.size,
        url: `${this.s.origin}/attachments/${id}/${encodeURIComponent(file.name)}`,
        proxy_url: `${this.s.origin}/attachments/${id}/${encodeURIComponent(file.name)}`,
        content_type: file.contentType,
        ...(typeof meta?.description === 'string' ? { description: meta.description } : {}),
        data: file.data,
      };
    });
  }

  /** An uploaded attachment's bytes and type, by attachment id. */
  attachmentData(id: string): Attachment | undefined {
    for (const message of this.messages.values()) {
      const found = message.attachments.find((a) => a.id === id);
      if (found?.data) return found;
    }
    return undefined;
  }

  applyEdit(message: LocalMessage, body: Json, files: RecordedFile[]): void {
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
    message.edited_timestamp = new Date(this.s.now()).toISOString();
  }

  /** Discord's checks on an edit, then the edit (refused in an archived thread unless ephemeral). */
  editChecked(message: LocalMessage, body: Json, files: RecordedFile[]): Json {
    const channel = this.s.channels.get(message.channel_id);
    if (channel?.thread_metadata?.archived && (message.flags & MESSAGE_FLAGS.EPHEMERAL) === 0) throw ERRORS.archivedThread();
    const error = checkMessage(body, { isEdit: true, fileCount: files.length, existing: message });
    if (error) throw error;
    this.applyEdit(message, body, files);
    return this.publicMessage(message);
  }

  /** A message as Discord returns it (without the local-only attachment bytes). */
  publicMessage(message: LocalMessage): Json {
    return { ...message, attachments: message.attachments.map(({ data: _data, ...rest }) => rest) };
  }

  delete(message: LocalMessage): void {
    this.messages.delete(message.id);
    const order = this.order.get(message.channel_id);
    if (order) {
      const index = order.indexOf(message.id);
      if (index >= 0) order.splice(index, 1);
    }
  }
}
