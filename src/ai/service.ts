import type Anthropic from '@anthropic-ai/sdk';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { DataEraser } from '../erasure.js';
import { UserFacingError } from '../errors.js';
import type { Logger } from '../logger.js';
import { answerFromReply, type AskAnswer, type FallbackReason } from './answer.js';
import { datasetAnswer } from './fallback.js';
import type { AskBook } from './book-port.js';
import { buildParams, requestMessage, requestStream, type ClaudeReply } from './claude.js';
import { buildDocument, type BookDocument } from './document.js';
import { looksPersonal, SYSTEM_PROMPT, userQuestion } from './prompt.js';
import { AskCallError, withRetries, type Failure } from './retry.js';
import { NO_TOKENS, totalTokens, type AskLimitOverrides, type AskLimits, type AskUsageRepo, type Reservation, type ServerUsage, type TokenUsage } from './usage-repo.js';

export const QUESTION_MAX = 500;
/** Sized to the reply: an embed description holds 4096 characters, about 1000 tokens; leave room for the notes. */
export const MAX_TOKENS = 800;
export const MAX_ATTEMPTS = 3;
/** Well inside Discord's 15-minute interaction token, whatever ASK_DEADLINE_MS says. */
export const DEADLINE_CEILING_MS = 14 * 60 * 1000;

export interface AskInput {
  guildId: string;
  userId: string;
  question: string;
  /** Called with the answer so far while it streams in; when absent the call is a plain JSON request. */
  onProgress?: (answer: AskAnswer) => void;
}

export interface AskService {
  /** True when an API key is set and questions go to Claude. */
  readonly usesClaude: boolean;
  /** Counts the document's tokens once, to decide on prompt caching. Never throws; safe to call again. */
  prepare(): Promise<boolean>;
  ask(input: AskInput): Promise<AskAnswer>;
  /**
   * The bot is shutting down: every call to Claude in flight (or waiting to retry) ends now, and its member gets
   * the dataset's answer while the bot can still send it; later questions are answered from the dataset.
   */
  stop(): void;
  limits(guildId: string): { effective: AskLimits; overrides: AskLimitOverrides };
  setLimits(guildId: string, patch: Partial<AskLimitOverrides>): AskLimits;
  usage(guildId: string): ServerUsage & { limits: AskLimits };
  eraser: DataEraser;
}

export interface AskServiceDeps {
  config: Config;
  log: Logger;
  clock: Clock;
  book: AskBook;
  usage: AskUsageRepo;
  supportNote(guildId: string): string | null;
  /** Made by createAnthropicClient: undefined without a key. */
  client: Anthropic | undefined;
  /** For tests of the retry waits; real time by default. */
  sleep?: (ms: number) => Promise<void>;
}

/**
 * The smallest prompt each model will cache. Below it nothing is cached and no error is raised, so the
 * document carries `cache_control` only when it is big enough. (Anthropic prompt-caching docs; Sonnet 4.6
 * is put at 2048, where it was seen to start caching in practice.)
 */
export function cacheMinimumTokens(model: string): number {
  const table: [RegExp, number][] = [
    [/opus-5|fable-5|mythos-5/, 512],
    [/haiku-4-5|opus-4-5|opus-4-6/, 4096],
    [/sonnet-4-6|opus-4-7|haiku-3|3-5-haiku|3-haiku/, 2048],
  ];
  for (const [pattern, minimum] of table) if (pattern.test(model)) return minimum;
  return 1024;
}

function addUsage(a: TokenUsage, b: TokenUsage): TokenUsage {
  return { input: a.input + b.input, output: a.output + b.output, cacheCreation: a.cacheCreation + b.cacheCreation, cacheRead: a.cacheRead + b.cacheRead };
}

const STOPPING_NOTICE = 'The bot is restarting, so Claude’s answer could not be waited for; here is what the book data itself says.';
const STOPPING_NOT_SENT_NOTICE = 'The bot is restarting, so your question was not sent to Claude; here is what the book data itself says.';
/** No call could be made in time (the deadline passed before the first attempt). */
const NOT_SENT_NOTICE = 'Claude could not be asked this time, so here is what the book data itself says.';
/** Claude asked for a wait longer than ASK_MAX_RETRY_WAIT_MS (a rate limit or an overload): answered at once instead. */
const BUSY_NOTICE = 'Claude is busy right now. Please try again in a minute or so; meanwhile, here is what the book data itself says.';

function fallbackReason(failure: Failure): FallbackReason {
  switch (failure.kind) {
    case 'timeout':
      return 'timeout';
    case 'spend-cap':
      return 'spend-cap';
    case 'overloaded':
    case 'rate-limited':
    case 'busy':
    case 'server':
      return 'unavailable';
    default:
      return 'failed';
  }
}

/** Made on first use: building an Intl formatter loads locale data, which cost every start some 15 ms. */
let dateFormat: Intl.DateTimeFormat | undefined;
const renewalDay = (date: Date) => (dateFormat ??= new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' })).format(date);

function limitNotice(reservation: Exclude<Reservation, { ok: true }>): string {
  const unix = (date: Date) => Math.ceil(date.getTime() / 1000);
  // A limit of 0 is the moderators' choice of the dataset alone: no "ask again later" for it.
  if (reservation.limit === 0) return 'This server has set /ask to answer from the book data alone; here is what it says.';
  switch (reservation.reason) {
    case 'hour':
      return `You’ve asked Claude ${reservation.limit} question${reservation.limit === 1 ? '' : 's'} in the past hour, this server’s limit. You can ask Claude again <t:${unix(reservation.retryAt)}:R>; meanwhile, here is what the book data itself says.`;
    case 'day':
      return `You’ve asked Claude ${reservation.limit} question${reservation.limit === 1 ? '' : 's'} in the past day, this server’s limit. You can ask Claude again <t:${unix(reservation.retryAt)}:R>; meanwhile, here is what the book data itself says.`;
    case 'budget':
      if (reservation.spent < reservation.limit) {
        return `This server’s /ask budget for the month (${reservation.limit.toLocaleString('en-US')} tokens) is nearly taken by the questions being answered right now. Please try again in a minute or two; meanwhile, here is what the book data itself says.`;
      }
      return `This server has used its /ask budget for the month (${reservation.limit.toLocaleString('en-US')} tokens). It renews on ${renewalDay(reservation.resetsAt)}; meanwhile, here is what the book data itself says.`;
  }
}

export function createAskService(deps: AskServiceDeps): AskService {
  const { config, client, book, usage } = deps;
  const log = deps.log.child({ component: 'ask' });
  const deadlineMs = Math.min(config.ASK_DEADLINE_MS, DEADLINE_CEILING_MS);
  const stopping = new AbortController();
  let plan: Promise<boolean> | undefined;
  const documents = new Map<boolean, BookDocument>();
  const documentFor = (cache: boolean): BookDocument => {
    let document = documents.get(cache);
    if (!document) {
      document = buildDocument(book.records(), { cache });
      documents.set(cache, document);
    }
    return document;
  };

  const countAndDecide = async (anthropic: Anthropic): Promise<boolean> => {
    const model = config.ANTHROPIC_MODEL;
    const minimum = cacheMinimumTokens(model);
    const document = documentFor(false);
    try {
      const counted = await anthropic.messages.countTokens(
        { model, system: SYSTEM_PROMPT, messages: [{ role: 'user', content: [document.block, { type: 'text', text: userQuestion('') }] }] },
        { maxRetries: 0, timeout: config.ASK_TIMEOUT_MS },
      );
      const caching = counted.input_tokens >= minimum;
      log.info(
        { model, documentTokens: counted.input_tokens, minimum, records: document.recordIds.length, caching },
        caching ? 'prompt caching can engage: the book document meets the model’s minimum' : 'prompt caching cannot engage: the book document is below the model’s minimum, so it is sent without cache_control',
      );
      return caching;
    } catch (error) {
      log.warn({ err: error, model, minimum }, 'could not count the book document’s tokens; sending it without cache_control');
      return false;
    }
  };

  const prepare = (): Promise<boolean> => {
    if (!client) return Promise.resolve(false);
    plan ??= countAndDecide(client);
    return plan;
  };

  const effectiveLimits = (guildId: string): { effective: AskLimits; overrides: AskLimitOverrides } => {
    const overrides = usage.overrides(guildId);
    return {
      overrides,
      effective: {
        perMemberPerHour: overrides.perMemberPerHour ?? config.ASK_PER_MEMBER_PER_HOUR,
        perMemberPerDay: overrides.perMemberPerDay ?? config.ASK_PER_MEMBER_PER_DAY,
        monthlyTokens: overrides.monthlyTokens ?? config.ASK_SERVER_MONTHLY_TOKENS,
      },
    };
  };

  const fallback = (input: AskInput, reason: FallbackReason, personal: boolean, notice?: string): AskAnswer =>
    datasetAnswer(book, input.question, { reason, supportNote: deps.supportNote(input.guildId), personal, ...(notice !== undefined ? { notice } : {}) });

  const ask = async (input: AskInput): Promise<AskAnswer> => {
    const question = input.question.trim();
    if (question === '') throw new UserFacingError('Please write a question about the book.');
    if (Array.from(question).length > QUESTION_MAX) throw new UserFacingError(`Please keep your question to ${QUESTION_MAX} characters.`);
    const request = { ...input, question };
    const personal = looksPersonal(question);
    // The question is the member's own words, often about their own hurt: its length is logged, never the text.
    log.debug({ guildId: input.guildId, chars: question.length, personal }, '/ask question');
    const now = deps.clock.now();

    if (!client) {
      usage.recordDatasetAnswer(input.guildId, 'no-key', now);
      return fallback(request, 'no-key', personal);
    }

    // A call in flight may spend at least its whole answer (MAX_TOKENS); more, as the server's average cost says.
    const reservation = usage.reserve(input.guildId, input.userId, effectiveLimits(input.guildId).effective, now, MAX_TOKENS);
    if (!reservation.ok) {
      usage.recordDatasetAnswer(input.guildId, reservation.reason === 'budget' ? 'budget' : 'quota', now);
      log.info({ guildId: input.guildId, limit: reservation.reason }, '/ask limit reached; answering from the dataset');
      return fallback(request, reservation.reason === 'budget' ? 'budget' : 'quota', personal, limitNotice(reservation));
    }

    const started = Date.now();
    const deadline = started + deadlineMs;
    const caching = await prepare();
    const document = documentFor(caching);
    const params = buildParams(document, question, config.ANTHROPIC_MODEL, MAX_TOKENS);
    const supportNote = deps.supportNote(input.guildId);
    let spent: TokenUsage = NO_TOKENS;
    let attempts = 0;

    try {
      const reply = await withRetries<ClaudeReply>(
        async (signal, _attempt, heard) => {
          attempts++;
          let current: TokenUsage = NO_TOKENS;
          const seen = (tokens: TokenUsage) => {
            current = tokens;
          };
          try {
            if (!input.onProgress) return await requestMessage(client, params, signal, seen);
            const progress = input.onProgress;
            return await requestStream(
              client,
              params,
              signal,
              seen,
              (partial) => progress(answerFromReply(partial, document, { supportNote, personal, final: false })),
              heard,
            );
          } finally {
            spent = addUsage(spent, current);
          }
        },
        {
          maxAttempts: MAX_ATTEMPTS,
          timeoutMs: config.ASK_TIMEOUT_MS,
          deadline,
          maxWaitMs: config.ASK_MAX_RETRY_WAIT_MS,
          ...(deps.sleep ? { sleep: deps.sleep } : {}),
          signal: stopping.signal,
          onRetry: (failure, attempt, waitMs) => log.warn({ failure, attempt, waitMs }, 'Anthropic call failed; retrying'),
        },
      );
      const answer = answerFromReply(reply, document, { supportNote, personal, final: true });
      usage.settle(reservation.id, answer.outcome, spent);
      log.info(
        { guildId: input.guildId, outcome: answer.outcome, stopReason: reply.stopReason, sources: answer.sourceIds.length, attempts, tokens: spent, total: totalTokens(spent), caching, ms: Date.now() - started },
        '/ask answered by Claude',
      );
      return answer;
    } catch (error) {
      const failure: Failure = error instanceof AskCallError ? error.failure : { kind: 'request', retryable: false };
      if (attempts === 0) {
        // Nothing left for Anthropic (the bot began shutting down first): a dataset answer, and the footer says so.
        usage.release(reservation.id, 'not-sent');
        log.warn({ failure, guildId: input.guildId }, '/ask made no call to Claude; answering from the dataset');
        return fallback(request, 'not-sent', personal, failure.kind === 'stopped' ? STOPPING_NOT_SENT_NOTICE : NOT_SENT_NOTICE);
      }
      const reason = fallbackReason(failure);
      usage.settle(reservation.id, reason, spent);
      const level = failure.kind === 'request' ? 'error' : 'warn';
      log[level]({ err: error, failure, attempts, guildId: input.guildId, ms: Date.now() - started }, '/ask could not get an answer from Claude; answering from the dataset');
      const notice = failure.kind === 'stopped' ? STOPPING_NOTICE : failure.kind === 'busy' ? BUSY_NOTICE : undefined;
      return fallback(request, reason, personal, notice);
    }
  };

  return {
    usesClaude: client !== undefined,
    prepare,
    ask,
    stop: () => stopping.abort(),
    limits: effectiveLimits,
    setLimits(guildId, patch) {
      for (const value of Object.values(patch)) {
        if (value !== null && value !== undefined && (!Number.isInteger(value) || value < 0)) throw new UserFacingError('Limits are whole numbers, 0 or more.');
      }
      usage.setOverrides(guildId, patch, deps.clock.now());
      return effectiveLimits(guildId).effective;
    },
    usage(guildId) {
      return { ...usage.serverUsage(guildId, deps.clock.now()), limits: effectiveLimits(guildId).effective };
    },
    eraser: {
      name: '/ask usage records',
      forgetMember: (guildId, userId) => usage.forgetMember(guildId, userId),
      purgeGuild: (guildId) => usage.purgeGuild(guildId),
    },
  };
}
