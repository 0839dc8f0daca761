import { expect } from 'vitest';
import type { LocalDiscord } from '../../src/local-discord/index.js';

/**
 * Every message the bot created or edited on this local Discord allowed no mention to ping (`parse: []`).
 * Modals and deferred updates (callback types 9 and 6) carry no message, so nothing to check.
 */
export function expectNoWriteCouldPing(discord: LocalDiscord, atLeast: number): void {
  const writes = discord.messageWrites().filter((r) => r.status < 400);
  expect(writes.length).toBeGreaterThan(atLeast);
  for (const write of writes) {
    const body = write.body as { type?: number; allowed_mentions?: { parse?: string[] }; data?: { allowed_mentions?: { parse?: string[] } } } | undefined;
    if (body?.type === 9 || body?.type === 6) continue;
    const allowed = body?.allowed_mentions ?? body?.data?.allowed_mentions;
    expect(allowed?.parse, `${write.method} ${write.path}`).toEqual([]);
  }
}
