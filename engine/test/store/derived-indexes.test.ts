/**
 * Indexes derived from the metadata: the fields a report groups or filters by, a role's row rule
 * reads, or a shared list view filters and sorts by get an index when they are published — and
 * only fields an index helps (no long text, no encrypted values, nothing indexed already).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../helpers/db.js';
import { testEngine, publishForm, type TestEngine } from '../helpers/engine.js';
import { wantedIndexes } from '../../src/store/derived-indexes.js';
import { compileForm } from '../../src/store/compiled-form.js';
import type { FormDef } from '../../src/meta/types.js';

const deal: FormDef = {
  key: 'deal', label: 'Deal', titleField: 'name',
  fields: [
    { id: 'd_name', key: 'name', type: 'text', label: 'Name' },
    { id: 'd_region', key: 'region', type: 'select', label: 'Region', options: [{ key: 'n', label: 'North' }, { key: 's', label: 'South' }] },
    { id: 'd_amount', key: 'amount', type: 'money', label: 'Amount' },
    { id: 'd_day', key: 'day', type: 'date', label: 'Day' },
    { id: 'd_note', key: 'note', type: 'textarea', label: 'Note' },
    { id: 'd_secret', key: 'secret', type: 'text', label: 'Secret', sensitive: true },
    { id: 'd_code', key: 'code', type: 'text', label: 'Code', indexed: true },
    { id: 'd_seller', key: 'seller', type: 'user', label: 'Seller' },
    { id: 'd_stage', key: 'stage', type: 'text', label: 'Stage' },
  ],
};

const report = {
  key: 'deals_by_region', label: 'Deals by region', category: 'operations', source: 'deal',
  filter: { and: [{ '>': [{ var: 'amount' }, 0] }, { '!=': [{ var: 'note' }, 'x'] }] },
  params: [{ key: 'period', type: 'date_range', field: 'day' }],
  dimensions: [{ key: 'region', field: 'region' }, { key: 'seller', field: 'seller' }],
  measures: [{ key: 'n', op: 'count' }],
};

const role = {
  key: 'stage_reader', label: 'Stage reader',
  permissions: [{ form: 'deal', actions: ['read'], rows: { rule: { '==': [{ var: 'stage' }, 'open'] } } }],
};

describe.each(DIALECTS)('derived indexes on %s', (dialect) => {
  let t: TestEngine;

  async function indexesOf(table: string): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    if (dialect === 'pg') {
      const r = await t.engine.db.knex.raw(
        `select i.relname as name, a.attname as col from pg_index x join pg_class i on i.oid = x.indexrelid join pg_class c on c.oid = x.indrelid
         join pg_namespace n on n.oid = c.relnamespace join pg_attribute a on a.attrelid = c.oid and a.attnum = any(x.indkey)
         where n.nspname = current_schema() and c.relname = ?`, [table]);
      for (const row of r.rows) out.set(row.name, [...(out.get(row.name) ?? []), row.col]);
    } else {
      for (const ix of await t.engine.db.knex.raw(`select name from pragma_index_list(?)`, [table])) {
        out.set(ix.name, (await t.engine.db.knex.raw(`select name from pragma_index_info(?)`, [ix.name])).map((c: any) => c.name));
      }
    }
    return out;
  }
  const indexedColumns = async (table: string) => new Set([...(await indexesOf(table)).values()].filter((c) => c.length === 1).map((c) => c[0]!));

  beforeAll(async () => {
    t = await testEngine(dialect);
    await publishForm(t.engine, deal);
  });
  afterAll(() => t?.drop());

  it('indexes what a published report and role lean on, and nothing an index does not help', async () => {
    const form = await t.engine.forms.get('deal');
    const col = (k: string) => form.byKey.get(k)!.column!;
    const before = await indexedColumns(form.table);
    expect(before.has(col('region'))).toBe(false);

    await t.engine.docs.saveDraft('reports', report.key, report);
    await t.engine.docs.publish('reports', report.key);
    await t.engine.docs.saveDraft('roles', role.key, role);
    await t.engine.docs.publish('roles', role.key);
    await t.engine.indexes.idle();
    await t.engine.indexes.reconcile();

    const after = await indexedColumns(form.table);
    for (const k of ['region', 'amount', 'day', 'stage']) expect(after.has(col(k)), k).toBe(true);
    for (const k of ['name', 'note']) expect(after.has(col(k)), k).toBe(false);
    // already indexed by their own definition: exactly one index each, not a second one
    for (const k of ['code', 'seller']) {
      expect([...(await indexesOf(form.table)).values()].filter((c) => c.length === 1 && c[0] === col(k))).toHaveLength(1);
    }
    // a second run finds nothing to do
    expect(await t.engine.indexes.reconcile()).toEqual([]);
  });

  it('lets the planner index a field that already has a derived index (publishing marks it indexed)', async () => {
    const next = { ...deal, fields: deal.fields.map((f) => (f.key === 'region' ? { ...f, indexed: true } : f)) };
    await publishForm(t.engine, next);
    const form = await t.engine.forms.get('deal');
    expect((await indexedColumns(form.table)).has(form.byKey.get('region')!.column!)).toBe(true);
  });

  if (dialect === 'sqlite') {
    it('is used: a report-style filter on the derived column searches the index instead of scanning', async () => {
      const form = await t.engine.forms.get('deal');
      const plan = await t.engine.db.knex.raw(`explain query plan select count(*) from ${form.table} where ${form.byKey.get('stage')!.column} = ?`, ['x']);
      expect(plan.map((p: any) => p.detail).join(' ')).toMatch(/USING (COVERING )?INDEX/);
    });
  }
});

describe('wantedIndexes', () => {
  it('takes shared views\' filter and sort fields, follows only the first step of a relation path, skips unknown forms and fields, encrypted, long-text and already indexed ones', () => {
    const form = compileForm({ ...deal, fields: deal.fields.map((f) => ({ ...f, column: `c_${f.key}` })) } as FormDef, 1);
    const wanted = wantedIndexes({
      forms: [form],
      reports: [{ key: 'r', source: 'deal', dimensions: [{ field: 'stage.name' }, { field: 'nope' }] }, { key: 'x', source: 'ghost', dimensions: [{ field: 'region' }] }],
      roles: [{ key: '*r', permissions: [{ form: '*', rows: { rule: { '==': [{ var: 'amount' }, 1] } } }, { form: 'deal', rows: 'own' }] }],
      views: [{ id: 7, form: 'deal', filter: { and: [{ '==': [{ var: 'name' }, 'a'] }, { '==': [{ var: 'secret' }, 'a'] }, { '==': [{ var: 'note' }, 'a'] }] }, sort: '-day,stage,code' }],
    });
    expect(wanted.map((w) => [w.field, w.because.sort()])).toEqual(expect.arrayContaining([
      ['stage', ['report:r', 'view:7']], ['amount', ['role:*r']], ['name', ['view:7']], ['day', ['view:7']],
    ]));
    expect(wanted).toHaveLength(4);
  });
});
