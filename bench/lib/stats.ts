/** Nearest-rank percentile of unsorted samples (p in 0..100). */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

export const median = (values: readonly number[]): number => percentile(values, 50);

export const round = (value: number, digits = 2): number => Number(value.toFixed(digits));

/** A deterministic PRNG (mulberry32) so a bench or fuzz run can be replayed from its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Text of a given length in characters, from a small vocabulary (reflections in the bench). */
export function prose(random: () => number, length: number): string {
  const words = ['rupture', 'repair', 'the', 'therapist', 'felt', 'a', 'silence', 'that', 'stayed', 'with', 'me', 'after', 'chapter', 'failure', 'and', 'hurt', 'remains', 'relational', 'we', 'listened'];
  let text = '';
  while (text.length < length) text += `${words[Math.floor(random() * words.length)]!} `;
  return text.slice(0, length).trimEnd().padEnd(length, '.');
}
