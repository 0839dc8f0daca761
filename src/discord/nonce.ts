import { createHash } from 'node:crypto';

/**
 * A message nonce (at most 25 characters, as Discord takes it) that is the same every time for the same parts.
 * Sent with `enforceNonce`, it makes a message the REST client re-sends after a timeout (the first try had
 * landed) come back as the one already posted instead of a second copy.
 */
export function nonceOf(...parts: readonly (string | number)[]): string {
  return createHash('sha256').update(parts.join(':')).digest('base64url').slice(0, 25);
}
