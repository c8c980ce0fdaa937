/**
 * No secret in any log line or response: every line the engine logs is captured (debug level,
 * and with FORMWORK_ACCESS_LOG=1 for part of it) while users sign in (rightly and wrongly), are
 * created with passwords, API tokens are made and used, sessions end, and requests fail with
 * 500 on the very queries that carry token hashes. No password, token or hash appears in a log
 * line, nor in the responses of the identity endpoints; the Authorization header is never logged.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../helpers/db.js';
import { ADMIN_PASSWORD } from '../helpers/engine.js';
import { identityServer, serviceUser, type IdentityServer } from './identity-fixture.js';

describe.each(DIALECTS)('no secret in logs or responses on %s', (dialect) => {
  let x: IdentityServer;
  const secrets = new Set<string>([ADMIN_PASSWORD]);
  const responses: string[] = [];
  const savedEnv = { access: process.env.FORMWORK_ACCESS_LOG, log: process.env.FORMWORK_LOG };

  beforeAll(async () => {
    delete process.env.FORMWORK_LOG;
    x = await identityServer(dialect, { logLevel: 'debug' });
    secrets.add(x.s.adminToken);
  });
  afterAll(async () => {
    if (savedEnv.access === undefined) delete process.env.FORMWORK_ACCESS_LOG;
    else process.env.FORMWORK_ACCESS_LOG = savedEnv.access;
    if (savedEnv.log === undefined) delete process.env.FORMWORK_LOG;
    else process.env.FORMWORK_LOG = savedEnv.log;
    await x?.close();
  });

  /** A call whose response body is kept for the final check. */
  const call = async (path: string, init: Parameters<IdentityServer['s']['api']>[1] = {}) => {
    const r = await x.s.api(path, init);
    responses.push(JSON.stringify(r.body));
    return r;
  };

  it('runs sign-ins, user and token administration, token use, sign-outs and failures', async () => {
    for (const access of ['0', '1']) {
      process.env.FORMWORK_ACCESS_LOG = access;
      const pw = `secret-password-${access}-x`;
      const wrong = `wrong-password-${access}-y`;
      secrets.add(pw).add(wrong);
      const user = await call('/api/users', { body: { username: `person${access}`, password: pw, roles: ['integration'] } });
      expect(user.status).toBe(201);
      expect((await call('/api/auth/login', { body: { username: `person${access}`, password: wrong }, token: null })).status).toBe(401);
      expect((await call('/api/auth/login', { body: { username: `nobody${access}`, password: pw }, token: null })).status).toBe(401);
      const login = await call('/api/auth/login', { body: { username: `person${access}`, password: pw }, token: null });
      expect(login.status).toBe(200);
      const session: string = login.body.token;
      secrets.add(session);
      responses.pop(); // the one response that must show the session token…
      expect(Object.keys(login.body).sort()).toEqual(['token', 'user']);
      responses.push(JSON.stringify(login.body.user)); // …but its user, like every other, without a secret
      expect((await call('/api/auth/me', { token: session })).status).toBe(200);
      expect((await call('/api/records/customer', { token: session, body: { name: '王', phone: `1380013800${access}` } })).status).toBe(201);
      // a password change
      const pw2 = `changed-password-${access}-z`;
      secrets.add(pw2);
      expect((await call(`/api/users/${user.body.id}`, { method: 'PATCH', body: { password: pw2 } })).status).toBe(200);
      // API tokens: made, used, listed, revoked
      const svc = await serviceUser(x.s, `svc${access}`, ['integration']);
      const made = await call('/api/tokens', { body: { name: `sync ${access}`, user: svc, scopes: ['customer:read'] } });
      expect(made.status).toBe(201);
      const apiTok: string = made.body.token;
      secrets.add(apiTok);
      responses.pop(); // the one response that must show the token…
      responses.push(JSON.stringify({ ...made.body, token: undefined })); // …and nothing else secret
      expect((await call('/api/records/customer', { token: apiTok })).status).toBe(200);
      expect((await call('/api/records/customer', { token: apiTok, body: { name: 'x' } })).status).toBe(403);
      expect((await call('/api/auth/me', { token: apiTok })).status).toBe(200);
      expect((await call(`/api/tokens/${made.body.id}`, { method: 'DELETE' })).status).toBe(204);
      expect((await call('/api/records/customer', { token: apiTok })).status).toBe(401);
      // sign-out, then the dead session
      expect((await call('/api/auth/logout', { method: 'POST', token: session })).status).toBe(204);
      expect((await call('/api/auth/me', { token: session })).status).toBe(401);
      // garbage and near-miss tokens
      expect((await call('/api/auth/me', { token: session.slice(0, -1) + (session.endsWith('A') ? 'B' : 'A') })).status).toBe(401);
    }
  });

  it('fails with 500 on the queries that carry token hashes, and logs no secret doing it', async () => {
    process.env.FORMWORK_ACCESS_LOG = '1';
    const pw = 'failing-password-1';
    secrets.add(pw);
    expect((await call('/api/users', { body: { username: 'failing', password: pw } })).status).toBe(201);
    const login = await call('/api/auth/login', { body: { username: 'failing', password: pw }, token: null });
    const fresh: string = login.body.token; // not used yet, so not cached
    secrets.add(fresh);
    responses.pop();
    const knex = x.engine.db.knex;
    await knex.schema.renameTable('fw_tokens', 'fw_tokens_away');
    try {
      const r = await call('/api/auth/me', { token: fresh });
      expect(r.status).toBe(500);
      expect(r.body.error.code).toBe('internal');
      const l = await call('/api/auth/login', { body: { username: 'failing', password: pw }, token: null });
      expect(l.status).toBe(500);
    } finally {
      await knex.schema.renameTable('fw_tokens_away', 'fw_tokens');
    }
    expect(x.lines.some((l) => /"level":"error"/.test(l) && /request failed/.test(l))).toBe(true);
  });

  it('the identity endpoints answer without secrets', async () => {
    for (const path of ['/api/users', '/api/tokens', '/api/auth/me', '/api/audit/security?pageSize=500']) {
      const r = await call(path);
      expect(r.status).toBe(200);
      expect(r.body).toBeTruthy();
    }
    expect(responses.join('\n')).not.toMatch(/password_hash|token_hash|scrypt\$|"hash"/);
  });

  it('no password, token or hash in any log line or response; no Authorization header in the access log', async () => {
    const knex = x.engine.db.knex;
    const hashes = [
      ...(await knex('fw_users').whereNotNull('password_hash').pluck('password_hash')),
      ...(await knex('fw_tokens').pluck('token_hash')),
    ];
    expect(hashes.length).toBeGreaterThan(6);
    const all = [...secrets, ...hashes];
    expect(all.length).toBeGreaterThan(15);
    const logText = x.lines.join('\n');
    const respText = responses.join('\n');
    for (const s of all) {
      expect(logText.includes(s), `a secret (${s.slice(0, 4)}…) in the log`).toBe(false);
      expect(respText.includes(s), `a secret (${s.slice(0, 4)}…) in a response`).toBe(false);
    }
    expect(logText).not.toMatch(/scrypt\$|[0-9a-f]{64}|bearer/i);
    expect(logText).not.toMatch(/authorization"\s*:\s*"(?!\[redacted\])/i);
    // the capture really saw the traffic: the access log of part two, security events, the failures
    expect(x.lines.some((l) => /"msg":"request"/.test(l) && /"path":"\/api\/records\/customer"/.test(l))).toBe(true);
    expect(x.lines.some((l) => /"msg":"security"/.test(l) && /"event":"login_failed"/.test(l))).toBe(true);
    expect(x.lines.length).toBeGreaterThan(30);
  });
});
