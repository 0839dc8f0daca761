import { Client, GatewayIntentBits } from 'discord.js';
import { answerBench } from '../lib/child-side.js';

/**
 * The floor: a bare discord.js bot that answers every interaction with "pong" (autocomplete with one "pong"
 * choice), through the same local Discord as the real bot. Whatever the real bot costs beyond this is ours.
 * Environment: DISCORD_TOKEN, DISCORD_API_URL (the local Discord's REST base, without /v10).
 */
answerBench();

const client = new Client({
  intents: [GatewayIntentBits.Guilds],
  allowedMentions: { parse: [] },
  rest: { api: process.env.DISCORD_API_URL ?? 'https://discord.com/api' },
});

client.on('interactionCreate', (interaction) => {
  const done = interaction.isAutocomplete()
    ? interaction.respond([{ name: 'pong', value: 'pong' }])
    : interaction.isRepliable()
      ? interaction.reply({ content: 'pong' })
      : Promise.resolve();
  done.catch((error: unknown) => process.stderr.write(`floor bot: ${String(error)}\n`));
});

client.login(process.env.DISCORD_TOKEN).catch((error: unknown) => {
  process.stderr.write(`floor bot could not log in: ${String(error)}\n`);
  process.exit(1);
});
