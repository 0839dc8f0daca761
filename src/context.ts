import type { AskService } from './ai/service.js';
import type { BookService } from './book/service.js';
import type { Clock } from './clock.js';
import type { Config } from './config.js';
import type { Db } from './db/connection.js';
import type { GuildSettingsRepo } from './db/guild-settings.js';
import type { CommandModule } from './discord/command.js';
import type { DataEraser } from './erasure.js';
import type { ExportService } from './export/service.js';
import type { Logger } from './logger.js';
import type { InteractionsInFlight } from './members-first.js';
import type { PromptService } from './prompts/service.js';
import type { ReflectionService } from './reflections/service.js';
import type { SerialByKey } from './serial.js';
import type { WeekDirectory } from './weeks.js';

/**
 * Everything a handler or job may use, passed down from main.ts. Nothing else is global, so a test can
 * build a context with a temp database, a fixed clock and a local AI endpoint.
 */
export interface AppContext {
  config: Config;
  log: Logger;
  clock: Clock;
  db: Db;
  settings: GuildSettingsRepo;
  /** The book dataset: look-ups, autocomplete and full-text search (loaded and validated at start). */
  book: BookService;
  /** The command registry, for /help and the router. */
  commands: readonly CommandModule[];
  /** The weekly prompts' weeks, as reflections and exports need them. */
  weeks: WeekDirectory;
  /** Every store of member or server data, for forget-me and the server purge. */
  erasers: readonly DataEraser[];
  /** Members' reflections: encrypted storage, ownership, visibility, posts, erasure. */
  reflections: ReflectionService;
  /** The weekly prompts: plans, schedule per server, the posting ledger (its WeekDirectory is `weeks`). */
  prompts: PromptService;
  /** Moderators' exports of shared and anonymous reflections, the export log and the since-last cursor. */
  exports: ExportService;
  /** Changes to a reflection's post in its thread, one at a time per reflection id (reflection-posts.ts). */
  postChanges: SerialByKey<number>;
  /** Interactions being answered, counted by the router; an export's reader thread steps aside for them. */
  inFlight: InteractionsInFlight;
  /** /ask: answers from the book data, with Claude when ANTHROPIC_API_KEY is set; quotas, budget, usage ledger. */
  ask: AskService;
}
