import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { startApp, type RunningApp } from '../app.js';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { LeaseHeldError } from '../prompts/lease.js';
import { refuseOtherServers } from './database-guard.js';
import type { RunDeps } from '../run.js';
import { Secret } from '../secret.js';
import { InteractionDriver, type InteractionHandle } from '../local-discord/driver.js';
import { startLocalDiscord, type LocalDiscord, type LocalMessage } from '../local-discord/index.js';
import { renderMessage } from '../local-discord/render.js';
import { modalTextInputs } from '../local-discord/limits.js';
import { parseCommandLine, tokenize } from './parse.js';

/**
 * The local playground (`npm start` without DISCORD_TOKEN): a local Discord on this machine, the bot
 * logged in to it, and a prompt that turns typed lines into interactions and prints the replies as text.
 * Nothing is sent to Discord. With standard input not a terminal it reads the lines given and exits at
 * their end, so `printf '/help\n' | npm start` prints the help and stops.
 */

/** When the playground's world was made, as far as its ids tell (they are snowflakes): fixed, so they never change. */
const PLAYGROUND_WORLD_AT = Date.UTC(2026, 0, 1);

const PLAYGROUND_HELP = [
  'Type a command the way you would in Discord:',
  '  /help                                  /chapter chapter:wenke',
  '  /settings show                         /settings support-note text:"Ask Ana, our host"',
  'Playground commands:',
  '  :as moderator | :as member             switch who you are (a moderator has Manage Server)',
  '  :press N                               press button N of the last reply (or just type N)',
  '  :select N value[,value…]               choose in select menu N of the last reply',
  '  :say some text                         post a message in the channel as yourself',
  '  :apps N Command Name                   run a message command on message N of :messages',
  '  :messages                              the channel’s last messages, numbered',
  '  :channel name                          switch channel (#reading-circle, #mod-log, a thread)',
  '  :help | :quit',
  'When the bot shows a form, you are asked for each field in turn (field 1, 2, …); \\n in a value starts',
  'a new line, an empty answer leaves the field empty, :cancel closes the form.',
].join('\n');

interface Session {
  actor: 'member' | 'moderator';
  channelId: string;
  /** The last message shown that had buttons or selects. */
  lastWithComponents?: LocalMessage;
  /** The numbered list from :messages. */
  listed: LocalMessage[];
  /** Message ids already shown or known, so each bot post is printed once. */
  seen: Set<string>;
}

export async function runPlayground(config: Config, log: Logger, deps: RunDeps & { explicitDatabase: boolean }): Promise<void> {
  const out = deps.stdout ?? process.stdout;
  const input = deps.stdin ?? process.stdin;
  const interactive = deps.interactive ?? (process.stdin.isTTY && input === process.stdin);
  const print = (text: string) => void out.write(`${text}\n`);

  const tempDir = deps.explicitDatabase ? undefined : mkdtempSync(join(tmpdir(), 'reading-circle-playground-'));
  const databasePath = tempDir ? join(tempDir, 'playground.sqlite') : config.DATABASE_PATH;
  print('No DISCORD_TOKEN is set, so this is the local playground: a stand-in Discord runs on this machine and nothing is sent to Discord.');
  print(tempDir ? 'Data goes to a throwaway database that is deleted when you leave (set DATABASE_PATH to keep it).' : `Data goes to ${databasePath} (DATABASE_PATH).`);

  // The same stand-in server every run, so a kept database (DATABASE_PATH) finds its reflections again.
  const discord = await startLocalDiscord({ worldIdsAt: PLAYGROUND_WORLD_AT });
  let app: RunningApp | undefined;
  try {
    if (!tempDir) refuseOtherServers(databasePath, discord.ids.guild);
    app = await startApp({
      config: {
        ...config,
        DISCORD_API_URL: discord.apiUrl,
        DISCORD_GUILD_ID: discord.ids.guild,
        DATABASE_PATH: databasePath,
        // A throwaway database needs no lasting key: use a random one instead of writing a key file to back up.
        REFLECTIONS_KEY: config.REFLECTIONS_KEY ?? (tempDir ? new Secret(randomBytes(32).toString('hex')) : undefined),
      },
      log,
      token: new Secret(discord.token),
      clock: deps.clock,
      commands: deps.commands,
      // A live bot holds this database's lease (DATABASE_PATH set to the bot's own database, as .env.example
      // does). Waiting, as a second copy of the bot would, shows nothing at the playground's log level and
      // looks like a hang; taking a throwaway database instead would quietly drop the data the user asked
      // for. So it stops at once and says why and what to do: the error reaches main.ts, which prints it on
      // stderr and exits 1.
      waitForLease: false,
    }).catch((error: unknown) => {
      if (!(error instanceof LeaseHeldError)) throw error;
      throw new Error(
        `another copy of the bot is running on ${databasePath} (${error.current.holder}), and the playground does not share a database with a running bot. ` +
          'Stop that copy, or leave DATABASE_PATH empty for a throwaway database: DATABASE_PATH= npm start',
        { cause: error },
      );
    });
    await app.ready;
    print(`You are in the server "Reading Circle (local)", channel #reading-circle, as an ordinary member. Type /help, or :help for the playground's own commands${interactive ? ', :quit to leave' : ''}.`);
    print('');
    await repl(discord, input, out, interactive);
  } finally {
    await app?.stop().catch((error: unknown) => log.warn({ err: error }, 'playground bot did not stop cleanly'));
    await discord.close();
    if (tempDir) rmSync(tempDir, { recursive: true, force: true });
  }
}

async function repl(discord: LocalDiscord, input: Readable, out: Writable, interactive: boolean): Promise<void> {
  const print = (text: string) => void out.write(`${text}\n`);
  const session: Session = { actor: 'member', channelId: discord.ids.channel, listed: [], seen: new Set(discord.server.messages.keys()) };
  const rl = createInterface({ input, output: interactive ? out : undefined, terminal: interactive });
  const lines = rl[Symbol.asyncIterator]();
  const prompt = (text: string) => {
    if (interactive) out.write(text);
  };
  const nextLine = async (label: string): Promise<string | undefined> => {
    prompt(label);
    const next = await lines.next();
    if (next.done) return undefined;
    if (!interactive && next.value.trim() !== '') print(`${label}${next.value}`);
    return next.value;
  };
  rl.on('SIGINT', () => rl.close());

  for (;;) {
    const line = await nextLine(`${session.actor}> `);
    if (line === undefined) break;
    const text = line.trim();
    if (text === '' || text.startsWith('#')) continue;
    if (text === ':quit' || text === ':exit') break;
    try {
      await handleLine(text, discord, session, print, nextLine);
    } catch (error) {
      print(`! ${error instanceof Error ? error.message : String(error)}`);
    }
    print('');
  }
  rl.close();
  print('Bye. The playground is closed.');
}

type Print = (text: string) => void;
type NextLine = (label: string) => Promise<string | undefined>;

async function handleLine(text: string, discord: LocalDiscord, session: Session, print: Print, nextLine: NextLine): Promise<void> {
  const as = session.actor;
  const channelId = session.channelId;
  if (text.startsWith('/')) {
    const parsed = parseCommandLine(text);
    const handle = await discord.interact.chatInput({ name: parsed.name, subcommand: parsed.subcommand.join(' ') || undefined, options: parsed.options, as, channelId, timeoutMs: 10_000, asDiscordWould: true });
    return show(handle, discord, session, print, nextLine);
  }
  if (/^\d+$/.test(text)) return handleLine(`:press ${text}`, discord, session, print, nextLine);
  const [command = '', ...args] = tokenize(text);
  switch (command) {
    case ':help':
      print(PLAYGROUND_HELP);
      return;
    case ':as': {
      const who = args[0];
      if (who !== 'moderator' && who !== 'member') throw new Error('write :as moderator or :as member');
      session.actor = who;
      print(who === 'moderator' ? 'You are now Mira, a moderator (Manage Server).' : 'You are now Sam, an ordinary member.');
      return;
    }
    case ':press':
    case ':click': {
      const message = requireComponents(session);
      const handle = await discord.interact.button({ message, component: Number(args[0]), as, channelId: message.channel_id, timeoutMs: 10_000 });
      return show(handle, discord, session, print, nextLine);
    }
    case ':select': {
      const message = requireComponents(session);
      const values = args.slice(1).join(' ').split(',').map((v) => v.trim()).filter(Boolean);
      const handle = await discord.interact.select({ message, component: Number(args[0]), values, as, channelId: message.channel_id, timeoutMs: 10_000 });
      return show(handle, discord, session, print, nextLine);
    }
    case ':say': {
      const message = discord.postAs(as, args.join(' '), channelId);
      print(`(posted as ${as}: message ${message.id})`);
      return;
    }
    case ':messages': {
      session.listed = discord.messages(channelId).slice(-10);
      if (session.listed.length === 0) print('(no messages in this channel yet)');
      session.listed.forEach((m, i) => print(`${i + 1}. ${m.author.global_name ?? m.author.username}: ${firstLine(renderMessage(m, { numbered: false }))}`));
      return;
    }
    case ':apps': {
      const message = session.listed[Number(args[0]) - 1];
      if (!message) throw new Error('run :messages first, then :apps <number> <command name>');
      const handle = await discord.interact.messageContext({ name: args.slice(1).join(' '), message, as, timeoutMs: 10_000 });
      return show(handle, discord, session, print, nextLine);
    }
    case ':channel': {
      const wanted = args.join(' ').replace(/^#/, '');
      const channel = [...discord.server.channels.values()].find((c) => c.name === wanted || c.id === wanted);
      if (!channel) throw new Error(`no channel "${wanted}". Channels: ${[...discord.server.channels.values()].map((c) => `#${c.name}`).join(', ')}`);
      session.channelId = channel.id;
      print(`You are now in #${channel.name}.`);
      return;
    }
    default:
      throw new Error(`"${text}" is not a command. Commands start with /, playground commands with : (try :help).`);
  }
}

function requireComponents(session: Session): LocalMessage {
  if (!session.lastWithComponents) throw new Error('the last reply has no buttons or menus to press');
  return session.lastWithComponents;
}

function firstLine(text: string): string {
  const line = text.split('\n').find((l) => l.trim() !== '') ?? '';
  return line.length > 100 ? `${line.slice(0, 99)}…` : line;
}

/** Prints what the bot did for one interaction: modal (then fills it), choices, messages, other posts. */
async function show(handle: InteractionHandle, discord: LocalDiscord, session: Session, print: Print, nextLine: NextLine): Promise<void> {
  if (handle.modal) {
    const modal = handle.modal;
    print(discord.render(handle));
    const inputs = modalTextInputs((modal.components as Record<string, unknown>[] | undefined) ?? []);
    const values: string[] = [];
    for (const [i, field] of inputs.entries()) {
      const value = await nextLine(`  ${i + 1}. ${typeof field.label === 'string' ? field.label : 'field'}: `);
      if (value === undefined || value.trim() === ':cancel') {
        print('(form closed without sending)');
        return;
      }
      values.push(value.replace(/\\n/g, '\n'));
    }
    const submitted = await discord.interact.modalSubmit({ modal: handle, values, as: session.actor, timeoutMs: 10_000 });
    return show(submitted, discord, session, print, nextLine);
  }
  if (handle.choices) {
    print(discord.render(handle));
    return;
  }
  await handle.settled({ quietMs: 150, timeoutMs: 120_000 });
  const messages = handle.messages();
  if (messages.length === 0) print('(the bot acknowledged without a visible reply)');
  // A number presses a button of what was shown last: this reply's, else a post the bot just made (a weekly
  // prompt's Reflect, a post's Report), else none (not a button of some earlier reply).
  let withButtons: LocalMessage | undefined;
  for (const message of messages) {
    print(renderMessage(message));
    if (InteractionDriver.interactiveComponents(message).length > 0) withButtons = message;
  }
  // Anything else the bot posted meanwhile (for example into a thread).
  for (const message of messages) session.seen.add(message.id);
  for (const message of discord.server.messages.values()) {
    if (session.seen.has(message.id)) continue;
    session.seen.add(message.id);
    if (message.author.id !== discord.ids.bot) continue;
    const channel = discord.server.channels.get(message.channel_id);
    print(`[posted in #${channel?.name ?? message.channel_id}]`);
    print(renderMessage(message));
    if (InteractionDriver.interactiveComponents(message).length > 0 && !messages.some((m) => InteractionDriver.interactiveComponents(m).length > 0)) withButtons = message;
  }
  session.lastWithComponents = withButtons;
}
