/**
 * Saved list views (/api/views) over HTTP, on SQLite and PostgreSQL: a person's own views of a
 * form, checked as the record list checks its parameters (filter through the list's compiler,
 * sort keys, columns), unique names, defaults, views shared by an administrator, and nobody
 * seeing or changing another person's views.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../helpers/db.js';
import { publishForm, startServer, testEngine, type TestEngine, type TestServer } from '../helpers/engine.js';

const LEAD = {
  key: 'lead', label: { 'zh-CN': '线索', en: 'Lead' },
  fields: [
    { key: 'name', type: 'text', label: '姓名', required: true },
    { key: 'phone', type: 'phone', label: '手机' },
    { key: 'stage', type: 'select', label: '阶段', options: [{ key: 'new', label: '新' }, { key: 'won', label: '成交' }] },
    { key: 'budget', type: 'money', label: '预算' },
    { key: 'secret', type: 'text', label: '内部备注' },
    { key: 'tags', type: 'tags', label: '标签', options: [{ key: 'vip', label: 'VIP' }] },
  ],
};

describe.each(DIALECTS)('saved list views on %s', (dialect) => {
  let t: TestEngine;
  let s: TestServer;
  let ann = '';
  let bob = '';
  let nobody = '';
  let annView: any;

  const signIn = async (username: string, roles: string[]) => {
    await t.engine.users.create({ username, password: 'password-123456', displayName: username, roles } as any);
    return (await s.api('/api/auth/login', { body: { username, password: 'password-123456' }, token: null })).body.token as string;
  };

  beforeAll(async () => {
    t = await testEngine(dialect);
    await publishForm(t.engine, LEAD);
    await publishForm(t.engine, { key: 'secret_form', label: 'Secret', fields: [{ key: 'x', type: 'text', label: 'X' }] });
    const role = { key: 'clerk', label: 'Clerk', permissions: [{ form: 'lead', actions: ['create', 'read', 'update'], rows: 'all', fields: { hidden: ['secret'], masked: ['phone'] } }] };
    await t.engine.docs.saveDraft('roles', 'clerk', role);
    await t.engine.docs.publish('roles', 'clerk');
    s = await startServer(t.engine);
    ann = await signIn('ann', ['clerk']);
    bob = await signIn('bob', ['clerk']);
    nobody = await signIn('nobody', []);
    for (const [name, stage, budget] of [['甲', 'new', 100], ['乙', 'won', 200], ['丙', 'new', 300]] as const) {
      expect((await s.api('/api/records/lead', { body: { name, stage, budget, phone: '13812341234', secret: 's' } })).status).toBe(201);
    }
  });
  afterAll(async () => {
    await s?.close();
    await t?.drop();
  });

  it('saves a view with filter, sort, columns and page size, and gives it back to its owner only', async () => {
    const body = { form: 'lead', name: '新线索', filter: { '==': [{ var: 'stage' }, 'new'] }, sort: '-budget', columns: ['name', 'stage', 'budget'], pageSize: 50, q: '甲' };
    const made = await s.api('/api/views', { body, token: ann });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({ ...body, isDefault: false, shared: false, mine: true });
    expect(made.body.id).toEqual(expect.any(Number));
    annView = made.body;
    const mine = await s.api('/api/views?form=lead', { token: ann });
    expect(mine.status).toBe(200);
    expect(mine.body.items.map((v: any) => v.name)).toEqual(['新线索']);
    expect((await s.api(`/api/views/${annView.id}`, { token: ann })).body).toEqual(annView);
    // The stored filter and sort are exactly what the record list takes.
    const list = await s.api(`/api/records/lead?filter=${encodeURIComponent(JSON.stringify(annView.filter))}&sort=${annView.sort}`, { token: ann });
    expect(list.body.items.map((r: any) => r.name)).toEqual(['丙', '甲']);
    // Bob sees none of it, and cannot read, change or delete it by id.
    expect((await s.api('/api/views?form=lead', { token: bob })).body.items).toEqual([]);
    expect((await s.api('/api/views', { token: bob })).body.items).toEqual([]);
    for (const [method, body2] of [['GET', undefined], ['PUT', { name: 'mine now' }], ['DELETE', undefined]] as const) {
      const r = await s.api(`/api/views/${annView.id}`, { method, body: body2, token: bob });
      expect(r.status, method).toBe(404);
      expect(r.body.error.code).toBe('not_found');
    }
    expect((await s.api('/api/views/999999', { method: 'PUT', body: { name: 'x' }, token: ann })).status).toBe(404);
    // Without a form parameter: all of the caller's views.
    expect((await s.api('/api/views', { token: ann })).body.items.map((v: any) => v.id)).toEqual([annView.id]);
  });

  it('checks the filter through the list compiler, the sort keys and the columns, as the caller sees the form', async () => {
    const base = { form: 'lead', name: 'x', pageSize: 20 };
    const cases: Array<[string, Record<string, unknown>]> = [
      ['unknown field in filter', { filter: { '==': [{ var: 'nope' }, 1] } }],
      ['unknown operator', { filter: { frobnicate: [{ var: 'stage' }, 'new'] } }],
      ['hidden field in filter', { filter: { '==': [{ var: 'secret' }, 's'] } }],
      ['masked field in filter', { filter: { '==': [{ var: 'phone' }, '13812341234'] } }],
      ['unknown sort key', { sort: 'nope' }],
      ['hidden sort key', { sort: '-secret' }],
      ['unknown column', { columns: ['name', 'nope'] }],
      ['hidden column', { columns: ['name', 'secret'] }],
    ];
    for (const [what, extra] of cases) {
      const r = await s.api('/api/views', { body: { ...base, ...extra }, token: ann });
      expect(r.status, what).toBe(400);
      expect(r.body.error.code, what).toBe('bad_request');
      expect(Object.keys(r.body.error).sort(), what).toEqual(expect.arrayContaining(['code', 'message']));
      expect(JSON.stringify(r.body), what).not.toContain('stack');
    }
    // The administrator sees every field: the same view is fine for them.
    const admin = await s.api('/api/views', { body: { ...base, name: '备注', filter: { '==': [{ var: 'secret' }, 's'] }, columns: ['name', 'secret', 'phone'], sort: 'phone' } });
    expect(admin.status).toBe(201);
    // The shape of the body: 422 naming the fields.
    const shape = await s.api('/api/views', { body: { form: 'lead', name: '', pageSize: 501, columns: 'name', filter: [1], isDefault: 'yes' }, token: ann });
    expect(shape.status).toBe(422);
    expect(Object.keys(shape.body.error.fields).sort()).toEqual(['columns', 'filter', 'isDefault', 'name', 'pageSize']);
    // The form must exist and be readable by the caller.
    expect((await s.api('/api/views', { body: { ...base, form: 'no_such_form' }, token: ann })).status).toBe(404);
    expect((await s.api('/api/views', { body: { ...base, form: 'secret_form' }, token: ann })).status).toBe(404);
    expect((await s.api('/api/views?form=secret_form', { token: ann })).status).toBe(404);
    expect((await s.api('/api/views', { body: { ...base, form: 'lead' }, token: nobody })).status).toBe(404);
    expect((await s.api('/api/views', { body: { name: 'x' }, token: ann })).status).toBe(422);
    expect((await s.api('/api/views', { raw: '[1]', token: ann })).status).toBe(400);
    expect((await s.api('/api/views?form=lead', { token: nobody })).status).toBe(404);
    expect((await s.api('/api/views', { token: nobody })).body).toEqual({ items: [] });
    expect((await s.api('/api/views/abc', { token: ann })).status).toBe(400);
    // In Chinese when asked.
    const zh = await s.api('/api/views', { body: { ...base, filter: { '==': [{ var: 'nope' }, 1] } }, token: ann, headers: { 'accept-language': 'zh-CN' } });
    expect(zh.body.error.message).toMatch(/[\u4e00-\u9fff]/);
  });

  it('keeps names unique per person and form, renames, changes and deletes', async () => {
    const dup = await s.api('/api/views', { body: { form: 'lead', name: '新线索', pageSize: 20 }, token: ann });
    expect(dup.status).toBe(409);
    expect(dup.body.error.code).toBe('conflict');
    expect(dup.body.error.fields.name).toBeDefined();
    // Another person may use the same name.
    const bobs = await s.api('/api/views', { body: { form: 'lead', name: '新线索', pageSize: 20 }, token: bob });
    expect(bobs.status).toBe(201);
    const second = await s.api('/api/views', { body: { form: 'lead', name: '成交', filter: { '==': [{ var: 'stage' }, 'won'] }, pageSize: 20 }, token: ann });
    expect(second.status).toBe(201);
    expect((await s.api(`/api/views/${second.body.id}`, { method: 'PUT', body: { name: '新线索' }, token: ann })).status).toBe(409);
    const renamed = await s.api(`/api/views/${second.body.id}`, { method: 'PUT', body: { name: '已成交', pageSize: 100, columns: ['name', 'tags'] }, token: ann });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ name: '已成交', pageSize: 100, columns: ['name', 'tags'], filter: { '==': [{ var: 'stage' }, 'won'] } });
    expect(renamed.body.updatedAt >= renamed.body.createdAt).toBe(true);
    // A change is checked like a new view.
    expect((await s.api(`/api/views/${second.body.id}`, { method: 'PUT', body: { filter: { '==': [{ var: 'secret' }, 1] } }, token: ann })).status).toBe(400);
    expect((await s.api(`/api/views/${second.body.id}`, { method: 'PUT', body: { form: 'secret_form' }, token: ann })).status).toBe(422);
    expect((await s.api(`/api/views/${second.body.id}`, { method: 'PUT', body: { filter: null, columns: null, sort: null }, token: ann })).body).toMatchObject({ filter: null, columns: null, sort: null });
    const gone = await s.api(`/api/views/${second.body.id}`, { method: 'DELETE', token: ann });
    expect(gone.status).toBe(204);
    expect((await s.api(`/api/views/${second.body.id}`, { method: 'DELETE', token: ann })).status).toBe(404);
    expect((await s.api('/api/views?form=lead', { token: ann })).body.items.map((v: any) => v.name)).toEqual(['新线索']);
  });

  it('keeps one default view per person and form', async () => {
    const a = await s.api('/api/views', { body: { form: 'lead', name: '默认一', pageSize: 20, isDefault: true }, token: ann });
    const b = await s.api('/api/views', { body: { form: 'lead', name: '默认二', pageSize: 20, isDefault: true }, token: ann });
    expect(b.body.isDefault).toBe(true);
    const defaults = () => s.api('/api/views?form=lead', { token: ann }).then((r) => r.body.items.filter((v: any) => v.isDefault).map((v: any) => v.name));
    expect(await defaults()).toEqual(['默认二']);
    await s.api(`/api/views/${a.body.id}`, { method: 'PUT', body: { isDefault: true }, token: ann });
    expect(await defaults()).toEqual(['默认一']);
    // Bob's default is his own business.
    await s.api('/api/views', { body: { form: 'lead', name: 'B', pageSize: 20, isDefault: true }, token: bob });
    expect(await defaults()).toEqual(['默认一']);
    await s.api(`/api/views/${a.body.id}`, { method: 'PUT', body: { isDefault: false }, token: ann });
    expect(await defaults()).toEqual([]);
  });

  it('lets only an administrator share a view; others see it read-only, when it is usable for them', async () => {
    const refused = await s.api('/api/views', { body: { form: 'lead', name: '共享', pageSize: 20, shared: true }, token: ann });
    expect(refused.status).toBe(403);
    expect((await s.api(`/api/views/${annView.id}`, { method: 'PUT', body: { shared: true }, token: ann })).status).toBe(403);
    const shared = await s.api('/api/views', { body: { form: 'lead', name: '全员：成交', filter: { '==': [{ var: 'stage' }, 'won'] }, columns: ['name', 'secret', 'budget'], pageSize: 20, shared: true } });
    expect(shared.status).toBe(201);
    // Shared with a filter on a field clerks may not see: not offered to them.
    const adminOnly = await s.api('/api/views', { body: { form: 'lead', name: '全员：备注', filter: { '==': [{ var: 'secret' }, 's'] }, pageSize: 20, shared: true } });
    expect(adminOnly.status).toBe(201);
    const seen = (await s.api('/api/views?form=lead', { token: bob })).body.items;
    const offered = seen.find((v: any) => v.id === shared.body.id);
    expect(offered).toMatchObject({ mine: false, shared: true, columns: ['name', 'budget'] }); // hidden column left out
    expect(seen.map((v: any) => v.id)).not.toContain(adminOnly.body.id);
    expect((await s.api(`/api/views/${adminOnly.body.id}`, { token: bob })).status).toBe(404);
    expect((await s.api(`/api/views/${shared.body.id}`, { token: bob })).status).toBe(200);
    // Read-only for them.
    const change = await s.api(`/api/views/${shared.body.id}`, { method: 'PUT', body: { name: 'mine' }, token: bob });
    expect(change.status).toBe(403);
    expect((await s.api(`/api/views/${shared.body.id}`, { method: 'DELETE', token: bob })).status).toBe(403);
    expect((await s.api(`/api/views/${adminOnly.body.id}`, { method: 'DELETE', token: bob })).status).toBe(404);
    // The administrator un-shares it: gone for others.
    expect((await s.api(`/api/views/${shared.body.id}`, { method: 'PUT', body: { shared: false } })).status).toBe(200);
    expect((await s.api('/api/views?form=lead', { token: bob })).body.items.map((v: any) => v.id)).not.toContain(shared.body.id);
  });
});
