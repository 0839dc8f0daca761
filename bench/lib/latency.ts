import type { InteractionHandle, Json } from '../../src/local-discord/index.js';
import { median, percentile, prng, prose } from './stats.js';
import { sampleOf, type Sample, type Side } from './sides.js';

/** The five interactions the issue names, each built the same way for the bot and the floor. */
export interface Workload {
  key: string;
  label: string;
  /** Sends the i-th interaction; resolves once the bot's first response is in. */
  send(side: Side, i: number): Promise<InteractionHandle>;
}

export function workloads(modal: Json, seed: number): Workload[] {
  const random = prng(seed);
  const texts = Array.from({ length: 64 }, () => prose(random, 500 + Math.floor(random() * 1500)));
  const chapters = ['1', '2', '3', '5', '8', '13', 'Pizer', 'shame'];
  const typed = ['', 'p', 'pi', 'piz', 'ma', 'sa', 'w', 'br'];
  const queries = ['rupture', 'shame', 'Pizer', 'p. 97', 'failure', 'bullying', 'repair', 'impasse'];
  return [
    {
      key: 'chapter',
      label: '/chapter',
      send: (side, i) => side.discord.interact.chatInput({ name: 'chapter', options: { chapter: chapters[i % chapters.length]! } }),
    },
    {
      key: 'contributor-autocomplete',
      label: '/contributor autocomplete',
      send: (side, i) => side.discord.interact.autocomplete({ name: 'contributor', focused: 'name', value: typed[i % typed.length]! }),
    },
    {
      key: 'search',
      label: '/search',
      send: (side, i) => side.discord.interact.chatInput({ name: 'search', options: { query: queries[i % queries.length]! } }),
    },
    {
      key: 'reflect-submit',
      label: 'reflection modal submit',
      send: (side, i) => side.discord.interact.modalSubmit({ modal, values: [texts[i % texts.length]!] }),
    },
    {
      key: 'reflections-mine',
      label: '/reflections mine',
      send: (side) => side.discord.interact.chatInput({ name: 'reflections', subcommand: 'mine' }),
    },
  ];
}

export interface LatencyFigures {
  p50: number;
  p99: number;
  visibleP50: number;
  visibleP99: number;
  /** Per repeat, for the record. */
  repeats: { p50: number; p99: number }[];
}

export interface LatencyResult {
  key: string;
  label: string;
  interactions: number;
  bot: LatencyFigures;
  floor: LatencyFigures;
}

function figures(runs: Sample[][]): LatencyFigures {
  const repeats = runs.map((samples) => ({ p50: percentile(samples.map((s) => s.first), 50), p99: percentile(samples.map((s) => s.first), 99) }));
  return {
    p50: median(repeats.map((r) => r.p50)),
    p99: median(repeats.map((r) => r.p99)),
    visibleP50: median(runs.map((samples) => percentile(samples.map((s) => s.visible), 50))),
    visibleP99: median(runs.map((samples) => percentile(samples.map((s) => s.visible), 99))),
    repeats,
  };
}

/**
 * How the next interaction follows the last: once its visible reply is in (`visible`, as a member at a keyboard
 * would), or as soon as its first response is (`first-response`: back to back, so whatever a deferred command
 * still does after its deferral, such as a durable write, its page and the edit, runs while the next one
 * arrives; the visible replies are awaited at the end of each block).
 */
export type Pace = 'visible' | 'first-response';

/**
 * Each repeat: `count` interactions for each bot, in blocks of `block`, bot and floor alternating (the
 * order flips every block) so the machine's drift lands on both. One interaction at a time, paced by `pace`.
 */
export async function measureLatency(
  workload: Workload,
  bot: Side,
  floor: Side,
  options: { count: number; block: number; repeats: number; warmup: number; pace?: Pace },
): Promise<LatencyResult> {
  const backToBack = options.pace === 'first-response';
  /** One block of `size` on one side: each sample taken in turn, or (back to back) settled after the block. */
  const block = async (side: Side, from: number, size: number): Promise<Sample[]> => {
    const samples: Promise<Sample>[] = [];
    for (let k = 0; k < size; k++) {
      const handle = await workload.send(side, from + k);
      const sample = sampleOf(side, handle);
      if (backToBack) sample.catch(() => undefined); // a failure still surfaces, from Promise.all below
      else await sample;
      samples.push(sample);
    }
    return Promise.all(samples);
  };
  for (let i = 0; i < options.warmup; i++) {
    await block(bot, i, 1);
    await block(floor, i, 1);
  }
  const botRuns: Sample[][] = [];
  const floorRuns: Sample[][] = [];
  for (let r = 0; r < options.repeats; r++) {
    const botSamples: Sample[] = [];
    const floorSamples: Sample[] = [];
    let i = 0;
    for (let b = 0; botSamples.length < options.count; b++) {
      const size = Math.min(options.block, options.count - botSamples.length);
      const order: [Side, Sample[]][] = b % 2 === 0 ? [[bot, botSamples], [floor, floorSamples]] : [[floor, floorSamples], [bot, botSamples]];
      for (const [side, samples] of order) {
        samples.push(...(await block(side, i, size)));
        // Each local Discord keeps every request and message it saw; the bench process's heap grew by the
        // whole run and its collections (both local Discords live in it) paused whichever side was being timed,
        // more often the bot's, whose requests and replies are larger. What is measured is no longer needed.
        side.discord.server.forgetHistory();
      }
      i += size;
    }
    botRuns.push(botSamples);
    floorRuns.push(floorSamples);
  }
  return { key: workload.key, label: workload.label, interactions: options.count, bot: figures(botRuns), floor: figures(floorRuns) };
}
