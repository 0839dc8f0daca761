/**
 * Fault injection per route: answer the next N matching requests with a given status, body and headers
 * (for example 429 with `retry-after` and `x-ratelimit-*`), or delay them.
 *
 * - With `status`, the request is NOT carried out: the fault's answer replaces it (after `delayMs`).
 * - Without `status`, the request is carried out at once and only its response is delayed by `delayMs`
 *   or held until `hold` settles (Discord did the work but the answer came late: what a REST timeout
 *   followed by a retry looks like, or a member acting while the bot still waits).
 */

export interface FaultSpec {
  /** HTTP method (any when omitted). */
  method?: string;
  /**
   * Matched against the decoded path after `/api/v10`, without the query (for example
   * `/webhooks/1/tok/messages/@original`). A string is an exact path or a template with `:param`
   * segments (`/channels/:id/messages`); a RegExp is tested against the path.
   */
  path: string | RegExp;
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
  delayMs?: number;
  /**
   * The response waits for this promise too (after `delayMs`): a test holds Discord's answer for exactly as
   * long as it needs, then releases it, with no timing to guess.
   */
  hold?: Promise<unknown>;
  /** How many matching requests this fault applies to (default 1; Infinity for all). */
  times?: number;
}

export interface Fault extends Readonly<FaultSpec> {
  readonly id: number;
  /** Requests this fault has applied to so far. */
  readonly hits: number;
  remove(): void;
}

export function pathMatches(pattern: string | RegExp, path: string): boolean {
  if (pattern instanceof RegExp) return pattern.test(path);
  if (!pattern.includes(':')) return pattern === path;
  const a = pattern.split('/');
  const b = path.split('/');
  return a.length === b.length && a.every((part, i) => part.startsWith(':') || part === b[i]);
}

export class FaultInjector {
  private readonly faults: (FaultSpec & { id: number; hits: number; left: number })[] = [];
  private nextId = 1;

  add(spec: FaultSpec): Fault {
    const entry = { ...spec, id: this.nextId++, hits: 0, left: spec.times ?? 1 };
    this.faults.push(entry);
    const remove = () => {
      const index = this.faults.indexOf(entry);
      if (index >= 0) this.faults.splice(index, 1);
    };
    const fault = { ...spec, id: entry.id, hits: 0, remove };
    Object.defineProperty(fault, 'hits', { get: () => entry.hits, enumerable: true });
    return fault;
  }

  clear(): void {
    this.faults.length = 0;
  }

  get active(): number {
    return this.faults.length;
  }

  /** Finds and consumes the first fault matching this request. */
  take(method: string, path: string): FaultSpec | undefined {
    const fault = this.faults.find((f) => (f.method === undefined || f.method.toUpperCase() === method) && pathMatches(f.path, path));
    if (!fault) return undefined;
    fault.hits += 1;
    fault.left -= 1;
    if (fault.left <= 0) this.faults.splice(this.faults.indexOf(fault), 1);
    return fault;
  }
}
