import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Knex } from 'knex';
import type { FieldDef, FieldType, FormDef } from '../../src/meta/types.js';
import { fromColumnValue, toColumnValue } from '../../src/meta/field-types.js';
import { AppError } from '../../src/errors.js';
import {
  ALLOWED_TYPE_CHANGES, applyPlan, checkPlan, planForm, prepareForPublish, type ApplyOptions, type TablePlan,
} from '../../src/store/planner.js';
import { columnExists, indexName, tableExists } from '../../src/store/ddl.js';
import { childTable, recordTable } from '../../src/store/tables.js';
import { DIALECTS, testDb, type TestDb } from '../helpers/db.js';

const F = (key: string, type: FieldType, extra: Partial<FieldDef> = {}): FieldDef => ({ id: '', key, type, label: key, ...extra }) as FieldDef;
const form = (key: string, fields: FieldDef[]): FormDef => ({ key, label: key, fields });
const clone = <T>(x: T): T => structuredClone(x);
const byKey = (doc: FormDef, key: string): FieldDef => doc.fields.find((f) => f.key === key)!;

async function catchErr(p: Promise<unknown>): Promise<any> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

describe('prepareForPublish / planForm (pure)', () => {
  const v1 = prepareForPublish(null, form('p', [F('a', 'text'), F('b', 'number'), F('items', 'subtable', { fields: [F('x', 'text'), F('y', 'text')] })]));

  it('assigns ids and columns', () => {
    for (const f of v1.fields) expect(f.id).toMatch(/^fld_/);
    expect(v1.fields.map((f) => f.column)).toEqual(['a', 'b', 'items']);
    expect(byKey(v1, 'items').fields!.map((f) => f.column)).toEqual(['x', 'y']);
  });

  it('carries missing fields over soft-deleted, at the end; restores; purges', () => {
    const draft = clone(v1);
    draft.fields = [byKey(draft, 'items'), { ...F('c', 'text') }];
    draft.fields[0].fields = draft.fields[0].fields!.filter((f) => f.key === 'y');
    const v2 = prepareForPublish(v1, draft);
    expect(v2.fields.map((f) => [f.key, !!f.deleted])).toEqual([['items', false], ['c', false], ['a', true], ['b', true]]);
    expect(byKey(v2, 'items').fields!.map((f) => [f.key, !!f.deleted])).toEqual([['y', false], ['x', true]]);
    const plan = planForm(v1, v2);
    expect(plan.steps.map((s) => [s.op, s.field])).toEqual([
      ['add_column', 'c'],
      ['soft_delete', 'items.x'],
      ['soft_delete', 'a'],
      ['soft_delete', 'b'],
    ]);

    // restore a, purge b (a new field `b` in the same publish does not reuse the purged column)
    const d3 = clone(v2);
    byKey(d3, 'a').deleted = false;
    Object.assign(byKey(d3, 'b'), { purge: true });
    d3.fields.push(F('b', 'text'));
    const v3 = prepareForPublish(v2, d3);
    expect(v3.fields.map((f) => [f.key, f.column, !!f.deleted])).toEqual([
      ['items', 'items', false], ['c', 'c', false], ['a', 'a', false], ['b', 'b_2', false],
    ]);
    expect(JSON.stringify(v3)).not.toContain('purge');
    const ops = planForm(v2, v3).steps.map((s) => `${s.op}:${s.field}:${s.destructive}`);
    expect(ops).toEqual(['purge:b:true', 'add_column:b:false', 'restore:a:false']);
  });

  it('a never-published field deleted in the draft disappears', () => {
    const d = clone(v1);
    d.fields.push(F('tmp', 'text', { deleted: true }));
    expect(prepareForPublish(v1, d).fields.some((f) => f.key === 'tmp')).toBe(false);
  });

  it('renames are metadata; label changes are nothing', () => {
    const d = clone(v1);
    byKey(d, 'a').key = 'a2';
    byKey(d, 'b').label = 'B!';
    const v2 = prepareForPublish(v1, d);
    expect(byKey(v2, 'a2').column).toBe('a');
    expect(planForm(v1, v2).steps).toEqual([expect.objectContaining({ op: 'rename', field: 'a2', column: 'a', detail: { from: 'a', to: 'a2' } })]);
  });

  it('refuses type changes outside the allow-list, and relation target changes', () => {
    expect(ALLOWED_TYPE_CHANGES.text).toContain('select');
    const d = clone(v1);
    byKey(d, 'a').type = 'number';
    const e = catchErrSync(() => planForm(v1, prepareForPublish(v1, d)));
    expect(e).toBeInstanceOf(AppError);
    expect(e.code).toBe('validation');
    expect(e.message).toMatch(/'a'.*text.*number.*add a new field/);

    const r1 = prepareForPublish(null, form('r', [F('m', 'relation', { relation: { form: 'x' } })]));
    const d2 = clone(r1);
    byKey(d2, 'm').relation = { form: 'y' };
    const e2 = catchErrSync(() => planForm(r1, prepareForPublish(r1, d2)));
    expect(e2.code).toBe('validation');
    expect(e2.message).toMatch(/relation\(x\).*relation\(y\)/);
  });

  it('index flag changes become index steps', () => {
    const d = clone(v1);
    byKey(d, 'a').indexed = true;
    byKey(d, 'b').unique = true;
    const ops = planForm(v1, prepareForPublish(v1, d)).steps.map((s) => `${s.op}:${s.field}`);
    expect(ops).toEqual(['add_index:a', 'add_unique:b']);
    const v2 = prepareForPublish(v1, d);
    const d3 = clone(v2);
    byKey(d3, 'a').indexed = false;
    expect(planForm(v2, prepareForPublish(v2, d3)).steps.map((s) => `${s.op}:${s.field}`)).toEqual(['drop_index:a']);
  });
});

function catchErrSync(fn: () => unknown): any {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

describe.each(DIALECTS)('table planner on %s', (dialect) => {
  let db: TestDb;
  let k: Knex;
  beforeAll(async () => {
    db = await testDb(dialect);
    k = db.knex;
  });
  afterAll(() => db?.drop());

  async function publish(prev: FormDef | null, draft: FormDef, opts: ApplyOptions = {}): Promise<{ doc: FormDef; plan: TablePlan }> {
    const doc = prepareForPublish(prev, draft);
    const planned = planForm(prev, doc);
    const plan = await k.transaction(async (trx) => {
      const checked = await checkPlan(trx, dialect, planned, prev, doc);
      return applyPlan(trx, dialect, checked, prev, doc, opts);
    });
    return { doc, plan };
  }

  async function insert(table: string, row: Record<string, unknown>): Promise<number> {
    const [r] = await k(table).insert(row, ['id']);
    return Number(typeof r === 'object' ? (r as any).id : r);
  }

  async function insertRecord(doc: FormDef, values: Record<string, unknown>): Promise<number> {
    const row: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(values)) {
      const f = byKey(doc, key);
      row[f.column!] = toColumnValue(f, v);
    }
    return insert(recordTable(doc.key), row);
  }

  async function read(doc: FormDef, id: number, key: string): Promise<unknown> {
    const f = byKey(doc, key);
    const row = await k(recordTable(doc.key)).where({ id }).first();
    return fromColumnValue(f, row[f.column!]);
  }

  it('creates a table with system columns, adds a field, keeps data', async () => {
    const { doc: v1, plan } = await publish(null, form('car', [
      F('name', 'text'), F('price', 'money'), F('vin', 'text', { unique: true }), F('bought', 'date'),
      F('sold', 'datetime'), F('ok', 'boolean'), F('tags', 'tags'), F('owner', 'user'), F('calc', 'number', { formula: { '+': [1, 1] }, stored: false }),
    ]));
    expect(plan.steps.map((s) => s.op)).toEqual(['create_table', 'add_unique', 'add_index']); // vin unique, owner (user) indexed
    for (const c of ['id', '_version', '_created_at', '_updated_at', '_created_by', '_owner', '_dept', 'name', 'price', 'tags']) {
      expect(await columnExists(k, dialect, 't_car', c)).toBe(true);
    }
    expect(await columnExists(k, dialect, 't_car', 'calc')).toBe(false);
    const id = await insertRecord(v1, { name: 'A', price: 12.34, vin: 'V1', bought: '2024-03-01', sold: '2024-03-01T10:00:00.000Z', ok: true, tags: ['x', 'y'] });
    const row = await k('t_car').where({ id }).first();
    expect(row._version).toBe(1);
    expect(typeof row._created_at).toBe('string');
    expect(row.price).toBe(1234);
    expect(await read(v1, id, 'ok')).toBe(true);
    expect(await read(v1, id, 'bought')).toBe('2024-03-01');
    expect(await read(v1, id, 'sold')).toBe('2024-03-01T10:00:00.000Z');
    expect(await read(v1, id, 'tags')).toEqual(['x', 'y']);
    // unique index
    await expect(insertRecord(v1, { vin: 'V1' })).rejects.toThrow();

    const d = clone(v1);
    d.fields.push(F('color', 'select', { options: [{ key: 'red', label: 'Red' }] }));
    const { doc: v2, plan: p2 } = await publish(v1, d);
    expect(p2.steps.map((s) => [s.op, s.column])).toEqual([['add_column', 'color']]);
    expect(await read(v2, id, 'name')).toBe('A');
    expect(await read(v2, id, 'color')).toBe(null);
  });

  it('renames a key without DDL; soft-deletes and restores with data intact', async () => {
    const { doc: v1 } = await publish(null, form('cust', [F('name', 'text'), F('phone', 'phone')]));
    const id = await insertRecord(v1, { name: 'Li', phone: '+86 138 0000 0000' });

    const d = clone(v1);
    byKey(d, 'name').key = 'full_name';
    const { doc: v2, plan: p2 } = await publish(v1, d);
    expect(p2.steps.map((s) => s.op)).toEqual(['rename']);
    expect(byKey(v2, 'full_name').column).toBe('name');
    expect(await read(v2, id, 'full_name')).toBe('Li');

    const d3 = clone(v2);
    d3.fields = d3.fields.filter((f) => f.key !== 'phone');
    const { doc: v3, plan: p3 } = await publish(v2, d3);
    expect(p3.steps).toEqual([expect.objectContaining({ op: 'soft_delete', field: 'phone', destructive: false })]);
    expect(byKey(v3, 'phone').deleted).toBe(true);
    expect(await columnExists(k, dialect, 't_cust', 'phone')).toBe(true);

    const d4 = clone(v3);
    delete byKey(d4, 'phone').deleted;
    const { doc: v4, plan: p4 } = await publish(v3, d4);
    expect(p4.steps.map((s) => s.op)).toEqual(['restore']);
    expect(await read(v4, id, 'phone')).toBe('+86 138 0000 0000');
  });

  it('text → select: refused without confirmation (table untouched), nulls non-options when confirmed', async () => {
    const { doc: v1 } = await publish(null, form('paint', [F('color', 'text')]));
    const ids = [await insertRecord(v1, { color: 'red' }), await insertRecord(v1, { color: 'pink' }), await insertRecord(v1, { color: 'blue' })];
    const d = clone(v1);
    Object.assign(byKey(d, 'color'), { type: 'select', options: [{ key: 'red', label: 'R' }, { key: 'blue', label: 'B' }] });

    const e = await catchErr(publish(v1, d));
    expect(e.code).toBe('data_loss');
    const step = e.details.steps[0];
    expect(step).toMatchObject({ op: 'change_type', field: 'color', destructive: true, detail: { from: 'text', to: 'select', failing: 1, samples: [ids[1]] } });
    expect(await read(v1, ids[1], 'color')).toBe('pink');

    const { doc: v2 } = await publish(v1, d, { confirmDataLoss: true });
    expect(await Promise.all(ids.map((id) => read(v2, id, 'color')))).toEqual(['red', null, 'blue']);
  });

  it('number → money multiplies by 100; money → number divides', async () => {
    const { doc: v1 } = await publish(null, form('deal', [F('amount', 'number')]));
    const a = await insertRecord(v1, { amount: 12.5 });
    const b = await insertRecord(v1, { amount: 3 });
    const c = await insertRecord(v1, { amount: null });
    const d = clone(v1);
    byKey(d, 'amount').type = 'money';
    const { doc: v2, plan } = await publish(v1, d);
    expect(plan.steps[0]).toMatchObject({ op: 'change_type', destructive: false, detail: { failing: 0 } });
    const raw = await k('t_deal').orderBy('id').pluck('amount');
    expect(raw.map((x: unknown) => (x == null ? x : Number(x)))).toEqual([1250, 300, null]);
    expect(await read(v2, a, 'amount')).toBe(12.5);
    // money keeps cents: sub-cent values are destructive (rounded)
    const d3 = clone(v2);
    byKey(d3, 'amount').type = 'number';
    const { doc: v3 } = await publish(v2, d3);
    expect([await read(v3, a, 'amount'), await read(v3, b, 'amount'), await read(v3, c, 'amount')]).toEqual([12.5, 3, null]);
    await insertRecord(v3, { amount: 1.234 });
    const d4 = clone(v3);
    byKey(d4, 'amount').type = 'money';
    const e = await catchErr(publish(v3, d4));
    expect(e.code).toBe('data_loss');
    expect(e.details.steps[0].detail.failing).toBe(1);
  });

  it('applyPlan checks the data itself when given an unchecked plan', async () => {
    const { doc: v1 } = await publish(null, form('unchk', [F('c', 'text')]));
    const id = await insertRecord(v1, { c: 'nope' });
    const d = clone(v1);
    Object.assign(byKey(d, 'c'), { type: 'select', options: [{ key: 'yes', label: 'Y' }] });
    const next = prepareForPublish(v1, d);
    const e = await catchErr(k.transaction((trx) => applyPlan(trx, dialect, planForm(v1, next), v1, next)));
    expect(e.code).toBe('data_loss');
    expect(await read(v1, id, 'c')).toBe('nope');
  });

  it('boolean → number; text → url widens the column', async () => {
    const { doc: v1 } = await publish(null, form('bn', [F('flag', 'boolean'), F('link', 'text')]));
    const a = await insertRecord(v1, { flag: true, link: 'https://example.com/a' });
    const b = await insertRecord(v1, { flag: false });
    const d = clone(v1);
    byKey(d, 'flag').type = 'number';
    byKey(d, 'link').type = 'url';
    const { doc: v2 } = await publish(v1, d);
    expect([await read(v2, a, 'flag'), await read(v2, b, 'flag')]).toEqual([1, 0]);
    const long = 'https://example.com/' + 'p'.repeat(400);
    await k('t_bn').where({ id: b }).update({ link: long });
    expect(await read(v2, b, 'link')).toBe(long);
  });

  it('textarea → text with a 300-character value is destructive', async () => {
    const { doc: v1 } = await publish(null, form('note', [F('body', 'textarea')]));
    await insertRecord(v1, { body: 'short' });
    const long = await insertRecord(v1, { body: 'x'.repeat(300) });
    const d = clone(v1);
    byKey(d, 'body').type = 'text';
    const next = prepareForPublish(v1, d);
    const plan = await checkPlan(k, dialect, planForm(v1, next), v1, next);
    expect(plan.steps[0]).toMatchObject({ op: 'change_type', destructive: true, detail: { failing: 1, samples: [long] } });
  });

  it('text → email is checked value by value against the value schema', async () => {
    const { doc: v1 } = await publish(null, form('contact', [F('mail', 'text')]));
    await insertRecord(v1, { mail: 'a@example.com' });
    const bad = await insertRecord(v1, { mail: 'not an email' });
    const d = clone(v1);
    byKey(d, 'mail').type = 'email';
    const next = prepareForPublish(v1, d);
    const plan = await checkPlan(k, dialect, planForm(v1, next), v1, next);
    expect(plan.steps[0].detail).toMatchObject({ failing: 1, samples: [bad] });
  });

  it('date ↔ datetime and tags → multiselect', async () => {
    const { doc: v1 } = await publish(null, form('ev', [F('day', 'date'), F('at', 'datetime'), F('labels', 'tags')]));
    const a = await insertRecord(v1, { day: '2024-05-06', at: '2024-05-06T00:00:00.000Z', labels: ['vip', 'misc'] });
    const b = await insertRecord(v1, { at: '2024-05-06T13:30:00.000Z', labels: ['vip'] });
    const d = clone(v1);
    byKey(d, 'day').type = 'datetime';
    byKey(d, 'at').type = 'date';
    Object.assign(byKey(d, 'labels'), { type: 'multiselect', options: [{ key: 'vip', label: 'VIP' }] });
    const e = await catchErr(publish(v1, d));
    expect(e.code).toBe('data_loss');
    expect(e.details.steps.map((s: any) => [s.field, s.detail.failing])).toEqual([['at', 1], ['labels', 1]]);
    const { doc: v2 } = await publish(v1, d, { confirmDataLoss: true });
    expect(await read(v2, a, 'day')).toBe('2024-05-06T00:00:00.000Z');
    expect(await read(v2, a, 'at')).toBe('2024-05-06');
    expect(await read(v2, b, 'at')).toBe('2024-05-06');
    expect(await read(v2, a, 'labels')).toEqual(['vip']);
    expect(await read(v2, b, 'labels')).toEqual(['vip']);
  });

  it('refuses a unique index over duplicated values', async () => {
    const { doc: v1 } = await publish(null, form('plate', [F('no', 'text')]));
    await insertRecord(v1, { no: 'A1' });
    await insertRecord(v1, { no: 'A1' });
    await insertRecord(v1, { no: 'B2' });
    const d = clone(v1);
    byKey(d, 'no').unique = true;
    const e = await catchErr(publish(v1, d));
    expect(e.code).toBe('conflict');
    expect(e.message).toContain("'no'");
    expect(e.details).toMatchObject({ duplicates: 1, rows: 2 });
  });

  it('relations are foreign keys (new table and added column); a missing target is a validation error', async () => {
    if (dialect === 'sqlite') expect(await k.raw('PRAGMA foreign_keys')).toEqual([{ foreign_keys: 1 }]);
    const { doc: maker } = await publish(null, form('maker', [F('name', 'text')]));
    const m1 = await insertRecord(maker, { name: 'M' });
    const { doc: model } = await publish(null, form('model', [F('maker', 'relation', { relation: { form: 'maker' } }), F('parent', 'relation', { relation: { form: 'model' } })]));
    await expect(insertRecord(model, { maker: 999 })).rejects.toThrow(/foreign key/i);
    const x = await insertRecord(model, { maker: m1 });
    await insertRecord(model, { maker: m1, parent: x }); // self relation
    await expect(k('t_maker').where({ id: m1 }).delete()).rejects.toThrow(/foreign key/i); // restrict

    // added to an existing table (SQLite: ADD COLUMN … REFERENCES)
    const d = clone(maker);
    d.fields.push(F('best', 'relation', { relation: { form: 'model' } }));
    const { doc: maker2 } = await publish(maker, d);
    await expect(k('t_maker').where({ id: m1 }).update({ best: 4242 })).rejects.toThrow(/foreign key/i);
    await k('t_maker').where({ id: m1 }).update({ best: x });
    expect(await read(maker2, m1, 'best')).toBe(x);

    const e = await catchErr(publish(null, form('orphan', [F('to', 'relation', { relation: { form: 'nowhere' } })])));
    expect(e.code).toBe('validation');
    expect(e.message).toMatch(/'to'.*'nowhere'/);
    expect(await tableExists(k, dialect, 't_orphan')).toBe(false);
  });

  it('a subtable is a child table whose rows go with their parent', async () => {
    const { doc: v1, plan } = await publish(null, form('ord', [F('no', 'text'), F('lines', 'subtable', { fields: [F('sku', 'text', { indexed: true }), F('qty', 'number')] })]));
    expect(plan.steps.map((s) => s.op)).toEqual(['create_table', 'create_child_table', 'add_index']);
    const ct = childTable('ord', 'lines');
    const p = await insertRecord(v1, { no: 'O1' });
    await insert(ct, { _parent: p, _seq: 0, sku: 'a', qty: 1 });
    await insert(ct, { _parent: p, _seq: 1, sku: 'b', qty: 2 });
    await expect(insert(ct, { _parent: 9999, _seq: 0 })).rejects.toThrow(/foreign key/i);
    expect(await k(ct).where({ _parent: p }).count({ n: '*' })).toEqual([{ n: 2 }]);
    await k('t_ord').where({ id: p }).delete();
    expect(await k(ct).count({ n: '*' })).toEqual([{ n: 0 }]);

    // a field added to the subtable later
    const d = clone(v1);
    byKey(d, 'lines').fields!.push(F('price', 'money'));
    const { plan: p2 } = await publish(v1, d);
    expect(p2.steps).toEqual([expect.objectContaining({ op: 'add_column', table: ct, field: 'lines.price', column: 'price' })]);
    expect(await columnExists(k, dialect, ct, 'price')).toBe(true);
  });

  it('purge is destructive, and drops the (indexed) column when confirmed', async () => {
    const { doc: v1 } = await publish(null, form('lead', [F('name', 'text'), F('code', 'text', { unique: true }), F('src', 'select', { indexed: true })]));
    await insertRecord(v1, { name: 'n', code: 'c1', src: 'web' });
    const d = clone(v1);
    for (const key of ['code', 'src']) Object.assign(byKey(d, key), { deleted: true, purge: true });
    const e = await catchErr(publish(v1, d));
    expect(e.code).toBe('data_loss');
    expect(e.details.steps.map((s: any) => [s.op, s.field, s.detail.values])).toEqual([['purge', 'code', 1], ['purge', 'src', 1]]);
    expect(await columnExists(k, dialect, 't_lead', 'code')).toBe(true);
    const { doc: v2 } = await publish(v1, d, { confirmDataLoss: true });
    expect(v2.fields.map((f) => f.key)).toEqual(['name']);
    expect(await columnExists(k, dialect, 't_lead', 'code')).toBe(false);
    expect(await columnExists(k, dialect, 't_lead', 'src')).toBe(false);
    expect(await k('t_lead').count({ n: '*' })).toEqual([{ n: 1 }]);
  });

  it('refuses a type change outside the allow-list', async () => {
    const { doc: v1 } = await publish(null, form('bad', [F('flag', 'text')]));
    const d = clone(v1);
    byKey(d, 'flag').type = 'boolean';
    const e = await catchErr(publish(v1, d));
    expect(e.code).toBe('validation');
    expect(e.fields).toHaveProperty('flag');
  });

  it('a failing step mid-plan rolls everything back', async () => {
    const { doc: v1 } = await publish(null, form('roll', [F('p', 'number'), F('q', 'text')]));
    const id = await insertRecord(v1, { p: 2.5, q: 'z' });
    // Something in the way of the last step: an index already named like the unique index the
    // plan adds (a plain index is created IF NOT EXISTS — it may exist as a derived one — a unique one never).
    await k.raw(`CREATE INDEX "${indexName('ux', 't_roll', 'q')}" ON "t_roll" ("p")`);
    const d = clone(v1);
    d.fields.push(F('a', 'text'));
    byKey(d, 'p').type = 'money';
    byKey(d, 'q').unique = true;
    const next = prepareForPublish(v1, d);
    expect(planForm(v1, next).steps.map((s) => s.op)).toEqual(['add_column', 'change_type', 'add_unique']);
    await expect(publish(v1, d)).rejects.toThrow(/already exists/);
    expect(await columnExists(k, dialect, 't_roll', 'a')).toBe(false);
    expect(Number((await k('t_roll').where({ id }).first()).p)).toBe(2.5);
    if (dialect === 'pg') {
      const r = await k.raw(`select data_type from information_schema.columns where table_schema = current_schema() and table_name = 't_roll' and column_name = 'p'`);
      expect(r.rows[0].data_type).toBe('double precision');
    }
  });
});
