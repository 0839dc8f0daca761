import { existsSync } from 'node:fs';
import { REST, Routes, type APIApplication } from 'discord.js';
import { commands } from '../../commands/index.js';
import { loadConfig } from '../config.js';
import { createLogger } from '../logger.js';
import { syncCommands } from './command-sync.js';

/**
 * `npm run deploy-commands`: the same comparison the bot makes on start, on demand and without the gateway.
 * It writes only when Discord's commands differ from ours.
 */
async function deploy(): Promise<void> {
  if (existsSync('.env')) process.loadEnvFile('.env');
  const result = loadConfig(process.env);
  if (!result.ok) throw new Error(`Please fix these settings:\n${result.problems.map((p) => `  - ${p}`).join('\n')}`);
  const { config } = result;
  if (!config.DISCORD_TOKEN) throw new Error('DISCORD_TOKEN: is required to register commands with Discord.');
  const log = createLogger(config.LOG_LEVEL);
  const rest = new REST({ api: config.DISCORD_API_URL, timeout: config.DISCORD_REST_TIMEOUT_MS }).setToken(config.DISCORD_TOKEN.reveal());
  const application = (await rest.get(Routes.currentApplication())) as APIApplication;
  const outcome = await syncCommands(rest, application.id, commands, config.DISCORD_GUILD_ID, log);
  process.stdout.write(
    `${outcome.written ? 'Registered' : 'Already up to date:'} ${outcome.count} commands (${outcome.scope}${config.DISCORD_GUILD_ID ? ` ${config.DISCORD_GUILD_ID}` : ''}).\n`,
  );
  log.flush();
}

deploy().catch((error: unknown) => {
  process.stderr.write(`deploy-commands failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
