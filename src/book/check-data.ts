import { readBookData, formatProblems, createBookService } from './service.js';

/**
 * `npm run check-data [path]`: validates a book dataset and prints each problem with its JSON path, in the
 * same words the bot uses when it refuses to start. Exit code 0 when valid, 1 when not.
 */
async function main(): Promise<void> {
  const path = process.argv[2] ?? process.env.BOOK_PATH ?? 'data/when-hurt-remains.json';
  const result = await readBookData(path);
  if (!result.ok) {
    process.stderr.write(`${formatProblems(path, result.problems)}\n`);
    process.exitCode = 1;
    return;
  }
  const service = createBookService(result.book);
  const { book } = result;
  process.stdout.write(
    `${path} is valid: "${book.book.title}", ${book.parts.length} parts, ${book.chapters.length} chapters, ${book.people.length} people, ` +
      `${book.questions.length} questions, ${book.quotations.length} quotations, ${book.citations.length} page citations (${service.records().length} searchable records).\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`check-data failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
