import { describe, expect, it } from 'vitest';
import { answerFromReply, composeText, TITLES } from '../../src/ai/answer.js';
import { datasetAnswer } from '../../src/ai/fallback.js';
import type { ClaudeReply } from '../../src/ai/claude.js';
import { blockText, buildDocument, citedRecordIds, describeSource } from '../../src/ai/document.js';
import { CARE_MARKER, looksPersonal, MESSAGES } from '../../src/ai/prompt.js';
import { createEditThrottle } from '../../src/ai/throttle.js';
import { bookOf, RECORDS } from '../helpers/ask-records.js';

const reply = (spans: ClaudeReply['spans'], stopReason: string | null = 'end_turn'): ClaudeReply => ({
  spans,
  stopReason,
  usage: { input: 10, output: 5, cacheCreation: 0, cacheRead: 0 },
});
const opts = { supportNote: 'Talk to Sam, our host.', personal: false, final: true };

describe('the book document', () => {
  it('has one content block per record, in order, with citations on, and maps block indices back to record ids', () => {
    const document = buildDocument(RECORDS);
    expect(document.block.citations).toEqual({ enabled: true });
    expect(document.block.source).toMatchObject({ type: 'content' });
    const content = (document.block.source as { content: { type: string; text: string }[] }).content;
    expect(content).toHaveLength(RECORDS.length);
    expect(content.every((block) => block.type === 'text')).toBe(true);
    expect(content[1]?.text).toBe(blockText(RECORDS[1]!));
    expect(document.recordIds).toEqual(RECORDS.map((record) => record.id));
    expect(citedRecordIds(document, 1, 3)).toEqual(['chapter-5', 'chapter-13']);
    expect(citedRecordIds(document, 4, 99)).toEqual(['doris-brothers']);
    expect(document.block.cache_control).toBeUndefined();
    expect(buildDocument(RECORDS, { cache: true }).block.cache_control).toEqual({ type: 'ephemeral' });
  });

  it('names a source by its label and page, without repeating a page the label already gives', () => {
    expect(describeSource(RECORDS[1]!)).toBe('Chapter 5 (Matthias Wenke), Part II, p. 35');
    expect(describeSource(RECORDS[2]!)).toBe('Chapter 13 (Nancy Eichhorn), Part V');
    expect(describeSource({ ...RECORDS[3]!, label: 'p. 97: the introduction to Part IV' })).toBe('p. 97: the introduction to Part IV');
  });
});

describe('answers from Claude', () => {
  const document = buildDocument(RECORDS);

  it('numbers each cited record once, in order of first use, and lists one source line per note', () => {
    const answer = answerFromReply(
      reply([
        { text: 'Two chapters come close. ', citations: [] },
        { text: 'Wenke writes about a collusive enactment', citations: [{ start: 1, end: 2 }] },
        { text: ' and Eichhorn about accountability', citations: [{ start: 2, end: 3 }, { start: 1, end: 2 }] },
        { text: '; Part IV turns to shame.', citations: [{ start: 3, end: 4 }] },
      ]),
      document,
      opts,
    );
    expect(answer.body).toBe('Two chapters come close. Wenke writes about a collusive enactment[1] and Eichhorn about accountability[2][1]; Part IV turns to shame.[3]');
    expect(answer.notes).toEqual(['[1] Chapter 5 (Matthias Wenke), Part II, p. 35', '[2] Chapter 13 (Nancy Eichhorn), Part V', '[3] Part IV: Affects on the Edge, p. 97']);
    expect(answer.sourceIds).toEqual(['chapter-5', 'chapter-13', 'part-4']);
    expect(answer).toMatchObject({ by: 'claude', outcome: 'answered', title: TITLES.claude, remarks: [] });
  });

  it('drops number markers Claude wrote itself, lists and ranges too, so every [n] shown is one the bot checked', () => {
    const answer = answerFromReply(
      reply([
        { text: 'Wenke writes about enactment [1, 3], Eichhorn about accountability [2–4] and [5-6]; see also [7] and [ 8 ].', citations: [] },
        { text: ' Part IV turns to shame.', citations: [{ start: 3, end: 4 }] },
      ]),
      document,
      opts,
    );
    expect(answer.body).toBe('Wenke writes about enactment, Eichhorn about accountability and; see also and. Part IV turns to shame.[1]');
    expect(answer.body.match(/\[[^\]]*\d[^\]]*\]/g)).toEqual(['[1]']);
  });

  it('labels an answer with no citation as not found in the book data', () => {
    const answer = answerFromReply(reply([{ text: 'The book data does not cover this.', citations: [] }]), document, opts);
    expect(answer.outcome).toBe('not-found');
    expect(answer.title).toBe(TITLES.notFound);
    expect(answer.remarks).toContain(MESSAGES.notFound);
    expect(answer.notes).toEqual([]);
  });

  it('adds a truncation note on max_tokens, and shows only the fixed gentle message on a refusal', () => {
    const cut = answerFromReply(reply([{ text: 'Wenke writes', citations: [{ start: 1, end: 2 }] }], 'max_tokens'), document, opts);
    expect(cut.outcome).toBe('truncated');
    expect(cut.remarks).toContain(MESSAGES.truncated);
    const refused = answerFromReply(reply([{ text: 'Half a sent', citations: [] }], 'refusal'), document, opts);
    expect(refused).toMatchObject({ outcome: 'refusal', body: MESSAGES.refusal, notes: [], title: TITLES.refusal });
  });

  it('answers a question about the member’s own distress kindly, with the server’s support note and no “not found” label', () => {
    const answer = answerFromReply(reply([{ text: `${CARE_MARKER}\nThat sounds hard. I’m a reading companion, not a therapist.`, citations: [] }]), document, opts);
    expect(answer.title).toBe(TITLES.care);
    expect(answer.body.startsWith(CARE_MARKER)).toBe(false);
    expect(answer.remarks).toEqual(['**Support:** Talk to Sam, our host.']);
    expect(answer.outcome).toBe('answered');
  });

  it('fits any answer in the room given, keeping the notes whole and cutting the body with a visible …', () => {
    const long = answerFromReply(reply([{ text: 'word '.repeat(2000), citations: [{ start: 1, end: 2 }] }]), document, opts);
    const text = composeText(long, 1000);
    expect(text.length).toBeLessThanOrEqual(1000);
    expect(text).toContain('…');
    expect(text.endsWith('[1] Chapter 5 (Matthias Wenke), Part II, p. 35')).toBe(true);
  });

  it('counts the room in UTF-16 code units, so an answer of emoji still fits with its notes whole', () => {
    const emoji = answerFromReply(reply([{ text: '😀🌧️'.repeat(1000), citations: [{ start: 1, end: 2 }] }]), document, opts);
    const text = composeText(emoji, 1000);
    expect(text.length).toBeLessThanOrEqual(1000);
    expect(text).not.toMatch(/\p{Cs}/u);
    expect(text.endsWith('[1] Chapter 5 (Matthias Wenke), Part II, p. 35')).toBe(true);
  });
});

describe('the dataset’s own answer', () => {
  it('lists the closest records, each line with its source, labelled as the dataset’s answer', () => {
    const answer = datasetAnswer(bookOf(), 'Who writes about litigation and accountability?', { reason: 'no-key', supportNote: null, personal: false });
    expect(answer.by).toBe('dataset');
    expect(answer.title).toBe(TITLES.dataset);
    expect(answer.remarks).toContain(MESSAGES.datasetLabel);
    expect(answer.body.split('\n')[0]).toBe('• Nancy Eichhorn writes about a culture of **accountability** and fears of **litigation**. (Chapter 13 (Nancy Eichhorn), Part V)');
    expect(answer.sourceIds[0]).toBe('chapter-13');
  });

  it('says when nothing matches, and adds the server’s support note (or a default one)', () => {
    const withNote = datasetAnswer(bookOf(), 'xyzzy plugh', { reason: 'no-key', supportNote: 'Ask a host in #support.', personal: false });
    expect(withNote).toMatchObject({ title: TITLES.datasetEmpty, body: MESSAGES.nothingMatches, sourceIds: [] });
    expect(withNote.remarks).toContain('**Support:** Ask a host in #support.');
    const without = datasetAnswer(bookOf(), 'xyzzy plugh', { reason: 'no-key', supportNote: null, personal: false });
    expect(without.remarks).toContain(`**Support:** ${MESSAGES.defaultSupport}`);
  });

  it('says why Claude did not answer', () => {
    const answer = datasetAnswer(bookOf(), 'accountability', { reason: 'timeout', supportNote: null, personal: false });
    expect(answer.remarks[0]).toMatch(/took too long/);
    expect(answer.outcome).toBe('timeout');
  });
});

describe('personal questions', () => {
  it.each([
    ['I feel so ashamed after my session today', true],
    ['My therapist hurt me, what should I do?', true],
    ['I am struggling a lot lately', true],
    ['I made a terrible mistake with a client and I cannot stop thinking about it. Is it normal?', true],
    ['I think I failed my client last week', true],
    ['I’m such a failure as a therapist', true],
    ['Which chapters are about mistakes therapists make?', false],
    ['Does the book say how to stop thinking about a failed therapy?', false],
    ['I can’t stop thinking about chapter 5, what does Wenke mean by collusive enactment?', false],
    ['Where in the book does the author write “I made a terrible mistake” about her client?', false],
    ['I cannot stop going over the Part II theme, how does it connect to chapter 9?', false],
    ['I can’t stop thinking about what I did in that session', true],
    ['Which chapters deal with shame?', false],
    ['Who writes about culture?', false],
  ])('%s → %s', (question, personal) => {
    expect(looksPersonal(question)).toBe(personal);
  });
});

describe('the edit throttle', () => {
  it('sends at most one edit per interval, never two at once, and always the final version', async () => {
    let now = 0;
    const sent: string[] = [];
    let release: (() => void) | undefined;
    const throttle = createEditThrottle(
      (value: string) => {
        sent.push(value);
        return new Promise<void>((resolve) => {
          release = resolve;
        });
      },
      { intervalMs: 1500, now: () => now },
    );
    throttle.push('a');
    throttle.push('ab'); // in flight and too soon
    now = 2000;
    throttle.push('abc'); // still in flight
    release?.();
    await Promise.resolve();
    await Promise.resolve();
    throttle.push('abcd'); // 2000 ms after the first: sent
    now = 2500;
    throttle.push('abcde'); // too soon
    const finished = throttle.finish('final');
    release?.();
    await new Promise((resolve) => setImmediate(resolve));
    release?.();
    await finished;
    expect(sent).toEqual(['a', 'abcd', 'final']);
    expect(throttle.sent).toBe(3);
  });

  it('keeps going when an intermediate edit fails, and reports the error', async () => {
    const errors: unknown[] = [];
    const sent: string[] = [];
    const throttle = createEditThrottle(
      (value: string) => {
        sent.push(value);
        return value === 'a' ? Promise.reject(new Error('rate limited')) : Promise.resolve();
      },
      { intervalMs: 1, now: () => 0, onError: (error) => errors.push(error) },
    );
    throttle.push('a');
    await new Promise((resolve) => setImmediate(resolve));
    await throttle.finish('done');
    expect(sent).toEqual(['a', 'done']);
    expect(errors).toHaveLength(1);
  });
});
