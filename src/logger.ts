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
      serializers: { err: pino.stdSerializers.err },
    },
    destination ?? pino.destination({ dest: 1, sync: false }),
  );
}
