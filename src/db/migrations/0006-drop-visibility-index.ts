import type { Migration } from '../migrate.js';

/**
 * Drops `reflections_by_visibility`. No statement uses it: the export reads `NOT INDEXED` (a rowid range
 * scan, see prepareExportReads), and the per-server look-ups use `reflections_by_author`, whose first column
 * is also the server. An unused index still costs every reflection written one more B-tree page in the
 * commit (and in each checkpoint), on the durable write path members wait on.
 */
export const dropVisibilityIndex: Migration = {
  version: 6,
  name: '0006-drop-visibility-index',
  up(db) {
    db.exec('DROP INDEX IF EXISTS reflections_by_visibility;');
  },
};
