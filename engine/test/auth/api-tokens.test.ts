/**
 * API tokens for integrations: bound to a service user, shown once, stored as a SHA-256 only;
 * their scopes narrow what the user's roles allow; revoked and expired tokens stop working at
 * once; service users never sign in; API tokens never administer.
 */
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../helpers/db.js';
import { identityServer, serviceUser, apiToken, signedInUser, customerForm, type IdentityServer } from './identity-fixture.js';
import { isScope, scopeAllows } from '../../src/auth/api-tokens.js';

describe('scopes', () => {
  it('parses form:action with * for any form or action', () => {
    for (const s of ['customer:read', 'vehicle_order:create', '*:read', 'customer:*', '*:*', 'a:import']) expect(isScope(s)).toBe(true);
    for (const s of ['customer', 'customer:', ':read', 'Customer:read', 'customer:fly', 'customer:read:x', 'cust omer:read', '**:read', 42, null]) expect(isScope(s)).toBe(false);
  });
  it('allows an action only when some scope matches both form and action', () => {
    expect(scopeAllows(['customer:read'], 'customer', 'read')).toBe(true);
    expect(scopeAllows(['customer:read'], 'customer', 'create')).toBe(false);
    expect(scopeAllows(['customer:read'], 'vehicle', 'read')).toBe(false);
    expect(scopeAllows(['*:read'], 'vehicle', 'read')).toBe(true);
    expect(scopeAllows(['*:read'], 'vehicle', 'export')).toBe(false);
    expect(scopeAllows(['vehicle:*'], 'vehicle', 'delete')).toBe(true);
    expect(scopeAllows([], 'vehicle', 'read')).toBe(false);
  });
});

describe.each(DIALECTS)('API tokens on %s', (dialect) => {
  let x: IdentityServer;
  let integrationUser: number;

  beforeAll(async () => {
    x = await identityServer(dialect);
    integrationUser = await serviceUser(x.s, 'crm_sync', ['integration']);
    expect((await x.s.api('/api/records/customer', { body: { name: '王小明', phone: '13800138000' } })).status).toBe(201);
    expect((await x.s.api('/api/records/vehicle', { body: { vin: 'LSVAU2180N2183294' } })).status).toBe(201);
  });
  afterAll(() => x?.close());

  it('creates a token shown once, stores only its SHA-256, lists tokens without secrets', async () => {
    const created = await x.s.api('/api/tokens', { body: { name: 'CRM sync', user: integrationUser, scopes: ['customer:read', 'vehicle_order:create', '*:read'] } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: expect.any(Number), name: 'CRM sync', token: expect.any(String), scopes: ['customer:read', 'vehicle_order:create', '*:read'], expiresAt: null });
    const token: string = created.body.token;
    expect(token.length).toBeGreaterThanOrEqual(40);
    const row = await x.engine.db.knex('fw_tokens').where({ id: created.body.id }).first();
    expect(row.kind).toBe('api');
    expect(row.token_hash).toBe(crypto.createHash('sha256').update(token).digest('hex'));
    expect(JSON.stringify(row)).not.toContain(token);
    const list = await x.s.api('/api/tokens');
    expect(list.status).toBe(200);
    const mine = list.body.find((t: any) => t.id === created.body.id);
    expect(mine).toMatchObject({ name: 'CRM sync', user: { id: integrationUser, username: 'crm_sync' }, status: 'active', revokedAt: null });
    expect(JSON.stringify(list.body)).not.toContain(token);
    expect(JSON.stringify(list.body)).not.toContain(row.token_hash);
    expect(JSON.stringify(list.body)).not.toMatch(/"token"|hash/i);
  });

  it('refuses bad token requests: not a service user, bad scopes, past expiry, no name', async () => {
    const person = await signedInUser(x.s, 'person', 'person-password-1', ['integration']);
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ name: 'x', user: person.id, scopes: ['customer:read'] }, 'user'],
      [{ name: 'x', user: 999999, scopes: ['customer:read'] }, 'user'],
      [{ name: 'x', user: integrationUser, scopes: [] }, 'scopes'],
      [{ name: 'x', user: integrationUser, scopes: ['customer:fly'] }, 'scopes'],
      [{ name: 'x', user: integrationUser, scopes: 'customer:read' }, 'scopes'],
      [{ name: 'x', user: integrationUser, scopes: ['customer:read'], expiresAt: '2001-01-01T00:00:00Z' }, 'expiresAt'],
      [{ name: 'x', user: integrationUser, scopes: ['customer:read'], expiresAt: 'tomorrow' }, 'expiresAt'],
      [{ user: integrationUser, scopes: ['customer:read'] }, 'name'],
    ];
    for (const [body, field] of cases) {
      const r = await x.s.api('/api/tokens', { body });
      expect({ body, status: r.status, fields: Object.keys(r.body.error?.fields ?? {}) }).toEqual({ body, status: 422, fields: [field] });
    }
  });

  it('a customer:read token lists customers but may not create them nor touch other forms', async () => {
    const { token } = await apiToken(x.s, integrationUser, ['customer:read']);
    const list = await x.s.api('/api/records/customer', { token });
    expect(list.status).toBe(200);
    expect(list.body.total).toBe(1);
    const one = await x.s.api(`/api/records/customer/${list.body.items[0].id}`, { token });
    expect(one.status).toBe(200);
    expect((await x.s.api('/api/records/customer', { token, body: { name: '李', phone: '13900139000' } })).status).toBe(403);
    expect((await x.s.api(`/api/records/customer/${list.body.items[0].id}`, { token, method: 'PATCH', body: { name: 'x', _version: 1 } })).status).toBe(403);
    expect((await x.s.api(`/api/records/customer/${list.body.items[0].id}`, { token, method: 'DELETE' })).status).toBe(403);
    expect((await x.s.api('/api/records/vehicle', { token })).status).toBe(403);
    expect((await x.s.api('/api/records/vehicle', { token, body: { vin: 'X' } })).status).toBe(403);
    // the forms it may read, and nothing else, in the metadata and the OpenAPI document
    expect((await x.s.api('/api/meta/forms', { token })).body.map((f: any) => f.key)).toEqual(['customer']);
    expect((await x.s.api('/api/meta/forms/vehicle', { token })).status).toBe(404);
    // a session of a user with the same roles first, so an OpenAPI cache entry shared by role would show
    const sameRoles = await signedInUser(x.s, 'same_roles', 'same-roles-password-1', ['integration']);
    expect(JSON.stringify((await x.s.api('/api/openapi.json', { token: sameRoles.token })).body.paths)).toContain('/api/records/vehicle');
    const doc = (await x.s.api('/api/openapi.json', { token })).body;
    expect(JSON.stringify(doc.paths)).toContain('/api/records/customer');
    expect(JSON.stringify(doc.paths)).not.toContain('/api/records/vehicle');
    // who am I: the service user
    const me = await x.s.api('/api/auth/me', { token });
    expect(me.body).toMatchObject({ username: 'crm_sync', roles: ['integration'] });
  });

  it('scopes only narrow: a *:read token of a customer reader still cannot read vehicles', async () => {
    const reader = await serviceUser(x.s, 'reader_sync', ['customer_reader']);
    const { token } = await apiToken(x.s, reader, ['*:read', '*:create']);
    expect((await x.s.api('/api/records/customer', { token })).status).toBe(200);
    expect((await x.s.api('/api/records/vehicle', { token })).status).toBe(403);
    expect((await x.s.api('/api/records/customer', { token, body: { name: '李', phone: '13900139001' } })).status).toBe(403);
    // several scopes add up
    const both = await apiToken(x.s, integrationUser, ['customer:read', 'vehicle:create', 'vehicle:read']);
    const v = await x.s.api('/api/records/vehicle', { token: both.token, body: { vin: 'LSVAU2180N2183295' } });
    expect(v.status).toBe(201);
    expect((await x.s.api('/api/records/customer', { token: both.token, body: { name: '赵', phone: '13900139002' } })).status).toBe(403);
  });

  it('an API token administers nothing, even for a service user with the admin role', async () => {
    const root = await serviceUser(x.s, 'root_sync', ['admin']);
    const { token } = await apiToken(x.s, root, ['*:*']);
    // its records rights are the admin role's
    expect((await x.s.api('/api/records/vehicle', { token })).status).toBe(200);
    const calls: Array<[string, { method?: string; body?: unknown }]> = [
      ['/api/users', {}],
      ['/api/users', { body: { username: 'sneaky', password: 'sneaky-password-1', roles: ['admin'] } }],
      [`/api/users/${root}`, { method: 'PATCH', body: { roles: ['admin'] } }],
      ['/api/tokens', {}],
      ['/api/tokens', { body: { name: 'more', user: root, scopes: ['*:*'] } }],
      ['/api/tokens/1', { method: 'DELETE' }],
      ['/api/audit/security', {}],
      ['/api/meta/forms/customer', { method: 'PUT', body: customerForm }],
      ['/api/meta/forms/customer/publish', { method: 'POST', body: {} }],
      ['/api/meta/forms/customer/plan', { method: 'POST', body: {} }],
      ['/api/meta/roles/integration', { method: 'PUT', body: { key: 'integration', label: 'x', permissions: [] } }],
      ['/api/meta/roles', {}],
      ['/api/departments', { body: { name: 'Sneaky' } }],
    ];
    for (const [path, init] of calls) {
      const r = await x.s.api(path, { ...init, token });
      expect({ path, method: init.method ?? (init.body ? 'POST' : 'GET'), status: r.status }).toEqual({ path, method: init.method ?? (init.body ? 'POST' : 'GET'), status: 403 });
    }
  });

  it('a revoked token stops working at once', async () => {
    const t = await apiToken(x.s, integrationUser, ['customer:read']);
    expect((await x.s.api('/api/records/customer', { token: t.token })).status).toBe(200); // now cached
    expect((await x.s.api(`/api/tokens/${t.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await x.s.api('/api/records/customer', { token: t.token })).status).toBe(401);
    const listed = (await x.s.api('/api/tokens')).body.find((k: any) => k.id === t.id);
    expect(listed).toMatchObject({ status: 'revoked', revokedAt: expect.any(String) });
    expect((await x.s.api(`/api/tokens/${t.id}`, { method: 'DELETE' })).status).toBe(204); // idempotent
    expect((await x.s.api('/api/tokens/99999999', { method: 'DELETE' })).status).toBe(404);
    // a session token is not an API token
    const session = (await x.engine.db.knex('fw_tokens').where({ kind: 'session' }).first()).id;
    expect((await x.s.api(`/api/tokens/${session}`, { method: 'DELETE' })).status).toBe(404);
  });

  it('an expired token stops working, even while cached', async () => {
    const t = await apiToken(x.s, integrationUser, ['customer:read'], { expiresAt: new Date(Date.now() + 1500).toISOString() });
    expect(t.expiresAt).toMatch(/Z$/);
    expect((await x.s.api('/api/records/customer', { token: t.token })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1600));
    expect((await x.s.api('/api/records/customer', { token: t.token })).status).toBe(401);
    expect((await x.s.api('/api/tokens')).body.find((k: any) => k.id === t.id).status).toBe('expired');
    // and one whose expiry passed in the database (another process, a clock)
    const u = await apiToken(x.s, integrationUser, ['customer:read'], { expiresAt: '2999-01-01T00:00:00Z' });
    await x.engine.db.knex('fw_tokens').where({ id: u.id }).update({ expires_at: '2001-01-01T00:00:00.000Z' });
    expect((await x.s.api('/api/records/customer', { token: u.token })).status).toBe(401);
  });

  it('a disabled service user\'s tokens stop working', async () => {
    const id = await serviceUser(x.s, 'short_lived', ['integration']);
    const t = await apiToken(x.s, id, ['customer:read']);
    expect((await x.s.api('/api/records/customer', { token: t.token })).status).toBe(200);
    expect((await x.s.api(`/api/users/${id}`, { method: 'PATCH', body: { disabled: true } })).status).toBe(200);
    expect((await x.s.api('/api/records/customer', { token: t.token })).status).toBe(401);
  });

  it('a service user never signs in with a password', async () => {
    const withPassword = await x.s.api('/api/users', { body: { username: 'svc_pw', password: 'service-password-1', service: true } });
    expect(withPassword.status).toBe(422);
    expect(Object.keys(withPassword.body.error.fields)).toEqual(['password']);
    const id = await serviceUser(x.s, 'svc_nopw', ['integration']);
    const u = (await x.s.api('/api/users')).body.find((v: any) => v.id === id);
    expect(u).toMatchObject({ username: 'svc_nopw', service: true });
    const setPw = await x.s.api(`/api/users/${id}`, { method: 'PATCH', body: { password: 'service-password-1' } });
    expect(setPw.status).toBe(422);
    expect((await x.s.api('/api/auth/login', { body: { username: 'svc_nopw', password: 'service-password-1' }, token: null })).status).toBe(401);
    // even with a password hash put into the database behind the engine's back
    const { hashPassword } = await import('../../src/auth/passwords.js');
    await x.engine.db.knex('fw_users').where({ id }).update({ password_hash: await hashPassword('service-password-1') });
    expect((await x.s.api('/api/auth/login', { body: { username: 'svc_nopw', password: 'service-password-1' }, token: null })).status).toBe(401);
    expect(await x.engine.db.knex('fw_tokens').where({ user_id: id, kind: 'session' }).first()).toBeUndefined();
    const bad = await x.s.api('/api/users', { body: { username: 'svc_bad', service: 'yes' } });
    expect(bad.status).toBe(422);
  });

  it('session tokens have no scopes: full role rights', async () => {
    const clerk = await signedInUser(x.s, 'clerk', 'clerk-password-1', ['customer_reader']);
    expect((await x.s.api('/api/records/customer', { token: clerk.token })).status).toBe(200);
    expect((await x.s.api('/api/records/vehicle', { token: clerk.token })).status).toBe(403);
    expect((await x.s.api('/api/tokens', { token: clerk.token })).status).toBe(403);
  });

  it('an integration may drop its own token with logout', async () => {
    const t = await apiToken(x.s, integrationUser, ['customer:read']);
    expect((await x.s.api('/api/auth/logout', { method: 'POST', token: t.token })).status).toBe(204);
    expect((await x.s.api('/api/records/customer', { token: t.token })).status).toBe(401);
    expect((await x.s.api('/api/tokens')).body.find((k: any) => k.id === t.id).status).toBe('revoked');
  });
});
