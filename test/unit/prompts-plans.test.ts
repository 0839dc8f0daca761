import { describe, expect, it } from 'vitest';
import { loadBookSync } from '../../src/book/service.js';
import { buildPlan } from '../../src/prompts/plans.js';
import { renderPromptMessage } from '../../src/discord/prompt-poster.js';
import { LIMITS } from '../../src/discord/render.js';

const book = loadBookSync('data/when-hurt-remains.json');
const guiding = book.questions('guiding').map((q) => q.text);
const contribution = book.questions('contribution').map((q) => q.text);

describe('reading plans built from the book', () => {
  it('by-part: an opening week, one week per part in order, and a closing week', () => {
    const plan = buildPlan(book, 'by-part');
    expect(plan.weeks).toHaveLength(book.parts().length + 2);
    expect(plan.weeks[0]!.title).toMatch(/^Opening/);
    expect(plan.weeks.at(-1)!.title).toMatch(/^Closing/);
    book.parts().forEach((part, i) => {
      expect(plan.weeks[i + 1]!.title).toBe(book.partLabel(part));
      for (const chapter of book.chaptersInPart(part.id)) {
        expect(plan.weeks[i + 1]!.reading.join('\n')).toContain(chapter.about);
      }
    });
  });

  it('by-chapter: an opening week, one week per chapter in order with its contributors, and a closing week', () => {
    const plan = buildPlan(book, 'by-chapter');
    expect(plan.weeks).toHaveLength(book.chapters().length + 2);
    book.chapters().forEach((chapter, i) => {
      const week = plan.weeks[i + 1]!;
      expect(week.week).toBe(i + 2);
      expect(week.prompt).toContain(book.contributorNames(chapter));
      expect(week.reading.join('\n')).toContain(chapter.about);
    });
  });

  for (const id of ['by-part', 'by-chapter'] as const) {
    it(`${id}: every prompt carries one of the book's questions word for word, the questions rotate, and no prompt repeats another`, () => {
      const plan = buildPlan(book, id);
      const prompts = plan.weeks.map((w) => w.prompt);
      expect(new Set(prompts).size).toBe(prompts.length);
      for (const week of plan.weeks) {
        expect([...guiding, ...contribution]).toContain(week.question);
        expect(week.prompt).toContain(week.question);
        expect(week.contentNote.length).toBeGreaterThan(20);
        expect(week.contentNote.length).toBeLessThan(300);
      }
      // Each guiding question meets more than one week's reading.
      for (const question of guiding) expect(plan.weeks.filter((w) => w.question === question).length).toBeGreaterThan(1);
      expect(plan.weeks[0]!.prompt).toContain(guiding[0]);
      expect(plan.weeks[0]!.prompt).toContain(guiding[1]);
      expect(plan.weeks[0]!.prompt).toContain(contribution[0]);
    });

    it(`${id}: quotations come from the dataset with their pages, and every weekly post fits Discord's limits`, () => {
      const plan = buildPlan(book, id);
      const texts = new Set(book.book.quotations.map((q) => q.text));
      for (const week of plan.weeks) {
        if (week.quotation) expect(texts.has(week.quotation.text)).toBe(true);
        const message = renderPromptMessage({
          guildId: '1',
          channelId: '2',
          week: week.week,
          totalWeeks: plan.weeks.length,
          planName: plan.name,
          title: week.title,
          prompt: week.prompt,
          reading: [...week.reading],
          quotation: week.quotation,
          contentNote: week.contentNote,
          lateNote: 'Posted late. Posting times missed: Sunday, 8 March 2026; Sunday, 15 March 2026.',
          pingRoleId: '300000000000000003',
          nonce: 'abcdefghijklmnopqrstuvwxy',
          threadName: `Week ${week.week}: ${week.title}`,
        });
        const embed = message.embeds[0]!;
        const total = (embed.title?.length ?? 0) + (embed.description?.length ?? 0) + (embed.footer?.text.length ?? 0) +
          (embed.fields ?? []).reduce((sum, f) => sum + f.name.length + f.value.length, 0);
        expect(total).toBeLessThanOrEqual(LIMITS.embedTotal);
        for (const field of embed.fields ?? []) expect(field.value.length).toBeLessThanOrEqual(LIMITS.fieldValue);
        expect(message.allowedMentions).toEqual({ parse: [], roles: ['300000000000000003'], repliedUser: false });
        expect(message.enforceNonce).toBe(true);
        expect(JSON.stringify(message.components[0]!.toJSON())).toContain(`"custom_id":"reflect-week:${week.week}"`);
        // The review numbers no part or chapter: the numbers in the post say they are inferred.
        expect(embed.footer?.text).toContain('part and chapter numbers follow the order in which the review presents them');
        if (week.quotation?.page?.includes('-')) expect(embed.description).toContain(`(pp. ${week.quotation.page})`);
      }
    });
  }

  it('words the editors’ questions as the review does: asked of potential contributors, and the book’s aim not as a question', () => {
    const plan = buildPlan(book, 'by-part');
    expect(plan.weeks[0]!.prompt).toContain('The editors asked themselves and potential contributors:');
    const closing = plan.weeks.at(-1)!.prompt;
    for (const question of guiding) expect(closing).toContain(`• “${question}”`);
    expect(closing).toContain(`and the book's aim, to examine ${contribution[0]}.`);
    expect(closing).not.toContain(`• what`);
  });

  it('a quotation on a page range is cited with pp., on a single page with p.', () => {
    const weeks = buildPlan(book, 'by-chapter').weeks;
    const render = (quotation: { text: string; page: string }) =>
      renderPromptMessage({ guildId: '1', channelId: '2', week: 1, totalWeeks: 1, planName: 'p', title: 't', prompt: 'q', reading: [], quotation, contentNote: '', lateNote: null, pingRoleId: null, nonce: 'n', threadName: 't' })
        .embeds[0]!.description;
    const range = weeks.map((w) => w.quotation).find((q) => q?.page?.includes('-'));
    const single = weeks.map((w) => w.quotation).find((q) => q?.page && !q.page.includes('-'));
    expect(render({ text: range!.text, page: range!.page! })).toContain(`(pp. ${range!.page})`);
    expect(render({ text: single!.text, page: single!.page! })).toContain(`(p. ${single!.page})`);
  });
});
