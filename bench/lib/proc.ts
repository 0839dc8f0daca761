import { fork, type ChildProcess, type ForkOptions } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The bench's side of a measured process: fork it with an IPC channel, ask it questions, stop it. */
export interface Measured {
  readonly name: string;
  readonly child: ChildProcess;
  /** performance.now() just before the fork. */
  readonly spawnedAt: number;
  ask<T extends Record<string, unknown>>(q: string): Promise<T>;
  stderr(): string;
  stop(): Promise<void>;
}

/**
 * Forks a one-shot bench child (`script` with `args`) and resolves, once it has exited, with the one report it
 * sent over IPC; rejects, with its stderr, when it exits without one.
 */
export function forkForReport<T>(script: string, args: readonly string[], options: Pick<ForkOptions, 'execArgv' | 'env'> = {}): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = fork(script, args, { ...options, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    let errors = '';
    let report: T | undefined;
    child.stderr?.on('data', (chunk: Buffer) => (errors += chunk.toString()));
    child.on('message', (message: T) => (report = message));
    child.on('exit', (code) => (report === undefined ? reject(new Error(`${script} exited with ${code} and no report: ${errors.trim()}`)) : resolve(report)));
  });
}

export const distPath = (relative: string): string => fileURLToPath(new URL(`../${relative}`, import.meta.url));

/** A path in the project: bench/lib/ in the sources, dist/bench/lib/ once built; the nearest package.json above is the project's. */
export function projectPath(relative: string): string {
  let dir = new URL('./', import.meta.url);
  while (!existsSync(new URL('package.json', dir)) && dir.pathname !== '/') dir = new URL('../', dir);
  return fileURLToPath(new URL(relative, dir));
}

/** How an npm script runs Node: its environment settings, Node flags and entry, as package.json gives them. */
export interface NodeCommand {
  /** `NAME=value` settings before `node` (e.g. MALLOC_ARENA_MAX). */
  env: Record<string, string>;
  nodeFlags: string[];
  /** Absolute path of the entry script. */
  entry: string;
}

/**
 * Reads the `[NAME=value …] node [--flag …] entry.js` command at the end of an npm script in package.json, so
 * the bench runs the bot (`start`: the bundle dist/bot/main.js) and the shell export (`export`) exactly as
 * they run for real: the same entry, environment settings and flags. Throws when the script has another shape.
 */
export function npmScriptCommand(script: 'start' | 'export'): NodeCommand {
  const packageJson = JSON.parse(readFileSync(projectPath('package.json'), 'utf8')) as { scripts: Record<string, string | undefined> };
  const text = packageJson.scripts[script] ?? '';
  const match = /(?:^|&&\s*)((?:[A-Z_][A-Z0-9_]*=\S+\s+)*)node((?:\s+--\S+)*)\s+(\S+\.js)\s*$/.exec(text);
  if (!match) throw new Error(`package.json: cannot find the node command in the ${script} script: ${text}`);
  const words = (part: string) => part.trim().split(/\s+/).filter(Boolean);
  const env = Object.fromEntries(words(match[1]!).map((setting) => [setting.slice(0, setting.indexOf('=')), setting.slice(setting.indexOf('=') + 1)]));
  return { env, nodeFlags: words(match[2]!), entry: projectPath(match[3]!) };
}

export interface SpawnOptions {
  /** Flags for that Node, after the bench's own (which fork passes on by default). */
  nodeFlags?: readonly string[];
  cwd?: string;
}

/** Forks `script` with an IPC channel. */
export function spawnMeasured(name: string, script: string, env: Record<string, string>, options: SpawnOptions = {}): Measured {
  const spawnedAt = performance.now();
  const child = fork(script, [], {
    execArgv: [...process.execArgv, ...(options.nodeFlags ?? [])],
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', ...env },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    serialization: 'json',
  });
  let errors = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    errors += chunk.toString('utf8');
    if (errors.length > 20_000) errors = errors.slice(-20_000);
  });
  let next = 1;
  const waiting = new Map<number, (answer: Record<string, unknown>) => void>();
  child.on('message', (message: { id?: number }) => {
    if (typeof message.id === 'number') {
      waiting.get(message.id)?.(message);
      waiting.delete(message.id);
    }
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    name,
    child,
    spawnedAt,
    ask: <T extends Record<string, unknown>>(q: string) =>
      new Promise<T>((resolve, reject) => {
        if (child.exitCode !== null || !child.connected) {
          reject(new Error(`${name} is not running (${errors.trim().split('\n').pop() ?? 'no error output'})`));
          return;
        }
        const id = next++;
        waiting.set(id, (answer) => resolve(answer as T));
        child.send({ id, q });
      }),
    stderr: () => errors,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}
