import { z } from 'zod';
import type { Db } from './connection.js';

export const GuildSettingsSchema = z.object({
  guildId: z.string(),
  moderatorRoleId: z.string().nullable(),
  modLogChannelId: z.string().nullable(),
  supportNote: z.string().nullable(),
  updatedAt: z.string(),
});

export type GuildSettings = z.infer<typeof GuildSettingsSchema>;

export type GuildSettingsPatch = Partial<Pick<GuildSettings, 'moderatorRoleId' | 'modLogChannelId' | 'supportNote'>>;

export interface GuildSettingsRepo {
  get(guildId: string): GuildSettings;
  update(guildId: string, patch: GuildSettingsPatch, now: Date): GuildSettings;
  remove(guildId: string): void;
}

const columns = `guild_id AS guildId, moderator_role_id AS moderatorRoleId, mod_log_channel_id AS modLogChannelId,
  support_note AS supportNote, updated_at AS updatedAt`;

export function createGuildSettingsRepo(db: Db): GuildSettingsRepo {
  const select = db.prepare(`SELECT ${columns} FROM guild_settings WHERE guild_id = ?`);
  const upsert = db.prepare(`
    INSERT INTO guild_settings (guild_id, moderator_role_id, mod_log_channel_id, support_note, updated_at)
    VALUES (@guildId, @moderatorRoleId, @modLogChannelId, @supportNote, @updatedAt)
    ON CONFLICT(guild_id) DO UPDATE SET
      moderator_role_id = excluded.moderator_role_id,
      mod_log_channel_id = excluded.mod_log_channel_id,
      support_note = excluded.support_note,
      updated_at = excluded.updated_at`);
  const del = db.prepare('DELETE FROM guild_settings WHERE guild_id = ?');

  const get = (guildId: string): GuildSettings => {
    const row = select.get(guildId);
    if (row === undefined) {
      return { guildId, moderatorRoleId: null, modLogChannelId: null, supportNote: null, updatedAt: new Date(0).toISOString() };
    }
    return GuildSettingsSchema.parse(row);
  };

  return {
    get,
    update(guildId, patch, now) {
      const next: GuildSettings = { ...get(guildId), ...patch, updatedAt: now.toISOString() };
      upsert.run(next);
      return next;
    },
    remove(guildId) {
      del.run(guildId);
    },
  };
}
