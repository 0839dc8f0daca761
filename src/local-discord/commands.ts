import { formError, type DiscordHttpError, type Json } from './model.js';

/**
 * Application commands as Discord handles them: the checks on a definition (names, descriptions, 25
 * options, 25 choices) and the command as Discord returns it (ids, version, defaults filled in).
 */

/** Discord's checks on a command definition: names, descriptions, 25 options, 25 choices. */
export function checkCommand(command: Json, at: string): DiscordHttpError | undefined {
  const type = (command.type as number | undefined) ?? 1;
  const name = typeof command.name === 'string' ? command.name : '';
  if (name.length < 1 || name.length > 32) return formError(`${at}.name`, 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 32 in length.');
  if (type === 1 && !/^[-_'\p{L}\p{N}]{1,32}$/u.test(name)) return formError(`${at}.name`, 'APPLICATION_COMMAND_INVALID_NAME', 'Command name is invalid');
  if (type === 1 && name !== name.toLowerCase()) return formError(`${at}.name`, 'APPLICATION_COMMAND_INVALID_NAME', 'Command name is invalid');
  const description = typeof command.description === 'string' ? command.description : '';
  if (type === 1 && (description.length < 1 || description.length > 100)) return formError(`${at}.description`, 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 100 in length.');
  const check = (options: Json[], path: string): DiscordHttpError | undefined => {
    if (options.length > 25) return formError(`${path}.options`, 'BASE_TYPE_MAX_LENGTH', 'Must be 25 or fewer in length.');
    for (const [i, option] of options.entries()) {
      const p = `${path}.options.${i}`;
      const optionName = typeof option.name === 'string' ? option.name : '';
      if (!/^[-_'\p{Ll}\p{Lo}\p{N}]{1,32}$/u.test(optionName)) return formError(`${p}.name`, 'APPLICATION_COMMAND_INVALID_NAME', 'Command name is invalid');
      const optionDescription = typeof option.description === 'string' ? option.description : '';
      if (optionDescription.length < 1 || optionDescription.length > 100) return formError(`${p}.description`, 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 100 in length.');
      const choices = (option.choices as Json[] | undefined) ?? [];
      if (choices.length > 25) return formError(`${p}.choices`, 'BASE_TYPE_MAX_LENGTH', 'Must be 25 or fewer in length.');
      if (choices.length > 0 && option.autocomplete === true) return formError(`${p}.autocomplete`, 'APPLICATION_COMMAND_OPTION_AUTOCOMPLETE_CHOICES', 'Autocomplete cannot be set with choices');
      const nested = check((option.options as Json[] | undefined) ?? [], p);
      if (nested) return nested;
    }
    return undefined;
  };
  return check((command.options as Json[] | undefined) ?? [], at);
}

/** A command as Discord returns it: ids, version, and defaults filled in; false defaults dropped. */
export function normaliseCommand(command: Json, ids: { application: string; newId: () => string }, guildId: string | undefined, existing: Json | undefined): Json {
  const type = (command.type as number | undefined) ?? 1;
  const permissions = command.default_member_permissions;
  const out: Json = {
    id: existing?.id ?? ids.newId(),
    application_id: ids.application,
    version: existing && JSON.stringify(stripVolatile(existing)) === JSON.stringify(stripVolatile({ ...command })) ? existing.version : ids.newId(),
    default_member_permissions: typeof permissions === 'string' || typeof permissions === 'number' || typeof permissions === 'bigint' ? String(permissions) : null,
    type,
    name: command.name,
    description: type === 1 ? (command.description ?? '') : '',
    dm_permission: command.dm_permission ?? true,
    contexts: command.contexts ?? null,
    integration_types: command.integration_types ?? [0],
    nsfw: command.nsfw ?? false,
    ...(guildId ? { guild_id: guildId } : {}),
  };
  if (command.name_localizations && Object.keys(command.name_localizations).length > 0) out.name_localizations = command.name_localizations;
  if (command.description_localizations && Object.keys(command.description_localizations).length > 0) out.description_localizations = command.description_localizations;
  const options = (command.options as Json[] | undefined) ?? [];
  if (type === 1 && options.length > 0) out.options = options.map(normaliseOption);
  return out;
}

function stripVolatile(command: Json): Json {
  const { id: _id, version: _version, application_id: _app, guild_id: _guild, ...rest } = command;
  return rest;
}

function normaliseOption(option: Json): Json {
  const out: Json = {};
  for (const [key, value] of Object.entries(option)) {
    if (value === undefined || value === null) continue;
    if ((key === 'required' || key === 'autocomplete') && value === false) continue;
    if ((key === 'name_localizations' || key === 'description_localizations') && typeof value === 'object' && Object.keys(value).length === 0) continue;
    if (key === 'options' && Array.isArray(value)) {
      if (value.length > 0) out.options = (value as Json[]).map(normaliseOption);
      continue;
    }
    out[key] = value;
  }
  return out;
}
