import { Client, REST, type ClientOptions } from 'discord.js';

/**
 * How often the interaction REST client drops its idle rate-limit queues (the bot's own client:
 * REST_HANDLER_SWEEP_MS). Each interaction's follow-ups and reply edits go to `/webhooks/:app/:token`, whose
 * queue is keyed by that interaction's token, so every deferred interaction leaves one queue behind. At the
 * library's default (1 hour) they piled up without end; at 60 s a busy minute's worth stayed: under the
 * bench's load the bot's heap after a full collection grew steadily, by 5.6 MB from the 2,500th to the
 * 20,000th interaction, and stayed flat (about 22 MB) with a sweep every few seconds. A queue that is busy or
 * rate-limited is never swept, so a short interval loses no rate-limit state.
 */
export const INTERACTION_REST_HANDLER_SWEEP_MS = 5_000;

/**
 * The bot's discord.js client, with a second REST client for the requests an interaction's own token
 * authorises: editing its reply, follow-ups, deleting them. Discord does not count those against the bot's
 * global budget of 50 requests a second ("Interaction endpoints are not bound to the application's Global
 * Rate Limit"), but @discordjs/rest counts every request except the initial callback against it. Under load
 * every 50th reply edit then waited up to a second for that budget to refill (measured with the bench at
 * about 300 interactions a second: one `/reflections mine` in 50 shown after 0.9 s instead of 3 ms).
 *
 * The second client keeps everything else: the per-route limits Discord sends in its headers (an
 * interaction's webhook allows a few requests a second), a global 429 if Discord ever sends one, and the
 * same timeout and retries. Its idle queues, one per interaction token, are dropped within seconds
 * (INTERACTION_REST_HANDLER_SWEEP_MS). It has no token, so it cannot send a request that the bot's token should
 * authorise; those stay on `client.rest` and within the bot's budget.
 */
export class BotClient extends Client {
  readonly interactionRest: REST;

  constructor(options: ClientOptions) {
    super(options);
    this.interactionRest = new REST({ ...this.options.rest, globalRequestsPerSecond: Number.POSITIVE_INFINITY, handlerSweepInterval: INTERACTION_REST_HANDLER_SWEEP_MS });
  }

  override async destroy(): Promise<void> {
    this.interactionRest.clearHashSweeper();
    this.interactionRest.clearHandlerSweeper();
    await super.destroy();
  }
}

/** The REST client for an interaction's token-authorised requests; every client of the bot is a BotClient. */
export function interactionRestOf(client: Client): REST {
  if (!(client instanceof BotClient)) throw new Error('This client was not made by createDiscordClient, so it has no REST client for interaction webhooks.');
  return client.interactionRest;
}
