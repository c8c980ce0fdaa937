/**
 * A typed client for a Formwork engine: openapi-fetch over the types openapi-typescript generated
 * from the engine's own OpenAPI document (`node examples/api-client/generate.mjs`, which writes
 * `types.ts` beside this file). Paths, bodies, query parameters and answers are all checked by
 * the compiler: a misspelled field, a wrong option key or a form the engine does not publish is
 * a type error, not a 400 at run time.
 */
import createClient, { type Middleware } from 'openapi-fetch';
import type { components, paths } from './types.js';

export type Schemas = components['schemas'];
export type FormworkClient = ReturnType<typeof createClient<paths>>;

/** The `{"error": {"code", "message", "fields"?}}` of every failed call, thrown as an Error. */
export class FormworkError extends Error {
  constructor(readonly status: number, readonly body: unknown) {
    const e = (body as { error?: { code?: string; message?: string } } | undefined)?.error;
    super(`${status} ${e?.code ?? ''}: ${e?.message ?? JSON.stringify(body)}`);
  }
}

/** A client for `baseUrl` (e.g. `http://127.0.0.1:3000`), sending `token` when one is set. */
export function formworkClient(baseUrl: string, opts: { token?: string; language?: 'zh-CN' | 'en' } = {}) {
  let token = opts.token;
  const client = createClient<paths>({ baseUrl });
  const auth: Middleware = {
    onRequest({ request }) {
      if (token) request.headers.set('authorization', `Bearer ${token}`);
      if (opts.language) request.headers.set('accept-language', opts.language);
      return request;
    },
  };
  client.use(auth);
  return {
    /** The openapi-fetch client itself, for any endpoint: `api.GET('/api/tasks', …)`. */
    api: client,
    /** Sign in; later calls carry the token. */
    async login(username: string, password: string): Promise<Schemas['LoginResponse']> {
      const { data, error, response } = await client.POST('/api/auth/login', { body: { username, password } });
      if (!data) throw new FormworkError(response.status, error);
      token = data.token;
      return data;
    },
    get token() {
      return token;
    },
  };
}

/** Unwrap an openapi-fetch answer: the data, or a FormworkError. */
export function ok<T>(r: { data?: T; error?: unknown; response: Response }): T {
  if (r.data === undefined) throw new FormworkError(r.response.status, r.error);
  return r.data;
}
