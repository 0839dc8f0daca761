import { spawn } from 'node:child_process';
import { hostname } from 'node:os';
import { Readable, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ApplicationCommandType, ContextMenuCommandBuilder, MessageFlags } from 'discord.js';
import { commands } from '../../commands/index.js';
import { serverCommand } from '../../src/discord/builders.js';
import type { ChatInputCommand, CommandModule, MessageContextCommand } from '../../src/discord/command.js';
import { createGuildSettingsRepo } from '../../src/db/guild-settings.js';
import { createLeaseRepo, DISCORD_LEASE } from '../../src/prompts/lease.js';
import { runFromEnvironment } from '../../src/run.js';
import { openMigrated } from '../db/prompts-helpers.js';
import { join, useTempDir } from '../helpers/tmp.js';

// Test-only commands: a form with two fields, and a message command, to drive the playground's mechanics.
const form: ChatInputCommand = {
  kind: 'chat-input',
  data: serverCommand('echo-form', 'Shows a form and echoes it (test only)').toJSON(),
  defer: 'none',
  async execute(interaction) {
    await interaction.showModal({
      custom_id: 'echo:form',
      title: 'Echo form',
      components: [
        { type: 18, label: 'First thing', component: { type: 4, custom_id: 'first', style: 1, max_length: 100 } },
        { type: 18, label: 'Second thing', component: { type: 4, custom_id: 'second', style: 2, required: false } },
      ],
    });
  },
  components: [
    {
      prefix: 'echo',
      defer: 'ephemeral',
      async modal(interaction) {
        const first = interaction.fields.getTextInputValue('first');
        const second = interaction.fields.getTextInputValue('second');
        await interaction.editReply({ content: `first=${first} | second=${JSON.stringify(second)}`, allowedMentions: { parse: [] } });
      },
    },
  ],
};
const quote: MessageContextCommand = {
  kind: 'message-context',
  data: new ContextMenuCommandBuilder().setName('Echo message').setType(ApplicationCommandType.Message).setContexts(0).setIntegrationTypes(0).toJSON(),
  help: 'Echoes a message (test only)',
  defer: 'none',
  async execute(interaction) {
    await interaction.reply({ content: `echo: ${interaction.targetMessage.content}`, flags: MessageFlags.Ephemeral, allowedMentions: { parse: [] } });
  },
};
const withEchoes: readonly CommandModule[] = [...commands, form, quote];

/**
 * The playground (`npm start` without DISCORD_TOKEN): lines piped in become interactions against the local
 * Discord, replies come out as text, and it stops at the end of its input.
 */

function collector(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  });
  return { stream, text: () => chunks.join('') };
}

async function playground(lines: string[], modules?: readonly CommandModule[]): Promise<{ out: string; logs: string; outcome: string }> {
  const out = collector();
  const logs: string[] = [];
  const outcome = await runFromEnvironment(
    {},
    { commands: modules, stdin: Readable.from([lines.map((l) => `${l}\n`).join('')]), stdout: out.stream, interactive: false, logDestination: { write: (line: string) => void logs.push(line) } },
  );
  return { out: out.text(), logs: logs.join(''), outcome: outcome.kind };
}

describe('the playground', () => {
  const tempDir = useTempDir();

  it('says it is local, answers typed commands as text, switches who you are, presses buttons, and stops at the end of input', async () => {
    const { out, logs, outcome } = await playground([
      '/help',
      '/chapter chapter:wenke',
      '1',
      '/settings show',
      ':as moderator',
      '/settings support-note text:"Ask Ana, our host"',
      '/no-such-command',
      'not a command',
    ]);
    expect(outcome).toBe('playground-finished');
    expect(out).toContain('this is the local playground');
    expect(out).toContain('nothing is sent to Discord');
    expect(out).toContain('throwaway database');
    // /help, rendered as text and private.
    expect(out).toMatch(/member> \/help\n\(only you can see this\)\n== reading-circle: what I can do ==/);
    // /chapter with an option, then its first button pressed by number.
    expect(out).toContain('== Chapter 5: Matthias Wenke ==');
    expect(out).toMatch(/member> 1\n(.*\n)*== Matthias Wenke ==/);
    // A member is refused the moderator tool; the moderator gets it, with a quoted value kept whole.
    expect(out).toMatch(/member> \/settings show\n\(only you can see this\)\nThis needs the Manage Server permission\./);
    expect(out).toContain('You are now Mira, a moderator');
    expect(out).toContain('**Support note:** Ask Ana, our host');
    expect(out).toContain('I don’t know that one');
    expect(out).toContain('! "not a command" is not a command');
    expect(out.trimEnd().endsWith('Bye. The playground is closed.')).toBe(true);
    // Logs stay quiet (warnings only) and out of the conversation.
    expect(out).not.toContain('"level"');
    for (const line of logs.split('\n').filter(Boolean)) expect((JSON.parse(line) as { level: number }).level).toBeGreaterThanOrEqual(40);
  });

  it('fills a form field by field, runs a message command on a numbered message, and keeps going after a closed form', async () => {
    const { out } = await playground(
      ['/echo-form', 'one "quoted" thing', 'two\\nlines', ':say hello from Sam', ':messages', ':apps 1 Echo message', '/echo-form', ':cancel', '/help'],
      withEchoes,
    );
    expect(out).toContain('[form] Echo form\n  1. First thing (required, up to 100 characters)\n  2. Second thing (optional)');
    expect(out).toContain('  1. First thing: one "quoted" thing\n  2. Second thing: two\\nlines\n(only you can see this)\nfirst=one "quoted" thing | second="two\\nlines"');
    expect(out).toMatch(/member> :messages\n1\. Sam \(member\): hello from Sam/);
    expect(out).toContain('echo: hello from Sam');
    expect(out).toContain('(form closed without sending)');
    expect(out).toContain('== reading-circle: what I can do ==');
  });

  it('asks for a required option as Discord would, and presses only the buttons of what it showed last', async () => {
    const { out, outcome } = await playground([':as moderator', '/prompt setup weekday:monday time:19:00 timezone:Europe/London', '/chapter chapter:wenke', '/contributor name:pizer', '1']);
    expect(outcome).toBe('playground-finished');
    expect(out).toContain('/prompt setup needs channel: too (Discord asks for it before sending)');
    expect(out).not.toContain('Sorry, something went wrong');
    // The did-you-mean list has no buttons: "1" does not press /chapter's first button.
    expect(out).toContain('the last reply has no buttons or menus to press');
    expect(out).not.toContain('== Matthias Wenke ==');
  });

  it('keeps its own server in a kept database: a second run finds what the first saved', async () => {
    const path = join(tempDir(), 'playground.sqlite');
    const run = async (lines: string[]) => {
      const out = collector();
      const outcome = await runFromEnvironment({ DATABASE_PATH: path }, { stdin: Readable.from([lines.map((l) => `${l}\n`).join('')]), stdout: out.stream, interactive: false, logDestination: { write: () => undefined } });
      expect(outcome.kind).toBe('playground-finished');
      return out.text();
    };
    await run([':as moderator', '/settings support-note text:"Ask Ana, our host"']);
    expect(await run([':as moderator', '/settings show'])).toContain('**Support note:** Ask Ana, our host');
  });

  // With the bot stopped, DATABASE_PATH left at its database holds real servers: the playground must not touch them.
  it('refuses, before writing anything, a database that holds the data of real servers', async () => {
    const path = join(tempDir(), 'reading-circle.sqlite');
    const db = openMigrated(path);
    const realServer = '100000000000000042';
    createGuildSettingsRepo(db).update(realServer, { supportNote: 'our real group' }, new Date());
    const before = db.prepare('SELECT COUNT(*) FROM guild_presence').pluck().get();
    const out = collector();
    const run = runFromEnvironment({ DATABASE_PATH: path }, { stdin: Readable.from(['/help\n']), stdout: out.stream, interactive: false, logDestination: { write: () => undefined } });
    await expect(run).rejects.toThrow(/holds the data of 1 real server\(s\).*would mark those servers as having removed the bot.*DATABASE_PATH= npm start/s);
    expect(out.text()).not.toContain('== reading-circle: what I can do ==');
    expect(db.prepare('SELECT COUNT(*) FROM guild_presence').pluck().get()).toBe(before);
    expect(createGuildSettingsRepo(db).get(realServer).supportNote).toBe('our real group');
    db.close();
  });

  // .env.example sets DATABASE_PATH to the bot's own database, so a newcomer trying the playground while the
  // bot runs points it at a database whose lease a live bot holds. Waiting for that lease (logged at info,
  // below the playground's warn) looked like a hang.
  it('refuses at once, saying so, when DATABASE_PATH is the database of a bot that is running', async () => {
    const path = join(tempDir(), 'reading-circle.sqlite');
    const db = openMigrated(path);
    // A bot of this machine holds the lease: this very process, so it is alive.
    const botHolder = `${hostname()}:${process.pid}:0123abcd`;
    expect(createLeaseRepo(db).tryAcquire(DISCORD_LEASE, botHolder, new Date(), 600_000)).toBe(true);
    const out = collector();
    let settled = false;
    const run = runFromEnvironment(
      { DATABASE_PATH: path },
      { stdin: Readable.from(['/help\n']), stdout: out.stream, interactive: false, logDestination: { write: () => undefined } },
    ).finally(() => (settled = true));
    // The refusal needs no timer: by the time the local Discord is up and the lease checked, it has come.
    // (Before the fix this promise stayed pending; vitest's own timeout then fails the test.)
    await expect(run).rejects.toThrow(/another copy of the bot is running on .*reading-circle\.sqlite.*DATABASE_PATH= npm start/s);
    expect(settled).toBe(true);
    expect(out.text()).toContain(`Data goes to ${path} (DATABASE_PATH).`);
    expect(out.text()).not.toContain('== reading-circle: what I can do ==');
    // The bot's lease is untouched.
    expect(createLeaseRepo(db).get(DISCORD_LEASE)?.holder).toBe(botHolder);
    db.close();
  });

  it('runs as a process the way `npm start` does (main.ts, stdin piped): prints the help and exits 0 at the end of input', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: process.cwd(),
      env: { ...process.env, DISCORD_TOKEN: '', DATABASE_PATH: '', LOG_LEVEL: '' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stdin.end('/help\n');
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(0);
    expect(out).toContain('local playground');
    expect(out).toContain('== reading-circle: what I can do ==');
    expect(out).toContain('Bye. The playground is closed.');
  }, 30_000);
});
