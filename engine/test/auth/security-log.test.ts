/**
 * The security audit log: the events of sign-in and administration are recorded with who, what
 * and from where; the table is append-only in the database itself; only administrators read it;
 * no secret is ever in it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DIALECTS, testDbUrl } from '../helpers/db.js';
import { freshPgDatabase } from '../helpers/process.js';
import { main } from '../../src/cli.js';
import { openDb } from '../../src/store/connection.js';
import { ADMIN_PASSWORD } from '../helpers/engine.js';
import { identityServer, serviceUser, apiToken, signedInUser, type IdentityServer } from './identity-fixture.js';
import { securityLogFor } from '../../src/auth/security-log.js';

describe.each(DIALECTS)('security log on %s', (dialect) => {
  let x: IdentityServer;
  const secrets: string[] = [ADMIN_PASSWORD];

  beforeAll(async () => {
    x = await identityServer(dialect);
    secrets.push(x.s.adminToken);
  });
  afterAll(() => x?.close());

  const entries = async (event?: string) => {
    const r = await x.s.api(`/api/audit/security?pageSize=500${event ? `&event=${event}` : ''}`);
    expect(r.status).toBe(200);
    return r.body.items as any[];
  };

  it('records sign-ins, failures, throttling and sign-outs with the username tried, never the password', async () => {
    secrets.push('auditee-password-1', 'wrong-guess-1');
    const u = await signedInUser(x.s, 'auditee', 'auditee-password-1');
    secrets.push(u.token);
    const bad = await x.s.api('/api/auth/login', { body: { username: 'auditee', password: 'wrong-guess-1' }, token: null });
    expect(bad.status).toBe(401);
    const unknown = await x.s.api('/api/auth/login', { body: { username: 'nobody_here', password: 'wrong-guess-1' }, token: null });
    expect(unknown.status).toBe(401);
    expect((await x.s.api('/api/auth/logout', { method: 'POST', token: u.token })).status).toBe(204);

    const login = (await entries('login')).find((e) => e.actorName === 'auditee');
    expect(login).toMatchObject({ event: 'login', actorId: u.id, target: `user:${u.id}`, address: expect.stringMatching(/127\.0\.0\.1/), requestId: expect.any(String) });
    const failed = await entries('login_failed');
    expect(failed.map((e) => e.detail.username)).toEqual(expect.arrayContaining(['auditee', 'nobody_here']));
    expect(failed.every((e) => e.actorId === null)).toBe(true);
    const logout = (await entries('logout')).find((e) => e.actorId === u.id);
    expect(logout).toMatchObject({ actorName: 'auditee', requestId: expect.any(String) });

    // throttled sign-ins
    for (let i = 0; i < 5; i++) await x.s.api('/api/auth/login', { body: { username: 'throttled', password: `guess-${i}-pw` }, token: null });
    const limited = await x.s.api('/api/auth/login', { body: { username: 'throttled', password: 'guess-x-pw' }, token: null });
    expect(limited.status).toBe(429);
    expect((await entries('login_rate_limited')).map((e) => e.detail.username)).toContain('throttled');
  });

  it('records user creation and changes: which fields, never a secret value', async () => {
    secrets.push('changed-password-9', 'first-password-1');
    const created = await x.s.api('/api/users', { body: { username: 'changer', password: 'first-password-1', roles: ['customer_reader'] } });
    expect(created.status).toBe(201);
    const id = created.body.id;
    const dept = await x.s.api('/api/departments', { body: { name: 'Sales', kind: 'department' } });
    expect(dept.status).toBe(201);
    const patch = await x.s.api(`/api/users/${id}`, { method: 'PATCH', body: { roles: ['integration'], department: dept.body.id, password: 'changed-password-9' } });
    expect(patch.status).toBe(200);
    expect((await x.s.api('/api/auth/login', { body: { username: 'changer', password: 'changed-password-9' }, token: null })).status).toBe(200);
    await x.s.api(`/api/users/${id}`, { method: 'PATCH', body: { disabled: true } });

    const made = (await entries('user_created')).find((e) => e.target === `user:${id}`);
    expect(made).toMatchObject({ actorName: 'admin', detail: { username: 'changer', roles: ['customer_reader'], service: false } });
    const updates = (await entries('user_updated')).filter((e) => e.target === `user:${id}`);
    expect(updates.map((e) => e.detail.changed)).toEqual([['disabled'], ['roles', 'department', 'password']]); // newest first
    expect(updates[1].detail.from).toEqual({ roles: ['customer_reader'], department: null });
    expect(updates[1].detail.to).toEqual({ roles: ['integration'], department: dept.body.id });
    expect(JSON.stringify(updates)).not.toContain('changed-password-9');
  });

  it('records department changes', async () => {
    const d = await x.s.api('/api/departments', { body: { name: 'Service', kind: 'department' } });
    expect(d.status).toBe(201);
    expect((await x.s.api(`/api/departments/${d.body.id}`, { method: 'PATCH', body: { name: 'After-sales' } })).status).toBe(200);
    expect((await x.s.api(`/api/departments/${d.body.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await x.s.api('/api/departments/99999', { method: 'DELETE' })).status).toBe(404);
    const mine = (await entries()).filter((e) => e.target === `department:${d.body.id}`);
    expect(mine.map((e) => e.event)).toEqual(['department_deleted', 'department_updated', 'department_created']);
    expect(mine[2].detail).toMatchObject({ name: 'Service' });
    expect(mine[1].detail).toMatchObject({ name: 'After-sales', changed: ['name'] });
    expect(mine.every((e) => e.actorName === 'admin')).toBe(true);
    expect((await entries()).some((e) => e.target === 'department:99999')).toBe(false);
  });

  it('records metadata publishes (forms and roles) with kind, key, revision and who', async () => {
    const pubs = await entries('metadata_published');
    expect(pubs.find((e) => e.target === 'forms/customer')).toMatchObject({ actorName: 'admin', detail: { kind: 'forms', key: 'customer', revision: 1 } });
    expect(pubs.find((e) => e.target === 'roles/integration')).toMatchObject({ detail: { kind: 'roles', key: 'integration', revision: 1 } });
    // published by the engine itself (a pack install): the publisher is "system"
    await x.engine.docs.saveDraft('roles', 'auditor', { key: 'auditor', label: 'Auditor', permissions: [] });
    await x.engine.docs.publish('roles', 'auditor', { note: 'pack demo@1.0.0' });
    const sys = (await entries('metadata_published')).find((e) => e.target === 'roles/auditor');
    expect(sys).toMatchObject({ actorId: null, actorName: 'system', detail: { revision: 1, note: 'pack demo@1.0.0' } });
  });

  it('records token creation and revocation', async () => {
    const svc = await serviceUser(x.s, 'audited_sync', ['integration']);
    const t = await apiToken(x.s, svc, ['customer:read']);
    secrets.push(t.token);
    await x.s.api(`/api/tokens/${t.id}`, { method: 'DELETE' });
    const made = (await entries('token_created')).find((e) => e.target === `token:${t.id}`);
    expect(made).toMatchObject({ actorName: 'admin', detail: { user: svc, username: 'audited_sync', scopes: ['customer:read'] } });
    expect((await entries('token_revoked')).find((e) => e.target === `token:${t.id}`)).toMatchObject({ actorName: 'admin' });
    expect((await entries('user_created')).find((e) => e.target === `user:${svc}`)?.detail.service).toBe(true);
  });

  it('records through the service too, for callers outside HTTP (pack installs, the command line)', async () => {
    await securityLogFor(x.engine).record('pack_installed', { actor: { userId: null, username: 'cli' }, target: 'pack:demo', detail: { name: 'demo', version: '1.0.0', password: 'dropped', token: 'dropped-too', tokenHash: 'x' } });
    const e = (await entries('pack_installed'))[0];
    expect(e).toMatchObject({ actorName: 'cli', target: 'pack:demo', detail: { name: 'demo', version: '1.0.0' } });
    expect(Object.keys(e.detail).sort()).toEqual(['name', 'version']);
  });

  it('is append-only in the database: UPDATE and DELETE fail', async () => {
    const knex = x.engine.db.knex;
    const before = await knex('fw_security_log').count({ n: '*' }).first();
    const first = await knex('fw_security_log').orderBy('id').first();
    await expect(knex('fw_security_log').where({ id: first.id }).update({ event: 'tampered' })).rejects.toThrow(/append-only/);
    await expect(knex('fw_security_log').update({ actor_name: 'nobody' })).rejects.toThrow(/append-only/);
    await expect(knex('fw_security_log').where({ id: first.id }).delete()).rejects.toThrow(/append-only/);
    await expect(knex('fw_security_log').delete()).rejects.toThrow(/append-only/);
    if (dialect === 'pg') await expect(knex.raw('truncate fw_security_log')).rejects.toThrow(/append-only/);
    const after = await knex('fw_security_log').count({ n: '*' }).first();
    expect(Number((after as any).n)).toBe(Number((before as any).n));
    expect((await knex('fw_security_log').where({ id: first.id }).first()).event).toBe(first.event);
  });

  it('is for administrators only; newest first with a total; filters and pages', async () => {
    const clerk = await signedInUser(x.s, 'nosy', 'nosy-password-1', ['integration']);
    secrets.push('nosy-password-1', clerk.token);
    const denied = await x.s.api('/api/audit/security', { token: clerk.token });
    expect(denied.status).toBe(403);
    expect(denied.body.error.code).toBe('forbidden');
    expect((await x.s.api('/api/audit/security', { token: null })).status).toBe(401);
    const all = await x.s.api('/api/audit/security');
    expect(all.body).toMatchObject({ page: 1, pageSize: 50, total: expect.any(Number) });
    expect(all.body.total).toBeGreaterThan(10);
    const ids = all.body.items.map((e: any) => e.id);
    expect(ids).toEqual([...ids].sort((a: number, b: number) => b - a));
    const p2 = await x.s.api('/api/audit/security?page=2&pageSize=3');
    expect(p2.body.items.map((e: any) => e.id)).toEqual(ids.slice(3, 6));
    const logins = await x.s.api('/api/audit/security?event=login');
    expect(logins.body.items.every((e: any) => e.event === 'login')).toBe(true);
    expect(logins.body.total).toBe(logins.body.items.length);
    expect((await x.s.api('/api/audit/security?event=nope')).body).toMatchObject({ items: [], total: 0 });
    expect((await x.s.api('/api/audit/security?event=DROP%20TABLE')).status).toBe(400);
    expect((await x.s.api('/api/audit/security?pageSize=100000')).status).toBe(400);
    expect((await x.s.api('/api/audit/security?page=0')).status).toBe(400);
  });

  it('holds no secret: no password, token or hash anywhere in the table', async () => {
    const rows = await x.engine.db.knex('fw_security_log').select('*');
    const text = JSON.stringify(rows);
    const hashes = [
      ...(await x.engine.db.knex('fw_users').whereNotNull('password_hash').pluck('password_hash')),
      ...(await x.engine.db.knex('fw_tokens').pluck('token_hash')),
    ];
    expect(hashes.length).toBeGreaterThan(5);
    for (const s of [...secrets, ...hashes]) expect(text.includes(s), `secret ${s.slice(0, 4)}… in the security log`).toBe(false);
    expect(text).not.toMatch(/scrypt\$|[0-9a-f]{64}/);
    expect(secrets.length).toBeGreaterThan(8);
  });
});

describe.each(DIALECTS)('security log of the command line on %s', (dialect) => {
  it('records pack installs (and their publishes) and users added from the shell', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fw-pack-'));
    fs.writeFileSync(path.join(dir, 'pack.json'), JSON.stringify({ name: 'audit_demo', version: '1.2.3' }));
    fs.mkdirSync(path.join(dir, 'forms'));
    fs.writeFileSync(path.join(dir, 'forms', 'ticket.json'), JSON.stringify({ key: 'ticket', label: 'Ticket', fields: [{ key: 'title', type: 'text', label: 'Title' }] }));
    let url: string;
    let cleanup: () => Promise<void>;
    if (dialect === 'pg') {
      const pg = await freshPgDatabase();
      url = pg.url;
      cleanup = pg.drop;
    } else {
      const t = testDbUrl('sqlite');
      url = t.url;
      cleanup = async () => {
        for (const f of [t.file!, t.file + '-wal', t.file + '-shm']) fs.rmSync(f, { force: true });
      };
    }
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      await main(['pack', 'install', dir, '--db', url]);
      await main(['user', 'add', 'shell_user', '--role', 'integration', '--password', 'shell-password-1', '--db', url]);
    } finally {
      out.mockRestore();
    }
    const db = await openDb(url);
    try {
      const rows = await db.knex('fw_security_log').orderBy('id');
      expect(rows.map((r: any) => r.event)).toEqual(['metadata_published', 'pack_installed', 'user_created']);
      expect(rows[0]).toMatchObject({ actor_name: 'system', target: 'forms/ticket' });
      expect(JSON.parse(rows[0].detail)).toMatchObject({ kind: 'forms', key: 'ticket', revision: 1, note: 'pack audit_demo@1.2.3' });
      expect(rows[1]).toMatchObject({ actor_name: 'cli', target: 'pack:audit_demo' });
      expect(JSON.parse(rows[1].detail)).toEqual({ name: 'audit_demo', version: '1.2.3', installed: 1, unchanged: 0 });
      expect(rows[2]).toMatchObject({ actor_name: 'cli', target: expect.stringMatching(/^user:\d+$/) });
      expect(JSON.stringify(rows)).not.toContain('shell-password-1');
    } finally {
      await db.close();
      await cleanup();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
