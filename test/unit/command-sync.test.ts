import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { commands } from '../../commands/index.js';
import { commandDefinitions, commandsMatch, normaliseCommand } from '../../src/discord/command-sync.js';
import { indexCommands } from '../../src/discord/router.js';

/** What Discord sends back for a command we registered: ids, versions and every default filled in. */
function asDiscordReturnsIt(definition: Record<string, any>): Record<string, any> {
  const fillOption = (option: Record<string, any>): Record<string, any> => ({
    ...option,
    description_localizations: null,
    name_localizations: null,
    ...(option.type === 1 || option.type === 2 ? { options: (option.options ?? []).map(fillOption) } : {}),
  });
  return {
    id: '1300000000000000001',
    application_id: '1000000000000000001',
    version: '1300000000000000002',
    type: definition.type ?? 1,
    name: definition.name,
    name_localizations: null,
    description: definition.description ?? '',
    description_localizations: null,
    default_member_permissions: definition.default_member_permissions ?? null,
    dm_permission: true,
    nsfw: false,
    contexts: definition.contexts ?? null,
    integration_types: definition.integration_types ?? [0],
    ...(definition.options ? { options: definition.options.map(fillOption) } : {}),
  };
}

describe('command sync', () => {
  const local = commandDefinitions(commands);

  it('sees no difference when Discord returns our commands with its defaults filled in', () => {
    const remote = local.map(asDiscordReturnsIt);
    expect(commandsMatch(local, remote)).toBe(true);
  });

  it('treats an option with required:false and one without it as the same', () => {
    const ours = { name: 'x', description: 'd', options: [{ type: 3, name: 'q', description: 'q' }] };
    const theirs = { name: 'x', description: 'd', type: 1, options: [{ type: 3, name: 'q', description: 'q', required: false }] };
    expect(normaliseCommand(ours)).toEqual(normaliseCommand(theirs));
  });

  it('sees a real change: a new option, a changed description, a missing or extra command', () => {
    const remote = local.map(asDiscordReturnsIt);
    const changedDescription = remote.map((c, i) => (i === 0 ? { ...c, description: 'something else' } : c));
    expect(commandsMatch(local, changedDescription)).toBe(false);
    expect(commandsMatch(local, remote.slice(1))).toBe(false);
    expect(commandsMatch(local, [...remote, { name: 'stale', description: 'old', type: 1 }])).toBe(false);
    const withOption = remote.map((c, i) => (i === 0 ? { ...c, options: [...(c.options ?? []), { type: 3, name: 'new', description: 'n' }] } : c));
    expect(commandsMatch(local, withOption)).toBe(false);
  });

  it('compares contexts and integration types for global commands only, which are the only ones they apply to', () => {
    const withoutThem = local.map(asDiscordReturnsIt).map((c) => ({ ...c, contexts: null, integration_types: null }));
    expect(local.some((c) => Array.isArray(c.contexts))).toBe(true);
    expect(commandsMatch(local, withoutThem, 'guild')).toBe(true);
    expect(commandsMatch(local, withoutThem, 'global')).toBe(false);
  });

  it('sees a change of who may use a command', () => {
    const remote = local.map(asDiscordReturnsIt).map((c) => ({ ...c, default_member_permissions: null }));
    const anyModeratorCommand = local.some((c) => c.default_member_permissions !== undefined && c.default_member_permissions !== null);
    expect(anyModeratorCommand).toBe(true);
    expect(commandsMatch(local, remote)).toBe(false);
  });
});

describe('the command registry', () => {
  it('registers every module in commands/, once, with unique names and component prefixes', async () => {
    const files = readdirSync('commands').filter((file) => file.endsWith('.ts') && file !== 'index.ts');
    const registered = new Set<unknown>(commands);
    for (const file of files) {
      const module = (await import(`../../commands/${file}`)) as { default?: unknown };
      expect(module.default, `commands/${file} has a default export`).toBeDefined();
      expect(registered.has(module.default), `commands/${file} is in commands/index.ts`).toBe(true);
    }
    expect(() => indexCommands(commands)).not.toThrow();
    expect(new Set(commands.map((c) => `${c.kind}:${c.data.name}`)).size).toBe(commands.length);
  });

  it('keeps every definition within Discord limits (names, descriptions, 25 options)', () => {
    const check = (option: any) => {
      expect(option.name).toMatch(/^[-_\p{L}\p{N}]{1,32}$/u);
      expect(option.description.length).toBeGreaterThan(0);
      expect(option.description.length).toBeLessThanOrEqual(100);
      expect((option.options ?? []).length).toBeLessThanOrEqual(25);
      (option.options ?? []).forEach(check);
    };
    for (const command of commands) {
      if (command.kind === 'chat-input') check(command.data);
      else expect(command.data.name.length).toBeLessThanOrEqual(32);
    }
  });
});
