import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { Events, PermissionFlagsBits } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/clock.js';
import type { LocalChannel } from '../../src/local-discord/index.js';
import { startHarness, type Harness } from './harness.js';

/**
 * A moderator's choices of channel and role, end to end: the bot saves them and says plainly when Discord
 * will not let it do what the choice promises (post in a channel it cannot see, ping a role that allows no
 * mentions), and refuses a moderator role that moderators do not hand out.
 */
describe('settings and setup choices, end to end', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ clock: fixedClock('2026-05-01T09:00:00Z'), env: { REFLECTIONS_KEY: randomBytes(32).toString('hex') } });
  });
  afterAll(async () => {
    await h?.stop();
  });

  /** A channel that @everyone cannot see and the bot's role is not let into. */
  async function hiddenChannel(name: string): Promise<LocalChannel> {
    const created = once(h.bot.client, Events.ChannelCreate);
    const channel = h.discord.server.addChannel({ name, permission_overwrites: [{ id: h.discord.ids.guild, type: 0, allow: '0', deny: PermissionFlagsBits.ViewChannel.toString() }] });
    await created;
    return channel;
  }

  const shown = async (options: Parameters<Harness['discord']['interact']['chatInput']>[0]) => {
    const handle = await h.discord.interact.chatInput(options);
    const reply = await handle.reply();
    expect(handle.ephemeral).toBe(true);
    return h.discord.render(reply);
  };

  it('/settings mod-log-channel saves a channel the bot cannot post in, and says what is missing', async () => {
    const hidden = await hiddenChannel('secret-mods');
    const text = await shown({ name: 'settings', subcommand: 'mod-log-channel', options: { channel: hidden.id }, as: 'owner' });
    expect(h.ctx.settings.get(h.discord.ids.guild).modLogChannelId).toBe(hidden.id);
    expect(text).toContain(`I cannot post there yet: I am missing View Channel in <#${hidden.id}>`);
    expect(text).toContain('reports and problem notices will not arrive');

    // Seen but not usable: the bot's role may not embed there (reports and notices are embeds).
    const created = once(h.bot.client, Events.ChannelCreate);
    const noEmbeds = h.discord.server.addChannel({ name: 'plain-mods', permission_overwrites: [{ id: h.discord.ids.roles.bot, type: 0, allow: '0', deny: PermissionFlagsBits.EmbedLinks.toString() }] });
    await created;
    const partly = await shown({ name: 'settings', subcommand: 'mod-log-channel', options: { channel: noEmbeds.id }, as: 'owner' });
    expect(partly).toContain(`I am missing Embed Links in <#${noEmbeds.id}>`);

    const fine = await shown({ name: 'settings', subcommand: 'mod-log-channel', options: { channel: h.discord.ids.modLogChannel }, as: 'owner' });
    expect(fine).toContain(`Reports and problems will go to <#${h.discord.ids.modLogChannel}>.`);
    expect(fine).not.toContain('cannot post');
  });

  it('/settings moderator-role refuses a managed role (the bot’s own, the booster role) and keeps the one before', async () => {
    await shown({ name: 'settings', subcommand: 'moderator-role', options: { role: h.discord.ids.roles.moderator }, as: 'owner' });
    const text = await shown({ name: 'settings', subcommand: 'moderator-role', options: { role: h.discord.ids.roles.bot }, as: 'owner' });
    expect(text).toContain('is managed by an integration');
    expect(h.ctx.settings.get(h.discord.ids.guild).moderatorRoleId).toBe(h.discord.ids.roles.moderator);
  });

  it('honours the moderator role the interaction carries even when the server’s roles are not cached (Discord reports it unavailable)', async () => {
    h.ctx.settings.update(h.discord.ids.guild, { moderatorRoleId: h.discord.ids.roles.readers }, new Date());
    const roles = h.bot.client.guilds.cache.get(h.discord.ids.guild)!.roles.cache;
    const cached = [...roles.entries()];
    try {
      roles.clear();
      const text = await shown({ name: 'ask-settings', subcommand: 'usage', as: 'member' });
      expect(text).not.toContain('This is a moderator tool');
    } finally {
      for (const [id, role] of cached) roles.set(id, role);
      h.ctx.settings.update(h.discord.ids.guild, { moderatorRoleId: h.discord.ids.roles.moderator }, new Date());
    }
  });

  it('/prompt setup in a channel the bot cannot post in is saved with a warning naming the missing permissions', async () => {
    const hidden = await hiddenChannel('secret-prompts');
    const text = await shown({ name: 'prompt', subcommand: 'setup', options: { channel: hidden.id, weekday: 'monday', time: '19:30', timezone: 'Europe/London' }, as: 'owner' });
    expect(text).toContain('Weekly prompts are set up');
    expect(text).toContain(`every Monday at 19:30 (Europe/London)`);
    expect(text).toContain(`I am missing View Channel in <#${hidden.id}>`);
    expect(h.ctx.prompts.status(h.discord.ids.guild)?.schedule.channelId).toBe(hidden.id);
  });

  it('/prompt setup says when the ping-role allows no mentions (Discord would notify nobody), and not when it does', async () => {
    const setup = (role: string) => shown({ name: 'prompt', subcommand: 'setup', options: { channel: h.discord.ids.channel, weekday: 'monday', time: '19:30', timezone: 'Europe/London', 'ping-role': role }, as: 'owner' });
    // In the local world Moderators allows no mentions and Readers does.
    const silent = await setup(h.discord.ids.roles.moderator);
    expect(silent).toContain(`<@&${h.discord.ids.roles.moderator}> does not allow mentions, so Discord will not notify its members`);
    const pinged = await setup(h.discord.ids.roles.readers);
    expect(pinged).toContain(`pinging <@&${h.discord.ids.roles.readers}> and nobody else`);
    expect(pinged).not.toContain('⚠️');
    // Set up again without ping-role: the role is cleared, and the reply says so.
    const cleared = await shown({ name: 'prompt', subcommand: 'setup', options: { channel: h.discord.ids.channel, weekday: 'monday', time: '19:30', timezone: 'Europe/London' }, as: 'owner' });
    expect(cleared).toContain(`The weekly post no longer pings <@&${h.discord.ids.roles.readers}>`);
  });

  it('a post by hand while paused says prompts stay paused; resuming says which week goes out next, and when', async () => {
    await shown({ name: 'prompt', subcommand: 'pause', as: 'owner' });
    const posted = await shown({ name: 'prompt', subcommand: 'post-now', as: 'owner' });
    expect(posted).toContain('Week 1 is posted');
    expect(posted).toContain('Weekly prompts are still paused: this post by hand does not resume them');
    const resumed = await shown({ name: 'prompt', subcommand: 'resume', as: 'owner' });
    expect(resumed).toMatch(/Week 2 goes out next: Monday, \d+ \w+ 2026 at 19:30/);
  });
});
