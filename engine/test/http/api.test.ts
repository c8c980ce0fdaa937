/**
 * The HTTP contract of API.md: every error code, hostile input answered with the error model
 * (never a 5xx or a stack trace), metadata drafts/plan/publish/revisions/rollback with the
 * table planner behind them, records CRUD over HTTP.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../helpers/db.js';
import { testEngine, startServer, type TestEngine, type TestServer } from '../helpers/engine.js';

const customer = {
  key: 'customer',
  label: { 'zh-CN': '客户', en: 'Customer' },
  module: 'customers',
  fields: [
    { key: 'name', type: 'text', label: { 'zh-CN': '姓名', en: 'Name' }, required: true },
    { key: 'phone', type: 'phone', label: { 'zh-CN': '手机', en: 'Mobile' }, required: true, unique: true, pattern: '^1[3-9]\\d{9}$' },
    { key: 'note', type: 'textarea', label: 'Note' },
    { key: 'level', type: 'text', label: 'Level' },
  ],
};

function expectErrorBody(body: any, code: string) {
  expect(body).toBeTypeOf('object');
  expect(body.error.code).toBe(code);
  expect(typeof body.error.message).toBe('string');
  expect(JSON.stringify(body)).not.toMatch(/at .*\.(ts|js):\d+/); // no stack trace
}

describe.each(DIALECTS)('HTTP API on %s', (dialect) => {
  let t: TestEngine;
  let s: TestServer;

  beforeAll(async () => {
    t = await testEngine(dialect);
    s = await startServer(t.engine);
  });
  afterAll(async () => {
    await s.close();
    await t.drop();
  });

  it('health needs no authentication; everything else does', async () => {
    expect(await s.api('/api/health', { token: null })).toMatchObject({ status: 200, body: { status: 'ok' } });
    const r = await s.api('/api/meta/forms', { token: null });
    expect(r.status).toBe(401);
    expectErrorBody(r.body, 'unauthenticated');
    const bad = await s.api('/api/meta/forms', { token: 'not-a-real-token-at-all' });
    expect(bad.status).toBe(401);
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    expect(r.headers.get('x-powered-by')).toBeNull();
  });

  it('logs in, tells who I am, logs out and revokes the token', async () => {
    const wrong = await s.api('/api/auth/login', { body: { username: 'admin', password: 'nope-nope' }, token: null });
    expect(wrong.status).toBe(401);
    expectErrorBody(wrong.body, 'unauthenticated');
    const login = await s.api('/api/auth/login', { body: { username: 'admin', password: 'admin-password-123' }, token: null });
    expect(login.status).toBe(200);
    expect(login.body.user).toMatchObject({ username: 'admin', roles: ['admin'] });
    expect(JSON.stringify(login.body.user)).not.toMatch(/hash|password/i);
    const me = await s.api('/api/auth/me', { token: login.body.token });
    expect(me.body.username).toBe('admin');
    expect((await s.api('/api/auth/logout', { method: 'POST', token: login.body.token })).status).toBe(204);
    expect((await s.api('/api/auth/me', { token: login.body.token })).status).toBe(401);
  });

  it('saves a draft, previews the plan, publishes, lists and serves revisions', async () => {
    const bad = await s.api('/api/meta/forms/customer', { method: 'PUT', body: { ...customer, fields: [{ key: 'Bad Key', type: 'nope', label: 'x' }] } });
    expect(bad.status).toBe(422);
    expectErrorBody(bad.body, 'validation');
    expect(Object.keys(bad.body.error.fields).some((p) => p.startsWith('/fields/0'))).toBe(true);
    const put = await s.api('/api/meta/forms/customer', { method: 'PUT', body: customer });
    expect(put.status).toBe(200);
    expect(put.body.fields.every((f: any) => /^fld_/.test(f.id))).toBe(true);
    const plan = await s.api('/api/meta/forms/customer/plan', { method: 'POST' });
    expect(plan.status).toBe(200);
    expect(plan.body.steps[0]).toMatchObject({ op: 'create_table', destructive: false });
    const pub = await s.api('/api/meta/forms/customer/publish', { method: 'POST', body: {} });
    expect(pub.status).toBe(200);
    expect(pub.body.revision).toBe(1);
    const list = await s.api('/api/meta/forms');
    expect(list.body).toEqual([expect.objectContaining({ key: 'customer', module: 'customers', revision: 1, status: 'published' })]);
    const doc = await s.api('/api/meta/forms/customer');
    expect(doc.body.fields.map((f: any) => f.key)).toEqual(['name', 'phone', 'note', 'level']);
    expect((await s.api('/api/meta/forms/customer/revisions')).body).toHaveLength(1);
    expect((await s.api('/api/meta/forms/nope')).status).toBe(404);
    expect((await s.api('/api/meta/widgets')).status).toBe(404);
  });

  it('creates, reads, updates with _version, lists and deletes records over HTTP', async () => {
    const phoneBad = await s.api('/api/records/customer', { body: { name: '王', phone: '12345' } });
    expect(phoneBad.status).toBe(422);
    expect(Object.keys(phoneBad.body.error.fields)).toEqual(['phone']);
    const c = await s.api('/api/records/customer', { body: { name: '王小明', phone: '13800138000', level: 'h' } });
    expect(c.status).toBe(201);
    expect(c.body).toMatchObject({ name: '王小明', phone: '13800138000', _version: 1, _owner: expect.any(Number) });
    expect(c.body._createdAt).toMatch(/Z$/);
    const dup = await s.api('/api/records/customer', { body: { name: '李', phone: '13800138000' } });
    expect(dup.status).toBe(409);
    expectErrorBody(dup.body, 'conflict');
    expect(dup.body.error.fields.phone).toBeDefined();
    const id = c.body.id;
    expect((await s.api(`/api/records/customer/${id}`)).body.name).toBe('王小明');
    const noVersion = await s.api(`/api/records/customer/${id}`, { method: 'PATCH', body: { name: 'x' } });
    expect(noVersion.status).toBe(422);
    const up = await s.api(`/api/records/customer/${id}`, { method: 'PATCH', body: { name: '王大明', _version: 1 } });
    expect(up.status).toBe(200);
    expect(up.body._version).toBe(2);
    const stale = await s.api(`/api/records/customer/${id}`, { method: 'PATCH', body: { name: 'x', _version: 1 } });
    expect(stale.status).toBe(409);
    expectErrorBody(stale.body, 'conflict');
    const hist = await s.api(`/api/records/customer/${id}/history`);
    expect(hist.body.map((h: any) => h.action)).toEqual(['create', 'update']);
    expect(hist.body[1].changes).toEqual({ name: ['王小明', '王大明'] });
    const list = await s.api(`/api/records/customer?filter=${encodeURIComponent(JSON.stringify({ starts_with: [{ var: 'name' }, '王'] }))}&sort=-name&page=1&pageSize=10`);
    expect(list.status).toBe(200);
    expect(list.body).toMatchObject({ total: 1, page: 1, pageSize: 10 });
    const q = await s.api('/api/records/customer?q=%E5%A4%A7');
    expect(q.body.total).toBe(1);
    expect((await s.api(`/api/records/customer/${id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await s.api(`/api/records/customer/${id}`)).status).toBe(404);
  });

  it('answers hostile input with the error model, never a 5xx', async () => {
    const cases: Array<[string, { method?: string; body?: unknown; raw?: string; headers?: Record<string, string> }, number, string]> = [
      ['/api/records/customer', { raw: '{"name": "x",' }, 400, 'bad_request'],
      ['/api/records/customer', { raw: '"just a string"' }, 400, 'bad_request'],
      ['/api/records/customer', { raw: '[1,2,3]' }, 400, 'bad_request'],
      ['/api/records/customer', { raw: JSON.stringify({ name: 'x'.repeat(3 * 1024 * 1024) }) }, 413, 'payload_too_large'],
      ['/api/records/customer?sort=name%3B%20drop%20table%20t_customer', {}, 400, 'bad_request'],
      ['/api/records/customer?sort=password', {}, 400, 'bad_request'],
      ['/api/records/customer?filter=%7B%22%24where%22%3A1%7D', {}, 400, 'bad_request'],
      ['/api/records/customer?filter=%7B%22%3D%3D%22%3A%5B%7B%22var%22%3A%22secret%22%7D%2C1%5D%7D', {}, 400, 'bad_request'],
      ['/api/records/customer?filter=not-json', {}, 400, 'bad_request'],
      ['/api/records/customer?page=-1', {}, 400, 'bad_request'],
      ['/api/records/customer?page=1&page=2', {}, 400, 'bad_request'],
      ['/api/records/customer?pageSize=100000', {}, 400, 'bad_request'],
      ['/api/records/customer/abc', {}, 400, 'bad_request'],
      ['/api/records/customer/99999999', {}, 404, 'not_found'],
      ['/api/records/no_such_form', {}, 404, 'not_found'],
      ['/api/records/..%2F..%2Fetc', {}, 404, 'not_found'],
      ['/api/records/customer', { body: { __proto__: null, constructor: { prototype: { polluted: 1 } } } }, 422, 'validation'],
      ['/api/records/customer', { raw: '{"__proto__": {"polluted": 1}, "name": "x", "phone": "13900000000"}' }, 422, 'validation'],
      ['/api/records/customer', { body: { name: 123, phone: ['x'] } }, 422, 'validation'],
      ['/api/records/customer', { body: { name: '%', phone: "13900000001'; drop table t_customer; --" } }, 422, 'validation'],
      ['/api/meta/forms/customer', { method: 'PUT', raw: '{"key":"customer","label":"x","fields":[{"key":"a","type":"text","label":"a","__proto__":{"x":1}}]}' }, 422, 'validation'],
      ['/api/nope', {}, 404, 'not_found'],
      ['/api/users', { method: 'POST', body: { username: 'x y', password: 'short' } }, 422, 'validation'],
    ];
    for (const [path, init, status, code] of cases) {
      const r = await s.api(path, init);
      expect({ path, status: r.status, body: r.status === status ? null : r.body }).toEqual({ path, status, body: null });
      expectErrorBody(r.body, code);
    }
    expect(({} as any).polluted).toBeUndefined();
    const count = await s.api('/api/records/customer');
    expect(count.status).toBe(200);
  });

  it('speaks zh-CN or English by Accept-Language', async () => {
    const zh = await s.api('/api/records/customer/99999999', { headers: { 'accept-language': 'zh-CN,zh;q=0.9' } });
    const en = await s.api('/api/records/customer/99999999', { headers: { 'accept-language': 'en-US,en;q=0.9' } });
    expect(zh.body.error.message).toMatch(/[\u4e00-\u9fa5]/);
    expect(en.body.error.message).toMatch(/^[\x20-\x7e]+$/);
  });

  it('forbids metadata changes and user management to non-administrators', async () => {
    const u = await s.api('/api/users', { body: { username: 'clerk', password: 'clerk-password-1', roles: ['sales_advisor'] } });
    expect(u.status).toBe(201);
    expect(JSON.stringify(u.body)).not.toMatch(/hash|password/i);
    const login = await s.api('/api/auth/login', { body: { username: 'clerk', password: 'clerk-password-1' }, token: null });
    const r = await s.api('/api/meta/forms/customer', { method: 'PUT', body: customer, token: login.body.token });
    expect(r.status).toBe(403);
    expectErrorBody(r.body, 'forbidden');
    expect((await s.api('/api/users', { token: login.body.token })).status).toBe(403);
    const list = await s.api('/api/users');
    expect(JSON.stringify(list.body)).not.toMatch(/hash|password|token/i);
  });

  it('migrates through the planner on publish: add, rename, soft delete, restore, lossy retype refused then confirmed', async () => {
    const c = await s.api('/api/records/customer', { body: { name: '张三', phone: '13700000000', note: 'long '.repeat(80), level: 'h' } });
    expect(c.status).toBe(201);
    const doc = (await s.api('/api/meta/forms/customer')).body;
    // add a field and rename a key in one publish
    doc.fields.push({ key: 'budget', type: 'money', label: '预算' });
    doc.fields.find((f: any) => f.key === 'level').key = 'grade';
    await s.api('/api/meta/forms/customer', { method: 'PUT', body: doc });
    const plan = (await s.api('/api/meta/forms/customer/plan', { method: 'POST' })).body;
    expect(plan.steps.map((x: any) => x.op).sort()).toEqual(['add_column', 'rename']);
    const pub = await s.api('/api/meta/forms/customer/publish', { method: 'POST', body: {} });
    expect(pub.status).toBe(200);
    const rec = (await s.api(`/api/records/customer/${c.body.id}`)).body;
    expect(rec.grade).toBe('h');
    expect(rec.level).toBeUndefined();
    expect(rec.budget).toBeNull();
    // soft delete: the field disappears, the data stays
    const d2 = (await s.api('/api/meta/forms/customer')).body;
    const gradeField = d2.fields.find((f: any) => f.key === 'grade');
    d2.fields = d2.fields.filter((f: any) => f.key !== 'grade');
    await s.api('/api/meta/forms/customer', { method: 'PUT', body: d2 });
    const p2 = (await s.api('/api/meta/forms/customer/plan', { method: 'POST' })).body;
    expect(p2.steps).toEqual([expect.objectContaining({ op: 'soft_delete', field: 'grade', destructive: false })]);
    expect((await s.api('/api/meta/forms/customer/publish', { method: 'POST' })).status).toBe(200);
    expect((await s.api(`/api/records/customer/${c.body.id}`)).body.grade).toBeUndefined();
    // restore
    const d3 = (await s.api('/api/meta/forms/customer')).body;
    d3.fields = d3.fields.filter((f: any) => f.id !== gradeField.id).concat([{ ...gradeField, deleted: false }]);
    await s.api('/api/meta/forms/customer', { method: 'PUT', body: d3 });
    expect((await s.api('/api/meta/forms/customer/publish', { method: 'POST' })).status).toBe(200);
    expect((await s.api(`/api/records/customer/${c.body.id}`)).body.grade).toBe('h');
    // lossy retype: textarea → text with a 400-char value
    const d4 = (await s.api('/api/meta/forms/customer')).body;
    d4.fields.find((f: any) => f.key === 'note').type = 'text';
    await s.api('/api/meta/forms/customer', { method: 'PUT', body: d4 });
    const p4 = (await s.api('/api/meta/forms/customer/plan', { method: 'POST' })).body;
    expect(p4.steps).toEqual([expect.objectContaining({ op: 'change_type', field: 'note', destructive: true })]);
    const refused = await s.api('/api/meta/forms/customer/publish', { method: 'POST', body: {} });
    expect(refused.status).toBe(409);
    expectErrorBody(refused.body, 'data_loss');
    expect((await s.api(`/api/records/customer/${c.body.id}`)).body.note).toBe('long '.repeat(80));
    const confirmed = await s.api('/api/meta/forms/customer/publish', { method: 'POST', body: { confirmDataLoss: true } });
    expect(confirmed.status).toBe(200);
    const revs = (await s.api('/api/meta/forms/customer/revisions')).body;
    expect(revs[0].revision).toBe(confirmed.body.revision);
    // diff and rollback
    const diff = await s.api(`/api/meta/forms/customer/diff?from=1&to=2`);
    expect(diff.status).toBe(200);
    expect(diff.body.some((ch: any) => ch.path.endsWith('/key'))).toBe(true);
    const rb = await s.api('/api/meta/forms/customer/rollback', { body: { revision: 1 } });
    expect(rb.status).toBe(200);
    const back = (await s.api('/api/meta/forms/customer')).body;
    expect(back.fields.filter((f: any) => !f.deleted).map((f: any) => f.key)).toEqual(['name', 'phone', 'note', 'level']);
    expect((await s.api(`/api/records/customer/${c.body.id}`)).body.level).toBe('h');
  });

  it('serves the OpenAPI document and the docs page', async () => {
    const doc = await s.api('/api/openapi.json');
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toMatch(/^3\.1/);
    expect(JSON.stringify(doc.body.paths)).toContain('/api/records/customer');
    // without a token: the generic API only, no form's schema
    const anon = await s.api('/api/openapi.json', { token: null });
    expect(anon.status).toBe(200);
    expect(JSON.stringify(anon.body.paths)).not.toContain('/api/records/customer');
    expect((await s.api('/api/openapi.json', { token: 'bogus-token-value' })).status).toBe(401);
    const page = await fetch(s.url + '/api/docs');
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<html');
  });

  it('throttles password guessing with rate_limited and Retry-After', async () => {
    await s.api('/api/users', { body: { username: 'victim', password: 'victim-password-1' } });
    for (let i = 0; i < 5; i++) {
      const r = await s.api('/api/auth/login', { body: { username: 'victim', password: `guess-${i}` }, token: null });
      expect(r.status).toBe(401);
    }
    const limited = await s.api('/api/auth/login', { body: { username: 'victim', password: 'victim-password-1' }, token: null });
    expect(limited.status).toBe(429);
    expectErrorBody(limited.body, 'rate_limited');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('answers an internal failure with `internal` and no stack trace', async () => {
    const broken = await testEngine(dialect);
    const bs = await startServer(broken.engine);
    try {
      // the database goes away under a running server
      await broken.engine.db.knex.destroy();
      const r = await bs.api('/api/meta/forms');
      expect(r.status).toBe(500);
      expectErrorBody(r.body, 'internal');
      expect(JSON.stringify(r.body)).not.toMatch(/knex|pool|destroy|\.ts|\.js/i);
    } finally {
      await bs.close();
      await broken.drop().catch(() => undefined);
    }
  });

  it('serves the two UIs at / and /designer', async () => {
    const root = await fetch(s.url + '/');
    expect(root.status).toBe(200);
    expect(await root.text()).toContain('<html');
    const designer = await fetch(s.url + '/designer');
    expect(designer.status).toBe(200);
    expect(await designer.text()).toContain('<html');
  });
});
