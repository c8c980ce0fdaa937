/**
 * The SQLite client runs statements in this thread; a long run of them must still let the event
 * loop turn (HTTP requests, timers), and errors keep the driver's constraint code that group
 * commit relies on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDb, type TestDb } from '../helpers/db.js';
import { SLICE_MS } from '../../src/store/sqlite-client.js';

describe('SQLite client', () => {
  let db: TestDb;
  beforeAll(async () => {
    db = await testDb('sqlite');
    await db.knex.schema.createTable('t_slice', (t) => {
      t.increments('id');
      t.string('v').unique();
    });
    await db.knex('t_slice').insert(Array.from({ length: 200 }, (_, i) => ({ v: `v${i}` })));
  });
  afterAll(() => db.drop());

  it(`lets a timer fire during back-to-back statements (a turn at least every ${SLICE_MS} ms of work)`, async () => {
    for (const inTransaction of [false, true]) {
      let ticks = 0;
      let longestGap = 0;
      let last = performance.now();
      const timer = setInterval(() => {
        const now = performance.now();
        longestGap = Math.max(longestGap, now - last);
        last = now;
        ticks++;
      }, 1);
      const started = performance.now();
      const loop = async (k: typeof db.knex) => {
        // at least 200 ms of statements, whatever the machine's speed
        for (let i = 0; performance.now() - started < 200 || i < 2000; i++) await k('t_slice').where({ id: 1 + (i % 200) }).first();
      };
      if (inTransaction) await db.knex.transaction((trx) => loop(trx));
      else await loop(db.knex);
      clearInterval(timer);
      const elapsed = performance.now() - started;
      // Without the turns the interval never runs until the loop ends (0 ticks).
      expect(ticks, `in a transaction: ${inTransaction}`).toBeGreaterThan(elapsed / (SLICE_MS * 4));
      expect(longestGap).toBeLessThan(100);
    }
  });

  it('reports a constraint violation with an SQLITE_CONSTRAINT code and leaves the transaction usable', async () => {
    await db.knex.transaction(async (trx) => {
      const err = await trx('t_slice').insert({ v: 'v1' }).catch((e) => e);
      expect(String(err.code)).toMatch(/^SQLITE_CONSTRAINT/);
      expect(String(err.message)).toMatch(/UNIQUE constraint failed/);
      await trx('t_slice').insert({ v: 'fresh' });
    });
    expect(await db.knex('t_slice').where({ v: 'fresh' }).first()).toBeTruthy();
  });
});
