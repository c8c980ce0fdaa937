/**
 * The backup commands of the `formwork` CLI (built engine, real processes), on SQLite and
 * PostgreSQL: `backup --out FILE --verify`, `backup verify FILE` of a corrupted file,
 * `backup --dir DIR` + `backup list --dir DIR`, and `serve --backup-dir … --backup-every …`
 * taking a verified backup when its due time comes (GET /api/admin/backups).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import knexFactory from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../helpers/db.js';
import { startEngineProcess, freshPgDatabase, login, call, runCli } from '../helpers/process.js';
import { sqlitePath } from '../../src/store/connection.js';

describe.each(DIALECTS)('backup commands on %s', (dialect) => {
  let dbUrl: string;
  let cleanup: () => Promise<void>;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'formwork-bkcli-'));

  beforeAll(async () => {
    if (dialect === 'sqlite') {
      dbUrl = `sqlite:${path.join(tmp, 'db.sqlite')}`;
      cleanup = async () => fs.rmSync(tmp, { recursive: true, force: true });
    } else {
      const pg = await freshPgDatabase();
      dbUrl = pg.url;
      cleanup = async () => {
        await pg.drop();
        fs.rmSync(tmp, { recursive: true, force: true });
      };
    }
    const u = await runCli(['user', 'add', 'bob', '--role', 'admin', '--password', 'bob-password-123', '--db', dbUrl]);
    expect(u.code).toBe(0);
  });
  afterAll(() => cleanup());

  it('backup --out FILE --verify restores the copy elsewhere and counts every table; a corrupted file fails', async () => {
    const out = path.join(tmp, `one.${dialect}`);
    const b = await runCli(['backup', '--out', out, '--verify', '--db', dbUrl]);
    expect(b.stderr).toBe('');
    expect(b.code).toBe(0);
    expect(b.stdout).toMatch(/Verified: restored into a scratch (file|database), \d+ tables, \d+ rows/);
    expect(b.stdout).toMatch(/^ {2}fw_users 1$/m);
    expect(b.stdout).toMatch(/^ {2}fw_migrations \d+$/m);

    const v = await runCli(['backup', 'verify', out, '--db', dbUrl]);
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/^ {2}fw_users 1$/m);

    const bad = path.join(tmp, `bad.${dialect}`);
    const buf = fs.readFileSync(out);
    fs.writeFileSync(bad, buf.subarray(0, Math.floor(buf.length / 2)));
    const f = await runCli(['backup', 'verify', bad, '--db', dbUrl]);
    expect(f.code).toBe(1);
    expect(f.stderr).toMatch(/VERIFICATION FAILED/);
    expect(f.stderr).not.toMatch(/:\/\/[^@\s]*:[^*@\s]+@/); // no password of a URL
  });

  it('backup --dir DIR takes a verified backup into the managed folder; backup list shows it', async () => {
    const dir = path.join(tmp, 'managed');
    const b = await runCli(['backup', '--dir', dir, '--db', dbUrl]);
    expect(b.stderr).toBe('');
    expect(b.code).toBe(0);
    expect(b.stdout).toMatch(/: verified, \d+ tables, \d+ rows/);
    fs.writeFileSync(path.join(dir, 'mine.txt'), 'not a backup');
    const l = await runCli(['backup', 'list', '--dir', dir]);
    expect(l.code).toBe(0);
    expect(l.stdout).toMatch(/^formwork-\d{8}T\d{6}Z\.(sqlite|pgdump) {2}\S+ {2}verified {2}\d+ tables \d+ rows {2}\d+ bytes$/m);
    expect(fs.existsSync(path.join(dir, 'mine.txt'))).toBe(true);
  });

  it('serve --backup-dir --backup-every takes a verified backup when it is due', async () => {
    const dir = path.join(tmp, 'scheduled');
    const p = await startEngineProcess(dbUrl, { FORMWORK_BACKUP_TZ: 'UTC' }, ['--backup-dir', dir, '--backup-every', '1h', '--backup-keep-daily', '3']);
    const k = dialect === 'sqlite'
      ? knexFactory({ client: 'better-sqlite3', connection: { filename: sqlitePath(dbUrl) }, useNullAsDefault: true, pool: { min: 1, max: 1 } })
      : knexFactory({ client: 'pg', connection: dbUrl, pool: { min: 0, max: 1 } });
    try {
      expect(p.output()).toMatch(/Backups: every 3600s, keep 3 daily \+ 4 weekly/);
      const token = await login(p.url, 'bob', 'bob-password-123');
      let s = await call(p.url, token, 'GET', '/api/admin/backups');
      expect(s.status).toBe(200);
      expect(s.body).toMatchObject({ configured: true, dir, last: null });
      expect(Date.parse(s.body.nextDue)).toBeGreaterThan(Date.now());
      // fast-forward: the pending backup is due now
      await k('fw_jobs').where({ kind: 'backup.scheduled', status: 'pending' }).update({ run_at: new Date(Date.now() - 1000).toISOString() });
      const deadline = Date.now() + 30_000;
      do {
        await new Promise((r) => setTimeout(r, 300));
        s = await call(p.url, token, 'GET', '/api/admin/backups');
      // the next due time is queued right after the backup is recorded: wait for both
      } while (!(s.body.last && Date.parse(s.body.nextDue) > Date.now()) && Date.now() < deadline);
      expect(s.body.lastVerified).toMatchObject({ status: 'verified', exists: true, tables: expect.any(Number) });
      expect(fs.existsSync(path.join(dir, s.body.lastVerified.file))).toBe(true);
      expect(Date.parse(s.body.nextDue)).toBeGreaterThan(Date.now());
    } finally {
      await k.destroy();
      await p.kill();
    }
  });
});
