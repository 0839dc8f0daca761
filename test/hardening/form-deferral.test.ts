import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../e2e/harness.js';
import { KEY } from './support.js';

/**
 * A form's text exists only in its submit. When Discord will not take the submit's acknowledgement (5xx on
 * every try, or 10062 because it arrived late), what the member wrote is still saved: the bot's answer fails,
 * but /reflections mine has the reflection.
 */
describe('hardening: a form whose acknowledgement Discord refuses', () => {
  let h: Harness;
  const reflections = () => h.ctx.db.prepare('SELECT COUNT(*) FROM reflections').pluck().get() as number;

  beforeAll(async () => {
    h = await startHarness({ env: { REFLECTIONS_KEY: KEY, DISCORD_REST_TIMEOUT_MS: '400' } });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('a 500 on every try of the deferral: the reflection is saved once', async () => {
    const before = reflections();
    const opened = await h.discord.interact.chatInput({ name: 'reflect' });
    const fault = h.discord.faults.add({ method: 'POST', path: '/interactions/:id/:token/callback', status: 500, times: Number.POSITIVE_INFINITY });
    try {
      const submitting = h.discord.interact.modalSubmit({ modal: opened, values: ['Four thousand characters I will not write again.'], timeoutMs: 3_000 }).catch((error: unknown) => error);
      await h.discord.waitFor(() => reflections() > before || undefined, { timeoutMs: 8_000, what: 'the reflection to be saved' });
      expect(fault.hits).toBeGreaterThanOrEqual(1);
      await submitting;
      await h.waitForLog((line) => line.msg === 'could not acknowledge a form; saving what it carries anyway');
      expect(reflections()).toBe(before + 1);
    } finally {
      fault.remove();
    }
  });

  it('the deferral refused with 10062 (the submit arrived late): the reflection is saved once', async () => {
    const before = reflections();
    const opened = await h.discord.interact.chatInput({ name: 'reflect' });
    h.discord.interactionDeadlineMs = 0;
    try {
      const error = await h.discord.interact.modalSubmit({ modal: opened, values: ['Written slowly, sent once.'], timeoutMs: 5_000 }).catch((e: unknown) => e);
      expect(String(error)).toContain('10062');
      await h.discord.waitFor(() => reflections() > before || undefined, { timeoutMs: 5_000, what: 'the reflection to be saved' });
      expect(reflections()).toBe(before + 1);
    } finally {
      h.discord.interactionDeadlineMs = 3_000;
    }
  });

  it('a 500 on every try of an edit form’s deferral: the edit is saved', async () => {
    const { reflection } = h.ctx.reflections.create({ guildId: h.discord.ids.guild, authorId: h.discord.ids.member, authorName: 'Member', text: 'First draft.', visibility: 'private', idempotencyKey: 'form-deferral-edit', source: 'modal' });
    const opened = await h.discord.interact.chatInput({ name: 'reflections', subcommand: 'edit', options: { id: String(reflection.id) } });
    expect(opened.modal).toBeDefined();
    const fault = h.discord.faults.add({ method: 'POST', path: '/interactions/:id/:token/callback', status: 500, times: Number.POSITIVE_INFINITY });
    const text = () => h.ctx.reflections.get(h.discord.ids.guild, h.discord.ids.member, reflection.id).text;
    try {
      const submitting = h.discord.interact.modalSubmit({ modal: opened, values: ['Second draft, rewritten at length.'], timeoutMs: 3_000 }).catch((error: unknown) => error);
      await h.discord.waitFor(() => text() !== 'First draft.' || undefined, { timeoutMs: 8_000, what: 'the edit to be saved' });
      await submitting;
      expect(text()).toBe('Second draft, rewritten at length.');
    } finally {
      fault.remove();
    }
  });

  it('a button whose deferral fails is not run: only forms carry words that would be lost', async () => {
    const { reflection } = h.ctx.reflections.create({ guildId: h.discord.ids.guild, authorId: h.discord.ids.member, authorName: 'Member', text: 'Stays private.', visibility: 'private', idempotencyKey: 'form-deferral-button', source: 'modal' });
    const show = await h.discord.interact.chatInput({ name: 'reflections', subcommand: 'show', options: { id: String(reflection.id) } });
    const shown = await show.reply();
    h.discord.interactionDeadlineMs = 0;
    try {
      await h.discord.interact.button({ message: shown, component: `reflection-vis:${reflection.id}:shared`, timeoutMs: 5_000 }).catch((e: unknown) => e);
      await h.waitForLog((line) => line.msg === 'interaction expired before it could be answered' && line.command === 'reflection-vis');
      expect(h.ctx.reflections.get(h.discord.ids.guild, h.discord.ids.member, reflection.id).visibility).toBe('private');
    } finally {
      h.discord.interactionDeadlineMs = 3_000;
    }
  });
});
