import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/clock.js';
import { openDatabase } from '../../src/db/connection.js';
import { createLogger } from '../../src/logger.js';
import { loadReflectionCipher } from '../../src/reflections/keyring.js';
import { createReflectionService } from '../../src/reflections/service.js';
import { Secret } from '../../src/secret.js';
import { noWeeks } from '../../src/weeks.js';
import { join, useTempDir } from '../helpers/tmp.js';
import { prng } from '../../bench/lib/stats.js';

const TRIALS = 20;
const WRITER = join(import.meta.dirname, 'reflection-writer.ts');
const textOf = (key: string) => `Reflection ${key}: שלום 🌱 ${'the words stay. '.repeat(40)}`;

interface Writer {
  run(path: string, run: string, killAfter: number): Promise<Map<number, string>>;
}

/** Starts a writer process now (it loads the code and waits); `run` lets it write, and SIGKILLs it after `killAfter` confirmations. */
function warmWriter(key: string): Writer {
  const child = spawn(process.execPath, ['--import', 'tsx', WRITER], { env: { ...process.env, REFLECTIONS_KEY: key }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const acked = new Map<number, string>();
  let killAfter = Infinity;
  const lines = createInterface({ input: child.stdout });
  lines.on('line', (line) => {
    const [word, id, ik] = line.split(' ');
    if (word !== 'ack' || id === undefined || ik === undefined) return;
    acked.set(Number(id), ik);
    if (acked.size >= killAfter) child.kill('SIGKILL');
  });
  const closed = new Promise<Map<number, string>>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      // Lines already in the pipe before the kill still arrive; every one of them was confirmed after COMMIT.
      if (signal !== 'SIGKILL') reject(new Error(`writer ended without being killed (code ${code}): ${stderr}`));
      else resolve(acked);
    });
  });
  return {
    run(path, run, after) {
      killAfter = after;
      child.stdin.write(`${path} ${run}\n`);
      return closed;
    },
  };
}

describe('durability: a writer killed with SIGKILL loses no confirmed reflection', () => {
  const tmp = useTempDir();

  it(`${TRIALS} seeded kills mid-write: every confirmed reflection is present and readable, integrity ok`, { timeout: 120_000 }, async () => {
    const seed = Number(process.env.DURABILITY_SEED ?? Date.now() % 2 ** 31);
    console.log(`durability seed: ${seed} (replay with DURABILITY_SEED=${seed})`);
    const random = prng(seed);
    const path = join(tmp(), 'durability.sqlite');
    const key = randomBytes(32).toString('hex');
    const killPoints = Array.from({ length: TRIALS }, () => 1 + Math.floor(random() * 60));

    // Lanes of writers on their own files, each restarted after every kill (so every writer also recovers the
    // previous one's WAL); the next writer of a lane is already loading while the current one writes.
    const LANES = 3;
    const paths = Array.from({ length: LANES }, (_, lane) => (lane === 0 ? path : join(tmp(), `durability-${lane}.sqlite`)));
    const confirmedBy = paths.map(() => new Map<number, string>());
    await Promise.all(
      paths.map(async (file, lane) => {
        const mine = killPoints.map((after, t) => ({ after, t })).filter(({ t }) => t % LANES === lane);
        let next = warmWriter(key);
        for (const [i, { after, t }] of mine.entries()) {
          const current = next;
          if (i + 1 < mine.length) next = warmWriter(key);
          const acked = await current.run(file, `t${t}`, after);
          acked.forEach((ik, id) => confirmedBy[lane]!.set(id, ik));
        }
      }),
    );

    let total = 0;
    for (const [lane, file] of paths.entries()) {
      const db = openDatabase(file);
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      const log = createLogger('silent');
      const cipher = loadReflectionCipher({ DATABASE_PATH: file, REFLECTIONS_KEY: new Secret(key) }, db, log);
      const service = createReflectionService({ db, cipher, clock: fixedClock('2026-03-02T10:00:00Z'), weeks: noWeeks, log });
      for (const [id, ik] of confirmedBy[lane]!) {
        const row = db.prepare('SELECT author_id AS authorId, idempotency_key AS ik FROM reflections WHERE id = ?').get(id) as { authorId: string; ik: string } | undefined;
        expect(row, `confirmed reflection #${id} (${ik}) is missing`).toBeDefined();
        expect(row!.ik).toBe(ik);
        expect(service.get('100000000000000001', row!.authorId, id).text).toBe(textOf(ik));
        total++;
      }
      db.close();
    }
    expect(total).toBeGreaterThanOrEqual(TRIALS);
  });
});
