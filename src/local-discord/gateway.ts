import { randomBytes } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { constants as zlibConstants, createDeflate, type Deflate } from 'node:zlib';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Json } from './model.js';

/**
 * The local gateway: JSON over WebSocket (zlib-stream only when the client asks for it). HELLO with a
 * configurable heartbeat interval, heartbeat ACK (switchable off to test zombie detection), IDENTIFY →
 * READY → GUILD_CREATE, RESUME with replay of the events the session missed, and forced closes.
 */

export const INTENTS = { GUILDS: 1 << 0, GUILD_MEMBERS: 1 << 1, GUILD_PRESENCES: 1 << 8, GUILD_MESSAGES: 1 << 9, DIRECT_MESSAGES: 1 << 12, MESSAGE_CONTENT: 1 << 15 } as const;
const PRIVILEGED = INTENTS.GUILD_MEMBERS | INTENTS.GUILD_PRESENCES | INTENTS.MESSAGE_CONTENT;

export interface GatewayEvent {
  s: number;
  t: string;
  d: unknown;
}

interface Connection {
  socket: WebSocket;
  deflate?: Deflate;
  queue: Promise<void>;
  session?: Session;
  /** A zombie (silenceOpenConnections): nothing more is sent over it. */
  silent?: boolean;
}

interface Session {
  id: string;
  intents: number;
  seq: number;
  /** Every event sent or meant for this session, for RESUME replay. */
  history: GatewayEvent[];
  connection?: Connection;
}

export interface GatewayHooks {
  token: () => string;
  /** The READY payload's `d` (without session fields) and the guilds to send GUILD_CREATE for. */
  ready: () => { user: object; application: Json; guilds: Json[] };
  onChange: () => void;
}

export interface IdentifyRecord {
  intents: number;
  properties: unknown;
  shard?: unknown;
  compress?: unknown;
  large_threshold?: unknown;
  at: number;
}

export class LocalGateway {
  heartbeatIntervalMs: number;
  /** Set false to stop acknowledging heartbeats: the client should detect a zombie connection and resume. */
  ackHeartbeats = true;
  /** Privileged intents this application is approved for (none by default, like a new bot). */
  allowedPrivilegedIntents = 0;
  readonly identifies: IdentifyRecord[] = [];
  readonly resumes: { session_id: string; seq: number; at: number; replayed: number }[] = [];
  heartbeats = 0;
  url = '';
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly sessions = new Map<string, Session>();
  private readonly connections = new Set<Connection>();

  constructor(
    private readonly hooks: GatewayHooks,
    options: { heartbeatIntervalMs: number },
  ) {
    this.heartbeatIntervalMs = options.heartbeatIntervalMs;
  }

  attach(server: Server): void {
    server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      this.wss.handleUpgrade(request, socket, head, (ws) => this.accept(ws, request));
    });
  }

  /** Number of sockets currently open. */
  get openConnections(): number {
    return this.connections.size;
  }

  /** True when some session is identified and connected. */
  get connected(): boolean {
    return [...this.connections].some((c) => c.session !== undefined);
  }

  /**
   * Sends a dispatch event to every session whose intents cover it (`intent` undefined = always sent, like
   * INTERACTION_CREATE). Sessions that are disconnected keep the event for RESUME.
   */
  dispatch(t: string, d: unknown, intent?: number): void {
    for (const session of this.sessions.values()) {
      if (intent !== undefined && (session.intents & intent) === 0) continue;
      this.sendDispatch(session, t, d);
    }
  }

  /** Closes every connection with this code (4000 = unknown error: discord.js resumes). */
  disconnect(code = 4000, reason = 'local Discord closed the connection'): void {
    for (const connection of this.connections) connection.socket.close(code, reason);
  }

  /**
   * Makes every open connection a zombie, as a dead network does: nothing more reaches the client over it,
   * heartbeat ACKs included, while what is dispatched meanwhile stays in its session for a RESUME. Connections
   * opened afterwards work. Returns the last sequence number a session was sent before the silence.
   */
  silenceOpenConnections(): number {
    let lastSent = 0;
    for (const connection of this.connections) {
      connection.silent = true;
      lastSent = Math.max(lastSent, connection.session?.seq ?? 0);
    }
    return lastSent;
  }

  /** Forgets all sessions: a later RESUME gets INVALID_SESSION. */
  invalidateSessions(): void {
    this.sessions.clear();
  }

  async close(): Promise<void> {
    for (const connection of this.connections) connection.socket.terminate();
    this.connections.clear();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  private accept(socket: WebSocket, request: IncomingMessage): void {
    const params = new URL(request.url ?? '/', 'ws://localhost').searchParams;
    const connection: Connection = { socket, queue: Promise.resolve() };
    if (params.get('encoding') && params.get('encoding') !== 'json') {
      socket.close(4002, 'Only JSON encoding is supported by the local Discord');
      return;
    }
    if (params.get('compress') === 'zlib-stream') connection.deflate = createDeflate();
    this.connections.add(connection);
    socket.on('close', () => {
      this.connections.delete(connection);
      if (connection.session?.connection === connection) connection.session.connection = undefined;
      connection.deflate?.close();
      this.hooks.onChange();
    });
    socket.on('error', () => undefined);
    socket.on('message', (raw: Buffer) => this.receive(connection, raw));
    this.send(connection, { op: 10, d: { heartbeat_interval: this.heartbeatIntervalMs }, s: null, t: null });
  }

  private receive(connection: Connection, raw: Buffer): void {
    let payload: { op?: number; d?: Json | number | null };
    try {
      payload = JSON.parse(raw.toString('utf8')) as typeof payload;
    } catch {
      connection.socket.close(4002, 'Decode error');
      return;
    }
    const d = (payload.d ?? {}) as Json;
    switch (payload.op) {
      case 1:
        this.heartbeats += 1;
        if (this.ackHeartbeats) this.send(connection, { op: 11, d: null, s: null, t: null });
        return;
      case 2:
        return this.identify(connection, d);
      case 6:
        return this.resume(connection, d);
      case 3:
      case 4:
      case 8:
        return;
      default:
        connection.socket.close(4001, 'Unknown opcode');
    }
  }

  private identify(connection: Connection, d: Json): void {
    if (connection.session) return connection.socket.close(4005, 'Already authenticated');
    if (d.token !== this.hooks.token()) return connection.socket.close(4004, 'Authentication failed');
    const intents = typeof d.intents === 'number' ? d.intents : -1;
    if (intents < 0) return connection.socket.close(4013, 'Invalid intent(s)');
    this.identifies.push({ intents, properties: d.properties, shard: d.shard, compress: d.compress, large_threshold: d.large_threshold, at: Date.now() });
    if ((intents & PRIVILEGED & ~this.allowedPrivilegedIntents) !== 0) return connection.socket.close(4014, 'Disallowed intent(s)');
    const session: Session = { id: randomBytes(16).toString('hex'), intents, seq: 0, history: [], connection };
    connection.session = session;
    this.sessions.set(session.id, session);
    const ready = this.hooks.ready();
    this.sendDispatch(session, 'READY', {
      v: 10,
      user: ready.user,
      guilds: ready.guilds.map((guild) => ({ id: guild.id, unavailable: true })),
      session_id: session.id,
      resume_gateway_url: this.url,
      shard: [0, 1],
      application: ready.application,
      user_settings: {},
      relationships: [],
      private_channels: [],
      presences: [],
      guild_join_requests: [],
      geo_ordered_rtc_regions: [],
      auth: {},
    });
    if ((intents & INTENTS.GUILDS) !== 0) for (const guild of ready.guilds) this.sendDispatch(session, 'GUILD_CREATE', guild);
    this.hooks.onChange();
  }

  private resume(connection: Connection, d: Json): void {
    const session = typeof d.session_id === 'string' ? this.sessions.get(d.session_id) : undefined;
    if (d.token !== this.hooks.token()) return connection.socket.close(4004, 'Authentication failed');
    if (!session) {
      this.send(connection, { op: 9, d: false, s: null, t: null });
      return;
    }
    const seq = typeof d.seq === 'number' ? d.seq : 0;
    if (session.connection && session.connection !== connection) session.connection.socket.close(4000, 'Session resumed elsewhere');
    session.connection = connection;
    connection.session = session;
    const missed = session.history.filter((event) => event.s > seq);
    this.resumes.push({ session_id: session.id, seq, at: Date.now(), replayed: missed.length });
    for (const event of missed) this.send(connection, { op: 0, ...event });
    this.sendDispatch(session, 'RESUMED', {});
    this.hooks.onChange();
  }

  private sendDispatch(session: Session, t: string, d: unknown): void {
    session.seq += 1;
    const event: GatewayEvent = { s: session.seq, t, d };
    session.history.push(event);
    if (session.history.length > 1000) session.history.shift();
    if (session.connection) this.send(session.connection, { op: 0, ...event });
  }

  private send(connection: Connection, payload: Json): void {
    if (connection.silent) return;
    const text = JSON.stringify(payload);
    const { socket, deflate } = connection;
    if (!deflate) {
      if (socket.readyState === socket.OPEN) socket.send(text);
      return;
    }
    connection.queue = connection.queue.then(
      () =>
        new Promise<void>((resolve) => {
          const chunks: Buffer[] = [];
          const onData = (chunk: Buffer) => chunks.push(chunk);
          deflate.on('data', onData);
          deflate.write(text);
          deflate.flush(zlibConstants.Z_SYNC_FLUSH, () => {
            deflate.off('data', onData);
            if (socket.readyState === socket.OPEN) socket.send(Buffer.concat(chunks));
            resolve();
          });
        }),
    );
  }
}
