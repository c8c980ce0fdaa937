/**
 * The PostgreSQL client sends statements the engine repeats as named (prepared) statements:
 * which ones, how many per connection, and what happens when a table changes under one.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Knex } from 'knex';
import { testDb, type TestDb } from '../helpers/db.js';
import { PgClient, statementName } from '../../src/store/pg-client.js';

/** The names of the prepared statements of the session `k` runs on (run inside a transaction: one connection). */
const preparedNames = async (k: Knex): Promise<string[]> =>
  (await k.raw('select name from pg_prepared_statements where from_sql = false')).rows.map((r: any) => r.name as string);

describe('PostgreSQL client: statement names', () => {
  it('names a statement with bindings from its second use; never transaction control or whole rows of form tables', () => {
    const sql = `select "id" from "fw_x" where "id" = $1 -- ${Math.random()}`;
    expect(statementName(sql, [1])).toBeUndefined();
    const name = statementName(sql, [2]);
    expect(name).toMatch(/^fw0_[A-Za-z0-9_-]{22}$/);
    expect(statementName(sql, [3])).toBe(name);
    const other = `select "id" from "fw_y" where "id" = $1 -- ${Math.random()}`;
    statementName(other, [1]);
    expect(statementName(other, [1])).not.toBe(name);
    // no bindings: nothing to reuse a plan for
    const plain = `select 1 -- ${Math.random()}`;
    statementName(plain, []);
    expect(statementName(plain, [])).toBeUndefined();
    for (const s of ['select * from "t_customer" where "id" = $1', 'select "t".* from "t_order" as "t" where "t"."id" = $1', 'insert into "t_a" ("v") values ($1) returning *', 'SET LOCAL statement_timeout = $1']) {
      statementName(s, [1]);
      expect(statementName(s, [1]), s).toBeUndefined();
    }
    // a form table with named columns, or whole rows of a system table: named
    for (const s of ['select "t"."id", "t"."name" from "t_customer" as "t" where "t"."id" = $1', 'select * from "fw_wf_tasks" where "id" = $1']) {
      statementName(s, [1]);
      expect(statementName(s, [1]), s).toBeDefined();
    }
  });
});

describe('PostgreSQL client on a database', () => {
  let db: TestDb;
  const max = PgClient.maxNamedPerConnection;
  beforeAll(async () => {
    db = await testDb('pg');
    await db.knex.schema.createTable('zz_prep', (t) => {
      t.increments('id');
      t.string('v');
    });
    await db.knex('zz_prep').insert([{ v: 'a' }, { v: 'b' }]);
  });
  afterEach(() => {
    PgClient.maxNamedPerConnection = max;
  });
  afterAll(() => db?.drop());

  it('prepares a repeated statement once on the connection and gives the same rows', async () => {
    await db.knex.transaction(async (trx) => {
      const before = await preparedNames(trx);
      const rows = [];
      for (let i = 0; i < 8; i++) rows.push(await trx('zz_prep').where({ id: 1 + (i % 2) }).select('v').first());
      expect(rows.map((r) => r.v)).toEqual(['a', 'b', 'a', 'b', 'a', 'b', 'a', 'b']);
      const added = (await preparedNames(trx)).filter((n) => !before.includes(n));
      expect(added).toHaveLength(1);
      expect(added[0]).toMatch(/^fw\d+_/);
    });
  });

  it('keeps at most maxNamedPerConnection names on a connection; more statements run unnamed', async () => {
    PgClient.maxNamedPerConnection = 3;
    await db.knex.transaction(async (trx) => {
      const held = (await preparedNames(trx)).length;
      PgClient.maxNamedPerConnection = held + 3;
      for (let s = 0; s < 6; s++) {
        for (let i = 0; i < 3; i++) {
          const r = await trx('zz_prep').where({ id: 1 }).select(trx.raw(`? as "n${s}"`, [s])).first();
          expect(Number(r[`n${s}`])).toBe(s);
        }
      }
      expect((await preparedNames(trx)).length).toBe(held + 3);
    });
  });

  it('a table that changed under a prepared whole-row statement: run again under a new name outside a transaction, once an error inside one', async () => {
    const k = db.knex;
    // One connection for all of it, so the statement prepared is the one that breaks.
    const one = await k.client.acquireConnection();
    try {
      const read = () => k('zz_prep').where({ id: 1 }).first().connection(one);
      for (let i = 0; i < 3; i++) expect(await read()).toEqual({ id: 1, v: 'a' });
      await k.raw(`alter table "zz_prep" add column "w" varchar(255) default 'new'`).connection(one);
      // PostgreSQL refuses the prepared `*` now that it would return another column; the client
      // prepares it again under a new name and the caller gets the new row.
      expect(await read()).toEqual({ id: 1, v: 'a', w: 'new' });
      expect(await read()).toEqual({ id: 1, v: 'a', w: 'new' });
    } finally {
      await k.client.releaseConnection(one);
    }
    // Inside a transaction the first statement after the change fails (the transaction is
    // aborted: nothing half-done commits); the next transaction works.
    await k.transaction(async (trx) => {
      for (let i = 0; i < 3; i++) await trx('zz_prep').where({ id: 2 }).first();
    });
    await k.schema.alterTable('zz_prep', (t) => t.string('x').defaultTo('x'));
    let failures = 0;
    for (let attempt = 0; attempt < 12; attempt++) {
      try {
        const row = await k.transaction((trx) => trx('zz_prep').where({ id: 2 }).first());
        expect(row).toEqual({ id: 2, v: 'b', w: 'new', x: 'x' });
      } catch (e) {
        expect(String((e as Error).message)).toMatch(/cached plan must not change result type/);
        failures++;
      }
    }
    // At most once per connection that had prepared it, then never again.
    expect(failures).toBeLessThanOrEqual(1);
  });
});
