import { isDeepStrictEqual } from 'node:util';
import type { ApplicationCommandType as CommandType, REST } from 'discord.js';
import type { Logger } from '../logger.js';
import type { CommandModule } from './command.js';
import { describeDiscordError } from './errors.js';

/** A command definition as plain JSON, the way we send it or Discord returns it. */
export type CommandJson = Record<string, unknown> & { name: string; type?: CommandType | number };

const OPTION_DEFAULTS: Record<string, unknown> = { required: false, autocomplete: false };

function normaliseOption(option: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(option)) {
    if (value === undefined || value === null) continue;
    if (key === 'name_localizations' || key === 'description_localizations') {
      if (typeof value === 'object' && Object.keys(value).length === 0) continue;
    }
    if (key in OPTION_DEFAULTS && OPTION_DEFAULTS[key] === value) continue;
    if (key === 'options' && Array.isArray(value)) {
      if (value.length === 0) continue;
      out[key] = value.map((child) => normaliseOption(child as Record<string, unknown>));
      continue;
    }
    if (key === 'channel_types' && Array.isArray(value)) {
      out[key] = [...(value as number[])].sort((a, b) => a - b);
      continue;
    }
    if (key === 'choices' && Array.isArray(value)) {
      out[key] = (value as Record<string, unknown>[]).map((choice) => normaliseOption(choice));
      continue;
    }
    out[key] = value;
  }
  return out;
}

/** Where commands are registered: one server's (DISCORD_GUILD_ID) or everywhere. */
export type CommandScope = 'guild' | 'global';

/**
 * Puts a command into the form Discord returns it in, dropping the fields Discord fills with defaults, so a
 * definition that differs only by defaults compares equal and a restart makes no write. `contexts` and
 * `integration_types` apply to global commands only (Discord's reference), so for a server's commands they are
 * not compared: a Discord that answers them as null would otherwise see a change at every start.
 */
export function normaliseCommand(command: Record<string, unknown>, scope: CommandScope = 'global'): Record<string, unknown> {
  const type = (command.type as number | undefined) ?? 1;
  const permissions = command.default_member_permissions;
  const contexts = command.contexts as number[] | null | undefined;
  const integrationTypes = command.integration_types as number[] | null | undefined;
  const base: Record<string, unknown> = {
    name: command.name,
    type,
    // Context-menu commands have an empty description on Discord's side.
    description: type === 1 ? (command.description ?? '') : '',
    default_member_permissions: typeof permissions === 'string' || typeof permissions === 'number' || typeof permissions === 'bigint' ? String(permissions) : null,
    nsfw: command.nsfw ?? false,
    contexts: scope === 'guild' || contexts === undefined || contexts === null ? null : [...contexts].sort((a, b) => a - b),
    integration_types: scope === 'guild' || integrationTypes === undefined || integrationTypes === null ? [0] : [...integrationTypes].sort((a, b) => a - b),
    name_localizations: emptyToNull(command.name_localizations),
    description_localizations: emptyToNull(command.description_localizations),
  };
  const options = (command.options as Record<string, unknown>[] | undefined) ?? [];
  if (type === 1) base.options = options.map(normaliseOption);
  return base;
}

function emptyToNull(value: unknown): unknown {
  if (value === undefined || value === null) return null;
  if (typeof value === 'object' && Object.keys(value).length === 0) return null;
  return value;
}

const key = (command: Record<string, unknown>) => `${(command.type as number | undefined) ?? 1}:${String(command.name)}`;

/** True when Discord's list and ours describe the same commands (order of commands does not matter). */
export function commandsMatch(local: readonly Record<string, unknown>[], remote: readonly Record<string, unknown>[], scope: CommandScope = 'global'): boolean {
  if (local.length !== remote.length) return false;
  const remoteByKey = new Map(remote.map((command) => [key(command), normaliseCommand(command, scope)]));
  return local.every((command) => {
    const theirs = remoteByKey.get(key(command));
    return theirs !== undefined && isDeepStrictEqual(normaliseCommand(command, scope), theirs);
  });
}

export function commandDefinitions(modules: readonly CommandModule[]): Record<string, unknown>[] {
  return modules.map((module) => module.data as unknown as Record<string, unknown>);
}

export interface SyncResult {
  scope: CommandScope;
  written: boolean;
  count: number;
}

/**
 * What Discord holds, or undefined when it cannot be read (an error, or an answer that is not a list). Not
 * being able to read is no reason to stop: the overwrite that follows either works (a Discord that serves
 * PUT but not GET) or fails with the error that matters, which the caller logs and retries.
 */
async function readRegistered(rest: REST, route: `/${string}`, log: Logger): Promise<Record<string, unknown>[] | undefined> {
  try {
    const remote = await rest.get(route);
    if (Array.isArray(remote)) return remote as Record<string, unknown>[];
    log.warn({ answer: typeof remote }, 'the registered commands came back as something other than a list; writing ours');
  } catch (error) {
    log.warn({ err: error, ...describeDiscordError(error) }, 'could not read the registered commands; writing ours');
  }
  return undefined;
}

/**
 * Compares our definitions with what Discord has and overwrites only when they really differ: Discord caps
 * command creates at 200 a day per server, and a crash loop that re-registered on every start would burn it.
 */
export async function syncCommands(rest: REST, applicationId: string, modules: readonly CommandModule[], guildId: string | undefined, log: Logger): Promise<SyncResult> {
  const definitions = commandDefinitions(modules);
  const route = guildId
    ? (`/applications/${applicationId}/guilds/${guildId}/commands` as const)
    : (`/applications/${applicationId}/commands` as const);
  const scope: CommandScope = guildId ? 'guild' : 'global';
  const remote = await readRegistered(rest, route, log);
  if (remote !== undefined && commandsMatch(definitions, remote, scope)) {
    log.info({ scope, count: definitions.length }, 'commands already up to date');
    return { scope, written: false, count: definitions.length };
  }
  await rest.put(route, { body: definitions });
  log.info({ scope, count: definitions.length }, 'commands registered');
  return { scope, written: true, count: definitions.length };
}
