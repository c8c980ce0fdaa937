/**
 * Public form links over HTTP, on SQLite and PostgreSQL: an administrator publishes chosen fields
 * of a form; a visitor without login sees only those and submits; the record is ownerless and an
 * automation fires; the honeypot, unknown fields, the rate limit and disabled links.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../helpers/db.js';
import { publishForm, startServer, testEngine, type TestEngine, type TestServer } from '../helpers/engine.js';

const LEAD = {
  key: 'lead', label: { 'zh-CN': '线索', en: 'Lead' },
  fields: [
    { key: 'name', type: 'text', label: '姓名', required: true },
    { key: 'phone', type: 'phone', label: '手机', required: true },
    { key: 'model', type: 'text', label: '意向车型' },
    { key: 'budget', type: 'money', label: '预算' },
    { key: 'secret_note', type: 'text', label: '内部备注' },
    { key: 'stage', type: 'select', label: '阶段', options: [{ key: 'new', label: '新' }, { key: 'assigned', label: '已分配' }] },
  ],
};

describe.each(DIALECTS)('public form links on %s', (dialect) => {
  let t: TestEngine;
  let s: TestServer;
  let slug = '';
  let linkId = 0;
  beforeAll(async () => {
    t = await testEngine(dialect);
    await publishForm(t.engine, LEAD);
    // An automation on every new lead (as "assign new leads" would be).
    const wf = {
      key: 'mark_new', label: 'Mark new', trigger: { type: 'record_created', form: 'lead' },
      nodes: [{ id: 'start', type: 'start' }, { id: 'set', type: 'set_fields', config: { values: { stage: 'assigned' } } }, { id: 'end', type: 'end' }],
      edges: [{ id: 'e1', source: 'start', target: 'set' }, { id: 'e2', source: 'set', target: 'end' }],
    };
    await t.engine.docs.saveDraft('workflows', wf.key, wf);
    await t.engine.docs.publish('workflows', wf.key);
    s = await startServer(t.engine);
  });
  afterAll(async () => {
    await s?.close();
    await t?.drop();
  });

  it('lets an administrator publish chosen fields, never computed, related or sensitive ones, and every required one', async () => {
    const missing = await s.api('/api/public-forms', { body: { form: 'lead', fields: ['name', 'model'] } });
    expect(missing.status).toBe(422);
    expect(missing.body.error.fields.fields.join(' ')).toContain('phone');
    expect((await s.api('/api/public-forms', { body: { form: 'lead', fields: ['name', 'phone', 'nope'] } })).status).toBe(422);
    const made = await s.api('/api/public-forms', { body: { form: 'lead', fields: ['name', 'phone', 'model', 'budget'], title: { 'zh-CN': '预约试驾', en: 'Book a test drive' }, successMessage: '谢谢，顾问会联系您' } });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({ form: 'lead', fields: ['name', 'phone', 'model', 'budget'], enabled: true, submissions: 0 });
    slug = made.body.slug;
    linkId = made.body.id;
    expect(slug).toMatch(/^[A-Za-z0-9_-]{16}$/);
    // not for everyone
    await t.engine.users.create({ username: 'clerk', password: 'password-123456', displayName: 'Clerk', roles: [] } as any);
    const login = await s.api('/api/auth/login', { body: { username: 'clerk', password: 'password-123456' }, token: null });
    expect((await s.api('/api/public-forms', { body: { form: 'lead', fields: ['name', 'phone'] }, token: login.body.token })).status).toBe(403);
  });

  it('shows a visitor only the published fields, without login', async () => {
    const page = await s.api(`/api/public/forms/${slug}`, { token: null });
    expect(page.status).toBe(200);
    expect(page.body.title).toBe('预约试驾');
    expect(page.body.form.fields.map((f: any) => f.key)).toEqual(['name', 'phone', 'model', 'budget']);
    expect(JSON.stringify(page.body)).not.toContain('secret_note');
    expect((await s.api('/api/public/forms/not-a-real-link-123', { token: null })).status).toBe(404);
  });

  it('creates an ownerless record through the write path, and its automation runs', async () => {
    const r = await s.api(`/api/public/forms/${slug}`, { body: { values: { name: '王先生', phone: '13912345678', model: '途观L', budget: 200000 } }, token: null });
    expect(r.status).toBe(201);
    expect(r.body).toEqual({ ok: true, message: '谢谢，顾问会联系您' });
    await t.engine.workflow.drain();
    const list = await s.api('/api/records/lead?q=' + encodeURIComponent('王先生'));
    expect(list.body.items).toHaveLength(1);
    expect(list.body.items[0]).toMatchObject({ name: '王先生', phone: '13912345678', budget: 200000, stage: 'assigned', _owner: null, _createdBy: null });
    // the server re-checks every rule: a bad phone is refused with the field named
    const bad = await s.api(`/api/public/forms/${slug}`, { body: { values: { name: '李', phone: 'call me' } }, token: null });
    expect(bad.status).toBe(422);
    expect(Object.keys(bad.body.error.fields)).toEqual(['phone']);
    // only the published fields
    const sneaky = await s.api(`/api/public/forms/${slug}`, { body: { values: { name: '赵', phone: '13912345679', secret_note: 'x', stage: 'new' } }, token: null });
    expect(sneaky.status).toBe(422);
    expect(Object.keys(sneaky.body.error.fields).sort()).toEqual(['secret_note', 'stage']);
  });

  it('drops what a bot fills into the honeypot, limits submissions, and stops when the link is disabled', async () => {
    const before = (await s.api('/api/records/lead')).body.total;
    const bot = await s.api(`/api/public/forms/${slug}`, { body: { values: { name: 'bot', phone: '13900000000' }, _hp: 'http://spam' }, token: null });
    expect(bot.status).toBe(201);
    expect((await s.api('/api/records/lead')).body.total).toBe(before);
    // the rate limit per address (10 a minute; four were used above)
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await s.api(`/api/public/forms/${slug}`, { body: { values: { name: `人${i}`, phone: `1371234${String(5000 + i)}` } }, token: null })).status);
    expect(statuses.filter((x) => x === 429).length).toBeGreaterThan(0);
    const limited = await s.api(`/api/public/forms/${slug}`, { body: { values: { name: 'x', phone: '13712340000' } }, token: null });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBeTruthy();
    const off = await s.api(`/api/public-forms/${linkId}`, { method: 'PATCH', body: { enabled: false } });
    expect(off.body.enabled).toBe(false);
    expect((await s.api(`/api/public/forms/${slug}`, { token: null })).status).toBe(404);
    const links = await s.api('/api/public-forms');
    expect(links.body.items[0].submissions).toBeGreaterThan(1);
  });
});
