// Databases of the workflow benchmark: a temporary SQLite file, or a fresh PostgreSQL database
// (fw_wfbench_<8 hex>, commented with the creating process id), removed at the end; and the
// removal of what a killed run left behind.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import knexFactory from 'knex';
import { removeLeftovers as removeLeftoversOf } from '../lib/db.js';

export const PG_ADMIN_URL = process.env.FORMWORK_BENCH_PG ?? process.env.FORMWORK_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
const NAME_RE = /^fw_wfbench_[0-9a-f]{8}$/;
const NOTE_RE = /^formwork workflow bench pid (\d+)$/;
export const TMP_PREFIX = 'formwork-wfbench-';

function assertLocal(url) {
  const host = new URL(url).hostname;
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(host)) throw new Error(`the benchmark only talks to 127.0.0.1; refusing PostgreSQL at ${host}`);
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

/** Leftovers of runs killed without cleanup: the shared clean-up with this benchmark's names. */
export function removeLeftovers(tmpRoot, dialects) {
  return removeLeftoversOf(tmpRoot, dialects, { tmpPrefix: TMP_PREFIX, dbLike: 'fw\\_wfbench\\_%', noteRe: NOTE_RE, nameRe: NAME_RE });
}
