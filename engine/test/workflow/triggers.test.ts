/**
 * Date-relative timers, schedules and inbound webhooks on SQLite and PostgreSQL.
 *
 * Time: the job runner claims jobs by the system clock, so a test "lets time pass" by moving a
 * job's run_at into the past; the timers' own decisions (what is late, which offset supersedes
 * which, the next fire time) read the rules clock, moved with setRulesClock.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../helpers/db.js';
import { testEngine, publishForm, startServer, type TestEngine, type TestServer } from '../helpers/engine.js';
import { serviceUser, apiToken, signedInUser } from '../auth/identity-fixture.js';
import { SYSTEM_ACTOR } from '../../src/auth/actor.js';
import { rulesToday, setRulesClock } from '../../src/rules/operations.js';
import type { WorkflowDef } from '../../src/workflow/types.js';
import {
  addDays, dateTimerKey, planTimers, supersededBy, zonedInstant, type DateTriggerSettings,
} from '../../src/workflow/timers.js';
import { nextFireTime, scheduleSettings } from '../../src/workflow/schedules.js';

const TZ = 'Asia/Shanghai';
const PAST = '2000-01-01T00:00:00.000Z';

const vehicle = {
  key: 'vehicle',
  label: 'Vehicle',
  fields: [
    { id: 'v_plate', key: 'plate', type: 'text', label: 'Plate' },
    { id: 'v_expiry', key: 'expiry', type: 'date', label: 'Insurance expiry' },
    { id: 'v_service', key: 'service_at', type: 'datetime', label: 'Next service' },
    { id: 'v_status', key: 'status', type: 'select', label: 'Status', default: 'open', options: ['open', 'closed'].map((k) => ({ key: k, label: k })) },
  ],
};

const simple = (key: string, trigger: WorkflowDef['trigger'], extra: Partial<WorkflowDef> = {}): WorkflowDef => ({
  key, label: key, trigger,
  nodes: [{ id: 'start', type: 'start' }, { id: 'done', type: 'end' }],
  edges: [{ id: 'e1', source: 'start', target: 'done' }],
  ...extra,
});

const day = (n: number) => addDays(rulesToday(), n)!;
const at9 = (date: string) => zonedInstant(date, '09:00', TZ)!.toISOString();

describe('date_relative timing (pure)', () => {
  const s: DateTriggerSettings = { field: 'expiry', offsets: [-45, -30], at: null, lateDays: null };
  const now = new Date('2024-06-01T04:00:00.000Z'); // 12:00 in Shanghai

  it('converts wall-clock times in Asia/Shanghai', () => {
    expect(zonedInstant('2024-06-10', '09:00', TZ)!.toISOString()).toBe('2024-06-10T01:00:00.000Z');
    expect(zonedInstant('2024-01-01', '00:30', TZ)!.toISOString()).toBe('2023-12-31T16:30:00.000Z');
    expect(addDays('2024-03-01', -1)).toBe('2024-02-29');
    expect(addDays('2024-02-30', 0)).toBeNull();
  });

  it('plans every future offset at 09:00 local', () => {
    expect(planTimers(s, 'date', '2024-09-01', now, TZ)).toEqual([
      { offset: -45, moment: new Date('2024-07-18T01:00:00.000Z'), late: false },
      { offset: -30, moment: new Date('2024-08-02T01:00:00.000Z'), late: false },
    ]);
  });

  it('typed in late: only the latest past offset, at once, while the date itself is ahead', () => {
    // expiry in 10 days: −45 and −30 have passed; −30 fires (late), −45 is superseded
    expect(planTimers(s, 'date', '2024-06-11', now, TZ)).toEqual([{ offset: -30, moment: new Date('2024-05-12T01:00:00.000Z'), late: true }]);
    // expiry in 40 days: −45 passed (late), −30 still ahead
    expect(planTimers(s, 'date', '2024-07-11', now, TZ).map((p) => [p.offset, p.late])).toEqual([[-45, true], [-30, false]]);
    // the expiry itself has passed: nothing
    expect(planTimers(s, 'date', '2024-05-31', now, TZ)).toEqual([]);
    // lateDays narrows the window
    expect(planTimers({ ...s, lateDays: 3 }, 'date', '2024-06-11', now, TZ)).toEqual([]);
  });

  it('offsets ≥ 0 get one day of lateness; datetimes keep their own time unless `at` is given', () => {
    const after: DateTriggerSettings = { field: 'service_at', offsets: [0], at: null, lateDays: null };
    expect(planTimers(after, 'datetime', '2024-06-01T02:00:00.000Z', now, TZ)).toEqual([{ offset: 0, moment: new Date('2024-06-01T02:00:00.000Z'), late: true }]);
    expect(planTimers(after, 'datetime', '2024-05-30T02:00:00.000Z', now, TZ)).toEqual([]);
    expect(planTimers({ ...after, offsets: [-7], at: '08:00' }, 'datetime', '2024-06-20T20:00:00.000Z', now, TZ)[0]!.moment.toISOString()).toBe('2024-06-14T00:00:00.000Z');
  });

  it('after a downtime spanning both offsets, the earlier steps aside', () => {
    expect(supersededBy(s, 'date', '2024-06-11', -45, now, TZ)).toBe(-30);
    expect(supersededBy(s, 'date', '2024-06-11', -30, now, TZ)).toBeNull();
    expect(supersededBy(s, 'date', '2024-09-01', -45, now, TZ)).toBeNull();
  });

  it('reads 5-field crons in a time zone', () => {
    const wf = simple('x', { type: 'schedule', config: { cron: '0 9 * * *' } });
    const cfg = scheduleSettings(wf)!;
    expect(cfg).toEqual({ cron: '0 9 * * *', timezone: TZ });
    expect(nextFireTime(cfg, now).toISOString()).toBe('2024-06-02T01:00:00.000Z');
    expect(scheduleSettings(simple('x', { type: 'schedule', config: { cron: '0 9 * *' } }))).toBeNull();
    expect(scheduleSettings(simple('x', { type: 'schedule', config: { cron: '0 9 * * * *' } }))).toBeNull();
    expect(scheduleSettings(simple('x', { type: 'schedule', config: { cron: '61 9 * * *' } }))).toBeNull();
  });
});

describe.each(DIALECTS)('triggers on %s', (dialect) => {
  let t: TestEngine;
  let s: TestServer;
  const knex = () => t.engine.db.knex;

  const publishWf = async (wf: WorkflowDef) => {
    await t.engine.docs.saveDraft('workflows', wf.key, wf);
    return t.engine.docs.publish('workflows', wf.key);
  };
  const drain = () => t.engine.workflow.drain();
  const create = async (values: Record<string, unknown>) => {
    const r = await t.engine.records.create(SYSTEM_ACTOR, 'vehicle', { plate: 'x', ...values });
    await drain();
    return r.id;
  };
  const update = async (id: number, values: Record<string, unknown>) => {
    await t.engine.records.update(SYSTEM_ACTOR, 'vehicle', id, values);
    await drain();
  };
  const job = (key: string) => knex()('fw_jobs').where({ idempotency_key: key }).first();
  const dateJobs = async (wf: string, id: number) =>
    (await knex()('fw_jobs').where({ kind: 'trigger.date' }).select('idempotency_key', 'status', 'run_at'))
      .filter((j: any) => j.idempotency_key.startsWith(`${wf}:vehicle:${id}:`))
      .sort((a: any, b: any) => (a.idempotency_key < b.idempotency_key ? -1 : 1));
  const instances = (wf: string) => knex()('fw_wf_instances').where({ workflow: wf }).orderBy('id');
  const due = (key: string) => knex()('fw_jobs').where({ idempotency_key: key }).update({ run_at: PAST });

  beforeAll(async () => {
    t = await testEngine(dialect);
    s = await startServer(t.engine);
    await publishForm(t.engine, vehicle);
    await publishWf(simple('ins', { type: 'date_relative', form: 'vehicle', config: { field: 'expiry', offsets: [-45, -30] }, condition: { '==': [{ var: 'status' }, 'open'] } }));
    await drain();
  });
  afterEach(() => setRulesClock(null));
  afterAll(async () => {
    setRulesClock(null);
    await s?.close();
    await t?.drop();
  });

  it('writes the −45 and −30 timers on create, rewrites them when the date changes, cancels them on delete', async () => {
    const id = await create({ expiry: day(100) });
    const k45 = dateTimerKey('ins', 'vehicle', id, -45, day(100));
    const k30 = dateTimerKey('ins', 'vehicle', id, -30, day(100));
    expect(await dateJobs('ins', id)).toEqual([
      { idempotency_key: k30, status: 'pending', run_at: at9(day(70)) },
      { idempotency_key: k45, status: 'pending', run_at: at9(day(55)) },
    ]);

    await update(id, { expiry: day(120) });
    const jobs = await dateJobs('ins', id);
    expect(jobs.filter((j: any) => j.status === 'pending').map((j: any) => j.idempotency_key).sort()).toEqual(
      [dateTimerKey('ins', 'vehicle', id, -30, day(120)), dateTimerKey('ins', 'vehicle', id, -45, day(120))].sort(),
    );
    expect((await job(k45)).status).toBe('cancelled');
    expect((await job(k30)).status).toBe('cancelled');
    expect((await job(dateTimerKey('ins', 'vehicle', id, -45, day(120)))).run_at).toBe(at9(day(75)));

    // back to the first date: its timers are revived, the second date's cancelled
    await update(id, { expiry: day(100) });
    expect((await job(k45)).status).toBe('pending');
    expect((await job(dateTimerKey('ins', 'vehicle', id, -45, day(120)))).status).toBe('cancelled');

    // clearing the date cancels everything; deleting the record too
    await update(id, { expiry: null });
    expect((await dateJobs('ins', id)).filter((j: any) => j.status === 'pending')).toEqual([]);
    await update(id, { expiry: day(90) });
    expect((await dateJobs('ins', id)).filter((j: any) => j.status === 'pending')).toHaveLength(2);
    await t.engine.records.delete(SYSTEM_ACTOR, 'vehicle', id);
    await drain();
    expect((await dateJobs('ins', id)).filter((j: any) => j.status === 'pending')).toEqual([]);
  });

  it('fires each timer exactly once, through repeated drains and reconciles, on the record as it is then', async () => {
    const id = await create({ expiry: day(100) });
    const k45 = dateTimerKey('ins', 'vehicle', id, -45, day(100));
    const k30 = dateTimerKey('ins', 'vehicle', id, -30, day(100));
    await due(k45);
    await drain();
    await drain();
    await t.engine.workflow.reconcile();
    await drain();
    let started = (await instances('ins')).filter((i: any) => Number(i.record_id) === id);
    expect(started.map((i: any) => i.idempotency_key)).toEqual([k45]);
    expect(started[0]).toMatchObject({ form: 'vehicle', status: 'completed' });
    expect(JSON.parse(started[0].context)).toMatchObject({ trigger: 'date_relative', field: 'expiry', value: day(100), offset: -45, dueAt: at9(day(55)) });
    expect((await job(k45)).status).toBe('done');

    await due(k30);
    await drain();
    await t.engine.workflow.reconcile();
    await drain();
    started = (await instances('ins')).filter((i: any) => Number(i.record_id) === id);
    expect(started.map((i: any) => i.idempotency_key)).toEqual([k45, k30]);
    // the reconcile wrote nothing again
    expect(await dateJobs('ins', id)).toHaveLength(2);
  });

  it('checks the condition and the value when the timer fires', async () => {
    const a = await create({ expiry: day(100) });
    await update(a, { status: 'closed' });
    await due(dateTimerKey('ins', 'vehicle', a, -45, day(100)));
    await drain();
    expect((await instances('ins')).filter((i: any) => Number(i.record_id) === a)).toEqual([]);
    expect((await job(dateTimerKey('ins', 'vehicle', a, -45, day(100)))).status).toBe('done');

    // a stale timer (the value moved on behind its back) starts nothing
    const b = await create({ expiry: day(100) });
    await knex()('t_vehicle').where({ id: b }).update({ [(await t.engine.forms.get('vehicle')).byKey.get('expiry')!.column!]: day(101) });
    await due(dateTimerKey('ins', 'vehicle', b, -45, day(100)));
    await drain();
    expect((await instances('ins')).filter((i: any) => Number(i.record_id) === b)).toEqual([]);
  });

  it('fires the latest past offset at once for a date typed in late, and nothing for a date already past', async () => {
    const soon = await create({ expiry: day(10) });
    let started = (await instances('ins')).filter((i: any) => Number(i.record_id) === soon);
    expect(started.map((i: any) => i.idempotency_key)).toEqual([dateTimerKey('ins', 'vehicle', soon, -30, day(10))]);
    expect(await dateJobs('ins', soon)).toHaveLength(1); // no −45 at all

    const gone = await create({ expiry: day(-5) });
    expect(await dateJobs('ins', gone)).toEqual([]);
    started = (await instances('ins')).filter((i: any) => Number(i.record_id) === gone);
    expect(started).toEqual([]);
  });

  it('after a downtime, due timers fire late, once, and only the latest offset of a date', async () => {
    const id = await create({ expiry: day(60) });
    const k45 = dateTimerKey('ins', 'vehicle', id, -45, day(60));
    const k30 = dateTimerKey('ins', 'vehicle', id, -30, day(60));
    expect((await dateJobs('ins', id)).map((j: any) => j.status)).toEqual(['pending', 'pending']);
    // the engine was down from before −45 until after −30
    const later = new Date(Date.parse(at9(day(30))) + 3_600_000);
    setRulesClock(() => later);
    await due(k45);
    await due(k30);
    await drain();
    await drain();
    const started = (await instances('ins')).filter((i: any) => Number(i.record_id) === id);
    expect(started.map((i: any) => i.idempotency_key)).toEqual([k30]);
    expect((await job(k45)).status).toBe('done');
  });

  it('gives records created before the workflow was published their timers on reconcile, idempotently', async () => {
    const early = await create({ expiry: day(200) });
    const none = await create({ expiry: null });
    await publishWf(simple('ins_late', { type: 'date_relative', form: 'vehicle', config: { field: 'expiry', offsetDays: -7, at: '10:30' } }));
    await t.engine.workflow.reconcile();
    const jobs = await dateJobs('ins_late', early);
    expect(jobs).toEqual([{ idempotency_key: dateTimerKey('ins_late', 'vehicle', early, -7, day(200)), status: 'pending', run_at: zonedInstant(day(193), '10:30', TZ)!.toISOString() }]);
    expect(await dateJobs('ins_late', none)).toEqual([]);
    // a lost timer comes back; existing ones are not duplicated
    await knex()('fw_jobs').where({ idempotency_key: jobs[0].idempotency_key }).delete();
    await t.engine.workflow.reconcile();
    await t.engine.workflow.reconcile();
    expect(await dateJobs('ins_late', early)).toEqual(jobs);
    const total = await knex()('fw_jobs').where({ kind: 'trigger.date' }).count({ n: '*' }).first();
    await t.engine.workflow.reconcile();
    expect(await knex()('fw_jobs').where({ kind: 'trigger.date' }).count({ n: '*' }).first()).toEqual(total);
    // records whose date can give no timer any more are not even read
    const old = await create({ expiry: day(-400) });
    const col = (await t.engine.forms.get('vehicle')).byKey.get('expiry')!.column!;
    const upcoming = Number((await knex()('t_vehicle').where(col, '>=', day(-2)).count({ n: '*' }).first())!.n);
    const pass = await t.engine.workflow.timers.reconcile();
    expect(pass).toEqual({ scanned: upcoming, written: 0 });
    expect(upcoming).toBeLessThan(Number((await knex()('t_vehicle').count({ n: '*' }).first())!.n));
    expect(await dateJobs('ins_late', old)).toEqual([]);
    // disabled: its due timers start nothing
    await publishWf(simple('ins_late', { type: 'date_relative', form: 'vehicle', config: { field: 'expiry', offsetDays: -7 } }, { enabled: false }));
    await due(jobs[0].idempotency_key);
    await drain();
    expect(await instances('ins_late')).toEqual([]);
  });

  it('keeps one job per schedule, fires it, schedules the next, and runs a missed fire once', async () => {
    await publishWf(simple('daily', { type: 'schedule', config: { cron: '0 9 * * *' } }));
    await drain(); // the published schedules changed: reconciled
    const pending = () => knex()('fw_jobs').where({ kind: 'trigger.schedule', status: 'pending' }).select('idempotency_key', 'run_at', 'payload');
    let jobs = await pending();
    expect(jobs).toHaveLength(1);
    const first = jobs[0];
    expect(first.idempotency_key).toBe(`daily:${first.run_at}`);
    expect(new Date(first.run_at).getUTCHours()).toBe(1); // 09:00 in Shanghai
    expect(Date.parse(first.run_at)).toBeGreaterThan(Date.now());
    await t.engine.workflow.reconcile();
    await t.engine.workflow.reconcile();
    expect(await pending()).toEqual(jobs);

    // it fires
    setRulesClock(() => new Date(Date.parse(first.run_at) + 60_000));
    await knex()('fw_jobs').where({ idempotency_key: first.idempotency_key }).update({ run_at: PAST });
    await drain();
    await drain();
    await t.engine.workflow.reconcile();
    let runs = await instances('daily');
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ form: null, record_id: null, status: 'completed', idempotency_key: first.idempotency_key });
    expect(JSON.parse(runs[0].context)).toMatchObject({ trigger: 'schedule', firedAt: first.run_at });
    jobs = await pending();
    expect(jobs).toHaveLength(1);
    const second = jobs[0];
    expect(Date.parse(second.run_at) - Date.parse(first.run_at)).toBe(86_400_000);

    // down for three days: the missed fire runs once, the next is in the future again
    const back = Date.parse(second.run_at) + 3 * 86_400_000 + 3_600_000;
    setRulesClock(() => new Date(back));
    await knex()('fw_jobs').where({ idempotency_key: second.idempotency_key }).update({ run_at: PAST });
    await drain();
    await drain();
    runs = await instances('daily');
    expect(runs.map((r: any) => r.idempotency_key)).toEqual([first.idempotency_key, second.idempotency_key]);
    jobs = await pending();
    expect(jobs).toHaveLength(1);
    expect(Date.parse(jobs[0].run_at)).toBeGreaterThan(back);
    expect(Date.parse(jobs[0].run_at) - back).toBeLessThanOrEqual(86_400_000);
  });

  it('reschedules on a new cron and drops the job when the schedule is disabled', async () => {
    await publishWf(simple('weekly', { type: 'schedule', config: { cron: '30 8 * * 1', timezone: 'UTC' } }));
    await t.engine.workflow.reconcile();
    const mine = async () => (await knex()('fw_jobs').where({ kind: 'trigger.schedule' }).select('idempotency_key', 'status', 'run_at')).filter((j: any) => j.idempotency_key.startsWith('weekly:'));
    let jobs = (await mine()).filter((j: any) => j.status === 'pending');
    expect(jobs).toHaveLength(1);
    expect(new Date(jobs[0].run_at).getUTCDay()).toBe(1);
    expect(jobs[0].run_at.slice(11, 16)).toBe('08:30');
    await publishWf(simple('weekly', { type: 'schedule', config: { cron: '0 7 * * 2', timezone: 'UTC' } }));
    await t.engine.workflow.reconcile();
    await t.engine.workflow.reconcile();
    jobs = await mine();
    expect(jobs.filter((j: any) => j.status === 'pending')).toHaveLength(1);
    expect(jobs.filter((j: any) => j.status === 'cancelled')).toHaveLength(1);
    expect(new Date(jobs.find((j: any) => j.status === 'pending').run_at).getUTCDay()).toBe(2);
    await publishWf(simple('weekly', { type: 'schedule', config: { cron: '0 7 * * 2', timezone: 'UTC' } }, { enabled: false }));
    await drain();
    expect((await mine()).filter((j: any) => j.status === 'pending')).toEqual([]);
  });

  it('reconciles at start-up of the background loops', async () => {
    await publishWf(simple('boot', { type: 'schedule', config: { cron: '15 6 1 * *' } }));
    const boot = () => knex()('fw_jobs').where({ kind: 'trigger.schedule', status: 'pending' }).where('idempotency_key', 'like', 'boot:%');
    expect(await boot()).toEqual([]);
    t.engine.workflow.start({ dispatchMs: 50, jobsMs: 50 });
    try {
      for (let i = 0; i < 100 && !(await boot()).length; i++) await new Promise((r) => setTimeout(r, 30));
    } finally {
      await t.engine.workflow.stop();
    }
    expect(await boot()).toHaveLength(1);
  });

  it('refuses invalid trigger settings when a workflow is saved', async () => {
    const bad = [
      simple('bad1', { type: 'date_relative', form: 'vehicle', config: { field: 'expiry' } }),
      simple('bad2', { type: 'date_relative', config: { field: 'expiry', offsets: [-45] } }),
      simple('bad3', { type: 'schedule', config: { cron: 'every day' } }),
      simple('bad4', { type: 'date_relative', form: 'vehicle', config: { field: 'expiry', offsets: [-45], at: '25:00' } }),
      simple('bad5', { type: 'webhook', config: { schema: { type: 'objekt' } } }),
      simple('bad6', { type: 'webhook', config: { schema: true } } as any),
    ];
    for (const wf of bad) await expect(t.engine.docs.saveDraft('workflows', wf.key, wf)).rejects.toMatchObject({ code: 'validation' });
  });

  describe('inbound webhooks', () => {
    beforeAll(async () => {
      await publishWf(simple('inbound', {
        type: 'webhook',
        config: { roles: ['integration'], schema: { type: 'object', required: ['name'], properties: { name: { type: 'string', minLength: 1 }, n: { type: 'integer' } } } },
      }));
      await publishWf(simple('vehicle_hook', { type: 'webhook', form: 'vehicle', config: { roles: ['integration'] }, condition: { '==': [{ var: 'status' }, 'open'] } }));
      const role = { key: 'integration', label: 'Integration', permissions: [{ form: '*', actions: ['read'] }] };
      await t.engine.docs.saveDraft('roles', role.key, role);
      await t.engine.docs.publish('roles', role.key);
    });

    it('needs a token, validates the body, starts once per Idempotency-Key', async () => {
      expect((await s.api('/api/hooks/inbound', { body: { name: 'a' }, token: null })).status).toBe(401);
      const bad = await s.api('/api/hooks/inbound', { body: { n: 'x' } });
      expect(bad.status).toBe(422);
      expect(bad.body.error.code).toBe('validation');
      expect(Object.keys(bad.body.error.fields).sort()).toEqual(['/n', '/name']);

      const headers = { 'Idempotency-Key': 'order-1001' };
      const first = await s.api('/api/hooks/inbound', { body: { name: 'a', n: 1 }, headers });
      expect(first.status).toBe(201);
      expect(first.body.instance).toMatchObject({ id: expect.any(Number), workflow: 'inbound', status: 'completed' });
      const row = await knex()('fw_wf_instances').where({ id: first.body.instance.id }).first();
      expect(JSON.parse(row.context)).toMatchObject({ trigger: 'webhook', input: { name: 'a', n: 1 } });
      const again = await s.api('/api/hooks/inbound', { body: { n: 1, name: 'a' }, headers });
      expect(again.status).toBe(200);
      expect(again.body.instance.id).toBe(first.body.instance.id);
      expect((await s.api('/api/hooks/inbound', { body: { name: 'b' }, headers })).status).toBe(409);
      expect((await instances('inbound'))).toHaveLength(1);
      // without the header every call is new
      expect((await s.api('/api/hooks/inbound', { body: { name: 'c' } })).status).toBe(201);
      expect((await instances('inbound'))).toHaveLength(2);
    });

    it('is 404 for workflows that are not webhooks, 403 for callers without the role', async () => {
      expect((await s.api('/api/hooks/ins', { body: {} })).status).toBe(404);
      expect((await s.api('/api/hooks/daily', { body: {} })).status).toBe(404);
      expect((await s.api('/api/hooks/nope', { body: {} })).status).toBe(404);
      expect((await s.api('/api/hooks/Bad-Key', { body: {} })).status).toBe(404);
      const plain = await signedInUser(s, 'plain_user', 'password-123', []);
      expect((await s.api('/api/hooks/inbound', { body: { name: 'a' }, token: plain.token })).status).toBe(403);
      const svc = await serviceUser(s, 'crm_hook', ['integration']);
      const token = (await apiToken(s, svc, ['vehicle:read'])).token;
      const r = await s.api('/api/hooks/inbound', { body: { name: 'from crm' }, token });
      expect(r.status).toBe(201);
      expect((await knex()('fw_wf_instances').where({ id: r.body.instance.id }).first()).started_by).toBe(svc);
    });

    it('starts on a record of its form, checked and readable by the caller', async () => {
      const id = await create({ expiry: null });
      expect((await s.api('/api/hooks/vehicle_hook', { body: {} })).body.error.fields).toHaveProperty(['/recordId']);
      expect((await s.api('/api/hooks/vehicle_hook', { body: { recordId: 999999 } })).status).toBe(404);
      const r = await s.api('/api/hooks/vehicle_hook', { body: { recordId: id } });
      expect(r.status).toBe(201);
      const row = await knex()('fw_wf_instances').where({ id: r.body.instance.id }).first();
      expect(row).toMatchObject({ form: 'vehicle' });
      expect(Number(row.record_id)).toBe(id);
      await update(id, { status: 'closed' });
      expect((await s.api('/api/hooks/vehicle_hook', { body: { recordId: id } })).status).toBe(422);
    });
  });
});
