import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import { realpathSync } from 'node:fs';
import { Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { loadBookSync } from '../book/service.js';
import { systemClock, type Clock } from '../clock.js';
import { loadConfig, type Config } from '../config.js';
import { openDatabase, type Db } from '../db/connection.js';
import { migrate } from '../db/migrate.js';
import { migrations } from '../db/migrations/index.js';
import { UserFacingError } from '../errors.js';
import { createLogger, type Logger } from '../logger.js';
import { createPlanCatalog } from '../prompts/plans.js';
import { createPromptService } from '../prompts/service.js';
import { loadReflectionCipher } from '../reflections/keyring.js';
import { createReflectionService } from '../reflections/service.js';
import { writeFileAtomically } from './atomic-file.js';
import { chaptersFromBook } from './chapters.js';
import { describeScope } from './formats/common.js';
import { createExportLogRepo } from './log-repo.js';
import type { ExportSink } from './pipeline.js';
import { withReaderThreads } from './reader-thread.js';
import { createExportService, type ExportPlan, type ExportService } from './service.js';
import { EXPORT_FORMATS, type ExportFormat } from './types.js';

export const USAGE = `Usage: npm run export -- --guild ID [--format markdown|csv|json|html] [--week N] [--from YYYY-MM-DD]
       [--to YYYY-MM-DD] [--chapter ID] [--member USER_ID] [--since-last] [--pseudonymise] [--out FILE]

Exports a server's shared and anonymous reflections (never private or hidden ones; anonymous ones without
their author) from the bot's database, with the same rules as /export reflections. Reads DATABASE_PATH,
BOOK_PATH and the reflections key (REFLECTIONS_KEY or the key file beside the database) from the environment
or .env. Writes to FILE (replaced only once the export is complete) or to standard output. Each export is
recorded in the server's export log (/export log); one without --week, --from, --to, --chapter or --member
counts as the server's previous export for --since-last.
`;

export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: Record<string, string | undefined>;
  /** Tests pass a clock; the shell uses the system clock. */
  clock?: Clock;
}

/**
 * What the shell export needs, built the way `buildContext` builds it (same database settings, migrations,
 * key check, book, plan weeks) but without the Discord client, the commands or the AI client: importing
 * those took longer than exporting a small server.
 */
function openExportContext(config: Config, log: Logger, clock: Clock): { db: Db; exports: ExportService } {
  const book = loadBookSync(config.BOOK_PATH);
  const db = openDatabase(config.DATABASE_PATH);
  try {
    const result = migrate(db, migrations);
    if (result.applied.length > 0) log.info({ from: result.from, to: result.to }, 'database migrated');
    const prompts = createPromptService({ db, clock, log: log.child({ feature: 'prompts' }), plans: createPlanCatalog(book) });
    const reflections = createReflectionService({
      db,
      cipher: loadReflectionCipher(config, db, log),
      clock,
      weeks: prompts.directory,
      log: log.child({ feature: 'reflections' }),
    });
    const exports = createExportService({
      // Read, decrypted and formatted on reader threads, one per core, as the bot does it.
      source: withReaderThreads(reflections, config),
      weeks: prompts.directory,
      chapters: chaptersFromBook(book),
      logRepo: createExportLogRepo(db),
      clock,
      log: log.child({ feature: 'export' }),
    });
    return { db, exports };
  } catch (error) {
    db.close();
    throw error;
  }
}

function say(stream: NodeJS.WritableStream, text: string): void {
  stream.write(`${text}\n`);
}

/**
 * A sink to `stream`; `written()` is how many bytes it took (a write that failed may have taken part of its chunk too).
 * The stream's 'error' event is listened to: standard output closed by its reader (`| head`) emits EPIPE there, and
 * with no listener Node would crash on it before the export's log row could say how it ended. The export stops with
 * that error instead (the write's callback, or the next write, gets it).
 */
function writeTo(stream: NodeJS.WritableStream): { sink: ExportSink; written: () => number } {
  let written = 0;
  let failed: Error | null = null;
  stream.on('error', (error: Error) => {
    failed ??= error;
  });
  const sink: ExportSink = (chunk) =>
    new Promise<void>((resolve, reject) => {
      if (failed) return reject(failed);
      stream.write(chunk, (error) => {
        if (error) return reject(failed ?? error);
        written += chunk.length;
        resolve();
      });
    });
  return { sink, written: () => written };
}

/** The shell export. Returns the exit code: 0 done, 1 failed, 2 bad usage. */
export async function runExportCli(argv: string[], io: CliIo): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        guild: { type: 'string' },
        format: { type: 'string', default: 'markdown' },
        week: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        chapter: { type: 'string' },
        member: { type: 'string' },
        'since-last': { type: 'boolean', default: false },
        pseudonymise: { type: 'boolean', default: false },
        pseudonymize: { type: 'boolean', default: false },
        out: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }).values;
  } catch (error) {
    say(io.stderr, `${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    say(io.stdout, USAGE);
    return 0;
  }
  if (!args.guild || !/^\d{17,20}$/.test(args.guild)) {
    say(io.stderr, `--guild needs the server's id (17-20 digits).\n\n${USAGE}`);
    return 2;
  }
  const format = args.format as ExportFormat;
  if (!(EXPORT_FORMATS as readonly string[]).includes(format)) {
    say(io.stderr, `--format must be one of ${EXPORT_FORMATS.join(', ')}.`);
    return 2;
  }
  let week: number | null = null;
  if (args.week !== undefined) {
    week = /^\d+$/.test(args.week) ? Number(args.week) : Number.NaN;
  }

  const loaded = loadConfig(io.env);
  if (!loaded.ok) {
    say(io.stderr, `Please fix these settings (see .env.example):\n${loaded.problems.map((p) => `  - ${p}`).join('\n')}`);
    return 1;
  }
  const config = loaded.config;
  // Opening a path that is not there would create an empty database and a new key file beside it, and the
  // export would "succeed" with nothing in it: the usual cause is a DATABASE_PATH set for the bot's service
  // but not in this shell.
  if (config.DATABASE_PATH !== ':memory:' && !existsSync(config.DATABASE_PATH)) {
    say(io.stderr, `No database at ${config.DATABASE_PATH}. Set DATABASE_PATH (or .env) to the bot's database; the shell export never creates one.`);
    return 1;
  }
  // Log lines go to standard error, so standard output carries only the file.
  const stderrStream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      io.stderr.write(chunk, () => callback());
    },
  });
  const log = createLogger(io.env.LOG_LEVEL ? config.LOG_LEVEL : 'warn', stderrStream);

  let ctx: { db: Db; exports: ExportService } | undefined;
  let plan: ExportPlan | undefined;
  /** The whole file is out (renamed into place, or all of it written to standard output): nothing may log it as failed now. */
  let delivered = false;
  const out = args.out !== undefined && args.out !== '-' ? args.out : null;
  // A file is written aside and renamed once whole, so a failed one delivers nothing; standard output gets the
  // bytes as they come, so a failed export may leave part of its file there.
  const stdout = writeTo(io.stdout);
  try {
    ctx = openExportContext(config, log, io.clock ?? systemClock);
    // Worded for a shell ('shell'): no chapter picker to point at, a user id to ask for; `name` becomes --name below.
    const scope = ctx.exports.parseScope(
      {
        week: week === null ? null : Number.isNaN(week) ? -1 : week,
        from: args.from ?? null,
        to: args.to ?? null,
        chapter: args.chapter ?? null,
        memberId: args.member ?? null,
        sinceLast: args['since-last'],
      },
      'shell',
    );
    // Logged before anything is read (see ExportService.begin): a failed or killed shell export is in the log too.
    const begun = ctx.exports.begin(
      ctx.exports.plan({
        guildId: args.guild,
        guildName: null,
        actor: { kind: 'operator', id: null, label: safeUserName() },
        format,
        scope,
        pseudonymise: args.pseudonymise || args.pseudonymize,
      }),
    );
    plan = begun;

    const exports = ctx.exports;
    const result =
      out === null ? await exports.generate(begun, stdout.sink) : await writeFileAtomically(out, (sink) => exports.generate(begun, sink));
    delivered = true;
    const { logId, cursorError } = exports.recordAllowed(begun, result, 1);
    say(
      io.stderr,
      `Exported ${result.count === 1 ? '1 reflection' : `${result.count} reflections`} (${format}, ${result.bytes} bytes; scope: ${describeScope(scope, plan.since)}` +
        `${plan.pseudonymise ? '; pseudonymised' : ''}) to ${out ?? 'standard output'}.\n` +
        `SHA-256 ${result.sha256}. Recorded as export #${logId} in the server's export log.` +
        (cursorError === null ? '' : `\nBut since-last could not be moved to this export (${cursorError}): the next --since-last export will include these reflections again.`),
    );
    return 0;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (delivered) {
      // The file is whole; only its log row could not say so. Its row stays as begun ('not finished'), not 'failed'.
      say(io.stderr, `The export is complete at ${out ?? 'standard output'}, but the server's export log could not record it: ${message}`);
      return 1;
    }
    const bytesOut = out === null ? stdout.written() : 0;
    if (plan) recordAborted(ctx!.exports, plan, error, bytesOut);
    if (error instanceof UserFacingError) {
      say(io.stderr, error.message.replace(/`([^`]+)`/g, '--$1'));
      return 2;
    }
    if (out === null && isClosedPipe(error)) {
      // Normal shell use (`| head`), so one line and no stack; still exit 1: what the reader got is not the whole file.
      say(io.stderr, `The export failed: standard output was closed (EPIPE) after ${bytesOut} bytes; what went out is an incomplete file.`);
      return 1;
    }
    say(
      io.stderr,
      `The export failed: ${message}` +
        (bytesOut > 0 ? `\nStandard output got at least ${bytesOut} bytes of an incomplete file before it stopped: discard them.` : ''),
    );
    return 1;
  } finally {
    ctx?.db.close();
  }
}

/**
 * The begun export's log row says why it failed, and whether part of the file went out (to standard output:
 * no parts, the bytes it got); a failure to say so does not hide the export's own error.
 */
function recordAborted(exports: ExportService, plan: ExportPlan, error: unknown, bytesOut: number): void {
  try {
    const reason = error instanceof Error ? error.message.slice(0, 200) : 'failed';
    if (bytesOut > 0) exports.recordAborted(plan, reason, null, bytesOut);
    else exports.recordAborted(plan, reason, 0);
  } catch {
    // The row stays as begun: 'not finished'.
  }
}

/** The reader of standard output went away (`| head`, a closed pager): Node ignores SIGPIPE and reports EPIPE. */
function isClosedPipe(error: unknown): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === 'EPIPE';
}

function safeUserName(): string | null {
  try {
    return userInfo().username;
  } catch {
    return null;
  }
}

function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(script)).href;
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  if (existsSync('.env')) process.loadEnvFile('.env');
  runExportCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env }).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`The export failed: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
