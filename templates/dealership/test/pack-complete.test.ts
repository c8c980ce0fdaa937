/**
 * The rest of a 4S store's day (issue 7), on SQLite and PostgreSQL, over HTTP: test drives
 * (reminder the day before, follow-up after, conversion when the customer orders), quotes
 * (computed total, turned into an order by a button, expiry), delivery checks, stock movements
 * and stocktakes (part stock posted, approval of differences), OEM rebates, service appointments
 * (reminder, no-show, check-in), callbacks after delivery and after service (and a complaint
 * when the customer is unhappy), complaint escalation, refunds; and who may see what.
 *
 * Time-driven flows move the rules clock and the due jobs forward (as timers.test.ts does).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../../../engine/test/helpers/db.js';
import { testEngine, startServer, type TestEngine, type TestServer } from '../../../engine/test/helpers/engine.js';
import { installPack, readPackFolder } from '../../../engine/src/packs/install.js';
import { SYSTEM_ACTOR } from '../../../engine/src/auth/actor.js';
import { applyRule, setRulesClock } from '../../../engine/src/rules/operations.js';
// @ts-expect-error plain JS module without types
import { makeVin } from '../demo/index.js';

const PACK = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DAY = 86400_000;
/** The Asia/Shanghai date of an instant. */
const ymd = (d: Date | number) => new Date(new Date(d).getTime() + 8 * 3600_000).toISOString().slice(0, 10);
/** 09:00 Asia/Shanghai on a date, plus a minute: when a date_relative timer of that day has fired. */
const nineOn = (date: string) => new Date(`${date}T09:01:00+08:00`);
const plusDays = (date: string, n: number) => applyRule({ date_add: [date, n, 'day'] }, {}) as string;
const rulesToday = () => applyRule({ today: [] }, {}) as string;

const NEW_FORMS = ['quote', 'test_drive', 'delivery_check', 'refund', 'stock_movement', 'stocktake', 'oem_rebate', 'service_appointment', 'callback', 'complaint'];
/** Which of the new forms each role may read (README "Roles"). */
const READABLE: Record<string, string[]> = {
  general_manager: NEW_FORMS,
  sales_manager: ['quote', 'test_drive', 'delivery_check', 'refund', 'oem_rebate', 'callback', 'complaint'],
  sales_advisor: ['quote', 'test_drive', 'delivery_check', 'refund', 'callback', 'complaint'],
  stock_keeper: ['test_drive', 'delivery_check', 'stock_movement', 'stocktake'],
  finance: ['refund', 'stock_movement', 'stocktake', 'oem_rebate'],
  service_advisor: ['stock_movement', 'stocktake', 'service_appointment', 'callback', 'complaint'],
  technician: ['service_appointment'],
};

describe.each(DIALECTS)('the complete dealership pack on %s', (dialect) => {
  let t: TestEngine;
  let s: TestServer;
  const token: Record<string, string> = {};
  const id: Record<string, number> = {};
  const role: Record<string, string> = {};
  let seed = 23;
  const vin = () => makeVin(() => ((seed = (seed * 16807) % 2147483647) / 2147483647)) as string;

  const as = async (who: string, method: string, url: string, body?: unknown) => {
    const r = await s.api(url, { method, body, token: token[who]! });
    await t.engine.workflow.drain();
    return r;
  };
  const post = async (who: string, form: string, body: Record<string, unknown>) => {
    const r = await as(who, 'POST', `/api/records/${form}`, body);
    if (r.status !== 201) throw new Error(`${who} creating ${form}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  const get = (form: string, rid: number) => t.engine.records.get(SYSTEM_ACTOR, form, rid);
  const patch = async (who: string, form: string, rid: number, body: Record<string, unknown>) =>
    as(who, 'PATCH', `/api/records/${form}/${rid}`, { ...body, _version: (await get(form, rid))._version });
  const find = async (form: string, filter: unknown) => (await t.engine.records.list(SYSTEM_ACTOR, form, { filter, pageSize: 500 })).items;
  const tasks = async (who: string) => (await as(who, 'GET', '/api/tasks?status=open')).body.items as any[];
  const taskOn = async (who: string, form: string, rid: number) => (await tasks(who)).find((x) => x.form === form && x.recordId === rid);
  const complete = (who: string, taskId: number, body: Record<string, unknown>) => as(who, 'POST', `/api/tasks/${taskId}/complete`, body);
  const notes = async (who: string) => (await t.db.knex('fw_notifications').where({ user_id: id[who] }).orderBy('id')).map((n: any) => String(n.title));
  const listIds = async (who: string, form: string) => {
    const r = await as(who, 'GET', `/api/records/${form}?pageSize=500`);
    expect(r.status, `${who} lists ${form}`).toBe(200);
    return (r.body.items as any[]).map((x) => x.id as number);
  };
  /** Move the clock to `at` and run every job due by then. */
  const travel = async (at: Date) => {
    setRulesClock(() => at);
    const due = await t.db.knex('fw_jobs').where({ status: 'pending' }).select('id', 'run_at');
    const ready = due.filter((j: any) => new Date(j.run_at).getTime() <= at.getTime()).map((j: any) => j.id);
    if (ready.length) await t.db.knex('fw_jobs').whereIn('id', ready).update({ run_at: new Date(Date.now() - 1000).toISOString() });
    await t.engine.workflow.drain();
  };

  beforeAll(async () => {
    t = await testEngine(dialect);
    await installPack(t.engine.db, t.engine.docs, readPackFolder(PACK));
    s = await startServer(t.engine);
    const d = t.engine.departments;
    const storeA = (await d.create({ name: 'A店', kind: 'store' })).id;
    const salesA = (await d.create({ name: 'A店销售部', parent: storeA })).id;
    const storeB = (await d.create({ name: 'B店', kind: 'store' })).id;
    const people: Array<[string, string, number]> = [
      ['advisor', 'sales_advisor', salesA], ['advisor2', 'sales_advisor', salesA], ['advisor3', 'sales_advisor', salesA],
      ['manager', 'sales_manager', storeA], ['manager_b', 'sales_manager', storeB], ['gm', 'general_manager', storeA],
      ['keeper', 'stock_keeper', storeA], ['fin', 'finance', storeA], ['service', 'service_advisor', storeA], ['tech', 'technician', storeA],
    ];
    for (const [name, r, dept] of people) {
      const u = await t.engine.users.create({ username: name, password: 'password-123', roles: [r], department: dept });
      id[name] = u.id;
      role[name] = r;
      token[name] = (await s.api('/api/auth/login', { body: { username: name, password: 'password-123' }, token: null })).body.token;
    }
    token.admin = s.adminToken;
    id.model = (await post('admin', 'vehicle_model', { code: 'PST-2026', brand: '大众', series: '帕萨特', name: '2026款 330TSI 豪华版', list_price: 200000, cost_price: 182000 })).id;
    id.customer = (await post('advisor', 'customer', { name: '王建国', phone: '13800138001', source: 'showroom' })).id;
    id.customer2 = (await post('advisor2', 'customer', { name: '李娜', phone: '13800138002', source: 'online' })).id;
    id.demo = (await post('keeper', 'vehicle', { vin: vin(), model: id.model, color: '极地白', in_stock_date: ymd(Date.now() - 30 * DAY), status: 'demo' })).id;
    id.owned = (await post('service', 'owned_vehicle', { customer: id.customer, vin: vin(), plate: '京A12345', model: id.model })).id;
  });
  afterEach(() => setRulesClock(null));
  afterAll(async () => {
    setRulesClock(null);
    await s?.close();
    await t?.drop();
  });

  it('installs the new forms, flows, reports and the customer-care dashboard', async () => {
    const forms = (await as('admin', 'GET', '/api/meta/forms')).body.map((f: any) => f.key);
    expect(forms).toEqual(expect.arrayContaining(NEW_FORMS));
    const workflows = (await as('admin', 'GET', '/api/meta/workflows')).body.map((f: any) => f.key);
    expect(workflows).toEqual(expect.arrayContaining([
      'test_drive_reminder', 'test_drive_follow_up', 'test_drive_conversion', 'quote_to_order', 'quote_expiry', 'refund_approval',
      'stock_movement_post', 'stocktake_approval', 'rebate_follow_up', 'appointment_reminder', 'appointment_check_in',
      'delivery_callback', 'service_callback', 'callback_due', 'callback_complaint', 'complaint_escalation',
    ]));
    const reports = (await as('admin', 'GET', '/api/meta/reports')).body.map((f: any) => f.key);
    expect(reports).toEqual(expect.arrayContaining([
      'test_drive_conversion', 'complaint_resolution', 'callback_satisfaction', 'payments_by_stage', 'refunds', 'rebate_status', 'appointment_show_rate',
    ]));
    const dash = await as('gm', 'GET', '/api/dashboards/customer_care');
    expect(dash.status).toBe(200);
  });

  it('test drive: licence check, a reminder the day before, a follow-up after, converted when the customer orders', async () => {
    const at = new Date(Math.ceil((Date.now() + 3 * DAY) / 3600_000) * 3600_000);
    const td = await post('advisor', 'test_drive', { customer: id.customer, model: id.model, demo_vehicle: id.demo, advisor: id.advisor2, appointment_at: at.toISOString(), route: '店外环线 8 公里' });
    expect(td).toMatchObject({ status: 'scheduled', licence_checked: false, ordered: false, _owner: id.advisor });
    expect(td.td_no).toMatch(/^TD\d{10}$/);

    // the owner and the accompanying advisor see it; another advisor does not
    expect(await listIds('advisor', 'test_drive')).toContain(td.id);
    expect(await listIds('advisor2', 'test_drive')).toContain(td.id);
    expect(await listIds('advisor3', 'test_drive')).not.toContain(td.id);
    expect((await as('advisor3', 'GET', `/api/records/test_drive/${td.id}`)).status).toBe(404);
    expect((await as('manager_b', 'GET', `/api/records/test_drive/${td.id}`)).status).toBe(404);
    expect(await listIds('manager', 'test_drive')).toContain(td.id);
    expect((await as('fin', 'GET', '/api/records/test_drive')).status).toBe(403);

    // reminded 24 hours before, not earlier
    await travel(new Date(at.getTime() - 2 * DAY));
    expect((await notes('advisor2')).some((n) => n.includes(td.td_no))).toBe(false);
    await travel(new Date(at.getTime() - DAY + 60_000));
    expect((await notes('advisor2')).some((n) => n.includes(`明天试驾：${td.td_no}`))).toBe(true);
    expect((await notes('advisor')).some((n) => n.includes(td.td_no))).toBe(true);

    // completing needs the licence checked
    const noLicence = await patch('advisor', 'test_drive', td.id, { status: 'completed' });
    expect(noLicence.status).toBe(422);
    expect(Object.keys(noLicence.body.error.fields)).toContain('licence_checked');
    // the advisor cannot mark it converted by hand
    expect((await patch('advisor', 'test_drive', td.id, { ordered: true })).status).toBe(403);
    await travel(new Date(at.getTime() + 3600_000));
    const done = await patch('advisor', 'test_drive', td.id, { status: 'completed', licence_checked: true, feedback: '动力充沛，后排空间满意', rating: 5 });
    expect(done.status).toBe(200);
    const fu = await find('follow_up', { '==': [{ var: 'customer' }, id.customer] });
    expect(fu).toHaveLength(1);
    expect(fu[0]).toMatchObject({ method: 'visit', _owner: id.advisor, next_follow_up: plusDays(rulesToday(), 1) });
    expect(fu[0]!.summary).toContain('动力充沛');
    expect((await get('customer', id.customer!)).next_follow_up).toBe(plusDays(rulesToday(), 1));

    // the customer orders: the test drive is converted and points at the order
    const order = await post('advisor', 'vehicle_order', { customer: id.customer, model: id.model, list_price: 200000, discount: 2000 });
    id.order = order.id;
    expect(await get('test_drive', td.id)).toMatchObject({ ordered: true, order: order.id });

    const report = await t.engine.reports.run(SYSTEM_ACTOR, 'test_drive_conversion', {});
    const row = report.rows.find((r: any) => r.advisor === 'advisor2'); // a user dimension shows the user's name
    expect(row).toMatchObject({ test_drives: 1, converted: 1, conversion_rate: 1 });
  });

  it('quote: computed total and financing, a button turns it into an order, an open quote expires', async () => {
    const q = await post('advisor', 'quote', {
      customer: id.customer, model: id.model, color: '星空蓝', list_price: 200000, discount: 5000,
      accessories: [{ item: '全车脚垫', qty: 1, price: 800 }, { item: '隔热膜', qty: 2, price: 1500 }],
      insurance_fee: 6200.5, registration_fee: 1000, purchase_tax: 17256.64, financing: 'loan', down_payment: 60000, loan_term: 'm36',
    });
    expect(q).toMatchObject({ deal_price: 195000, accessories_total: 3800, total: 223257.14, loan_amount: 163257.14, status: 'draft' });
    expect(q.valid_until).toBe(plusDays(q.quoted_on, 7));
    expect(q.accessories.map((r: any) => r.amount)).toEqual([800, 3000]);
    // a loan needs its term; a discount above the list price is refused
    const noTerm = await as('advisor', 'POST', '/api/records/quote', { customer: id.customer, model: id.model, list_price: 200000, financing: 'loan', down_payment: 1000 });
    expect(noTerm.status).toBe(422);
    expect(Object.keys(noTerm.body.error.fields)).toContain('loan_term');
    expect((await as('advisor', 'POST', '/api/records/quote', { customer: id.customer, model: id.model, list_price: 200000, discount: 200001 })).status).toBe(422);
    const cash = await post('advisor', 'quote', { customer: id.customer, model: id.model, list_price: 150000 });
    expect(cash).toMatchObject({ total: 150000, loan_amount: null, financing: 'full' });

    // 转为订单
    const buttons = (await as('advisor', 'GET', `/api/records/quote/${q.id}/actions`)).body.items.map((b: any) => b.action);
    expect(buttons).toContain('create_order');
    const started = await as('advisor', 'POST', `/api/records/quote/${q.id}/actions/create_order`, {});
    expect(started.status).toBe(201);
    expect((await get('quote', q.id)).status).toBe('accepted');
    const orders = await find('vehicle_order', { and: [{ '==': [{ var: 'customer' }, id.customer] }, { '==': [{ var: 'discount' }, 5000] }] });
    expect(orders).toHaveLength(1);
    expect(orders[0]).toMatchObject({ model: id.model, color: '星空蓝', list_price: 200000, deal_price: 195000, total_amount: 198800, _owner: id.advisor, status: 'approved' });
    expect(orders[0]!.accessories.map((r: any) => [r.item, r.qty, r.amount])).toEqual([['全车脚垫', 1, 800], ['隔热膜', 2, 3000]]);
    expect((await as('advisor', 'GET', `/api/records/quote/${q.id}/actions`)).body.items).toEqual([]);

    // the cash quote is still open the day after its validity: expired, and the owner told
    await travel(nineOn(plusDays(cash.valid_until, 1)));
    expect((await get('quote', cash.id)).status).toBe('expired');
    expect((await get('quote', q.id)).status).toBe('accepted');
    expect((await notes('advisor')).some((n) => n.includes(`报价 ${cash.quote_no} 已过期`))).toBe(true);
    expect(await listIds('advisor3', 'quote')).toEqual([]);
  });

  it('delivery check: default checklist, cannot complete until every item and the papers are done, printable', async () => {
    const dc = await post('advisor', 'delivery_check', { order: id.order, customer: id.customer, mileage: 18 });
    expect(dc.items).toHaveLength(10);
    expect(dc).toMatchObject({ items_count: 10, items_done: 0, all_done: false, keys: 2, status: 'in_progress' });
    const early = await patch('advisor', 'delivery_check', dc.id, { status: 'completed' });
    expect(early.status).toBe(422);
    expect(Object.keys(early.body.error.fields).sort()).toEqual(['documents', 'items']);
    const items = dc.items.map((r: any) => ({ item: r.item, category: r.category, done: true }));
    const half = await patch('advisor', 'delivery_check', dc.id, { items: items.map((r: any, i: number) => ({ ...r, done: i < 5 })) });
    expect(half.body).toMatchObject({ items_done: 5, all_done: false });
    const ok = await patch('advisor', 'delivery_check', dc.id, { items, documents: ['certificate', 'invoice', 'warranty', 'manual'], satisfaction: 5, status: 'completed' });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ items_done: 10, all_done: true, status: 'completed' });
    const page = await as('advisor', 'GET', `/api/records/delivery_check/${dc.id}/print/delivery_check`);
    expect(page.status).toBe(200);
    expect(String(page.body)).toContain(dc.check_no);
    expect(String(page.body)).toContain('合格证、购车发票');
    expect(await listIds('advisor2', 'delivery_check')).not.toContain(dc.id);
    expect(await listIds('keeper', 'delivery_check')).toContain(dc.id);
    expect((await patch('keeper', 'delivery_check', dc.id, { satisfaction: 1 })).status).toBe(403); // the customer's rating is not the keeper's
  });

  it('stock movements post part quantities and vehicle statuses; each keeper books their own kind', async () => {
    const part = await post('service', 'part', { code: 'OF-001', name: '机油滤清器', stock_qty: 5, safety_stock: 10, price: 58 });
    const qty = async () => (await get('part', part.id)).stock_qty;
    await post('service', 'stock_movement', { kind: 'in', item_type: 'part', part: part.id, qty: 10, to_location: '配件库A-01' });
    expect(await qty()).toBe(15);
    await post('service', 'stock_movement', { kind: 'out', item_type: 'part', part: part.id, qty: 3, from_location: '配件库A-01' });
    expect(await qty()).toBe(12);
    await post('service', 'stock_movement', { kind: 'adjust', item_type: 'part', part: part.id, qty: -2.5, reason: '盘亏' });
    expect(await qty()).toBe(9.5);
    await post('service', 'stock_movement', { kind: 'transfer', item_type: 'part', part: part.id, qty: 4, from_location: 'A-01', to_location: 'B-02', reason: '调库位' });
    expect(await qty()).toBe(9.5);
    // rules: no zero, vehicles one at a time, a transfer needs two places, an adjustment a reason
    expect((await as('service', 'POST', '/api/records/stock_movement', { kind: 'in', item_type: 'part', part: part.id, qty: 0, to_location: 'A' })).status).toBe(422);
    expect((await as('service', 'POST', '/api/records/stock_movement', { kind: 'adjust', item_type: 'part', part: part.id, qty: 1 })).status).toBe(422);
    expect((await as('keeper', 'POST', '/api/records/stock_movement', { kind: 'in', item_type: 'vehicle', vehicle: id.demo, qty: 2, to_location: 'A' })).status).toBe(422);
    expect((await as('keeper', 'POST', '/api/records/stock_movement', { kind: 'transfer', item_type: 'vehicle', vehicle: id.demo, from_location: 'A', to_location: 'A', reason: 'x' })).status).toBe(422);

    const v = await post('keeper', 'vehicle', { vin: vin(), model: id.model, color: '曜石黑', status: 'in_transit' });
    await post('keeper', 'stock_movement', { kind: 'in', item_type: 'vehicle', vehicle: v.id, to_location: '新车库' });
    expect((await get('vehicle', v.id)).status).toBe('in_stock');
    await post('keeper', 'stock_movement', { kind: 'transfer', item_type: 'vehicle', vehicle: v.id, from_location: '新车库', to_location: 'B店', reason: 'B店订单调车' });
    expect((await get('vehicle', v.id)).status).toBe('transferring');

    // the stock keeper books vehicles, the service advisors parts
    const keeperSees = await listIds('keeper', 'stock_movement');
    const serviceSees = await listIds('service', 'stock_movement');
    const all = await find('stock_movement', { '!=': [{ var: 'id' }, 0] });
    expect(keeperSees.sort()).toEqual(all.filter((m) => m.item_type === 'vehicle').map((m) => m.id).sort());
    expect(serviceSees.sort()).toEqual(all.filter((m) => m.item_type === 'part').map((m) => m.id).sort());
    const wrongKind = await as('keeper', 'POST', '/api/records/stock_movement', { kind: 'in', item_type: 'part', part: part.id, qty: 1, to_location: 'A' });
    expect(wrongKind.status).toBe(403);
    expect((await as('service', 'POST', '/api/records/stock_movement', { kind: 'in', item_type: 'vehicle', vehicle: id.demo, qty: 1, to_location: 'A' })).status).toBe(403);
    expect(await qty()).toBe(9.5);
    expect((await listIds('fin', 'stock_movement')).length).toBe(all.length);
  });

  it('stocktake: differences computed; with differences the general manager approves, without them at once', async () => {
    const v2 = await post('keeper', 'vehicle', { vin: vin(), model: id.model, color: '白', in_stock_date: ymd(Date.now() - 10 * DAY) });
    const st = await post('keeper', 'stocktake', {
      location: '新车库', item_type: 'vehicle',
      lines: [{ vehicle: id.demo, expected: 1, counted: 1 }, { vehicle: v2.id, expected: 1, counted: 0, note: '外借未还' }, { item: '钥匙柜', expected: 12 }],
    });
    expect(st.lines.map((l: any) => l.difference)).toEqual([0, -1, null]);
    expect(st).toMatchObject({ lines_count: 3, difference_lines: 1, net_difference: -1, status: 'counting' });
    expect(st.stocktake_no).toMatch(/^PD\d{9}$/);
    // differences need an explanation before submitting
    expect((await patch('keeper', 'stocktake', st.id, { status: 'submitted' })).status).toBe(422);
    await patch('keeper', 'stocktake', st.id, { status: 'submitted', notes: '一台车外借试驾未归还' });
    const task = await taskOn('gm', 'stocktake', st.id);
    expect(task).toBeDefined();
    expect((await complete('gm', task.id, { action: 'reject', comment: '请核实后复盘' })).status).toBe(200);
    expect((await get('stocktake', st.id)).status).toBe('counting');
    expect((await notes('keeper')).some((n) => n.includes(`盘点 ${st.stocktake_no} 被驳回`))).toBe(true);
    await patch('keeper', 'stocktake', st.id, { status: 'submitted' });
    await complete('gm', (await taskOn('gm', 'stocktake', st.id)).id, { action: 'approve' });
    expect((await get('stocktake', st.id)).status).toBe('approved');
    expect((await notes('fin')).some((n) => n.includes(st.stocktake_no))).toBe(true);

    const clean = await post('keeper', 'stocktake', { location: '展厅', item_type: 'vehicle', lines: [{ vehicle: id.demo, expected: 1, counted: 1 }], status: 'submitted' });
    expect((await get('stocktake', clean.id)).status).toBe('approved');
    expect(await taskOn('gm', 'stocktake', clean.id)).toBeUndefined();
    // the service advisors count parts, not vehicles; the stock keeper cannot start a parts count
    expect(await listIds('service', 'stocktake')).toEqual([]);
    expect((await as('keeper', 'POST', '/api/records/stocktake', { location: '配件库', item_type: 'part' })).status).toBe(403);
    const parts = await post('service', 'stocktake', { location: '配件库', item_type: 'part', lines: [{ item: '机油', expected: 40, counted: 40 }] });
    expect(await listIds('service', 'stocktake')).toEqual([parts.id]);
    expect(await listIds('keeper', 'stocktake')).not.toContain(parts.id);
  });

  it('OEM rebate: achievement, amount when the target is met, outstanding, a reminder when it is late', async () => {
    const expected = plusDays(rulesToday(), 10);
    const r = await post('fin', 'oem_rebate', { period: '2026-04', kind: 'volume', model: id.model, target: 30, achieved: 33, base_amount: 6000000, rebate_rate: 0.015, expected_on: expected });
    expect(r).toMatchObject({ achievement_rate: 1.1, amount: 90000, outstanding: 90000, status: 'estimated' });
    const missed = await post('fin', 'oem_rebate', { period: '2026-04', kind: 'retail', target: 30, achieved: 20, base_amount: 6000000, rebate_rate: 0.01 });
    expect(missed).toMatchObject({ achievement_rate: 0.6667, amount: 0 });
    const part = await patch('fin', 'oem_rebate', r.id, { status: 'confirmed', received_amount: 50000 });
    expect(part.body).toMatchObject({ outstanding: 40000 });
    expect((await patch('fin', 'oem_rebate', r.id, { status: 'received' })).status).toBe(422); // needs the date
    expect((await as('fin', 'POST', '/api/records/oem_rebate', { period: '2026-13', kind: 'volume' })).status).toBe(422);
    await travel(nineOn(expected));
    expect((await notes('fin')).some((n) => n.includes('返利 2026-04 今天应到账'))).toBe(true);
    const report = await t.engine.reports.run(SYSTEM_ACTOR, 'rebate_status', {});
    expect(report.rows.find((x: any) => x.period === '2026-04')).toMatchObject({ rebates: 2, amount: 90000, received: 50000, outstanding: 40000 });
    expect((await as('advisor', 'GET', '/api/records/oem_rebate')).status).toBe(403);
    expect(await listIds('manager', 'oem_rebate')).toContain(r.id);
  });

  it('service appointment: a reminder the day before, check-in opens the repair order, a no-show the day after', async () => {
    const day = plusDays(rulesToday(), 3);
    const a1 = await post('service', 'service_appointment', { owned_vehicle: id.owned, customer: id.customer, appointment_date: day, slot: 's0830', service_type: 'maintenance', advisor: id.service, mileage: 12000, request: '1万公里保养' });
    const a2 = await post('service', 'service_appointment', { owned_vehicle: id.owned, customer: id.customer, appointment_date: day, slot: 's1500', service_type: 'inspection' });
    expect(a1.appointment_no).toMatch(/^AP\d{11}$/);
    await travel(nineOn(plusDays(day, -1)));
    const n = await notes('service');
    expect(n.some((x) => x.includes(`明天预约：${a1.appointment_no}`))).toBe(true);
    expect(n.some((x) => x.includes(`明天预约：${a2.appointment_no}`))).toBe(true);

    await travel(nineOn(day));
    const started = await as('service', 'POST', `/api/records/service_appointment/${a1.id}/actions/check_in`, {});
    expect(started.status).toBe(201);
    const a1after = await get('service_appointment', a1.id);
    expect(a1after.status).toBe('arrived');
    const ro = await get('repair_order', a1after.repair_order as number);
    expect(ro).toMatchObject({ customer: id.customer, owned_vehicle: id.owned, mileage_in: 12000, complaint: '1万公里保养', status: 'open', _owner: id.service });
    id.ro = ro.id;

    await travel(nineOn(plusDays(day, 1)));
    expect((await get('service_appointment', a2.id)).status).toBe('no_show');
    expect((await get('service_appointment', a1.id)).status).toBe('arrived');
    expect(await listIds('tech', 'service_appointment')).toEqual(expect.arrayContaining([a1.id, a2.id]));
    expect((await as('advisor', 'GET', '/api/records/service_appointment')).status).toBe(403);
  });

  it('callbacks: 2 days after a repair is settled, 3 days after delivery; a low score opens a complaint', async () => {
    // after service
    const ro = await post('service', 'repair_order', { customer: id.customer, owned_vehicle: id.owned, mileage_in: 12500, complaint: '空调异味', labor: [{ item: '空调清洗', hours: 1, rate: 200 }] });
    await patch('service', 'repair_order', ro.id, { status: 'in_progress' });
    expect(await find('callback', { '==': [{ var: 'repair_order' }, ro.id] })).toHaveLength(0);
    await patch('service', 'repair_order', ro.id, { status: 'settled' });
    const [svc] = await find('callback', { '==': [{ var: 'repair_order' }, ro.id] });
    expect(svc).toMatchObject({ kind: 'after_service', customer: id.customer, scheduled_on: plusDays(rulesToday(), 2), status: 'pending', _owner: id.service });
    await patch('service', 'repair_order', ro.id, { status: 'delivered' });
    expect(await find('callback', { '==': [{ var: 'repair_order' }, ro.id] })).toHaveLength(1);

    // after delivery: the order is delivered (on its order date); the callback comes on the third day
    const orderDate = (await get('vehicle_order', id.order!)).order_date as string;
    await t.engine.records.update(SYSTEM_ACTOR, 'vehicle_order', id.order!, { status: 'delivered', delivery_date: orderDate });
    await t.engine.workflow.drain();
    const deliveredOn = (await get('vehicle_order', id.order!)).delivery_date as string;
    await travel(nineOn(plusDays(deliveredOn, 2)));
    expect(await find('callback', { '==': [{ var: 'order' }, id.order] })).toHaveLength(0);
    await travel(nineOn(plusDays(deliveredOn, 3)));
    // the callback's own reminder (due 09:00 that day) was written during that drain: run it too
    await travel(nineOn(plusDays(deliveredOn, 3)));
    const [cb] = await find('callback', { '==': [{ var: 'order' }, id.order] });
    expect(cb).toMatchObject({ kind: 'after_delivery', customer: id.customer, scheduled_on: plusDays(deliveredOn, 3), status: 'pending', _owner: id.advisor });
    expect((await notes('advisor')).some((n) => n.includes(`今天回访：${cb!.callback_no}`))).toBe(true);
    expect(await listIds('advisor', 'callback')).toContain(cb!.id);
    expect(await listIds('advisor2', 'callback')).not.toContain(cb!.id);
    expect(await listIds('service', 'callback')).toEqual(expect.arrayContaining([svc!.id]));
    expect(await listIds('service', 'callback')).not.toContain(cb!.id);

    // done: a score is needed; 2 points opens a complaint for the callback's owner
    expect((await patch('advisor', 'callback', cb!.id, { status: 'done', result: 'issue', done_at: new Date().toISOString() })).status).toBe(422);
    const done = await patch('advisor', 'callback', cb!.id, { status: 'done', method: 'phone', result: 'issue', satisfaction: 2, done_at: new Date().toISOString(), comments: '交车时油箱几乎是空的' });
    expect(done.status).toBe(200);
    const [c] = await find('complaint', { '==': [{ var: 'order' }, id.order] });
    expect(c).toMatchObject({ source: 'callback', category: 'delivery', severity: 'normal', handler: id.advisor, _owner: id.advisor, status: 'open', customer: id.customer });
    expect(c!.description).toContain('油箱');
    expect(Date.parse(c!.due_at as string) - Date.parse(c!.received_at as string)).toBe(48 * 3600_000);
    await patch('service', 'callback', svc!.id, { status: 'done', method: 'phone', result: 'satisfied', satisfaction: 5, done_at: new Date().toISOString() });
    expect(await find('complaint', { '==': [{ var: 'repair_order' }, ro.id] })).toHaveLength(0);

    const report = await t.engine.reports.run(SYSTEM_ACTOR, 'callback_satisfaction', {});
    const byKind = Object.fromEntries(report.rows.filter((r: any) => r.kind).map((r: any) => [r.kind, r]));
    expect(byKind.after_delivery).toMatchObject({ callbacks: 1, avg_satisfaction: 2, satisfied: 0 });
    expect(byKind.after_service).toMatchObject({ callbacks: 1, avg_satisfaction: 5, satisfied: 1, satisfied_rate: 1 });
  });

  it('complaint: a severe one is escalated to the general manager, resolved by its owner, reviewed; a minor one is not', async () => {
    const c = await post('service', 'complaint', { customer: id.customer, owned_vehicle: id.owned, repair_order: id.ro, source: 'phone_in', category: 'repair_quality', severity: 'severe', description: '保养后刹车异响', handler: id.service });
    expect(c.complaint_no).toMatch(/^CP\d{10}$/);
    expect(Date.parse(c.due_at) - Date.parse(c.received_at)).toBe(24 * 3600_000);
    expect((await get('complaint', c.id)).status).toBe('escalated');
    expect((await notes('gm')).some((n) => n.includes(`投诉升级：${c.complaint_no}`))).toBe(true);
    const handle = await taskOn('service', 'complaint', c.id);
    expect(handle.editableFields).toEqual(['root_cause', 'resolution', 'resolved_at']);
    expect(handle.dueAt).toBeTruthy();
    await complete('service', handle.id, { action: 'approve', fields: { root_cause: '刹车片未按规范安装', resolution: '返工' } });
    const review = await taskOn('gm', 'complaint', c.id);
    expect((await complete('gm', review.id, { action: 'reject' })).status).toBe(422); // a comment is required
    await complete('gm', review.id, { action: 'reject', comment: '需向客户致歉并赠送一次保养' });
    const again = await taskOn('service', 'complaint', c.id);
    expect(again).toBeDefined();
    await complete('service', again.id, { action: 'approve', fields: { resolution: '返工更换刹车片，致歉并赠送一次保养' } });
    await complete('gm', (await taskOn('gm', 'complaint', c.id)).id, { action: 'approve' });
    const after = await get('complaint', c.id);
    expect(after).toMatchObject({ status: 'resolved', on_time: true, resolution: '返工更换刹车片，致歉并赠送一次保养' });
    expect(after.resolved_at).toBeTruthy();
    expect(after.resolution_hours).toBeGreaterThanOrEqual(0);
    // closing needs the resolution (it has one)
    expect((await patch('service', 'complaint', c.id, { status: 'closed', satisfaction: 4 })).status).toBe(200);

    const minor = await post('advisor', 'complaint', { customer: id.customer, source: 'visit', category: 'facility', severity: 'minor', description: '休息区咖啡机坏了', handler: id.advisor2 });
    expect((await get('complaint', minor.id)).status).toBe('open');
    expect(await taskOn('gm', 'complaint', minor.id)).toBeUndefined();
    expect(Date.parse(minor.due_at) - Date.parse(minor.received_at)).toBe(72 * 3600_000);
    // the handler and the one who logged it see it; a third advisor does not
    expect(await listIds('advisor2', 'complaint')).toContain(minor.id);
    expect(await listIds('advisor', 'complaint')).toContain(minor.id);
    expect(await listIds('advisor3', 'complaint')).not.toContain(minor.id);
    expect((await patch('advisor', 'complaint', minor.id, { status: 'closed' })).status).toBe(422); // closing needs a resolution

    const report = await t.engine.reports.run(SYSTEM_ACTOR, 'complaint_resolution', {});
    const row = report.rows.find((r: any) => r.category === 'repair_quality' && r.severity === 'severe');
    expect(row).toMatchObject({ complaints: 1, resolved: 1, on_time: 1, on_time_rate: 1 });
  });

  it('refund: the sales manager approves, finance pays out', async () => {
    const pay = await post('fin', 'payment', { order: id.order, kind: 'deposit', amount: 5000 });
    const rf = await post('advisor', 'refund', { order: id.order, payment: pay.id, kind: 'deposit', amount: 5000, reason: '客户改订其他车型' });
    expect(rf).toMatchObject({ status: 'pending_approval' });
    expect((await as('advisor', 'POST', '/api/records/refund', { order: id.order, kind: 'other', amount: 1, reason: 'x', status: 'refunded', refunded_at: rulesToday() })).status).toBe(403); // status and date are the approval's
    await complete('manager', (await taskOn('manager', 'refund', rf.id)).id, { action: 'approve' });
    expect((await get('refund', rf.id)).status).toBe('approved');
    const payTask = await taskOn('fin', 'refund', rf.id);
    expect(payTask.editableFields).toEqual(['refunded_at', 'payee_account']);
    await complete('fin', payTask.id, { action: 'approve', fields: { payee_account: '6222 **** 1234' } });
    expect(await get('refund', rf.id)).toMatchObject({ status: 'refunded', refunded_at: rulesToday(), payee_account: '6222 **** 1234' });

    const rejected = await post('advisor', 'refund', { order: id.order, kind: 'other', amount: 100, reason: '误收' });
    await complete('manager', (await taskOn('manager', 'refund', rejected.id)).id, { action: 'reject', comment: '无依据' });
    expect((await get('refund', rejected.id)).status).toBe('rejected');
    expect((await notes('advisor')).some((n) => n.includes(`退款 ${rejected.refund_no} 未获批准`))).toBe(true);

    const stages = await t.engine.reports.run(SYSTEM_ACTOR, 'payments_by_stage', {});
    expect(stages.rows.length).toBeGreaterThan(0);
    const refunds = await t.engine.reports.run(SYSTEM_ACTOR, 'refunds', {});
    expect(refunds.rows.map((r: any) => r.refund_no)).toEqual([rf.refund_no]);
  });

  it('each role reads exactly the new forms README "Roles" gives it', async () => {
    for (const [who, r] of Object.entries(role)) {
      const readable = READABLE[r]!;
      const meta = (await as(who, 'GET', '/api/meta/forms')).body.map((f: any) => f.key).filter((k: string) => NEW_FORMS.includes(k));
      expect(meta.sort(), who).toEqual([...readable].sort());
      for (const form of NEW_FORMS) {
        const status = (await as(who, 'GET', `/api/records/${form}?pageSize=1`)).status;
        expect(status, `${who} lists ${form}`).toBe(readable.includes(form) ? 200 : 403);
      }
    }
    // the sales manager of another store sees none of store A's sales rows
    for (const form of ['test_drive', 'quote', 'delivery_check', 'refund', 'callback', 'complaint']) {
      expect(await listIds('manager_b', form), form).toEqual([]);
    }
  });
});
