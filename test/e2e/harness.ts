/**
 * End-to-end harness: the real bot (started by `runFromEnvironment`, the function behind `npm start`,
 * configured by environment variables) logged in with the real discord.js client to the local Discord
 * (src/local-discord), with a fresh temp database. In-process, so tests can inject a clock and read logs.
 *
 * API
 *   const h = await startHarness({ env?, clock?, commands?, discord?, discordOptions?, databasePath? });
 *     env            extra environment (e.g. { REFLECTIONS_KEY: '…', LOG_LEVEL: 'debug', DISCORD_GUILD_ID: h.discord.ids.guild })
 *     clock          the bot's Clock (src/clock.ts), e.g. fixedClock('2026-03-01T10:00:00Z')
 *     commands       replace the command registry (e.g. [...commands, throwingCommand])
 *     discord        reuse a running LocalDiscord (its state survives; it is not closed by stop())
 *     discordOptions options for a new LocalDiscord (heartbeatIntervalMs, interactionDeadlineMs, now, botPermissions…)
 *     databasePath   reuse a database file (a "restart"); default: <tempDir>/bot.sqlite
 *   → h.discord   the LocalDiscord:
 *       h.discord.interact.chatInput({ name: 'help', subcommand?: 'show', options?: { chapter: 'wenke' }, as?: 'member'|'moderator'|'owner' })
 *       h.discord.interact.autocomplete({ name, focused: 'chapter', value: 'we' })   → handle.choices
 *       h.discord.interact.button({ message, component: 1 | 'custom:id' }) / .select({ …, values })
 *       h.discord.interact.modalSubmit({ modal: handleThatGotTheModal, values: ['text'] | { customId: 'text' } })
 *       h.discord.interact.messageContext({ name: 'Save as reflection', message })
 *         each resolves after the bot's initial response with an InteractionHandle:
 *           handle.callback {type, data}; handle.ephemeral; handle.modal; handle.choices;
 *           await handle.reply() (first visible reply: edited original or first follow-up);
 *           handle.original(); handle.followUps(); await handle.waitForFollowUps(n); await handle.settled()
 *       h.discord.render(handle | message | messages)    → plain text (buttons numbered [1], [2] …)
 *       h.discord.requests / requestsMatching({ method: 'POST', path: '/channels/:id/messages' }) / messageWrites()
 *       h.discord.messages(channelId?)                  → a channel's messages (oldest first)
 *       h.discord.directMessages('member')              → the bot's DMs to a member; h.discord.blockDMs('member') → sending them one fails (50007)
 *       h.discord.postAs('member', 'text', channelId?)  → a member's message (for message commands)
 *       h.discord.faults.add({ method, path: string | RegExp, status?, body?, headers?, delayMs?, times? })
 *       h.discord.interactionDeadlineMs = 0             → any initial response is late (10062), no waiting
 *       h.discord.setOverwrites(channelId, [...])        → e.g. deny the bot's role SEND_MESSAGES (50013)
 *       h.discord.gateway.identifies / .resumes / .ackHeartbeats / .disconnect(4000)
 *       h.discord.setBotInGuild(false)                   → bot user out of the guild, app still installed (interactions arrive; no guild in READY)
 *       h.discord.ids  { guild, channel, modLogChannel, bot, application, member, moderator, owner, roles: {…} }
 *       h.discord.waitFor(() => condition) / waitForRequest(filter)
 *   → h.bot       the RunningApp ({ ctx, client, ready, stop }); h.ctx = h.bot.ctx
 *   → h.logs()    parsed JSON log lines; h.logText() the raw log
 *   → await h.waitForLog((line) => line.msg === '…')   resolves with the first matching log line (re-checked per line)
 *   → h.unhandledRejections   promise rejections nobody handled while the harness ran
 *   → await h.stop()          stops the bot, the local Discord (if the harness made it), removes the temp dir
 *   → await h.restart(opts?)  stops the bot and starts it again on the same local Discord and database
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunningApp } from '../../src/app.js';
import type { Clock } from '../../src/clock.js';
import type { AppContext } from '../../src/context.js';
import type { CommandModule } from '../../src/discord/command.js';
import { startLocalDiscord, type LocalDiscord, type LocalDiscordOptions } from '../../src/local-discord/index.js';
import { runFromEnvironment } from '../../src/run.js';

export interface HarnessOptions {
  env?: Record<string, string>;
  clock?: Clock;
  commands?: readonly CommandModule[];
  discord?: LocalDiscord;
  discordOptions?: LocalDiscordOptions;
  databasePath?: string;
}

export interface Harness {
  discord: LocalDiscord;
  bot: RunningApp;
  ctx: AppContext;
  env: Record<string, string>;
  tempDir: string;
  databasePath: string;
  logs(): Record<string, unknown>[];
  logText(): string;
  waitForLog(predicate: (line: Record<string, unknown>) => boolean, options?: { timeoutMs?: number }): Promise<Record<string, unknown>>;
  unhandledRejections: unknown[];
  restart(options?: Pick<HarnessOptions, 'env' | 'clock' | 'commands'>): Promise<Harness>;
  stop(): Promise<void>;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const ownsDiscord = options.discord === undefined;
  const discord = options.discord ?? (await startLocalDiscord(options.discordOptions));
  const tempDir = mkdtempSync(join(tmpdir(), 'reading-circle-e2e-'));
  const databasePath = options.databasePath ?? join(tempDir, 'bot.sqlite');
  const lines: string[] = [];
  const logListeners = new Set<() => void>();
  const unhandledRejections: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandledRejections.push(reason);
  process.on('unhandledRejection', onUnhandled);

  const env: Record<string, string> = {
    DISCORD_TOKEN: discord.token,
    DISCORD_API_URL: discord.apiUrl,
    DATABASE_PATH: databasePath,
    LOG_LEVEL: 'info',
    DISCORD_REST_TIMEOUT_MS: '5000',
    SHUTDOWN_TIMEOUT_MS: '2000',
    ...options.env,
  };
  const start = async (opts: Pick<HarnessOptions, 'env' | 'clock' | 'commands'>): Promise<RunningApp> => {
    const outcome = await runFromEnvironment(
      { ...env, ...opts.env },
      {
        clock: opts.clock,
        commands: opts.commands,
        logDestination: {
          write: (line: string) => {
            lines.push(line);
            for (const listener of logListeners) listener();
          },
        },
      },
    );
    if (outcome.kind !== 'running') throw new Error(`the bot did not start: ${outcome.kind === 'invalid-config' ? outcome.problems.join('; ') : outcome.kind}`);
    return outcome.app;
  };

  let bot: RunningApp;
  try {
    bot = await start(options);
  } catch (error) {
    process.off('unhandledRejection', onUnhandled);
    if (ownsDiscord) await discord.close();
    rmSync(tempDir, { recursive: true, force: true });
    throw error;
  }

  const harness: Harness = {
    discord,
    bot,
    ctx: bot.ctx,
    env,
    tempDir,
    databasePath,
    unhandledRejections,
    logs: () =>
      lines.flatMap((line) => {
        try {
          return [JSON.parse(line) as Record<string, unknown>];
        } catch {
          return [];
        }
      }),
    logText: () => lines.join(''),
    waitForLog: (predicate, opts = {}) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const found = harness.logs().find(predicate);
          if (!found) return;
          logListeners.delete(check);
          clearTimeout(timer);
          resolve(found);
        };
        const timer = setTimeout(() => {
          logListeners.delete(check);
          reject(new Error('timed out waiting for a log line'));
        }, opts.timeoutMs ?? 5000);
        logListeners.add(check);
        check();
      }),
    restart: async (opts = {}) => {
      await harness.bot.stop();
      harness.bot = await start({ clock: options.clock, commands: options.commands, ...opts });
      harness.ctx = harness.bot.ctx;
      return harness;
    },
    stop: async () => {
      try {
        await harness.bot.stop();
      } finally {
        process.off('unhandledRejection', onUnhandled);
        if (ownsDiscord) await discord.close();
        rmSync(tempDir, { recursive: true, force: true });
      }
    },
  };
  return harness;
}
