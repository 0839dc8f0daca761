import { inflateSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startLocalDiscord, type Json, type LocalDiscord } from '../../src/local-discord/index.js';
import type { InteractionRecord } from '../../src/local-discord/server.js';

/**
 * The interaction driver's payloads (what the bot would receive for each interaction type), the
 * application-command routes, and gateway compression, with the test playing the bot over raw HTTP.
 */

let discord: LocalDiscord;
beforeEach(async () => {
  discord = await startLocalDiscord();
});
afterEach(async () => {
  await discord.close();
});

const bot = (method: string, path: string, body?: unknown) =>
  fetch(`${discord.apiUrl}/v10${path}`, {
    method,
    headers: { authorization: `Bot ${discord.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  }).then(async (r) => ({ status: r.status, body: (r.status === 204 ? undefined : await r.json()) as Json & Json[] }));

/** Plays the bot: answers the next interaction with `response`, and hands back what was received. */
function answerNext(response: Json): Promise<InteractionRecord> {
  const known = new Set(discord.server.interactions.keys());
  return discord.waitFor(() => [...discord.server.interactions.values()].find((i) => !known.has(i.id))).then(async (record) => {
    await bot('POST', `/interactions/${record.id}/${record.token}/callback`, response);
    return record;
  });
}

async function registerCommands() {
  const commands = [
    {
      name: 'settings',
      description: 'Settings',
      options: [
        { type: 1, name: 'moderator-role', description: 'Role', options: [{ type: 8, name: 'role', description: 'The role' }] },
        { type: 1, name: 'mod-log-channel', description: 'Channel', options: [{ type: 7, name: 'channel', description: 'The channel' }] },
      ],
    },
    { name: 'chapter', description: 'A chapter', options: [{ type: 3, name: 'chapter', description: 'Which', autocomplete: true, required: true }, { type: 4, name: 'page', description: 'Page' }, { type: 6, name: 'who', description: 'Who' }] },
    { name: 'Save as reflection', type: 3 },
  ];
  return bot('PUT', `/applications/${discord.ids.application}/guilds/${discord.ids.guild}/commands`, commands);
}

describe('application commands', () => {
  it('bulk-overwrites, lists, creates, edits and deletes, normalised as Discord returns them, keeping ids by name', async () => {
    const first = await registerCommands();
    expect(first.status).toBe(200);
    const chapter = first.body.find((c) => c.name === 'chapter')!;
    expect(chapter).toMatchObject({ id: expect.any(String), application_id: discord.ids.application, guild_id: discord.ids.guild, type: 1, default_member_permissions: null, nsfw: false, integration_types: [0] });
    expect((chapter.options as Json[])[1]).not.toHaveProperty('required'); // false defaults are dropped
    expect((chapter.options as Json[])[0]).toMatchObject({ required: true, autocomplete: true });
    const again = await registerCommands();
    expect(again.body.find((c) => c.name === 'chapter')!.id).toBe(chapter.id);
    const base = `/applications/${discord.ids.application}/guilds/${discord.ids.guild}/commands`;
    expect((await bot('GET', base)).body).toHaveLength(3);
    const created = await bot('POST', base, { name: 'help', description: 'Help' });
    expect(created.status).toBe(201);
    expect((await bot('PATCH', `${base}/${created.body.id as string}`, { description: 'More help' })).body).toMatchObject({ description: 'More help' });
    expect((await bot('DELETE', `${base}/${created.body.id as string}`)).status).toBe(204);
    expect((await bot('GET', `${base}/${created.body.id as string}`)).body).toMatchObject({ code: 10063 });
    expect((await bot('POST', base, { name: 'Bad Name', description: 'x' })).body).toMatchObject({ code: 50035 });
    expect((await bot('PUT', `/applications/${discord.ids.application}/commands`, [])).body).toEqual([]);
  });
});

describe('the interaction driver', () => {
  beforeEach(async () => {
    await registerCommands();
  });

  it('builds chat input with a subcommand and resolved role/channel options, as the moderator', async () => {
    const answered = answerNext({ type: 4, data: { content: 'ok', flags: 64 } });
    const handle = await discord.interact.chatInput({ name: 'settings', subcommand: 'moderator-role', options: { role: 'Moderators' }, as: 'moderator' });
    const record = await answered;
    const data = record.payload.data as Json;
    expect(data).toMatchObject({ name: 'settings', type: 1, options: [{ name: 'moderator-role', type: 1, options: [{ name: 'role', type: 8, value: discord.ids.roles.moderator }] }] });
    expect((data.resolved as Json).roles).toHaveProperty(discord.ids.roles.moderator);
    const member = record.payload.member as Json;
    expect((member.user as Json).id).toBe(discord.ids.moderator);
    expect(BigInt(member.permissions as string) & (1n << 5n)).toBe(1n << 5n); // Manage Server
    expect(handle.ephemeral).toBe(true);
    expect(discord.render(handle)).toBe('(only you can see this)\nok');

    const channelAnswer = answerNext({ type: 5 });
    await discord.interact.chatInput({ name: 'settings', subcommand: 'mod-log-channel', options: { channel: '#mod-log' } });
    const channelRecord = await channelAnswer;
    expect(((channelRecord.payload.data as Json).resolved as Json).channels).toHaveProperty(discord.ids.modLogChannel);
    const memberPermissions = BigInt((channelRecord.payload.member as Json).permissions as string);
    expect(memberPermissions & (1n << 5n)).toBe(0n); // an ordinary member lacks Manage Server
  });

  it('coerces integers and users, and sends autocomplete with the focused option', async () => {
    const answered = answerNext({ type: 8, data: { choices: [{ name: 'Chapter 5: Matthias Wenke', value: 'wenke' }] } });
    const handle = await discord.interact.autocomplete({ name: 'chapter', focused: 'chapter', value: 'we', options: { page: '35', who: 'moderator' } });
    const options = ((await answered).payload.data as Json).options as Json[];
    expect(options).toEqual(
      expect.arrayContaining([
        { name: 'chapter', type: 3, value: 'we', focused: true },
        { name: 'page', type: 4, value: 35 },
        { name: 'who', type: 6, value: discord.ids.moderator },
      ]),
    );
    expect(handle.choices).toHaveLength(1);
    expect(discord.render(handle)).toBe('  1. Chapter 5: Matthias Wenke = wenke');
    await expect(discord.interact.chatInput({ name: 'chapter', options: { page: 'many' } })).rejects.toThrow(/whole number/);
  });

  it('presses buttons and picks select values on a message, submits a modal by order, and runs a message command', async () => {
    const posted = await bot('POST', `/channels/${discord.ids.channel}/messages`, {
      content: 'choose',
      components: [
        { type: 1, components: [{ type: 2, style: 1, label: 'One', custom_id: 'pick:1' }, { type: 2, style: 2, label: 'Two', custom_id: 'pick:2' }] },
        { type: 1, components: [{ type: 3, custom_id: 'menu', options: [{ label: 'A', value: 'a' }, { label: 'B', value: 'b' }] }] },
      ],
    });
    const message = discord.message(posted.body.id as string)!;
    expect(discord.render(message)).toBe('choose\n[1] One  [2] Two\n[3] select: choose { A = a | B = b }');

    const pressed = answerNext({ type: 9, data: { custom_id: 'form:1', title: 'Tell us', components: [{ type: 18, label: 'First', component: { type: 4, custom_id: 'first', style: 1 } }, { type: 18, label: 'Second', component: { type: 4, custom_id: 'second', style: 2, required: false } }] } });
    const button = await discord.interact.button({ message, component: 2 });
    expect((await pressed).payload).toMatchObject({ type: 3, data: { custom_id: 'pick:2', component_type: 2 }, message: { id: message.id } });
    expect(discord.render(button)).toBe('[form] Tell us\n  1. First (required)\n  2. Second (optional)');

    const submitted = answerNext({ type: 4, data: { content: 'thanks', flags: 64 } });
    await discord.interact.modalSubmit({ modal: button, values: ['one', 'two'] });
    const submittedData = (await submitted).payload.data as Json;
    expect(submittedData.custom_id).toBe('form:1');
    expect(JSON.stringify(submittedData.components)).toContain('"custom_id":"first","value":"one"');
    expect(JSON.stringify(submittedData.components)).toContain('"custom_id":"second","value":"two"');

    const selected = answerNext({ type: 6 });
    await discord.interact.select({ message, component: 'menu', values: ['b'] });
    expect((await selected).payload.data).toMatchObject({ custom_id: 'menu', component_type: 3, values: ['b'] });

    const own = discord.postAs('member', 'my own words');
    const context = answerNext({ type: 5, data: { flags: 64 } });
    await discord.interact.messageContext({ name: 'Save as reflection', message: own });
    const contextData = (await context).payload.data as Json;
    expect(contextData).toMatchObject({ name: 'Save as reflection', type: 3, target_id: own.id });
    expect(((contextData.resolved as Json).messages as Json)[own.id]).toMatchObject({ content: 'my own words', author: { id: discord.ids.member } });
  });
});

describe('gateway compression', () => {
  it('sends zlib-stream frames only when the client asks for them', async () => {
    const socket = new WebSocket(`${discord.server.gateway.url}?v=10&encoding=json&compress=zlib-stream`);
    const frame = await new Promise<Buffer>((resolve) => socket.once('message', (data: Buffer) => resolve(data)));
    expect(frame.subarray(-4)).toEqual(Buffer.from([0, 0, 0xff, 0xff]));
    const hello = JSON.parse(inflateSync(frame, { finishFlush: 2 }).toString()) as Json;
    expect(hello).toMatchObject({ op: 10 });
    socket.close();
    const plain = new WebSocket(`${discord.server.gateway.url}?v=10&encoding=json`);
    const text = await new Promise<Buffer>((resolve) => plain.once('message', (data: Buffer) => resolve(data)));
    expect(JSON.parse(text.toString())).toMatchObject({ op: 10 });
    plain.close();
  });
});
