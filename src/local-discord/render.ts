import { InteractionDriver, type InteractionHandle } from './driver.js';
import { modalTextInputs } from './limits.js';
import { MESSAGE_FLAGS, type Json, type LocalMessage } from './model.js';

/**
 * Renders what the bot sent as plain text, for readable assertions and the playground: content, embeds
 * (title, description, fields, footer), components (interactive ones numbered [1], [2] … in the order the
 * driver's `component: n` uses), files, and modals or autocomplete choices.
 */

const text = (value: unknown, fallback = ''): string => (typeof value === 'string' ? value : typeof value === 'number' ? String(value) : fallback);

const BUTTON_STYLES: Record<number, string> = { 1: '', 2: '', 3: '', 4: ' (danger)', 5: ' (link)', 6: '' };

export interface RenderOptions {
  /** Include the visibility marker line ("only you can see this"). Default true. */
  visibility?: boolean;
  /** Number the interactive components. Default true. */
  numbered?: boolean;
}

export function renderMessage(message: Pick<LocalMessage, 'content' | 'embeds' | 'components' | 'attachments' | 'flags'>, options: RenderOptions = {}): string {
  const lines: string[] = [];
  if ((message.flags & MESSAGE_FLAGS.LOADING) !== 0) lines.push('(thinking…)');
  if (options.visibility !== false && (message.flags & MESSAGE_FLAGS.EPHEMERAL) !== 0) lines.push('(only you can see this)');
  if (message.content) lines.push(message.content);
  for (const embed of message.embeds) lines.push(...renderEmbed(embed));
  lines.push(...renderComponents(message.components, options.numbered !== false));
  for (const file of message.attachments) lines.push(`📎 ${file.filename} (${formatBytes(file.size)})`);
  return lines.join('\n');
}

function renderEmbed(embed: Json): string[] {
  const lines: string[] = [];
  const author = (embed.author as Json | undefined)?.name;
  if (typeof author === 'string') lines.push(author);
  if (typeof embed.title === 'string') lines.push(`== ${embed.title} ==`);
  if (typeof embed.description === 'string') lines.push(embed.description);
  for (const field of (embed.fields as Json[] | undefined) ?? []) {
    lines.push(`${String(field.name)}: ${String(field.value)}`);
  }
  const footer = (embed.footer as Json | undefined)?.text;
  if (typeof footer === 'string') lines.push(`— ${footer}`);
  return lines;
}

function renderComponents(components: Json[], numbered: boolean): string[] {
  const interactive = InteractionDriver.interactiveComponents({ components });
  const number = (component: Json) => (numbered ? `[${interactive.indexOf(component) + 1}] ` : '');
  const lines: string[] = [];
  const walk = (list: Json[]) => {
    const row: string[] = [];
    for (const c of list) {
      switch (c.type) {
        case 1:
          walk((c.components as Json[] | undefined) ?? []);
          break;
        case 2:
          row.push(`${number(c)}${text(c.label, text((c.emoji as Json | undefined)?.name, 'button'))}${BUTTON_STYLES[c.style as number] ?? ''}${c.disabled === true ? ' (disabled)' : ''}${typeof c.url === 'string' ? ` <${c.url}>` : ''}`);
          break;
        case 3:
        case 5:
        case 6:
        case 7:
        case 8: {
          const opts = ((c.options as Json[] | undefined) ?? []).map((o) => `${String(o.label)}${o.value !== o.label ? ` = ${String(o.value)}` : ''}`);
          lines.push(`${number(c)}select: ${text(c.placeholder, 'choose')}${opts.length > 0 ? ` { ${opts.join(' | ')} }` : ''}`);
          break;
        }
        case 10:
          lines.push(text(c.content));
          break;
        case 9:
          walk((c.components as Json[] | undefined) ?? []);
          if (c.accessory) walk([c.accessory as Json]);
          break;
        case 14:
          lines.push('────');
          break;
        case 17:
          walk((c.components as Json[] | undefined) ?? []);
          break;
        default:
          break;
      }
    }
    if (row.length > 0) lines.push(row.join('  '));
  };
  walk(components);
  return lines;
}

/** A modal as text: its title and its text inputs numbered in the order the playground asks for them. */
export function renderModal(modal: Json): string {
  const lines = [`[form] ${String(modal.title)}`];
  for (const component of (modal.components as Json[] | undefined) ?? []) {
    if (component.type === 10) lines.push(text(component.content));
  }
  modalTextInputs((modal.components as Json[] | undefined) ?? []).forEach((input, i) => {
    const limits = [input.required === false ? 'optional' : 'required', typeof input.max_length === 'number' ? `up to ${input.max_length} characters` : undefined].filter(Boolean).join(', ');
    lines.push(`  ${i + 1}. ${String(input.label ?? input.custom_id)} (${limits})${typeof input.value === 'string' && input.value ? ` [now: ${input.value}]` : ''}`);
    if (typeof input.description === 'string') lines.push(`     ${input.description}`);
  });
  return lines.join('\n');
}

export function renderChoices(choices: readonly Json[]): string {
  if (choices.length === 0) return '(no suggestions)';
  return choices.map((c, i) => `  ${i + 1}. ${String(c.name)}${c.value !== c.name ? ` = ${String(c.value)}` : ''}`).join('\n');
}

/** Renders whatever the bot answered an interaction with (message, modal or choices), or one message. */
export function render(what: InteractionHandle | LocalMessage | readonly LocalMessage[], options: RenderOptions = {}): string {
  if (Array.isArray(what)) return (what as readonly LocalMessage[]).map((m) => renderMessage(m, options)).join('\n\n');
  if ('callback' in what && 'record' in what) {
    const handle = what;
    if (handle.modal) return renderModal(handle.modal);
    if (handle.choices) return renderChoices(handle.choices);
    return handle.messages().map((m) => renderMessage(m, options)).join('\n\n');
  }
  return renderMessage(what as LocalMessage, options);
}

function formatBytes(size: number): string {
  if (size < 1024) return `${size} B`;
  if (size < 1024 * 1024) return `${(size / 1024).toFixed(1)} KB`;
  return `${(size / 1024 / 1024).toFixed(1)} MB`;
}
