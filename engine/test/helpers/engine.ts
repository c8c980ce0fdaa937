/**
 * An Engine on a fresh test database (SQLite file or PostgreSQL schema), optionally served over
 * HTTP on a free port, with an administrator signed in.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createEngine, type Engine } from '../../src/app.js';
import { createHttpApp } from '../../src/http/server.js';
import { createLogger } from '../../src/http/logger.js';
import type { Dialect } from '../../src/store/connection.js';
import type { FormDef } from '../../src/meta/types.js';
import { testDb, type TestDb } from './db.js';

export interface TestEngine {
  engine: Engine;
  db: TestDb;
  drop(): Promise<void>;
}

export async function testEngine(dialect: Dialect): Promise<TestEngine> {
  const db = await testDb(dialect);
  const engine = await createEngine({ dbUrl: db.url, db, logger: createLogger('off') });
  return { engine, db, drop: () => db.drop() };
}

/** Save and publish a form (through the same path as the API). */
export async function publishForm(engine: Engine, form: FormDef | Record<string, unknown>, opts: { confirmDataLoss?: boolean } = {}) {
  const key = (form as FormDef).key;
  await engine.docs.saveDraft('forms', key, form);
  return engine.docs.publish('forms', key, opts);
}

export interface TestServer {
  url: string;
  server: Server;
  /** fetch relative to the server, JSON in and out, with the admin token unless `token: null`. */
  api(path: string, init?: { method?: string; body?: unknown; token?: string | null; headers?: Record<string, string>; raw?: string }): Promise<{ status: number; body: any; headers: Headers }>;
  adminToken: string;
  close(): Promise<void>;
}

export const ADMIN_PASSWORD = 'admin-password-123';

export async function startServer(engine: Engine): Promise<TestServer> {
  await engine.users.ensureAdmin('admin', ADMIN_PASSWORD);
  const app = createHttpApp(engine);
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const api: TestServer['api'] = async (path, init = {}) => {
    const headers: Record<string, string> = { ...(init.headers ?? {}) };
    const token = init.token === undefined ? ts.adminToken : init.token;
    if (token) headers.authorization = `Bearer ${token}`;
    let body: string | undefined = init.raw;
    if (init.body !== undefined) {
      body = JSON.stringify(init.body);
    }
    if (body !== undefined && !headers['content-type']) headers['content-type'] = 'application/json';
    const res = await fetch(url + path, { method: init.method ?? (body !== undefined ? 'POST' : 'GET'), headers, body });
    const text = await res.text();
    let parsed: any = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      /* not JSON */
    }
    return { status: res.status, body: parsed, headers: res.headers };
  };
  const ts: TestServer = {
    url, server, api, adminToken: '',
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
  const login = await api('/api/auth/login', { body: { username: 'admin', password: ADMIN_PASSWORD }, token: null });
  if (login.status !== 200) throw new Error(`login failed: ${JSON.stringify(login.body)}`);
  ts.adminToken = login.body.token;
  return ts;
}
