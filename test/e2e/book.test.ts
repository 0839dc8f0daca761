import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BookDataError, formatProblems } from '../../src/book/service.js';
import type { InteractionHandle } from '../../src/local-discord/index.js';
import { EXPECTED_CHAPTERS, EXPECTED_PARTS, EXPECTED_PEOPLE } from '../helpers/book-expected.js';
import { startHarness, type Harness } from './harness.js';

/**
 * The book commands end to end: the real discord.js client against the local Discord, asserting on the
 * reply as a member would see it (rendered text), for every chapter, part and person of the dataset.
 */
const SOURCE = 'Source: 000_ca59435536f5b40c.txt';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.stop();
});

async function shown(handle: InteractionHandle): Promise<string> {
  await handle.reply();
  await handle.settled();
  return h.discord.render(handle);
}

const choiceValues = (handle: InteractionHandle) => (handle.choices ?? []).map((c) => String(c.value));
const choiceNames = (handle: InteractionHandle) => (handle.choices ?? []).map((c) => String(c.name));

describe('/chapter, for every chapter', () => {
  it.each(EXPECTED_CHAPTERS)('chapter $number: autocomplete on “$search”, then the picked and the typed value', async (expected) => {
    const id = `chapter-${expected.number}`;
    const complete = await h.discord.interact.autocomplete({ name: 'chapter', focused: 'chapter', value: expected.search });
    expect(choiceValues(complete)).toContain(id);
    for (const name of choiceNames(complete)) expect(name.length).toBeLessThanOrEqual(100);

    const byNumber = await h.discord.interact.autocomplete({ name: 'chapter', focused: 'chapter', value: String(expected.number) });
    expect(choiceValues(byNumber)[0]).toBe(id);

    const part = EXPECTED_PARTS[expected.part - 1]!;
    for (const value of [id, String(expected.number)]) {
      const reply = await h.discord.interact.chatInput({ name: 'chapter', options: { chapter: value } });
      expect(reply.ephemeral).toBe(false);
      const text = await shown(reply);
      expect(text).toContain(`== Chapter ${expected.number}: ${expected.contributors.join(' and ')} ==`);
      expect(text).toContain(expected.about);
      expect(text).toContain(`Number: ${expected.number} (inferred from the order in which the review presents the chapters)`);
      expect(text).toContain(`Part: Part ${part.roman}: ${part.names.join(' / ')}`);
      expect(text).toContain('Title: not in the dataset');
      if (expected.pages.length > 0) for (const page of expected.pages) expect(text).toContain(`Pages cited: ${page}`);
      else expect(text).toContain('The review cites no page for this chapter.');
      expect(text).toContain(`— ${SOURCE}`);
      for (const name of expected.contributors) expect(text).toContain(`] ${name}`);
      expect(text).toContain(`] Part ${part.roman}:`);
    }
  });
});

describe('/chapter and /part, refusing what is not one of their numbers', () => {
  // Surrogate halves without their partner: what a cut through the middle of an emoji leaves.
  const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

  it('/chapter chapter:-1 is not Chapter 1: the book has chapters 1–15', async () => {
    const reply = await h.discord.interact.chatInput({ name: 'chapter', options: { chapter: '-1' } });
    const text = await shown(reply);
    expect(reply.ephemeral).toBe(true);
    expect(text).not.toContain('== Chapter 1:');
    expect(text).toContain('I couldn’t find a chapter matching “-1” in the book dataset. Chapters are numbered 1–15');
  });

  it('/part name:-2 is not Part II', async () => {
    const text = await shown(await h.discord.interact.chatInput({ name: 'part', options: { name: '-2' } }));
    expect(text).not.toContain('== Part II:');
    expect(text).toContain('I couldn’t find a part matching “-2” in the book dataset. The book has 5 parts');
  });

  it('quotes a long input cut with “…”, never splitting an emoji in half', async () => {
    // 100 characters as Discord counts max_length: three letters and 97 emoji.
    const input = `zqx${'🙂'.repeat(97)}`;
    const text = await shown(await h.discord.interact.chatInput({ name: 'chapter', options: { chapter: input } }));
    expect(text).toContain('I couldn’t find a chapter matching “zqx🙂');
    expect(text).toContain('🙂…”');
    expect(LONE_SURROGATE.test(text)).toBe(false);
  });
});

describe('/part, for every part', () => {
  it.each(EXPECTED_PARTS)('part $roman: autocomplete on “$word”, then the picked and the typed value', async (expected) => {
    const id = `part-${expected.number}`;
    const complete = await h.discord.interact.autocomplete({ name: 'part', focused: 'name', value: expected.word.toUpperCase() });
    expect(choiceValues(complete)).toEqual([id]);
    for (const value of [id, expected.roman, expected.names[0]]) {
      const text = await shown(await h.discord.interact.chatInput({ name: 'part', options: { name: value } }));
      expect(text).toContain(`== Part ${expected.roman}: ${expected.names.join(' / ')} ==`);
      expect(text).toContain('Theme:');
      expect(text).toContain(`Chapters (${expected.chapters.length})`);
      for (const number of expected.chapters) {
        const chapter = EXPECTED_CHAPTERS[number - 1]!;
        expect(text).toContain(`**Chapter ${number}**, ${chapter.contributors.join(' and ')}:`);
      }
      expect(text).toContain(`— ${SOURCE}`);
    }
  });

  it('shows both names of Part I and says the source does not settle it', async () => {
    const text = await shown(await h.discord.interact.chatInput({ name: 'part', options: { name: '1' } }));
    expect(text).toContain('“Beyond Boundaries” in the review’s list of the five parts');
    expect(text).toContain('“Beyond Binaries” in the review’s paragraph describing the part’s chapters');
    expect(text).toContain('does not say which is right');
  });

  it('quotes the introduction of Affects on the Edge with its page', async () => {
    const text = await shown(await h.discord.interact.chatInput({ name: 'part', options: { name: 'affects' } }));
    expect(text).toContain('The part’s introduction (p. 97)');
    expect(text).toContain('too volcanic to experience');
  });
});

describe('/contributor, for every person', () => {
  it.each(EXPECTED_PEOPLE)('$name: autocomplete on “$search”, then the picked and the typed value', async (expected) => {
    const complete = await h.discord.interact.autocomplete({ name: 'contributor', focused: 'name', value: expected.search });
    const id = h.ctx.book.people().find((p) => p.name === expected.name)?.id ?? '';
    expect(choiceValues(complete)).toContain(id);
    for (const value of [id, expected.name.toUpperCase()]) {
      const text = await shown(await h.discord.interact.chatInput({ name: 'contributor', options: { name: value } }));
      expect(text).toContain(`== ${expected.name} ==`);
      const roles: readonly string[] = expected.roles;
      if (roles.includes('editor')) expect(text).toContain('Editor of the book');
      if (roles.includes('foreword')) expect(text).toContain('Wrote the foreword');
      if (roles.includes('reviewer')) expect(text).toContain('Wrote the review this dataset is built from');
      for (const number of expected.chapters) expect(text).toContain(`Chapter ${number} (`);
      if (expected.bio) expect(text).toContain(expected.bio);
      else expect(text).toContain('Biography: not in the dataset');
      expect(text).toContain(`— ${SOURCE}`);
    }
  });

  it('offers both Pizers, and answers a typed “pizer” with a private did-you-mean', async () => {
    const complete = await h.discord.interact.autocomplete({ name: 'contributor', focused: 'name', value: 'pizer' });
    expect(choiceNames(complete)).toEqual(['Stuart Pizer (contributor)', 'Barbara Pizer (contributor)']);
    const reply = await h.discord.interact.chatInput({ name: 'contributor', options: { name: 'pizer' } });
    expect(reply.ephemeral).toBe(true);
    const text = await shown(reply);
    expect(text).toContain('“pizer” matches more than one contributor. Did you mean:');
    expect(text).toContain('• Stuart Pizer');
    expect(text).toContain('• Barbara Pizer');
  });

  it('says kindly, and privately, when nobody matches', async () => {
    const reply = await h.discord.interact.chatInput({ name: 'contributor', options: { name: 'Freud' } });
    expect(reply.ephemeral).toBe(true);
    expect(await shown(reply)).toContain('I couldn’t find a contributor matching “Freud” in the book dataset.');
  });
});

describe('/book, /search and the buttons between records', () => {
  it('gives the overview with editors, foreword, structure, audiences, the guiding questions and the content note', async () => {
    const text = await shown(await h.discord.interact.chatInput({ name: 'book', options: {} }));
    expect(text).toContain('== When Hurt Remains: Relational Perspectives on Therapeutic Failure ==');
    expect(text).toContain('Editors: Asaf Rolef Ben-Shahar and Rachel Shalit');
    expect(text).toContain('Foreword: Andrew Samuels');
    expect(text).toContain('5 parts, 15 chapters, 15 contributors.');
    expect(text).toContain('Edited with 4 audiences in mind: • psychotherapists in training\n• clinicians\n• clients\n• intelligent lay readers');
    expect(text).toContain('> Can we fully recognize our failures without shaming ourselves and others?');
    expect(text).toContain('> Can we bear it while attending to our narcissistic wounds and rescue fantasy?');
    expect(text).toContain('what relational theory and practice can contribute to both our ability to understand and to work with therapeutic failure');
    expect(text).toContain('Content note: The reviewer offers a sincere warning');
    expect(text).toContain('Chapter numbers are inferred from the order in which the review presents the chapters');
    expect(text).toContain(`— ${SOURCE}`);
  });

  it('searches, each hit with what it is and its source', async () => {
    const text = await shown(await h.discord.interact.chatInput({ name: 'search', options: { query: 'who wrote the chapter on bullying' } }));
    expect(text).toContain('1. Chapter 9 (Offer Maurer), Part III** (chapter; source: 000_ca59435536f5b40c.txt)');
    expect(text).toContain('**bullying**');
  });

  it('answers a search with no hit privately, with a close spelling and what to try', async () => {
    const reply = await h.discord.interact.chatInput({ name: 'search', options: { query: 'Benjamen' } });
    expect(reply.ephemeral).toBe(true);
    const text = await shown(reply);
    expect(text).toContain('Nothing in the book dataset matches “Benjamen”.');
    expect(text).toContain('Did you mean: “benjamin”?');
  });

  it('leads from a chapter to its contributors and its part, and back', async () => {
    const chapter = await h.discord.interact.chatInput({ name: 'chapter', options: { chapter: 'dimen' } });
    const message = await chapter.reply();
    const rendered = await shown(chapter);
    expect(rendered).toContain('[1] Muriel Dimen');
    expect(rendered).toContain('[2] Asaf Rolef Ben-Shahar');
    expect(rendered).toContain('[3] Part IV: Affects on the Edge');
    expect(rendered).toContain('[4] The book: When Hurt Remains');

    const asaf = await h.discord.interact.button({ message, component: 2 });
    const person = await shown(asaf);
    expect(person).toContain('== Asaf Rolef Ben-Shahar ==');
    expect(person).toContain('Chapter 10 (Muriel Dimen and Asaf Rolef Ben-Shahar), Part IV** (co-authored with Muriel Dimen)');
    expect(person).toContain('Chapter 15 (Asaf Rolef Ben-Shahar), Part V');
    expect(person).toContain('p. 58: Asaf Rolef Ben-Shahar’s reflection');

    const part = await shown(await h.discord.interact.button({ message, component: 3 }));
    expect(part).toContain('== Part IV: Affects on the Edge ==');

    const back = await h.discord.interact.button({ message: await asaf.reply(), component: 'book-chapter:chapter-15' });
    expect(await shown(back)).toContain('== Chapter 15: Asaf Rolef Ben-Shahar ==');
  });

  it('mentions nobody in any reply', () => {
    const writes = h.discord.messageWrites();
    expect(writes.length).toBeGreaterThan(50);
    for (const write of writes) {
      const body = write.body as { data?: { allowed_mentions?: unknown }; allowed_mentions?: unknown };
      // Initial responses carry the message under `data`; edits and follow-ups carry it at the top.
      const allowed = body.data ? body.data.allowed_mentions : body.allowed_mentions;
      expect(allowed, `${write.method} ${write.path}`).toMatchObject({ parse: [] });
    }
  });
});

describe('an invalid dataset', () => {
  it('stops the bot before it connects, with the messages check-data prints', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'reading-circle-book-'));
    try {
      const path = join(dir, 'book.json');
      const data = JSON.parse(readFileSync('data/when-hurt-remains.json', 'utf8'));
      data.chapters[6].contributors = ['no-such-person'];
      writeFileSync(path, JSON.stringify(data));
      const identifies = h.discord.gateway.identifies.length;
      const error = await startHarness({ discord: h.discord, env: { BOOK_PATH: path } }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BookDataError);
      const problems = ['$.chapters[6].contributors[0]: unknown person "no-such-person" (no entry in $.people has this id)'];
      expect((error as BookDataError).problems).toEqual(problems);
      expect((error as BookDataError).message).toBe(formatProblems(path, problems));
      expect(h.discord.gateway.identifies.length).toBe(identifies);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
