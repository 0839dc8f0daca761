import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';

/**
 * The servers whose data a database file holds: every distinct `guild_id` in every table that has one. Read
 * only, and nothing for a file that does not exist yet.
 */
export function serversInDatabase(path: string): string[] {
  if (!existsSync(path)) return [];
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[]).filter((table) =>
      (db.pragma(`table_info("${table.replace(/"/g, '""')}")`) as { name: string }[]).some((column) => column.name === 'guild_id'),
    );
    if (tables.length === 0) return [];
    const union = tables.map((table) => `SELECT guild_id FROM "${table.replace(/"/g, '""')}"`).join(' UNION ');
    return db.prepare(`SELECT guild_id FROM (${union}) WHERE guild_id IS NOT NULL ORDER BY guild_id`).pluck().all() as string[];
  } finally {
    db.close();
  }
}

/**
 * The playground's stand-in server is the only one it may touch. On a database that also holds real servers'
 * data (DATABASE_PATH left at the bot's own database while the bot is stopped), starting would mark each of
 * them as having removed the bot (so erased after the retention period) and run their weekly prompts against
 * a channel that is not there. So it refuses, before anything is written.
 */
export function refuseOtherServers(path: string, playgroundServer: string): void {
  const others = serversInDatabase(path).filter((guildId) => guildId !== playgroundServer);
  if (others.length === 0) return;
  throw new Error(
    `${path} (DATABASE_PATH) holds the data of ${others.length} real server(s), and the playground uses only its own stand-in server: ` +
      'running it there would mark those servers as having removed the bot. Point DATABASE_PATH at a database of its own, or leave it empty for a throwaway one: DATABASE_PATH= npm start',
  );
}
