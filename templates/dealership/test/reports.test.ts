/**
 * The dealership's reports and dashboards (DEALERSHIP.md "Reports") on SQLite and PostgreSQL.
 * A demo dealer is generated; every figure a report returns is recomputed here in JavaScript
 * from the records themselves (read back through the API layer), and must agree.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../../../engine/test/helpers/db.js';
import { testEngine, type TestEngine } from '../../../engine/test/helpers/engine.js';
import { installPack, readPackFolder } from '../../../engine/src/packs/install.js';
import { SYSTEM_ACTOR, type Actor } from '../../../engine/src/auth/actor.js';
import { setRulesClock } from '../../../engine/src/rules/operations.js';
import type { Engine } from '../../../engine/src/app.js';
// @ts-expect-error plain JS module without types
import { generateDemo } from '../demo/generator.js';

const PACK = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TODAY = '2026-05-20';

type Rec = Record<string, any>;
const r2 = (x: number) => Math.round(x * 100) / 100;
const sum = (xs: number[]) => r2(xs.reduce((a, b) => a + b, 0));
const addDays = (d: string, n: number) => new Date(Date.parse(d + 'T00:00:00Z') + n * 86_400_000).toISOString().slice(0, 10);
const daysSince = (d: string) => Math.round((Date.parse(TODAY) - Date.parse(d)) / 86_400_000);
function groupBy<T>(xs: T[], key: (x: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const x of xs) {
    const k = key(x);
    if (!m.has(k)) m.set(k, []);
    m.get(k)!.push(x);
  }
  return m;
}

async function all(engine: Engine, form: string): Promise<Rec[]> {
  const out: Rec[] = [];
  for (let page = 1; ; page++) {
    const r = await engine.records.list(SYSTEM_ACTOR, form, { pageSize: 500, page, sort: 'id' });
    out.push(...r.items);
    if (out.length >= r.total || !r.items.length) return out;
  }
}

describe.each(DIALECTS)('dealership reports on %s', (dialect) => {
  let t: TestEngine;
  const admin: Actor = { userId: null, username: 'root', roles: ['admin'], departmentId: null, isAdmin: true };
  const data: Record<string, Rec[]> = {};
  const userName = new Map<number, string>();
  const byId = (form: string) => new Map(data[form]!.map((r) => [r.id, r]));
  const run = (key: string, params?: Record<string, unknown>, actor: Actor = admin) => t.engine.reports.run(actor, key, { params });

  beforeAll(async () => {
    setRulesClock(() => new Date(`${TODAY}T03:00:00Z`));
    t = await testEngine(dialect);
    await installPack(t.engine.db, t.engine.docs, readPackFolder(PACK));
    await generateDemo(t.engine, { seed: 11, scale: 60, today: TODAY });
    await t.engine.workflow.drain();
    for (const f of ['customer', 'follow_up', 'vehicle_model', 'vehicle', 'vehicle_order', 'payment', 'repair_order']) data[f] = await all(t.engine, f);
    for (const u of await t.engine.db.knex('fw_users').select('id', 'display_name')) userName.set(Number(u.id), u.display_name);
  }, 180_000);
  afterAll(async () => {
    setRulesClock(null);
    await t?.drop();
  });

  const liveOrders = () => data.vehicle_order!.filter((o) => o.status !== 'cancelled' && o.status !== 'rejected');

  it('has the eight reports of DEALERSHIP.md, each in its category', async () => {
    const list = await t.engine.reports.listReports(admin);
    const cats = Object.fromEntries(list.map((r) => [r.key, r.category]));
    expect(cats).toMatchObject({
      sales_by_model_month: 'operations', advisor_ranking: 'operations', lead_funnel: 'operations', stock_aging: 'risk',
      receivables: 'finance', gross_profit_by_model: 'finance', service_revenue: 'operations', churn_risk: 'risk',
    });
  });

  it('sales_by_model_month: orders and revenue per model and month, without cancelled or rejected orders', async () => {
    const res = await run('sales_by_model_month');
    const models = byId('vehicle_model');
    const groups = groupBy(liveOrders(), (o) => `${models.get(o.model)!.name}|${o.order_date.slice(0, 7)}`);
    expect(res.rows.length).toBe(groups.size);
    for (const row of res.rows) {
      const g = groups.get(`${row.model}|${row.month}`)!;
      expect(row).toEqual({ model: row.model, month: row.month, orders: g.length, revenue: sum(g.map((o) => o.deal_price)) });
    }
    expect(res.totals).toMatchObject({ orders: liveOrders().length, revenue: sum(liveOrders().map((o) => o.deal_price)) });
    expect(data.vehicle_order!.some((o) => o.status === 'cancelled' || o.status === 'rejected')).toBe(true);
    // A period narrows it.
    const q1 = await run('sales_by_model_month', { period: { from: '2026-01-01', to: '2026-03-31' } });
    expect(q1.totals!.orders).toBe(liveOrders().filter((o) => o.order_date >= '2026-01-01' && o.order_date <= '2026-03-31').length);
  });

  it('advisor_ranking: orders and revenue per advisor, highest revenue first', async () => {
    const res = await run('advisor_ranking');
    const groups = groupBy(liveOrders(), (o) => String(o._owner));
    const expected = [...groups].map(([owner, g]) => ({
      advisor: userName.get(Number(owner)) ?? null, orders: g.length, revenue: sum(g.map((o) => o.deal_price)),
      avg_discount: Math.round((g.reduce((a, o) => a + (o.discount_rate ?? 0), 0) / g.length) * 10_000) / 10_000,
    })).sort((a, b) => b.revenue - a.revenue);
    expect(res.rows.map((r) => ({ ...r, avg_discount: Math.round((r.avg_discount as number) * 10_000) / 10_000 }))).toEqual(expected);
  });

  it('lead_funnel: customers per level, in the levels\' order', async () => {
    const res = await run('lead_funnel');
    const order = ['n', 'h', 'a', 'b', 'c', 'o', 'd', 't'];
    const groups = groupBy(data.customer!, (c) => String(c.level));
    const expected = [...groups].map(([level, g]) => ({ level: level === 'null' ? null : level, customers: g.length }))
      .sort((a, b) => (a.level === null ? -1 : b.level === null ? 1 : order.indexOf(a.level) - order.indexOf(b.level)));
    expect(res.rows).toEqual(expected);
    expect(res.columns[0]!.options!.map((o) => o.key)).toEqual(order);
  });

  it('stock_aging: in-stock vehicles per model in 0–45, 46–90 and >90 day bands', async () => {
    const res = await run('stock_aging');
    const models = byId('vehicle_model');
    const band = (d: string) => (daysSince(d) <= 45 ? 'd0_45' : daysSince(d) <= 90 ? 'd46_90' : 'd90_plus');
    const stock = data.vehicle!.filter((v) => v.status === 'in_stock');
    const groups = groupBy(stock, (v) => `${models.get(v.model)!.name}|${band(v.in_stock_date)}`);
    expect(new Map(res.rows.map((r) => [`${r.model}|${r.age}`, [r.vehicles, r.stock_cost]]))).toEqual(
      new Map([...groups].map(([k, g]) => [k, [g.length, sum(g.map((v) => v.cost))]])),
    );
    expect(new Set(res.rows.map((r) => r.age))).toEqual(new Set(stock.map((v) => band(v.in_stock_date))));
    // Drill-down from a segment lists exactly its vehicles.
    for (const [i, row] of res.rows.entries()) {
      const list = await t.engine.records.list(admin, 'vehicle', { filter: res.drill![i]!.filter, pageSize: 500 });
      expect(list.total).toBe(row.vehicles);
    }
  });

  it('receivables: orders with money outstanding', async () => {
    const res = await run('receivables');
    const customers = byId('customer');
    const expected = liveOrders()
      .filter((o) => r2(o.total_amount - (o.paid_amount ?? 0)) > 0)
      .map((o) => ({ order: o.order_no, customer: customers.get(o.customer)!.name, order_date: o.order_date, total_amount: o.total_amount, paid_amount: o.paid_amount, outstanding: r2(o.total_amount - o.paid_amount) }))
      .sort((a, b) => b.outstanding - a.outstanding || 0);
    expect(res.rows.length).toBe(expected.length);
    expect(res.rows.length).toBeGreaterThan(0);
    expect([...res.rows].sort((a, b) => String(a.order).localeCompare(String(b.order)))).toEqual([...expected].sort((a, b) => a.order.localeCompare(b.order)));
    // paid_amount really is the sum of the payments
    const pays = groupBy(data.payment!, (p) => String(p.order));
    for (const o of data.vehicle_order!) expect(o.paid_amount ?? 0).toBe(sum((pays.get(String(o.id)) ?? []).map((p) => p.amount)));
  });

  it('gross_profit_by_model: deal revenue, vehicle cost and gross profit of delivered orders', async () => {
    const res = await run('gross_profit_by_model');
    const models = byId('vehicle_model');
    const vehicles = byId('vehicle');
    const delivered = data.vehicle_order!.filter((o) => o.status === 'delivered');
    expect(delivered.length).toBeGreaterThan(0);
    const groups = groupBy(delivered, (o) => models.get(o.model)!.name);
    for (const row of res.rows) {
      const g = groups.get(row.model as string)!;
      const revenue = sum(g.map((o) => o.deal_price));
      const cost = sum(g.map((o) => (o.vehicle ? vehicles.get(o.vehicle)!.cost ?? 0 : 0)));
      expect(row).toMatchObject({ orders: g.length, revenue, cost, gross_profit: r2(revenue - cost) });
      expect(row.margin).toBeCloseTo((revenue - cost) / revenue, 4);
    }
    expect(res.rows.length).toBe(groups.size);
    expect(res.totals).toMatchObject({ orders: delivered.length });
  });

  it('service_revenue: settled and delivered repair orders and their revenue per month', async () => {
    const res = await run('service_revenue');
    const done = data.repair_order!.filter((r) => r.status === 'settled' || r.status === 'delivered');
    const groups = groupBy(done, (r) => r.opened_on.slice(0, 7));
    expect(res.rows.map((r) => [r.month, r.repair_orders, r.revenue])).toEqual(
      [...groups].sort().map(([m, g]) => [m, g.length, sum(g.map((r) => r.total))]),
    );
    expect(groups.size).toBeGreaterThan(3);
  });

  it('churn_risk: customers with no order, follow-up or repair order in six months', async () => {
    const res = await run('churn_risk');
    const since = '2025-11-20';
    const active = new Set<number>();
    for (const o of data.vehicle_order!) if (o.order_date >= since) active.add(o.customer);
    for (const f of data.follow_up!) if (f.at >= since) active.add(f.customer);
    for (const r of data.repair_order!) if (r.opened_on >= since) active.add(r.customer);
    const expected = data.customer!.filter((c) => c.status !== 'lost' && !active.has(c.id));
    expect(new Set(res.rows.map((r) => r.customer_no))).toEqual(new Set(expected.map((c) => c.customer_no)));
    expect(res.rows.length).toBeGreaterThan(0);
    expect(res.rows.every((r) => r.advisor === null || typeof r.advisor === 'string')).toBe(true);
  });

  it("a sales advisor's reports hold their own orders and no vehicle cost", async () => {
    const owner = liveOrders()[0]!._owner as number;
    const u = await t.engine.db.knex('fw_users').where({ id: owner }).first();
    const advisor: Actor = { userId: owner, username: u.username, roles: JSON.parse(u.roles), departmentId: u.department_id ?? null, isAdmin: false };
    expect(advisor.roles).toContain('sales_advisor');
    const mine = liveOrders().filter((o) => o._owner === owner);
    const res = await run('sales_by_model_month', undefined, advisor);
    expect(res.totals).toMatchObject({ orders: mine.length, revenue: sum(mine.map((o) => o.deal_price)) });
    const profit = await run('gross_profit_by_model', undefined, advisor);
    expect(profit.columns.map((c) => c.key)).toEqual(['model', 'orders', 'revenue']);
  });

  it('the four dashboards run every widget under their filters', async () => {
    for (const key of ['sales_overview', 'stock_overview', 'finance_overview', 'service_overview']) {
      const view = await t.engine.reports.get(admin, key);
      expect(view.widgets.length).toBeGreaterThan(1);
      const ran = await t.engine.reports.runDashboard(admin, key, {});
      for (const w of ran.widgets) {
        expect(w.error, `${key}/${w.id}`).toBeUndefined();
        expect(w.result!.rows.length, `${key}/${w.id}`).toBeGreaterThan(0);
      }
    }
    const sales = await t.engine.reports.runDashboard(admin, 'sales_overview', { period: { from: '2026-04-01', to: '2026-04-30' } });
    const byModel = sales.widgets.find((w) => w.id === 'by_model_month')!.result!;
    expect(byModel.rows.every((r) => r.month === '2026-04')).toBe(true);
    expect(addDays(TODAY, 0)).toBe(TODAY);
  });
});
