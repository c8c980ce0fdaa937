/**
 * The routes an express application really serves: its router stack walked recursively, with
 * the mount path each nested router was created with. A mount this walk cannot read fails
 * loudly rather than hiding routes. Used by the route-guard and OpenAPI-coverage tests.
 */
export interface RouteInfo {
  method: string;
  /** The full path pattern (`/api/records/:form/:id`) or a regular expression (UI fallbacks). */
  pattern: string | RegExp;
}

export const joinPath = (a: string, b: string) => (a.replace(/\/+$/, '') + (b === '/' ? '' : b)) || '/';

/** Every route of a router stack, with the mount paths of the routers it sits in. */
export function enumerateRoutes(stack: any[], prefix = ''): RouteInfo[] {
  const out: RouteInfo[] = [];
  for (const layer of stack) {
    if (layer.route) {
      const paths = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
      const methods = Object.keys(layer.route.methods).map((m) => (m === '_all' ? 'ALL' : m.toUpperCase()));
      for (const p of paths) {
        for (const method of methods) {
          if (p instanceof RegExp) {
            if (prefix) throw new Error(`a regular-expression route under ${prefix}: teach the route walk about it`);
            out.push({ method, pattern: p });
          } else {
            out.push({ method, pattern: joinPath(prefix, String(p)) });
          }
        }
      }
    } else if (Array.isArray(layer.handle?.stack)) {
      const mount = layer.rawPath;
      if (typeof mount !== 'string') throw new Error(`a router mounted at ${String(mount)}: teach the route walk to read that mount path`);
      out.push(...enumerateRoutes(layer.handle.stack, joinPath(prefix, mount)));
    }
  }
  return out;
}
