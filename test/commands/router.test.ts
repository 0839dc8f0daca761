import { Events, type Interaction } from 'discord.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildContext } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import type { AppContext } from '../../src/context.js';
import { openDatabase } from '../../src/db/connection.js';
import type { CommandModule } from '../../src/discord/command.js';
import { customId } from '../../src/discord/command.js';
import { serverCommand, moderatorCommand } from '../../src/discord/builders.js';
import { editOriginal } from '../../src/discord/replies.js';
import { createRouter, type InteractionRouter } from '../../src/discord/router.js';
import { UserFacingError } from '../../src/errors.js';
import { commands as registry } from '../../commands/index.js';
import { capturedLogger } from '../helpers/logs.js';
import * as payloads from '../helpers/payloads.js';
import { startRestCapture, type RestCapture } from '../helpers/rest-capture.js';

const seen: string[] = [];
/** ctx.inFlight.count() as each handler saw it (an export's reader steps aside while it is above zero). */
const inFlightSeen: number[] = [];

const probe: CommandModule = {
  kind: 'chat-input',
  data: serverCommand('probe', 'test command')
    .addStringOption((o) => o.setName('mode').setDescription('what to do').setAutocomplete(true))
    .toJSON(),
  defer: (interaction) => (interaction.options.getString('mode')?.startsWith('public') ? 'public' : 'ephemeral'),
  async execute(interaction, ctx) {
    const mode = interaction.options.getString('mode');
    seen.push(`execute:${mode}`);
    inFlightSeen.push(ctx.inFlight.count());
    if (mode === 'user-error' || mode === 'public-user-error') throw new UserFacingError('That chapter is not in the dataset.');
    if (mode === 'bug') throw new Error('kaboom');
    await editOriginal(interaction, { content: `done ${mode}` });
  },
  async autocomplete(interaction) {
    const typed = interaction.options.getFocused();
    if (typed === 'explode') throw new Error('autocomplete bug');
    await interaction.respond([{ name: `you typed ${typed}`, value: typed }]);
  },
  components: [
    {
      prefix: 'probe-btn',
      defer: 'update',
      button(_interaction, args) {
        seen.push(`button:${args.join(',')}`);
        return Promise.resolve();
      },
      select(_interaction, args) {
        seen.push(`select:${args.join(',')}`);
        return Promise.resolve();
      },
    },
    {
      prefix: 'probe-modal',
      defer: 'ephemeral',
      async modal(interaction, args) {
        seen.push(`modal:${args.join(',')}:${interaction.fields.getTextInputValue('text')}`);
        await editOriginal(interaction, { content: 'saved' });
      },
    },
  ],
};

const firstThrower: CommandModule = {
  kind: 'chat-input',
  data: serverCommand('early-bug', 'throws before deferring').toJSON(),
  defer: 'none',
  execute() {
    return Promise.reject(new Error('before defer'));
  },
};

const quick: CommandModule = {
  kind: 'chat-input',
  data: serverCommand('quick', 'answers without deferring').toJSON(),
  defer: 'none',
  async execute(interaction, ctx) {
    inFlightSeen.push(ctx.inFlight.count());
    await interaction.reply({ content: 'quick answer' });
  },
};

const modOnly: CommandModule = {
  kind: 'chat-input',
  access: 'moderator',
  data: moderatorCommand('mod-only', 'moderators only').toJSON(),
  defer: 'ephemeral',
  onDenied() {
    seen.push('denied');
  },
  async execute(interaction) {
    await editOriginal(interaction, { content: 'moderator tool ran' });
  },
};

const menu: CommandModule = {
  kind: 'message-context',
  data: { name: 'Probe message', type: 3, contexts: [0], integration_types: [0] },
  help: 'probe',
  defer: 'ephemeral',
  async execute(interaction) {
    seen.push(`menu:${interaction.targetMessage.content}`);
    await editOriginal(interaction, { content: 'menu ok' });
  },
};

let rest: RestCapture;
let ctx: AppContext;
let route: InteractionRouter;
let logs: ReturnType<typeof capturedLogger>;

async function dispatch(payload: unknown): Promise<void> {
  const got = new Promise<Interaction>((resolve) => rest.client.once(Events.InteractionCreate, resolve));
  (rest.client as any).actions.InteractionCreate.handle(payload);
  await route(await got);
}

const callbacks = () => rest.requests.filter((r) => r.path.endsWith('/callback'));
const lastBody = () => rest.requests.at(-1)?.body;

beforeEach(async () => {
  seen.length = 0;
  inFlightSeen.length = 0;
  rest = await startRestCapture();
  logs = capturedLogger();
  const parsed = loadConfig({ DATABASE_PATH: ':memory:' });
  if (!parsed.ok) throw new Error(parsed.problems.join());
  ctx = buildContext({ config: parsed.config, log: logs.log, db: openDatabase(':memory:'), commands: [...registry, probe, firstThrower, modOnly, menu, quick] });
  route = createRouter(ctx);
});

afterEach(async () => {
  ctx.db.close();
  await rest.close();
});

describe('the router', () => {
  it('counts an interaction in flight until it is deferred, or else until its handler has answered, and out after a failure', async () => {
    await dispatch(payloads.chatInput('quick'));
    await dispatch(payloads.chatInput('probe', [{ type: 3, name: 'mode', value: 'ok' }]));
    // The handler that answers itself runs in flight; the deferred one runs after the member has a placeholder.
    expect(inFlightSeen).toEqual([1, 0]);
    expect(ctx.inFlight.count()).toBe(0);
    await dispatch(payloads.chatInput('early-bug'));
    await dispatch(payloads.chatInput('probe', [{ type: 3, name: 'mode', value: 'bug' }]));
    await dispatch(payloads.autocomplete('probe', [{ type: 3, name: 'mode', value: 'explode', focused: true }]));
    expect(ctx.inFlight.count()).toBe(0);
  });

  it('defers ephemerally by policy, then lets the handler edit the reply', async () => {
    await dispatch(payloads.chatInput('probe', [{ type: 3, name: 'mode', value: 'ok' }]));
    expect(callbacks()[0]?.body).toMatchObject({ type: 5, data: { flags: 64 } });
    expect(lastBody()).toMatchObject({ content: 'done ok' });
    expect(seen).toEqual(['execute:ok']);
  });

  it("edits a member's reply even while the bot's own budget of 50 requests a second is spent (interaction webhooks are not bound to it)", async () => {
    // Spent for the next minute: a reply edit sent through client.rest would wait that long and time the test out.
    const botRest = rest.client.rest as unknown as { globalRemaining: number; globalReset: number };
    botRest.globalRemaining = 0;
    botRest.globalReset = Date.now() + 60_000;
    await dispatch(payloads.chatInput('probe', [{ type: 3, name: 'mode', value: 'ok' }]));
    expect(lastBody()).toMatchObject({ content: 'done ok' });
    expect(rest.requests.at(-1)?.method).toBe('PATCH');
  });

  it('decides a public defer before deferring when the policy says so', async () => {
    await dispatch(payloads.chatInput('probe', [{ type: 3, name: 'mode', value: 'public' }]));
    expect(callbacks()[0]?.body.type).toBe(5);
    expect(callbacks()[0]?.body.data?.flags ?? 0).toBe(0);
  });

  it('shows a UserFacingError ephemerally, as written, after a defer', async () => {
    await dispatch(payloads.chatInput('probe', [{ type: 3, name: 'mode', value: 'user-error' }]));
    expect(lastBody()).toMatchObject({ content: 'That chapter is not in the dataset.', allowed_mentions: { parse: [] } });
    expect(rest.requests.at(-1)?.method).toBe('PATCH');
  });

  it('after a public defer, removes the public placeholder and tells the member privately in a follow-up', async () => {
    const payload = payloads.chatInput('probe', [{ type: 3, name: 'mode', value: 'public-user-error' }]);
    await dispatch(payload);
    expect(callbacks()[0]?.body.data?.flags ?? 0).toBe(0);
    const webhook = rest.requests.filter((r) => r.path.startsWith('/webhooks/'));
    expect(webhook.map((r) => `${r.method} ${r.path}`)).toEqual([
      `DELETE /webhooks/${payloads.APPLICATION_ID}/${payload.token}/messages/@original`,
      `POST /webhooks/${payloads.APPLICATION_ID}/${payload.token}`,
    ]);
    expect(webhook[1]?.body).toMatchObject({ content: 'That chapter is not in the dataset.', flags: 64, allowed_mentions: { parse: [] } });
  });

  it('answers a bug after a defer with an apology carrying the interaction id, and logs the details', async () => {
    const payload = payloads.chatInput('probe', [{ type: 3, name: 'mode', value: 'bug' }]);
    await dispatch(payload);
    expect(lastBody().content).toContain(payload.id);
    expect(lastBody().content).not.toContain('kaboom');
    const line = logs.lines.map((l) => JSON.parse(l)).find((l) => l.msg === 'interaction handler failed');
    expect(line).toMatchObject({ interactionId: payload.id, command: 'probe', guildId: payloads.GUILD_ID, userId: payloads.MEMBER_ID });
    expect(line.err.message).toBe('kaboom');
  });

  it('answers a bug thrown before any defer with an ephemeral apology as the first response', async () => {
    const payload = payloads.chatInput('early-bug');
    await dispatch(payload);
    expect(callbacks()).toHaveLength(1);
    expect(callbacks()[0]?.body).toMatchObject({ type: 4, data: { flags: 64 } });
    expect(callbacks()[0]?.body.data.content).toContain(payload.id);
  });

  it('never produces InteractionAlreadyReplied: exactly one initial response in every failure case', async () => {
    for (const mode of ['bug', 'user-error']) {
      rest.requests.length = 0;
      await dispatch(payloads.chatInput('probe', [{ type: 3, name: 'mode', value: mode }]));
      expect(callbacks()).toHaveLength(1);
    }
    expect(logs.text()).not.toContain('InteractionAlreadyReplied');
  });

  it('refuses a member without Manage Server or the moderator role, and calls the denial hook', async () => {
    await dispatch(payloads.chatInput('mod-only', [], payloads.member));
    expect(callbacks()[0]?.body).toMatchObject({ type: 4, data: { flags: 64 } });
    expect(callbacks()[0]?.body.data.content).toMatch(/moderator tool/i);
    expect(seen).toEqual(['denied']);
  });

  it('lets in a member with Manage Server, and one with the configured moderator role', async () => {
    await dispatch(payloads.chatInput('mod-only', [], payloads.moderator));
    expect(lastBody()).toMatchObject({ content: 'moderator tool ran' });
    ctx.settings.update(payloads.GUILD_ID, { moderatorRoleId: payloads.MODERATOR_ROLE_ID }, new Date());
    rest.requests.length = 0;
    await dispatch(payloads.chatInput('mod-only', [], { ...payloads.member, roles: [payloads.MODERATOR_ROLE_ID] }));
    expect(lastBody()).toMatchObject({ content: 'moderator tool ran' });
  });

  it('answers an unknown command kindly', async () => {
    await dispatch(payloads.chatInput('no-such-command'));
    expect(callbacks()[0]?.body).toMatchObject({ type: 4, data: { flags: 64 } });
    expect(callbacks()[0]?.body.data.content).toContain('/help');
  });

  it('dispatches autocomplete, and answers an empty list when the handler throws', async () => {
    await dispatch(payloads.autocomplete('probe', [{ type: 3, name: 'mode', value: 'wen', focused: true }]));
    expect(callbacks()[0]?.body).toEqual({ type: 8, data: { choices: [{ name: 'you typed wen', value: 'wen' }] } });
    rest.requests.length = 0;
    await dispatch(payloads.autocomplete('probe', [{ type: 3, name: 'mode', value: 'explode', focused: true }]));
    expect(callbacks()[0]?.body).toEqual({ type: 8, data: { choices: [] } });
  });

  it('routes buttons and selects by custom-id prefix with their arguments', async () => {
    await dispatch(payloads.button(customId('probe-btn', 'chapter', 5)));
    await dispatch(payloads.stringSelect(customId('probe-btn', 'pick'), ['a']));
    expect(seen).toEqual(['button:chapter,5', 'select:pick']);
    expect(callbacks().map((c) => c.body.type)).toEqual([6, 6]);
  });

  it('routes modal submits with their fields', async () => {
    await dispatch(payloads.modalSubmit(customId('probe-modal', 'week', 2), { text: 'what I read' }));
    expect(seen).toEqual(['modal:week,2:what I read']);
    expect(lastBody()).toMatchObject({ content: 'saved' });
  });

  it('routes message context-menu commands with the resolved message', async () => {
    await dispatch(payloads.messageContext('Probe message', { id: '1500000000000000001', content: 'my own words', authorId: payloads.MEMBER_ID }));
    expect(seen).toEqual(['menu:my own words']);
  });

  it('answers a component with an unknown prefix kindly', async () => {
    await dispatch(payloads.button('gone-feature:1'));
    expect(callbacks()[0]?.body).toMatchObject({ type: 4, data: { flags: 64 } });
  });
});

describe('/help and /settings through the router', () => {
  it('/help lists every command, context-menu ones included, ephemerally', async () => {
    await dispatch(payloads.chatInput('help'));
    const body = callbacks()[0]?.body;
    expect(body).toMatchObject({ type: 4, data: { flags: 64, allowed_mentions: { parse: [] } } });
    const text: string = body.data.embeds[0].description;
    for (const module of ctx.commands) expect(text).toContain(module.data.name);
  });

  it('/settings is refused to a member without Manage Server, even with the moderator role', async () => {
    ctx.settings.update(payloads.GUILD_ID, { moderatorRoleId: payloads.MODERATOR_ROLE_ID }, new Date());
    await dispatch(payloads.subcommand('settings', 'show', [], { ...payloads.member, roles: [payloads.MODERATOR_ROLE_ID] }));
    expect(callbacks()[0]?.body.data.content).toMatch(/Manage Server/);
  });

  it('/settings stores the moderator role, mod-log channel and support note, and shows them', async () => {
    await dispatch(payloads.subcommand('settings', 'moderator-role', [{ type: 8, name: 'role', value: payloads.MODERATOR_ROLE_ID }], payloads.moderator, payloads.resolvedRole(payloads.MODERATOR_ROLE_ID)));
    await dispatch(payloads.subcommand('settings', 'mod-log-channel', [{ type: 7, name: 'channel', value: payloads.CHANNEL_ID }], payloads.moderator, payloads.resolvedChannel(payloads.CHANNEL_ID)));
    await dispatch(payloads.subcommand('settings', 'support-note', [{ type: 3, name: 'text', value: '  Reach Dana (a moderator) any time.  ' }], payloads.moderator));
    expect(ctx.settings.get(payloads.GUILD_ID)).toMatchObject({
      moderatorRoleId: payloads.MODERATOR_ROLE_ID,
      modLogChannelId: payloads.CHANNEL_ID,
      supportNote: 'Reach Dana (a moderator) any time.',
    });
    rest.requests.length = 0;
    await dispatch(payloads.subcommand('settings', 'show', [], payloads.moderator));
    expect(callbacks()[0]?.body).toMatchObject({ type: 5, data: { flags: 64 } });
    expect(lastBody().embeds[0].description).toContain('Reach Dana');
    expect(lastBody().allowed_mentions).toEqual({ parse: [] });
  });

  it('/settings refuses @everyone as the moderator role', async () => {
    await dispatch(payloads.subcommand('settings', 'moderator-role', [{ type: 8, name: 'role', value: payloads.GUILD_ID }], payloads.moderator, payloads.resolvedRole(payloads.GUILD_ID, '@everyone')));
    expect(lastBody().content).toMatch(/@everyone/);
    expect(ctx.settings.get(payloads.GUILD_ID).moderatorRoleId).toBeNull();
  });
});
