/**
 * Verifying a backup: restore it somewhere harmless and look at what came back.
 *
 *  - SQLite: the file is copied to a scratch file in the temp folder (a restore is a copy),
 *    `PRAGMA integrity_check` must say ok, then every table is counted.
 *  - PostgreSQL: a scratch database (`fw_verify_<random>`) is created on the server of `url`,
 *    the archive is restored into it with pg_restore (`--exit-on-error`), every table of the
 *    backup's schema is counted, and the scratch database is dropped again.
 *
 * The result is ok when the restore succeeded, every table that must be there is there (the
 * tables counted at backup time, `fw_migrations` and `fw_documents`, and the record table of
 * every published form), and — when the backup's own counts are given — every count matches.
 * Nothing here throws for a bad backup: the reason is in `error` / `missing` / `mismatched`.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { quoteId, type Dialect } from './connection.js';
import { backupFileKind, countTables, maskUrls, run } from './backup.js';
import { recordTable } from './tables.js';

export interface VerifyOptions {
  /** PostgreSQL: a database URL on the server to create the scratch database on (required for a pg_dump archive). */
  url?: string;
  /** PostgreSQL: the schema the backup holds (default public). */
  schema?: string;
  /** The row counts taken at backup time; every one must match. */
  expected?: Record<string, number>;
}

export interface VerifyResult {
  ok: boolean;
  dialect: Dialect | null;
  /** Row counts of the restored copy. */
  counts: Record<string, number>;
  tables: number;
  rows: number;
  /** Tables that should be there and are not. */
  missing: string[];
  /** Tables whose restored count differs from the backup-time count. */
  mismatched: Array<{ table: string; expected: number; actual: number | null }>;
  /** Why the restore or the check failed (credentials masked). */
  error?: string;
  ms: number;
}

const ALWAYS = ['fw_migrations', 'fw_documents'];

/** Tables a restored copy must have, given what it holds. */
async function requiredTables(k: Knex, schema: string | undefined, present: Set<string>, expected?: Record<string, number>): Promise<string[]> {
  const need = new Set<string>([...ALWAYS, ...Object.keys(expected ?? {})]);
  if (present.has('fw_documents')) {
    const t = schema ? `${quoteId(schema)}.fw_documents` : 'fw_documents';
    const rows = (await k.raw(`select ${quoteId('key')} as k from ${t} where kind = 'forms' and revision is not null`)) as any;
    for (const r of (rows.rows ?? rows) as Array<{ k: string }>) need.add(recordTable(r.k));
  }
  return [...need].sort();
}

function finish(started: number, dialect: Dialect | null, counts: Record<string, number>, required: string[], expected?: Record<string, number>, error?: string): VerifyResult {
  const missing = error ? [] : required.filter((t) => !(t in counts));
  const mismatched = error
    ? []
    : Object.entries(expected ?? {})
        .filter(([t, n]) => t in counts && counts[t] !== n)
        .map(([t, n]) => ({ table: t, expected: n, actual: counts[t] ?? null }));
  const values = Object.values(counts);
  return {
    ok: !error && missing.length === 0 && mismatched.length === 0,
    dialect,
    counts,
    tables: values.length,
    rows: values.reduce((a, b) => a + b, 0),
    missing,
    mismatched,
    error,
    ms: Date.now() - started,
  };
}

const message = (e: unknown) => maskUrls(e instanceof Error ? e.message : String(e));

export async function verifyBackup(file: string, opts: VerifyOptions = {}): Promise<VerifyResult> {
  const started = Date.now();
  let dialect: Dialect | null = null;
  try {
    if (!fs.existsSync(file)) throw new Error(`no backup file at ${file}`);
    dialect = backupFileKind(file);
    if (!dialect) throw new Error(`${path.basename(file)} is neither an SQLite database nor a pg_dump archive`);
  } catch (e) {
    return finish(started, dialect, {}, [], opts.expected, message(e));
  }
  return dialect === 'sqlite' ? verifySqlite(file, opts, started) : verifyPg(file, opts, started);
}

async function verifySqlite(file: string, opts: VerifyOptions, started: number): Promise<VerifyResult> {
  const scratch = path.join(os.tmpdir(), `formwork-verify-${crypto.randomBytes(6).toString('hex')}.db`);
  let k: Knex | null = null;
  let counts: Record<string, number> = {};
  let required: string[] = [];
  try {
    fs.copyFileSync(file, scratch);
    k = knexFactory({ client: 'better-sqlite3', connection: { filename: scratch }, useNullAsDefault: true, pool: { min: 1, max: 1 } });
    const check = (await k.raw('PRAGMA integrity_check')) as Array<{ integrity_check: string }>;
    if (check.length !== 1 || check[0]?.integrity_check !== 'ok') {
      throw new Error(`integrity check failed: ${check.slice(0, 5).map((r) => r.integrity_check).join('; ')}`);
    }
    counts = await countTables(k, 'sqlite');
    required = await requiredTables(k, undefined, new Set(Object.keys(counts)), opts.expected);
    return finish(started, 'sqlite', counts, required, opts.expected);
  } catch (e) {
    return finish(started, 'sqlite', counts, required, opts.expected, message(e));
  } finally {
    await k?.destroy().catch(() => undefined);
    for (const f of [scratch, scratch + '-wal', scratch + '-shm', scratch + '-journal']) fs.rmSync(f, { force: true });
  }
}

/** The same server and credentials, another database. */
function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = '/' + name;
  return u.toString();
}

async function verifyPg(file: string, opts: VerifyOptions, started: number): Promise<VerifyResult> {
  if (!opts.url) return finish(started, 'pg', {}, [], opts.expected, 'verifying a pg_dump archive needs a PostgreSQL server to restore it into (--db URL)');
  const name = `fw_verify_${crypto.randomBytes(6).toString('hex')}`;
  const admin = knexFactory({ client: 'pg', connection: opts.url, pool: { min: 0, max: 1 } });
  let scratch: Knex | null = null;
  let created = false;
  let counts: Record<string, number> = {};
  let required: string[] = [];
  const schema = opts.schema ?? 'public';
  try {
    await admin.raw(`create database ${quoteId(name)}`);
    created = true;
    const url = withDatabase(opts.url, name);
    await run('pg_restore', ['--no-owner', '--exit-on-error', '--dbname', url, file]);
    scratch = knexFactory({ client: 'pg', connection: url, pool: { min: 0, max: 1 } });
    counts = await countTables(scratch, 'pg', schema);
    required = await requiredTables(scratch, schema, new Set(Object.keys(counts)), opts.expected);
    return finish(started, 'pg', counts, required, opts.expected);
  } catch (e) {
    return finish(started, 'pg', counts, required, opts.expected, message(e));
  } finally {
    await scratch?.destroy().catch(() => undefined);
    if (created) {
      await admin.raw(`drop database if exists ${quoteId(name)} with (force)`).catch(() => admin.raw(`drop database if exists ${quoteId(name)}`).catch(() => undefined));
    }
    await admin.destroy().catch(() => undefined);
  }
}
