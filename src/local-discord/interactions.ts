import { randomBytes } from 'node:crypto';
import { ERRORS, MESSAGE_FLAGS, type Json, type LocalMessage } from './model.js';
import type { RecordedFile } from './recording.js';
import type { LocalDiscordServer } from './server.js';

/**
 * Interactions the driver creates: their records (token, deadlines, the accepted initial response, rejected
 * attempts, original and follow-up messages, timings), lookup by webhook token, and the messages they make.
 */

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

export class InteractionRegistry {
  readonly records = new Map<string, InteractionRecord>();
  private readonly byToken = new Map<string, InteractionRecord>();

  constructor(private readonly s: LocalDiscordServer) {}

  /** Drops every interaction: their tokens stop working (edits and follow-ups answer 404, as after 15 minutes). */
  forgetAll(): void {
    this.records.clear();
    this.byToken.clear();
  }

  create(payload: Json & { type: number; channel_id: string }, userId: string, sourceMessageId?: string): InteractionRecord {
    const s = this.s;
    const id = s.newId();
    const token = Buffer.from(`interaction:${id}:${randomBytes(24).toString('hex')}`).toString('base64url');
    const record: InteractionRecord = {
      id,
      token,
      type: payload.type,
      payload: { ...payload, id, token, application_id: s.ids.application, version: 1 },
      createdAt: s.now(),
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
    this.records.set(id, record);
    this.byToken.set(token, record);
    record.timing.sent = performance.now();
    s.gateway.dispatch('INTERACTION_CREATE', record.payload);
    s.changed();
    return record;
  }

  /** The interaction behind `/webhooks/:application/:token` (unknown, or its token expired, is Discord's error). */
  byWebhook(params: Record<string, string>): InteractionRecord {
    const record = this.byToken.get(params.token!);
    if (!record || params.application !== this.s.ids.application) throw ERRORS.unknownWebhook();
    if (this.s.now() - record.createdAt > this.s.options.interactionTokenTtlMs) throw ERRORS.invalidWebhookToken();
    record.lastActivity = Date.now();
    return record;
  }

  /** `@original` or one of the interaction's own messages. */
  webhookMessage(record: InteractionRecord, messageId: string): LocalMessage {
    const messages = this.s.messages;
    if (messageId === '@original') {
      if (!record.acknowledged || record.originalDeleted || !record.originalId) throw ERRORS.unknownMessage();
      const message = messages.get(record.originalId);
      if (!message) throw ERRORS.unknownMessage();
      return message;
    }
    if (!record.followUpIds.includes(messageId) && record.originalId !== messageId) throw ERRORS.unknownMessage();
    const message = messages.get(messageId);
    if (!message) throw ERRORS.unknownMessage();
    return message;
  }

  /** A message the bot sends in answer to an interaction (reply, deferred placeholder or follow-up). */
  message(record: InteractionRecord, data: Json, files: RecordedFile[], flags: number): LocalMessage {
    const s = this.s;
    const bot = s.users.get(s.ids.bot)!;
    const ephemeral = (flags & MESSAGE_FLAGS.EPHEMERAL) !== 0;
    const commandType = (record.payload.data as Json | undefined)?.type;
    const messageType = record.type === 2 ? (commandType === 1 ? 20 : 23) : 19;
    const user = s.users.get(record.userId);
    return s.store.store({
      channelId: record.channelId,
      author: bot,
      body: { ...data, flags },
      files,
      visible: !ephemeral,
      extra: {
        webhook_id: s.ids.application,
        application_id: s.ids.application,
        type: messageType,
        interaction_metadata: { id: record.id, type: record.type, user, authorizing_integration_owners: { '0': s.ids.guild }, ...(record.type === 2 ? { name: (record.payload.data as Json).name } : {}) },
      },
    });
  }
}
