import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InteractionHandle, Json, LocalMessage, RecordedRequest } from '../../src/local-discord/index.js';
import type { LocalUser } from '../../src/local-discord/model.js';
import { InteractionDriver } from '../../src/local-discord/driver.js';
import { startHarness, type Harness } from '../e2e/harness.js';
import { prng } from '../../bench/lib/stats.js';
import { KEY, SCALE, isWeeklyPromptPost, mentionViolations } from './support.js';

/**
 * Seeded fuzz through the real client and the local Discord: random commands, subcommands and option
 * values chosen to hurt (empty, 6,000 characters, every Unicode plane, zero-width and control characters,
 * Markdown, @everyone, role and user mentions, other members' ids, numbers out of range, unknown options),
 * random autocomplete, modal submits, "Save as reflection" on random messages, and buttons pressed both on
 * interaction replies and on what the bot posted (the weekly prompt's Reflect, a shared reflection's
 * Report in the week's thread, the mod-log's Hide), each by a random member, another member, a moderator
 * or the owner. The server starts with a week posted (its thread) and a mod-log channel, so the bot posts
 * to channels, threads and DMs too. Replay a failure with HARDENING_SEED=<seed>.
 *
 * Determinism: every choice comes from the seeded generator; a choice among what the bot has posted or
 * shown waits first until the bot has gone quiet, so the same seed picks from the same messages.
 */

const SEED = Number(process.env.HARDENING_SEED ?? Math.floor(Math.random() * 2 ** 31));
const COUNT = 1_000 * SCALE;
const DEADLINE_MS = 3_000;

const OPTION = { SUB_COMMAND: 1, SUB_COMMAND_GROUP: 2, STRING: 3, INTEGER: 4, BOOLEAN: 5, USER: 6, CHANNEL: 7, ROLE: 8, MENTIONABLE: 9, NUMBER: 10, ATTACHMENT: 11 };
const SAVE_AS_REFLECTION = 'Save as reflection';

type Options = Record<string, string | number | boolean>;
type Action =
  | { kind: 'command'; name: string; subcommand?: string; options: Options; attachments?: Record<string, { name: string; content: string }>; as: string }
  | { kind: 'autocomplete'; name: string; subcommand?: string; focused: string; value: string; options: Options; as: string }
  | { kind: 'modal'; modal: number; values: string[]; as: string }
  /** A button on an interaction reply (`reply`) or on a message the bot posted (`post`); a modal it opens is submitted with `then`. */
  | { kind: 'button'; where: 'reply' | 'post'; message: string; component: string; then: string[]; as: string }
  /** "Save as reflection" on a message: the bot's own, or one written now (`write`) by its author in a channel. */
  | { kind: 'context'; target: 'own' | 'other' | 'empty' | 'bot'; message?: string; write?: { author: string; channel: string; content: string }; as: string }
  /** /reflect shared or anonymous (into week 1, the current week, or a week with no thread), its modal submitted at once. */
  | { kind: 'share'; visibility: 'shared' | 'anonymous'; week?: number; text: string; as: string };

/** Resolves once the local Discord has answered no request for `quietMs` (deferred work, follow-ups and posts finished). */
async function quiet(h: Harness, quietMs: number, capMs: number): Promise<void> {
  const deadline = Date.now() + capMs;
  for (;;) {
    if (Date.now() - h.discord.server.lastRequestAt >= quietMs || Date.now() > deadline) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe(`hardening: seeded fuzz of ${COUNT} interactions (seed ${SEED})`, () => {
  let h: Harness;
  let other: LocalUser;
  const random = prng(SEED);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  /** The weekly prompt's configured ping role over time (null: none), as /prompt setup stored it. */
  const pingRoleHistory: { at: number; role: string | null }[] = [{ at: 0, role: null }];

  beforeAll(async () => {
    console.log(`hardening fuzz seed: ${SEED} (replay with HARDENING_SEED=${SEED})`);
    h = await startHarness({ env: { REFLECTIONS_KEY: KEY, LOG_LEVEL: 'info' } });
    const ids = h.discord.ids;
    // Another member, whose reflections, messages and buttons the first member can reach for.
    other = { id: h.discord.server.newId(), username: 'tove', global_name: 'Tove (other member)', discriminator: '0', avatar: null, public_flags: 0 };
    h.discord.server.users.set(other.id, other);
    h.discord.server.members.set(other.id, { user: other, roles: [ids.roles.readers], nick: null, joined_at: new Date().toISOString(), deaf: false, mute: false, flags: 0, pending: false, avatar: null, premium_since: null, communication_disabled_until: null });
    // Record every ping role /prompt setup stores (the fuzz runs setup too), for the mention check.
    const prompts = h.ctx.prompts;
    const setup = prompts.setup.bind(prompts);
    prompts.setup = (...args: Parameters<typeof setup>) => {
      const result = setup(...args);
      pingRoleHistory.push({ at: Date.now(), role: result.schedule.pingRoleId });
      return result;
    };
    // A mod-log channel, and week 1 posted by hand (its Reflect button and its thread), pinging Readers.
    h.ctx.settings.update(ids.guild, { modLogChannelId: ids.modLogChannel }, new Date());
    const configured = await h.discord.interact.chatInput({
      name: 'prompt',
      subcommand: 'setup',
      options: { channel: ids.channel, weekday: 'sunday', time: '19:00', timezone: 'Europe/London', 'ping-role': ids.roles.readers },
      as: 'moderator',
    });
    await configured.settled();
    const posted = await h.discord.interact.chatInput({ name: 'prompt', subcommand: 'post-now', as: 'moderator' });
    await posted.settled();
    const week = h.ctx.weeks.current(ids.guild);
    if (!week?.threadId) throw new Error(`the fuzz needs week 1 posted with a thread: ${h.discord.render(await posted.reply())}`);
  });
  afterAll(async () => {
    await h?.stop();
  });

  /** One code point from each of the 17 planes (unassigned ones too), none a surrogate. */
  function everyPlane(): string {
    return Array.from({ length: 17 }, (_, plane) => {
      const low = Math.floor(random() * 0x10000);
      const cp = plane * 0x10000 + (plane === 0 && low >= 0xd800 && low <= 0xdfff ? low - 0x800 : low);
      return String.fromCodePoint(cp);
    }).join('');
  }

  function hostile(): string {
    const ids = h.discord.ids;
    const pieces = [
      '',
      ' ',
      'x'.repeat(6_000),
      'ü'.repeat(2_500),
      String.fromCodePoint(0x41, 0x3b1, 0x4e2d, 0x1f600, 0x20000, 0x30000, 0x40000, 0x50000, 0x60000, 0x70000, 0x80000, 0x90000, 0xa0000, 0xb0000, 0xc0000, 0xd0000, 0xe0001, 0xf0000, 0x10fffd),
      everyPlane(),
      '\ud800 lone surrogate \udfff',
      '\udbff\udbff\udc00\udc00',
      '\u200b\u200c\u200d\u2060\ufeff',
      '\u202eevil\u202c \u0000\u0001\u0007\u001b[31m\u007f\r\n\t',
      '**bold** __under__ ~~strike~~ ||spoiler|| `code` ```js\nalert(1)\n``` > quote\n# heading [link](https://evil.example)',
      '@everyone',
      '@here',
      `<@&${ids.roles.moderator}>`,
      `<@&${ids.roles.readers}>`,
      `<@&${ids.roles.everyone}>`,
      `<@${ids.owner}>`,
      `<@!${ids.moderator}>`,
      `<@${other.id}>`,
      `<#${ids.modLogChannel}>`,
      ids.owner,
      ids.moderator,
      other.id,
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

  /** Week threads, oldest first. */
  function threads(): string[] {
    return [...h.discord.server.channels.values()].filter((c) => c.type === 11).map((c) => c.id).sort();
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
        return pick([ids.member, ids.moderator, ids.owner, ids.bot, other.id]);
      case OPTION.ROLE:
      case OPTION.MENTIONABLE:
        return pick(Object.values(ids.roles));
      case OPTION.CHANNEL:
        return pick([ids.channel, ids.modLogChannel, threads()[0]!]);
      default:
        return hostile();
    }
  }

  function leafOptions(defined: Json[], action: { attachments?: Record<string, { name: string; content: string }> }): Options {
    const values: Options = {};
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

  function registered(type: number): Json[] {
    const all: Json[] = [];
    for (const map of h.discord.server.commands.values()) all.push(...map.values());
    return all.filter((c) => ((c.type as number | undefined) ?? 1) === type);
  }

  function randomCommand(): { command: Json; subcommand?: string; defined: Json[] } {
    const command = pick(registered(1));
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
  const handles: InteractionHandle[] = [];
  let scanned = 0;
  const replyButtons: { message: string; component: string }[] = [];

  /**
   * Waits for the bot to go quiet, then takes in what the interactions answered since the last call (their
   * modals and reply buttons, in the order they were sent): every choice among what the bot showed follows it.
   */
  async function settle(): Promise<void> {
    await quiet(h, 15, 5_000);
    for (; scanned < handles.length; scanned++) {
      const handle = handles[scanned]!;
      if (handle.modal && modals.length < 20) modals.push(handle.modal);
      for (const m of handle.messages()) {
        for (const c of InteractionDriver.interactiveComponents(m)) {
          if (c.type === 2 && typeof c.custom_id === 'string' && c.disabled !== true && replyButtons.length < 200) replyButtons.push({ message: m.id, component: c.custom_id });
        }
      }
    }
  }

  /**
   * What the bot posted in the server and can still be seen: channel, thread and mod-log messages, oldest
   * first (its DMs carry no buttons, and the local Discord sends no interactions from a DM).
   */
  function botPosts(): LocalMessage[] {
    return [...h.discord.server.channels.keys()]
      .flatMap((id) => h.discord.server.channelMessages(id))
      .filter((m) => m.author.id === h.discord.ids.bot)
      .sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
  }

  /**
   * A button on a bot post: its kind first, then which, so the rare ones are pressed too; the kinds that make
   * the bot post again (Reflect on the weekly post, Report in a thread, Hide in the mod-log) twice as often.
   */
  function postButton(): { message: string; component: string } | undefined {
    const byKind = new Map<string, { message: string; component: string }[]>();
    for (const m of botPosts()) {
      for (const c of InteractionDriver.interactiveComponents(m)) {
        if (c.type !== 2 || typeof c.custom_id !== 'string' || c.disabled === true) continue;
        const kind = c.custom_id.split(':')[0]!;
        byKind.set(kind, [...(byKind.get(kind) ?? []), { message: m.id, component: c.custom_id }]);
      }
    }
    const kinds = [...byKind.keys()].sort().flatMap((kind) => (/^(reflect-week|reflection-report|reflection-hide)$/.test(kind) ? [kind, kind] : [kind]));
    return kinds.length > 0 ? pick(byKind.get(pick(kinds))!) : undefined;
  }

  async function nextAction(): Promise<Action> {
    const ids = h.discord.ids;
    const as = pick(['member', 'member', other.id, 'moderator', 'owner']);
    const roll = random();
    if (roll < 0.07) {
      await settle();
      if (modals.length > 0) return { kind: 'modal', modal: Math.floor(random() * modals.length), values: [hostile(), hostile()], as };
    } else if (roll < 0.13) {
      await settle();
      if (replyButtons.length > 0) return { kind: 'button', where: 'reply', ...pick(replyButtons), then: [hostile()], as };
    } else if (roll < 0.23) {
      await settle();
      const button = postButton();
      if (button) return { kind: 'button', where: 'post', ...button, then: [hostile()], as };
    } else if (roll < 0.29) {
      await settle();
      const target = pick(['own', 'own', 'other', 'empty', 'bot'] as const);
      const channel = pick([ids.channel, ids.modLogChannel, ...threads()]);
      const content = target === 'empty' ? pick(['', '', ' ', '\u200b']) : hostile().slice(0, 4_000);
      const author = target === 'other' ? pick(['member', other.id, 'moderator', 'owner'].filter((a) => a !== as)) : as;
      const posts = botPosts();
      if (target === 'bot' && posts.length > 0) return { kind: 'context', target, message: pick(posts).id, as };
      return { kind: 'context', target: target === 'bot' ? 'own' : target, write: { author, channel, content }, as };
    } else if (roll < 0.34) {
      return { kind: 'share', visibility: pick(['shared', 'anonymous'] as const), week: pick([undefined, 1, 1, threads().length, 520]), text: hostile(), as };
    }
    const { command, subcommand, defined } = randomCommand();
    const auto = defined.filter((o) => o.autocomplete === true);
    if (roll < 0.5 && auto.length > 0) {
      const focused = pick(auto);
      const action = { kind: 'autocomplete' as const, name: String(command.name), subcommand, focused: String(focused.name), value: hostile().slice(0, 100), options: {}, as };
      action.options = leafOptions(defined.filter((o) => o !== focused && o.type !== OPTION.ATTACHMENT), {});
      return action;
    }
    const action: Action = { kind: 'command', name: String(command.name), subcommand, options: {}, as };
    action.options = leafOptions(defined, action);
    return action;
  }

  /** Sends the action's interactions (one, or two when a modal it opens is submitted at once). */
  async function perform(action: Action): Promise<InteractionHandle[]> {
    const timeoutMs = DEADLINE_MS + 2_000;
    const interact = h.discord.interact;
    switch (action.kind) {
      case 'command':
        return [await interact.chatInput({ name: action.name, subcommand: action.subcommand, options: action.options, attachments: action.attachments, as: action.as, timeoutMs })];
      case 'autocomplete':
        return [await interact.autocomplete({ name: action.name, subcommand: action.subcommand, focused: action.focused, value: action.value, options: action.options, as: action.as, timeoutMs })];
      case 'modal':
        return [await interact.modalSubmit({ modal: modals[action.modal]!, values: action.values, as: action.as, timeoutMs })];
      case 'button': {
        const pressed = await interact.button({ message: action.message, component: action.component, as: action.as, timeoutMs });
        if (!pressed.modal) return [pressed];
        return [pressed, await interact.modalSubmit({ modal: pressed, values: action.then, as: action.as, timeoutMs })];
      }
      case 'context': {
        const message = action.write ? h.discord.postAs(action.write.author, action.write.content, action.write.channel) : action.message!;
        return [await interact.messageContext({ name: SAVE_AS_REFLECTION, message, as: action.as, timeoutMs })];
      }
      case 'share': {
        const options: Options = { visibility: action.visibility, ...(action.week !== undefined ? { week: action.week } : {}) };
        const opened = await interact.chatInput({ name: 'reflect', options, as: action.as, timeoutMs });
        if (!opened.modal) return [opened];
        return [opened, await interact.modalSubmit({ modal: opened, values: [action.text], as: action.as, timeoutMs })];
      }
    }
  }

  /** The ping roles the weekly post sent at `request.at` may allow: the one configured then, or replaced in the 10 s before. */
  function promptPingRoles(request: RecordedRequest): string[] {
    const inEffect = pingRoleHistory.filter((e) => e.at <= request.at - 10_000).at(-1)?.role ?? null;
    const since = pingRoleHistory.filter((e) => e.at > request.at - 10_000 && e.at <= request.at).map((e) => e.role);
    return [inEffect, ...since].filter((r): r is string => r !== null);
  }

  function describeLog(line: Record<string, unknown>): string {
    const err = line.err as { type?: string; message?: string; stack?: string } | undefined;
    const fields = Object.fromEntries(Object.entries(line).filter(([k]) => !['level', 'time', 'pid', 'hostname', 'msg', 'err'].includes(k)));
    return `level ${String(line.level)} "${String(line.msg)}" ${JSON.stringify(fields).slice(0, 300)}${err ? ` err: ${err.type ?? ''} ${err.message ?? ''} ${(err.stack ?? '').split('\n').slice(1, 3).join(' ').trim()}` : ''}`;
  }

  it('answers every interaction within the 3-second rule, never crashes or logs an error, never rejects a promise unhandled, never pings', async () => {
    const failures: string[] = [];
    const sent: Record<string, number> = {};
    const started = performance.now();
    let interactions = 0;
    for (let i = 0; interactions < COUNT; i++) {
      // A fuzzed /settings may have moved or cleared the mod-log: point it back now and then, so reports keep reaching one.
      if (i % 100 === 99) h.ctx.settings.update(h.discord.ids.guild, { modLogChannelId: h.discord.ids.modLogChannel }, new Date());
      const action = await nextAction();
      const label = action.kind === 'button' ? `button on ${action.where} ${action.component.split(':')[0]}` : action.kind === 'context' ? `context on ${action.target}` : action.kind;
      sent[label] = (sent[label] ?? 0) + 1;
      let done: InteractionHandle[];
      try {
        done = await perform(action);
      } catch (error) {
        interactions += 1;
        const message = error instanceof Error ? error.message : String(error);
        // The driver refuses a few impossible payloads before sending (a button since disabled, a message since deleted).
        if (/is disabled|has no component|no message/.test(message)) continue;
        failures.push(`#${i} ${JSON.stringify(action).slice(0, 300)}: ${message}`);
        continue;
      }
      interactions += done.length;
      for (const handle of done) {
        handles.push(handle);
        const elapsed = handle.callback.at - handle.record.createdAt;
        if (elapsed > DEADLINE_MS) failures.push(`#${i} ${label} ${'name' in action ? action.name : ''}: first response after ${elapsed} ms`);
      }
    }
    console.log(`fuzz: ${handles.length} answered, ${failures.length} failures, in ${Math.round(performance.now() - started)} ms; actions: ${JSON.stringify(sent)}`);
    // Let deferred replies, follow-ups and thread posts finish before judging what was sent.
    await quiet(h, 300, 20_000);
    const thinking = handles.filter((x) => x.callback.type === 5 && x.messages().length > 0 && x.messages().every((m) => (m.flags & 128) !== 0));
    for (const x of thinking) {
      await x.reply({ timeoutMs: 10_000 }).catch(() => failures.push(`interaction ${x.id} (${x.record.type}) was deferred and never answered: ${JSON.stringify(x.record.payload.data).slice(0, 300)}; logs: ${h.logs().filter((l) => JSON.stringify(l).includes(x.id)).map((l) => JSON.stringify(l).slice(0, 600)).join(' | ')}`));
    }

    // What the bot wrote where: the fuzz reached channels, threads, the mod-log and DMs, not only interaction replies.
    const ids = h.discord.ids;
    const threadIds = new Set(threads());
    const dmIds = new Set(['member', 'moderator', 'owner', other.id].flatMap((a) => h.discord.server.dms.withRecipient(h.discord.interact.userId(a))?.id ?? []));
    const writes = h.discord.messageWrites();
    const channelOf = (r: RecordedRequest) => /^\/channels\/([^/]+)\/messages/.exec(r.path)?.[1];
    const reached = {
      weeklyPosts: writes.filter(isWeeklyPromptPost).length,
      threadPosts: writes.filter((r) => r.method === 'POST' && threadIds.has(channelOf(r) ?? '')).length,
      // Reports with their Hide button: in #mod-log, or wherever a fuzzed /settings moved the mod-log.
      reports: writes.filter((r) => r.method === 'POST' && channelOf(r) !== undefined && JSON.stringify(r.body).includes('"custom_id":"reflection-hide:')).length,
      modLogPosts: writes.filter((r) => r.method === 'POST' && channelOf(r) === ids.modLogChannel).length,
      dms: writes.filter((r) => r.method === 'POST' && dmIds.has(channelOf(r) ?? '')).length,
      followUps: writes.filter((r) => r.method === 'POST' && r.route.startsWith('/webhooks/')).length,
      webhookEdits: writes.filter((r) => r.method === 'PATCH' && r.route.startsWith('/webhooks/')).length,
    };
    console.log(`fuzz reached: ${JSON.stringify(reached)}`);
    expect(Object.entries(reached).filter(([, n]) => n === 0).map(([where]) => where), `seed ${SEED}: the fuzz never made the bot write there`).toEqual([]);
    expect(handles.length).toBeGreaterThan(COUNT * 0.9);

    const rejected = [...h.discord.server.interactions.values()].filter((r) => r.rejected.length > 0).map((r) => ({ id: r.id, rejected: r.rejected }));
    // Nothing crashed, was cut off or failed: no uncaught error and no log line at error (50) or fatal (60).
    const errorLogs = h.logs().filter((l) => typeof l.level === 'number' && l.level >= 50).map(describeLog);
    expect(
      {
        failures: failures.slice(0, 10),
        errorLogs: errorLogs.slice(0, 10),
        rejected,
        unhandledRejections: h.unhandledRejections.map(String),
        pings: mentionViolations(h.discord.requests, { promptPingRoles }).slice(0, 10),
      },
      `seed ${SEED} (replay with HARDENING_SEED=${SEED}): ${failures.length} failures, ${errorLogs.length} error log lines`,
    ).toEqual({ failures: [], errorLogs: [], rejected: [], unhandledRejections: [], pings: [] });
    // Still serving after all of it.
    const help = await h.discord.interact.chatInput({ name: 'help' });
    expect(h.discord.render(await help.reply())).toContain('/');
  }, 150_000 * SCALE);
});
