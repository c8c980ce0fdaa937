#!/usr/bin/env node
/**
 * The floor of the records benchmark: what a careful hand-written express + knex server for the
 * one `t_lead` table does, and no more. JSON body parsing, a bearer token compared with an
 * in-memory constant, hand-written input checks, parameterised SQL through knex's query builder,
 * the same record shape as the engine's API (money a decimal, tags an array).
 *
 *   node bench/thin-server.js --db sqlite:PATH|postgres://… [--port 0]   (token: FLOOR_TOKEN)
 *
 *   POST  /leads              insert, then select the row back → 201 and the record
 *   GET   /leads/:id          select by id
 *   GET   /leads?status=S&minBudget=N&sort=-budget&page=P&pageSize=N
 *                             the page (ORDER BY, LIMIT/OFFSET, one row more to know whether a
 *                             next page exists: its cursor) and a count(*) capped at 10,000, in
 *                             parallel — what the engine's list does
 *   PATCH /leads/:id          {changed fields…, _version}: UPDATE … WHERE id = ? AND _version = ?
 *                             (compare-and-set), 409 when stale, then select back
 *
 * The connection set-up is the engine's (store/connection.ts): SQLite with one connection, WAL,
 * synchronous=NORMAL, foreign keys on; PostgreSQL with a pool of 10 and the same type parsers.
 * The table is created by the benchmark (bench/run.js), not here. bench/trace.js imports
 * createFloorApp to run the same app in-process.
 */
import crypto from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import express from 'express';
import knexFactory from 'knex';
import pg from 'pg';

const TABLE = 't_lead';
const COUNT_CAP = 10_000;
const COLUMNS = ['id', '_version', '_created_at', '_updated_at', '_created_by', '_owner', '_dept', 'name', 'phone', 'level', 'budget', 'next_follow_up', 'tags', 'status'];
const LEVELS = new Set(['h', 'a', 'b', 'c']);
const STATUSES = new Set(['new', 'active', 'won', 'lost']);
const SORTABLE = new Set(['id', 'name', 'phone', 'level', 'budget', 'next_follow_up', 'status', '_created_at', '_updated_at']);
const PHONE_RE = /^\+?[0-9][0-9 -]{2,30}$/;
const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;
const USER_ID = 1; // the token's user

/** knex the engine's way: SQLite one connection, WAL, synchronous=NORMAL; PostgreSQL a pool of 10 and its type parsers. */
export async function openKnex(url) {
  let knex;
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    pg.types.setTypeParser(20, (v) => Number(v)); // bigint (money, count(*))
    pg.types.setTypeParser(1082, (v) => v); // date as YYYY-MM-DD
    pg.types.setTypeParser(1184, (v) => new Date(v).toISOString()); // timestamptz as ISO 8601 UTC
    knex = knexFactory({ client: 'pg', connection: url, pool: { min: 0, max: 10 } });
  } else {
    // The engine's SQLite driver and pragmas, so the floor differs from the engine only in the engine.
    knex = knexFactory({
      client: 'better-sqlite3',
      connection: { filename: url.slice('sqlite:'.length) },
      useNullAsDefault: true,
      pool: {
        min: 1,
        max: 1,
        afterCreate(conn, done) {
          try {
            for (const p of ['journal_mode = WAL', 'synchronous = NORMAL', 'foreign_keys = ON', 'busy_timeout = 10000']) conn.pragma(p);
            done(null, conn);
          } catch (e) {
            done(e, conn);
          }
        },
      },
    });
  }
  await knex.raw('select 1');
  return knex;
}

class HttpError extends Error {
  constructor(status, code, message, fields) {
    super(message);
    this.status = status;
    this.code = code;
    this.fields = fields;
  }
}

/** Row → API record (the engine's shape: system keys, then fields by key). */
function toApi(r) {
  return {
    id: Number(r.id),
    _version: Number(r._version),
    _createdAt: r._created_at,
    _updatedAt: r._updated_at,
    _createdBy: r._created_by == null ? null : Number(r._created_by),
    _owner: r._owner == null ? null : Number(r._owner),
    name: r.name,
    phone: r.phone,
    level: r.level,
    budget: r.budget == null ? null : Number(r.budget) / 100,
    next_follow_up: r.next_follow_up,
    tags: r.tags == null ? null : typeof r.tags === 'string' ? JSON.parse(r.tags) : r.tags,
    status: r.status,
  };
}

/** Check the fields present in `body` and return their column values; `create` also requires name. */
function columnsOf(body, create) {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new HttpError(400, 'bad_request', 'The body must be a JSON object');
  const errors = {};
  const out = {};
  const has = (k) => body[k] !== undefined;
  if (create || has('name')) {
    if (typeof body.name !== 'string' || body.name.length < 1 || body.name.length > 100) errors.name = 'required, text up to 100 characters';
    else out.name = body.name;
  }
  if (has('phone')) {
    if (body.phone !== null && (typeof body.phone !== 'string' || body.phone.length > 32 || !PHONE_RE.test(body.phone))) errors.phone = 'not a phone number';
    else out.phone = body.phone;
  }
  if (has('level')) {
    if (body.level !== null && !LEVELS.has(body.level)) errors.level = 'not an option';
    else out.level = body.level;
  }
  if (has('budget')) {
    const b = body.budget;
    if (b !== null && (typeof b !== 'number' || !Number.isFinite(b) || Math.abs(b) > 9e12 || Math.abs(Math.round(b * 100) - b * 100) > 1e-6)) errors.budget = 'not an amount';
    else out.budget = b === null ? null : Math.round(b * 100);
  }
  if (has('next_follow_up')) {
    const d = body.next_follow_up;
    if (d !== null && (typeof d !== 'string' || !DATE_RE.test(d) || Number.isNaN(Date.parse(d)))) errors.next_follow_up = 'not a date';
    else out.next_follow_up = d;
  }
  if (has('tags')) {
    const t = body.tags;
    if (t !== null && (!Array.isArray(t) || t.length > 100 || t.some((x) => typeof x !== 'string' || x.length < 1 || x.length > 64) || new Set(t).size !== t.length)) errors.tags = 'not a list of tags';
    else out.tags = t === null ? null : JSON.stringify(t);
  }
  if (has('status')) {
    if (body.status !== null && !STATUSES.has(body.status)) errors.status = 'not an option';
    else out.status = body.status;
  }
  if (Object.keys(errors).length) throw new HttpError(422, 'validation', 'Invalid fields', errors);
  return out;
}

function positiveInt(v, name, max = 1_000_000_000) {
  const n = typeof v === 'number' ? v : /^\d{1,10}$/.test(String(v)) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > max) throw new HttpError(400, 'bad_request', `Invalid ${name}`);
  return n;
}

/** The floor's express app on `knex` (`dialect` 'sqlite' | 'pg'), accepting `Authorization: Bearer <token>`. */
export function createFloorApp(knex, { dialect, token }) {
  const isPg = dialect === 'pg';
  const selectOne = (id) => knex(TABLE).select(COLUMNS).where({ id }).first();

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  app.use(express.json({ limit: '1mb' }));

  const expected = Buffer.from(`Bearer ${token}`);
  app.use((req, _res, next) => {
    const got = Buffer.from(req.headers.authorization ?? '');
    if (got.length !== expected.length || !crypto.timingSafeEqual(got, expected)) return next(new HttpError(401, 'unauthenticated', 'Sign in first'));
    next();
  });

  app.post('/leads', async (req, res) => {
    const now = new Date().toISOString();
    const row = { _version: 1, _created_at: now, _updated_at: now, _created_by: USER_ID, _owner: USER_ID, _dept: null, ...columnsOf(req.body, true) };
    let id;
    if (isPg) id = (await knex(TABLE).insert(row).returning('id'))[0].id;
    else id = (await knex(TABLE).insert(row))[0];
    res.status(201).json(toApi(await selectOne(id)));
  });

  app.get('/leads/:id', async (req, res) => {
    const r = await selectOne(positiveInt(req.params.id, 'id'));
    if (!r) throw new HttpError(404, 'not_found', 'No such lead');
    res.json(toApi(r));
  });

  app.get('/leads', async (req, res) => {
    const q = req.query;
    const page = q.page === undefined ? 1 : positiveInt(q.page, 'page', 1_000_000);
    const pageSize = q.pageSize === undefined ? 20 : positiveInt(q.pageSize, 'pageSize', 500);
    const base = knex(TABLE);
    if (q.status !== undefined) base.where('status', String(q.status));
    if (q.minBudget !== undefined) {
      const b = Number(q.minBudget);
      if (!Number.isFinite(b)) throw new HttpError(400, 'bad_request', 'Invalid minBudget');
      base.where('budget', '>=', Math.round(b * 100));
    }
    const order = [];
    for (const tok of String(q.sort ?? '').split(',').filter(Boolean)) {
      const desc = tok.startsWith('-');
      const column = desc ? tok.slice(1) : tok;
      if (!SORTABLE.has(column)) throw new HttpError(400, 'bad_request', `Cannot sort by ${column}`);
      order.push({ column, order: desc ? 'desc' : 'asc' });
    }
    if (!order.some((o) => o.column === 'id')) order.push({ column: 'id', order: order[0]?.order ?? 'desc' });
    const itemsQ = base.clone().select(COLUMNS).orderBy(order).limit(pageSize + 1).offset((page - 1) * pageSize);
    const countQ = knex.count({ n: '*' }).from(base.clone().select(knex.raw('1')).limit(COUNT_CAP + 1).as('c')).first();
    const [all, count] = await Promise.all([itemsQ, countQ]);
    const rows = all.slice(0, pageSize);
    const last = rows[rows.length - 1];
    const next = all.length > pageSize ? Buffer.from(JSON.stringify(order.map((o) => last[o.column]))).toString('base64url') : null;
    const n = Number(count.n);
    res.json({ items: rows.map(toApi), total: Math.min(n, COUNT_CAP), page, pageSize, next, ...(n > COUNT_CAP ? { totalCapped: true } : {}) });
  });

  app.patch('/leads/:id', async (req, res) => {
    const id = positiveInt(req.params.id, 'id');
    const version = req.body?._version;
    if (!Number.isInteger(version) || version < 1) throw new HttpError(422, 'validation', '_version is required', { _version: 'a positive integer' });
    const set = columnsOf(req.body, false);
    set._version = knex.raw('?? + 1', ['_version']);
    set._updated_at = new Date().toISOString();
    const n = await knex(TABLE).where({ id, _version: version }).update(set);
    if (n !== 1) {
      const cur = await knex(TABLE).select('_version').where({ id }).first();
      if (!cur) throw new HttpError(404, 'not_found', 'No such lead');
      throw new HttpError(409, 'conflict', 'The record was changed by someone else');
    }
    res.json(toApi(await selectOne(id)));
  });

  app.use((_req, _res, next) => next(new HttpError(404, 'not_found', 'Not found')));
  app.use((err, _req, res, _next) => {
    const status = err instanceof HttpError ? err.status : err?.type === 'entity.parse.failed' ? 400 : 500;
    const code = err instanceof HttpError ? err.code : status === 400 ? 'bad_request' : 'internal';
    if (status === 500) process.stderr.write(`floor: ${err?.stack ?? err}\n`);
    res.status(status).json({ error: { code, message: status === 500 ? 'Internal error' : err.message, ...(err.fields ? { fields: err.fields } : {}) } });
  });
  return app;
}

async function main() {
  const { values } = parseArgs({ options: { db: { type: 'string' }, port: { type: 'string', default: '0' } } });
  if (!values.db) throw new Error('usage: thin-server.js --db URL [--port N]');
  const token = process.env.FLOOR_TOKEN;
  if (!token || token.length < 16) throw new Error('FLOOR_TOKEN (16+ characters) is required');
  const knex = await openKnex(values.db);
  const app = createFloorApp(knex, { dialect: values.db.startsWith('sqlite:') ? 'sqlite' : 'pg', token });
  const server = app.listen(Number(values.port), '127.0.0.1');
  await new Promise((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  server.keepAliveTimeout = 65_000;
  process.stdout.write(`Floor listening on http://127.0.0.1:${server.address().port}\n`);

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    server.close();
    server.closeAllConnections();
    await knex.destroy().catch(() => undefined);
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) await main();
