import { checkCommand, normaliseCommand } from '../commands.js';
import { DiscordHttpError, ERRORS, formError, type Json } from '../model.js';
import type { Register, RequestContext } from '../router.js';
import type { LocalDiscordServer } from '../server.js';
import { guildOr404 } from './guards.js';

const unknownApplication = () => new DiscordHttpError(404, { message: 'Unknown Application', code: 10002 });

/** Application commands, global and per guild: list, bulk overwrite, create, read, edit, delete. */
export function commandRoutes(r: Register, s: LocalDiscordServer): void {
  const normalise = (command: Json, guildId: string | undefined, existing: Json | undefined) => normaliseCommand(command, { application: s.ids.application, newId: s.newId }, guildId, existing);
  for (const scope of ['global', 'guild'] as const) {
    const base = scope === 'global' ? '/applications/:application/commands' : '/applications/:application/guilds/:guild/commands';
    const store = (ctx: RequestContext) => {
      if (ctx.params.application !== s.ids.application) throw unknownApplication();
      if (scope === 'guild') guildOr404(s, ctx.params.guild);
      const key = scope === 'global' ? 'global' : ctx.params.guild!;
      const map = s.commands.get(key) ?? new Map<string, Json>();
      s.commands.set(key, map);
      return { map, guildId: scope === 'guild' ? ctx.params.guild : undefined };
    };
    r('GET', base, (ctx) => [...store(ctx).map.values()]);
    r('PUT', base, (ctx) => {
      const { map, guildId } = store(ctx);
      const list = (Array.isArray(ctx.body) ? ctx.body : []) as Json[];
      if (!Array.isArray(ctx.body)) throw formError('_root', 'LIST_TYPE_CONVERT', 'Must be an array.');
      list.forEach((command, i) => {
        const error = checkCommand(command, String(i));
        if (error) throw error;
      });
      const next = new Map<string, Json>();
      for (const command of list) {
        const existing = [...map.values()].find((c) => c.name === command.name && (c.type ?? 1) === (command.type ?? 1));
        const normalised = normalise(command, guildId, existing);
        next.set(normalised.id as string, normalised);
      }
      map.clear();
      for (const [id, command] of next) map.set(id, command);
      return [...map.values()];
    });
    r('POST', base, (ctx) => {
      const { map, guildId } = store(ctx);
      const error = checkCommand(ctx.body, '_root');
      if (error) throw error;
      const existing = [...map.values()].find((c) => c.name === ctx.body.name && (c.type ?? 1) === (ctx.body.type ?? 1));
      const command = normalise(ctx.body, guildId, existing);
      map.set(command.id as string, command);
      ctx.status = existing ? 200 : 201;
      return command;
    });
    r('GET', `${base}/:command`, (ctx) => store(ctx).map.get(ctx.params.command!) ?? (() => { throw ERRORS.unknownCommand(); })());
    r('PATCH', `${base}/:command`, (ctx) => {
      const { map, guildId } = store(ctx);
      const existing = map.get(ctx.params.command!);
      if (!existing) throw ERRORS.unknownCommand();
      const command = normalise({ ...existing, ...ctx.body }, guildId, existing);
      map.set(command.id as string, command);
      return command;
    });
    r('DELETE', `${base}/:command`, (ctx) => {
      const { map } = store(ctx);
      if (!map.delete(ctx.params.command!)) throw ERRORS.unknownCommand();
      return undefined;
    });
  }
}
