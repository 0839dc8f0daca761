import { realpathSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

/**
 * The bot as `npm start` runs it: one ES module bundle of src/main.ts and its dependencies, in dist/bot/.
 * Why: the bot's code and its dependencies are some 830 files (580 of them discord.js's, 65 zod's locales);
 * resolving, reading and compiling them one by one was most of the bot's start (about 600 ms against 400 ms
 * for a bare discord.js bot; measured by `npm run bench`). Bundled, it starts about as fast as the bare bot.
 *
 * tsc stays the one compiler that checks types; esbuild only strips them and links (it reads the TypeScript
 * sources, so a bundle never depends on a stale dist/src). Layout of the output:
 * - main.js: the entry; reader-worker.js: the export's reader thread (reader-thread.ts finds it beside itself,
 *   so chunks must stay in the same folder as the entries); the rest are chunks shared by the two, and the
 *   ones loaded only when needed (the playground, the Anthropic SDK).
 * - Each .js has a linked source map (.js.map) for reading a stack trace; run with --enable-source-maps to
 *   have Node apply them.
 * - better-sqlite3 is a native module and stays in node_modules; so do the optional native speed-ups that
 *   discord.js's dependencies try to load and do without (we install none).
 */
export const BUNDLE_DIR = fileURLToPath(new URL('../dist/bot/', import.meta.url));

const sources = fileURLToPath(new URL('./', import.meta.url));

export async function bundleBot(outdir: string = BUNDLE_DIR): Promise<void> {
  await build({
    entryPoints: { main: `${sources}main.ts`, 'reader-worker': `${sources}export/reader-worker.ts` },
    outdir,
    bundle: true,
    splitting: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: 'linked',
    external: ['better-sqlite3', 'zlib-sync', 'bufferutil', 'utf-8-validate', 'erlpack'],
    // CommonJS dependencies (discord.js, ws, pino) call require(); an ES module has none of its own.
    banner: { js: "import { createRequire as __bundleRequire } from 'node:module'; const require = __bundleRequire(import.meta.url);" },
    logLevel: 'warning',
  });
}

const runDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href;
if (runDirectly) {
  bundleBot().catch((error: unknown) => {
    process.stderr.write(`bundling the bot failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
