import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startLocalDiscord, PERMISSIONS, type LocalDiscord } from '../../src/local-discord/index.js';
import type { InteractionRecord } from '../../src/local-discord/server.js';

/**
 * The local Discord on its own, through raw HTTP and WebSocket: what it enforces, records and injects.
 */

let discord: LocalDiscord;
let now: number;

beforeEach(async () => {
  now = Date.parse('2026-03-01T10:00:00Z');
  discord = await startLocalDiscord({ now: () => now, heartbeatIntervalMs: 50 });
});
afterEach(async () => {
  await discord.close();
});

async function api(method: string, path: string, body?: unknown, options: { auth?: boolean; headers?: Record<string, string>; form?: FormData } = {}) {
  const headers: Record<string, string> = { ...options.headers };
  if (options.auth !== false) headers.authorization = `Bot ${discord.token}`;
  let payload: FormData | string | undefined;
  if (options.form) payload = options.form;
  else if (body !== undefined) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  const response = await fetch(`${discord.apiUrl}/v10${path}`, { method, headers, body: payload });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
}

function interaction(type = 2, data: Record<string, unknown> = { name: 'help', type: 1 }, sourceMessageId?: string): InteractionRecord {
  return discord.server.createInteraction({ type, data, channel_id: discord.ids.channel, guild_id: discord.ids.guild }, discord.ids.member, sourceMessageId);
}

const callback = (i: InteractionRecord, body: unknown, query = '') => api('POST', `/interactions/${i.id}/${i.token}/callback${query}`, body, { auth: false });
const webhook = (i: InteractionRecord) => `/webhooks/${discord.ids.application}/${i.token}`;

describe('REST basics', () => {
  it('answers unknown routes with Discord’s 404 shape and refuses a wrong token with 401', async () => {
    expect(await api('GET', '/no/such/route')).toMatchObject({ status: 404, body: { message: '404: Not Found', code: 0 } });
    expect(await api('GET', '/users/@me', undefined, { auth: false })).toMatchObject({ status: 401, body: { code: 0 } });
    expect(await api('GET', '/gateway/bot')).toMatchObject({ status: 200, body: { url: expect.stringMatching(/^ws:\/\/127\.0\.0\.1:\d+$/), shards: 1 } });
  });

  it('records method, path, body and headers, but never the Authorization header', async () => {
    await api('POST', `/channels/${discord.ids.channel}/messages`, { content: 'hi', allowed_mentions: { parse: [] } }, { headers: { 'x-audit-log-reason': 'test' } });
    const [recorded] = discord.requestsMatching({ method: 'POST', path: '/channels/:id/messages' });
    expect(recorded).toMatchObject({ route: '/channels/:channel/messages', body: { content: 'hi' }, status: 200, headers: { 'x-audit-log-reason': 'test' } });
    expect(recorded!.headers.authorization).toBeUndefined();
    expect(JSON.stringify(discord.requests)).not.toContain(discord.token);
  });

  it('reads the guild, its channels, roles and members; unknown ids get 100xx codes', async () => {
    const { ids } = discord;
    expect((await api('GET', `/guilds/${ids.guild}`)).body).toMatchObject({ id: ids.guild, owner_id: ids.owner });
    expect((await api('GET', `/guilds/${ids.guild}/roles`)).body).toEqual(expect.arrayContaining([expect.objectContaining({ id: ids.guild, name: '@everyone' })]));
    expect((await api('GET', `/guilds/${ids.guild}/members/${ids.moderator}`)).body).toMatchObject({ roles: expect.arrayContaining([ids.roles.moderator]) });
    expect((await api('GET', `/channels/${ids.channel}`)).body).toMatchObject({ name: 'reading-circle', type: 0 });
    expect((await api('GET', '/channels/1234567890123456789')).body).toMatchObject({ code: 10003 });
    expect((await api('GET', `/channels/${ids.channel}/messages/1234567890123456789`)).body).toMatchObject({ code: 10008 });
    expect((await api('GET', '/guilds/1234567890123456789')).body).toMatchObject({ code: 10004 });
    expect((await api('GET', `/guilds/${ids.guild}/members/1234567890123456789`)).body).toMatchObject({ code: 10007 });
  });
});

describe('messages', () => {
  const post = (body: unknown, channel = discord.ids.channel) => api('POST', `/channels/${channel}/messages`, body);

  it('enforces content, embed and emptiness limits', async () => {
    expect((await post({ content: 'x'.repeat(2000) })).status).toBe(200);
    expect(await post({ content: 'x'.repeat(2001) })).toMatchObject({ status: 400, body: { code: 50035, errors: { content: { _errors: [{ code: 'BASE_TYPE_MAX_LENGTH' }] } } } });
    expect(await post({ content: '' })).toMatchObject({ status: 400, body: { code: 50006 } });
    expect(await post({ embeds: [{ description: 'd'.repeat(4097) }] })).toMatchObject({ status: 400, body: { code: 50035 } });
    expect(await post({ embeds: [{ title: 't', fields: Array.from({ length: 26 }, () => ({ name: 'n', value: 'v' })) }] })).toMatchObject({ body: { code: 50035 } });
    const big = Array.from({ length: 2 }, () => ({ description: 'd'.repeat(3001) }));
    expect(await post({ embeds: big })).toMatchObject({ status: 400, body: { code: 50035, errors: { embeds: { _errors: [{ code: 'MAX_EMBED_SIZE_EXCEEDED' }] } } } });
  });

  it('returns the existing message for a repeated nonce with enforce_nonce', async () => {
    const first = await post({ content: 'weekly prompt', nonce: 'n-1', enforce_nonce: true });
    const again = await post({ content: 'weekly prompt', nonce: 'n-1', enforce_nonce: true });
    expect(again.body!.id).toBe(first.body!.id);
    expect(discord.messages().filter((m) => m.content === 'weekly prompt')).toHaveLength(1);
    const notEnforced = await post({ content: 'weekly prompt', nonce: 'n-1' });
    expect(notEnforced.body!.id).not.toBe(first.body!.id);
  });

  it('lists newest first with before and limit', async () => {
    const ids: string[] = [];
    for (let i = 1; i <= 5; i += 1) ids.push((await post({ content: `m${i}` })).body!.id as string);
    const page = await api('GET', `/channels/${discord.ids.channel}/messages?limit=2&before=${ids[3]}`);
    expect((page.body as unknown as { content: string }[]).map((m) => m.content)).toEqual(['m3', 'm2']);
    expect(await api('GET', `/channels/${discord.ids.channel}/messages?limit=101`)).toMatchObject({ status: 400, body: { code: 50035 } });
  });

  it('refuses with 50013 when the channel’s overwrites deny the bot, and 50001 when it cannot see the channel', async () => {
    discord.setOverwrites(discord.ids.channel, [{ id: discord.ids.roles.bot, type: 0, allow: '0', deny: String(PERMISSIONS.SEND_MESSAGES) }]);
    expect(await post({ content: 'hello' })).toMatchObject({ status: 403, body: { code: 50013, message: 'Missing Permissions' } });
    discord.setOverwrites(discord.ids.channel, [{ id: discord.ids.guild, type: 0, allow: '0', deny: String(PERMISSIONS.VIEW_CHANNEL) }]);
    expect(await post({ content: 'hello' })).toMatchObject({ status: 403, body: { code: 50001 } });
    // #mod-log hides from @everyone but lets the bot's role in.
    expect((await post({ content: 'report' }, discord.ids.modLogChannel)).status).toBe(200);
  });

  it('starts one thread per message (id = message id; 160004 the second time) and guards archived threads', async () => {
    const prompt = await post({ content: 'This week: chapter 5' });
    const messageId = prompt.body!.id as string;
    const thread = await api('POST', `/channels/${discord.ids.channel}/messages/${messageId}/threads`, { name: 'Week 1', auto_archive_duration: 10080 });
    expect(thread.body).toMatchObject({ id: messageId, type: 11, parent_id: discord.ids.channel });
    expect(await api('POST', `/channels/${discord.ids.channel}/messages/${messageId}/threads`, { name: 'Week 1' })).toMatchObject({ status: 400, body: { code: 160004 } });

    const inThread = await post({ content: 'a shared reflection' }, messageId);
    await api('PATCH', `/channels/${messageId}`, { archived: true });
    const edit = () => api('PATCH', `/channels/${messageId}/messages/${inThread.body!.id as string}`, { content: 'edited' });
    expect(await edit()).toMatchObject({ status: 400, body: { code: 50083 } });
    await api('PATCH', `/channels/${messageId}`, { archived: false });
    expect(await edit()).toMatchObject({ status: 200, body: { content: 'edited' } });
  });
});

describe('direct messages', () => {
  it('opens one DM channel (type 1) per recipient, reused, whose messages have no guild and stay out of the guild', async () => {
    const opened = await api('POST', '/users/@me/channels', { recipient_id: discord.ids.member });
    expect(opened).toMatchObject({ status: 200, body: { type: 1, recipients: [{ id: discord.ids.member }] } });
    const dm = opened.body!.id as string;
    expect((await api('POST', '/users/@me/channels', { recipient_id: discord.ids.member })).body!.id).toBe(dm);
    expect((await api('POST', '/users/@me/channels', { recipient_id: discord.ids.moderator })).body!.id).not.toBe(dm);
    const sent = await api('POST', `/channels/${dm}/messages`, { content: 'just you', allowed_mentions: { parse: [] } });
    expect(sent).toMatchObject({ status: 200, body: { channel_id: dm, content: 'just you' } });
    expect(sent.body!.guild_id).toBeUndefined();
    expect(discord.directMessages('member').map((m) => m.content)).toEqual(['just you']);
    expect(discord.directMessages('owner')).toEqual([]);
    expect((await api('GET', `/channels/${dm}`)).body).toMatchObject({ id: dm, type: 1, last_message_id: sent.body!.id });
    expect((await api('GET', `/guilds/${discord.ids.guild}/channels`)).body).not.toEqual(expect.arrayContaining([expect.objectContaining({ id: dm })]));
    expect(await api('POST', '/users/@me/channels', { recipient_id: '1' })).toMatchObject({ status: 404, body: { code: 10013 } });
    expect(await api('POST', '/users/@me/channels', {})).toMatchObject({ status: 400, body: { code: 50035 } });
  });

  it('answers 50007 to a message for a member who refuses DMs (opening the channel still works), until they accept again', async () => {
    discord.blockDMs('member');
    const dm = (await api('POST', '/users/@me/channels', { recipient_id: discord.ids.member })).body!.id as string;
    expect(await api('POST', `/channels/${dm}/messages`, { content: 'hello' })).toMatchObject({ status: 403, body: { code: 50007, message: 'Cannot send messages to this user' } });
    expect(discord.directMessages('member')).toEqual([]);
    discord.blockDMs('member', false);
    expect((await api('POST', `/channels/${dm}/messages`, { content: 'hello' })).status).toBe(200);
  });
});

describe('interactions', () => {
  it('accepts one initial response within the deadline: 40060 for a second, 10062 when late', async () => {
    const first = interaction();
    expect((await callback(first, { type: 5, data: { flags: 64 } })).status).toBe(204);
    expect(await callback(first, { type: 4, data: { content: 'again' } })).toMatchObject({ status: 400, body: { code: 40060 } });

    const late = interaction();
    now += 3001;
    expect(await callback(late, { type: 4, data: { content: 'too late' } })).toMatchObject({ status: 404, body: { code: 10062 } });
    expect(late.rejected).toEqual([expect.objectContaining({ code: 10062 })]);

    discord.interactionDeadlineMs = 0;
    const instant = interaction();
    now += 1;
    expect((await callback(instant, { type: 4, data: { content: 'x' } })).body).toMatchObject({ code: 10062 });
  });

  it('returns the callback resource with with_response=true', async () => {
    const i = interaction();
    const response = await callback(i, { type: 4, data: { content: 'hello', flags: 64 } }, '?with_response=true');
    expect(response.body).toMatchObject({ interaction: { id: i.id, response_message_ephemeral: true }, resource: { type: 4, message: { content: 'hello', flags: 64 } } });
  });

  it('validates modals (title ≤ 45, 1-5 components, text input lengths), choices (≤ 25) and callback types', async () => {
    const input = (extra: Record<string, unknown> = {}) => ({ type: 18, label: 'Your reflection', component: { type: 4, custom_id: 'body', style: 2, max_length: 4000, ...extra } });
    const modal = (data: Record<string, unknown>) => callback(interaction(), { type: 9, data: { custom_id: 'reflect:1', title: 'Reflect', components: [input()], ...data } });
    expect(await modal({ title: 'x'.repeat(46) })).toMatchObject({ status: 400, body: { code: 50035 } });
    expect(await modal({ components: [] })).toMatchObject({ body: { code: 50035 } });
    expect(await modal({ components: Array.from({ length: 6 }, () => input()) })).toMatchObject({ body: { code: 50035 } });
    expect(await modal({ components: [input({ max_length: 4001 })] })).toMatchObject({ body: { code: 50035 } });
    expect(await modal({ components: [input({ value: 'v'.repeat(4001) })] })).toMatchObject({ body: { code: 50035 } });
    expect((await modal({})).status).toBe(204);

    const choices = (n: number) => Array.from({ length: n }, (_, k) => ({ name: `c${k}`, value: `c${k}` }));
    expect(await callback(interaction(4), { type: 8, data: { choices: choices(26) } })).toMatchObject({ body: { code: 50035 } });
    expect((await callback(interaction(4), { type: 8, data: { choices: choices(25) } })).status).toBe(204);
    expect(await callback(interaction(4), { type: 5 })).toMatchObject({ body: { code: 50035 } }); // autocomplete cannot be deferred
    expect(await callback(interaction(5, { custom_id: 'x', components: [] }), { type: 9, data: { custom_id: 'm', title: 't', components: [input()] } })).toMatchObject({ body: { code: 50035 } });
  });

  it('serves @original (GET/PATCH/DELETE, %40original as discord.js sends it) and follow-ups; the first follow-up after a defer replaces the placeholder', async () => {
    const i = interaction();
    expect(await api('GET', `${webhook(i)}/messages/%40original`, undefined, { auth: false })).toMatchObject({ status: 404, body: { code: 10008 } });
    await callback(i, { type: 5 });
    const original = await api('GET', `${webhook(i)}/messages/%40original`, undefined, { auth: false });
    expect(original.body).toMatchObject({ flags: 128 });
    const follow = await api('POST', `${webhook(i)}?wait=true`, { content: 'done', flags: 64 }, { auth: false });
    expect(follow.body).toMatchObject({ id: original.body!.id, content: 'done', flags: 0 }); // Discord keeps the defer's (public) visibility
    const second = await api('POST', `${webhook(i)}?wait=true`, { content: 'private note', flags: 64 }, { auth: false });
    expect(second.body).toMatchObject({ flags: 64 });
    expect((await api('PATCH', `${webhook(i)}/messages/${second.body!.id as string}`, { content: 'edited note' }, { auth: false })).body).toMatchObject({ content: 'edited note' });
    expect((await api('DELETE', `${webhook(i)}/messages/%40original`, undefined, { auth: false })).status).toBe(204);
    expect(await api('PATCH', `${webhook(i)}/messages/%40original`, { content: 'x' }, { auth: false })).toMatchObject({ body: { code: 10008 } });
    now += 15 * 60_000 + 1;
    expect(await api('POST', webhook(i), { content: 'too late' }, { auth: false })).toMatchObject({ status: 401, body: { code: 50027 } });
  });

  it('forgets past interactions, their ephemeral replies and the recorded requests, but keeps channel messages', async () => {
    const posted = await api('POST', `/channels/${discord.ids.channel}/messages`, { content: 'stays' });
    const i = interaction();
    await callback(i, { type: 4, data: { content: 'only you', flags: 64 } });
    expect(discord.requests.length).toBe(2);
    const ephemeralId = i.originalId!;
    expect(discord.message(ephemeralId)).toBeDefined();
    discord.server.forgetHistory();
    expect(discord.requests).toEqual([]);
    expect(discord.server.interactions.size).toBe(0);
    expect(discord.message(ephemeralId)).toBeUndefined();
    expect(discord.message(posted.body!.id as string)).toMatchObject({ content: 'stays' });
    // The forgotten interaction's token no longer works.
    expect((await api('POST', webhook(i), { content: 'late' }, { auth: false })).status).toBeGreaterThanOrEqual(400);
  });

  it('takes files as multipart/form-data and records them', async () => {
    const i = interaction();
    const form = new FormData();
    form.append('payload_json', JSON.stringify({ type: 4, data: { content: 'your export', flags: 64, attachments: [{ id: 0, filename: 'export.csv' }] } }));
    form.append('files[0]', new Blob(['a,b\n1,2\n'], { type: 'text/csv' }), 'export.csv');
    expect((await api('POST', `/interactions/${i.id}/${i.token}/callback`, undefined, { auth: false, form })).status).toBe(204);
    const [recorded] = discord.requestsMatching({ path: '/interactions/:id/:token/callback' });
    expect(recorded!.files).toEqual([expect.objectContaining({ name: 'export.csv', contentType: 'text/csv', size: 8 })]);
    expect(recorded!.files[0]!.data.toString()).toBe('a,b\n1,2\n');
    const message = discord.message(i.originalId!)!;
    expect(discord.render(message)).toContain('📎 export.csv (8 B)');
  });

  it('updates the source message for component interactions (type 7) and renders components numbered', async () => {
    const sent = await api('POST', `/channels/${discord.ids.channel}/messages`, { content: 'pick', components: [{ type: 1, components: [{ type: 2, style: 1, label: 'Next', custom_id: 'page:2' }] }] });
    const click = interaction(3, { custom_id: 'page:2', component_type: 2 }, sent.body!.id as string);
    expect((await callback(click, { type: 7, data: { content: 'page 2', components: [] } })).status).toBe(204);
    expect(discord.message(sent.body!.id as string)!.content).toBe('page 2');
    expect(discord.render(discord.messages()[0]!)).toBe('page 2');
    const again = await api('POST', `/channels/${discord.ids.channel}/messages`, { content: 'pick', components: [{ type: 1, components: [{ type: 2, style: 1, label: 'Next', custom_id: 'page:3' }, { type: 2, style: 5, label: 'Docs', url: 'https://example.org' }] }] });
    expect(discord.render(discord.message(again.body!.id as string)!)).toBe('pick\n[1] Next  [2] Docs (link) <https://example.org>');
  });
});

describe('fault injection', () => {
  it('answers matching requests with the injected status, body and headers, a given number of times', async () => {
    const fault = discord.faults.add({ method: 'POST', path: '/channels/:id/messages', status: 429, headers: { 'retry-after': '0.05', 'x-ratelimit-bucket': 'abc', 'x-ratelimit-remaining': '0' }, times: 1 });
    const limited = await api('POST', `/channels/${discord.ids.channel}/messages`, { content: 'hi' });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('0.05');
    expect(limited.body).toMatchObject({ retry_after: 0.05, global: false });
    expect(discord.messages()).toHaveLength(0); // not carried out
    expect((await api('POST', `/channels/${discord.ids.channel}/messages`, { content: 'hi' })).status).toBe(200);
    expect(fault.hits).toBe(1);
    expect(discord.requestsMatching({ faulted: true })).toHaveLength(1);
  });

  it('delays a response but carries the request out (a REST timeout that still posted)', async () => {
    discord.faults.add({ path: /\/messages$/, delayMs: 60 });
    const started = Date.now();
    await api('POST', `/channels/${discord.ids.channel}/messages`, { content: 'slow' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(50);
    expect(discord.messages().map((m) => m.content)).toEqual(['slow']);
  });
});

describe('gateway', () => {
  async function connect(query = '?v=10&encoding=json') {
    const socket = new WebSocket(`${discord.server.gateway.url}${query}`);
    const received: { op: number; t?: string; s?: number; d: Record<string, unknown> }[] = [];
    const listeners = new Set<() => void>();
    const notify = () => listeners.forEach((listener) => listener());
    socket.on('message', (raw: Buffer) => {
      received.push(JSON.parse(raw.toString()) as (typeof received)[number]);
      notify();
    });
    const closed = new Promise<number>((resolve) => socket.on('close', (code) => resolve(code)));
    socket.on('close', notify);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    // Resolves when the predicate holds (re-checked on every frame); fails if the socket closes first.
    const until = (predicate: () => boolean) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (predicate()) {
            listeners.delete(check);
            resolve();
          } else if (socket.readyState === WebSocket.CLOSED) {
            listeners.delete(check);
            reject(new Error('the gateway closed the socket'));
          }
        };
        listeners.add(check);
        check();
      });
    return { socket, received, closed, until, send: (payload: unknown) => socket.send(JSON.stringify(payload)) };
  }

  it('says HELLO with the configured interval, ACKs heartbeats (switchable), and sends READY then GUILD_CREATE', async () => {
    const c = await connect();
    await c.until(() => c.received.length > 0);
    expect(c.received[0]).toMatchObject({ op: 10, d: { heartbeat_interval: 50 } });
    c.send({ op: 1, d: null });
    await c.until(() => c.received.some((p) => p.op === 11));
    discord.gateway.ackHeartbeats = false;
    c.send({ op: 1, d: null });
    c.send({ op: 2, d: { token: discord.token, intents: 1, properties: {} } });
    await c.until(() => c.received.some((p) => p.t === 'GUILD_CREATE'));
    expect(c.received.filter((p) => p.op === 11)).toHaveLength(1);
    const ready = c.received.find((p) => p.t === 'READY')!;
    expect(ready.d).toMatchObject({ session_id: expect.any(String), resume_gateway_url: discord.server.gateway.url, application: { id: discord.ids.application } });
    const guild = c.received.find((p) => p.t === 'GUILD_CREATE')!;
    expect(guild.d).toMatchObject({ id: discord.ids.guild, channels: expect.any(Array), roles: expect.any(Array), members: expect.any(Array) });
    expect(discord.gateway.identifies).toEqual([expect.objectContaining({ intents: 1 })]);
    c.socket.close();
  });

  it('with the bot user out of the guild (the app still installed): GUILD_DELETE, then READY with no guild, 50001 on the guild’s REST, interactions still delivered; invited back: GUILD_CREATE', async () => {
    const first = await connect();
    first.send({ op: 2, d: { token: discord.token, intents: 1, properties: {} } });
    await first.until(() => first.received.some((p) => p.t === 'GUILD_CREATE'));
    discord.setBotInGuild(false);
    await first.until(() => first.received.some((p) => p.t === 'GUILD_DELETE'));
    expect(first.received.find((p) => p.t === 'GUILD_DELETE')!.d).toEqual({ id: discord.ids.guild });
    expect(discord.botInGuild).toBe(false);
    first.socket.close();

    const second = await connect();
    second.send({ op: 2, d: { token: discord.token, intents: 1, properties: {} } });
    await second.until(() => second.received.some((p) => p.t === 'READY'));
    expect(second.received.find((p) => p.t === 'READY')!.d.guilds).toEqual([]);
    expect(await api('GET', `/guilds/${discord.ids.guild}`)).toMatchObject({ status: 403, body: { code: 50001 } });
    expect(await api('GET', `/channels/${discord.ids.channel}`)).toMatchObject({ status: 403, body: { code: 50001 } });
    const delivered = interaction();
    await second.until(() => second.received.some((p) => p.t === 'INTERACTION_CREATE'));
    expect(second.received.find((p) => p.t === 'INTERACTION_CREATE')!.d).toMatchObject({ id: delivered.id, guild_id: discord.ids.guild });
    expect(second.received.some((p) => p.t === 'GUILD_CREATE')).toBe(false);

    discord.setBotInGuild(true);
    await second.until(() => second.received.some((p) => p.t === 'GUILD_CREATE'));
    expect(second.received.find((p) => p.t === 'GUILD_CREATE')!.d).toMatchObject({ id: discord.ids.guild, members: [expect.objectContaining({ user: expect.objectContaining({ id: discord.ids.bot }) })] });
    expect(await api('GET', `/guilds/${discord.ids.guild}`)).toMatchObject({ status: 200 });
    second.socket.close();
  });

  it('starts with the bot user out of the guild when told (an app installed with applications.commands only)', async () => {
    const commandsOnly = await startLocalDiscord({ botInGuild: false });
    try {
      expect(commandsOnly.botInGuild).toBe(false);
      expect(commandsOnly.server.gateway.connected).toBe(false);
    } finally {
      await commandsOnly.close();
    }
  });

  it('closes with 4014 for a privileged intent and 4004 for a wrong token', async () => {
    const privileged = await connect();
    privileged.send({ op: 2, d: { token: discord.token, intents: 1 | (1 << 15), properties: {} } });
    expect(await privileged.closed).toBe(4014);
    const wrong = await connect();
    wrong.send({ op: 2, d: { token: 'nope', intents: 1, properties: {} } });
    expect(await wrong.closed).toBe(4004);
  });

  it('closes with 4000 and replays missed events on RESUME, ending with RESUMED', async () => {
    const first = await connect();
    first.send({ op: 2, d: { token: discord.token, intents: 1, properties: {} } });
    await first.until(() => first.received.some((p) => p.t === 'GUILD_CREATE'));
    const sessionId = first.received.find((p) => p.t === 'READY')!.d.session_id as string;
    const lastSeq = Math.max(...first.received.map((p) => p.s ?? 0));
    discord.gateway.disconnect(4000);
    expect(await first.closed).toBe(4000);

    const missed = interaction();
    const second = await connect();
    second.send({ op: 6, d: { token: discord.token, session_id: sessionId, seq: lastSeq } });
    await second.until(() => second.received.some((p) => p.t === 'RESUMED'));
    const dispatches = second.received.filter((p) => p.op === 0);
    expect(dispatches.map((p) => p.t)).toEqual(['INTERACTION_CREATE', 'RESUMED']);
    expect(dispatches[0]!.d).toMatchObject({ id: missed.id });
    expect(dispatches[0]!.s).toBe(lastSeq + 1);
    expect(discord.gateway.resumes).toEqual([expect.objectContaining({ session_id: sessionId, seq: lastSeq, replayed: 1 })]);

    const unknown = await connect();
    unknown.send({ op: 6, d: { token: discord.token, session_id: 'nope', seq: 1 } });
    await unknown.until(() => unknown.received.some((p) => p.op === 9));
    expect(unknown.received.find((p) => p.op === 9)!.d).toBe(false);
    second.socket.close();
    unknown.socket.close();
  });
});
