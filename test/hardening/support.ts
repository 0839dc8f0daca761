import { isMessageWrite, type Json, type RecordedRequest } from '../../src/local-discord/index.js';

/** The hardening suite's size: 1 in `npm test`; `npm run bench -- --hardening` runs it at 5. */
export const SCALE = Math.max(1, Number(process.env.HARDENING_SCALE ?? '1') || 1);

/** A fixed reflections key (the suite's databases are temporary). */
export const KEY = '5e'.repeat(32);

/** The allowed_mentions a message write carried (interaction callbacks carry it inside `data`). */
export function allowedMentionsOf(request: RecordedRequest): Json | undefined {
  const body = (request.body ?? {}) as Json;
  const payload = request.path.endsWith('/callback') ? ((body.data ?? {}) as Json) : body;
  return payload.allowed_mentions as Json | undefined;
}

/**
 * Every message write that could ping: no allowed_mentions at all (Discord then parses every mention),
 * a non-empty `parse`, any user, or a role anywhere but a channel post (the weekly prompt may allow its
 * one ping role; nothing else may allow a role).
 */
export function mentionViolations(requests: readonly RecordedRequest[]): string[] {
  const problems: string[] = [];
  for (const request of requests) {
    if (!isMessageWrite(request)) continue;
    const mentions = allowedMentionsOf(request);
    const where = `${request.method} ${request.route}`;
    if (!mentions) {
      problems.push(`${where}: no allowed_mentions`);
      continue;
    }
    if (!Array.isArray(mentions.parse) || mentions.parse.length > 0) problems.push(`${where}: parse ${JSON.stringify(mentions.parse)}`);
    if (Array.isArray(mentions.users) && mentions.users.length > 0) problems.push(`${where}: users ${JSON.stringify(mentions.users)}`);
    const roles = Array.isArray(mentions.roles) ? (mentions.roles as unknown[]) : [];
    const channelPost = request.method === 'POST' && request.route === '/channels/:channel/messages';
    if (roles.length > 0 && !(channelPost && roles.length === 1)) problems.push(`${where}: roles ${JSON.stringify(roles)}`);
    if (mentions.replied_user === true) problems.push(`${where}: replied_user`);
  }
  return problems;
}
