import type { Clock } from '../clock.js';
import type { DataEraser } from '../erasure.js';
import { UserFacingError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { WeekDirectory } from '../weeks.js';
import { describeScope } from './formats/common.js';
import { formats } from './formats/index.js';
import type { ExportActor, ExportLogEntry, ExportLogRepo, NewExportLogEntry } from './log-repo.js';
import { generateExport, type ExportSink, type GeneratedExport } from './pipeline.js';
import { PartSplitter, splitExport, type ExportFile, type SplitExport, type StreamedSplit } from './split.js';
import { EVERYTHING, type ExportFormat, type ExportScope, type ExportSource } from './types.js';

/** How chapters are named and found (the book service provides it; without a book, ids stand as they are). */
export interface ChapterDirectory {
  label(chapterId: string): string | null;
  /** A chapter id from what a moderator typed (an id, a number, a title); null when none matches. */
  resolve(input: string): string | null;
  /** Every chapter id with a label (reader threads get the labels up front). */
  ids(): readonly string[];
}

export const noChapters: ChapterDirectory = { label: () => null, resolve: (input) => input, ids: () => [] };

export interface ScopeInput {
  week?: number | null;
  from?: string | null;
  to?: string | null;
  chapter?: string | null;
  memberId?: string | null;
  sinceLast?: boolean | null;
}

export interface ExportRequest {
  guildId: string;
  guildName: string | null;
  actor: ExportActor;
  format: ExportFormat;
  scope: ExportScope;
  pseudonymise: boolean;
}

export interface ExportPlan extends ExportRequest {
  /** The export's instant; it becomes the server's since-last cursor once the export is delivered. */
  snapshot: string;
  /** The previous export's instant, when since-last is asked for. */
  since: string | null;
  /** The cursor before this export, to restore if the delivery fails. */
  previousCursor: string | null;
  fileName: string;
  /** Its row in the export log once `begin` wrote it (null: written when it ends). */
  logId: number | null;
}

export interface ProducedExport extends GeneratedExport {
  split: SplitExport;
}

export interface RecordedExport {
  logId: number;
  /** Why the since-last cursor could not be moved to an export of everything (logged); null when it moved or had not to. */
  cursorError: string | null;
}

export interface StreamedExport extends GeneratedExport {
  split: StreamedSplit;
}

/**
 * Where a scope was typed: in Discord (`/export reflections`, with its chapter picker and member option) or in a
 * shell (`npm run export`, which maps the options' `name` to `--name`).
 */
export type ScopeSurface = 'discord' | 'shell';

/**
 * What is wrong with a chapter or a member, in the terms of where it was typed: the one source of that wording.
 * The rest (weeks, dates) reads the same in both, with the option in backticks for the shell to map.
 */
export const SCOPE_WORDING: Record<ScopeSurface, { unknownChapter: string; badMember: string }> = {
  discord: {
    unknownChapter: 'I could not find that chapter. Pick one from the list as you type, or leave `chapter` empty.',
    badMember: '`member` needs a member of this server.',
  },
  shell: {
    unknownChapter: '`chapter` matches no chapter of the book. Give a chapter id (for example chapter-5), its number (5) or a contributor’s name, or leave `chapter` out.',
    badMember: '`member` needs a user id (17-20 digits; in Discord, with Developer Mode on, right-click the member and Copy User ID).',
  },
};

export interface ExportService {
  /** Checks what a moderator typed (in Discord unless `surface` says the shell); throws a UserFacingError with a kind message for bad input. */
  parseScope(input: ScopeInput, surface?: ScopeSurface): ExportScope;
  plan(request: ExportRequest): ExportPlan;
  /**
   * Logs the export before anything is read, as not finished; `recordAllowed` or `recordAborted` then say how it
   * ended. So a forget-me that comes while it runs reaches its scope too, and an export cut off by a crash or a
   * kill after parts went out is still in the log.
   */
  begin(plan: ExportPlan): ExportPlan;
  generate(plan: ExportPlan, sink: ExportSink): Promise<GeneratedExport>;
  /** Generates in memory and splits above the upload limit (bytes). */
  produce(plan: ExportPlan, uploadLimit: number): Promise<ProducedExport>;
  /**
   * Generates and splits as it goes: each part above the upload limit is handed to `onPart` (awaited) as soon
   * as it is complete, so only about one part is ever held. A file within the limit comes back whole.
   */
  stream(plan: ExportPlan, uploadLimit: number, onPart: (part: ExportFile, index: number, splitter: PartSplitter) => void | Promise<void>): Promise<StreamedExport>;
  /**
   * Logs an allowed export and (when it covers everything) then moves the since-last cursor to its instant. The row
   * is committed first, so a cursor that cannot move leaves the export logged as it happened: the failure is logged,
   * `cursorError` says why (for the moderator), and since-last stays behind (it repeats, never skips). Throws only
   * when the row itself could not be written.
   */
  recordAllowed(plan: ExportPlan, result: GeneratedExport, parts: number): RecordedExport;
  /**
   * An export stopped before it was complete (the cursor did not move): `parts` is how many whole parts went out,
   * or null for a single stream with no parts (the shell's standard output), where `bytesOut` says how much of the
   * incomplete file went out (null when none did or it is not known).
   */
  recordAborted(plan: ExportPlan, reason: string, parts: number | null, bytesOut?: number | null): number;
  /** The file could not be delivered: the log says so and the cursor goes back. */
  recordFailed(plan: ExportPlan, logId: number, reason: string): void;
  /** Logs an export refused before anything was read (no permission). */
  recordRefused(request: Omit<ExportRequest, 'format'> & { format: ExportFormat | null }, reason: string): number;
  recent(guildId: string, limit?: number): ExportLogEntry[];
  eraser: DataEraser;
}

export interface ExportServiceDeps {
  source: ExportSource;
  weeks: WeekDirectory;
  chapters?: ChapterDirectory;
  logRepo: ExportLogRepo;
  clock: Clock;
  log: Logger;
  chunkSize?: number;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const SNOWFLAKE = /^\d{17,20}$/;
export const MAX_WEEK = 520;
/** What the log says of an export begun and not ended (yet): still running, or cut off. */
export const NOT_FINISHED = 'not finished: still running, or stopped before it ended';

function parseDate(value: string, option: string): string {
  const text = value.trim();
  const match = DATE.exec(text);
  const date = match ? new Date(`${text}T00:00:00.000Z`) : null;
  if (!match || !date || Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== text) {
    throw new UserFacingError(`\`${option}\` needs a date written as YYYY-MM-DD, for example 2026-03-01.`);
  }
  return text;
}

/** Whether an export of this scope holds every exportable reflection (since-last aside): only such a one moves the cursor. */
export function coversEverything(scope: ExportScope): boolean {
  return scope.week === null && scope.from === null && scope.to === null && scope.chapterId === null && scope.memberId === null;
}

function slug(scope: ExportScope): string {
  const parts: string[] = [];
  if (scope.week !== null) parts.push(`week-${scope.week}`);
  if (scope.from !== null) parts.push(`from-${scope.from}`);
  if (scope.to !== null) parts.push(`to-${scope.to}`);
  if (scope.chapterId !== null) parts.push(`chapter-${scope.chapterId.replace(/[^A-Za-z0-9-]+/g, '-').slice(0, 30)}`);
  if (scope.memberId !== null) parts.push('member');
  if (scope.sinceLast) parts.push('new');
  return parts.length === 0 ? 'all' : parts.join('-');
}

export function createExportService(deps: ExportServiceDeps): ExportService {
  const chapters = deps.chapters ?? noChapters;
  const { logRepo, clock, log } = deps;
  /** The log row of a planned export: who, when, what scope, plus how it ended. */
  type Ending = Pick<NewExportLogEntry, 'outcome' | 'reason' | 'count' | 'bytes' | 'parts' | 'sha256'>;
  const appendFor = (plan: ExportPlan, ending: Ending): number =>
    logRepo.append({
      guildId: plan.guildId,
      actor: plan.actor,
      at: plan.snapshot,
      format: plan.format,
      scope: plan.scope,
      since: plan.since,
      pseudonymised: plan.pseudonymise,
      ...ending,
    });
  /** The begun row updated with how the export ended, or (not begun) a row of its own. */
  const endFor = (plan: ExportPlan, ending: Ending): number => {
    if (plan.logId === null) return appendFor(plan, ending);
    logRepo.finish(plan.logId, ending);
    return plan.logId;
  };

  const generate = (plan: ExportPlan, sink: ExportSink) =>
    generateExport(
      {
        source: deps.source,
        guildId: plan.guildId,
        guildName: plan.guildName,
        format: plan.format,
        scope: plan.scope,
        pseudonymise: plan.pseudonymise,
        snapshot: plan.snapshot,
        since: plan.since,
        week: (week) => {
          const info = deps.weeks.get(plan.guildId, week);
          return info ? { week, title: info.title, prompt: info.prompt } : null;
        },
        chapterLabel: (id) => chapters.label(id),
        chapterIds: chapters.ids(),
        ...(deps.chunkSize !== undefined ? { chunkSize: deps.chunkSize } : {}),
      },
      sink,
    );

  return {
    parseScope(input, surface = 'discord') {
      const scope: ExportScope = { ...EVERYTHING };
      if (input.week !== undefined && input.week !== null) {
        if (!Number.isInteger(input.week) || input.week < 1 || input.week > MAX_WEEK) {
          throw new UserFacingError('`week` is a plan week number as the weekly posts show it: 1, 2, 3 …');
        }
        scope.week = input.week;
      }
      if (input.from) scope.from = parseDate(input.from, 'from');
      if (input.to) scope.to = parseDate(input.to, 'to');
      if (scope.from !== null && scope.to !== null && scope.from > scope.to) {
        throw new UserFacingError(`\`from\` (${scope.from}) is after \`to\` (${scope.to}). Swap them and try again.`);
      }
      if (input.chapter?.trim()) {
        const id = chapters.resolve(input.chapter.trim());
        if (id === null) throw new UserFacingError(SCOPE_WORDING[surface].unknownChapter);
        scope.chapterId = id;
      }
      if (input.memberId) {
        if (!SNOWFLAKE.test(input.memberId)) throw new UserFacingError(SCOPE_WORDING[surface].badMember);
        scope.memberId = input.memberId;
      }
      scope.sinceLast = input.sinceLast === true;
      return scope;
    },

    plan(request) {
      const snapshot = clock.now().toISOString();
      const previousCursor = logRepo.cursor(request.guildId);
      const day = snapshot.slice(0, 10);
      return {
        ...request,
        snapshot,
        since: request.scope.sinceLast ? previousCursor : null,
        previousCursor,
        fileName: `reflections-${slug(request.scope)}-${day}.${formats[request.format].extension}`,
        logId: null,
      };
    },

    begin(plan) {
      if (plan.logId !== null) return plan;
      return { ...plan, logId: appendFor(plan, { outcome: 'failed', reason: NOT_FINISHED, count: null, bytes: null, parts: null, sha256: null }) };
    },

    generate,

    async produce(plan, uploadLimit) {
      const chunks: Buffer[] = [];
      const result = await generate(plan, (chunk) => {
        chunks.push(chunk);
      });
      const data = Buffer.concat(chunks);
      return { ...result, split: await splitExport(plan.fileName, data, uploadLimit, result.count, result.sha256) };
    },

    async stream(plan, uploadLimit, onPart) {
      const splitter: PartSplitter = new PartSplitter(plan.fileName, uploadLimit, (part, index) => onPart(part, index, splitter));
      const result = await generate(plan, (chunk) => splitter.push(chunk));
      return { ...result, split: await splitter.finish(result.count, result.sha256, result.bytes) };
    },

    recordAborted(plan, reason, parts, bytesOut = null) {
      const id = endFor(plan, { outcome: 'failed', reason, count: null, bytes: bytesOut, parts, sha256: null });
      log.warn({ guildId: plan.guildId, logId: id, reason, parts, bytesOut }, 'export stopped before it was complete');
      return id;
    },

    recordAllowed(plan, result, parts) {
      const id = endFor(plan, { outcome: 'allowed', reason: null, count: result.count, bytes: result.bytes, parts, sha256: result.sha256 });
      // Only an export of every week, day, chapter and member moves since-last: one narrowed to week 3 has not
      // delivered week 4's new reflections, which the next since-last export would otherwise skip for good.
      let cursorError: string | null = null;
      if (coversEverything(plan.scope)) {
        try {
          logRepo.setCursor(plan.guildId, plan.snapshot, id);
        } catch (error) {
          // The row above stays as it is: the export happened. A cursor left behind repeats reflections next time.
          cursorError = error instanceof Error ? error.message : String(error);
          log.error({ err: error, guildId: plan.guildId, logId: id }, 'export logged, but the since-last cursor could not be moved to it');
        }
      }
      log.info(
        { guildId: plan.guildId, actor: plan.actor.id ?? plan.actor.kind, format: plan.format, scope: describeScope(plan.scope, plan.since), count: result.count, bytes: result.bytes, parts, readerThreads: result.readerThreads, pausesForMembers: result.pausesForMembers, logId: id },
        'reflections exported',
      );
      return { logId: id, cursorError };
    },

    recordFailed(plan, logId, reason) {
      logRepo.markFailed(logId, reason);
      logRepo.rewindCursor(plan.guildId, logId, plan.previousCursor);
      log.warn({ guildId: plan.guildId, logId, reason }, 'export could not be delivered');
    },

    recordRefused(request, reason) {
      const id = logRepo.append({
        guildId: request.guildId,
        actor: request.actor,
        at: clock.now().toISOString(),
        outcome: 'refused',
        reason,
        format: request.format,
        scope: request.scope,
        since: null,
        pseudonymised: request.pseudonymise,
        count: null,
        bytes: null,
        parts: null,
        sha256: null,
      });
      log.info({ guildId: request.guildId, actor: request.actor.id ?? request.actor.kind, reason, logId: id }, 'export refused');
      return id;
    },

    recent(guildId, limit = 15) {
      return logRepo.recent(guildId, limit);
    },

    eraser: {
      name: 'export log entries naming you',
      forgetMember: (guildId, userId) => logRepo.forgetMember(guildId, userId),
      purgeGuild: (guildId) => logRepo.purgeGuild(guildId),
    },
  };
}
