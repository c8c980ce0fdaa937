/**
 * The dealership's time-driven flows on SQLite and PostgreSQL, with the clock moved forward:
 * insurance renewal tasks at −45 days and again at −30 when still not handled; service
 * reminders 7 days ahead; stock ageing at 45 and 90 days; overdue follow-ups.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../../../engine/test/helpers/db.js';
import { testEngine, type TestEngine } from '../../../engine/test/helpers/engine.js';
import { installPack, readPackFolder } from '../../../engine/src/packs/install.js';
import { SYSTEM_ACTOR, type Actor } from '../../../engine/src/auth/actor.js';
import { setRulesClock } from '../../../engine/src/rules/operations.js';
// @ts-expect-error plain JS module without types
import { makeVin } from '../demo/index.js';

const PACK = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DAY = 86400_000;
const ymd = (d: Date) => new Date(d.getTime() + 8 * 3600_000).toISOString().slice(0, 10); // Asia/Shanghai date
let seed = 11;
const vin = () => makeVin(() => ((seed = (seed * 16807) % 2147483647) / 2147483647)) as string;

describe.each(DIALECTS)('dealership timers on %s', (dialect) => {
  let t: TestEngine;
  const ids: Record<string, number> = {};
  const actors: Record<string, Actor> = {};
  let customer: number;
  let model: number;

  /** Move the clock to `at` and fire every job due by then. */
  const travel = async (at: Date) => {
    setRulesClock(() => at);
    const due = await t.db.knex('fw_jobs').where({ status: 'pending' }).select('id', 'run_at');
    const ready = due.filter((j: any) => new Date(j.run_at).getTime() <= at.getTime()).map((j: any) => j.id);
    if (ready.length) await t.db.knex('fw_jobs').whereIn('id', ready).update({ run_at: new Date(Date.now() - 1000).toISOString() });
    await t.engine.workflow.drain();
  };
  const tasks = async (who: string, form: string, recordId: number) =>
    (await t.engine.workflow.runtime.inbox(actors[who]!, 'open')).filter((x) => x.form === form && x.recordId === recordId);
  const notes = async (who: string) => t.db.knex('fw_notifications').where({ user_id: ids[who] }).orderBy('id');

  beforeAll(async () => {
    t = await testEngine(dialect);
    await installPack(t.engine.db, t.engine.docs, readPackFolder(PACK));
    const store = (await t.engine.departments.create({ name: '一号店', kind: 'store' })).id;
    for (const [name, role] of [['advisor', 'sales_advisor'], ['manager', 'sales_manager'], ['keeper', 'stock_keeper'], ['gm', 'general_manager'], ['service', 'service_advisor']]) {
      const u = await t.engine.users.create({ username: name!, password: 'password-123', roles: [role!], department: store });
      ids[name!] = u.id;
      actors[name!] = { userId: u.id, username: name!, roles: [role!], departmentId: store, isAdmin: false };
    }
    model = (await t.engine.records.create(SYSTEM_ACTOR, 'vehicle_model', { code: 'M1', name: '途观L', list_price: 215800 })).id;
    customer = (await t.engine.records.create(SYSTEM_ACTOR, 'customer', { name: '赵六', phone: '13600136000' }, { owner: ids.advisor })).id;
    await t.engine.workflow.drain();
  });
  afterEach(() => setRulesClock(null));
  afterAll(() => t.drop());

  it('opens a renewal task 45 days before expiry and again at 30 days while not handled', async () => {
    const now = new Date();
    const expiry = ymd(new Date(now.getTime() + 60 * DAY));
    const car = await t.engine.records.create(SYSTEM_ACTOR, 'owned_vehicle', { customer, vin: vin(), model, insurance_expiry: expiry }, { owner: ids.advisor });
    await t.engine.workflow.drain();
    expect(await tasks('advisor', 'owned_vehicle', car.id)).toHaveLength(0);
    const at = (offset: number) => new Date(`${expiry}T10:00:00+08:00`).getTime() + offset * DAY;
    await travel(new Date(at(-45)));
    expect(await tasks('advisor', 'owned_vehicle', car.id)).toHaveLength(1);
    await travel(new Date(at(-30)));
    const open = await tasks('advisor', 'owned_vehicle', car.id);
    expect(open).toHaveLength(2); // still not handled: again
    await t.engine.workflow.runtime.completeTask(actors.advisor!, open[0]!.id, { action: 'approve', comment: '已续保' });
    expect((await t.engine.records.get(SYSTEM_ACTOR, 'owned_vehicle', car.id)).renewal_done_for).toBe(expiry);

    // handled before −30: no second task
    setRulesClock(null);
    const car2 = await t.engine.records.create(SYSTEM_ACTOR, 'owned_vehicle', { customer, vin: vin(), model, insurance_expiry: expiry }, { owner: ids.advisor });
    await t.engine.workflow.drain();
    await travel(new Date(at(-45)));
    const first = await tasks('advisor', 'owned_vehicle', car2.id);
    expect(first).toHaveLength(1);
    await t.engine.workflow.runtime.completeTask(actors.advisor!, first[0]!.id, { action: 'approve' });
    await travel(new Date(at(-30)));
    expect(await tasks('advisor', 'owned_vehicle', car2.id)).toHaveLength(0);
    // each timer fired once: draining again starts nothing new
    await t.engine.workflow.drain();
    const runs = await t.db.knex('fw_wf_instances').where({ workflow: 'insurance_renewal', record_id: car2.id });
    expect(runs).toHaveLength(1);
  });

  it('reminds the service advisors 7 days before the next service', async () => {
    const next = ymd(new Date(Date.now() + 20 * DAY));
    const car = await t.engine.records.create(SYSTEM_ACTOR, 'owned_vehicle', { customer, vin: vin(), model, next_service_date: next }, { owner: ids.advisor });
    await t.engine.workflow.drain();
    await travel(new Date(new Date(`${next}T10:00:00+08:00`).getTime() - 8 * DAY));
    expect(await tasks('service', 'owned_vehicle', car.id)).toHaveLength(0);
    await travel(new Date(new Date(`${next}T10:00:00+08:00`).getTime() - 7 * DAY));
    expect(await tasks('service', 'owned_vehicle', car.id)).toHaveLength(1);
  });

  it('warns the stock keepers about vehicles over 45 days and the general manager over 90', async () => {
    const today = new Date();
    for (const age of [10, 50, 100]) {
      await t.engine.records.create(SYSTEM_ACTOR, 'vehicle', { vin: vin(), model, in_stock_date: ymd(new Date(today.getTime() - age * DAY)), status: 'in_stock' });
    }
    await t.engine.workflow.drain();
    const job = await t.db.knex('fw_jobs').where({ kind: 'trigger.schedule', status: 'pending' }).first();
    expect(job).toBeDefined();
    await travel(new Date(new Date(job.run_at).getTime() + 60_000));
    const keeper = (await notes('keeper')).map((n: any) => n.title);
    const gm = (await notes('gm')).map((n: any) => n.title);
    expect(keeper.some((x: string) => x.includes('45 天') && x.includes('2 台'))).toBe(true);
    expect(gm.some((x: string) => x.includes('90 天') && x.includes('1 台'))).toBe(true);
    // the next day is scheduled, once
    expect(await t.db.knex('fw_jobs').where({ kind: 'trigger.schedule', status: 'pending' })).toHaveLength(1);
  });

  it('tells the owner when a follow-up is due and lets the manager return the customer to the pool 3 days later', async () => {
    const due = ymd(new Date(Date.now() + 5 * DAY));
    const c = await t.engine.records.create(SYSTEM_ACTOR, 'customer', { name: '钱七', phone: '13500135000', next_follow_up: due }, { owner: ids.advisor });
    await t.engine.workflow.drain();
    const at = new Date(`${due}T10:00:00+08:00`).getTime();
    await travel(new Date(at));
    expect((await notes('advisor')).some((n: any) => n.title.includes('钱七'))).toBe(true);
    await travel(new Date(at + 3 * DAY));
    const task = (await tasks('manager', 'customer', c.id))[0]!;
    expect(task.actions).toEqual(['approve', 'reject']);
    // the task's title names the customer (a template over the record, as notifications are)
    expect(task.title).toContain('跟进逾期 3 天：钱七');
    expect(task.title).not.toContain('{{');
    await t.engine.workflow.runtime.completeTask(actors.manager!, task.id, { action: 'approve' });
    expect((await t.engine.records.get(SYSTEM_ACTOR, 'customer', c.id))._owner).toBeNull();
  });

  it('does not chase a customer who was followed up in time', async () => {
    const due = ymd(new Date(Date.now() + 5 * DAY));
    const c = await t.engine.records.create(SYSTEM_ACTOR, 'customer', { name: '孙八', phone: '13500135001', next_follow_up: due }, { owner: ids.advisor });
    await t.engine.workflow.drain();
    // a follow-up moves the next date on
    await t.engine.records.create({ ...actors.advisor!, isAdmin: true }, 'follow_up', { customer: c.id, method: 'phone', at: new Date().toISOString(), next_follow_up: ymd(new Date(Date.now() + 30 * DAY)) });
    await t.engine.workflow.drain();
    await travel(new Date(new Date(`${due}T10:00:00+08:00`).getTime() + 4 * DAY));
    const runs = await t.db.knex('fw_wf_instances').where({ workflow: 'follow_up_overdue', record_id: c.id });
    expect(runs).toHaveLength(0);
  });
});
