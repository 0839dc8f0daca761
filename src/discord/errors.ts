import { DiscordAPIError, RESTJSONErrorCodes } from 'discord.js';
import { maskTokens } from '../logger.js';

/** Discord error codes that mean "this interaction can no longer be answered": logged, never retried. */
const EXPIRED_INTERACTION_CODES = new Set<number>([
  RESTJSONErrorCodes.UnknownInteraction, // 10062: answered after 3 s, or by another process
  RESTJSONErrorCodes.InteractionHasAlreadyBeenAcknowledged, // 40060
  RESTJSONErrorCodes.InvalidWebhookToken, // 50027: the 15-minute token ran out
]);

export function discordErrorCode(error: unknown): number | undefined {
  return error instanceof DiscordAPIError && typeof error.code === 'number' ? error.code : undefined;
}

export function isExpiredInteraction(error: unknown): boolean {
  const code = discordErrorCode(error);
  return code !== undefined && EXPIRED_INTERACTION_CODES.has(code);
}

/** A message or thread that no longer exists: not an error for the member. */
export function isGone(error: unknown): boolean {
  const code = discordErrorCode(error);
  return (
    code === RESTJSONErrorCodes.UnknownMessage ||
    code === RESTJSONErrorCodes.UnknownChannel ||
    code === RESTJSONErrorCodes.UnknownWebhook
  );
}

export function isMissingPermissions(error: unknown): boolean {
  const code = discordErrorCode(error);
  return code === RESTJSONErrorCodes.MissingPermissions || code === RESTJSONErrorCodes.MissingAccess;
}

/** Structured fields for the log line of a Discord error. */
export function describeDiscordError(error: unknown): Record<string, unknown> {
  if (error instanceof DiscordAPIError) {
    return { code: error.code, status: error.status, method: error.method, url: maskTokens(error.url) };
  }
  return {};
}
