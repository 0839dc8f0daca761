import type { Migration } from '../migrate.js';
import { guildSettings } from './0001-guild-settings.js';
import { reflections } from './0002-reflections.js';
import { prompts } from './0003-prompts.js';
import { exportLog } from './0004-export-log.js';
import { askUsage } from './0005-ask-usage.js';
import { dropVisibilityIndex } from './0006-drop-visibility-index.js';
import { memberScopedNames } from './0007-member-scoped-names.js';
import { idsWithoutAutoincrement } from './0008-ids-without-autoincrement.js';
import { postShownAs } from './0009-post-shown-as.js';
import { botGuilds } from './0010-bot-guilds.js';

/** Every migration, in order. A new one goes at the end with the next version number. */
export const migrations: readonly Migration[] = [guildSettings, reflections, prompts, exportLog, askUsage, dropVisibilityIndex, memberScopedNames, idsWithoutAutoincrement, postShownAs, botGuilds];
