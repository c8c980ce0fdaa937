/** A small history router: the path is the state; pages can block leaving (unsaved changes). */
import { useEffect, useState } from 'react';

type Blocker = () => Promise<boolean>;
let blocker: Blocker | null = null;
const subscribers = new Set<() => void>();

export function setLeaveGuard(b: Blocker | null) {
  blocker = b;
}

export async function navigate(to: string, opts: { replace?: boolean; force?: boolean } = {}) {
  if (!opts.force && blocker && !(await blocker())) return;
  blocker = null;
  if (opts.replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  subscribers.forEach((fn) => fn());
  window.scrollTo(0, 0);
}

let lastPath = location.pathname + location.search;
window.addEventListener('popstate', async () => {
  if (blocker && !(await blocker())) {
    history.pushState(null, '', lastPath);
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
  lastPath = location.pathname + location.search;
  return { path: location.pathname, search: new URLSearchParams(location.search) };
}

/** Matches '/records/:form/:id' against a path; null when it does not match. */
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

export function Link(props: { to: string; children: React.ReactNode; className?: string }) {
  return (
    <a
      href={props.to}
      className={props.className}
      onClick={(e) => {
        if (e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
        e.preventDefault();
        void navigate(props.to);
      }}
    >
      {props.children}
    </a>
  );
}
