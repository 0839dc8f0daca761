import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InteractionHandle, Json } from '../../src/local-discord/index.js';
import { InteractionDriver } from '../../src/local-discord/driver.js';
import { startHarness, type Harness } from '../e2e/harness.js';
import { prng } from '../../bench/lib/stats.js';
import { KEY, SCALE, mentionViolations } from './support.js';

/**
 * Seeded fuzz through the real client and the local Discord: random commands, subcommands and option
 * values chosen to hurt (empty, 6,000 characters, every Unicode plane, zero-width and control characters,
 * Markdown, @everyone, role and user mentions, other members' ids, numbers out of range, unknown options),
 * random autocomplete, modal submits and button presses. Replay a failure with HARDENING_SEED=<seed>.
 */

const SEED = Number(process.env.HARDENING_SEED ?? Math.floor(Math.random() * 2 ** 31));
const COUNT = 1_000 * SCALE;
const DEADLINE_MS = 3_000;

const OPTION = { SUB_COMMAND: 1, SUB_COMMAND_GROUP: 2, STRING: 3, INTEGER: 4, BOOLEAN: 5, USER: 6, CHANNEL: 7, ROLE: 8, MENTIONABLE: 9, NUMBER: 10, ATTACHMENT: 11 };

type Action =
  | { kind: 'command'; name: string; subcommand?: string; options: Record<string, string | number | boolean>; attachments?: Record<string, { name: string; content: string }>; as: string }
  | { kind: 'autocomplete'; name: string; subcommand?: string; focused: string; value: string; options: Record<string, string | number | boolean>; as: string }
  | { kind: 'modal'; values: string[]; as: string }
  | { kind: 'button'; component: string; as: string };

/** Resolves once the local Discord has seen no request for `quietMs` (deferred work, follow-ups and posts finished). */
async function quiet(h: Harness, quietMs: number, capMs: number): Promise<void> {
  const deadline = Date.now() + capMs;
  for (;;) {
    const last = h.discord.requests.at(-1)?.at ?? 0;
    if (Date.now() - last >= quietMs || Date.now() > deadline) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe(`hardening: seeded fuzz of ${COUNT} interactions (seed ${SEED})`, () => {
  let h: Harness;
  const random = prng(SEED);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;

  beforeAll(async () => {
    console.log(`hardening fuzz seed: ${SEED} (replay with HARDENING_SEED=${SEED})`);
    h = await startHarness({ env: { REFLECTIONS_KEY: KEY, LOG_LEVEL: 'info' } });
  });
  afterAll(async () => {
    await h?.stop();
  });

  function hostile(): string {
    const ids = h.discord.ids;
    const pieces = [
      '',
      ' ',
      'x'.repeat(6_000),
      'ü'.repeat(2_500),
      String.fromCodePoint(0x41, 0x3b1, 0x4e2d, 0x1f600, 0x20000, 0x30000, 0xe0001, 0xf0000, 0x10fffd),
      '\ud800 lone surrogate \udfff',
      '\u200b\u200c\u200d\u2060\ufeff',
      '\u202eevil\u202c \u0000\u0001\u0007\u001b[31m\u007f\r\n\t',
      '**bold** __under__ ~~strike~~ ||spoiler|| `code` ```js\nalert(1)\n``` > quote\n# heading [link](https://evil.example)',
      '@everyone',
      '@here',
      `<@&${ids.roles.moderator}>`,
      `<@&${ids.roles.everyone}>`,
      `<@${ids.owner}>`,
      `<@!${ids.moderator}>`,
      `<#${ids.modLogChannel}>`,
      ids.owner,
      ids.moderator,
      '-1',
      '0',
      '99999999999999999999999',
      'NaN',
      '1e309',
      '%s%n%x ${process.env} {{7*7}} \' OR 1=1 --',
      '../../etc/passwd',
      'Pizer',
      '1',
      'rupture',
      '2026-02-30',
      '2026-03-01',
    ];
    const n = 1 + Math.floor(random() * 3);
    return Array.from({ length: n }, () => pick(pieces)).join(random() < 0.5 ? '' : ' ').slice(0, 6_000);
  }

  function hostileNumber(option: Json, integer: boolean): number {
    const min = typeof option.min_value === 'number' ? option.min_value : 1;
    const max = typeof option.max_value === 'number' ? option.max_value : 100;
    const candidates = [min - 1, max + 1, 0, -1, 2 ** 31, -(2 ** 53 - 1), 2 ** 53 - 1, min, max, Math.floor((min + max) / 2)];
    const value = pick(candidates);
    return integer ? Math.trunc(value) : random() < 0.3 ? value + 0.5 : value;
  }

  function valueFor(option: Json): string | number | boolean {
    const ids = h.discord.ids;
    const choices = (option.choices as Json[] | undefined) ?? [];
    switch (option.type) {
      case OPTION.STRING:
        return choices.length > 0 && random() < 0.7 ? String(pick(choices).value) : hostile();
      case OPTION.INTEGER:
        return choices.length > 0 && random() < 0.7 ? Number(pick(choices).value) : hostileNumber(option, true);
      case OPTION.NUMBER:
        return hostileNumber(option, false);
      case OPTION.BOOLEAN:
        return random() < 0.5;
      case OPTION.USER:
        return pick([ids.member, ids.moderator, ids.owner, ids.bot]);
      case OPTION.ROLE:
      case OPTION.MENTIONABLE:
        return pick(Object.values(ids.roles));
      case OPTION.CHANNEL:
        return pick([ids.channel, ids.modLogChannel]);
      default:
        return hostile();
    }
  }

  function leafOptions(defined: Json[], action: { attachments?: Record<string, { name: string; content: string }> }): Record<string, string | number | boolean> {
    const values: Record<string, string | number | boolean> = {};
    for (const option of defined) {
      if (option.required !== true && random() < 0.5) continue;
      if (option.type === OPTION.ATTACHMENT) {
        action.attachments = { ...action.attachments, [String(option.name)]: { name: pick(['notes.txt', '../../x.md', '@everyone.txt']), content: hostile() } };
        values[String(option.name)] = 'file';
        continue;
      }
      values[String(option.name)] = valueFor(option);
    }
    if (random() < 0.1) values[pick(['unknown', 'zzz', 'admin'])] = hostile();
    return values;
  }

  function registered(): Json[] {
    const all: Json[] = [];
    for (const map of h.discord.server.commands.values()) all.push(...map.values());
    return all.filter((c) => ((c.type as number | undefined) ?? 1) === 1);
  }

  function randomCommand(): { command: Json; subcommand?: string; defined: Json[] } {
    const command = pick(registered());
    let defined = (command.options as Json[] | undefined) ?? [];
    const path: string[] = [];
    for (;;) {
      const subs = defined.filter((o) => o.type === OPTION.SUB_COMMAND || o.type === OPTION.SUB_COMMAND_GROUP);
      if (subs.length === 0) break;
      const sub = pick(subs);
      path.push(String(sub.name));
      defined = (sub.options as Json[] | undefined) ?? [];
    }
    return { command, subcommand: path.length > 0 ? path.join(' ') : undefined, defined };
  }

  const modals: Json[] = [];
  const buttons: { message: string; component: string }[] = [];

  function nextAction(): Action {
    const as = pick(['member', 'member', 'moderator', 'owner']);
    const roll = random();
    if (roll < 0.08 && modals.length > 0) return { kind: 'modal', values: [hostile(), hostile()], as };
    if (roll < 0.15 && buttons.length > 0) {
      const button = pick(buttons);
      return { kind: 'button', component: `${button.message}/${button.component}`, as };
    }
    const { command, subcommand, defined } = randomCommand();
    const auto = defined.filter((o) => o.autocomplete === true);
    if (roll < 0.35 && auto.length > 0) {
      const focused = pick(auto);
      const action = { kind: 'autocomplete' as const, name: String(command.name), subcommand, focused: String(focused.name), value: hostile().slice(0, 100), options: {}, as };
      action.options = leafOptions(defined.filter((o) => o !== focused && o.type !== OPTION.ATTACHMENT), {});
      return action;
    }
    const action: Action = { kind: 'command', name: String(command.name), subcommand, options: {}, as };
    action.options = leafOptions(defined, action);
    return action;
  }

  async function perform(action: Action): Promise<InteractionHandle> {
    const timeoutMs = DEADLINE_MS + 2_000;
    switch (action.kind) {
      case 'command':
        return h.discord.interact.chatInput({ name: action.name, subcommand: action.subcommand, options: action.options, attachments: action.attachments, as: action.as, timeoutMs });
      case 'autocomplete':
        return h.discord.interact.autocomplete({ name: action.name, subcommand: action.subcommand, focused: action.focused, value: action.value, options: action.options, as: action.as, timeoutMs });
      case 'modal':
        return h.discord.interact.modalSubmit({ modal: pick(modals), values: action.values, as: action.as, timeoutMs });
      case 'button': {
        const [message, component] = action.component.split('/') as [string, string];
        return h.discord.interact.button({ message, component, as: action.as, timeoutMs });
      }
    }
  }

  it('answers every interaction within the 3-second rule, never crashes, never rejects a promise unhandled, never pings', async () => {
    const failures: string[] = [];
    const handles: InteractionHandle[] = [];
    const started = performance.now();
    for (let i = 0; i < COUNT; i++) {
      const action = nextAction();
      let handle: InteractionHandle;
      try {
        handle = await perform(action);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        // The driver refuses a few impossible payloads before sending (a button since disabled, a message since deleted).
        if (/is disabled|has no component|no message/.test(message)) continue;
        failures.push(`#${i} ${JSON.stringify(action).slice(0, 300)}: ${message}`);
        continue;
      }
      handles.push(handle);
      const elapsed = handle.callback.at - handle.record.createdAt;
      if (elapsed > DEADLINE_MS) failures.push(`#${i} ${action.kind} ${'name' in action ? action.name : ''}: first response after ${elapsed} ms`);
      if (handle.modal && modals.length < 20) modals.push(handle.modal);
      for (const m of handle.messages()) {
        for (const c of InteractionDriver.interactiveComponents(m)) {
          if (c.type === 2 && typeof c.custom_id === 'string' && c.disabled !== true && buttons.length < 200) buttons.push({ message: m.id, component: c.custom_id });
        }
      }
    }
    console.log(`fuzz: ${handles.length} answered, ${failures.length} failures, in ${Math.round(performance.now() - started)} ms`);
    // Let deferred replies, follow-ups and thread posts finish before judging what was sent.
    await quiet(h, 300, 20_000);
    const thinking = handles.filter((x) => x.callback.type === 5 && x.messages().length > 0 && x.messages().every((m) => (m.flags & 128) !== 0));
    for (const x of thinking) {
      await x.reply({ timeoutMs: 10_000 }).catch(() => failures.push(`interaction ${x.id} (${x.record.type}) was deferred and never answered: ${JSON.stringify(x.record.payload.data).slice(0, 300)}; logs: ${h.logs().filter((l) => JSON.stringify(l).includes(x.id)).map((l) => JSON.stringify(l).slice(0, 600)).join(' | ')}`));
    }

    expect(failures.slice(0, 10), `seed ${SEED}`).toEqual([]);
    expect(failures.length).toBe(0);
    expect(handles.length).toBeGreaterThan(COUNT * 0.9);
    const rejected = [...h.discord.server.interactions.values()].filter((r) => r.rejected.length > 0).map((r) => ({ id: r.id, rejected: r.rejected }));
    expect(rejected, `seed ${SEED}`).toEqual([]);
    expect(h.unhandledRejections, `seed ${SEED}`).toEqual([]);
    expect(mentionViolations(h.discord.requests).slice(0, 10), `seed ${SEED}`).toEqual([]);
    // Still serving after all of it.
    const help = await h.discord.interact.chatInput({ name: 'help' });
    expect(h.discord.render(await help.reply())).toContain('/');
    // Nothing crashed or was cut off: no uncaught error and no fatal log line.
    expect(h.logs().filter((l) => typeof l.level === 'number' && l.level >= 60)).toEqual([]);
  }, 150_000 * SCALE);
});
