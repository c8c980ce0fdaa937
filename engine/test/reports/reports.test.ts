/**
 * Reports compiled to SQL, on SQLite and PostgreSQL. Every expected figure is computed here, in
 * JavaScript, from the rows the test inserted; the report must agree.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../helpers/db.js';
import { ADMIN_PASSWORD, publishForm, startServer, testEngine, type TestEngine, type TestServer } from '../helpers/engine.js';
import { SYSTEM_ACTOR, type Actor } from '../../src/auth/actor.js';
import { setRulesClock } from '../../src/rules/operations.js';
import { isAppError } from '../../src/errors.js';
import { grainRange } from '../../src/reports/compiler.js';

const TODAY = '2026-06-15';

const CLIENT = {
  key: 'client', label: { 'zh-CN': '客户', en: 'Client' }, titleField: 'name',
  fields: [
    { key: 'name', type: 'text', label: { 'zh-CN': '名称', en: 'Name' }, required: true },
    { key: 'tier', type: 'select', label: '等级', options: [{ key: 'gold', label: { 'zh-CN': '金', en: 'Gold' } }, { key: 'silver', label: '银' }] },
  ],
};
const PRODUCT = {
  key: 'product', label: '产品', titleField: 'name',
  fields: [
    { key: 'name', type: 'text', label: { 'zh-CN': '产品名', en: 'Product' }, required: true },
    { key: 'brand', type: 'text', label: '品牌' },
    { key: 'cost', type: 'money', label: { 'zh-CN': '成本', en: 'Cost' } },
  ],
};
const SALE = {
  key: 'sale', label: '销售',
  fields: [
    { key: 'client', type: 'relation', label: '客户', relation: { form: 'client' } },
    { key: 'product', type: 'relation', label: { 'zh-CN': '产品', en: 'Product' }, relation: { form: 'product' } },
    { key: 'amount', type: 'money', label: { 'zh-CN': '金额', en: 'Amount' } },
    { key: 'qty', type: 'number', label: '数量' },
    { key: 'sold_on', type: 'date', label: '日期' },
    { key: 'at', type: 'datetime', label: '时间' },
    { key: 'status', type: 'select', label: '状态', options: [{ key: 'open', label: '进行中' }, { key: 'done', label: '完成' }, { key: 'void', label: '作废' }] },
    {
      key: 'lines', type: 'subtable', label: '明细',
      fields: [
        { key: 'sku', type: 'text', label: 'SKU' },
        { key: 'n', type: 'number', label: '件数' },
        { key: 'price', type: 'money', label: '单价' },
      ],
    },
  ],
};

const SELLER_ROLE = {
  key: 'seller', label: '销售员',
  permissions: [
    { form: 'sale', actions: ['create', 'read', 'update'], rows: 'own' },
    { form: 'client', actions: ['read'] },
    { form: 'product', actions: ['read'], fields: { hidden: ['cost'] } },
  ],
};
const CLERK_ROLE = { key: 'clerk', label: '文员', permissions: [{ form: 'client', actions: ['read'] }] };

interface Sale {
  id: number; client: number; product: number; amount: number; qty: number; sold_on: string; at: string; status: string;
  owner: number; lines: Array<{ sku: string; n: number; price: number }>;
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const r2 = (x: number) => Math.round(x * 100) / 100;
const groupBy = <T,>(xs: T[], key: (x: T) => string) => {
  const m = new Map<string, T[]>();
  for (const x of xs) {
    const k = key(x);
    if (!m.has(k)) m.set(k, []);
    m.get(k)!.push(x);
  }
  return m;
};
const addDays = (d: string, n: number) => new Date(Date.parse(d + 'T00:00:00Z') + n * 86_400_000).toISOString().slice(0, 10);

describe.each(DIALECTS)('reports on %s', (dialect) => {
  let t: TestEngine;
  const admin: Actor = { userId: null, username: 'root', roles: ['admin'], departmentId: null, isAdmin: true };
  const sellers: Actor[] = [];
  let clerk: Actor;
  const clients: Array<{ id: number; name: string; tier: string }> = [];
  const products: Array<{ id: number; name: string; brand: string; cost: number }> = [];
  const sales: Sale[] = [];

  const publish = async (kind: 'reports' | 'dashboards' | 'roles', doc: Record<string, unknown>) => {
    await t.engine.docs.saveDraft(kind, doc.key as string, doc);
    return t.engine.docs.publish(kind, doc.key as string);
  };
  const run = (actor: Actor, key: string, params?: Record<string, unknown>) => t.engine.reports.run(actor, key, { params });
  const report = async (doc: Record<string, unknown>) => {
    await publish('reports', { label: doc.key, category: 'custom', source: 'sale', ...doc });
  };

  beforeAll(async () => {
    setRulesClock(() => new Date(`${TODAY}T04:00:00Z`));
    t = await testEngine(dialect);
    await publishForm(t.engine, CLIENT);
    await publishForm(t.engine, PRODUCT);
    await publishForm(t.engine, SALE);
    await publish('roles', SELLER_ROLE);
    await publish('roles', CLERK_ROLE);
    await t.engine.users.ensureAdmin('admin', ADMIN_PASSWORD);
    for (const name of ['amy', 'bob']) {
      const u = await t.engine.users.create({ username: name, password: 'password-123456', displayName: name.toUpperCase(), roles: ['seller'] } as any);
      sellers.push({ userId: u.id, username: name, roles: ['seller'], departmentId: null, isAdmin: false });
    }
    const c = await t.engine.users.create({ username: 'carl', password: 'password-123456', displayName: 'Carl', roles: ['clerk'] } as any);
    clerk = { userId: c.id, username: 'carl', roles: ['clerk'], departmentId: null, isAdmin: false };

    let seed = 11;
    const rnd = () => ((seed = (seed * 48271) % 2147483647) / 2147483647);
    const pick = <T,>(xs: T[]) => xs[Math.floor(rnd() * xs.length)]!;
    for (const [name, tier] of [['甲公司', 'gold'], ['乙公司', 'silver'], ['丙公司', 'gold'], ['丁公司', 'silver']] as const) {
      const rec = await t.engine.records.create(SYSTEM_ACTOR, 'client', { name, tier });
      clients.push({ id: rec.id, name, tier });
    }
    for (const [name, brand, cost] of [['轿车', 'A', 1000.5], ['SUV', 'A', 2000], ['卡车', 'B', 3000.25]] as const) {
      const rec = await t.engine.records.create(SYSTEM_ACTOR, 'product', { name, brand, cost });
      products.push({ id: rec.id, name, brand, cost });
    }
    // 60 sales over 2026-01-01 … 2026-06-15; the last client (丁公司) buys nothing after March.
    for (let i = 0; i < 60; i++) {
      const sold_on = addDays('2026-01-01', Math.floor(rnd() * 166));
      const client = sold_on >= '2026-04-01' ? pick(clients.slice(0, 3)) : pick(clients);
      const product = pick(products);
      const owner = pick(sellers);
      const lines = Array.from({ length: Math.floor(rnd() * 3) }, () => ({ sku: pick(['x1', 'x2']), n: 1 + Math.floor(rnd() * 4), price: r2(10 + rnd() * 90) }));
      const hour = Math.floor(rnd() * 24);
      const body = {
        client: client.id, product: product.id, amount: r2(500 + rnd() * 5000), qty: 1 + Math.floor(rnd() * 5), sold_on,
        at: `${sold_on}T${String(hour).padStart(2, '0')}:30:00.000Z`, status: pick(['open', 'done', 'done', 'void']), lines,
      };
      const rec = await t.engine.records.create(SYSTEM_ACTOR, 'sale', body, { owner: owner.userId });
      sales.push({ ...body, id: rec.id, owner: owner.userId!, lines } as Sale);
    }
  });
  afterAll(async () => {
    setRulesClock(null);
    await t?.drop();
  });

  it('groups by a relation (its title) and a month, with count, sum, avg, min, max, ratio and expr', async () => {
    await report({
      key: 'by_product_month',
      filter: { '!=': [{ var: 'status' }, 'void'] },
      dimensions: [{ key: 'product', field: 'product' }, { key: 'month', field: 'sold_on', grain: 'month' }],
      measures: [
        { key: 'n', op: 'count' },
        { key: 'revenue', op: 'sum', field: 'amount' },
        { key: 'avg_amount', op: 'avg', field: 'amount' },
        { key: 'min_amount', op: 'min', field: 'amount' },
        { key: 'last_day', op: 'max', field: 'sold_on' },
        { key: 'units', op: 'sum', field: 'qty' },
        { key: 'per_unit', op: 'ratio', of: ['revenue', 'units'], format: 'money', precision: 2 },
        { key: 'doubled', op: 'expr', expr: { '*': [{ measure: 'revenue' }, 2] } },
        { key: 'done_n', op: 'count', filter: { '==': [{ var: 'status' }, 'done'] } },
      ],
      totals: true,
    });
    const res = await run(admin, 'by_product_month');
    const live = sales.filter((s) => s.status !== 'void');
    const groups = groupBy(live, (s) => `${products.find((p) => p.id === s.product)!.name}|${s.sold_on.slice(0, 7)}`);
    expect(res.rows.length).toBe(groups.size);
    expect(res.columns.map((c) => c.key)).toEqual(['product', 'month', 'n', 'revenue', 'avg_amount', 'min_amount', 'last_day', 'units', 'per_unit', 'doubled', 'done_n']);
    expect(res.columns.find((c) => c.key === 'revenue')).toMatchObject({ type: 'money', kind: 'measure', label: '金额' });
    for (const row of res.rows) {
      const g = groups.get(`${row.product}|${row.month}`)!;
      expect(g, `${row.product} ${row.month}`).toBeDefined();
      const revenue = r2(sum(g.map((s) => s.amount)));
      const units = sum(g.map((s) => s.qty));
      expect(row).toEqual({
        product: row.product, month: row.month, n: g.length, revenue, avg_amount: r2(revenue / g.length),
        min_amount: Math.min(...g.map((s) => s.amount)), last_day: g.map((s) => s.sold_on).sort().pop(), units,
        per_unit: r2(revenue / units), doubled: r2(revenue * 2), done_n: g.filter((s) => s.status === 'done').length,
      });
    }
    // Sorted by the dimensions.
    const keys = res.rows.map((r) => `${r.product}|${r.month}`);
    expect(keys).toEqual([...keys].sort());
    expect(res.totals).toMatchObject({ product: null, month: null, n: live.length, revenue: r2(sum(live.map((s) => s.amount))) });
  });

  it('adds up totals from the groups when every measure rolls up (count, sum, min, max and ratios of them)', async () => {
    await report({
      key: 'rolled',
      dimensions: [{ key: 'status', field: 'status' }],
      measures: [
        { key: 'n', op: 'count' }, { key: 'revenue', op: 'sum', field: 'amount' }, { key: 'low', op: 'min', field: 'amount' },
        { key: 'first_day', op: 'min', field: 'sold_on' }, { key: 'per_sale', op: 'ratio', of: ['revenue', 'n'], format: 'money', precision: 2 },
      ],
      having: { '>': [{ var: 'n' }, 0] },
      totals: true,
    });
    const { sql } = await t.engine.reports.explain(admin, (await t.engine.docs.getPublished('reports', 'rolled')) as any);
    expect(sql).toContain('MATERIALIZED');
    const res = await run(admin, 'rolled');
    const revenue = r2(sum(sales.map((s) => s.amount)));
    expect(res.totals).toEqual({
      status: null, n: sales.length, revenue, low: Math.min(...sales.map((s) => s.amount)),
      first_day: sales.map((s) => s.sold_on).sort()[0], per_sale: r2(revenue / sales.length),
    });
    expect(res.rows.map((r) => r.n)).toEqual(['open', 'done', 'void'].map((st) => sales.filter((s) => s.status === st).length).filter((n) => n));
  });

  it('turns a datetime into the local (Asia/Shanghai) week, quarter and year', async () => {
    await report({
      key: 'by_time',
      dimensions: [{ key: 'week', field: 'at', grain: 'week' }, { key: 'quarter', field: 'sold_on', grain: 'quarter' }, { key: 'year', field: 'at', grain: 'year' }],
      measures: [{ key: 'n', op: 'count' }],
    });
    const res = await run(admin, 'by_time');
    const localDay = (iso: string) => new Date(Date.parse(iso) + 8 * 3600_000).toISOString().slice(0, 10);
    const monday = (d: string) => {
      const wd = (new Date(d + 'T00:00:00Z').getUTCDay() + 6) % 7;
      return addDays(d, -wd);
    };
    const quarter = (d: string) => `${d.slice(0, 4)}-Q${Math.floor((Number(d.slice(5, 7)) - 1) / 3) + 1}`;
    const groups = groupBy(sales, (s) => `${monday(localDay(s.at))}|${quarter(s.sold_on)}|${localDay(s.at).slice(0, 4)}`);
    expect(new Map(res.rows.map((r) => [`${r.week}|${r.quarter}|${r.year}`, r.n]))).toEqual(new Map([...groups].map(([k, v]) => [k, v.length])));
    expect(grainRange('quarter', '2026-Q4')).toEqual(['2026-10-01', '2027-01-01']);
    expect(grainRange('month', '2026-12')).toEqual(['2026-12-01', '2027-01-01']);
  });

  it('bands days since a date into buckets, in bucket order, and drills down to the same records', async () => {
    await report({
      key: 'age_bands',
      dimensions: [{
        key: 'age', field: 'sold_on', transform: 'days_since',
        buckets: [{ key: 'd30', label: '0–30', max: 30 }, { key: 'd90', label: '31–90', max: 90 }, { key: 'older', label: '>90' }],
      }],
      measures: [{ key: 'n', op: 'count' }],
    });
    const res = await run(admin, 'age_bands');
    const age = (d: string) => Math.round((Date.parse(TODAY) - Date.parse(d)) / 86_400_000);
    const band = (d: string) => (age(d) <= 30 ? 'd30' : age(d) <= 90 ? 'd90' : 'older');
    const expected = ['d30', 'd90', 'older'].map((k) => ({ age: k, n: sales.filter((s) => band(s.sold_on) === k).length })).filter((x) => x.n);
    expect(res.rows).toEqual(expected);
    expect(res.columns[0]!.options).toEqual([{ key: 'd30', label: '0–30' }, { key: 'd90', label: '31–90' }, { key: 'older', label: '>90' }]);
    expect(res.drill).toHaveLength(res.rows.length);
    for (const [i, row] of res.rows.entries()) {
      const d = res.drill![i]!;
      expect(d.form).toBe('sale');
      const list = await t.engine.records.list(admin, 'sale', { filter: d.filter, pageSize: 500 });
      expect(list.total, `drill ${row.age}`).toBe(row.n);
    }
  });

  it('drills down from a relation and month segment to exactly its records', async () => {
    const res = await run(admin, 'by_product_month');
    expect(res.drill).toHaveLength(res.rows.length);
    for (const [i, row] of res.rows.entries()) {
      const list = await t.engine.records.list(admin, 'sale', { filter: res.drill![i]!.filter, pageSize: 500 });
      expect(list.total).toBe(row.n);
    }
  });

  it('filters groups with having, sorts by a measure and limits', async () => {
    await report({
      key: 'top_clients',
      dimensions: [{ key: 'client', field: 'client' }],
      measures: [{ key: 'n', op: 'count' }, { key: 'revenue', op: 'sum', field: 'amount' }],
      having: { '>=': [{ var: 'revenue' }, 1000] },
      sort: [{ key: 'revenue', desc: true }],
      limit: 2,
    });
    const res = await run(admin, 'top_clients');
    const totals = clients
      .map((c) => ({ client: c.name, n: sales.filter((s) => s.client === c.id).length, revenue: r2(sum(sales.filter((s) => s.client === c.id).map((s) => s.amount))) }))
      .filter((x) => x.revenue >= 1000)
      .sort((a, b) => b.revenue - a.revenue)
      .slice(0, 2);
    expect(res.rows).toEqual(totals);
  });

  it('pivots one dimension into columns', async () => {
    await report({
      key: 'pivot', type: 'pivot', pivot: { columns: 'status' },
      dimensions: [{ key: 'brand', field: 'product.brand' }, { key: 'status', field: 'status' }],
      measures: [{ key: 'n', op: 'count' }],
    });
    const res: any = await run(admin, 'pivot');
    const statuses = ['open', 'done', 'void'].filter((st) => sales.some((s) => s.status === st)); // the options' order
    expect(res.pivotValues).toEqual(statuses);
    for (const row of res.rows) {
      statuses.forEach((st, i) => {
        const n = sales.filter((s) => products.find((p) => p.id === s.product)!.brand === row.brand && s.status === st).length;
        expect(row[`n__${i}`] ?? 0).toBe(n);
      });
    }
    expect(res.columns.map((c: any) => c.label)).toEqual(['品牌', ...statuses.map((s) => ({ open: '进行中', done: '完成', void: '作废' })[s])]);
  });

  it('reports over subtable rows', async () => {
    await report({
      key: 'by_sku',
      dimensions: [{ key: 'sku', field: 'lines.sku' }],
      measures: [{ key: 'pieces', op: 'sum', field: 'lines.n' }, { key: 'lines', op: 'count' }, { key: 'orders', op: 'count_distinct', field: 'id' }, { key: 'top_price', op: 'max', field: 'lines.price' }],
    });
    const res = await run(admin, 'by_sku');
    const rows = sales.flatMap((s) => s.lines.map((l) => ({ ...l, sale: s.id })));
    const expected = [...groupBy(rows, (l) => l.sku)].sort().map(([sku, ls]) => ({
      sku, pieces: sum(ls.map((l) => l.n)), lines: ls.length, orders: new Set(ls.map((l) => l.sale)).size, top_price: Math.max(...ls.map((l) => l.price)),
    }));
    expect(res.rows).toEqual(expected);
  });

  it('lists detail rows with computed columns, and finds records without related ones', async () => {
    await report({
      key: 'margins',
      filter: { '==': [{ var: 'status' }, 'done'] },
      columns: [
        { key: 'client', field: 'client' },
        { key: 'amount', field: 'amount' },
        { key: 'cost', field: 'product.cost' },
        { key: 'margin', expr: { '-': [{ var: 'amount' }, { var: 'product.cost' }] }, format: 'money' },
      ],
      having: { '>': [{ var: 'margin' }, 2000] },
    });
    const res = await run(admin, 'margins');
    const expected = sales
      .filter((s) => s.status === 'done' && s.amount - products.find((p) => p.id === s.product)!.cost > 2000)
      .sort((a, b) => a.id - b.id)
      .map((s) => {
        const cost = products.find((p) => p.id === s.product)!.cost;
        return { client: clients.find((c) => c.id === s.client)!.name, amount: s.amount, cost, margin: r2(s.amount - cost) };
      });
    expect(res.rows).toEqual(expected);
    expect(res.ids).toEqual(sales.filter((s) => s.status === 'done' && s.amount - products.find((p) => p.id === s.product)!.cost > 2000).map((s) => s.id).sort((a, b) => a - b));

    await publish('reports', {
      key: 'dormant', label: '沉睡客户', category: 'risk', source: 'client',
      filter: { no_related: ['sale', 'client', { '>=': [{ var: 'sold_on' }, { date_add: [{ today: [] }, -60, 'day'] }] }] },
      columns: [{ key: 'name', field: 'name' }, { key: 'tier', field: 'tier' }],
    });
    const dormant = await run(admin, 'dormant');
    const since = addDays(TODAY, -60);
    expect(dormant.rows.map((r) => r.name)).toEqual(clients.filter((c) => !sales.some((s) => s.client === c.id && s.sold_on >= since)).map((c) => c.name));
    expect(dormant.rows.map((r) => r.name)).toContain('丁公司');
    expect(dormant.columns.find((c) => c.key === 'tier')!.options).toEqual([{ key: 'gold', label: '金' }, { key: 'silver', label: '银' }]);
  });

  it('applies params: a date range on a field, a select, required and unknown params', async () => {
    await report({
      key: 'by_status',
      params: [
        { key: 'period', type: 'date_range', field: 'sold_on' },
        { key: 'status', type: 'select', field: 'status', options: [{ key: 'open', label: 'o' }, { key: 'done', label: 'd' }, { key: 'void', label: 'v' }] },
      ],
      dimensions: [{ key: 'status', field: 'status' }],
      measures: [{ key: 'n', op: 'count' }],
    });
    const res = await run(admin, 'by_status', { period: { from: '2026-02-01', to: '2026-03-31' }, status: ['open', 'done'] });
    const inRange = sales.filter((s) => s.sold_on >= '2026-02-01' && s.sold_on <= '2026-03-31' && s.status !== 'void');
    expect(res.rows).toEqual(['open', 'done'].map((st) => ({ status: st, n: inRange.filter((s) => s.status === st).length })).filter((x) => x.n));
    expect(res.params).toEqual({ period: { from: '2026-02-01', to: '2026-03-31' }, status: ['open', 'done'] });
    // The drill-down carries the params.
    const list = await t.engine.records.list(admin, 'sale', { filter: res.drill![0]!.filter, pageSize: 500 });
    expect(list.total).toBe(res.rows[0]!.n);

    const bad = await run(admin, 'by_status', { period: { from: '2026-13-01' }, nope: 1 }).catch((e) => e);
    expect(isAppError(bad) && bad.code).toBe('validation');
    expect(Object.keys(bad.fields).sort()).toEqual(['params.nope', 'params.period']);
    await report({ key: 'needs_period', params: [{ key: 'period', type: 'date_range', field: 'sold_on', required: true }], measures: [{ key: 'n', op: 'count' }] });
    const missing = await run(admin, 'needs_period').catch((e) => e);
    expect(missing.code).toBe('validation');
    expect(Object.keys(missing.fields)).toEqual(['params.period']);
  });

  it("applies the caller's row scope and leaves out what they may not see", async () => {
    await report({
      key: 'cost_view',
      dimensions: [{ key: 'product', field: 'product' }],
      measures: [{ key: 'n', op: 'count' }, { key: 'revenue', op: 'sum', field: 'amount' }, { key: 'cost', op: 'sum', field: 'product.cost' }, { key: 'profit', op: 'expr', expr: { '-': [{ measure: 'revenue' }, { measure: 'cost' }] } }],
    });
    const [amy] = sellers;
    const mine = sales.filter((s) => s.owner === amy!.userId);
    const res = await run(amy!, 'cost_view');
    expect(res.columns.map((c) => c.key)).toEqual(['product', 'n', 'revenue']);
    const expected = [...groupBy(mine, (s) => products.find((p) => p.id === s.product)!.name)].sort().map(([product, g]) => ({ product, n: g.length, revenue: r2(sum(g.map((s) => s.amount))) }));
    expect(res.rows).toEqual(expected);
    const full = await run(admin, 'cost_view');
    expect(full.columns.map((c) => c.key)).toEqual(['product', 'n', 'revenue', 'cost', 'profit']);
    for (const row of full.rows) {
      const g = sales.filter((s) => products.find((p) => p.id === s.product)!.name === row.product);
      expect(row.cost).toBe(r2(sum(g.map((s) => products.find((p) => p.id === s.product)!.cost))));
      expect(row.profit).toBe(r2((row.revenue as number) - (row.cost as number)));
    }
    // A detail column through a hidden field is absent too; a filter on it is refused.
    const margins = await run(amy!, 'margins').catch((e) => e);
    expect(margins.code).toBe('forbidden');
    // No read on the source form: forbidden.
    const denied = await run(clerk, 'cost_view').catch((e) => e);
    expect(denied.code).toBe('forbidden');
    // The clerk reads clients, but their related sales are out of sight: every client looks dormant to them.
    const dormant = await run(clerk, 'dormant');
    expect(dormant.rows).toHaveLength(clients.length);
  });

  it('refuses to publish a report whose paths or expressions do not fit the forms', async () => {
    const tryPublish = async (doc: Record<string, unknown>) => {
      await t.engine.docs.saveDraft('reports', doc.key as string, { label: 'x', category: 'custom', source: 'sale', ...doc });
      return t.engine.docs.publish('reports', doc.key as string).then(() => null, (e) => e);
    };
    let e = await tryPublish({ key: 'bad1', dimensions: [{ key: 'x', field: 'product.nope' }], measures: [{ key: 'n', op: 'count' }] });
    expect(e.code).toBe('validation');
    expect(Object.keys(e.fields)).toEqual(['/dimensions/0/field']);
    e = await tryPublish({ key: 'bad2', measures: [{ key: 's', op: 'sum', field: 'status' }] });
    expect(Object.keys(e.fields)).toEqual(['/measures/0/field']);
    e = await tryPublish({ key: 'bad3', filter: { '==': [{ var: 'nope' }, 1] }, measures: [{ key: 'n', op: 'count' }] });
    expect(Object.keys(e.fields)).toEqual(['/filter']);
    e = await tryPublish({ key: 'bad4', source: 'nothing', measures: [{ key: 'n', op: 'count' }] });
    expect(Object.keys(e.fields)).toEqual(['/source']);
    // The metaschema: an unknown measure op; then the checks beyond it (duplicate output keys, a ratio of a missing measure).
    const save = (doc: Record<string, unknown>) =>
      t.engine.docs.saveDraft('reports', doc.key as string, { label: 'x', category: 'custom', source: 'sale', ...doc }).then(() => null, (x) => x);
    e = await save({ key: 'bad5', measures: [{ key: 'm', op: 'median', field: 'amount' }] });
    expect(e.code).toBe('validation');
    expect(Object.keys(e.fields)).toEqual(['/measures/0/op']);
    e = await save({ key: 'bad6', dimensions: [{ key: 'n', field: 'status' }], measures: [{ key: 'n', op: 'count' }, { key: 'r', op: 'ratio', of: ['n', 'zz'] }] });
    expect(Object.keys(e.fields).sort()).toEqual(['/measures/0/key', '/measures/1/of/1']);
  });

  it('serves reports and dashboards over HTTP', async () => {
    await publish('dashboards', {
      key: 'overview', label: { 'zh-CN': '总览', en: 'Overview' },
      filters: [{ key: 'period', type: 'date_range', label: '期间' }],
      widgets: [
        { id: 'status', report: 'by_status', layout: { x: 0, y: 0, w: 12, h: 6 }, params: { period: '$filters.period' } },
        { id: 'products', report: 'cost_view', layout: { x: 12, y: 0, w: 12, h: 6 }, chart: { kind: 'bar', x: 'product', y: ['revenue'] } },
      ],
    });
    // Sessions live on the real clock.
    setRulesClock(null);
    const s: TestServer = await startServer(t.engine);
    try {
      const r = await s.api('/api/reports/by_status/run', { body: { params: { period: { from: '2026-01-01', to: '2026-01-31' } } } });
      expect(r.status).toBe(200);
      const jan = sales.filter((x) => x.sold_on.startsWith('2026-01'));
      expect(r.body.columns.map((c: any) => [c.key, c.type])).toEqual([['status', 'select'], ['n', 'number']]);
      expect(r.body.rows).toEqual(['open', 'done', 'void'].map((st) => ({ status: st, n: jan.filter((x) => x.status === st).length })).filter((x) => x.n));
      expect((await s.api('/api/reports/nope/run', { body: {} })).status).toBe(404);
      expect((await s.api('/api/reports/by_status/run', { body: { params: 'x' } })).status).toBe(422);
      const en = await s.api('/api/reports/by_product_month/run', { body: {}, headers: { 'accept-language': 'en' } });
      expect(en.body.columns.find((c: any) => c.key === 'revenue').label).toBe('Amount');

      const d = await s.api('/api/dashboards/overview');
      expect(d.status).toBe(200);
      expect(d.body).toMatchObject({ key: 'overview', label: '总览', filters: [{ key: 'period', type: 'date_range', label: '期间' }] });
      expect(d.body.widgets.map((w: any) => w.id)).toEqual(['status', 'products']);
      const runAll = await s.api('/api/dashboards/overview/run', { body: { filters: { period: { from: '2026-01-01', to: '2026-01-31' } } } });
      expect(runAll.status).toBe(200);
      expect(runAll.body.widgets[0].result.rows).toEqual(r.body.rows);
      expect(runAll.body.widgets[1].result.chart).toEqual({ kind: 'bar', x: 'product', y: ['revenue'] });
      expect((await s.api('/api/dashboards/overview/run', { body: { filters: { nope: 1 } } })).status).toBe(422);

      // A seller sees only the widget whose report they may run, with their own rows.
      const login = await s.api('/api/auth/login', { body: { username: 'amy', password: 'password-123456' }, token: null });
      const mine = await s.api('/api/dashboards/overview', { token: login.body.token });
      expect(mine.body.widgets.map((w: any) => w.id)).toEqual(['status', 'products']);
      const clerkLogin = await s.api('/api/auth/login', { body: { username: 'carl', password: 'password-123456' }, token: null });
      expect((await s.api('/api/dashboards/overview', { token: clerkLogin.body.token })).status).toBe(403);
      expect((await s.api('/api/reports/by_status/run', { body: {}, token: clerkLogin.body.token })).status).toBe(403);
      const list = await s.api('/api/reports', { token: clerkLogin.body.token });
      expect(list.body.items.map((x: any) => x.key)).toEqual(['dormant']);
    } finally {
      await s.close();
      setRulesClock(() => new Date(`${TODAY}T04:00:00Z`));
    }
  });
});
