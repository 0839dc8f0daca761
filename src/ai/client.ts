import type Anthropic from '@anthropic-ai/sdk';
import type { ClientOptions } from '@anthropic-ai/sdk';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';

export type AnthropicFactory = (options: ClientOptions) => Anthropic;

// The SDK is loaded here and only here, on first use: about 200 ms and several MB at start that a bot without a
// key never needs. (retry.ts and claude.ts take its error classes from '@anthropic-ai/sdk/core/error', the same
// module the SDK itself uses, which is small.)
const defaultFactory = async (): Promise<AnthropicFactory> => {
  const { default: AnthropicClient } = await import('@anthropic-ai/sdk');
  return (options) => new AnthropicClient(options);
};

/**
 * The one place an Anthropic client is made, and only when ANTHROPIC_API_KEY is set: without a key /ask
 * answers from the dataset, no client exists at all, and the SDK is never even loaded.
 *
 * `maxRetries: 0` because /ask owns its retry policy (src/ai/retry.ts): the SDK would retry the spend-cap 429.
 * `timeout` is the SDK's: it arms it around fetch alone, so it limits the wait for the response headers and
 * never a body still arriving. Each call also carries its own AbortSignal, which ends it when Claude has been
 * silent that long (no answer yet, or no stream event) or at the /ask deadline (retry.ts).
 * The SDK's own logging goes to our logger at warn and above only: at debug it would print request
 * bodies, which hold the member's question.
 */
export async function createAnthropicClient(config: Config, log: Logger, factory?: AnthropicFactory): Promise<Anthropic | undefined> {
  const key = config.ANTHROPIC_API_KEY;
  if (key === undefined) return undefined;
  const make = factory ?? (await defaultFactory());
  const sdkLog = log.child({ component: 'anthropic-sdk' });
  return make({
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
