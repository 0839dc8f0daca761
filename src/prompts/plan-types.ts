import type { PlanId } from './types.js';

/** One week of a reading plan: what to read and the book's question set against it. */
export interface PlanWeekContent {
  week: number;
  /** "Opening: the book's purpose and questions", "Part II: Techniques: Holding On and Letting Go", a chapter title … */
  title: string;
  /** Lines describing the reading: part, chapters, contributors, what the review says of them. */
  reading: string[];
  /** The book's question, word for word (one of the editors' guiding questions, or the purpose's question). */
  question: string;
  /** The prompt as posted: the question set against this week's reading. */
  prompt: string;
  quotation: { text: string; page: string | null } | null;
  contentNote: string;
}

export interface Plan {
  id: PlanId;
  name: string;
  description: string;
  weeks: readonly PlanWeekContent[];
}

export interface PlanCatalog {
  get(id: PlanId): Plan;
}
