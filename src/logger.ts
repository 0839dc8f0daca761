import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger };

/**
 * The root logger. Structured JSON, one child per interaction or job. Paths that may hold credentials are
 * redacted as a second line of defence; the first is that secrets are `Secret` objects that print as
 * "[redacted]".
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { app: 'reading-circle' },
      redact: {
        paths: ['token', '*.token', 'authorization', '*.authorization', 'headers.authorization', 'apiKey', '*.apiKey'],
        censor: '[redacted]',
      },
      serializers: { err: serializeError },
    },
    destination ?? pino.destination({ dest: 1, sync: false }),
  );
}

/** Interaction and webhook tokens in a Discord URL, masked: an interaction token lets anyone answer as the bot for 15 minutes. */
export function maskTokens(text: string): string {
  return text.replace(/\/interactions\/(\d+)\/[^/?\s]+/g, '/interactions/$1/:token').replace(/\/webhooks\/(\d+)\/[^/?\s]+/g, '/webhooks/$1/:token');
}

/**
 * pino's error serializer copies every enumerable property, and a discord.js REST error carries the request it
 * failed: `requestBody` (a reply's embeds and files: a member's reflection, an export's rows) and `url` (with
 * the interaction's token). Logs carry ids and counts, never member text or tokens: the body is dropped and
 * tokens are masked, in the error and in any error it wraps.
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
    out[key] = scrub(item, depth + 1);
  }
  return out;
}
