/**
 * The demo data generator (templates/dealership/demo/generator.js) on SQLite and PostgreSQL: the
 * same seed gives the same dealer, another seed another; the data passes the pack's rules and
 * is consistent where automations would have kept it so (payments, statuses, owned vehicles,
 * customer levels); rows belong to the staff; history starts no workflow, the live records do.
 * And `formwork demo` from the shell, with its progress output.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../../../engine/test/helpers/db.js';
import { testEngine, type TestEngine } from '../../../engine/test/helpers/engine.js';
import { runCli } from '../../../engine/test/helpers/process.js';
import { installPack, readPackFolder } from '../../../engine/src/packs/install.js';
import { SYSTEM_ACTOR } from '../../../engine/src/auth/actor.js';
import type { Engine } from '../../../engine/src/app.js';
// @ts-expect-error plain JS module without types
import { generateDemo, demoPlan, vinCheckDigit, hasRecords, DEMO_PASSWORD } from '../demo/generator.js';

const PACK = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TODAY = '2026-05-20';
const SCALE = 24;

type Rec = Record<string, any>;

async function all(engine: Engine, form: string): Promise<Rec[]> {
  const out: Rec[] = [];
  for (let page = 1; ; page++) {
    const r = await engine.records.list(SYSTEM_ACTOR, form, { pageSize: 500, page, sort: 'id' } as any);
    out.push(...r.items);
    if (out.length >= r.total || !r.items.length) return out;
  }
}

/** A digest of the data by key fields (no ids, no timestamps of the write itself). */
async function digest(engine: Engine): Promise<string> {
  const h = crypto.createHash('sha256');
  const customers = await all(engine, 'customer');
  const phoneOf = new Map(customers.map((c) => [c.id, c.phone]));
  for (const c of customers) h.update(JSON.stringify([c.name, c.phone, c.gender, c.source, c.level, c.status, c.tags, c.budget, c.next_follow_up, c._owner != null]));
  for (const f of await all(engine, 'follow_up')) h.update(JSON.stringify([phoneOf.get(f.customer), f.method, f.at, f.new_level, f.next_follow_up]));
  for (const o of await all(engine, 'vehicle_order')) h.update(JSON.stringify([phoneOf.get(o.customer), o.discount, o.total_amount, o.paid_amount, o.status, o.order_date, o.delivery_date, o.accessories.map((a: Rec) => a.item)]));
  for (const v of await all(engine, 'vehicle')) h.update(JSON.stringify([v.vin, v.color, v.in_stock_date, v.status, v.cost]));
  for (const p of await all(engine, 'payment')) h.update(JSON.stringify([p.kind, p.amount, p.paid_at]));
  for (const v of await all(engine, 'owned_vehicle')) h.update(JSON.stringify([phoneOf.get(v.customer), v.vin, v.plate, v.insurance_expiry, v.next_service_date]));
  for (const r of await all(engine, 'repair_order')) h.update(JSON.stringify([phoneOf.get(r.customer), r.mileage_in, r.total, r.status, r.opened_on ?? null]));
  return h.digest('hex');
}

const daysBetween = (a: string, b: string) => Math.round((Date.parse(a) - Date.parse(b)) / 86_400_000);

describe.each(DIALECTS)('demo data generator on %s', (dialect) => {
  let t: TestEngine;
  let result: Rec;
  const progress: Rec[] = [];
  beforeAll(async () => {
    t = await testEngine(dialect);
    await installPack(t.engine.db, t.engine.docs, readPackFolder(PACK));
    result = await generateDemo(t.engine, { seed: 7, scale: SCALE, today: TODAY, onProgress: (p: Rec) => progress.push(p) });
  }, 120_000);
  afterAll(() => t.drop());

  it('writes the planned sizes, reporting progress phase by phase', async () => {
    const plan = demoPlan(SCALE);
    expect(result.counts.vehicle_order).toBe(SCALE + 4); // + today's live orders
    expect(result.counts.customer).toBe(plan.customers + 2 + 4);
    expect(result.counts.repair_order).toBe(plan.repairOrders);
    expect(result.counts.part).toBe(plan.parts);
    expect(result.records).toBe(Object.values(result.counts as Record<string, number>).reduce((a, b) => a + b, 0));
    const phases = [...new Set(progress.map((p) => p.phase))];
    expect(phases).toEqual(['catalogue', 'stock', 'customers', 'follow_ups', 'orders', 'owned_vehicles', 'repair_orders', 'live', 'done']);
    for (const ph of phases) {
      const last = progress.filter((p) => p.phase === ph).at(-1)!;
      expect(last.done).toBe(last.total);
    }
    expect(progress.at(-1)!.records).toBe(result.records);
    expect(await hasRecords(t.engine)).toBe(true);
  });

  it('same seed → the same data; another seed → other data', async () => {
    const again = await testEngine(dialect);
    const other = await testEngine(dialect);
    try {
      for (const e of [again, other]) await installPack(e.engine.db, e.engine.docs, readPackFolder(PACK));
      await generateDemo(again.engine, { seed: 7, scale: SCALE, today: TODAY, batchSize: 37 });
      await generateDemo(other.engine, { seed: 8, scale: SCALE, today: TODAY });
      const [a, b, c] = await Promise.all([digest(t.engine), digest(again.engine), digest(other.engine)]);
      expect(b).toBe(a);
      expect(c).not.toBe(a);
    } finally {
      await again.drop();
      await other.drop();
    }
  }, 120_000);

  it('VINs carry valid check digits; phones are unique mainland mobiles; plates and ID numbers are well formed', async () => {
    const vehicles = await all(t.engine, 'vehicle');
    const owned = await all(t.engine, 'owned_vehicle');
    for (const v of [...vehicles, ...owned]) {
      expect(v.vin).toMatch(/^[A-HJ-NPR-Z0-9]{17}$/);
      expect(v.vin[8]).toBe(vinCheckDigit(v.vin));
    }
    expect(new Set(vehicles.map((v) => v.vin)).size).toBe(vehicles.length);
    for (const v of owned) expect(v.plate).toMatch(/^[\u4e00-\u9fa5][A-Z](?:[A-Z0-9]{5,6}|[A-Z0-9]{4}[\u4e00-\u9fa5])$/);
    const customers = await all(t.engine, 'customer');
    for (const c of customers) {
      expect(c.phone).toMatch(/^1[3-9]\d{9}$/);
      expect(c.name).toMatch(/^[\u4e00-\u9fa5]{2,20}$/);
    }
    expect(new Set(customers.map((c) => c.phone)).size).toBe(customers.length);
    expect(customers.filter((c) => c.id_number).length).toBeGreaterThan(0);
  });

  it('payments never exceed an order; paid_amount is the sum of its payments; statuses agree', async () => {
    const orders = await all(t.engine, 'vehicle_order');
    const payments = await all(t.engine, 'payment');
    const vehicles = new Map((await all(t.engine, 'vehicle')).map((v) => [v.id, v]));
    const ownedByVin = new Map((await all(t.engine, 'owned_vehicle')).map((v) => [v.vin, v]));
    const customers = new Map((await all(t.engine, 'customer')).map((c) => [c.id, c]));
    const paid = new Map<number, number>();
    for (const p of payments) {
      expect(p.amount).toBeGreaterThan(0);
      paid.set(p.order, Math.round(((paid.get(p.order) ?? 0) + p.amount) * 100) / 100);
    }
    const statuses = new Set<string>();
    for (const o of orders) {
      statuses.add(o.status);
      expect(o.paid_amount).toBeCloseTo(paid.get(o.id) ?? 0, 2);
      expect(o.paid_amount).toBeLessThanOrEqual(o.total_amount + 0.001);
      expect(o.order_date <= TODAY).toBe(true);
      expect(daysBetween(TODAY, o.order_date)).toBeLessThan(366);
      const customer = customers.get(o.customer)!;
      const vehicle = o.vehicle ? vehicles.get(o.vehicle) : null;
      if (o.status === 'delivered') {
        expect(vehicle?.status).toBe('sold');
        expect(o.paid_amount).toBeCloseTo(o.total_amount, 2);
        expect(o.delivery_date >= o.order_date).toBe(true);
        expect(ownedByVin.get(vehicle!.vin)?.customer).toBe(o.customer);
        expect(customer.level).toBe('d');
      } else if (o.status === 'paid') {
        expect(vehicle?.status).toBe('allocated');
        expect(o.paid_amount).toBeCloseTo(o.total_amount, 2);
      } else if (o.status === 'allocated') {
        expect(vehicle?.status).toBe('allocated');
        expect(customer.level).toBe('o');
      } else {
        expect(o.vehicle).toBeNull();
        if (o.status === 'cancelled') expect(customer.level).toBe('t');
      }
    }
    expect(statuses.has('delivered')).toBe(true);
    expect(statuses.has('pending_approval')).toBe(true); // the live ones
  });

  it('repair orders have labour and parts rows, and (when the form has one) an intake date within the year after the delivery', async () => {
    const owned = new Map((await all(t.engine, 'owned_vehicle')).map((v) => [v.id, v]));
    const ros = await all(t.engine, 'repair_order');
    expect(ros.length).toBeGreaterThan(0);
    for (const r of ros) {
      expect(r.labor.length).toBeGreaterThan(0);
      expect(r.total).toBeGreaterThan(0);
      expect(owned.get(r.owned_vehicle)?.customer).toBe(r.customer);
      if ('opened_on' in r) {
        expect(daysBetween(TODAY, r.opened_on)).toBeGreaterThanOrEqual(0);
        expect(daysBetween(TODAY, r.opened_on)).toBeLessThan(366);
        expect(r.opened_on >= owned.get(r.owned_vehicle)!.delivery_date).toBe(true);
      }
    }
    expect(ros.some((r) => r.parts.length > 0)).toBe(true);
  });

  it('stock ages spread over the 0–45, 46–90 and >90 day buckets', async () => {
    const stock = (await all(t.engine, 'vehicle')).filter((v) => v.status === 'in_stock');
    const buckets = new Set(stock.map((v) => { const age = daysBetween(TODAY, v.in_stock_date); return age <= 45 ? 0 : age <= 90 ? 1 : 2; }));
    expect([...buckets].sort()).toEqual([0, 1, 2]);
  });

  it('rows belong to the staff: customers, follow-ups and orders to advisors, consistently', async () => {
    const users = await t.engine.users.list();
    const role = new Map(users.map((u) => [u.id, u.roles[0]]));
    expect(users.filter((u) => u.roles.includes('sales_advisor')).length).toBeGreaterThanOrEqual(6);
    const customers = await all(t.engine, 'customer');
    const ownerOf = new Map(customers.map((c) => [c.id, c._owner]));
    const owners = new Set<number>();
    for (const c of customers) {
      if (c._owner == null) continue; // the two live web leads, until lead assignment runs
      expect(role.get(c._owner)).toBe('sales_advisor');
      owners.add(c._owner);
    }
    expect(owners.size).toBeGreaterThanOrEqual(4);
    for (const f of await all(t.engine, 'follow_up')) expect(f._owner).toBe(ownerOf.get(f.customer));
    for (const o of await all(t.engine, 'vehicle_order')) expect(o._owner).toBe(ownerOf.get(o.customer));
    for (const p of await all(t.engine, 'payment')) expect(role.get(p._owner)).toBe('finance');
    for (const r of await all(t.engine, 'repair_order')) expect(role.get(r._owner)).toBe('service_advisor');
    // the staff sign in with the demo password
    expect((await t.engine.users.login('zhangwei', DEMO_PASSWORD)).user.roles).toEqual(['sales_advisor']);
  });

  it('history starts no workflow; the live records put work in the inbox', async () => {
    const k = t.engine.db.knex;
    const pending = await k('fw_outbox').whereNull('processed_at').count({ n: '*' }).first();
    expect(Number(pending!.n)).toBeLessThan(20);
    await t.engine.workflow.drain();
    const instances = await k('fw_wf_instances').select('workflow');
    const started = new Set(instances.map((i: Rec) => i.workflow));
    expect(started.has('discount_approval')).toBe(true);
    expect(started.has('lead_assignment')).toBe(true);
    expect(instances.filter((i: Rec) => i.workflow === 'discount_approval').length).toBe(4);
    const openTasks = await k('fw_wf_tasks').where({ status: 'open' }).count({ n: '*' }).first();
    expect(Number(openTasks!.n)).toBeGreaterThanOrEqual(3);
    const leads = (await all(t.engine, 'customer')).filter((c) => c._owner == null);
    expect(leads).toEqual([]);
  }, 60_000);
});

describe('formwork demo (CLI)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'formwork-demo-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('installs the pack, generates with progress on stderr and a summary on stdout, and refuses a second time', async () => {
    const db = `sqlite:${path.join(dir, 'demo.db')}`;
    const r = await runCli(['demo', '--db', db, '--scale', '50', '--seed', '3', '--today', TODAY]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Installed the dealership pack');
    const m = /Loaded demo data: (\d+) records \((\d+) customers, (\d+) orders/.exec(r.stdout);
    expect(m).not.toBeNull();
    expect(Number(m![3])).toBe(54);
    expect(Number(m![2])).toBe(demoPlan(50).customers + 6);
    expect(r.stdout).toContain(`password '${DEMO_PASSWORD}'`);
    // not a terminal: progress as lines, every phase to 100 %
    for (const phase of ['customers', 'follow_ups', 'orders', 'repair_orders']) expect(r.stderr).toMatch(new RegExp(`^${phase} (\\d+)/\\1 \\(100%\\)`, 'm'));
    const again = await runCli(['demo', '--db', db, '--scale', '50']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already holds dealership records');
    const bad = await runCli(['demo', '--db', db, '--scale', '2000000']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('invalid --scale');
  }, 120_000);
});
