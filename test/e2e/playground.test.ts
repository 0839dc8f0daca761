import { spawn } from 'node:child_process';
import { Readable, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runFromEnvironment } from '../../src/run.js';

/**
 * The playground (`npm start` without DISCORD_TOKEN): lines piped in become interactions against the local
 * Discord, replies come out as text, and it stops at the end of its input.
 */

function collector(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  });
  return { stream, text: () => chunks.join('') };
}

async function playground(lines: string[]): Promise<{ out: string; logs: string; outcome: string }> {
  const out = collector();
  const logs: string[] = [];
  const outcome = await runFromEnvironment(
    {},
    { stdin: Readable.from([lines.map((l) => `${l}\n`).join('')]), stdout: out.stream, interactive: false, logDestination: { write: (line: string) => void logs.push(line) } },
  );
  return { out: out.text(), logs: logs.join(''), outcome: outcome.kind };
}

describe('the playground', () => {
  it('says it is local, answers typed commands as text, switches who you are, presses buttons, and stops at the end of input', async () => {
    const { out, logs, outcome } = await playground([
      '/help',
      '/chapter chapter:wenke',
      '1',
      '/settings show',
      ':as moderator',
      '/settings support-note text:"Ask Ana, our host"',
      '/no-such-command',
      'not a command',
    ]);
    expect(outcome).toBe('playground-finished');
    expect(out).toContain('this is the local playground');
    expect(out).toContain('nothing is sent to Discord');
    expect(out).toContain('throwaway database');
    // /help, rendered as text and private.
    expect(out).toMatch(/member> \/help\n\(only you can see this\)\n== reading-circle: what I can do ==/);
    // /chapter with an option, then its first button pressed by number.
    expect(out).toContain('== Chapter 5: Matthias Wenke ==');
    expect(out).toMatch(/member> 1\n(.*\n)*== Matthias Wenke ==/);
    // A member is refused the moderator tool; the moderator gets it, with a quoted value kept whole.
    expect(out).toMatch(/member> \/settings show\n\(only you can see this\)\nThis needs the Manage Server permission\./);
    expect(out).toContain('You are now Mira, a moderator');
    expect(out).toContain('**Support note:** Ask Ana, our host');
    expect(out).toContain('I don’t know that one');
    expect(out).toContain('! "not a command" is not a command');
    expect(out.trimEnd().endsWith('Bye. The playground is closed.')).toBe(true);
    // Logs stay quiet (warnings only) and out of the conversation.
    expect(out).not.toContain('"level"');
    for (const line of logs.split('\n').filter(Boolean)) expect((JSON.parse(line) as { level: number }).level).toBeGreaterThanOrEqual(40);
  });

  it('runs as a process the way `npm start` does (main.ts, stdin piped): prints the help and exits 0 at the end of input', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: process.cwd(),
      env: { ...process.env, DISCORD_TOKEN: '', DATABASE_PATH: '', LOG_LEVEL: '' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stdin.end('/help\n');
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(0);
    expect(out).toContain('local playground');
    expect(out).toContain('== reading-circle: what I can do ==');
    expect(out).toContain('Bye. The playground is closed.');
  }, 30_000);
});
