import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger };

/**
 * The root logger. Structured JSON, one child per interaction or job. Keys that may hold credentials are
 * censored as a second line of defence; the first is that secrets are `Secret` objects that print as
 * "[redacted]".
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const root = pino(
    {
      level,
      base: { app: 'reading-circle' },
      // Not pino's `redact` with `*.token` paths: a wildcard path sends every value of every line through
      // fast-redact, which clones as it goes (2.3 µs a line against 0.7, measured, and a tenth of what a
      // reflection modal submit allocated, in a sampling heap profile of the bench's workload). The same keys
      // are censored by a serializer each (at the top level of a line and of a child's bindings) and, one
      // level down, by the log formatter (a line's fields) and by child() below (a child's bindings).
      formatters: { log: censorNested },
      serializers: { err: serializeError, ...Object.fromEntries(SECRET_KEYS.map((key) => [key, () => CENSOR])) },
    },
    destination ?? pino.destination({ dest: 1, sync: false }),
  );
  // A child's bindings get the serializers but not the log formatter (pino's bindings formatter applies to the
  // root's alone), so child() censors them one level down itself. Children inherit it from the root.
  // eslint-disable-next-line @typescript-eslint/unbound-method -- unbound on purpose: called with each logger's own `this`.
  const child = root.child;
  root.child = function (this: Logger, bindings, options) {
    return child.call(this, censorNested(bindings), options);
  } as typeof child;
  return root;
}

const SECRET_KEYS = ['token', 'authorization', 'apiKey'];
const CENSOR = '[redacted]';

const holdsSecret = (value: object): boolean => SECRET_KEYS.some((key) => Object.hasOwn(value, key));

/** A line's fields or a child's bindings, with secret keys censored in any object one level down; copied only when one is found. */
function censorNested(fields: Record<string, unknown>): Record<string, unknown> {
  let out = fields;
  for (const key in fields) {
    const value = fields[key];
    // `err` is censored (at any depth) by its serializer; an error under any other key has none, so it is censored here.
    if (key === 'err' || value === null || typeof value !== 'object' || !holdsSecret(value)) continue;
    const copy: Record<string, unknown> = { ...value };
    for (const secret of SECRET_KEYS) if (Object.hasOwn(copy, secret)) copy[secret] = CENSOR;
    if (out === fields) out = { ...fields };
    out[key] = copy;
  }
  return out;
}

/** Interaction and webhook tokens in a Discord URL, masked: an interaction token lets anyone answer as the bot for 15 minutes. */
export function maskTokens(text: string): string {
  return text.replace(/\/interactions\/(\d+)\/[^/?\s]+/g, '/interactions/$1/:token').replace(/\/webhooks\/(\d+)\/[^/?\s]+/g, '/webhooks/$1/:token');
}

/**
 * pino's error serializer copies every enumerable property, and a discord.js REST error carries the request it
 * failed: `requestBody` (a reply's embeds and files: a member's reflection, an export's rows) and `url` (with
 * the interaction's token). Logs carry ids and counts, never member text or tokens: the body is dropped,
 * tokens in text are masked and secret keys censored, in the error and in any error it wraps.
 */
function serializeError(error: unknown): unknown {
  const serialized: unknown = pino.stdSerializers.err(error as Error);
  return scrub(serialized, 0);
}

function scrub(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return maskTokens(value);
  if (value === null || typeof value !== 'object' || depth > 4) return value;
  if (Array.isArray(value)) return value.map((item) => scrub(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (key === 'requestBody') continue;
    out[key] = SECRET_KEYS.includes(key) ? CENSOR : scrub(item, depth + 1);
  }
  return out;
}
