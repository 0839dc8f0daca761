import type Anthropic from '@anthropic-ai/sdk';
import { Events, type Client } from 'discord.js';
import { commands as registry } from '../commands/index.js';
import { systemClock, type Clock, type Timers } from './clock.js';
import type { Config } from './config.js';
import { loadBook, loadBookSync, type BookService } from './book/service.js';
import { createAnthropicClient } from './ai/client.js';
import { createAskService } from './ai/service.js';
import { createAskUsageRepo } from './ai/usage-repo.js';
import type { AppContext } from './context.js';
import { openDatabase, type Db } from './db/connection.js';
import { createGuildSettingsRepo } from './db/guild-settings.js';
import { migrate } from './db/migrate.js';
import { migrations } from './db/migrations/index.js';
import type { CommandModule } from './discord/command.js';
import { createDiscordClient } from './discord/client.js';
import { keepCommandsRegistered, type CommandRegistration } from './discord/command-registration.js';
import { syncCommands } from './discord/command-sync.js';
import { describeDiscordError } from './discord/errors.js';
import { createHandlersInProgress } from './discord/handlers-in-progress.js';
import { createRouter } from './discord/router.js';
import type { Logger } from './logger.js';
import { serialByKey } from './serial.js';
import { createInteractionsInFlight } from './members-first.js';
import type { Secret } from './secret.js';
import type { WeekDirectory } from './weeks.js';
import { loadReflectionCipher } from './reflections/keyring.js';
import { createReflectionService } from './reflections/service.js';
import { startRetention } from './reflections/retention.js';
import { postWaitingReflections, wireGuildPresence } from './discord/reflection-posts.js';
import { chaptersFromBook } from './export/chapters.js';
import { createExportLogRepo } from './export/log-repo.js';
import { createExportService } from './export/service.js';
import { BOT_PIECE_BYTES, withReaderThreads } from './export/reader-thread.js';
import { createPlanCatalog } from './prompts/plans.js';
import { createPromptService } from './prompts/service.js';
import { createLeaseRepo, holdLease, type HeldLease } from './prompts/lease.js';
import { createPromptScheduler } from './prompts/scheduler.js';
import { createPromptPoster } from './discord/prompt-poster.js';

export interface StartOptions {
  config: Config;
  log: Logger;
  token: Secret;
  clock?: Clock;
  commands?: readonly CommandModule[];
  /** The book service, when the caller loaded it already (tests); otherwise loaded from BOOK_PATH. */
  book?: BookService;
  /** Timers for the single-instance lease and command-registration retries (tests drive them by hand); the system's by default. */
  timers?: Timers;
  /** This process's name in the lease table; a random one by default. */
  leaseHolder?: string;
  /** False: fail with a LeaseHeldError instead of waiting while another copy holds the lease (the playground). */
  waitForLease?: boolean;
}

export interface RunningApp {
  ctx: AppContext;
  client: Client;
  /**
   * Resolves once the bot is logged in and its first command registration is over. A failed registration
   * does not reject it: it is logged and retried (src/discord/command-registration.ts) while the bot answers.
   */
  ready: Promise<void>;
  stop(): Promise<void>;
  /**
   * Resolves, once this copy has stopped, if another copy took the single-instance lease from it (this one
   * failed to renew in time, e.g. frozen). main.ts then exits non-zero, so the supervisor starts it again, as
   * the copy that waits.
   */
  lostLease: Promise<void>;
}

/** Opens the database and builds the context: everything but Discord. Also used by the shell tools. */
export function buildContext(options: { config: Config; log: Logger; clock?: Clock; commands?: readonly CommandModule[]; db?: Db; book?: BookService; anthropic?: Anthropic | undefined }): AppContext {
  // startApp loads the book first (so an invalid dataset stops the bot before anything opens); tools may omit it.
  const book = options.book ?? loadBookSync(options.config.BOOK_PATH);
  const db = options.db ?? openDatabase(options.config.DATABASE_PATH);
  const result = migrate(db, migrations);
  if (result.applied.length > 0) options.log.info({ from: result.from, to: result.to }, 'database migrated');
  const settings = createGuildSettingsRepo(db);
  // Reflections read the weeks through the context, so whichever directory the context ends up with is used.
  const weeksOfContext: WeekDirectory = { current: (guildId) => context.weeks.current(guildId), get: (guildId, week) => context.weeks.get(guildId, week), byThread: (guildId, threadId) => context.weeks.byThread(guildId, threadId) };
  const reflections = createReflectionService({
    db,
    cipher: loadReflectionCipher(options.config, db, options.log),
    clock: options.clock ?? systemClock,
    weeks: weeksOfContext,
    log: options.log.child({ feature: 'reflections' }),
  });
  const prompts = createPromptService({
    db,
    clock: options.clock ?? systemClock,
    log: options.log.child({ feature: 'prompts' }),
    plans: createPlanCatalog(book),
  });
  const inFlight = createInteractionsInFlight();
  const exports = createExportService({
    // Each export is read, decrypted and formatted on a reader thread of its own, at a lower priority: members'
    // commands are not queued behind it. One thread, not one per core: the bot's own thread keeps a core for
    // members while an export runs (the shell export, with no members waiting, takes every core). The thread
    // steps aside while an interaction is being answered (members-first.ts), and reads smaller pieces so that
    // it gets to a row, where it checks, sooner.
    source: withReaderThreads(reflections, options.config, { threads: 1, inFlight: inFlight.buffer, pieceBytes: BOT_PIECE_BYTES }),
    weeks: weeksOfContext,
    chapters: chaptersFromBook(book),
    logRepo: createExportLogRepo(db),
    clock: options.clock ?? systemClock,
    log: options.log.child({ feature: 'export' }),
  });
  // The Anthropic client exists only when ANTHROPIC_API_KEY is set (startApp makes it, loading the SDK only then);
  // without it, or in the shell tools, /ask answers from the dataset.
  const ask = createAskService({
    config: options.config,
    log: options.log.child({ feature: 'ask' }),
    clock: options.clock ?? systemClock,
    book,
    usage: createAskUsageRepo(db),
    supportNote: (guildId) => settings.get(guildId).supportNote,
    client: options.anthropic,
  });
  const context: AppContext = {
    config: options.config,
    log: options.log,
    clock: options.clock ?? systemClock,
    db,
    settings,
    book,
    commands: options.commands ?? registry,
    weeks: prompts.directory,
    erasers: [
      {
        name: 'server settings',
        forgetMember: () => 0,
        purgeGuild: (guildId) => {
          settings.remove(guildId);
          return 1;
        },
      },
      reflections.eraser,
      prompts.eraser,
      exports.eraser,
      ask.eraser,
    ],
    reflections,
    prompts,
    exports,
    postChanges: serialByKey<number>(),
    inFlight,
    ask,
  };
  return context;
}

/** The composition root's body: context, client, router, login, command sync; and a stop that undoes it. */
export async function startApp(options: StartOptions): Promise<RunningApp> {
  const { config, log } = options;
  // An invalid dataset throws a BookDataError listing each problem with its JSON path, as `npm run check-data` prints them.
  const book = options.book ?? (await loadBook(config.BOOK_PATH));
  const ctx = buildContext({ ...options, book, anthropic: await createAnthropicClient(config, log) });
  // Counts the book document's tokens once, to decide on prompt caching (logged; never fatal).
  void ctx.ask.prepare();
  const client = createDiscordClient(config);
  const route = createRouter(ctx);

  const handling = createHandlersInProgress(options.timers);
  client.on(Events.InteractionCreate, (interaction) => {
    // Once stopping, nothing new starts: left unanswered, a modal stays open in the member's Discord with their
    // text in it (an answer would close it), and they can send it again once the bot is back.
    if (stopped) {
      log.info({ interactionId: interaction.id }, 'interaction left unanswered: shutting down');
      return;
    }
    handling.track(route(interaction).catch((error: unknown) => log.error({ err: error }, 'router failed')));
  });
  client.on(Events.Error, (error) => log.error({ err: error, ...describeDiscordError(error) }, 'discord client error'));
  client.on(Events.Warn, (message) => log.warn({ message }, 'discord client warning'));
  client.on(Events.ShardError, (error, shardId) => log.warn({ err: error, shardId }, 'gateway connection error'));
  client.on(Events.ShardResume, (shardId, replayed) => log.info({ shardId, replayed }, 'gateway session resumed'));
  // Retention: a server that removed the bot has its data erased after RETENTION_DAYS_AFTER_REMOVAL.
  wireGuildPresence(client, ctx);
  const stopRetention = startRetention({ reflections: ctx.reflections, erasers: ctx.erasers, clock: ctx.clock, log: log.child({ job: 'retention' }), days: config.RETENTION_DAYS_AFTER_REMOVAL });

  let registration: CommandRegistration | undefined;
  let stopPostingWaiting: (() => void) | undefined;
  const ready = new Promise<void>((resolve) => {
    client.once(Events.ClientReady, (readyClient) => {
      log.info({ user: readyClient.user.tag, guilds: readyClient.guilds.cache.size }, 'logged in to Discord');
      // A stop that came while the bot was logging in wins: nothing more starts, so nothing outlives it.
      if (stopped) {
        resolve();
        return;
      }
      // Weekly prompts: posting needs the gateway's guild and channel cache; the ledger decides what is due.
      ctx.prompts.setPoster(createPromptPoster(readyClient, ctx.settings, log.child({ feature: 'prompts' })));
      // Reflections shared for a week before its thread was open go there once it is.
      // Tracked like an interaction: a shutdown lets these posts finish before the database closes.
      const postWaiting = (guildId: string, weeks: readonly number[]) =>
        handling.track(postWaitingReflections(readyClient, ctx, guildId, weeks).catch((error: unknown) => log.warn({ err: error, guildId }, 'could not post the reflections that waited for a thread')));
      stopPostingWaiting = ctx.prompts.onThreadOpened(({ guildId, week }) => postWaiting(guildId, [week]));
      // And once at start, for any whose post failed or was cut short by a restart when their thread opened.
      for (const guildId of ctx.prompts.scheduledGuilds()) postWaiting(guildId, ctx.prompts.weeksWithThreads(guildId));
      scheduler.start();
      registration = keepCommandsRegistered({
        register: () => syncCommands(readyClient.rest, readyClient.application.id, ctx.commands, config.DISCORD_GUILD_ID, log),
        log,
        retryMs: config.COMMAND_SYNC_RETRY_MS,
        ...(options.timers ? { timers: options.timers } : {}),
      });
      void registration.first.then(resolve);
    });
  });

  const scheduler = createPromptScheduler({ service: ctx.prompts, log, pollMs: config.SCHEDULER_POLL_MS });
  const leaseWait = new AbortController();
  let lease: HeldLease | undefined;

  let stopped = false;
  let stopping: Promise<void> | undefined;
  // A second call (SIGINT after SIGTERM, a lost lease meanwhile) waits for the first: it returned at once,
  // and main.ts exited while the first was still letting members' interactions finish.
  const stop = (): Promise<void> => (stopping ??= stopOnce());
  const stopOnce = async () => {
    stopped = true;
    log.info('shutting down');
    leaseWait.abort();
    registration?.stop();
    // Half the shutdown's time for the members' interactions in progress; the rest for closing. An /ask waiting
    // on Claude could wait minutes: it gives up now and answers from the dataset, so nobody is left on "thinking…".
    ctx.ask.stop();
    if (handling.count() > 0) log.info({ inProgress: handling.count() }, 'waiting for interactions in progress');
    const [unfinished] = await Promise.all([handling.drain(config.SHUTDOWN_TIMEOUT_MS / 2), scheduler.stop()]);
    if (unfinished > 0) log.warn({ unfinished }, 'shutting down with interactions still being answered');
    stopRetention();
    stopPostingWaiting?.();
    ctx.prompts.setPoster(null);
    await client.destroy();
    lease?.release();
    ctx.db.close();
  };

  // One copy per database talks to Discord: a second copy waits here, without logging in (it would answer
  // every interaction twice), and takes over when the first stops renewing its lease.
  try {
    lease = await holdLease({
      repo: createLeaseRepo(ctx.db),
      ttlMs: config.LEASE_TTL_MS,
      clock: ctx.clock,
      log,
      signal: leaseWait.signal,
      ...(options.timers ? { timers: options.timers } : {}),
      ...(options.leaseHolder ? { holder: options.leaseHolder } : {}),
      ...(options.waitForLease === false ? { wait: false } : {}),
    });
  } catch (error) {
    await stop();
    throw error;
  }
  const lostLease = lease.lost.then(async () => {
    log.error('another copy of the bot took over the single-instance lease; stopping this one');
    await stop();
  });

  try {
    await client.login(options.token.reveal());
  } catch (error) {
    await stop();
    throw error;
  }
  return { ctx, client, ready, stop, lostLease };
}
