import { formError } from '../model.js';
import type { Register } from '../router.js';
import type { LocalDiscordServer } from '../server.js';

/** Opening a DM: POST /users/@me/channels { recipient_id } → the DM channel (type 1), the same one each time. */
export function dmRoutes(r: Register, s: LocalDiscordServer): void {
  r('POST', '/users/@me/channels', (ctx) => {
    const recipientId = ctx.body.recipient_id;
    if (typeof recipientId !== 'string' || !/^\d{1,20}$/.test(recipientId)) throw formError('recipient_id', 'BASE_TYPE_REQUIRED', 'This field is required');
    return s.dms.open(recipientId);
  });
}
