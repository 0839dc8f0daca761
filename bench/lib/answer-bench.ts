import { answerBench } from './child-side.js';

/**
 * Preloaded into the real bot (`node --import …/answer-bench.js dist/bot/main.js`): the bench's IPC answers,
 * without a line of bench code in the bot itself. The floor bot calls the same `answerBench` from its main.
 */
answerBench();
