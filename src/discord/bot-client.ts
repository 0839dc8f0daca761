import { Client, REST, type ClientOptions } from 'discord.js';

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
 * same timeout and retries. It has no token, so it cannot send a request that the bot's token should
 * authorise; those stay on `client.rest` and within the bot's budget.
 */
export class BotClient extends Client {
  readonly interactionRest: REST;

  constructor(options: ClientOptions) {
    super(options);
    this.interactionRest = new REST({ ...this.options.rest, globalRequestsPerSecond: Number.POSITIVE_INFINITY });
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
