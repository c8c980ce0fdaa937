// Databases of the workflow benchmark: a temporary SQLite file, or a fresh PostgreSQL database
// (fw_wfbench_<8 hex>, commented with the creating process id), removed at the end; and the
// removal of what a killed run left behind.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import knexFactory from 'knex';

export const PG_ADMIN_URL = process.env.FORMWORK_BENCH_PG ?? process.env.FORMWORK_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
const NAME_RE = /^fw_wfbench_[0-9a-f]{8}$/;
const NOTE_RE = /^formwork workflow bench pid (\d+)$/;
export const TMP_PREFIX = 'formwork-wfbench-';

function assertLocal(url) {
  const host = new URL(url).hostname;
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(host)) throw new Error(`the benchmark only talks to 127.0.0.1; refusing PostgreSQL at ${host}`);
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}

const adminKnex = () => knexFactory({ client: 'pg', connection: PG_ADMIN_URL, pool: { min: 0, max: 1 } });

/** A fresh database for one dialect: `{ url, label, drop() }`. */
export async function createDatabase(dialect, tmpDir) {
  if (dialect === 'sqlite') {
    const dir = path.join(tmpDir, 'sqlite');
    fs.mkdirSync(dir, { recursive: true });
    return { url: `sqlite:${path.join(dir, 'engine.db')}`, label: path.join(dir, 'engine.db'), drop: async () => fs.rmSync(dir, { recursive: true, force: true }) };
  }
  assertLocal(PG_ADMIN_URL);
  const name = `fw_wfbench_${crypto.randomBytes(4).toString('hex')}`;
  const admin = adminKnex();
  try {
    await admin.raw(`create database "${name}"`);
    // Who made it: a later run drops it if this process died without cleaning up (SIGKILL).
    await admin.raw(`comment on database "${name}" is 'formwork workflow bench pid ${process.pid}'`);
  } finally {
    await admin.destroy();
  }
  const u = new URL(PG_ADMIN_URL);
  u.pathname = '/' + name;
  let dropped = false;
  return {
    url: u.toString(),
    label: name,
    async drop() {
      if (dropped) return;
      dropped = true;
      const k = adminKnex();
      try {
        await k.raw(`drop database if exists "${name}" with (force)`);
      } finally {
        await k.destroy();
      }
    },
  };
}

/** Leftovers of runs killed without cleanup: temporary folders and databases whose process is gone. */
export async function removeLeftovers(tmpRoot, dialects) {
  const removed = [];
  for (const d of fs.readdirSync(tmpRoot)) {
    if (!d.startsWith(TMP_PREFIX)) continue;
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
    const admin = adminKnex();
    try {
      const r = await admin.raw(`select datname, shobj_description(oid, 'pg_database') as note from pg_database where datname like 'fw\\_wfbench\\_%'`);
      for (const row of r.rows) {
        const m = NOTE_RE.exec(row.note ?? '');
        if (!m || alive(Number(m[1])) || !NAME_RE.test(row.datname)) continue;
        await admin.raw(`drop database if exists "${row.datname}" with (force)`);
        removed.push(`database ${row.datname}`);
      }
    } finally {
      await admin.destroy();
    }
  }
  return removed;
}
