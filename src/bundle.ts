import { readdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

/**
 * The bot as `npm start` runs it, and the shell export as `npm run export` runs it: ES module bundles of
 * src/main.ts and src/export/cli.ts with their dependencies, in dist/bot/.
 * Why: the bot's code and its dependencies are some 830 files (580 of them discord.js's, 65 zod's locales);
 * resolving, reading and compiling them one by one was most of the bot's start (about 600 ms against 400 ms
 * for a bare discord.js bot; measured by `npm run bench`). Bundled, it starts about as fast as the bare bot.
 * The shell export bundled starts its work about 80 ms sooner (an export of 10 rows: 0.36-0.40 s against
 * 0.44-0.47 s), its reader threads included.
 *
 * tsc stays the one compiler that checks types; esbuild only strips them and links (it reads the TypeScript
 * sources, so a bundle never depends on a stale dist/src). Layout of the output:
 * - main.js: the bot; export-cli.js: the shell export; reader-worker.js: the export's reader thread
 *   (reader-thread.ts finds it beside itself, so chunks must stay in the same folder as the entries); the rest
 *   are chunks shared by them (each entry loads only the chunks of the modules it imports: the shell export
 *   never loads discord.js), and the ones loaded only when needed (the playground, the Anthropic SDK).
 * - Each .js has a linked source map (.js.map) for reading a stack trace; run with --enable-source-maps to
 *   have Node apply them.
 * - better-sqlite3 is a native module and stays in node_modules; so do the optional native speed-ups that
 *   discord.js's dependencies try to load and do without (we install none).
 */
export const BUNDLE_DIR = fileURLToPath(new URL('../dist/bot/', import.meta.url));

const sources = fileURLToPath(new URL('./', import.meta.url));

/**
 * V8 keeps each module's source in memory, at one byte per character only if every
 * character is Latin-1; one curly quote makes the whole chunk two bytes per character (the 4 MB chunk took
 * 8.5 MB). esbuild escapes strings but not regular expressions, so our own regular expressions write such
 * characters as \u escapes, and the bundle is checked for any that slipped in.
 */
const BEYOND_LATIN_1 = /[\u0100-\uffff]/;

export interface BundleReport {
  /** Output files with a character beyond Latin-1, and the first line that has one. */
  twoByte: { file: string; line: number }[];
}

export async function bundleBot(outdir: string = BUNDLE_DIR): Promise<BundleReport> {
  // Chunk names carry a hash of their content: without a clean folder, every build would leave the last one's.
  rmSync(outdir, { recursive: true, force: true });
  await build({
    entryPoints: { main: `${sources}main.ts`, 'export-cli': `${sources}export/cli.ts`, 'reader-worker': `${sources}export/reader-worker.ts` },
    outdir,
    bundle: true,
    splitting: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: 'linked',
    // discord.js looks its cache limits up by each manager's class name (Options.cacheWithLimits): without
    // keepNames, esbuild renames classes whose names collide (UserManager → UserManager2, …) and those caches
    // silently grow without limit.
    keepNames: true,
    // Drops comments too: a few of them are not Latin-1, which made V8 hold the 4 MB chunk's source as a
    // two-byte string (8.5 MB). Identifiers stay as they are, so a stack trace still names its functions.
    minifyWhitespace: true,
    external: ['better-sqlite3', 'zlib-sync', 'bufferutil', 'utf-8-validate', 'erlpack'],
    // CommonJS dependencies (discord.js, ws, pino) call require(); an ES module has none of its own.
    banner: { js: "import { createRequire as __bundleRequire } from 'node:module'; const require = __bundleRequire(import.meta.url);" },
    logLevel: 'warning',
  });
  return { twoByte: findTwoByteSources(outdir) };
}

function findTwoByteSources(outdir: string): BundleReport['twoByte'] {
  return readdirSync(outdir)
    .filter((file) => file.endsWith('.js'))
    .flatMap((file) => {
      const lines = readFileSync(join(outdir, file), 'utf8').split('\n');
      const index = lines.findIndex((line) => BEYOND_LATIN_1.test(line));
      return index === -1 ? [] : [{ file, line: index + 1 }];
    });
}

const runDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href;
if (runDirectly) {
  bundleBot().then(
    ({ twoByte }) => {
      // Still a working bot, only a larger one in memory: say so and go on.
      for (const { file, line } of twoByte) process.stderr.write(`note: dist/bot/${file}:${line} has a character beyond Latin-1, so V8 holds that file's source at two bytes per character (see BEYOND_LATIN_1 in src/bundle.ts)\n`);
    },
    (error: unknown) => {
      process.stderr.write(`bundling the bot failed: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
