/**
 * RecordService.createManyIn: a batch of records of one form in a few statements, with the same
 * checks, rules and effects as one-at-a-time creates — and what it returns is what a read returns.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../helpers/db.js';
import { testEngine, publishForm, type TestEngine } from '../helpers/engine.js';
import { SYSTEM_ACTOR, type Actor } from '../../src/auth/actor.js';
import { AppError } from '../../src/errors.js';
import type { FormDef } from '../../src/meta/types.js';

const shop: FormDef = {
  key: 'shop', label: 'Shop', titleField: 'name',
  fields: [
    { id: 'sh_name', key: 'name', type: 'text', label: 'Name', required: true },
  ],
};

const sale: FormDef = {
  key: 'sale', label: 'Sale', titleField: 'no',
  fields: [
    { id: 's_no', key: 'no', type: 'autonumber', label: 'No', autonumber: { pattern: 'S{YYYY}-{#####}' } },
    { id: 's_code', key: 'code', type: 'text', label: 'Code', unique: true },
    { id: 's_shop', key: 'shop', type: 'relation', label: 'Shop', relation: { form: 'shop' }, required: true },
    { id: 's_price', key: 'price', type: 'money', label: 'Price', min: 0 },
    { id: 's_status', key: 'status', type: 'select', label: 'Status', default: 'open', options: [{ key: 'open', label: 'Open' }, { key: 'done', label: 'Done' }] },
    { id: 's_id', key: 'id_number', type: 'text', label: 'ID number', sensitive: true },
    {
      id: 's_lines', key: 'lines', type: 'subtable', label: 'Lines',
      fields: [
        { id: 'sl_item', key: 'item', type: 'text', label: 'Item', required: true },
        { id: 'sl_qty', key: 'qty', type: 'number', label: 'Qty', min: 1 },
        { id: 'sl_price', key: 'price', type: 'money', label: 'Price' },
        { id: 'sl_from', key: 'from_shop', type: 'relation', label: 'From', relation: { form: 'shop' } },
        { id: 'sl_amount', key: 'amount', type: 'money', label: 'Amount', formula: { '*': [{ var: 'qty' }, { var: 'price' }] } },
      ],
    },
    { id: 's_total', key: 'total', type: 'money', label: 'Total', formula: { '+': [{ var: 'price' }, { sum_rows: [{ var: 'lines' }, 'amount'] }] } },
  ],
};

const shopWithRollups: FormDef = {
  ...shop,
  fields: [
    ...shop.fields,
    { id: 'sh_sales', key: 'sales', type: 'number', label: 'Sales', rollup: { form: 'sale', via: 'shop', op: 'count' } },
    { id: 'sh_revenue', key: 'revenue', type: 'money', label: 'Revenue', rollup: { form: 'sale', via: 'shop', op: 'sum', field: 'total' } },
  ],
};

async function failure(p: Promise<unknown>): Promise<AppError> {
  const e = await p.then(() => null, (err) => err);
  expect(e).toBeInstanceOf(AppError);
  return e as AppError;
}

describe.each(DIALECTS)('createManyIn on %s', (dialect) => {
  let t: TestEngine;
  const A = SYSTEM_ACTOR;
  let shops: number[];
  const count = async (table: string) => Number((await t.engine.db.knex(table).count({ n: '*' }).first())!.n);

  beforeAll(async () => {
    t = await testEngine(dialect);
    await publishForm(t.engine, shop);
    await publishForm(t.engine, sale);
    await publishForm(t.engine, shopWithRollups);
    shops = [
      (await t.engine.records.create(A, 'shop', { name: 'North' })).id,
      (await t.engine.records.create(A, 'shop', { name: 'South' })).id,
    ];
  });
  afterAll(() => t?.drop());

  const many = (items: Array<{ input: unknown; opts?: any }>, actor: Actor = A) =>
    t.engine.db.knex.transaction((trx) => t.engine.records.createManyIn(trx, actor, 'sale', items));

  it('writes a batch that reads back exactly as returned: ids, autonumbers, subtables, computed values, rollups, audit, events', async () => {
    const before = { sale: await count('t_sale'), audit: await count('fw_audit'), outbox: await count('fw_outbox') };
    // a single create first, so the batch's ids and numbers must continue after it
    const single = await t.engine.records.create(A, 'sale', { shop: shops[0], price: 1 });
    const items = Array.from({ length: 250 }, (_, i) => ({
      input: {
        shop: shops[i % 2], code: `C${i}`, price: 1000 + i, id_number: `11010119900101${String(i).padStart(4, '0')}`,
        lines: i % 3 ? [{ item: 'mats', qty: 2, price: 150.5, from_shop: shops[1] }, { item: 'film', qty: 1, price: 999 }] : [],
      },
      opts: { silent: true },
    }));
    const made = await many(items);
    expect(made).toHaveLength(250);
    const ids = made.map((r) => r.id);
    expect(new Set(ids).size).toBe(250);
    expect(Math.min(...ids)).toBeGreaterThan(single.id);
    // autonumbers: one block after the single create's number
    const seq = (no: unknown) => Number(String(no).split('-')[1]);
    expect(made.map((r) => seq(r.no))).toEqual(made.map((_, i) => seq(single.no) + 1 + i));
    expect(made[1]).toMatchObject({ status: 'open', price: 1001, total: 1001 + 301 + 999, _version: 1 });
    expect((made[1]!.lines as any[])[0]).toMatchObject({ item: 'mats', qty: 2, price: 150.5, amount: 301, from_shop: shops[1] });
    // what a read returns, field for field (subtable row ids included)
    for (const k of [0, 1, 2, 149, 249]) expect(await t.engine.records.get(A, 'sale', made[k]!.id)).toEqual(made[k]);
    // a later single create continues after the batch
    const after = await t.engine.records.create(A, 'sale', { shop: shops[0], price: 2 });
    expect(after.id).toBeGreaterThan(Math.max(...ids));
    expect(seq(after.no)).toBe(seq(single.no) + 251);
    // one audit entry and one created event per record; sensitive values encrypted in both
    expect(await count('t_sale')).toBe(before.sale + 252);
    const audit = await t.engine.db.knex('fw_audit').where({ form: 'sale', action: 'create' }).whereIn('record_id', ids);
    expect(audit).toHaveLength(250);
    expect(audit[0].changes).not.toContain('11010119900101');
    const events = await t.engine.db.knex('fw_outbox').where({ form: 'sale', event: 'record.created' }).whereIn('record_id', ids);
    expect(events).toHaveLength(250);
    expect(events.every((e: any) => JSON.parse(e.payload).silent === true)).toBe(true);
    expect(events[0].payload).not.toContain('11010119900101');
    expect(JSON.parse(events.find((e: any) => Number(e.record_id) === made[5]!.id).payload).record.id).toBe(made[5]!.id);
    expect(await count('fw_audit')).toBeGreaterThanOrEqual(before.audit + 252);
    expect(await count('fw_outbox')).toBeGreaterThanOrEqual(before.outbox + 252);
    // rollups recomputed once for the batch: count and sum over every sale of each shop
    const all = await t.engine.db.knex('t_sale').select('shop', 'total');
    for (const [k, id] of shops.entries()) {
      const mine = all.filter((r: any) => Number(r.shop) === id);
      const north = await t.engine.records.get(A, 'shop', id);
      expect(north.sales, `shop ${k}`).toBe(mine.length);
      expect(north.revenue).toBeCloseTo(mine.reduce((s: number, r: any) => s + Number(r.total), 0) / 100, 2);
    }
  });

  it('refuses a batch with bad items, naming each by index, and writes nothing', async () => {
    const before = await count('t_sale');
    const err = await failure(many([
      { input: { shop: shops[0], price: 5 } },
      { input: { price: -1 } },
      { input: { shop: shops[0], lines: [{ qty: 0 }] } },
      { input: { price: 5 } },
      { input: { shop: shops[0], lines: [{ qty: 1 }] } },
    ]));
    // type errors first (as for one create), then the rules' required checks
    expect(err.code).toBe('validation');
    expect(Object.keys(err.fields!).sort()).toEqual(['1.price', '2.lines.0.qty', '3.shop', '4.lines.0.item'].sort());
    expect(await count('t_sale')).toBe(before);
  });

  it('checks every relation in one pass and names the item and subtable row that points nowhere', async () => {
    const before = await count('t_sale');
    const err = await failure(many([
      { input: { shop: shops[0] } },
      { input: { shop: 999999 } },
      { input: { shop: shops[1], lines: [{ item: 'a', from_shop: shops[0] }, { item: 'b', from_shop: 888888 }] } },
    ]));
    expect(err.code).toBe('validation');
    expect(Object.keys(err.fields!).sort()).toEqual(['1.shop', '2.lines.1.from_shop']);
    expect(await count('t_sale')).toBe(before);
  });

  it('maps a unique value taken twice in one batch to conflict, with nothing written and no autonumber spent', async () => {
    const before = await count('t_sale');
    const first = await t.engine.records.create(A, 'sale', { shop: shops[0] });
    const err = await failure(many([{ input: { shop: shops[0], code: 'DUP' } }, { input: { shop: shops[1], code: 'DUP' } }]));
    expect(err.code).toBe('conflict');
    expect(err.fields).toHaveProperty('code');
    expect(await count('t_sale')).toBe(before + 1);
    const next = await t.engine.records.create(A, 'sale', { shop: shops[0] });
    expect(Number(String(next.no).split('-')[1])).toBe(Number(String(first.no).split('-')[1]) + 1);
  });

  it('gives each item its owner and department', async () => {
    const dept = await t.engine.departments.create({ key: 'sales', name: 'Sales', kind: 'department', parent: null } as any);
    const u = await t.engine.users.create({ username: 'amy', password: 'password-123456', displayName: 'Amy', roles: [], department: dept.id } as any);
    const made = await many([
      { input: { shop: shops[0] }, opts: { owner: u.id } },
      { input: { shop: shops[0] }, opts: { owner: u.id, dept: null } },
      { input: { shop: shops[0] } },
    ]);
    const rows = await t.engine.db.knex('t_sale').whereIn('id', made.map((r) => r.id)).orderBy('id').select('_owner', '_dept');
    expect(rows.map((r: any) => [r._owner == null ? null : Number(r._owner), r._dept == null ? null : Number(r._dept)])).toEqual([
      [u.id, dept.id],
      [u.id, null],
      [null, null],
    ]);
  });

  it('refuses an actor without the create permission', async () => {
    const clerk: Actor = { userId: 1, username: 'nobody', roles: [], departmentId: null, isAdmin: false };
    const err = await failure(many([{ input: { shop: shops[0] } }], clerk));
    expect(err.code).toBe('forbidden');
  });
});
