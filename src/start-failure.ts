/**
 * Turns an error that stopped the bot from starting into one line an operator can act on. The common
 * causes are a token Discord refuses and an API address that cannot be reached; the others (an invalid
 * dataset, a wrong reflections key, a database from a newer release) already carry a message written for
 * the operator.
 */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

function codeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const own = (error as { code?: unknown }).code;
  if (typeof own === 'string') return own;
  return codeOf((error as { cause?: unknown }).cause);
}

export function explainStartFailure(error: unknown, apiUrl: string): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = codeOf(error);
  if (code === 'TokenInvalid' || (error instanceof Error && error.name.includes('DiscordAPIError') && /401/.test(message))) {
    return 'Discord did not accept DISCORD_TOKEN. Reset the token in the developer portal (Bot → Reset Token) and put the new one in .env.';
  }
  if ((code !== undefined && NETWORK_CODES.has(code)) || (error instanceof Error && error.name === 'AbortError')) {
    return `Could not reach Discord's API at ${apiUrl} (${code ?? 'timed out'}). Check the network and DISCORD_API_URL, then start the bot again.`;
  }
  return message;
}
