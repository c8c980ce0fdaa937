/**
 * The OpenAPI document describes exactly the API the server serves.
 *
 * The routes are read from the express application that serves the requests (the same
 * enumeration as routes-guard.test.ts: its router stack, recursively through nested routers,
 * with the mount paths each layer was created with), and compared with the paths of
 * /api/openapi.json as the administrator receives it, both ways:
 *
 *   - a route without documentation fails (a client could not know it);
 *   - documentation without a route fails (a client generated from the document would call a
 *     404): API.md endpoints that are not served yet stay out of the document (openapi.ts
 *     `PLANNED`) until the issue that brings them mounts their routes.
 *
 * Not compared: the UI routes (the static apps and their client-side fallbacks) and the docs
 * page's assets. The docs page itself (`GET /api/docs`) is served by a middleware, which the
 * enumeration cannot see: it is listed in MIDDLEWARE_PAGES and fetched instead.
 */
import type { Express } from 'express';
import express from 'express';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLANNED, buildOpenApi, type OpenApiDocument, type PathGroup } from '../../src/http/openapi.js';
import { DIALECTS } from '../helpers/db.js';
import { publishForm, startServer, testEngine, type TestEngine, type TestServer } from '../helpers/engine.js';
import { enumerateRoutes, type RouteInfo } from '../helpers/routes.js';

/* eslint-disable @typescript-eslint/no-explicit-any */

// ajv-formats is CommonJS; its default export arrives as the module object under NodeNext.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv2020) => Ajv2020;


const isUiRoute = (r: RouteInfo) => r.pattern instanceof RegExp || !r.pattern.startsWith('/api/');

/** Pages under /api served by a middleware (docs.ts), not by a route. */
const MIDDLEWARE_PAGES = ['GET /api/docs'];

/** `METHOD /api/path/{param}` for every served API route. */
function servedOperations(routes: RouteInfo[]): string[] {
  const out = new Set<string>(MIDDLEWARE_PAGES);
  for (const r of routes) {
    if (isUiRoute(r)) continue;
    if (r.method === 'ALL') throw new Error(`app.all on ${String(r.pattern)}: document its methods and teach this test which`);
    out.add(`${r.method} ${(r.pattern as string).replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}')}`);
  }
  return [...out].sort();
}

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];

/**
 * `METHOD /api/path/{param}` for every documented operation. A form's own paths
 * (`/api/records/customer/{id}`, one set per published form) are served by the generic
 * `{form}` routes: they count as those, and each form must have exactly the generic set.
 */
function documentedOperations(doc: OpenApiDocument): string[] {
  const formKeys: string[] = (doc.components.parameters.FormKey as any)?.schema?.enum ?? [];
  const generic = new Set<string>();
  const perForm = new Map<string, Set<string>>(formKeys.map((k) => [k, new Set<string>()]));
  for (const [p, item] of Object.entries(doc.paths)) {
    const m = /^\/api\/records\/([^/{}]+)(\/.*)?$/.exec(p);
    const form = m && perForm.has(m[1]!) ? m[1]! : null;
    const template = form ? `/api/records/{form}${m![2] ?? ''}` : p;
    for (const method of HTTP_METHODS) {
      if (!(item as Record<string, unknown>)[method]) continue;
      const key = `${method.toUpperCase()} ${template}`;
      if (form) perForm.get(form)!.add(key);
      else generic.add(key);
    }
  }
  const genericRecords = [...generic].filter((k) => k.includes(' /api/records/{form}')).sort();
  for (const [form, ops] of perForm) expect([...ops].sort(), `the paths of form ${form}`).toEqual(genericRecords);
  return [...generic].sort();
}

/** What the document lacks and what it has too much, compared with the served routes. */
function compare(served: string[], documented: string[]) {
  return {
    undocumented: served.filter((k) => !documented.includes(k)),
    unserved: documented.filter((k) => !served.includes(k)),
  };
}

/**
 * A checker of real responses against the document: the status must be one the operation
 * documents, and the body must match that response's schema (ajv, JSON Schema 2020-12).
 */
function conformance(doc: OpenApiDocument) {
  const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: true });
  addFormats(ajv);
  ajv.addKeyword('x-formwork-type');
  ajv.addKeyword('components');
  ajv.addSchema({ $id: 'https://formwork.test/openapi.json', components: { schemas: doc.components.schemas } } as any);
  const compiled = new Map<string, ValidateFunction>();
  const deref = (node: any): any => {
    if (!node?.$ref) return node;
    let cur: any = doc;
    for (const part of String(node.$ref).replace(/^#\//, '').split('/')) cur = cur?.[part];
    return cur;
  };
  return (method: string, docPath: string, res: { status: number; body: any }) => {
    const op = (doc.paths[docPath] as any)?.[method.toLowerCase()];
    expect(op, `${method} ${docPath} is documented`).toBeDefined();
    const response = deref(op.responses[String(res.status)]);
    expect(response, `${method} ${docPath} documents ${res.status} (${JSON.stringify(res.body)?.slice(0, 200)})`).toBeDefined();
    const schema = response.content?.['application/json']?.schema;
    if (!schema) {
      expect(res.body, `${method} ${docPath} ${res.status} has no body`).toBeNull();
      return;
    }
    const key = JSON.stringify(schema);
    let validate = compiled.get(key);
    if (!validate) {
      // $refs point into the document root registered above
      const rebased = JSON.parse(key.replaceAll('"#/components/', '"https://formwork.test/openapi.json#/components/'));
      validate = ajv.compile(rebased);
      compiled.set(key, validate);
    }
    expect(validate(res.body), `${method} ${docPath} ${res.status}: ${JSON.stringify(validate.errors)}\n${JSON.stringify(res.body)?.slice(0, 500)}`).toBe(true);
  };
}

describe.each(DIALECTS)('the OpenAPI document and the routes on %s', (dialect) => {
  let t: TestEngine;
  let s: TestServer;
  let routes: RouteInfo[];
  let served: string[];
  let adminDoc: OpenApiDocument;

  beforeAll(async () => {
    t = await testEngine(dialect);
    await publishForm(t.engine, { key: 'customer', label: 'Customer', fields: [{ key: 'name', type: 'text', label: 'Name', required: true }] });
    await publishForm(t.engine, { key: 'vehicle_order', label: 'Order', fields: [{ key: 'total', type: 'money', label: 'Total' }] });
    const hook = {
      key: 'inbound', label: 'Inbound', trigger: { type: 'webhook', config: { schema: { type: 'object', properties: { orderNo: { type: 'integer' } } } } },
      nodes: [{ id: 'start', type: 'start' }, { id: 'done', type: 'end' }], edges: [{ id: 'e1', source: 'start', target: 'done' }],
    };
    await t.engine.docs.saveDraft('workflows', hook.key, hook);
    await t.engine.docs.publish('workflows', hook.key);
    const role = { key: 'integration', label: 'Integration', permissions: [{ form: 'customer', actions: ['read'] }] };
    await t.engine.docs.saveDraft('roles', role.key, role);
    await t.engine.docs.publish('roles', role.key);
    s = await startServer(t.engine);
    // The application that really serves the requests.
    const app = s.server.listeners('request')[0] as unknown as Express;
    routes = enumerateRoutes((app as any).router.stack);
    served = servedOperations(routes);
    const res = await s.api('/api/openapi.json');
    expect(res.status).toBe(200);
    adminDoc = res.body;
  });
  afterAll(async () => {
    await s?.close();
    await t?.drop();
  });

  it('finds the mounted routes', () => {
    expect(served.length).toBeGreaterThanOrEqual(40);
    for (const k of [
      'GET /api/health', 'GET /api/openapi.json', 'POST /api/auth/login', 'PATCH /api/users/{id}', 'DELETE /api/departments/{id}',
      'DELETE /api/tokens/{id}', 'GET /api/audit/security', 'POST /api/meta/{kind}/{key}/plan', 'DELETE /api/records/{form}/{id}',
      'POST /api/workflow-instances/{id}/withdraw', 'POST /api/notifications/read-all', 'POST /api/workflow-runs/{id}/retry',
      'POST /api/hooks/{workflow}', 'GET /api/webhook-deliveries/{id}',
    ]) {
      expect(served).toContain(k);
    }
  });

  it('documents every served route, and nothing else (administrator)', () => {
    expect(compare(served, documentedOperations(adminDoc))).toEqual({ undocumented: [], unserved: [] });
    // the forms' own paths are there, for the forms the caller may read
    expect(adminDoc.paths['/api/records/customer/{id}']).toBeDefined();
    expect(adminDoc.paths['/api/records/vehicle_order']).toBeDefined();
  });

  it('documents every served route without a token too (the generic API, no form paths)', async () => {
    const anon = await s.api('/api/openapi.json', { token: null });
    expect(anon.status).toBe(200);
    expect(compare(served, documentedOperations(anon.body))).toEqual({ undocumented: [], unserved: [] });
    expect(JSON.stringify(anon.body.paths)).not.toContain('/api/records/customer');
  });

  it('advertises no PLANNED endpoint, and PLANNED lists none that is served', () => {
    const all = Object.keys(PLANNED) as PathGroup[];
    const plain = documentedOperations(buildOpenApi([], { version: '0' }));
    const planned = documentedOperations(buildOpenApi([], { version: '0', includePlanned: all })).filter((k) => !plain.includes(k));
    if (all.length) expect(planned.length).toBeGreaterThan(0);
    const documented = documentedOperations(adminDoc);
    for (const k of planned) {
      expect(documented, 'PLANNED, yet in the document').not.toContain(k);
      // Served now? Then delete its group from PLANNED in openapi.ts.
      expect(served, 'served, yet still PLANNED').not.toContain(k);
    }
  });

  it('serves the middleware pages it documents', async () => {
    for (const k of MIDDLEWARE_PAGES) {
      const [method, p] = k.split(' ') as [string, string];
      const res = await fetch(s.url + p, { method });
      expect(res.status, k).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      await res.arrayBuffer();
    }
  });

  it('is a valid OpenAPI 3.1 document', async () => {
    const validator = new Validator();
    const res = await validator.validate(adminDoc as unknown as Record<string, unknown>);
    expect(res.errors).toBeUndefined();
    expect(res.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('answers with the documented status codes and body schemas', async () => {
    const check = conformance(adminDoc);
    const call = async (method: string, docPath: string, url: string, init: { body?: unknown; headers?: Record<string, string> } = {}) => {
      const res = await s.api(url, { method, ...init });
      check(method, docPath, res);
      return res;
    };
    // session, users
    await call('GET', '/api/health', '/api/health');
    await call('GET', '/api/auth/me', '/api/auth/me');
    const svc = await call('POST', '/api/users', '/api/users', { body: { username: 'crm_bot', service: true, email: 'crm@example.com', roles: ['integration'] } });
    expect(svc.status).toBe(201);
    expect(svc.body).toMatchObject({ service: true, email: 'crm@example.com' });
    expect((await call('PATCH', '/api/users/{id}', `/api/users/${svc.body.id}`, { body: { email: '' } })).body.email).toBeNull();
    await call('GET', '/api/users', '/api/users');
    expect((await call('POST', '/api/users', '/api/users', { body: { username: 'crm_bot' } })).status).toBe(409);
    // departments
    const dept = await call('POST', '/api/departments', '/api/departments', { body: { name: 'Store 1', kind: 'store' } });
    expect(dept.status).toBe(201);
    const sub = await call('POST', '/api/departments', '/api/departments', { body: { name: 'Sales', parent: dept.body.id, key: 'sales' } });
    expect((await call('PATCH', '/api/departments/{id}', `/api/departments/${sub.body.id}`, { body: { name: 'Sales team', parent: dept.body.id, key: 'sales', head: svc.body.id } })).status).toBe(200);
    expect((await call('DELETE', '/api/departments/{id}', `/api/departments/${dept.body.id}`)).status).toBe(409);
    expect((await call('GET', '/api/departments', '/api/departments')).body).toHaveLength(2);
    expect((await call('DELETE', '/api/departments/{id}', `/api/departments/${sub.body.id}`)).status).toBe(204);
    expect((await call('POST', '/api/departments', '/api/departments', { body: { name: '' } })).status).toBe(422);
    // API tokens and the security log
    const token = await call('POST', '/api/tokens', '/api/tokens', { body: { name: 'CRM', user: svc.body.id, scopes: ['customer:read', '*:read'] } });
    expect(token.status).toBe(201);
    expect(token.body.token).toMatch(/^fwk_/);
    expect((await call('GET', '/api/tokens', '/api/tokens')).body[0]).not.toHaveProperty('token');
    expect((await call('DELETE', '/api/tokens/{id}', `/api/tokens/${token.body.id}`)).status).toBe(204);
    expect((await call('DELETE', '/api/tokens/{id}', '/api/tokens/999999')).status).toBe(404);
    const log = await call('GET', '/api/audit/security', '/api/audit/security?event=token_created&page=1&pageSize=10');
    expect(log.body).toMatchObject({ total: 1, page: 1, pageSize: 10 });
    expect((await call('GET', '/api/audit/security', '/api/audit/security?pageSize=20')).body.items.length).toBeGreaterThan(3);
    expect((await call('GET', '/api/audit/security', '/api/audit/security?event=Bad-Event')).status).toBe(400);
    // metadata
    await call('GET', '/api/meta/{kind}', '/api/meta/forms');
    await call('GET', '/api/meta/{kind}/{key}', '/api/meta/forms/customer');
    await call('GET', '/api/meta/{kind}/{key}/revisions', '/api/meta/forms/customer/revisions');
    await call('GET', '/api/meta/{kind}/{key}/revisions/{revision}', '/api/meta/forms/customer/revisions/1');
    expect((await call('POST', '/api/meta/{kind}/{key}/plan', '/api/meta/forms/customer/plan')).status).toBe(200);
    // records (a form's own schemas)
    const rec = await call('POST', '/api/records/customer', '/api/records/customer', { body: { name: 'Ann' } });
    expect(rec.status).toBe(201);
    const recUrl = `/api/records/customer/${rec.body.id}`;
    await call('PATCH', '/api/records/customer/{id}', recUrl, { body: { name: 'Anna', _version: 1 } });
    expect((await call('PATCH', '/api/records/customer/{id}', recUrl, { body: { name: 'Old', _version: 1 } })).status).toBe(409);
    await call('GET', '/api/records/customer', '/api/records/customer?sort=-name&page=1&pageSize=10&q=An');
    await call('GET', '/api/records/customer/{id}', recUrl);
    await call('GET', '/api/records/customer/{id}/history', `${recUrl}/history`);
    await call('GET', '/api/records/customer/{id}/workflow', `${recUrl}/workflow`);
    expect((await call('POST', '/api/records/customer', '/api/records/customer', { body: {} })).status).toBe(422);
    expect((await call('DELETE', '/api/records/customer/{id}', `${recUrl}?_version=1`)).status).toBe(409);
    expect((await call('DELETE', '/api/records/customer/{id}', `${recUrl}?_version=2`)).status).toBe(204);
    // an inbound webhook, idempotent; the run it made; withdraw and retry refuse a finished run
    const headers = { 'Idempotency-Key': 'order-17' };
    const hook = await call('POST', '/api/hooks/{workflow}', '/api/hooks/inbound', { body: { orderNo: 17 }, headers });
    expect(hook.status).toBe(201);
    expect((await call('POST', '/api/hooks/{workflow}', '/api/hooks/inbound', { body: { orderNo: 17 }, headers })).status).toBe(200);
    expect((await call('POST', '/api/hooks/{workflow}', '/api/hooks/inbound', { body: { orderNo: 18 }, headers })).status).toBe(409);
    expect((await call('POST', '/api/hooks/{workflow}', '/api/hooks/inbound', { body: {}, headers: { 'Idempotency-Key': 'tab\there' } })).status).toBe(400);
    expect((await call('POST', '/api/hooks/{workflow}', '/api/hooks/nope', { body: {} })).status).toBe(404);
    const runs = await call('GET', '/api/workflow-runs', '/api/workflow-runs?workflow=inbound');
    expect(runs.body.items.map((r: any) => r.id)).toContain(hook.body.instance.id);
    expect((await call('POST', '/api/workflow-runs/{id}/retry', `/api/workflow-runs/${hook.body.instance.id}/retry`)).status).toBe(409);
    expect((await call('POST', '/api/workflow-instances/{id}/withdraw', `/api/workflow-instances/${hook.body.instance.id}/withdraw`)).status).toBe(409);
    // saved list views
    const view = await call('POST', '/api/views', '/api/views', { body: { form: 'customer', name: 'A', filter: { '==': [{ var: 'name' }, 'Ann'] }, sort: '-name', columns: ['name'], pageSize: 50 } });
    expect(view.status).toBe(201);
    expect((await call('POST', '/api/views', '/api/views', { body: { form: 'customer', name: 'A', pageSize: 50 } })).status).toBe(409);
    expect((await call('POST', '/api/views', '/api/views', { body: { form: 'customer', name: 'B', filter: { '==': [{ var: 'nope' }, 1] } } })).status).toBe(400);
    expect((await call('POST', '/api/views', '/api/views', { body: { form: 'customer', name: '' } })).status).toBe(422);
    await call('GET', '/api/views', '/api/views?form=customer');
    await call('GET', '/api/views/{id}', `/api/views/${view.body.id}`);
    await call('PUT', '/api/views/{id}', `/api/views/${view.body.id}`, { body: { name: 'A2', isDefault: true } });
    expect((await call('DELETE', '/api/views/{id}', `/api/views/${view.body.id}`)).status).toBe(204);
    expect((await call('GET', '/api/views/{id}', `/api/views/${view.body.id}`)).status).toBe(404);
    // tasks, notifications, deliveries
    await call('GET', '/api/tasks', '/api/tasks?status=cc');
    expect((await call('GET', '/api/tasks', '/api/tasks?status=later')).status).toBe(400);
    expect((await call('POST', '/api/tasks/{id}/complete', '/api/tasks/999999/complete', { body: { action: 'approve', to: 'start', position: 'after' } })).status).toBe(404);
    expect((await call('GET', '/api/notifications', '/api/notifications?unread=1')).body.unread).toBe(0);
    expect((await call('POST', '/api/notifications/{id}/read', '/api/notifications/999999/read')).status).toBe(404);
    expect((await call('POST', '/api/notifications/read-all', '/api/notifications/read-all')).status).toBe(204);
    await call('GET', '/api/webhook-deliveries', '/api/webhook-deliveries?status=failed&limit=10');
    expect((await call('GET', '/api/webhook-deliveries', '/api/webhook-deliveries?status=lost')).status).toBe(400);
    expect((await call('GET', '/api/webhook-deliveries/{id}', '/api/webhook-deliveries/00000000-0000-4000-8000-000000000000')).status).toBe(404);
  });

  it('would catch a route without documentation, and documentation without a route', () => {
    // A route added to the app that nobody documented.
    const extra = express.Router();
    extra.get('/leak/:id', (_req, res) => res.json({ leaked: true }));
    const withExtra = servedOperations([...routes, ...enumerateRoutes([{ handle: extra, rawPath: '/api' }])]);
    expect(compare(withExtra, documentedOperations(adminDoc))).toEqual({ undocumented: ['GET /api/leak/{id}'], unserved: [] });
    // A response the document does not describe: a wrong shape, an undocumented status.
    const check = conformance(adminDoc);
    expect(() => check('GET', '/api/departments', { status: 200, body: [{ id: 'one', name: 'x' }] })).toThrow();
    expect(() => check('POST', '/api/notifications/read-all', { status: 200, body: {} })).toThrow();
    expect(() => check('GET', '/api/undocumented', { status: 200, body: [] })).toThrow();
    check('GET', '/api/departments', { status: 200, body: [{ id: 1, parent: null, key: null, name: 'x', kind: 'group', head: null }] });
    // A document that describes a path nobody serves.
    const extraDoc = { ...adminDoc, paths: { ...adminDoc.paths, '/api/nowhere/{id}': { get: { responses: {} } } } } as OpenApiDocument;
    expect(compare(served, documentedOperations(extraDoc))).toEqual({ undocumented: [], unserved: ['GET /api/nowhere/{id}'] });
    // A form path without its generic route's operations would not pass for one.
    const partial = structuredClone(adminDoc);
    delete (partial.paths['/api/records/customer/{id}'] as any).delete;
    expect(() => documentedOperations(partial)).toThrow(/the paths of form customer/);
  });
});
