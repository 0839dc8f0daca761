/**
 * An error whose message is written for the member and is safe to show them as it is (ephemerally).
 * Domain code throws it for expected problems: bad input, missing permission, nothing found.
 */
export class UserFacingError extends Error {
  override readonly name = 'UserFacingError';
}
