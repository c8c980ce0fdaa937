/**
 * Group commit on SQLite: concurrent simple creates share transactions; a refused create fails
 * alone; a shared transaction that breaks is replayed piece by piece, so no other request fails.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngine, publishForm, type TestEngine } from '../helpers/engine.js';
import { SYSTEM_ACTOR } from '../../src/auth/actor.js';
import { GroupCommit } from '../../src/store/group-commit.js';
import { AppError } from '../../src/errors.js';

describe('group commit (SQLite)', () => {
  let t: TestEngine;
  beforeAll(async () => {
    t = await testEngine('sqlite');
    await publishForm(t.engine, {
      key: 'visit', label: 'Visit',
      fields: [
        { key: 'name', type: 'text', label: 'Name', required: true },
        { key: 'ticket', type: 'text', label: 'Ticket', unique: true },
      ],
    });
  });
  afterAll(() => t?.drop());

  it('lets concurrent creates share transactions, each with its audit entry and event; a taken value fails alone', async () => {
    const begins: string[] = [];
    const onQuery = (q: { sql: string }) => {
      if (/^begin/i.test(q.sql.trim())) begins.push(q.sql);
    };
    t.engine.db.knex.on('query', onQuery);
    const results = await Promise.allSettled(
      Array.from({ length: 60 }, (_, i) => t.engine.records.create(SYSTEM_ACTOR, 'visit', { name: `v${i}`, ticket: i === 30 ? 'T1' : i === 31 ? 'T1' : `T${1000 + i}` })),
    );
    t.engine.db.knex.removeListener('query', onQuery);
    const failed = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
    expect(failed).toHaveLength(1);
    expect((failed[0]!.reason as AppError).code).toBe('conflict');
    expect((failed[0]!.reason as AppError).fields).toHaveProperty('ticket');
    const ids = results.filter((r) => r.status === 'fulfilled').map((r) => (r as PromiseFulfilledResult<any>).value.id);
    expect(new Set(ids).size).toBe(59);
    // fewer transactions than creates: they were shared
    expect(begins.length).toBeGreaterThan(0);
    expect(begins.length).toBeLessThan(30);
    const knex = t.engine.db.knex;
    expect(Number((await knex('t_visit').count({ n: '*' }).first())!.n)).toBe(59);
    expect(Number((await knex('fw_audit').where({ form: 'visit', action: 'create' }).count({ n: '*' }).first())!.n)).toBe(59);
    expect(Number((await knex('fw_outbox').where({ form: 'visit', event: 'record.created' }).count({ n: '*' }).first())!.n)).toBe(59);
  });

  it('replays each piece alone when the shared transaction breaks, so only the broken one fails', async () => {
    const knex = t.engine.db.knex;
    await knex.schema.createTable('gc_probe', (tb) => {
      tb.increments('id');
      tb.string('v');
    });
    const gc = new GroupCommit(knex, (e) => e instanceof AppError);
    let attempts = 0;
    const jobs = [
      gc.run(async (trx) => (await trx('gc_probe').insert({ v: 'a' }), 'a')),
      gc.run(async (trx) => {
        await trx('gc_probe').insert({ v: 'b' });
        attempts++;
        throw new Error('disk on fire'); // not a refusal: the shared transaction must go
      }),
      gc.run(async () => {
        throw new AppError('validation', 'bad input');
      }),
      gc.run(async (trx) => (await trx('gc_probe').insert({ v: 'c' }), 'c')),
    ];
    const settled = await Promise.allSettled(jobs);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
    expect((settled[1] as PromiseRejectedResult).reason.message).toBe('disk on fire');
    expect(attempts).toBe(2); // once shared, once alone
    expect((await knex('gc_probe').orderBy('id').select('v')).map((r: any) => r.v)).toEqual(['a', 'c']);
  });
});
