/**
 * The HTTP client: the bearer token in sessionStorage (the same keys as runtime-ui, so one
 * sign-in serves both apps in a tab), the API's error model as ApiError — shown, never swallowed.
 */
import i18n from './i18n';

const TOKEN_KEY = 'formwork.token';
const USER_KEY = 'formwork.user';

export interface SessionUser { id: number; username: string; displayName: string; roles: string[] }

export const session = {
  token: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  user: (): SessionUser | null => {
    const raw = sessionStorage.getItem(USER_KEY);
    return raw ? (JSON.parse(raw) as SessionUser) : null;
  },
  set(token: string, user: SessionUser) {
    sessionStorage.setItem(TOKEN_KEY, token);
    sessionStorage.setItem(USER_KEY, JSON.stringify(user));
  },
  clear() {
    sessionStorage.removeItem(TOKEN_KEY);
    sessionStorage.removeItem(USER_KEY);
  },
};

/** An error answer: `error.code`, `error.message`, `error.fields` (JSON Pointer → messages), `error.details`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields?: Record<string, string[]>,
    readonly details?: any,
  ) {
    super(message);
  }
}

const listeners = new Set<() => void>();
/** Called when the server says the session is gone (401). */
export function onUnauthenticated(fn: () => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export async function api<T = any>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { 'Accept-Language': i18n.language || 'zh-CN' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const t = session.token();
  if (t) headers.Authorization = `Bearer ${t}`;
  const res = await fetch(path, { method, headers, body: body !== undefined ? JSON.stringify(body) : undefined });
  if (!res.ok) {
    let err: any = null;
    try {
      err = (await res.json())?.error;
    } catch {
      /* not JSON */
    }
    if (res.status === 401 && !path.startsWith('/api/auth/login')) listeners.forEach((fn) => fn());
    throw new ApiError(res.status, err?.code ?? 'internal', err?.message ?? res.statusText, err?.fields, err?.details);
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

export const get = <T = any>(path: string) => api<T>('GET', path);

/** The text to show for any thrown thing: the server's message (with its code) or the error's own. */
export function errorText(e: unknown): string {
  if (e instanceof ApiError) return `${e.message} (${e.code})`;
  return e instanceof Error ? e.message : String(e);
}
