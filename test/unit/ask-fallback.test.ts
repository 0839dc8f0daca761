import { describe, expect, it } from 'vitest';
import { TITLES } from '../../src/ai/answer.js';
import { contentWords, datasetAnswer, excerpt, rankRecords, stem } from '../../src/ai/fallback.js';
import { MESSAGES } from '../../src/ai/prompt.js';
import { loadBookSync } from '../../src/book/service.js';

const book = loadBookSync('data/when-hurt-remains.json');
const ids = (question: string) => rankRecords(book, question).map((record) => record.id);

describe('the dataset’s own answer to a free question', () => {
  it('matches what a question is about, not its question words', () => {
    expect(contentWords('Which chapters deal with shame?')).toEqual(['shame']);
    expect(contentWords('Who wrote the foreword?')).toEqual(['foreword']);
    expect(contentWords('What is on page 97?')).toEqual(['97']);
    expect(ids('Which chapters deal with shame?')).not.toContain('part-4'); // "dealing with strong affects" is not about shame
  });

  it('finds related word forms: culture → cultural, intercultural; shame → shaming; bullying → bully', () => {
    expect(stem('culture')).toBe('cultur');
    expect(ids('Who writes about culture?')).toEqual(['chapter-3', 'chapter-13', 'chapter-14']);
    expect(ids('Which chapters deal with shame?').slice(0, 2)).toEqual(['chapter-8', 'guiding-question-1']);
    expect(ids('Who writes about bullying?')[0]).toBe('chapter-9');
  });

  it('gives a sentence two records quote one line, naming both sources', () => {
    const body = datasetAnswer(book, 'secretly', { reason: 'no-key', supportNote: null, personal: false }).body;
    const lines = body.split('\n');
    expect(lines.filter((l) => l.includes('for the most part therapists carry it'))).toHaveLength(1);
    expect(lines.find((l) => l.includes('for the most part therapists carry it'))).toMatch(/How the book sets the stage.*; When Hurt Remains \(the book\)\)$/);
  });

  it('ranks first the kind of record the question asks for', () => {
    expect(ids('Who wrote the foreword?')[0]).toBe('andrew-samuels');
    expect(ids('What is on page 97?')[0]).toBe('page-97');
    expect(ids('Which part is about enactments?')[0]).toBe('part-3');
  });

  it('shows a passage once, not again as its quotation and page citation', () => {
    const answer = datasetAnswer(book, 'What is on page 97?', { reason: 'no-key', supportNote: null, personal: false });
    expect(answer.body.match(/Two analysts contributed/g)).toHaveLength(1);
  });

  it('quotes the sentence that answers, with the matching words in bold, and names each line’s source', () => {
    const answer = datasetAnswer(book, 'Why is the book called When Hurt Remains?', { reason: 'no-key', supportNote: null, personal: false });
    expect(answer.title).toBe(TITLES.dataset);
    expect(answer.body).toContain('**called** When **Hurt** **Remains**');
    expect(answer.body).toContain('“carved into”');
    expect(answer.body).toContain('(p. xxv: the editors’ introduction)');
    expect(excerpt('First sentence. Then the one about shame here.', ['sham'])).toBe('Then the one about **shame** here.');
    // A number is marked only whole: chapter 12's "12" is not inside page 121.
    expect(excerpt('Chapter 12 is by Doris Brothers (p. 121).', ['12'])).toBe('Chapter **12** is by Doris Brothers (p. 121).');
  });

  it('answers a member’s own distress with care and the support note, not with search results', () => {
    const answer = datasetAnswer(book, 'I feel terrible about a client I failed', { reason: 'no-key', supportNote: 'Ask Dana, our host.', personal: true });
    expect(answer).toMatchObject({ title: TITLES.care, body: MESSAGES.careFallback, sourceIds: [] });
    expect(answer.remarks).toContain('**Support:** Ask Dana, our host.');
  });

  it('says nothing matches when the book data is silent, with the support note', () => {
    const answer = datasetAnswer(book, 'What is the capital of France?', { reason: 'no-key', supportNote: null, personal: false });
    expect(answer).toMatchObject({ title: TITLES.datasetEmpty, body: MESSAGES.nothingMatches, sourceIds: [] });
    expect(answer.remarks.some((r) => r.startsWith('**Support:**'))).toBe(true);
  });
});
