/**
 * Every route is guarded. The routes are read from the express application that serves the
 * requests (its router stack, recursively through nested routers, with the mount paths each
 * layer was created with), so a route added later is checked without anyone listing it here:
 *
 *   - without a token every route answers 401, except an explicit list of public ones;
 *   - with the token of a user without roles every route answers 401, 403 or 404 (never 2xx),
 *     except an explicit list of what every signed-in user may do.
 *
 * Path parameters are replaced by sample values that exist (a published form, a record, a
 * department), so the answer is the permission check's and not a "no such thing".
 */
import type { Express } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../helpers/db.js';
import { testEngine, startServer, type TestEngine, type TestServer } from '../helpers/engine.js';
import { enumerateRoutes, type RouteInfo } from '../helpers/routes.js';


const SAMPLES: Record<string, string> = { form: 'customer', id: '1', kind: 'forms', key: 'customer', revision: '1' };

/** A concrete URL for a route: parameters replaced by sample values, optional parts dropped. */
function sampleUrl(r: RouteInfo): string {
  if (r.pattern instanceof RegExp) {
    const candidates = ['/', '/designer', '/designer/forms/customer', '/records/customer', '/some/page'];
    const hit = candidates.find((c) => (r.pattern as RegExp).test(c));
    if (!hit) throw new Error(`no sample path for ${r.pattern}`);
    return hit;
  }
  return r.pattern
    .replace(/\{[^{}]*\}/g, '')
    .replace(/[:*]([A-Za-z_][A-Za-z0-9_]*)/g, (_m, name: string) => SAMPLES[name] ?? '1');
}

const keyOf = (r: RouteInfo) => `${r.method} ${r.pattern instanceof RegExp ? 'REGEX ' + r.pattern.source : r.pattern}`;
const isUiRoute = (r: RouteInfo) => r.method === 'GET' && (r.pattern instanceof RegExp || !String(r.pattern).startsWith('/api'));

/** Routes anyone may call without a token. */
const PUBLIC = new Set([
  'GET /api/health', 'POST /api/auth/login', 'GET /api/openapi.json',
  // public form links (no login; an unknown link is not_found): engine/test/http/public-forms.test.ts
  'GET /api/public/forms/:slug', 'POST /api/public/forms/:slug',
]);

type Check = (res: { status: number; body: any }) => void;
/** What a signed-in user without any role may do (and what it must answer). */
const ANY_SIGNED_IN: Record<string, Check> = {
  'GET /api/health': (r) => expect(r.status).toBe(200),
  'POST /api/auth/login': (r) => expect(r.status).toBe(401), // a sample body is no credential
  'GET /api/auth/me': (r) => expect(r).toMatchObject({ status: 200, body: { username: 'nobody', roles: [] } }),
  'GET /api/departments': (r) => expect(r.status).toBe(200),
  'GET /api/openapi.json': (r) => {
    expect(r.status).toBe(200);
    expect(JSON.stringify(r.body.paths)).not.toContain('/api/records/customer');
  },
  'GET /api/meta/:kind': (r) => expect(r).toMatchObject({ status: 200, body: [] }), // forms: none readable
  // the caller's own work list and notifications (empty for this user)
  'GET /api/tasks': (r) => expect(r).toMatchObject({ status: 200, body: { items: [] } }),
  'GET /api/notifications': (r) => expect(r).toMatchObject({ status: 200, body: { items: [] } }),
  'POST /api/notifications/read-all': (r) => expect(r.status).toBeLessThan(300),
  // the caller's own imports (none)
  'GET /api/imports': (r) => expect(r).toMatchObject({ status: 200, body: { items: [] } }),
  // the reports and dashboards the caller may run (none: they read no form)
  'GET /api/reports': (r) => expect(r).toMatchObject({ status: 200, body: { items: [] } }),
  'GET /api/dashboards': (r) => expect(r).toMatchObject({ status: 200, body: { items: [] } }),
  // the caller's own saved list views (none); saving one needs a form they may read (the sample body names none)
  'GET /api/views': (r) => expect(r).toMatchObject({ status: 200, body: { items: [] } }),
  'POST /api/views': (r) => expect(r.status).toBe(422),
  // colleagues' names (no usernames, addresses or roles), to pick whom to hand a task to
  'GET /api/directory': (r) => {
    expect(r.status).toBe(200);
    expect(Object.keys(r.body.items[0]).sort()).toEqual(['department', 'departmentName', 'displayName', 'id']);
  },
};

/** A body that passes the usual shape checks, so the answer is the permission check's. */
function body(method: string) {
  return ['POST', 'PUT', 'PATCH', 'ALL'].includes(method) ? { _version: 1, action: 'approve' } : undefined;
}

describe.each(DIALECTS)('route guard on %s', (dialect) => {
  let t: TestEngine;
  let s: TestServer;
  let routes: RouteInfo[];
  let nobody: string;

  beforeAll(async () => {
    t = await testEngine(dialect);
    s = await startServer(t.engine);
    const form = { key: 'customer', label: 'Customer', fields: [{ key: 'name', type: 'text', label: 'Name' }] };
    expect((await s.api('/api/meta/forms/customer', { method: 'PUT', body: form })).status).toBe(200);
    expect((await s.api('/api/meta/forms/customer/publish', { method: 'POST', body: {} })).status).toBe(200);
    expect((await s.api('/api/records/customer', { body: { name: 'A' } })).body.id).toBe(1);
    expect((await s.api('/api/departments', { body: { name: 'Sales' } })).body.id).toBe(1);
    expect((await s.api('/api/users', { body: { username: 'nobody', password: 'nobody-password-1', roles: [] } })).status).toBe(201);
    nobody = (await s.api('/api/auth/login', { body: { username: 'nobody', password: 'nobody-password-1' }, token: null })).body.token;
    // The application that really serves the requests.
    const app = s.server.listeners('request')[0] as unknown as Express;
    routes = enumerateRoutes((app as any).router.stack);
  });
  afterAll(async () => {
    await s?.close();
    await t?.drop();
  });

  it('finds the mounted routes', () => {
    expect(routes.length).toBeGreaterThanOrEqual(25);
    const keys = routes.map(keyOf);
    for (const k of ['GET /api/health', 'POST /api/auth/login', 'GET /api/users', 'POST /api/tokens', 'DELETE /api/tokens/:id', 'GET /api/audit/security', 'PATCH /api/records/:form/:id', 'POST /api/meta/:kind/:key/publish', 'DELETE /api/departments/:id']) {
      expect(keys).toContain(k);
    }
    // every allow-list entry is a real route (a stale entry would hide nothing, but mislead)
    for (const k of [...PUBLIC, ...Object.keys(ANY_SIGNED_IN)]) expect(keys).toContain(k);
  });

  it('answers 401 without a token, except on the public routes', async () => {
    const wrong: string[] = [];
    for (const r of routes) {
      if (PUBLIC.has(keyOf(r)) || isUiRoute(r)) continue;
      for (const method of r.method === 'ALL' ? ['GET', 'POST'] : [r.method]) {
        const url = sampleUrl(r);
        const res = await s.api(url, { method, body: body(method), token: null });
        if (res.status !== 401 || res.body?.error?.code !== 'unauthenticated') wrong.push(`${method} ${url} (${keyOf(r)}) → ${res.status}`);
      }
    }
    expect(wrong).toEqual([]);
    // the public ones and the UI pages really are public
    for (const r of routes.filter((x) => isUiRoute(x) || ['GET /api/health', 'GET /api/openapi.json'].includes(keyOf(x)))) {
      const url = sampleUrl(r);
      const res = await fetch(s.url + url);
      expect({ url, status: res.status }).toEqual({ url, status: 200 });
    }
    expect((await fetch(s.url + '/api/docs')).status).toBe(200);
    // an unknown path under /api is not an oracle either
    expect((await s.api('/api/no/such/route', { token: null })).status).toBe(401);
  });

  it('never answers 2xx to a user without roles, except on the routes every signed-in user has', async () => {
    const wrong: string[] = [];
    for (const r of routes) {
      const key = keyOf(r);
      if (isUiRoute(r) || key === 'POST /api/auth/logout') continue; // logout last, below
      for (const method of r.method === 'ALL' ? ['GET', 'POST'] : [r.method]) {
        const url = sampleUrl(r);
        const res = await s.api(url, { method, body: body(method), token: nobody });
        const check = ANY_SIGNED_IN[key];
        if (check) {
          try {
            check(res);
          } catch (e) {
            wrong.push(`${method} ${url} (${key}) → ${res.status}: ${(e as Error).message.split('\n')[0]}`);
          }
        } else if (![401, 403, 404].includes(res.status)) {
          wrong.push(`${method} ${url} (${key}) → ${res.status}`);
        }
      }
    }
    expect(wrong).toEqual([]);
    // the token was good all along (a revoked token would have made every answer 401)
    expect((await s.api('/api/auth/me', { token: nobody })).status).toBe(200);
    expect((await s.api('/api/auth/logout', { method: 'POST', token: nobody })).status).toBe(204);
    expect((await s.api('/api/auth/me', { token: nobody })).status).toBe(401);
  });

  it('an unguarded route added to the app would be caught', async () => {
    // The same enumeration over a router with one route too many finds it.
    const { Router } = await import('express');
    const extra = Router();
    extra.get('/leak/:id', (_req, res) => res.json({ leaked: true }));
    const found = enumerateRoutes([{ handle: extra, rawPath: '/api' }]);
    expect(found.map(keyOf)).toEqual(['GET /api/leak/:id']);
    expect(sampleUrl(found[0]!)).toBe('/api/leak/1');
  });
});
