/** The HTTP client: bearer token from sessionStorage, the API's error model as ApiError. */
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

function headers(extra: Record<string, string> = {}): Record<string, string> {
  const h: Record<string, string> = { 'Accept-Language': i18n.language || 'zh-CN', ...extra };
  const t = session.token();
  if (t) h.Authorization = `Bearer ${t}`;
  return h;
}

export async function raw(method: string, path: string, body?: unknown): Promise<Response> {
  const res = await fetch(path, {
    method,
    headers: headers(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
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
  return res;
}

export async function api<T = any>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await raw(method, path, body);
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

export const get = <T = any>(path: string) => api<T>('GET', path);

export function qs(params: Record<string, unknown>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '') continue;
    u.set(k, typeof v === 'string' ? v : JSON.stringify(v));
  }
  const s = u.toString();
  return s ? `?${s}` : '';
}

/** Downloads a file the API streams (with the bearer token) under the name the server gives. */
export async function download(path: string, fallbackName: string): Promise<void> {
  const res = await raw('GET', path);
  const blob = await res.blob();
  const cd = res.headers.get('content-disposition') ?? '';
  const m = /filename\*=UTF-8''([^;]+)/i.exec(cd) ?? /filename="?([^";]+)"?/i.exec(cd);
  const name = m ? decodeURIComponent(m[1]!) : fallbackName;
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** Fetches an HTML page with the token and opens it in a new window through a blob URL. */
export async function openHtml(path: string): Promise<void> {
  const win = window.open('', '_blank');
  const res = await raw('GET', path);
  const blob = new Blob([await res.text()], { type: 'text/html' });
  const url = URL.createObjectURL(blob);
  if (win) win.location.href = url;
  else window.location.href = url;
  setTimeout(() => URL.revokeObjectURL(url), 120_000);
}

/** Sends a file as the request body (imports). */
export async function upload<T = any>(path: string, file: Blob): Promise<T> {
  const res = await fetch(path, { method: 'POST', headers: headers({ 'Content-Type': file.type || 'application/octet-stream' }), body: file });
  if (!res.ok) {
    let err: any = null;
    try {
      err = (await res.json())?.error;
    } catch {
      /* not JSON */
    }
    if (res.status === 401) listeners.forEach((fn) => fn());
    throw new ApiError(res.status, err?.code ?? 'internal', err?.message ?? res.statusText, err?.fields, err?.details);
  }
  return (await res.json()) as T;
}
