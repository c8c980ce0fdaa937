/** Uploading to and reading from /api/files with the session's token (engine/src/http/files-router.ts). */
import i18n from '../i18n';
import { ApiError, session } from '../api';

/** A file as an attachment or image field holds it. */
export interface FileRef { id: string; name: string; size: number; mime: string; url: string }

function authHeaders(extra: Record<string, string> = {}): Record<string, string> {
  const h: Record<string, string> = { 'Accept-Language': i18n.language || 'zh-CN', ...extra };
  const t = session.token();
  if (t) h.Authorization = `Bearer ${t}`;
  return h;
}

async function fail(res: Response): Promise<never> {
  let err: any = null;
  try {
    err = (await res.json())?.error;
  } catch {
    /* not JSON */
  }
  throw new ApiError(res.status, err?.code ?? 'internal', err?.message ?? res.statusText, err?.fields, err?.details);
}

/** Uploads a file for a form's field; the server's ref, or an ApiError with the server's message. */
export async function uploadFile(form: string, field: string, file: File): Promise<FileRef> {
  const res = await fetch(`/api/files?form=${encodeURIComponent(form)}&field=${encodeURIComponent(field)}`, {
    method: 'POST',
    headers: authHeaders({ 'Content-Type': file.type || 'application/octet-stream', 'X-File-Name': encodeURIComponent(file.name) }),
    body: file,
  });
  if (!res.ok) await fail(res);
  return (await res.json()) as FileRef;
}

/** The message to show for a refused upload: the field's message when there is one. */
export function uploadError(e: unknown, field: string): string {
  if (e instanceof ApiError) return e.fields?.[field]?.[0] ?? e.message;
  return e instanceof Error ? e.message : String(e);
}

const blobUrls = new Map<string, Promise<string>>();

/** A blob: URL of a stored file (the API needs the bearer token, an <img src> cannot send it). Cached for the page's life. */
export function fileBlobUrl(url: string): Promise<string> {
  let p = blobUrls.get(url);
  if (!p) {
    p = fetch(url, { headers: authHeaders() }).then(async (res) => {
      if (!res.ok) await fail(res);
      return URL.createObjectURL(await res.blob());
    });
    p.catch(() => blobUrls.delete(url));
    blobUrls.set(url, p);
  }
  return p;
}
