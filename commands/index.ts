import type { CommandModule } from '../src/discord/command.js';
import ask from './ask.js';
import askSettings from './ask-settings.js';
import book from './book.js';
import chapter from './chapter.js';
import contributor from './contributor.js';
import exportCommand from './export.js';
import help from './help.js';
import part from './part.js';
import privacy from './privacy.js';
import prompt from './prompt.js';
import reflect from './reflect.js';
import reflections from './reflections.js';
import saveAsReflection from './save-as-reflection.js';
import reading from './reading.js';
import search from './search.js';
import settings from './settings.js';

/**
 * The explicit registry: the router, the command sync and /help all read this list. A test checks that
 * every file in commands/ is registered here and that names are unique.
 */
export const commands: readonly CommandModule[] = [help, settings, book, part, chapter, contributor, search, exportCommand, reflect, reflections, saveAsReflection, privacy, ask, askSettings, prompt, reading];
