import type { Migration } from '../migrate.js';

/**
 * Records how each thread post shows its author: by name, or as "A member". A reflection switched from shared
 * to anonymous was edited in place: the same message, link and place in the thread, so whoever had seen it
 * under the author's name still knew whose it was. Knowing what a post shows, the bot replaces it instead (a
 * new message; the old one deleted). Posts made before this migration have no value (null): they are treated
 * as showing the name, so the first switch to anonymous replaces them too.
 */
export const postShownAs: Migration = {
  version: 9,
  name: '0009-post-shown-as',
  up(db) {
    db.exec(`ALTER TABLE reflection_posts ADD COLUMN shown_as TEXT CHECK (shown_as IS NULL OR shown_as IN ('name', 'anonymous'));`);
  },
};
