/**
 * A consistent copy of the whole database while the server runs, and back.
 * SQLite: `VACUUM INTO` (a transactionally consistent snapshot, WAL readers are not blocked).
 * PostgreSQL: its own tools, pg_dump (custom format) and pg_restore.
 * Restoring never destroys the current database: an SQLite file is kept beside it.
 *
 * Every backup also carries the row count of every table *of the copy's own moment*, so that a
 * verification (backup-verify.ts) can restore it elsewhere and compare:
 *  - PostgreSQL: a REPEATABLE READ transaction exports its snapshot (`pg_export_snapshot()`),
 *    counts every table of the schema, and pg_dump runs with `--snapshot` on that very snapshot:
 *    the counts and the dump see the same database state.
 *  - SQLite: `VACUUM INTO` cannot run inside a transaction, so the counts are taken from the
 *    new copy itself (read-only) right after it is written, before it gets its final name; the
 *    copy is a transactionally consistent snapshot, so these are its source's counts at that moment.
 */
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import knexFactory, { type Knex } from 'knex';
import { dialectOf, openDb, quoteId, sqlitePath, type Dialect } from './connection.js';

/** Every URL password in a text masked (`//user:***@`), for errors and logs. */
export function maskUrls(s: string): string {
  return s.replace(/\/\/([^:/@\s]+):([^@\s]*)@/g, '//$1:***@');
}

/** Runs a command; its error message has any URL credentials masked. */
export function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d) => (err += d));
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(maskUrls(`${cmd} failed (${code}): ${err.trim()}`)))));
  });
}

export const SQLITE_MAGIC = 'SQLite format 3\0';

/** What a backup file holds, by its first bytes: an SQLite database, a pg_dump custom archive, or neither. */
export function backupFileKind(file: string): Dialect | null {
  const head = Buffer.alloc(16);
  const fd = fs.openSync(file, 'r');
  try {
    fs.readSync(fd, head, 0, 16, 0);
  } finally {
    fs.closeSync(fd);
  }
  if (head.toString('latin1') === SQLITE_MAGIC) return 'sqlite';
  if (head.toString('latin1', 0, 5) === 'PGDMP') return 'pg';
  return null;
}

/** The base tables of a database (PostgreSQL: of `schema`), sorted. */
export async function listTables(k: Knex, dialect: Dialect, schema?: string): Promise<string[]> {
  if (dialect === 'sqlite') {
    const rows = await k.raw(`select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name`);
    return (rows as Array<{ name: string }>).map((r) => r.name);
  }
  const r = await k.raw(`select table_name as name from information_schema.tables where table_schema = ? and table_type = 'BASE TABLE' order by table_name`, [schema ?? 'public']);
  return (r.rows as Array<{ name: string }>).map((x) => x.name);
}

/** The row count of every base table (PostgreSQL: of `schema`). */
export async function countTables(k: Knex, dialect: Dialect, schema?: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const prefix = dialect === 'pg' && schema ? `${quoteId(schema)}.` : '';
  for (const t of await listTables(k, dialect, schema)) {
    const r = await k.raw(`select count(*) as n from ${prefix}${quoteId(t)}`);
    const row = dialect === 'pg' ? r.rows[0] : r[0];
    out[t] = Number(row.n);
  }
  return out;
}

/** A read-only knex on an SQLite file (no journal files are created beside it). */
export function openSqliteReadOnly(file: string): Knex {
  return knexFactory({ client: 'better-sqlite3', connection: { filename: path.resolve(file), options: { readonly: true } }, useNullAsDefault: true, pool: { min: 1, max: 1 } });
}

export interface BackupResult {
  file: string;
  bytes: number;
  dialect: Dialect;
  /** PostgreSQL: the schema dumped and counted (the URL's current schema when none was given). */
  schema?: string;
  /** Row count of every table at the backup's moment (see the top of this file). */
  counts: Record<string, number>;
}

export interface BackupOptions {
  /** PostgreSQL: dump only this schema (the engine's, when it is not the default one). */
  schema?: string;
}

export async function backupDatabase(url: string, out: string, opts: BackupOptions = {}): Promise<BackupResult> {
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const tmp = `${out}.tmp-${process.pid}`;
  fs.rmSync(tmp, { force: true });
  const dialect = dialectOf(url);
  let counts: Record<string, number>;
  let schema: string | undefined;
  try {
    if (dialect === 'sqlite') {
      const db = await openDb(url);
      try {
        await db.knex.raw(`VACUUM INTO '${tmp.replace(/'/g, "''")}'`);
      } finally {
        await db.close();
      }
      const copy = openSqliteReadOnly(tmp);
      try {
        counts = await countTables(copy, 'sqlite');
      } finally {
        await copy.destroy();
      }
    } else {
      if (opts.schema && !/^[a-z_][a-z0-9_]{0,62}$/.test(opts.schema)) throw new Error(`bad schema name ${opts.schema}`);
      const k = knexFactory({ client: 'pg', connection: url, pool: { min: 0, max: 1 } });
      try {
        ({ counts, schema } = await k.transaction(async (trx) => {
          await trx.raw('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
          const snapshot = String((await trx.raw('select pg_export_snapshot() as s')).rows[0].s);
          const sch = opts.schema ?? String((await trx.raw('select current_schema() as s')).rows[0].s);
          const c = await countTables(trx, 'pg', sch);
          await run('pg_dump', ['--format=custom', '--no-owner', `--snapshot=${snapshot}`, ...(opts.schema ? ['--schema', opts.schema] : []), '--file', tmp, url]);
          return { counts: c, schema: sch };
        }));
      } finally {
        await k.destroy();
      }
    }
    fs.renameSync(tmp, out);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  return { file: out, bytes: fs.statSync(out).size, dialect, schema, counts };
}

export async function restoreDatabase(url: string, file: string): Promise<{ previous?: string }> {
  if (!fs.existsSync(file)) throw new Error(`no backup file at ${file}`);
  const kind = backupFileKind(file);
  const isSqlite = kind === 'sqlite';
  if (dialectOf(url) === 'sqlite') {
    if (!isSqlite) throw new Error(`${file} is not an SQLite backup`);
    // Check the backup before touching anything.
    const check = await openDb(`sqlite:${file}`);
    try {
      const r = await check.knex.raw('PRAGMA integrity_check');
      if (r[0]?.integrity_check !== 'ok') throw new Error(`${file} fails the integrity check`);
    } finally {
      await check.close();
    }
    const target = sqlitePath(url);
    let previous: string | undefined;
    if (fs.existsSync(target)) {
      previous = `${target}.before-restore-${new Date().toISOString().replace(/[:.]/g, '-')}`;
      fs.renameSync(target, previous);
    }
    for (const ext of ['-wal', '-shm']) fs.rmSync(target + ext, { force: true });
    fs.mkdirSync(path.dirname(path.resolve(target)), { recursive: true });
    fs.copyFileSync(file, target);
    return { previous };
  }
  if (kind !== 'pg') throw new Error(`${file} is not a PostgreSQL (pg_dump custom format) backup`);
  await run('pg_restore', ['--clean', '--if-exists', '--no-owner', '--single-transaction', '--dbname', url, file]);
  return {};
}
