import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../helpers/db.js';
import { testEngine, publishForm, type TestEngine } from '../helpers/engine.js';
import { SYSTEM_ACTOR } from '../../src/auth/actor.js';
import { AppError } from '../../src/errors.js';
import { setRulesClock } from '../../src/rules/operations.js';
import type { FormDef } from '../../src/meta/types.js';

const product: FormDef = {
  key: 'product',
  label: { 'zh-CN': '产品', en: 'Product' },
  fields: [
    { id: 'p_code', key: 'code', type: 'text', label: 'Code', required: true, unique: true },
    { id: 'p_name', key: 'name', type: 'text', label: 'Name' },
    { id: 'p_price', key: 'price', type: 'money', label: 'Price', min: 0 },
  ],
};

const order: FormDef = {
  key: 'sale',
  label: { 'zh-CN': '订单', en: 'Sale' },
  titleField: 'no',
  fields: [
    { id: 's_no', key: 'no', type: 'autonumber', label: 'No', autonumber: { pattern: 'SO{YYYY}{MM}{####}' } },
    { id: 's_product', key: 'product', type: 'relation', label: 'Product', relation: { form: 'product' }, required: true },
    { id: 's_phone', key: 'phone', type: 'phone', label: 'Phone', pattern: '^1[3-9]\\d{9}$', patternMessage: { 'zh-CN': '手机号不正确', en: 'Bad mobile number' } },
    { id: 's_status', key: 'status', type: 'select', label: 'Status', default: 'open', options: [{ key: 'open', label: 'Open' }, { key: 'lost', label: 'Lost' }] },
    { id: 's_reason', key: 'lost_reason', type: 'text', label: 'Reason', rules: { visible: { '==': [{ var: 'status' }, 'lost'] }, required: { '==': [{ var: 'status' }, 'lost'] } } },
    { id: 's_list', key: 'list_price', type: 'money', label: 'List price', min: 0 },
    { id: 's_disc', key: 'discount', type: 'money', label: 'Discount', min: 0, default: 0 },
    { id: 's_deal', key: 'deal_price', type: 'money', label: 'Deal', formula: { '-': [{ var: 'list_price' }, { var: 'discount' }] } },
    { id: 's_tags', key: 'tags', type: 'tags', label: 'Tags', options: [{ key: 'vip', label: 'VIP' }] },
    { id: 's_date', key: 'order_date', type: 'date', label: 'Date', default: { $rule: { today: [] } } },
    { id: 's_age', key: 'age_days', type: 'number', label: 'Age', formula: { if: [{ var: 'order_date' }, { date_diff: [{ today: [] }, { var: 'order_date' }, 'day'] }, null] }, stored: false },
    {
      id: 's_items', key: 'items', type: 'subtable', label: 'Items',
      fields: [
        { id: 'si_item', key: 'item', type: 'text', label: 'Item', required: true },
        { id: 'si_qty', key: 'qty', type: 'number', label: 'Qty', min: 1 },
        { id: 'si_price', key: 'price', type: 'money', label: 'Price' },
        { id: 'si_amount', key: 'amount', type: 'money', label: 'Amount', formula: { '*': [{ var: 'qty' }, { var: 'price' }] } },
      ],
    },
    { id: 's_total', key: 'total', type: 'money', label: 'Total', formula: { '+': [{ var: 'deal_price' }, { sum_rows: [{ var: 'items' }, 'amount'] }] } },
    { id: 's_paid', key: 'paid', type: 'money', label: 'Paid', rollup: { form: 'receipt', via: 'sale', op: 'sum', field: 'amount' } },
    { id: 's_owed', key: 'owed', type: 'money', label: 'Owed', formula: { '-': [{ var: 'total' }, { var: 'paid' }] } },
  ],
  validate: [{ rule: { or: [{ '!': { var: 'list_price' } }, { '<=': [{ var: 'discount' }, { var: 'list_price' }] }] }, message: { 'zh-CN': '折扣不能超过指导价', en: 'Discount exceeds list price' }, fields: ['discount'] }],
};

const receipt: FormDef = {
  key: 'receipt',
  label: 'Receipt',
  fields: [
    { id: 'r_sale', key: 'sale', type: 'relation', label: 'Sale', relation: { form: 'sale' }, required: true },
    { id: 'r_amount', key: 'amount', type: 'money', label: 'Amount', required: true, min: 0.01 },
  ],
};

async function expectError(p: Promise<unknown>, code: string, fields?: string[]): Promise<AppError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    const err = e as AppError;
    expect(err.code).toBe(code);
    if (fields) expect(Object.keys(err.fields ?? {}).sort()).toEqual([...fields].sort());
    return err;
  }
  throw new Error(`expected ${code}`);
}

describe.each(DIALECTS)('RecordService on %s', (dialect) => {
  let t: TestEngine;
  const A = SYSTEM_ACTOR;
  let productId: number;

  beforeAll(async () => {
    t = await testEngine(dialect);
    await publishForm(t.engine, product);
    // sale ↔ receipt point at each other through a rollup: publish sale, then receipt, then sale again (rollup).
    const { paid: _p, owed: _o, ...rest } = Object.fromEntries(order.fields.map((f) => [f.key, f]));
    await publishForm(t.engine, { ...order, fields: Object.values(rest) });
    await publishForm(t.engine, receipt);
    await publishForm(t.engine, order);
    productId = (await t.engine.records.create(A, 'product', { code: 'P1', name: '车', price: 100000 })).id;
  });
  afterAll(() => t.drop());

  it('creates with defaults, autonumber, computed values and subtable rows; money crosses as decimals', async () => {
    const rec = await t.engine.records.create(A, 'sale', {
      product: productId, list_price: 150000.5, discount: 5000.25, tags: ['vip'],
      items: [{ item: 'mats', qty: 2, price: 300.1 }, { item: 'film', qty: 1, price: 1999 }],
    });
    expect(rec.no).toMatch(/^SO\d{6}\d{4}$/);
    expect(rec.status).toBe('open');
    expect(rec.discount).toBe(5000.25);
    expect(rec.deal_price).toBe(145000.25);
    expect(rec.items).toHaveLength(2);
    expect((rec.items as any[])[0]).toMatchObject({ item: 'mats', qty: 2, price: 300.1, amount: 600.2 });
    expect(rec.total).toBe(145000.25 + 600.2 + 1999);
    expect(rec.paid).toBe(0);
    expect(rec.order_date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(rec.age_days).toBe(0);
    expect(rec._version).toBe(1);
    expect(rec.tags).toEqual(['vip']);
    // stored as integer minor units
    const raw = await t.db.knex('t_sale').where({ id: rec.id }).first();
    expect(Number(raw.list_price)).toBe(15000050);
  });

  it('never lets a client value win for computed fields', async () => {
    const rec = await t.engine.records.create(A, 'sale', {
      product: productId, list_price: 1000, discount: 100, deal_price: 1, total: 2, paid: 999, no: 'HACK',
      items: [{ item: 'x', qty: 2, price: 10, amount: 99999 }],
    });
    expect(rec.deal_price).toBe(900);
    expect(rec.total).toBe(920);
    expect(rec.paid).toBe(0);
    expect(rec.no).not.toBe('HACK');
    expect((rec.items as any[])[0].amount).toBe(20);
    const upd = await t.engine.records.update(A, 'sale', rec.id, { deal_price: 5, discount: 200 }, { version: 1 });
    expect(upd.deal_price).toBe(800);
  });

  it('validates types, patterns, options, required rules, field and form rules, unknown fields', async () => {
    await expectError(t.engine.records.create(A, 'sale', {}), 'validation', ['product']);
    await expectError(t.engine.records.create(A, 'sale', { product: 'x' }), 'validation', ['product']);
    const e = await expectError(t.engine.records.create(A, 'sale', { product: productId, phone: '123' }), 'validation', ['phone']);
    expect(e.fields!.phone![0]!.en).toContain('Bad mobile number');
    await expectError(t.engine.records.create(A, 'sale', { product: productId, status: 'nope' }), 'validation', ['status']);
    await expectError(t.engine.records.create(A, 'sale', { product: productId, status: 'lost' }), 'validation', ['lost_reason']);
    await expectError(t.engine.records.create(A, 'sale', { product: productId, list_price: 10, discount: 20 }), 'validation', ['discount']);
    await expectError(t.engine.records.create(A, 'sale', { product: productId, bogus: 1 }), 'validation', ['bogus']);
    await expectError(t.engine.records.create(A, 'sale', { product: productId, list_price: 1.234 }), 'validation', ['list_price']);
    await expectError(t.engine.records.create(A, 'sale', { product: productId, items: [{ qty: 0 }] }), 'validation');
    await expectError(t.engine.records.create(A, 'sale', { product: productId, order_date: '2026-13-45' }), 'validation', ['order_date']);
    await expectError(t.engine.records.create(A, 'sale', { product: productId, __proto__: { x: 1 }, constructor: 'x' } as any), 'validation');
    await expectError(t.engine.records.create(A, 'sale', [] as any), 'bad_request');
    const ok = await t.engine.records.create(A, 'sale', { product: productId, status: 'lost', lost_reason: 'price' });
    expect(ok.lost_reason).toBe('price');
  });

  it('keeps relations intact: missing targets are refused, referenced records cannot be deleted', async () => {
    await expectError(t.engine.records.create(A, 'sale', { product: 999999 }), 'validation', ['product']);
    const p = await t.engine.records.create(A, 'product', { code: 'P-DEL' });
    await t.engine.records.create(A, 'sale', { product: p.id });
    await expectError(t.engine.records.delete(A, 'product', p.id), 'conflict');
    expect((await t.engine.records.get(A, 'product', p.id)).code).toBe('P-DEL');
  });

  it('answers a taken unique value with conflict naming the field', async () => {
    await t.engine.records.create(A, 'product', { code: 'U1' });
    await expectError(t.engine.records.create(A, 'product', { code: 'U1' }), 'conflict', ['code']);
    const other = await t.engine.records.create(A, 'product', { code: 'U2' });
    await expectError(t.engine.records.update(A, 'product', other.id, { code: 'U1' }, { version: 1 }), 'conflict', ['code']);
  });

  it('gives 200 parallel creates 200 distinct autonumbers', async () => {
    const recs = await Promise.all(Array.from({ length: 200 }, () => t.engine.records.create(A, 'sale', { product: productId })));
    const nos = new Set(recs.map((r) => r.no));
    expect(nos.size).toBe(200);
    const ids = new Set(recs.map((r) => r.id));
    expect(ids.size).toBe(200);
  });

  it('restarts autonumbers each period', async () => {
    const form: FormDef = { key: 'ticket', label: 'T', fields: [{ id: 't_no', key: 'no', type: 'autonumber', label: 'No', autonumber: { pattern: 'T{YYYY}{MM}{DD}-{###}' } }] };
    await publishForm(t.engine, form);
    try {
      setRulesClock(() => new Date('2026-03-01T02:00:00Z'));
      expect((await t.engine.records.create(A, 'ticket', {})).no).toBe('T20260301-001');
      expect((await t.engine.records.create(A, 'ticket', {})).no).toBe('T20260301-002');
      setRulesClock(() => new Date('2026-03-02T02:00:00Z'));
      expect((await t.engine.records.create(A, 'ticket', {})).no).toBe('T20260302-001');
    } finally {
      setRulesClock(() => new Date());
    }
  });

  it('locks optimistically: a stale _version is a conflict and changes nothing', async () => {
    const rec = await t.engine.records.create(A, 'product', { code: 'V1', name: 'a' });
    const v2 = await t.engine.records.update(A, 'product', rec.id, { name: 'b' }, { version: 1 });
    expect(v2._version).toBe(2);
    const e = await expectError(t.engine.records.update(A, 'product', rec.id, { name: 'c' }, { version: 1 }), 'conflict');
    expect((e.details as any).currentVersion).toBe(2);
    expect((await t.engine.records.get(A, 'product', rec.id)).name).toBe('b');
    // racing updates from the same version: exactly one wins
    const results = await Promise.allSettled([
      t.engine.records.update(A, 'product', rec.id, { name: 'x' }, { version: 2 }),
      t.engine.records.update(A, 'product', rec.id, { name: 'y' }, { version: 2 }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected' && (r.reason as AppError).code === 'conflict')).toHaveLength(1);
  });

  it('keeps rollups (sum of payments) and the formulas that read them up to date', async () => {
    const sale = await t.engine.records.create(A, 'sale', { product: productId, list_price: 1000, discount: 0 });
    const r1 = await t.engine.records.create(A, 'receipt', { sale: sale.id, amount: 300.5 });
    await t.engine.records.create(A, 'receipt', { sale: sale.id, amount: 199.5 });
    let s = await t.engine.records.get(A, 'sale', sale.id);
    expect(s.paid).toBe(500);
    expect(s.owed).toBe(500);
    await t.engine.records.update(A, 'receipt', r1.id, { amount: 100 }, { version: 1 });
    s = await t.engine.records.get(A, 'sale', sale.id);
    expect(s.paid).toBe(299.5);
    const other = await t.engine.records.create(A, 'sale', { product: productId, list_price: 50 });
    await t.engine.records.update(A, 'receipt', r1.id, { sale: other.id }, { version: 2 });
    expect((await t.engine.records.get(A, 'sale', sale.id)).paid).toBe(199.5);
    expect((await t.engine.records.get(A, 'sale', other.id)).paid).toBe(100);
    await t.engine.records.delete(A, 'receipt', r1.id);
    expect((await t.engine.records.get(A, 'sale', other.id)).paid).toBe(0);
  });

  it('writes a field-level audit entry and an outbox event with every write', async () => {
    const rec = await t.engine.records.create(A, 'product', { code: 'H1', name: 'one', price: 10 });
    await t.engine.records.update(A, 'product', rec.id, { name: 'two' }, { version: 1 });
    await t.engine.records.update(A, 'product', rec.id, { name: 'two' }, { version: 2 }); // no change: no entry
    const hist = await t.engine.records.history(A, 'product', rec.id);
    expect(hist.map((h) => h.action)).toEqual(['create', 'update']);
    expect(hist[0]!.changes.code).toEqual([null, 'H1']);
    expect(hist[0]!.changes.price).toEqual([null, 10]);
    expect(hist[1]!.changes).toEqual({ name: ['one', 'two'] });
    await t.engine.records.delete(A, 'product', rec.id);
    const after = await t.engine.records.history(A, 'product', rec.id);
    expect(after.at(-1)!.action).toBe('delete');
    expect(after.at(-1)!.changes.name).toEqual(['two', null]);
    const events = await t.db.knex('fw_outbox').where({ form: 'product', record_id: rec.id }).orderBy('id');
    expect(events.map((e: any) => e.event)).toEqual(['record.created', 'record.updated', 'record.deleted']);
    await expectError(t.engine.records.get(A, 'product', rec.id), 'not_found');
  });

  it('rolls back the row, audit and outbox together when a write fails', async () => {
    const before = await t.db.knex('fw_audit').count({ n: '*' }).first();
    await expectError(t.engine.records.create(A, 'product', { code: 'P1' }), 'conflict');
    const after = await t.db.knex('fw_audit').count({ n: '*' }).first();
    expect(Number((after as any).n)).toBe(Number((before as any).n));
  });

  it('lists with filter, sort, paging and search', async () => {
    const f: FormDef = {
      key: 'lead', label: 'Lead',
      fields: [
        { id: 'l_name', key: 'name', type: 'text', label: 'Name' },
        { id: 'l_budget', key: 'budget', type: 'money', label: 'Budget' },
        { id: 'l_level', key: 'level', type: 'select', label: 'Level', options: ['h', 'a', 'b'].map((k) => ({ key: k, label: k })) },
        { id: 'l_tags', key: 'tags', type: 'tags', label: 'Tags' },
      ],
    };
    await publishForm(t.engine, f);
    for (let i = 0; i < 30; i++) {
      await t.engine.records.create(A, 'lead', { name: `客户${i} ${i % 2 ? 'Zhang' : 'Li'}`, budget: i * 1000.5, level: ['h', 'a', 'b'][i % 3], tags: i % 5 === 0 ? ['vip'] : [] });
    }
    const r = await t.engine.records.list(A, 'lead', { filter: { and: [{ '>=': [{ var: 'budget' }, 10005] }, { '==': [{ var: 'level' }, 'a'] }] }, sort: '-budget', page: 1, pageSize: 3 });
    expect(r.total).toBe(7); // i in 10..29 with i%3==1: 10,13,16,19,22,25,28
    expect(r.items.map((x) => x.budget)).toEqual([28014, 25012.5, 22011]);
    const p2 = await t.engine.records.list(A, 'lead', { filter: { '==': [{ var: 'level' }, 'a'] }, sort: 'budget', page: 2, pageSize: 4 });
    expect(p2.items.map((x) => x.name)).toEqual(['客户13 Zhang', '客户16 Li', '客户19 Zhang', '客户22 Li']);
    const tagged = await t.engine.records.list(A, 'lead', { filter: { in: ['vip', { var: 'tags' }] } });
    expect(tagged.total).toBe(6);
    const q = await t.engine.records.list(A, 'lead', { q: 'zhang' });
    expect(q.total).toBe(15);
    const q2 = await t.engine.records.list(A, 'lead', { q: '客户2' });
    expect(q2.total).toBe(11);
    const pct = await t.engine.records.list(A, 'lead', { q: '%' });
    expect(pct.total).toBe(0);
    await expectError(t.engine.records.list(A, 'lead', { filter: { '==': [{ var: 'nope' }, 1] } }), 'bad_request');
    await expectError(t.engine.records.list(A, 'lead', { filter: { regexp: [{ var: 'name' }, 'x'] } }), 'bad_request');
    await expectError(t.engine.records.list(A, 'lead', { sort: 'name; drop table t_lead' }), 'bad_request');
    await expectError(t.engine.records.list(A, 'lead', { sort: 'tags' }), 'bad_request');
    await expectError(t.engine.records.list(A, 'lead', { pageSize: 501 }), 'bad_request');
    const inj = await t.engine.records.list(A, 'lead', { filter: { '==': [{ var: 'name' }, "x' or '1'='1"] } });
    expect(inj.total).toBe(0);
    expect((await t.engine.records.list(A, 'lead', {})).total).toBe(30);
  });

  it('computes virtual formulas when read', async () => {
    const rec = await t.engine.records.create(A, 'sale', { product: productId, order_date: '2026-01-01' });
    try {
      setRulesClock(() => new Date('2026-01-11T04:00:00Z'));
      expect((await t.engine.records.get(A, 'sale', rec.id)).age_days).toBe(10);
    } finally {
      setRulesClock(() => new Date());
    }
  });
});
