/**
 * Text a database cannot store is the caller's error, never a 5xx: PostgreSQL refuses the NUL
 * character (SQLite keeps it). In record bodies, search text and filters.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../helpers/db.js';
import { publishForm, startServer, testEngine, type TestEngine, type TestServer } from '../helpers/engine.js';

describe.each(DIALECTS)('hostile text on %s', (dialect) => {
  let t: TestEngine;
  let s: TestServer;
  beforeAll(async () => {
    t = await testEngine(dialect);
    await publishForm(t.engine, { key: 'note', label: 'Note', fields: [{ key: 'title', type: 'text', label: 'Title' }] });
    s = await startServer(t.engine);
  });
  afterAll(async () => {
    await s?.close();
    await t?.drop();
  });

  it('answers 400 (PostgreSQL) or stores it (SQLite), never 5xx', async () => {
    const created = await s.api('/api/records/note', { body: { title: 'a\u0000b' } });
    if (dialect === 'pg') {
      expect(created.status).toBe(400);
      expect(created.body.error.code).toBe('bad_request');
    } else {
      expect(created.status).toBe(201);
    }
    const q = await s.api(`/api/records/note?q=${encodeURIComponent('x\u0000y')}`);
    expect(q.status).toBeLessThan(500);
    const f = await s.api(`/api/records/note?filter=${encodeURIComponent(JSON.stringify({ '==': [{ var: 'title' }, 'x\u0000'] }))}`);
    expect(f.status).toBeLessThan(500);
    // and nothing half-written: no audit entry or event without its row
    const rows = Number((await t.engine.db.knex('t_note').count({ n: '*' }).first())!.n);
    const audit = Number((await t.engine.db.knex('fw_audit').where({ form: 'note' }).count({ n: '*' }).first())!.n);
    const events = Number((await t.engine.db.knex('fw_outbox').where({ form: 'note' }).count({ n: '*' }).first())!.n);
    expect([audit, events]).toEqual([rows, rows]);
  });
});
