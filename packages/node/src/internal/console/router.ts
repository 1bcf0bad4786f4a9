/** The console's router: exact paths, one handler per method, and who may call it. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Session } from './sessions.js';

/**
 * `public`: no session (login, static files). `session`: a console session or the admin token.
 * `write`: as `session`, and a session must also present its CSRF token.
 */
export type Access = 'public' | 'session' | 'write';

export interface ConsoleRequest {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly url: URL;
  /** The caller's session; undefined on public routes and for admin-token callers. */
  readonly session: Session | undefined;
}

export type Handler = (request: ConsoleRequest) => Promise<void> | void;

export interface Route {
  readonly name: string;
  readonly access: Access;
  readonly handler: Handler;
}

export type RouteMatch = { readonly route: Route } | { readonly allowed: readonly string[] } | undefined;

export class Router {
  private readonly routes = new Map<string, Map<string, Route>>();
  private readonly prefixes: Array<{ prefix: string; method: string; route: Route }> = [];

  add(method: 'GET' | 'POST', path: string, route: Route): this {
    let methods = this.routes.get(path);
    if (methods === undefined) this.routes.set(path, (methods = new Map()));
    methods.set(method, route);
    return this;
  }

  /** Every path under `prefix` (static files). */
  addPrefix(method: 'GET', prefix: string, route: Route): this {
    this.prefixes.push({ prefix, method, route });
    return this;
  }

  /** The route for method and path; `allowed` when only the method is wrong; undefined for an unknown path. */
  match(method: string, path: string): RouteMatch {
    const methods = this.routes.get(path);
    if (methods !== undefined) {
      const route = methods.get(method === 'HEAD' ? 'GET' : method);
      return route === undefined ? { allowed: [...methods.keys()] } : { route };
    }
    for (const entry of this.prefixes) {
      if (path.startsWith(entry.prefix)) return method === entry.method || (method === 'HEAD' && entry.method === 'GET') ? { route: entry.route } : { allowed: [entry.method] };
    }
    return undefined;
  }
}
