/**
 * Lists at scale: keyset paging (`after` = the previous page's `next` cursor) walks exactly the
 * rows OFFSET paging shows, in the same order, for sorts with ties and nulls in both directions;
 * counts stop at a cap unless `count=exact`; forged or stale cursors are `bad_request`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../helpers/db.js';
import { testEngine, publishForm, type TestEngine } from '../helpers/engine.js';
import { SYSTEM_ACTOR } from '../../src/auth/actor.js';
import { AppError } from '../../src/errors.js';
import type { FormDef } from '../../src/meta/types.js';

const item: FormDef = {
  key: 'item', label: 'Item', titleField: 'name',
  fields: [
    { id: 'it_name', key: 'name', type: 'text', label: 'Name' },
    { id: 'it_price', key: 'price', type: 'money', label: 'Price' },
    { id: 'it_day', key: 'day', type: 'date', label: 'Day' },
    { id: 'it_at', key: 'at', type: 'datetime', label: 'At' },
    { id: 'it_kind', key: 'kind', type: 'select', label: 'Kind', options: [{ key: 'a', label: 'A' }, { key: 'b', label: 'B' }] },
  ],
};

const N = 61;

describe.each(DIALECTS)('keyset paging and capped counts on %s', (dialect) => {
  let t: TestEngine;
  const A = SYSTEM_ACTOR;

  beforeAll(async () => {
    t = await testEngine(dialect);
    await publishForm(t.engine, item);
    // ties (few distinct values) and nulls (every 5th) on every sortable field
    await t.engine.db.knex.transaction((trx) =>
      t.engine.records.createManyIn(trx, A, 'item', Array.from({ length: N }, (_, i) => ({
        input: {
          name: i % 5 === 0 ? null : `n${i % 4}`,
          price: i % 5 === 1 ? null : (i % 3) * 10.5,
          day: i % 5 === 2 ? null : `2024-06-0${1 + (i % 3)}`,
          at: i % 5 === 3 ? null : `2024-06-01T08:00:0${i % 2}.000Z`,
          kind: i % 2 ? 'a' : 'b',
        },
      }))),
    );
  });
  afterAll(() => t?.drop());

  async function walk(params: Record<string, unknown>, pageSize: number): Promise<number[]> {
    const ids: number[] = [];
    let after: string | undefined;
    for (let guard = 0; guard < 100; guard++) {
      const r = await t.engine.records.list(A, 'item', { ...params, pageSize, after });
      ids.push(...r.items.map((x) => x.id));
      expect(r.items.length).toBeLessThanOrEqual(pageSize);
      if (!r.next) return ids;
      expect(r.items.length).toBe(pageSize);
      after = r.next;
    }
    throw new Error('keyset paging did not end');
  }

  for (const sort of [undefined, 'name', '-name', 'price,-day', '-price,name', 'day,at', '-at,-name', '_createdAt', 'kind,-price,at']) {
    it(`walks every row once, in the OFFSET order, sorted by ${sort ?? '(default)'}`, async () => {
      const filter = sort === 'kind,-price,at' ? { '!=': [{ var: 'kind' }, 'x'] } : undefined;
      const full = await t.engine.records.list(A, 'item', { sort, filter, pageSize: 500 });
      expect(full.items).toHaveLength(N);
      expect(full.next).toBeNull();
      const expected = full.items.map((x) => x.id);
      expect(await walk({ sort, filter }, 7)).toEqual(expected);
      expect(await walk({ sort, filter }, 1)).toEqual(expected);
    });
  }

  it('hands a cursor on OFFSET pages too, and the page after it matches the next OFFSET page', async () => {
    const p2 = await t.engine.records.list(A, 'item', { sort: '-price', page: 2, pageSize: 10 });
    const p3 = await t.engine.records.list(A, 'item', { sort: '-price', page: 3, pageSize: 10 });
    const after = await t.engine.records.list(A, 'item', { sort: '-price', pageSize: 10, after: p2.next! });
    expect(after.items.map((x) => x.id)).toEqual(p3.items.map((x) => x.id));
  });

  it('counts up to the cap unless asked for an exact count', async () => {
    const prev = process.env.FORMWORK_LIST_COUNT_CAP;
    process.env.FORMWORK_LIST_COUNT_CAP = '25';
    try {
      const capped = await t.engine.records.list(A, 'item', { pageSize: 5 });
      expect(capped.total).toBe(25);
      expect(capped.totalCapped).toBe(true);
      const exact = await t.engine.records.list(A, 'item', { pageSize: 5, count: 'exact' });
      expect(exact.total).toBe(N);
      expect(exact.totalCapped).toBeUndefined();
      // under the cap the count is exact and not flagged
      const few = await t.engine.records.list(A, 'item', { pageSize: 5, filter: { '==': [{ var: 'price' }, null] } });
      expect(few.total).toBe(12);
      expect(few.totalCapped).toBeUndefined();
    } finally {
      if (prev === undefined) delete process.env.FORMWORK_LIST_COUNT_CAP;
      else process.env.FORMWORK_LIST_COUNT_CAP = prev;
    }
  });

  it('refuses a forged, malformed or other-sort cursor with bad_request on `after`', async () => {
    const first = await t.engine.records.list(A, 'item', { sort: 'name', pageSize: 3 });
    const bad = async (after: string, sort?: string) => {
      const e = await t.engine.records.list(A, 'item', { sort, pageSize: 3, after }).then(() => null, (x) => x);
      expect(e).toBeInstanceOf(AppError);
      expect((e as AppError).code).toBe('bad_request');
      expect((e as AppError).details).toMatchObject({ param: 'after' });
    };
    await bad('not a cursor!');
    await bad(Buffer.from('{"a":1}').toString('base64url'));
    await bad(Buffer.from('[{"$ne":1},1]').toString('base64url'), 'name');
    await bad(first.next!, 'name,price'); // two sort keys plus id: three values expected
    // a cursor of plain values is only a position: nothing outside the list's filter leaks
    const forged = Buffer.from(JSON.stringify(["' or 1=1 --", 0])).toString('base64url');
    const r = await t.engine.records.list(A, 'item', { sort: 'name', pageSize: 500, after: forged, filter: { '==': [{ var: 'kind' }, 'a'] } });
    expect(r.items.every((x) => x.kind === 'a')).toBe(true);
  });
});
