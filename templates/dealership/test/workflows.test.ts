/**
 * The dealership flows, end to end over HTTP on SQLite and PostgreSQL: discount approval by
 * threshold (≤3 % at once, >3 % the sales manager, >8 % then the general manager), rejection
 * with a notification, return and resubmit; marking a customer lost from a button; leads
 * assigned round-robin; follow-ups writing back to the customer.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../../../engine/test/helpers/db.js';
import { testEngine, startServer, type TestEngine, type TestServer } from '../../../engine/test/helpers/engine.js';
import { installPack, readPackFolder } from '../../../engine/src/packs/install.js';
import { SYSTEM_ACTOR } from '../../../engine/src/auth/actor.js';
// @ts-expect-error plain JS module without types
import { makeVin } from '../demo/index.js';

const PACK = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

describe.each(DIALECTS)('dealership workflows on %s', (dialect) => {
  let t: TestEngine;
  let s: TestServer;
  const token: Record<string, string> = {};
  const id: Record<string, number> = {};
  let modelId: number;

  const as = async (who: string, method: string, url: string, body?: unknown) => {
    const r = await s.api(url, { method, body, token: token[who]! });
    await t.engine.workflow.drain();
    return r;
  };
  const openTasks = async (who: string) => (await as(who, 'GET', '/api/tasks?status=open')).body.items as any[];
  const taskFor = async (who: string, recordId: number) => (await openTasks(who)).find((x) => x.recordId === recordId);
  const order = async (who: string, customer: number, discount: number) => {
    const r = await as(who, 'POST', '/api/records/vehicle_order', { customer, model: modelId, list_price: 200000, discount });
    expect(r.status).toBe(201);
    return r.body;
  };
  const orderStatus = async (oid: number) => (await t.engine.records.get(SYSTEM_ACTOR, 'vehicle_order', oid)).status;

  beforeAll(async () => {
    t = await testEngine(dialect);
    await installPack(t.engine.db, t.engine.docs, readPackFolder(PACK));
    s = await startServer(t.engine);
    const store = (await t.engine.departments.create({ name: '一号店', kind: 'store' })).id;
    const sales = (await t.engine.departments.create({ name: '销售部', parent: store })).id;
    const people: Array<[string, string, number]> = [
      ['advisor', 'sales_advisor', sales], ['advisor2', 'sales_advisor', sales], ['manager', 'sales_manager', store], ['gm', 'general_manager', store],
      ['keeper', 'stock_keeper', store],
    ];
    for (const [name, role, dept] of people) {
      const u = await t.engine.users.create({ username: name, password: 'password-123', roles: [role], department: dept });
      id[name] = u.id;
      const login = await s.api('/api/auth/login', { body: { username: name, password: 'password-123' }, token: null });
      token[name] = login.body.token;
    }
    token.admin = s.adminToken;
    modelId = (await as('admin', 'POST', '/api/records/vehicle_model', { code: 'M1', name: '帕萨特', list_price: 200000, cost_price: 180000 })).body.id;
    id.customer = (await as('advisor', 'POST', '/api/records/customer', { name: '王小明', phone: '13800138000' })).body.id;
  });
  afterAll(async () => {
    await s.close();
    await t.drop();
  });

  it('approves a discount of at most 3 % at once', async () => {
    const o = await order('advisor', id.customer!, 6000); // 3 %
    expect(await orderStatus(o.id)).toBe('approved');
    expect(await taskFor('manager', o.id)).toBeUndefined();
  });

  it('sends a discount above 3 % to the sales manager', async () => {
    const o = await order('advisor', id.customer!, 6100); // 3.05 %
    expect(await orderStatus(o.id)).toBe('pending_approval');
    const task = await taskFor('manager', o.id);
    expect(task.actions).toEqual(['approve', 'reject', 'return', 'transfer']);
    expect(await taskFor('gm', o.id)).toBeUndefined();
    const done = await as('manager', 'POST', `/api/tasks/${task.id}/complete`, { action: 'approve', comment: '同意' });
    expect(done.status).toBe(200);
    expect(done.body.instance.status).toBe('completed');
    expect(await orderStatus(o.id)).toBe('approved');
    const timeline = await as('advisor', 'GET', `/api/records/vehicle_order/${o.id}/workflow`);
    expect(timeline.body.instances[0].history.map((h: any) => h.action)).toContain('approve');
  });

  it('needs the general manager too above 8 %', async () => {
    const o = await order('advisor', id.customer!, 17000); // 8.5 %
    await as('manager', 'POST', `/api/tasks/${(await taskFor('manager', o.id)).id}/complete`, { action: 'approve' });
    expect(await orderStatus(o.id)).toBe('pending_approval');
    const gmTask = await taskFor('gm', o.id);
    expect(gmTask).toBeDefined();
    await as('gm', 'POST', `/api/tasks/${gmTask.id}/complete`, { action: 'approve' });
    expect(await orderStatus(o.id)).toBe('approved');
  });

  it('rejects with a comment and notifies the owner', async () => {
    const o = await order('advisor', id.customer!, 10000); // 5 %
    const task = await taskFor('manager', o.id);
    const noComment = await as('manager', 'POST', `/api/tasks/${task.id}/complete`, { action: 'reject' });
    expect(noComment.status).toBe(422);
    await as('manager', 'POST', `/api/tasks/${task.id}/complete`, { action: 'reject', comment: '折扣过高' });
    expect(await orderStatus(o.id)).toBe('rejected');
    const notes = (await as('advisor', 'GET', '/api/notifications')).body;
    expect(notes.items.some((n: any) => n.title.includes(o.order_no) && n.link === `/records/vehicle_order/${o.id}`)).toBe(true);
    expect(notes.unread).toBeGreaterThan(0);
    const again = await as('manager', 'POST', `/api/tasks/${task.id}/complete`, { action: 'approve' });
    expect(again.status).toBe(409);
  });

  it('returns to the owner, who edits and resubmits', async () => {
    const o = await order('advisor', id.customer!, 12000); // 6 %
    const locked = await as('advisor', 'PATCH', `/api/records/vehicle_order/${o.id}`, { discount: 1000, _version: o._version });
    expect(locked.status).toBe(409); // in approval
    await as('manager', 'POST', `/api/tasks/${(await taskFor('manager', o.id)).id}/complete`, { action: 'return', comment: '请降低折扣' });
    const back = await taskFor('advisor', o.id);
    expect(back.actions).toEqual(['resubmit', 'withdraw']);
    const cur = (await as('advisor', 'GET', `/api/records/vehicle_order/${o.id}`)).body;
    const edited = await as('advisor', 'PATCH', `/api/records/vehicle_order/${o.id}`, { discount: 9000, _version: cur._version });
    expect(edited.status).toBe(200);
    await as('advisor', 'POST', `/api/tasks/${back.id}/complete`, { action: 'resubmit' });
    const again = await taskFor('manager', o.id);
    await as('manager', 'POST', `/api/tasks/${again.id}/complete`, { action: 'approve' });
    const final = await t.engine.records.get(SYSTEM_ACTOR, 'vehicle_order', o.id);
    expect(final).toMatchObject({ status: 'approved', discount: 9000 });
  });

  it('marks a customer lost from the button once the sales manager approves', async () => {
    const c = (await as('advisor', 'POST', '/api/records/customer', { name: '李雷', phone: '13900139000' })).body;
    const buttons = await as('advisor', 'GET', `/api/records/customer/${c.id}/actions`);
    // (the manager's inbox names the customer the task is about, further down)
    expect(buttons.body.items).toEqual([{ action: 'mark_lost', label: '战败', workflows: ['lost_customer'] }]);
    const started = await as('advisor', 'POST', `/api/records/customer/${c.id}/actions/mark_lost`, { lost_reason: '已购竞品' });
    expect(started.status).toBe(201);
    expect(started.body.instances[0]).toMatchObject({ workflow: 'lost_customer', status: 'running' });
    const inbox = (await as('manager', 'GET', '/api/tasks?status=open')).body.items;
    expect(inbox.find((x: any) => x.recordId === c.id && x.form === 'customer')).toMatchObject({ recordTitle: '李雷' });
    await as('manager', 'POST', `/api/tasks/${(await taskFor('manager', c.id)).id}/complete`, { action: 'approve' });
    const after = await t.engine.records.get(SYSTEM_ACTOR, 'customer', c.id);
    expect(after).toMatchObject({ status: 'lost', lost_reason: '已购竞品' });
    // the timeline and the history name people and steps, not only ids
    const me = (await as('manager', 'GET', '/api/auth/me')).body;
    const timeline = (await as('advisor', 'GET', `/api/records/customer/${c.id}/workflow`)).body.instances[0];
    expect(timeline.label).toMatchObject({ 'zh-CN': '战败审批' });
    const approved = timeline.history.find((h: any) => h.action === 'approve');
    expect(approved).toMatchObject({ actor: me.id, actorName: me.displayName });
    expect(approved.nodeLabel).toBeTruthy();
    const history = (await as('advisor', 'GET', `/api/records/customer/${c.id}/history`)).body;
    expect(history[0]).toMatchObject({ action: 'create', byName: expect.any(String) });
    // a lost customer has no "mark lost" button any more, and pressing it anyway is refused
    expect((await as('advisor', 'GET', `/api/records/customer/${c.id}/actions`)).body.items).toEqual([]);
    expect((await as('advisor', 'POST', `/api/records/customer/${c.id}/actions/mark_lost`, {})).status).toBe(409);
    expect((await as('advisor', 'POST', `/api/records/customer/${c.id}/actions/no_such_button`, {})).status).toBe(404);
  });

  it('assigns ownerless leads round-robin to the sales advisors and notifies them', async () => {
    const owners: number[] = [];
    for (let i = 0; i < 4; i++) {
      const c = await t.engine.records.create(SYSTEM_ACTOR, 'customer', { name: `线索${i}`, phone: `1370000000${i}` }, { owner: null });
      await t.engine.workflow.drain();
      const after = await t.engine.records.get(SYSTEM_ACTOR, 'customer', c.id);
      expect(after.level).toBe('n');
      owners.push(after._owner as number);
    }
    expect(owners.every((o) => o === id.advisor || o === id.advisor2)).toBe(true);
    expect(owners.filter((o) => o === id.advisor)).toHaveLength(2);
    expect(owners[0]).not.toBe(owners[1]);
    const notes = (await as('advisor2', 'GET', '/api/notifications')).body.items;
    expect(notes.length).toBeGreaterThan(0);
    // the new owner sees the lead
    const mine = (await as('advisor2', 'GET', '/api/records/customer?pageSize=100')).body.items.map((c: any) => c.name);
    expect(mine.filter((n: string) => n.startsWith('线索'))).toHaveLength(2);
  });

  it('fulfils an approved order: allocation, payment, delivery, callback', async () => {
    let seed = 7;
    const vin = makeVin(() => ((seed = (seed * 16807) % 2147483647) / 2147483647)) as string;
    const v = (await as('admin', 'POST', '/api/records/vehicle', { vin, model: modelId, color: '白', in_stock_date: '2026-10-01', status: 'in_stock' })).body;
    expect(v.id).toBeGreaterThan(0);
    const o = await order('advisor', id.customer!, 2000); // 1 %: approved at once, fulfilment starts
    expect(await orderStatus(o.id)).toBe('approved');
    const alloc = await taskFor('keeper', o.id);
    expect(alloc.editableFields).toEqual(['vehicle']);
    const done = await as('keeper', 'POST', `/api/tasks/${alloc.id}/complete`, { action: 'approve', fields: { vehicle: v.id } });
    expect(done.status).toBe(200);
    expect(await orderStatus(o.id)).toBe('allocated');
    expect((await t.engine.records.get(SYSTEM_ACTOR, 'vehicle', v.id)).status).toBe('allocated');
    // a second order cannot take the same vehicle
    const o2 = await order('advisor', id.customer!, 2000);
    await as('keeper', 'POST', `/api/tasks/${(await taskFor('keeper', o2.id)).id}/complete`, { action: 'approve', fields: { vehicle: v.id } });
    expect(await orderStatus(o2.id)).toBe('approved');
    expect(await taskFor('keeper', o2.id)).toBeDefined(); // back to allocation
    // payments: a deposit is not enough, the balance makes it paid
    const total = (await t.engine.records.get(SYSTEM_ACTOR, 'vehicle_order', o.id)).total_amount as number;
    await as('admin', 'POST', '/api/records/payment', { order: o.id, kind: 'deposit', amount: 5000, paid_at: '2026-11-20' });
    expect(await orderStatus(o.id)).toBe('allocated');
    await as('admin', 'POST', '/api/records/payment', { order: o.id, kind: 'final', amount: total - 5000, paid_at: '2026-11-21' });
    await t.engine.workflow.drain();
    expect(await orderStatus(o.id)).toBe('paid');
    // delivery by the advisor
    const deliver = await taskFor('advisor', o.id);
    await as('advisor', 'POST', `/api/tasks/${deliver.id}/complete`, { action: 'approve' });
    const delivered = await t.engine.records.get(SYSTEM_ACTOR, 'vehicle_order', o.id);
    expect(delivered.status).toBe('delivered');
    expect(delivered.delivery_date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect((await t.engine.records.get(SYSTEM_ACTOR, 'vehicle', v.id)).status).toBe('sold');
    expect((await t.engine.records.get(SYSTEM_ACTOR, 'customer', id.customer!)).level).toBe('d');
    const owned = await t.engine.records.list(SYSTEM_ACTOR, 'owned_vehicle', { filter: { '==': [{ var: 'vin' }, vin] } });
    expect(owned.items).toHaveLength(1);
    expect(owned.items[0]).toMatchObject({ customer: id.customer, model: modelId });
    // the callback comes 3 days later
    expect(await taskFor('advisor', o.id)).toBeUndefined();
    const job = await t.db.knex('fw_jobs').where({ kind: 'workflow.resume', status: 'pending' }).orderBy('id', 'desc').first();
    expect(new Date(job.run_at).getTime() - Date.now()).toBeGreaterThan(2.9 * 86400_000);
    await t.db.knex('fw_jobs').where({ id: job.id }).update({ run_at: new Date(Date.now() - 1000).toISOString() });
    await t.engine.workflow.drain();
    const callback = await taskFor('advisor', o.id);
    expect(callback.title).toContain('回访');
  });

  it('writes a follow-up back to the customer', async () => {
    const f = await as('advisor', 'POST', '/api/records/follow_up', { customer: id.customer, method: 'phone', at: '2026-11-20T02:00:00Z', summary: '已邀约到店', new_level: 'h', next_follow_up: '2026-11-27' });
    expect(f.status).toBe(201);
    const c = await t.engine.records.get(SYSTEM_ACTOR, 'customer', id.customer!);
    expect(c).toMatchObject({ level: 'h', next_follow_up: '2026-11-27' });
  });
});
