import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/clock.js';
import { startHarness, type Harness } from './harness.js';

/**
 * When a server's data starts its retention clock, end to end: the real bot and discord.js client against the
 * local Discord, restarted on the same database. Discord delivers slash-command interactions wherever the app
 * is installed, also where its bot user is not a member (the `applications.commands` scope alone, or the bot
 * user kicked while the integration stays): such a server is in use, and its members' reflections must not be
 * erased because a restart's READY does not list it. A server the bot user was in and is no longer in (removed
 * while the bot was offline) still gets its clock.
 */

const DAY = 86_400_000;

describe('which servers a restart counts as having removed the bot', () => {
  const clock = fixedClock('2026-04-01T09:00:00.000Z');
  let h: Harness | undefined;

  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  async function start(botInGuild: boolean): Promise<Harness> {
    clock.set('2026-04-01T09:00:00.000Z');
    h = await startHarness({ clock, discordOptions: { botInGuild }, env: { REFLECTIONS_KEY: randomBytes(32).toString('hex') } });
    await h.bot.ready;
    return h;
  }

  async function reflect(harness: Harness, text: string): Promise<number> {
    const opened = await harness.discord.interact.chatInput({ name: 'reflect', as: 'member' });
    const submitted = await harness.discord.interact.modalSubmit({ modal: opened, values: [text], as: 'member' });
    const id = Number(/#(\d+)/.exec((await submitted.reply()).content)?.[1]);
    expect(id).toBeGreaterThan(0);
    return id;
  }

  async function restart(harness: Harness): Promise<void> {
    await harness.restart();
    await harness.bot.ready;
  }

  const removedAt = (harness: Harness) =>
    harness.ctx.db.prepare('SELECT removed_at FROM guild_presence WHERE guild_id = ? AND removed_at IS NOT NULL').pluck().get(harness.discord.ids.guild) as string | undefined;
  const reflectionCount = (harness: Harness) => harness.ctx.db.prepare('SELECT COUNT(*) FROM reflections WHERE guild_id = ?').pluck().get(harness.discord.ids.guild) as number;
  const erasedByRetention = (harness: Harness) => harness.logs().filter((line) => line.msg === 'retention: erased the data of a server the bot left');

  it('reflections saved in a server the bot user was never in (commands only) survive restarts, with no retention clock started', async () => {
    const harness = await start(false);
    expect(harness.bot.client.guilds.cache.has(harness.discord.ids.guild)).toBe(false);
    await reflect(harness, 'Written where only the commands are installed.');
    expect(reflectionCount(harness)).toBe(1);

    await restart(harness);
    expect(removedAt(harness)).toBeUndefined();

    clock.advance(31 * DAY);
    await restart(harness);
    expect(removedAt(harness)).toBeUndefined();
    expect(erasedByRetention(harness)).toEqual([]);
    expect(reflectionCount(harness)).toBe(1);
    const mine = await harness.discord.interact.chatInput({ name: 'reflections', subcommand: 'mine', as: 'member' });
    expect(harness.discord.render(await mine.reply())).toContain('Written where only the commands are installed.');
  });

  it('a server that removed the bot while it was offline still gets its clock at the next start, and its data is erased after the retention period', async () => {
    const harness = await start(true);
    await reflect(harness, 'Written while the bot was in the server.');
    await harness.bot.stop();
    harness.discord.setBotInGuild(false);

    await restart(harness);
    expect(removedAt(harness)).toBe(clock.now().toISOString());

    clock.advance(29 * DAY);
    await restart(harness);
    expect(reflectionCount(harness)).toBe(1);
    expect(removedAt(harness)).toBe('2026-04-01T09:00:00.000Z');

    clock.advance(2 * DAY);
    await restart(harness);
    expect(erasedByRetention(harness)).toHaveLength(1);
    expect(reflectionCount(harness)).toBe(0);
  });

  it('the bot user kicked while the app stays: its clock starts, the next interaction from the server cancels it, for good across restarts', async () => {
    const harness = await start(true);
    await reflect(harness, 'Written before the kick.');
    const removed = harness.waitForLog((line) => line.msg === 'removed from a server; its data will be erased after the retention period');
    harness.discord.setBotInGuild(false);
    await removed;
    expect(removedAt(harness)).toBe(clock.now().toISOString());

    // A member still uses the commands there: the app is installed, so the server is in use.
    const mine = await harness.discord.interact.chatInput({ name: 'reflections', subcommand: 'mine', as: 'member' });
    expect(harness.discord.render(await mine.reply())).toContain('Written before the kick.');
    expect(removedAt(harness)).toBeUndefined();

    await restart(harness);
    expect(removedAt(harness)).toBeUndefined();
    clock.advance(31 * DAY);
    await restart(harness);
    expect(erasedByRetention(harness)).toEqual([]);
    expect(reflectionCount(harness)).toBe(1);
  });

  it('a server whose clock a restart started keeps its data when a member then uses the bot there', async () => {
    const harness = await start(true);
    await reflect(harness, 'Written while the bot was in the server.');
    await harness.bot.stop();
    harness.discord.setBotInGuild(false);
    await restart(harness);
    expect(removedAt(harness)).toBeDefined();

    await reflect(harness, 'Written after the bot user was gone, the commands still there.');
    expect(removedAt(harness)).toBeUndefined();

    clock.advance(31 * DAY);
    await restart(harness);
    expect(removedAt(harness)).toBeUndefined();
    expect(erasedByRetention(harness)).toEqual([]);
    expect(reflectionCount(harness)).toBe(2);
  });

  it('a moderator who chooses the prompt or mod-log channel where the bot user is not in the server is told to invite the bot with the `bot` scope (the setting is still saved)', async () => {
    const harness = await start(false);
    const setup = await harness.discord.interact.chatInput({
      name: 'prompt',
      subcommand: 'setup',
      options: { channel: harness.discord.ids.channel, weekday: 'sunday', time: '19:00', timezone: 'Europe/London' },
      as: 'moderator',
    });
    const text = harness.discord.render(await setup.reply());
    expect(text).toContain('the `bot` scope');
    expect(text).toContain('weekly post cannot go out');
    expect(text).not.toContain('could not check my permissions');
    expect(harness.ctx.prompts.status(harness.discord.ids.guild)?.schedule.channelId).toBe(harness.discord.ids.channel);

    const modLog = await harness.discord.interact.chatInput({ name: 'settings', subcommand: 'mod-log-channel', options: { channel: harness.discord.ids.modLogChannel }, as: 'owner' });
    const modLogText = harness.discord.render(await modLog.reply());
    expect(modLogText).toContain('the `bot` scope');
    expect(modLogText).toContain('reports and problem notices will not arrive');
  });
});
