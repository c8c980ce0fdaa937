/**
 * A small history router under the app's base (/designer): the path is the state; a page can
 * block leaving (unsaved changes).
 */
import { useEffect, useState } from 'react';

export const BASE = '/designer';

type Blocker = () => Promise<boolean>;
let blocker: Blocker | null = null;
const subscribers = new Set<() => void>();

export function setLeaveGuard(b: Blocker | null) {
  blocker = b;
}

/** `to` is an app path ('/forms/customer'); the base is added here. */
export async function navigate(to: string, opts: { replace?: boolean; force?: boolean } = {}) {
  if (!opts.force && blocker && !(await blocker())) return;
  blocker = null;
  const url = BASE + (to === '/' ? '/' : to);
  if (opts.replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  subscribers.forEach((fn) => fn());
}

const appPath = () => {
  const p = location.pathname.startsWith(BASE) ? location.pathname.slice(BASE.length) : location.pathname;
  return p === '' ? '/' : p;
};

let lastUrl = location.pathname + location.search;
window.addEventListener('popstate', async () => {
  if (blocker && !(await blocker())) {
    history.pushState(null, '', lastUrl);
    return;
  }
  blocker = null;
  subscribers.forEach((fn) => fn());
});

export function useLocation(): { path: string; search: URLSearchParams } {
  const [, set] = useState(0);
  useEffect(() => {
    const fn = () => set((n) => n + 1);
    subscribers.add(fn);
    return () => void subscribers.delete(fn);
  }, []);
  lastUrl = location.pathname + location.search;
  return { path: appPath(), search: new URLSearchParams(location.search) };
}

/** Matches '/forms/:key' against a path; null when it does not match. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const p = pattern.split('/').filter(Boolean);
  const s = path.split('/').filter(Boolean);
  if (p.length !== s.length) return null;
  const out: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    if (p[i]!.startsWith(':')) out[p[i]!.slice(1)] = decodeURIComponent(s[i]!);
    else if (p[i] !== s[i]) return null;
  }
  return out;
}
