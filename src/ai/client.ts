import Anthropic, { type ClientOptions } from '@anthropic-ai/sdk';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';

export type AnthropicFactory = (options: ClientOptions) => Anthropic;

const defaultFactory: AnthropicFactory = (options) => new Anthropic(options);

/**
 * The one place an Anthropic client is made, and only when ANTHROPIC_API_KEY is set: without a key /ask
 * answers from the dataset and no client exists at all.
 *
 * `maxRetries: 0` because /ask owns its retry policy (src/ai/retry.ts): the SDK would retry the spend-cap 429.
 * `timeout` is a backstop; each call also carries its own AbortSignal covering the whole streamed body.
 * The SDK's own logging goes to our logger at warn and above only: at debug it would print request
 * bodies, which hold the member's question.
 */
export function createAnthropicClient(config: Config, log: Logger, factory: AnthropicFactory = defaultFactory): Anthropic | undefined {
  const key = config.ANTHROPIC_API_KEY;
  if (key === undefined) return undefined;
  const sdkLog = log.child({ component: 'anthropic-sdk' });
  return factory({
    apiKey: key.reveal(),
    baseURL: config.ANTHROPIC_BASE_URL ?? 'https://api.anthropic.com',
    maxRetries: 0,
    timeout: config.ASK_TIMEOUT_MS,
    logLevel: 'warn',
    logger: {
      error: (message: string) => sdkLog.error(message),
      warn: (message: string) => sdkLog.warn(message),
      info: (message: string) => sdkLog.debug(message),
      debug: () => undefined,
    },
  });
}
