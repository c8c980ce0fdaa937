/**
 * `/api/packs` on SQLite and PostgreSQL with the dealership pack: plan, install with the plan's
 * token, list, provenance, a conflicting upgrade answered as API.md says (and a bundle over the
 * API's usual 1 MB body limit), export; administrators only.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../helpers/db.js';
import { startServer, testEngine, type TestEngine, type TestServer } from '../helpers/engine.js';
import { readPackFolder } from '../../src/packs/bundle.js';
import { REPO_ROOT } from '../../src/http/server.js';

const PACK = path.join(REPO_ROOT, 'templates/dealership');

describe.each(DIALECTS)('/api/packs on %s', (dialect) => {
  let t: TestEngine;
  let s: TestServer;
  beforeAll(async () => {
    t = await testEngine(dialect);
    s = await startServer(t.engine);
  });
  afterAll(async () => {
    await s?.close();
    await t?.drop();
  });

  it('plans, then installs the dealership pack with the plan token; lists it; a stale token is refused', async () => {
    const bundle = readPackFolder(PACK);
    const plan = await s.api('/api/packs/plan', { body: bundle });
    expect(plan.status).toBe(200);
    expect(plan.body.documents.every((d: any) => d.action === 'add')).toBe(true);
    expect(plan.body.tables.map((x: any) => x.form)).toContain('customer');
    const res = await s.api('/api/packs/install', { body: { ...bundle, planToken: plan.body.token } });
    expect(res.status).toBe(200);
    expect(res.body.conflicts).toEqual([]);
    expect(res.body.installed.length).toBe(bundle.documents.length);
    const list = await s.api('/api/packs');
    expect(list.body).toMatchObject([{ name: 'dealership', version: bundle.manifest.version }]);
    expect(typeof list.body[0].installedAt).toBe('string');
    const stale = await s.api('/api/packs/install', { body: { ...bundle, planToken: plan.body.token } });
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe('conflict');
    const prov = await s.api('/api/meta/forms/customer/provenance');
    expect(prov.body).toMatchObject({ pack: 'dealership', version: bundle.manifest.version, overlay: [] });
  });

  it('answers a conflicting upgrade with {merged, conflicts:[{document, path, ours, theirs}]} and writes nothing; a bundle over 1 MB is accepted', async () => {
    const customer = await s.api('/api/meta/forms/customer');
    const local = customer.body;
    local.label = { 'zh-CN': '顾客', en: 'Client' };
    const put = await s.api('/api/meta/forms/customer', { method: 'PUT', body: local });
    expect(put.status, JSON.stringify(put.body).slice(0, 600)).toBe(200);
    expect((await s.api('/api/meta/forms/customer/publish', { body: {} })).status).toBe(200);
    const next = readPackFolder(PACK);
    next.manifest.version = '9.0.0';
    const doc = next.documents.find((d) => d.kind === 'forms' && d.key === 'customer')!.doc;
    doc.label = { 'zh-CN': '客户档案', en: 'Customer file' };
    // over 1 MB in all: six big print templates on another form
    const model = next.documents.find((d) => d.kind === 'forms' && d.key === 'vehicle_model')!.doc;
    model.prints = [...(model.prints ?? []), ...Array.from({ length: 6 }, (_, i) => ({ key: `big_${i}`, label: `Big ${i}`, template: `<p>${'车'.repeat(190_000)}</p>` }))];
    expect(JSON.stringify(next).length).toBeGreaterThan(1_100_000);
    const res = await s.api('/api/packs/upgrade', { body: next });
    expect(res.status, JSON.stringify(res.body).slice(0, 500)).toBe(200);
    expect(res.body.merged).toEqual([]);
    expect(res.body.conflicts.map((c: any) => [c.document, c.path])).toEqual([['forms/customer', '/label/zh-CN'], ['forms/customer', '/label/en']]);
    expect(res.body.conflicts[0]).toMatchObject({ ours: '顾客', theirs: '客户档案' });
    expect((await s.api('/api/meta/forms/customer')).body.label).toEqual({ 'zh-CN': '顾客', en: 'Client' });
    const resolved = await s.api('/api/packs/upgrade', {
      body: { ...next, resolutions: [{ document: 'forms/customer', path: '/label/zh-CN', choice: 'local' }, { document: 'forms/customer', path: '/label/en', choice: 'pack' }] },
    });
    expect(resolved.body.applied).toBe(true);
    expect(resolved.body.merged.map((m: any) => m.document).sort()).toEqual(['forms/customer', 'forms/vehicle_model']);
    const after = (await s.api('/api/meta/forms/customer')).body;
    expect(after.label).toEqual({ 'zh-CN': '顾客', en: 'Customer file' });
    expect((await s.api('/api/meta/forms/vehicle_model')).body.prints.filter((p: any) => p.key.startsWith('big_'))).toHaveLength(6);
  });

  it('exports modules as a bundle and refuses non-administrators', async () => {
    const res = await s.api('/api/packs/export?modules=customers&name=my_customers&version=1.0.0');
    expect(res.status).toBe(200);
    expect(res.body.manifest).toMatchObject({ name: 'my_customers', version: '1.0.0', modules: ['customers'] });
    expect(res.body.documents.some((d: any) => d.kind === 'forms' && d.key === 'customer')).toBe(true);
    expect(res.body.documents.every((d: any) => typeof d.checksum === 'string')).toBe(true);
    await t.engine.users.create({ username: 'clerk', password: 'password-123456', displayName: 'Clerk', roles: [] } as any);
    const login = await s.api('/api/auth/login', { body: { username: 'clerk', password: 'password-123456' }, token: null });
    for (const [p, method] of [['/api/packs', 'GET'], ['/api/packs/export?modules=customers', 'GET'], ['/api/packs/dealership', 'DELETE']] as const) {
      const r = await s.api(p, { method, token: login.body.token });
      expect(r.status, p).toBe(403);
    }
    const bad = await s.api('/api/packs/install', { body: { manifest: { name: 'x' }, documents: 'nope' } });
    expect(bad.status).toBe(422);
    expect(Object.keys(bad.body.error.fields)).toEqual(expect.arrayContaining(['/manifest/version', '/documents']));
  });
});
