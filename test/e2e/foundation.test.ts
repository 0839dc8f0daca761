import { MessageFlags } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commands } from '../../commands/index.js';
import { serverCommand } from '../../src/discord/builders.js';
import type { ChatInputCommand } from '../../src/discord/command.js';
import { startLocalDiscord } from '../../src/local-discord/index.js';
import { startHarness, type Harness } from './harness.js';

/**
 * The foundation end to end: the bot started the way `npm start` starts it, logged in with the real
 * discord.js client to the local Discord.
 */

// A test-only command that fails on purpose: before any response, after a public defer, or after an
// ephemeral defer.
const boom: ChatInputCommand = {
  kind: 'chat-input',
  data: serverCommand('boom', 'Fails on purpose (test only)')
    .addStringOption((o) =>
      o.setName('when').setDescription('When to fail').setRequired(true).addChoices(
        { name: 'before defer', value: 'before' },
        { name: 'after a public defer', value: 'after-public' },
        { name: 'after an ephemeral defer', value: 'after-ephemeral' },
      ),
    )
    .toJSON(),
  defer: (interaction) => {
    const when = interaction.options.getString('when', true);
    return when === 'before' ? 'none' : when === 'after-public' ? 'public' : 'ephemeral';
  },
  execute() {
    return Promise.reject(new Error('boom: a bug in a handler'));
  },
};

const commandWrites = (h: Harness) => h.discord.requestsMatching({ path: /^\/applications\// }).filter((r) => r.method !== 'GET');

describe('foundation, end to end through the local Discord', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ commands: [...commands, boom] });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('logs in over the gateway with the Guilds intent alone', () => {
    expect(h.discord.gateway.identifies.map((identify) => identify.intents)).toEqual([1]);
    expect(h.bot.client.isReady()).toBe(true);
    expect(h.bot.client.guilds.cache.has(h.discord.ids.guild)).toBe(true);
    // No request was rejected while logging in and registering commands.
    expect(h.discord.requests.filter((r) => r.status >= 400)).toEqual([]);
    // The token never reaches the recorder or the logs.
    expect(JSON.stringify(h.discord.requests)).not.toContain(h.discord.token);
    expect(h.logText()).not.toContain(h.discord.token);
  });

  it('registers its commands once, and a second start against the same Discord writes nothing', async () => {
    const writes = commandWrites(h);
    expect(writes).toHaveLength(1);
    expect(writes[0]!.method).toBe('PUT');
    expect((writes[0]!.body as { name: string }[]).map((c) => c.name).sort()).toEqual([...commands, boom].map((c) => c.data.name).sort());

    await h.restart();
    expect(h.discord.gateway.identifies).toHaveLength(2);
    expect(commandWrites(h)).toHaveLength(1);
  });

  it('answers /help ephemerally, listing every registered command', async () => {
    const help = await h.discord.interact.chatInput({ name: 'help', as: 'member' });
    expect(help.callback.type).toBe(4);
    expect((help.callback.data.flags as number) & MessageFlags.Ephemeral).toBe(MessageFlags.Ephemeral);
    const text = h.discord.render(help);
    expect(text).toContain('(only you can see this)');
    for (const module of [...commands, boom]) {
      expect(text).toContain(module.kind === 'chat-input' ? `/${module.data.name}` : module.data.name);
    }
    // Who may use what, as the router checks it: the moderator role opens /prompt, only Manage Server opens /settings.
    expect(text).toMatch(/\/prompt[^\n]*\*\(moderators\)\*/);
    expect(text).toMatch(/\/settings[^\n]*\*\(Manage Server\)\*/);
    expect(text).not.toMatch(/\(Manage Server\)[^\n]*\(Manage Server\)/);
  });

  it('answers an unknown command kindly and privately', async () => {
    const reply = await h.discord.interact.chatInput({ name: 'no-such-command', as: 'member' });
    expect(reply.ephemeral).toBe(true);
    expect(h.discord.render(reply)).toContain('I don’t know that one');
  });

  it.each([
    ['before', 'before any response', 4],
    ['after-public', 'after a public defer', 5],
    ['after-ephemeral', 'after an ephemeral defer', 5],
  ] as const)('answers a throwing handler (%s: %s) with a private apology and serves on', async (when, _label, firstType) => {
    const failed = await h.discord.interact.chatInput({ name: 'boom', options: { when }, as: 'member' });
    expect(failed.callback.type).toBe(firstType);
    const apology = await failed.reply();
    await failed.settled();
    expect((apology.flags & MessageFlags.Ephemeral) !== 0).toBe(true);
    expect(apology.content).toContain('Sorry, something went wrong');
    expect(apology.content).toContain(failed.id);
    // Nothing public is left hanging ("thinking…" removed after a public defer), and nothing leaked.
    expect(failed.messages().every((m) => (m.flags & MessageFlags.Ephemeral) !== 0)).toBe(true);
    expect(h.discord.messages().filter((m) => m.interaction_metadata?.id === failed.id)).toEqual([]);
    expect(h.logs().some((line) => line.msg === 'interaction handler failed' && line.interactionId === failed.id)).toBe(true);
    // No second initial response was attempted (no 40060 / InteractionAlreadyReplied).
    expect(failed.record.rejected).toEqual([]);

    const next = await h.discord.interact.chatInput({ name: 'help' });
    expect(h.discord.render(next)).toContain('what I can do');
  });

  it('refuses a moderator command to a member who invokes it directly, and lets the moderator in', async () => {
    const refused = await h.discord.interact.chatInput({ name: 'settings', subcommand: 'show', as: 'member' });
    expect(refused.ephemeral).toBe(true);
    expect(h.discord.render(refused)).toContain('Manage Server');
    const shown = await h.discord.interact.chatInput({ name: 'settings', subcommand: 'show', as: 'moderator' });
    const reply = await shown.reply();
    expect(h.discord.render(reply)).toContain('Reading-group settings');
  });

  it('waits out a 429 with retry-after and x-ratelimit headers, then answers', async () => {
    const fault = h.discord.faults.add({
      method: 'POST',
      path: '/interactions/:id/:token/callback',
      status: 429,
      headers: { 'retry-after': '0.05', 'x-ratelimit-limit': '5', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset-after': '0.05', 'x-ratelimit-bucket': 'local-callback', 'x-ratelimit-scope': 'shared' },
    });
    const help = await h.discord.interact.chatInput({ name: 'help' });
    expect(help.callback.type).toBe(4);
    expect(fault.hits).toBe(1);
    const attempts = h.discord.requestsMatching({ method: 'POST', path: `/interactions/${help.id}/${help.token}/callback` });
    expect(attempts.map((r) => r.status)).toEqual([429, 204]);
  });

  it('sends allowed_mentions with parse [] on every message it created or edited in this file', () => {
    const writes = h.discord.messageWrites().filter((r) => r.status < 400);
    expect(writes.length).toBeGreaterThan(5);
    for (const write of writes) {
      const body = write.body as { type?: number; data?: { allowed_mentions?: unknown }; allowed_mentions?: unknown };
      const allowed = write.path.startsWith('/interactions/') ? body.data?.allowed_mentions : body.allowed_mentions;
      expect({ path: write.route, allowed }).toEqual({ path: write.route, allowed: expect.objectContaining({ parse: [] }) });
    }
    expect(h.unhandledRejections).toEqual([]);
  });
});

describe('gateway drops and the 3-second rule, end to end', () => {
  let h: Harness;

  beforeAll(async () => {
    // A short heartbeat so a zombie connection is noticed within a few hundred milliseconds.
    h = await startHarness({ discordOptions: { heartbeatIntervalMs: 100 } });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('resumes after the gateway closes with 4000, replaying an interaction sent while it was away', async () => {
    h.discord.gateway.disconnect(4000);
    // Sent while the bot is disconnected: kept for the session and replayed on RESUME.
    const missed = await h.discord.interact.chatInput({ name: 'help' });
    expect(h.discord.render(missed)).toContain('what I can do');
    expect(h.discord.gateway.resumes).toHaveLength(1);
    // RESUME carried the last sequence number the bot had seen (READY + GUILD_CREATE at least).
    expect(h.discord.gateway.resumes[0]!.seq).toBeGreaterThanOrEqual(2);
    expect(h.discord.gateway.resumes[0]!.replayed).toBeGreaterThanOrEqual(1);
    expect(h.discord.gateway.identifies).toHaveLength(1); // resumed, not re-identified
  });

  it('notices unacknowledged heartbeats (a zombie connection), resumes, and serves on', async () => {
    const resumesBefore = h.discord.gateway.resumes.length;
    h.discord.gateway.ackHeartbeats = false;
    await h.discord.waitFor(() => h.discord.gateway.resumes.length > resumesBefore, { timeoutMs: 5000, what: 'a RESUME after missed heartbeat ACKs' });
    h.discord.gateway.ackHeartbeats = true;
    const after = await h.discord.interact.chatInput({ name: 'help' });
    expect(after.callback.type).toBe(4);
    expect(h.discord.gateway.identifies).toHaveLength(1);
  });

  it('a response after the deadline gets 10062 from the local Discord; the bot logs it as expired and serves on', async () => {
    h.discord.interactionDeadlineMs = 0; // every initial response is now late, without waiting
    await expect(h.discord.interact.chatInput({ name: 'help' })).rejects.toThrow(/code 10062/);
    const expired = await h.waitForLog((line) => line.msg === 'interaction expired before it could be answered');
    expect(expired).toMatchObject({ code: 10062, level: 40 });
    h.discord.interactionDeadlineMs = 3000;
    const next = await h.discord.interact.chatInput({ name: 'help' });
    expect(next.callback.type).toBe(4);
    expect(h.unhandledRejections).toEqual([]);
  });
});

describe('a failed command registration, end to end', () => {
  it('does not stop the bot: it answers, logs the failure, and registers on the retry', async () => {
    const discord = await startLocalDiscord();
    // A server that never granted applications.commands: Discord refuses both the list and the overwrite with
    // 403 Missing Access, once each, so the retry (COMMAND_SYNC_RETRY_MS later) finds Discord willing.
    const refused = discord.faults.add({ path: '/applications/:id/commands', status: 403, body: { message: 'Missing Access', code: 50001 }, times: 2 });
    let h: Harness | undefined;
    try {
      h = await startHarness({ discord, env: { COMMAND_SYNC_RETRY_MS: '1' } });
      expect(refused.hits).toBe(2);
      const failure = await h.waitForLog((line) => String(line.msg).startsWith('command registration failed'));
      expect(failure).toMatchObject({ level: 50, code: 50001, status: 403, method: 'PUT', attempt: 1, retryInMs: 1, hint: expect.stringContaining('applications.commands') });
      expect(h.bot.client.isReady()).toBe(true);

      const help = await h.discord.interact.chatInput({ name: 'help', as: 'member' });
      expect(h.discord.render(help)).toContain('what I can do');

      await h.waitForLog((line) => line.msg === 'command registration succeeded after a retry');
      const writes = discord.requestsMatching({ method: 'PUT', path: '/applications/:id/commands' });
      expect(writes.map((r) => r.status)).toEqual([403, 200]);
      expect(h.unhandledRejections).toEqual([]);
    } finally {
      await h?.stop();
      await discord.close();
    }
  });

  it.each([
    ['does not serve the list', { status: 404, body: { message: '404: Not Found', code: 0 } }, 'could not read the registered commands; writing ours'],
    ['answers the list with something else', { status: 200, body: { commands: [] } }, 'the registered commands came back as something other than a list; writing ours'],
  ] as const)('writes its commands when Discord %s, and serves on', async (_label, answer, warning) => {
    const discord = await startLocalDiscord();
    const unlisted = discord.faults.add({ method: 'GET', path: '/applications/:id/commands', ...answer, times: Infinity });
    let h: Harness | undefined;
    try {
      h = await startHarness({ discord });
      expect(unlisted.hits).toBe(1);
      expect(h.logs().some((line) => line.msg === warning && line.level === 40)).toBe(true);
      expect(h.logs().some((line) => String(line.msg).startsWith('command registration failed'))).toBe(false);
      const writes = discord.requestsMatching({ method: 'PUT', path: '/applications/:id/commands' });
      expect(writes.map((r) => r.status)).toEqual([200]);
      expect((writes[0]!.body as { name: string }[]).map((c) => c.name).sort()).toEqual(commands.map((c) => c.data.name).sort());
      const help = await h.discord.interact.chatInput({ name: 'help', as: 'member' });
      expect(h.discord.render(help)).toContain('what I can do');
    } finally {
      await h?.stop();
      await discord.close();
    }
  });
});
