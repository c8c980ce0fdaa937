/**
 * A kill -9 during concurrent writes loses no acknowledged record; backup while serving and
 * restore bring every record back. Real `formwork serve` processes, on SQLite and PostgreSQL.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../helpers/db.js';
import { startEngineProcess, freshPgDatabase, login, call, runCli, type EngineProcess } from '../helpers/process.js';

const form = {
  key: 'note',
  label: 'Note',
  fields: [
    { key: 'title', type: 'text', label: 'Title', required: true },
    { key: 'amount', type: 'money', label: 'Amount' },
    { key: 'no', type: 'autonumber', label: 'No', autonumber: { pattern: 'N{####}' } },
  ],
};

describe.each(DIALECTS)('durability on %s', (dialect) => {
  let dbUrl: string;
  let cleanup: () => Promise<void>;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'formwork-dur-'));

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
  });
  afterAll(() => cleanup());

  it('loses no acknowledged record when the process is killed with SIGKILL mid-write', async () => {
    let p: EngineProcess = await startEngineProcess(dbUrl);
    let token = await login(p.url);
    expect((await call(p.url, token, 'PUT', '/api/meta/forms/note', form)).status).toBe(200);
    expect((await call(p.url, token, 'POST', '/api/meta/forms/note/publish', {})).status).toBe(200);

    const acknowledged = new Map<number, string>();
    let stop = false;
    const writer = async (w: number) => {
      for (let i = 0; !stop; i++) {
        const title = `w${w}-${i}-${crypto.randomBytes(3).toString('hex')}`;
        try {
          const r = await call(p.url, token, 'POST', '/api/records/note', { title, amount: i + 0.25 });
          if (r.status === 201) acknowledged.set(r.body.id, title);
        } catch {
          return; // connection refused/reset once the process is gone
        }
      }
    };
    const writers = Array.from({ length: 8 }, (_, w) => writer(w));
    // let some writes land, then kill without warning
    while (acknowledged.size < 150) await new Promise((r) => setTimeout(r, 20));
    await p.kill('SIGKILL');
    stop = true;
    await Promise.all(writers);
    expect(acknowledged.size).toBeGreaterThanOrEqual(150);

    p = await startEngineProcess(dbUrl);
    token = await login(p.url);
    try {
      const seen = new Map<number, any>();
      for (let page = 1; ; page++) {
        const r = await call(p.url, token, 'GET', `/api/records/note?pageSize=500&page=${page}&sort=id`);
        expect(r.status).toBe(200);
        for (const rec of r.body.items) seen.set(rec.id, rec);
        if (r.body.items.length < 500) break;
      }
      for (const [id, title] of acknowledged) expect(seen.get(id)?.title).toBe(title);
      const numbers = [...seen.values()].map((r) => r.no);
      expect(new Set(numbers).size).toBe(numbers.length);
      // the engine keeps working after the crash
      expect((await call(p.url, token, 'POST', '/api/records/note', { title: 'after' })).status).toBe(201);
    } finally {
      await p.kill();
    }
  });

  it('backs up while serving and restores every record', async () => {
    const p = await startEngineProcess(dbUrl);
    const token = await login(p.url);
    let count: number;
    const out = path.join(tmp, `backup-${dialect}.bin`);
    try {
      count = (await call(p.url, token, 'GET', '/api/records/note?pageSize=1')).body.total;
      expect(count).toBeGreaterThan(100);
      const b = await runCli(['backup', '--out', out, '--db', dbUrl]);
      expect(b.stderr).toBe('');
      expect(b.code).toBe(0);
      expect(fs.statSync(out).size).toBeGreaterThan(0);
      // changes after the backup are undone by the restore
      for (let i = 0; i < 5; i++) expect((await call(p.url, token, 'POST', '/api/records/note', { title: `later ${i}` })).status).toBe(201);
    } finally {
      await p.kill();
    }
    const r = await runCli(['restore', out, '--db', dbUrl]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const p2 = await startEngineProcess(dbUrl);
    try {
      const t2 = await login(p2.url);
      expect((await call(p2.url, t2, 'GET', '/api/records/note?pageSize=1')).body.total).toBe(count!);
    } finally {
      await p2.kill();
    }
  });
});
