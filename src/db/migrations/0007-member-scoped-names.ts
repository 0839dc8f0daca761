import type { Migration } from '../migrate.js';

/**
 * `name_scope` says what a reflection's sealed display name is bound to. `row` (every reflection written
 * before this migration): its server, author and row, so each row's name is its own ciphertext. `member`:
 * its server and author only, so one sealed name is shared by the author's reflections written under that
 * name, and an export opens it once instead of once per row (a decipher costs about 6 µs however short the
 * name). A member-scoped name still cannot be moved to another member's or server's row.
 */
export const memberScopedNames: Migration = {
  version: 7,
  name: '0007-member-scoped-names',
  up(db) {
    db.exec(`ALTER TABLE reflections ADD COLUMN name_scope TEXT NOT NULL DEFAULT 'row' CHECK (name_scope IN ('row', 'member'));`);
  },
};
