/**
 * A consistent copy of the whole database while the server runs, and back.
 * SQLite: `VACUUM INTO` (a transactionally consistent snapshot, WAL readers are not blocked).
 * PostgreSQL: its own tools, pg_dump (custom format) and pg_restore.
 * Restoring never destroys the current database: an SQLite file is kept beside it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { dialectOf, openDb, sqlitePath } from './connection.js';

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d) => (err += d));
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} failed (${code}): ${err.trim()}`))));
  });
}

const SQLITE_MAGIC = 'SQLite format 3\0';

export async function backupDatabase(url: string, out: string): Promise<{ file: string; bytes: number }> {
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const tmp = `${out}.tmp-${process.pid}`;
  fs.rmSync(tmp, { force: true });
  if (dialectOf(url) === 'sqlite') {
    const db = await openDb(url);
    try {
      await db.knex.raw(`VACUUM INTO '${tmp.replace(/'/g, "''")}'`);
    } finally {
      await db.close();
    }
  } else {
    await run('pg_dump', ['--format=custom', '--no-owner', '--file', tmp, url]);
  }
  fs.renameSync(tmp, out);
  return { file: out, bytes: fs.statSync(out).size };
}

export async function restoreDatabase(url: string, file: string): Promise<{ previous?: string }> {
  if (!fs.existsSync(file)) throw new Error(`no backup file at ${file}`);
  const head = Buffer.alloc(16);
  const fd = fs.openSync(file, 'r');
  fs.readSync(fd, head, 0, 16, 0);
  fs.closeSync(fd);
  const isSqlite = head.toString('latin1') === SQLITE_MAGIC;
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
  if (head.toString('latin1', 0, 5) !== 'PGDMP') throw new Error(`${file} is not a PostgreSQL (pg_dump custom format) backup`);
  await run('pg_restore', ['--clean', '--if-exists', '--no-owner', '--single-transaction', '--dbname', url, file]);
  return {};
}
