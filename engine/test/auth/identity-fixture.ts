/**
 * Shared set-up of the identity tests: two forms, two roles, a served engine (optionally with
 * a capturing logger), and helpers for service users and API tokens.
 */
import { createEngine, type Engine } from '../../src/app.js';
import { createLogger, type Level } from '../../src/http/logger.js';
import type { Dialect } from '../../src/store/connection.js';
import { testDb, type TestDb } from '../helpers/db.js';
import { startServer, type TestServer } from '../helpers/engine.js';

export const customerForm = {
  key: 'customer',
  label: { 'zh-CN': '客户', en: 'Customer' },
  fields: [
    { key: 'name', type: 'text', label: 'Name', required: true },
    { key: 'phone', type: 'phone', label: 'Mobile' },
  ],
};

export const vehicleForm = {
  key: 'vehicle',
  label: { 'zh-CN': '车辆', en: 'Vehicle' },
  fields: [{ key: 'vin', type: 'text', label: 'VIN', required: true }],
};

/** May do everything to every form (the roles side of a token; scopes narrow it). */
export const integrationRole = { key: 'integration', label: 'Integration', permissions: [{ form: '*', actions: ['create', 'read', 'update', 'delete', 'export', 'import'] }] };
/** May only read customers. */
export const customerReaderRole = { key: 'customer_reader', label: 'Customer reader', permissions: [{ form: 'customer', actions: ['read'] }] };

export interface IdentityServer {
  engine: Engine;
  db: TestDb;
  s: TestServer;
  /** Every line the engine logged (when started with `capture`). */
  lines: string[];
  close(): Promise<void>;
}

export async function identityServer(dialect: Dialect, opts: { logLevel?: Level } = {}): Promise<IdentityServer> {
  const db = await testDb(dialect);
  const lines: string[] = [];
  const engine = await createEngine({ dbUrl: db.url, db, logger: createLogger(opts.logLevel ?? 'off', (l) => lines.push(l)) });
  const s = await startServer(engine);
  for (const form of [customerForm, vehicleForm]) {
    expect200(await s.api(`/api/meta/forms/${form.key}`, { method: 'PUT', body: form }));
    expect200(await s.api(`/api/meta/forms/${form.key}/publish`, { method: 'POST', body: {} }));
  }
  for (const role of [integrationRole, customerReaderRole]) {
    expect200(await s.api(`/api/meta/roles/${role.key}`, { method: 'PUT', body: role }));
    expect200(await s.api(`/api/meta/roles/${role.key}/publish`, { method: 'POST', body: {} }));
  }
  return {
    engine, db, s, lines,
    async close() {
      await s.close();
      await db.drop();
    },
  };
}

function expect200(r: { status: number; body: unknown }) {
  if (r.status !== 200) throw new Error(`set-up failed: ${r.status} ${JSON.stringify(r.body)}`);
}

/** A service user (no password) through the API; returns its id. */
export async function serviceUser(s: TestServer, username: string, roles: string[]): Promise<number> {
  const r = await s.api('/api/users', { body: { username, roles, service: true } });
  if (r.status !== 201) throw new Error(`service user: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.id;
}

/** An API token through the API; returns the whole 201 body (with the secret `token`). */
export async function apiToken(s: TestServer, user: number, scopes: string[], extra: Record<string, unknown> = {}): Promise<any> {
  const r = await s.api('/api/tokens', { body: { name: `token for ${user}`, user, scopes, ...extra } });
  if (r.status !== 201) throw new Error(`token: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

/** A user with a password, signed in; returns its id and session token. */
export async function signedInUser(s: TestServer, username: string, password: string, roles: string[] = []): Promise<{ id: number; token: string }> {
  const u = await s.api('/api/users', { body: { username, password, roles } });
  if (u.status !== 201) throw new Error(`user: ${u.status} ${JSON.stringify(u.body)}`);
  const login = await s.api('/api/auth/login', { body: { username, password }, token: null });
  if (login.status !== 200) throw new Error(`login: ${login.status} ${JSON.stringify(login.body)}`);
  return { id: u.body.id, token: login.body.token };
}
