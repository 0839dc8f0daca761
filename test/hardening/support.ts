import { isMessageWrite, type Json, type RecordedRequest } from '../../src/local-discord/index.js';

/** The hardening suite's size: 1 in `npm test`; `npm run bench -- --hardening` runs it at 5. */
export const SCALE = Math.max(1, Number(process.env.HARDENING_SCALE ?? '1') || 1);

/** A fixed reflections key (the suite's databases are temporary). */
export const KEY = '5e'.repeat(32);

/** The allowed_mentions a message write carried (interaction callbacks carry it inside `data`, a forum post inside `message`). */
export function allowedMentionsOf(request: RecordedRequest): Json | undefined {
  return payloadOf(request).allowed_mentions as Json | undefined;
}

function payloadOf(request: RecordedRequest): Json {
  const body = (request.body ?? {}) as Json;
  if (request.path.endsWith('/callback')) return (body.data ?? {}) as Json;
  if (isForumPost(request)) return (body.message ?? {}) as Json;
  return body;
}

/** A thread started with a first message (forum and media channels): a message write too. */
function isForumPost(request: RecordedRequest): boolean {
  return request.method === 'POST' && /^\/channels\/[^/]+\/threads$/.test(request.path) && typeof (request.body as Json | undefined)?.message === 'object';
}

function hasCustomId(node: unknown, test: (id: string) => boolean): boolean {
  if (Array.isArray(node)) return node.some((child) => hasCustomId(child, test));
  if (node === null || typeof node !== 'object') return false;
  const record = node as Json;
  if (typeof record.custom_id === 'string' && test(record.custom_id)) return true;
  return hasCustomId(record.components, test) || hasCustomId(record.accessory, test);
}

/** The weekly prompt post: a new channel message carrying the week's Reflect button (`reflect-week:<n>`). */
export function isWeeklyPromptPost(request: RecordedRequest): boolean {
  if (request.method !== 'POST' || request.route !== '/channels/:channel/messages') return false;
  return hasCustomId(payloadOf(request).components, (id) => id.startsWith('reflect-week:'));
}

export interface MentionPolicy {
  /**
   * The roles a weekly prompt post may make pingable: the server's configured ping role (the fuzz also
   * accepts one replaced moments before the post, which may have been read just before the change).
   * Default: none.
   */
  promptPingRoles?: (request: RecordedRequest) => readonly string[];
}

const isEmptyList = (value: unknown): boolean => value === undefined || (Array.isArray(value) && value.length === 0);

/**
 * Every message write that could ping (channel and thread posts, DMs, edits, interaction callbacks,
 * follow-ups and webhook edits, forum posts). Each must carry allowed_mentions that allow nothing:
 * `parse` absent or empty, no users, no roles, no replied_user (so `{}` and `{ parse: [] }` pass; with no
 * allowed_mentions at all Discord parses every mention in the text). The one exception: the weekly prompt
 * post may list exactly one role, and only one `policy.promptPingRoles` names for it.
 */
export function mentionViolations(requests: readonly RecordedRequest[], policy: MentionPolicy = {}): string[] {
  const problems: string[] = [];
  for (const request of requests) {
    if (!isMessageWrite(request) && !isForumPost(request)) continue;
    const mentions = allowedMentionsOf(request);
    const where = `#${request.seq} ${request.method} ${request.route}`;
    if (mentions === undefined || mentions === null || typeof mentions !== 'object' || Array.isArray(mentions)) {
      problems.push(`${where}: allowed_mentions ${JSON.stringify(mentions)}`);
      continue;
    }
    if (!isEmptyList(mentions.parse)) problems.push(`${where}: parse ${JSON.stringify(mentions.parse)}`);
    if (!isEmptyList(mentions.users)) problems.push(`${where}: users ${JSON.stringify(mentions.users)}`);
    if (mentions.replied_user !== undefined && mentions.replied_user !== false) problems.push(`${where}: replied_user ${JSON.stringify(mentions.replied_user)}`);
    if (mentions.roles !== undefined && !Array.isArray(mentions.roles)) {
      problems.push(`${where}: roles ${JSON.stringify(mentions.roles)}`);
      continue;
    }
    const roles = (mentions.roles as unknown[] | undefined) ?? [];
    if (roles.length === 0) continue;
    const allowed = isWeeklyPromptPost(request) ? (policy.promptPingRoles?.(request) ?? []) : [];
    if (roles.length > 1 || !allowed.includes(roles[0] as string)) {
      problems.push(`${where}: roles ${JSON.stringify(roles)} (${isWeeklyPromptPost(request) ? `the weekly post may allow only ${JSON.stringify(allowed)}` : 'only the weekly prompt post may allow a role'})`);
    }
  }
  return problems;
}
