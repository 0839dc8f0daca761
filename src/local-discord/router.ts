import type { Json } from './model.js';
import type { RecordedFile } from './recording.js';

/**
 * The route table: `METHOD /template/:param` → handler, matched segment by segment against the decoded
 * path after /api/v10. Handlers return the JSON body (undefined = 204) or throw a DiscordHttpError.
 */

export interface RequestContext {
  method: string;
  params: Record<string, string>;
  query: URLSearchParams;
  body: Json;
  files: RecordedFile[];
  headers: Record<string, string>;
  /** Set by a handler to answer with another status (default 200, or 204 for undefined). */
  status?: number;
}

export type Handler = (ctx: RequestContext) => unknown;

export interface Route {
  method: string;
  template: string;
  parts: string[];
  /** False for routes the interaction token authorises instead of the bot token. */
  auth: boolean;
  handler: Handler;
}

/** Registers a route; `auth = false` for routes that need no bot token. */
export type Register = (method: string, template: string, handler: Handler, auth?: boolean) => void;

export class Router {
  private readonly routes: Route[] = [];

  readonly add: Register = (method, template, handler, auth = true) => {
    this.routes.push({ method, template, parts: template.split('/'), auth, handler });
  };

  match(method: string, path: string): { route: Route; params: Record<string, string> } | undefined {
    const parts = path.split('/');
    for (const route of this.routes) {
      if (route.method !== method || route.parts.length !== parts.length) continue;
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < parts.length && ok; i += 1) {
        const want = route.parts[i]!;
        const got = parts[i]!;
        if (want.startsWith(':')) params[want.slice(1)] = got;
        else ok = want === got;
      }
      if (ok) return { route, params };
    }
    return undefined;
  }

  /** The template a path matches (the path itself when no route does), for RecordedRequest.route. */
  templateFor(method: string, path: string): string {
    return this.match(method, path)?.route.template ?? path;
  }
}
