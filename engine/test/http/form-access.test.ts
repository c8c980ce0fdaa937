/**
 * GET /api/meta/forms/:key/access: what the caller may do with a form's records (the runtime UI
 * shows buttons and read-only inputs by it; the server enforces the same rules on every write).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../helpers/db.js';
import { publishForm, startServer, testEngine, type TestEngine, type TestServer } from '../helpers/engine.js';

describe.each(DIALECTS)('form access on %s', (dialect) => {
  let t: TestEngine;
  let s: TestServer;
  let clerk = '';
  beforeAll(async () => {
    t = await testEngine(dialect);
    await publishForm(t.engine, { key: 'deal', label: 'Deal', fields: [{ key: 'title', type: 'text', label: 'T' }, { key: 'stage', type: 'text', label: 'S' }, { key: 'cost', type: 'money', label: 'C' }, { key: 'phone', type: 'phone', label: 'P' }] });
    await publishForm(t.engine, { key: 'secret', label: 'Secret', fields: [{ key: 'x', type: 'text', label: 'X' }] });
    const role = { key: 'clerk', label: 'Clerk', permissions: [{ form: 'deal', actions: ['create', 'read', 'update', 'export'], rows: 'own', fields: { readOnly: ['stage'], hidden: ['cost'], masked: ['phone'] } }] };
    await t.engine.docs.saveDraft('roles', 'clerk', role);
    await t.engine.docs.publish('roles', 'clerk');
    s = await startServer(t.engine);
    await t.engine.users.create({ username: 'clerk', password: 'password-123456', displayName: 'Clerk', roles: ['clerk'] } as any);
    clerk = (await s.api('/api/auth/login', { body: { username: 'clerk', password: 'password-123456' }, token: null })).body.token;
  });
  afterAll(async () => {
    await s?.close();
    await t?.drop();
  });

  it("answers the caller's actions and read-only fields, and nothing about forms they may not read", async () => {
    const r = await s.api('/api/meta/forms/deal/access', { token: clerk });
    expect(r.status).toBe(200);
    expect(r.body.actions).toEqual({ create: true, read: true, update: true, delete: false, export: true, import: false });
    expect(r.body.readOnly).toEqual(expect.arrayContaining(['stage', 'phone']));
    expect(r.body.readOnly).not.toContain('cost'); // hidden: absent, not read-only
    expect(r.body.masked).toEqual(['phone']);
    expect((await s.api('/api/meta/forms/secret/access', { token: clerk })).status).toBe(404);
    const admin = await s.api('/api/meta/forms/deal/access');
    expect(admin.body).toEqual({ form: 'deal', actions: { create: true, read: true, update: true, delete: true, export: true, import: true }, readOnly: [], masked: [] });
  });

  it('serves the built UI page uncached and its hashed assets for a year', async () => {
    const page = await fetch(s.url + '/');
    expect(page.status).toBe(200);
    expect(page.headers.get('cache-control')).toBe('no-cache');
  });
});
