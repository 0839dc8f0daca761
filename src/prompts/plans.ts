import type { BookService, Chapter, Part, Question, Quotation } from '../book/service.js';
import type { Plan, PlanCatalog, PlanWeekContent } from './plan-types.js';
import type { PlanId } from './types.js';

/**
 * The built-in reading plans, built from the book dataset alone. Each week sets one of the book's
 * questions (the editors' two guiding questions word for word, and the question of what relational theory
 * and practice can contribute) against that week's reading, so the same question meets different reading
 * and no two weeks' prompts are the same.
 */

const CARE = 'Take what you need and go gently; reflections stay private unless you choose to share them.';

/** Words in a week's reading that a reader may want warning of (only those the reading itself contains). */
const SENSITIVE: readonly [RegExp, string][] = [
  [/\bneglect/, 'neglect'],
  [/\bterror/, 'terror'],
  [/\bsham(e|ing)/, 'shame'],
  [/\bbully/, 'bullying'],
  [/\babus/, 'abuse'],
  [/\brage\b/, 'rage'],
  [/\banger\b/, 'anger'],
  [/\bwound/, 'wounds'],
  [/\bfrighten/, 'fear'],
  [/\blitigation/, 'fear of litigation'],
  [/\bbadness/, 'badness'],
];

function contentNote(readingText: string): string {
  const lower = readingText.toLowerCase();
  const found = [...new Set(SENSITIVE.filter(([pattern]) => pattern.test(lower)).map(([, word]) => word))];
  const topics = found.length > 0 ? `This week's reading touches on ${found.join(', ')}, and on therapeutic failure.` : "This week's reading is about therapeutic failure and the hurt it leaves.";
  return `${topics} ${CARE}`;
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

function quoted(question: Question): string {
  return `“${question.text}”`;
}

/** The question put to one week's reading; the wording differs for the guiding questions and the contribution question. */
function ask(question: Question, reading: string, lens: string): string {
  if (question.kind === 'guiding') {
    return `The editors ask: ${quoted(question)}\n\nReading ${reading}: ${lens}`;
  }
  return `The book sets out to examine ${question.text}.\n\nReading ${reading}: ${lens}`;
}

/** The fullest quotation tied to the week's reading (a one-word quotation says little on its own). */
function firstQuotation(quotations: readonly Quotation[]): PlanWeekContent['quotation'] {
  const quotation = [...quotations].sort((a, b) => b.text.length - a.text.length)[0];
  return quotation ? { text: quotation.text, page: quotation.page?.replace(/^pp?\. /, '') ?? null } : null;
}

function questionsInOrder(book: BookService): Question[] {
  const guiding = book.questions('guiding');
  const contribution = book.questions('contribution');
  const all = [...guiding, ...contribution];
  if (all.length === 0) throw new Error('the book dataset has no questions to build prompts from');
  return all;
}

function opening(book: BookService, questions: readonly Question[]): PlanWeekContent {
  const info = book.book.book;
  const guiding = questions.filter((q) => q.kind === 'guiding');
  const contribution = questions.find((q) => q.kind === 'contribution');
  const asked = guiding.map(quoted).join(' and ');
  const prompt =
    (asked !== '' ? `The editors asked themselves and potential contributors: ${asked}\n\n` : '') +
    (contribution ? `The book sets out to address these questions while examining ${contribution.text}.\n\n` : '') +
    'Before we read on: which of these questions do you carry into the book, and what brings you to it?';
  const reading = [
    info.description,
    ...(info.purpose ? [info.purpose] : []),
    `The book's parts: ${book
      .parts()
      .map((part) => book.partLabel(part))
      .join('; ')}.`,
  ];
  return {
    week: 1,
    title: "Opening: the book's purpose and its questions",
    reading,
    question: guiding[0]?.text ?? contribution?.text ?? '',
    prompt,
    quotation: firstQuotation(book.quotationsAbout((target) => target.kind === 'editors-introduction')),
    contentNote: info.contentWarning
      ? `The review warns that these stories are personal and at times heart breaking, and may resonate with parts of your own. ${CARE}`
      : contentNote(reading.join(' ')),
  };
}

function closing(book: BookService, week: number, questions: readonly Question[]): PlanWeekContent {
  const info = book.book.book;
  const reading = [
    'Looking back over the whole book.',
    ...(info.goals ? [info.goals.text] : []),
  ];
  // The editors' questions, then the book's aim: the review states the aim as a purpose, not as a question.
  const lines = questions.filter((q) => q.kind === 'guiding').map((q) => `• ${quoted(q)}`);
  const aim = questions.find((q) => q.kind === 'contribution');
  const prompt =
    `We close where the editors began, with their questions:\n${lines.join('\n')}\n` +
    (aim ? `and the book's aim, to examine ${aim.text}.\n\n` : '\n') +
    'Having read the stories, which question has moved for you, and what would a safe place to share what is not working look like in your own practice or life?';
  return {
    week,
    title: 'Closing: looking back',
    reading,
    question: questions[0]?.text ?? '',
    prompt,
    // The editors' own words about the book as a whole (quotations tied to no part or chapter).
    quotation: firstQuotation(book.book.quotations.filter((q) => q.about === undefined)),
    contentNote: contentNote(reading.join(' ')),
  };
}

function partWeek(book: BookService, part: Part, week: number, question: Question): PlanWeekContent {
  const chapters = book.chaptersInPart(part.id);
  const who = chapters.map((chapter) => book.contributorNames(chapter)).join('; ');
  const reading = [
    `**${book.partLabel(part)}**: ${part.theme}`,
    ...(part.introduction ? [part.introduction] : []),
    ...chapters.map((chapter) => `${book.chapterLabel(chapter)}: ${chapter.about}`),
  ];
  const lens = `${lowerFirst(part.theme.replace(/\.$/, ''))}. Where in these chapters (${who}) do you see that question lived, answered, or left open?`;
  const quotations = book.quotationsAbout(
    (target) => (target.kind === 'part-introduction' && target.part === part.id) || (target.kind === 'chapter' && chapters.some((c) => c.id === target.chapter)),
  );
  return {
    week,
    title: book.partLabel(part),
    reading,
    question: question.text,
    prompt: ask(question, book.partLabel(part), lens),
    quotation: firstQuotation(quotations),
    contentNote: contentNote(reading.join(' ')),
  };
}

function chapterWeek(book: BookService, chapter: Chapter, week: number, question: Question): PlanWeekContent {
  const part = book.part(chapter.part);
  const reading = [
    `**Chapter ${chapter.number}: ${book.contributorNames(chapter)}**${part ? `, in ${book.partLabel(part)}` : ''}`,
    chapter.about,
    ...(part ? [`The part: ${part.theme}`] : []),
  ];
  const lens = `${chapter.about.replace(/\.$/, '')}. What in this chapter speaks to that question for you?`;
  return {
    week,
    title: `${book.chapterLabel(chapter)}`,
    reading,
    question: question.text,
    prompt: ask(question, book.chapterLabel(chapter), lens),
    quotation: firstQuotation(book.quotationsAbout((target) => target.kind === 'chapter' && target.chapter === chapter.id)),
    contentNote: contentNote(reading.join(' ')),
  };
}

export function buildPlan(book: BookService, id: PlanId): Plan {
  const questions = questionsInOrder(book);
  const pick = (index: number): Question => questions[index % questions.length] as Question;
  if (id === 'by-part') {
    const parts = book.parts();
    const weeks = [opening(book, questions), ...parts.map((part, i) => partWeek(book, part, i + 2, pick(i))), closing(book, parts.length + 2, questions)];
    return {
      id,
      name: 'By part',
      description: `An opening week, one week per part (${parts.length}), and a closing week: ${weeks.length} weeks.`,
      weeks,
    };
  }
  const chapters = book.chapters();
  const weeks = [
    opening(book, questions),
    ...chapters.map((chapter, i) => chapterWeek(book, chapter, i + 2, pick(i))),
    closing(book, chapters.length + 2, questions),
  ];
  return {
    id,
    name: 'By chapter',
    description: `An opening week, one week per chapter (${chapters.length}), and a closing week: ${weeks.length} weeks.`,
    weeks,
  };
}

export function createPlanCatalog(book: BookService): PlanCatalog {
  const cache = new Map<PlanId, Plan>();
  return {
    get(id) {
      let plan = cache.get(id);
      if (!plan) {
        plan = buildPlan(book, id);
        cache.set(id, plan);
      }
      return plan;
    },
  };
}
