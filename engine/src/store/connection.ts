/**
 * The database connection: SQLite by default (WAL, foreign keys on), PostgreSQL by URL.
 * Both behind one knex instance; code above this file asks `db.dialect` only where SQL differs.
 */
import fs from 'node:fs';
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import pg from 'pg';
import { SqliteClient } from './sqlite-client.js';
import { PgClient } from './pg-client.js';

export type Dialect = 'sqlite' | 'pg';

export interface Db {
  knex: Knex;
  dialect: Dialect;
  /** The URL it was opened with (without credentials in logs: see `safeUrl`). */
  url: string;
  /** PostgreSQL: the schema the engine's tables live in. */
  schema?: string;
  close(): Promise<void>;
}

let pgTypesSet = false;
function setPgTypes() {
  if (pgTypesSet) return;
  pgTypesSet = true;
  // int8 (count(*), bigint columns) as numbers: every integer we store stays inside 2^53.
  pg.types.setTypeParser(20, (v) => Number(v));
  // numeric (avg, sum over floats) as numbers
  pg.types.setTypeParser(1700, (v) => Number(v));
  // date as YYYY-MM-DD, timestamps as ISO 8601 UTC
  pg.types.setTypeParser(1082, (v) => v);
  pg.types.setTypeParser(1184, (v) => new Date(v).toISOString());
  pg.types.setTypeParser(1114, (v) => new Date(v + 'Z').toISOString());
}

export function dialectOf(url: string): Dialect {
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) return 'pg';
  if (url.startsWith('sqlite:')) return 'sqlite';
  throw new Error(`unsupported database URL (use sqlite:PATH or postgres://…): ${safeUrl(url)}`);
}

/** The URL with any password replaced, for logs. */
export function safeUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):([^@]*)@/, '//$1:***@');
}

export function sqlitePath(url: string): string {
  return url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
}

export interface OpenOptions {
  /** PostgreSQL: use (and create) this schema instead of `public`. */
  schema?: string;
  /** PostgreSQL pool size. */
  poolMax?: number;
}

/** Every SQLite connection of the engine: WAL, foreign keys on, and waiting for another process's write. */
function sqlitePragmas(conn: any, done: (err: Error | null, conn: any) => void): void {
  try {
    conn.pragma('journal_mode = WAL');
    conn.pragma('synchronous = NORMAL');
    conn.pragma('foreign_keys = ON');
    conn.pragma('busy_timeout = 10000');
    done(null, conn);
  } catch (e) {
    done(e as Error, conn);
  }
}

export async function openDb(url: string, opts: OpenOptions = {}): Promise<Db> {
  const dialect = dialectOf(url);
  if (dialect === 'sqlite') {
    const file = sqlitePath(url);
    if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    const knex = knexFactory({
      // better-sqlite3, giving the event loop its turns (sqlite-client.ts).
      client: SqliteClient as any,
      connection: { filename: file },
      useNullAsDefault: true,
      // One connection: SQLite has one writer; knex queues the rest.
      pool: { min: 1, max: 1, afterCreate: sqlitePragmas },
      acquireConnectionTimeout: 60_000,
    });
    await knex.raw('select 1');
    return { knex, dialect, url, close: () => knex.destroy() };
  }
  setPgTypes();
  const schema = opts.schema;
  if (schema && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`bad schema name ${schema}`);
  if (schema) {
    const boot = knexFactory({ client: 'pg', connection: url, pool: { min: 0, max: 1 } });
    try {
      await boot.raw(`create schema if not exists "${schema}"`);
    } finally {
      await boot.destroy();
    }
  }
  const knex = knexFactory({
    client: PgClient as any,
    connection: url,
    searchPath: schema ? [schema] : undefined,
    pool: { min: 0, max: opts.poolMax ?? 10 },
    acquireConnectionTimeout: 60_000,
  });
  await knex.raw('select 1');
  return { knex, dialect, url, schema, close: () => knex.destroy() };
}

/**
 * PostgreSQL: a small pool for the job runner's transactions, whose commits do not wait for the
 * disk (`synchronous_commit = off`). Only for transactions whose effects are lost or kept
 * together with their own done mark, so a crash just runs them again (workflow/jobs.ts).
 */
export function openAsyncCommitPool(db: Db, max: number): Knex {
  if (db.dialect !== 'pg') throw new Error('only PostgreSQL has asynchronous commits');
  return knexFactory({
    client: PgClient as any,
    connection: db.url,
    searchPath: db.schema ? [db.schema] : undefined,
    pool: {
      min: 0,
      max,
      afterCreate(conn: any, done: (err: Error | null, conn: any) => void) {
        conn.query('SET synchronous_commit = off', (err: Error | null) => done(err, conn));
      },
    },
    acquireConnectionTimeout: 60_000,
  });
}

/** Quote an identifier for this dialect (both use double quotes). */
export function quoteId(name: string): string {
  return '"' + name.replace(/"/g, '""') + '"';
}
