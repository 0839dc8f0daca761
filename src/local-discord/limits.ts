import { ERRORS, formError, type DiscordHttpError, type Json } from './model.js';

/**
 * The limits Discord enforces on what a bot sends, where a bot could get it wrong. Each check returns the
 * error Discord would answer with (400, 50035 "Invalid Form Body" with the field path), or undefined.
 */

export const DISCORD_LIMITS = {
  content: 2000,
  embeds: 10,
  embedTotal: 6000,
  embedTitle: 256,
  embedDescription: 4096,
  embedFields: 25,
  fieldName: 256,
  fieldValue: 1024,
  footer: 2048,
  authorName: 256,
  choices: 25,
  choiceName: 100,
  choiceValue: 100,
  modalTitle: 45,
  modalComponentsMin: 1,
  modalComponentsMax: 5,
  customId: 100,
  textInputLength: 4000,
  textInputLabel: 45,
  placeholder: 100,
  actionRows: 5,
  buttonsPerRow: 5,
  buttonLabel: 80,
  selectOptions: 25,
  files: 10,
  fileBytes: 10 * 1024 * 1024,
  nonce: 25,
} as const;

const str = (value: unknown) => (typeof value === 'string' ? value : '');
const tooLong = (path: string, max: number) => formError(path, 'BASE_TYPE_MAX_LENGTH', `Must be ${max} or fewer in length.`);

export interface MessageBody {
  content?: string | null;
  embeds?: Json[] | null;
  components?: Json[] | null;
  attachments?: Json[] | null;
  flags?: number | null;
  nonce?: string | number | null;
  enforce_nonce?: boolean;
  allowed_mentions?: Json | null;
  tts?: boolean;
  sticker_ids?: string[];
  poll?: Json;
  message_reference?: Json;
}

/** Checks a message create or edit. `isEdit` allows an empty body (an edit may change only some fields). */
export function checkMessage(body: MessageBody, options: { isEdit: boolean; fileCount: number; existing?: { content: string; embeds: Json[]; components: Json[]; attachments: unknown[] } }): DiscordHttpError | undefined {
  const content = str(body.content);
  if (content.length > DISCORD_LIMITS.content) return tooLong('content', DISCORD_LIMITS.content);
  if (typeof body.nonce === 'string' && body.nonce.length > DISCORD_LIMITS.nonce) return tooLong('nonce', DISCORD_LIMITS.nonce);
  const embeds = body.embeds ?? [];
  const embedError = checkEmbeds(embeds);
  if (embedError) return embedError;
  const componentError = checkComponents(body.components ?? [], 'components', (body.flags ?? 0) & (1 << 15) ? 40 : DISCORD_LIMITS.actionRows);
  if (componentError) return componentError;
  if (options.fileCount > DISCORD_LIMITS.files) return formError('files', 'BASE_TYPE_MAX_LENGTH', `Must be ${DISCORD_LIMITS.files} or fewer in length.`);
  const isV2 = ((body.flags ?? 0) & (1 << 15)) !== 0;
  const has = (value: unknown[] | null | undefined) => Array.isArray(value) && value.length > 0;
  const nonEmpty = (c: string, e: unknown[], comp: unknown[], att: unknown[]) => c.trim().length > 0 || e.length > 0 || comp.length > 0 || att.length > 0;
  if (!options.isEdit) {
    if (!nonEmpty(content, embeds, body.components ?? [], body.attachments ?? []) && options.fileCount === 0 && !has(body.sticker_ids) && !body.poll && !isV2) return ERRORS.emptyMessage();
  } else if (options.existing) {
    const e = options.existing;
    const after = {
      content: body.content === undefined ? e.content : content,
      embeds: body.embeds === undefined ? e.embeds : embeds,
      components: body.components === undefined ? e.components : (body.components ?? []),
      attachments: body.attachments === undefined ? e.attachments : (body.attachments ?? []),
    };
    if (!nonEmpty(after.content, after.embeds, after.components, after.attachments) && options.fileCount === 0 && !isV2) return ERRORS.emptyMessage();
  }
  return undefined;
}

export function checkEmbeds(embeds: readonly Json[]): DiscordHttpError | undefined {
  if (embeds.length > DISCORD_LIMITS.embeds) return tooLong('embeds', DISCORD_LIMITS.embeds);
  let total = 0;
  for (const [i, embed] of embeds.entries()) {
    const at = `embeds.${i}`;
    const title = str(embed.title);
    const description = str(embed.description);
    if (title.length > DISCORD_LIMITS.embedTitle) return tooLong(`${at}.title`, DISCORD_LIMITS.embedTitle);
    if (description.length > DISCORD_LIMITS.embedDescription) return tooLong(`${at}.description`, DISCORD_LIMITS.embedDescription);
    total += title.length + description.length;
    const fields = (embed.fields as Json[] | undefined) ?? [];
    if (fields.length > DISCORD_LIMITS.embedFields) return tooLong(`${at}.fields`, DISCORD_LIMITS.embedFields);
    for (const [j, field] of fields.entries()) {
      const name = str(field.name);
      const value = str(field.value);
      if (name.length === 0) return formError(`${at}.fields.${j}.name`, 'BASE_TYPE_REQUIRED', 'This field is required');
      if (value.length === 0) return formError(`${at}.fields.${j}.value`, 'BASE_TYPE_REQUIRED', 'This field is required');
      if (name.length > DISCORD_LIMITS.fieldName) return tooLong(`${at}.fields.${j}.name`, DISCORD_LIMITS.fieldName);
      if (value.length > DISCORD_LIMITS.fieldValue) return tooLong(`${at}.fields.${j}.value`, DISCORD_LIMITS.fieldValue);
      total += name.length + value.length;
    }
    const footer = str((embed.footer as Json | undefined)?.text);
    if (footer.length > DISCORD_LIMITS.footer) return tooLong(`${at}.footer.text`, DISCORD_LIMITS.footer);
    const author = str((embed.author as Json | undefined)?.name);
    if (author.length > DISCORD_LIMITS.authorName) return tooLong(`${at}.author.name`, DISCORD_LIMITS.authorName);
    total += footer.length + author.length;
  }
  if (total > DISCORD_LIMITS.embedTotal) return formError('embeds', 'MAX_EMBED_SIZE_EXCEEDED', 'Embed size exceeds maximum size of 6000');
  return undefined;
}

function checkCustomId(component: Json, path: string): DiscordHttpError | undefined {
  const id = component.custom_id;
  if (typeof id !== 'string' || id.length === 0) return formError(`${path}.custom_id`, 'BASE_TYPE_REQUIRED', 'This field is required');
  if (id.length > DISCORD_LIMITS.customId) return tooLong(`${path}.custom_id`, DISCORD_LIMITS.customId);
  return undefined;
}

/** Message components: action rows of buttons or one select; custom ids 1-100; labels ≤ 80. */
export function checkComponents(rows: readonly Json[], path: string, maxRows: number): DiscordHttpError | undefined {
  if (rows.length > maxRows) return tooLong(path, maxRows);
  for (const [i, row] of rows.entries()) {
    if (row.type !== 1) continue; // components v2 containers etc. are passed through
    const children = (row.components as Json[] | undefined) ?? [];
    if (children.length === 0 || children.length > DISCORD_LIMITS.buttonsPerRow) {
      return formError(`${path}.${i}.components`, 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 5 in length.');
    }
    for (const [j, child] of children.entries()) {
      const at = `${path}.${i}.components.${j}`;
      if (child.type === 2) {
        if (child.style !== 5 && child.style !== 6) {
          const error = checkCustomId(child, at);
          if (error) return error;
        }
        if (str(child.label).length > DISCORD_LIMITS.buttonLabel) return tooLong(`${at}.label`, DISCORD_LIMITS.buttonLabel);
      } else if (typeof child.type === 'number' && [3, 5, 6, 7, 8].includes(child.type)) {
        const error = checkCustomId(child, at);
        if (error) return error;
        const options = (child.options as Json[] | undefined) ?? [];
        if (child.type === 3 && (options.length === 0 || options.length > DISCORD_LIMITS.selectOptions)) {
          return formError(`${at}.options`, 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 25 in length.');
        }
      }
    }
  }
  return undefined;
}

/** The text inputs of a modal, wherever they sit (action row or label component). */
export function modalTextInputs(components: readonly Json[]): Json[] {
  const inputs: Json[] = [];
  for (const component of components) {
    if (component.type === 1) inputs.push(...((component.components as Json[] | undefined) ?? []).filter((c) => c.type === 4));
    if (component.type === 18) {
      const inner = component.component as Json | undefined;
      if (inner?.type === 4) inputs.push({ ...inner, label: inner.label ?? component.label, description: component.description });
    }
  }
  return inputs;
}

/** A modal: title ≤ 45, custom id 1-100, 1-5 top-level components, text inputs within their limits. */
export function checkModal(data: Json): DiscordHttpError | undefined {
  const title = str(data.title);
  if (title.length === 0) return formError('data.title', 'BASE_TYPE_REQUIRED', 'This field is required');
  if (title.length > DISCORD_LIMITS.modalTitle) return tooLong('data.title', DISCORD_LIMITS.modalTitle);
  const idError = checkCustomId(data, 'data');
  if (idError) return idError;
  const components = (data.components as Json[] | undefined) ?? [];
  if (components.length < DISCORD_LIMITS.modalComponentsMin || components.length > DISCORD_LIMITS.modalComponentsMax) {
    return formError('data.components', 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 5 in length.');
  }
  for (const [i, component] of components.entries()) {
    const at = `data.components.${i}`;
    if (component.type === 18 && str(component.label).length > DISCORD_LIMITS.textInputLabel) return tooLong(`${at}.label`, DISCORD_LIMITS.textInputLabel);
    if (component.type === 18 && str(component.description).length > 100) return tooLong(`${at}.description`, 100);
  }
  for (const [i, input] of modalTextInputs(components).entries()) {
    const at = `data.components.${i}.component`;
    const error = checkCustomId(input, at);
    if (error) return error;
    const min = input.min_length;
    const max = input.max_length;
    if (typeof min === 'number' && (min < 0 || min > DISCORD_LIMITS.textInputLength)) return formError(`${at}.min_length`, 'NUMBER_TYPE_MAX', 'int value should be less than or equal to 4000.');
    if (typeof max === 'number' && (max < 1 || max > DISCORD_LIMITS.textInputLength)) return formError(`${at}.max_length`, 'NUMBER_TYPE_MAX', 'int value should be between 1 and 4000.');
    if (str(input.value).length > DISCORD_LIMITS.textInputLength) return tooLong(`${at}.value`, DISCORD_LIMITS.textInputLength);
    if (str(input.placeholder).length > DISCORD_LIMITS.placeholder) return tooLong(`${at}.placeholder`, DISCORD_LIMITS.placeholder);
    if (str(input.label).length > DISCORD_LIMITS.textInputLabel) return tooLong(`${at}.label`, DISCORD_LIMITS.textInputLabel);
  }
  return undefined;
}

/** An autocomplete result: at most 25 choices, names 1-100, string values ≤ 100. */
export function checkChoices(data: Json): DiscordHttpError | undefined {
  const choices = (data.choices as Json[] | undefined) ?? [];
  if (!Array.isArray(choices)) return formError('data.choices', 'LIST_TYPE_CONVERT', 'Must be an array.');
  if (choices.length > DISCORD_LIMITS.choices) return tooLong('data.choices', DISCORD_LIMITS.choices);
  for (const [i, choice] of choices.entries()) {
    const name = str(choice.name);
    if (name.length === 0 || name.length > DISCORD_LIMITS.choiceName) return formError(`data.choices.${i}.name`, 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 100 in length.');
    if (typeof choice.value === 'string' && choice.value.length > DISCORD_LIMITS.choiceValue) return tooLong(`data.choices.${i}.value`, DISCORD_LIMITS.choiceValue);
  }
  return undefined;
}
