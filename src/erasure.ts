/**
 * Each feature that stores something about a member or a server registers one of these, so that
 * "forget me" and the server purge reach every table without knowing them.
 */
export interface DataEraser {
  /** What it erases, for the member's summary (e.g. "reflections", "/ask usage records"). */
  name: string;
  /** Erases or anonymises everything about one member in one server; returns how many records changed. */
  forgetMember(guildId: string, userId: string): number;
  /** Erases everything about one server; returns how many records were removed. */
  purgeGuild(guildId: string): number;
}
