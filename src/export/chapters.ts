import type { BookService } from '../book/service.js';
import type { ChapterDirectory } from './service.js';

/** Chapter labels and look-ups for exports, from the book dataset. */
export function chaptersFromBook(book: BookService): ChapterDirectory {
  return {
    label(chapterId) {
      const chapter = book.chapter(chapterId);
      if (!chapter) return null;
      const label = book.chapterLabel(chapter);
      return chapter.title ? `${label}: ${chapter.title}` : label;
    },
    ids: () => book.chapters().map((chapter) => chapter.id),
    resolve(input) {
      if (book.chapter(input)) return input;
      const found = book.resolveChapter(input);
      return found.kind === 'found' ? found.item.id : null;
    },
  };
}
