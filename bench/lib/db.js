// The two databases of a benchmark run (the engine's and the floor's), the floor's table, the
// seed rows, and the schema comparison that proves the two tables are the same.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import knexFactory from 'knex';
import { leadRow, makeLead, prng, TABLE } from './data.js';

const ENGINE_DIST = new URL('../../engine/dist/', import.meta.url);
const engineModule = (p) => import(new URL(p, ENGINE_DIST).href);

export const PG_ADMIN_URL = process.env.FORMWORK_BENCH_PG ?? process.env.FORMWORK_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';

function assertLocal(url) {
  const host = new URL(url).hostname;
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(host)) throw new Error(`the benchmark only talks to 127.0.0.1; refusing PostgreSQL at ${host}`);
}

/**
 * Fresh databases for one dialect: SQLite files in `tmpDir`, or two new PostgreSQL databases
 * (fw_bench_<random> and fw_bench_<random>_floor) next to PG_ADMIN_URL's. `drop()` removes them.
 */
export async function createDatabases(dialect, tmpDir) {
  if (dialect === 'sqlite') {
    const dir = path.join(tmpDir, 'sqlite');
    fs.mkdirSync(dir, { recursive: true });
    return {
      engineUrl: `sqlite:${path.join(dir, 'engine.db')}`,
      floorUrl: `sqlite:${path.join(dir, 'floor.db')}`,
      label: dir,
      drop: async () => fs.rmSync(dir, { recursive: true, force: true }),
    };
  }
  assertLocal(PG_ADMIN_URL);
  const name = `fw_bench_${crypto.randomBytes(4).toString('hex')}`;
  const admin = knexFactory({ client: 'pg', connection: PG_ADMIN_URL, pool: { min: 0, max: 1 } });
  const created = [];
  try {
    for (const db of [name, `${name}_floor`]) {
      await admin.raw(`create database "${db}"`);
      created.push(db);
      // Who made it: a later run drops it if this process died without cleaning up (SIGKILL).
      await admin.raw(`comment on database "${db}" is 'formwork bench pid ${process.pid}'`);
    }
  } catch (e) {
    await dropPg(created);
    throw e;
  } finally {
    await admin.destroy();
  }
  const urlOf = (db) => {
    const u = new URL(PG_ADMIN_URL);
    u.pathname = '/' + db;
    return u.toString();
  };
  return { engineUrl: urlOf(name), floorUrl: urlOf(`${name}_floor`), label: `${name}, ${name}_floor`, drop: () => dropPg(created) };
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}

/**
 * Leftovers of benchmark runs killed without cleanup: temporary folders (they hold a `pid`
 * file) and databases (commented with their creator's pid) whose creating process is gone.
 * Each benchmark names its own: the records benchmark's defaults below, the workflow
 * benchmark's in bench/workflow-lib/db.js.
 */
export async function removeLeftovers(tmpRoot, dialects, kind = {
  tmpPrefix: 'formwork-bench-', dbLike: 'fw\\_bench\\_%', noteRe: /^formwork bench pid (\d+)$/, nameRe: /^fw_bench_[0-9a-f]{8}(_floor)?$/,
}) {
  const removed = [];
  for (const d of fs.readdirSync(tmpRoot)) {
    if (!d.startsWith(kind.tmpPrefix)) continue;
    const dir = path.join(tmpRoot, d);
    let pid = NaN;
    try {
      pid = Number(fs.readFileSync(path.join(dir, 'pid'), 'utf8'));
    } catch {
      continue;
    }
    if (Number.isInteger(pid) && pid > 0 && !alive(pid)) {
      fs.rmSync(dir, { recursive: true, force: true });
      removed.push(dir);
    }
  }
  if (dialects.includes('pg')) {
    assertLocal(PG_ADMIN_URL);
    const admin = knexFactory({ client: 'pg', connection: PG_ADMIN_URL, pool: { min: 0, max: 1 } });
    try {
      const r = await admin.raw(`select datname, shobj_description(oid, 'pg_database') as note from pg_database where datname like '${kind.dbLike}'`);
      for (const row of r.rows) {
        const m = kind.noteRe.exec(row.note ?? '');
        if (!m || alive(Number(m[1])) || !kind.nameRe.test(row.datname)) continue;
        await admin.raw(`drop database if exists "${row.datname}" with (force)`);
        removed.push(`database ${row.datname}`);
      }
    } finally {
      await admin.destroy();
    }
  }
  return removed;
}

async function dropPg(names) {
  if (!names.length) return;
  const admin = knexFactory({ client: 'pg', connection: PG_ADMIN_URL, pool: { min: 0, max: 1 } });
  try {
    for (const db of names) await admin.raw(`drop database if exists "${db}" with (force)`);
  } finally {
    await admin.destroy();
  }
}

/** A connection the engine's way (engine/src/store/connection.ts: pragmas, type parsers). */
export async function openEngineDb(url) {
  const { openDb } = await engineModule('store/connection.js');
  return openDb(url, { poolMax: 2 });
}

/**
 * The floor's table: the engine's own table planner (planForm + applyPlan, what a publish runs)
 * applied to the published form document in the floor's database, so the DDL is the same by
 * construction. compareSchemas() checks it afterwards.
 */
export async function createFloorTable(floorDb, publishedForm) {
  const { planForm, applyPlan } = await engineModule('store/planner.js');
  const plan = planForm(null, publishedForm);
  await floorDb.knex.transaction((trx) => applyPlan(trx, floorDb.dialect, plan, null, publishedForm));
  return plan;
}

/** Columns and indexes of `table`, normalised for comparison. */
export async function describeTable(db, table) {
  if (db.dialect === 'sqlite') {
    const rows = await db.knex.raw(`select type, name, sql from sqlite_master where tbl_name = ? order by type, name`, [table]);
    return rows.map((r) => `${r.type} ${r.name}: ${r.sql ?? '(automatic)'}`);
  }
  const cols = await db.knex.raw(
    `select column_name, data_type, character_maximum_length, is_nullable, column_default, is_identity, identity_generation
       from information_schema.columns where table_schema = current_schema() and table_name = ? order by ordinal_position`,
    [table],
  );
  const idx = await db.knex.raw(`select indexname, indexdef from pg_indexes where schemaname = current_schema() and tablename = ? order by indexname`, [table]);
  return [
    ...cols.rows.map((c) => `column ${c.column_name} ${c.data_type}${c.character_maximum_length ? `(${c.character_maximum_length})` : ''} ${c.is_nullable === 'NO' ? 'not null' : 'null'}${c.column_default ? ` default ${c.column_default}` : ''}${c.is_identity === 'YES' ? ` identity ${c.identity_generation}` : ''}`),
    ...idx.rows.map((i) => `index ${i.indexname}: ${i.indexdef}`),
  ];
}

export async function compareSchemas(engineDb, floorDb, table) {
  const a = await describeTable(engineDb, table);
  const b = await describeTable(floorDb, table);
  const same = a.length === b.length && a.every((x, i) => x === b[i]);
  if (!same) throw new Error(`the floor's table differs from the engine's:\nengine:\n  ${a.join('\n  ')}\nfloor:\n  ${b.join('\n  ')}`);
  return a;
}

/**
 * Insert `n` leads into `table` in batches, inside one transaction, ids assigned by the database
 * (1..n on a fresh table). Deliberately bypasses RecordService (no validation, audit or outbox
 * rows) so 100k rows take seconds; the rows are exactly what RecordService would store.
 */
export async function seed(db, n, userId, { seedValue = 42, batch = 500 } = {}) {
  const rand = prng(seedValue);
  const t0 = Date.parse('2024-01-01T00:00:00.000Z');
  await db.knex.transaction(async (trx) => {
    for (let i = 0; i < n; i += batch) {
      const rows = [];
      for (let j = i; j < Math.min(n, i + batch); j++) rows.push(leadRow(makeLead(rand, j + 1), new Date(t0 + j * 60_000).toISOString(), userId));
      await trx(TABLE).insert(rows);
    }
  });
  // Statistics and a settled WAL for both tables alike.
  if (db.dialect === 'sqlite') {
    await db.knex.raw('ANALYZE');
    await db.knex.raw('PRAGMA wal_checkpoint(TRUNCATE)');
  } else {
    await db.knex.raw(`VACUUM ANALYZE "${TABLE}"`);
  }
  const [{ n: count, max }] = await db.knex(TABLE).count({ n: '*' }).max({ max: 'id' });
  if (Number(count) !== n || Number(max) !== n) throw new Error(`seeding ${TABLE}: expected ids 1..${n}, found ${count} rows up to ${max}`);
}

export async function rowCount(db) {
  const [{ n }] = await db.knex(TABLE).count({ n: '*' });
  return Number(n);
}
