import type { Migration } from '../migrate.js';

/**
 * Remembers the servers the bot user is in, as the gateway last showed them (READY, GUILD_CREATE; GUILD_DELETE
 * takes one out). A restart counted as removed every server with data that its READY did not list, and started
 * its retention clock; but Discord delivers interactions wherever the app is installed, also without its bot
 * user (the `applications.commands` scope alone, or the bot user kicked while the integration stays), and the
 * bot answers them and saves reflections there. Such a server was erased after the retention period though in
 * use. Now a restart counts only a server the bot user was in and no longer is.
 *
 * Seeded with every server the bot knew before, as READY then treated them: those with reflections and those
 * with a presence record (every server the bot user was seen in), so an existing install counts the same
 * servers as removed at its next start as it would have. A server already marked removed is left out: the bot
 * user is not in it, its clock already runs, and an interaction from it now stops that clock for good.
 */
export const botGuilds: Migration = {
  version: 10,
  name: '0010-bot-guilds',
  up(db) {
    db.exec(`
      CREATE TABLE bot_guilds (
        guild_id TEXT PRIMARY KEY
      ) STRICT, WITHOUT ROWID;

      INSERT INTO bot_guilds (guild_id)
        SELECT guild_id FROM reflections
        UNION SELECT guild_id FROM guild_presence
        EXCEPT SELECT guild_id FROM guild_presence WHERE removed_at IS NOT NULL;
    `);
  },
};
