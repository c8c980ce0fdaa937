/**
 * Fuzzing (fast-check): every served API route with hostile path values, query strings, bodies
 * and headers, as an administrator and as a user without roles. Whatever comes in, the answer is
 * the error model or a success — never a 5xx. Bounded here (CI); a longer run: FUZZ_RUNS=5000.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../helpers/db.js';
import { ADMIN_PASSWORD, publishForm, startServer, testEngine, type TestEngine, type TestServer } from '../helpers/engine.js';
import { createHttpApp } from '../../src/http/server.js';
import { enumerateRoutes, type RouteInfo } from '../helpers/routes.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 400);

const hostileString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom('', ' ', '0', '-1', '1e309', 'NaN', 'null', 'true', '__proto__', 'constructor', '../../etc/passwd', '%00', '\u0000', '\uFFFF', '😀', "' OR 1=1 --", '<script>', '{"$ne":1}', 'a'.repeat(5000)),
);
const json: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, fc.constant(null), fc.boolean(), fc.double(), fc.integer(), hostileString, fc.array(tie('value'), { maxLength: 4 }), fc.dictionary(hostileString, tie('value'), { maxKeys: 4 })),
})).value;
/** Bodies that look like what the API expects, with hostile parts. */
const body = fc.oneof(
  json,
  fc.record({ title: json, amount: json, stage: json, _version: json }, { requiredKeys: [] }),
  fc.record({ action: hostileString, comment: json, to: json, fields: json }, { requiredKeys: [] }),
  fc.record({ params: json, filters: json }, { requiredKeys: [] }),
  fc.record({ key: hostileString, label: json, fields: json, source: json, measures: json, widgets: json, permissions: json }, { requiredKeys: [] }),
);
const query = fc.dictionary(fc.constantFrom('filter', 'sort', 'page', 'pageSize', 'q', 'status', 'format', 'draft', 'limit', 'unread', 'workflow', 'form', 'dryRun', 'mode', 'mapping'), fc.oneof(hostileString, json.map((v) => JSON.stringify(v) ?? 'x')), { maxKeys: 4 });

describe.each(DIALECTS)('fuzzing the API on %s', (dialect) => {
  let t: TestEngine;
  let s: TestServer;
  let routes: RouteInfo[];
  let nobody = '';
  beforeAll(async () => {
    t = await testEngine(dialect);
    await publishForm(t.engine, {
      key: 'deal', label: 'Deal', fields: [
        { key: 'title', type: 'text', label: 'Title', required: true }, { key: 'amount', type: 'money', label: 'Amount' },
        { key: 'stage', type: 'select', label: 'Stage', options: [{ key: 'a', label: 'A' }] }, { key: 'tags', type: 'tags', label: 'Tags' },
        { key: 'lines', type: 'subtable', label: 'Lines', fields: [{ key: 'n', type: 'number', label: 'N' }] },
      ],
    });
    await t.engine.docs.saveDraft('reports', 'by_stage', { key: 'by_stage', label: 'R', category: 'custom', source: 'deal', params: [{ key: 'period', type: 'date_range', field: '_createdAt' }], dimensions: [{ key: 'stage', field: 'stage' }], measures: [{ key: 'n', op: 'count' }] });
    await t.engine.docs.publish('reports', 'by_stage');
    s = await startServer(t.engine);
    await t.engine.records.create({ userId: null, username: 'root', roles: ['admin'], departmentId: null, isAdmin: true }, 'deal', { title: 'x', amount: 1 });
    await t.engine.users.create({ username: 'nobody', password: 'password-123456', displayName: 'N', roles: [] } as any);
    nobody = (await s.api('/api/auth/login', { body: { username: 'nobody', password: 'password-123456' }, token: null })).body.token;
    // Not the routes that end the fuzzer's own sessions (a logout, disabling or re-roling its users).
    const SESSION_ENDERS = new Set(['POST /api/auth/logout', 'PATCH /api/users/:id']);
    routes = enumerateRoutes((createHttpApp(t.engine) as any).router.stack).filter(
      (r) => typeof r.pattern === 'string' && r.pattern.startsWith('/api/') && !SESSION_ENDERS.has(`${r.method} ${r.pattern}`),
    );
  });
  afterAll(async () => {
    await s?.close();
    await t?.drop();
  });

  it('never answers 5xx, whatever the path values, query, body and headers', async () => {
    const pathValue = fc.oneof(fc.constantFrom('deal', 'by_stage', '1', '999999', '0', '-1', 'forms', 'reports', 'nope'), hostileString);
    const fails: string[] = [];
    const statuses: Record<number, number> = {};
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...routes), fc.dictionary(fc.constantFrom('form', 'id', 'key', 'kind', 'action', 'template', 'slug', 'revision', 'workflow'), pathValue), query, body,
        fc.boolean(), fc.constantFrom('application/json', 'text/csv', 'text/plain', 'application/x-www-form-urlencoded'), fc.boolean(),
        async (route, params, q, b, asAdmin, contentType, raw) => {
          const p = (route.pattern as string).replace(/:([A-Za-z_]+)/g, (_m, name: string) => encodeURIComponent(String(params[name] ?? '1')));
          const qs = new URLSearchParams(q as Record<string, string>).toString();
          const method = route.method === 'ALL' ? 'POST' : route.method;
          const hasBody = !['GET', 'DELETE'].includes(method);
          const res = await s.api(p + (qs ? `?${qs}` : ''), {
            method, token: asAdmin ? s.adminToken : nobody,
            headers: { 'content-type': contentType, 'accept-language': raw ? 'en' : 'zh-CN,zh;q=0.9' },
            ...(hasBody ? (raw ? { raw: typeof b === 'string' ? b : JSON.stringify(b)?.slice(0, 20000) ?? '' } : { body: b }) : {}),
          });
          statuses[res.status] = (statuses[res.status] ?? 0) + 1;
          // A token revoked by a fuzzed call (DELETE /api/tokens/…): sign in again for the next run.
          if (res.status === 401 && !route.pattern.toString().startsWith('/api/auth') && !route.pattern.toString().startsWith('/api/public')) {
            s.adminToken = (await s.api('/api/auth/login', { body: { username: 'admin', password: ADMIN_PASSWORD }, token: null })).body.token ?? s.adminToken;
            nobody = (await s.api('/api/auth/login', { body: { username: 'nobody', password: 'password-123456' }, token: null })).body.token ?? nobody;
          }
          if (res.status >= 500) fails.push(`${method} ${p}?${qs} → ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
          return res.status < 500;
        },
      ),
      { numRuns: RUNS, seed: Number(process.env.FUZZ_SEED ?? 20261125) },
    ).catch((e) => {
      throw new Error(`${fails.slice(0, 5).join('\n')}\n${String(e).slice(0, 2000)}`);
    });
    expect(fails).toEqual([]);
    // It reached the handlers: successes and validation answers, not only 401/404.
    expect(routes.length).toBeGreaterThan(40);
    expect(Object.keys(statuses).length).toBeGreaterThan(3);
    if (process.env.FUZZ_VERBOSE) console.log(dialect, routes.length, 'routes', JSON.stringify(statuses));
  }, 600_000);
});
