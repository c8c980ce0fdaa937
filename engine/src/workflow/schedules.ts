/**
 * Schedule triggers: workflows started by the clock, with no record (a daily scan such as
 * "vehicles in stock over 45 days").
 *
 * Trigger (`type: 'schedule'`, no form): `{ cron: '0 9 * * *', timezone?: 'Asia/Shanghai' }`, a
 * 5-field cron expression (minute hour day-of-month month day-of-week) read in `timezone`.
 * `trigger.condition` is not used (there is no record to test).
 *
 * One pending job per schedule workflow: `trigger.schedule` with the idempotency key
 * `${workflow}:${fireTimeIso}`, due at the next fire time. When it fires, in the job's
 * transaction, it starts the instance (idempotency key = the job key; subject
 * `{ form: null, recordId: null }`; context `{ trigger: 'schedule', firedAt }`, firedAt the fire
 * time it stood for) and enqueues the next fire time after max(now, that fire time). So after a
 * downtime a missed fire runs ONCE, late, and the next one is in the future again (not one run
 * per missed period).
 *
 * `reconcile()` (start-up, every reconcile pass of TriggerReconciler, `drain()`): in one
 * transaction, cancels the pending jobs of workflows that are no longer published, enabled
 * schedules, or whose cron / time zone changed (a new revision with another cron reschedules),
 * keeps one pending job per enabled schedule workflow (the earliest; extra ones are cancelled),
 * and enqueues the next fire time for a workflow that has none. A job being run (status
 * running) counts as the one: its handler enqueues the next. Idempotent; the keys make two
 * processes reconciling at once agree.
 *
 * A job fired for a cron that is no longer the workflow's (it was changed between reconciles)
 * starts nothing; it enqueues the next fire time of the current cron.
 *
 * Clock: `rulesNow()` (tests move it with `setRulesClock`).
 */
import type { Knex } from 'knex';
import { CronExpressionParser } from 'cron-parser';
import type { Db } from '../store/connection.js';
import type { Logger } from '../http/logger.js';
import { rulesNow } from '../rules/operations.js';
import { loggableError } from '../errors.js';
import type { Job, JobQueue } from './jobs.js';
import type { WorkflowRuntime } from './runtime.js';
import type { WorkflowDef } from './types.js';

export const SCHEDULE_TRIGGER = 'schedule';
export const SCHEDULE_JOB = 'trigger.schedule';
export const DEFAULT_SCHEDULE_TZ = 'Asia/Shanghai';

type Published = { def: WorkflowDef; revision: number };

export interface ScheduleSettings {
  cron: string;
  timezone: string;
}

export interface ScheduleJobPayload {
  workflow: string;
  cron: string;
  timezone: string;
  /** The fire time this job stands for (ISO). */
  fireAt: string;
}

/** Is this a valid IANA time zone? */
function validZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** A schedule trigger's settings, or null when they are unusable (not 5 fields, bad zone, unparsable). */
export function scheduleSettings(def: WorkflowDef): ScheduleSettings | null {
  const c = (def.trigger.config ?? {}) as Record<string, unknown>;
  if (typeof c.cron !== 'string') return null;
  const cron = c.cron.trim().split(/\s+/).join(' ');
  if (cron.split(' ').length !== 5) return null;
  const timezone = typeof c.timezone === 'string' && c.timezone ? c.timezone : DEFAULT_SCHEDULE_TZ;
  if (!validZone(timezone)) return null;
  try {
    CronExpressionParser.parse(cron, { tz: timezone });
  } catch {
    return null;
  }
  return { cron, timezone };
}

/** The first fire time strictly after `after`. */
export function nextFireTime(s: ScheduleSettings, after: Date): Date {
  const it = CronExpressionParser.parse(s.cron, { tz: s.timezone, currentDate: after });
  return it.next().toDate();
}

export function scheduleKey(workflow: string, fireAt: Date | string): string {
  return `${workflow}:${typeof fireAt === 'string' ? fireAt : fireAt.toISOString()}`;
}

export interface ScheduleTriggersOptions {
  db: Db;
  runtime: WorkflowRuntime;
  jobs: JobQueue;
  logger: Logger;
  now?: () => Date;
}

export class ScheduleTriggers {
  private readonly db: Db;
  private readonly runtime: WorkflowRuntime;
  private readonly jobs: JobQueue;
  private readonly logger: Logger;
  private readonly now: () => Date;
  private warned = new Set<string>();

  constructor(o: ScheduleTriggersOptions) {
    this.db = o.db;
    this.runtime = o.runtime;
    this.jobs = o.jobs;
    this.logger = o.logger;
    this.now = o.now ?? (() => new Date(rulesNow()));
    this.jobs.register(SCHEDULE_JOB, (job, trx) => this.fire(job, trx!));
  }

  /** The enabled, published schedule workflows. */
  workflows(): Published[] {
    return this.runtime.published().filter((w) => w.def.trigger.type === SCHEDULE_TRIGGER && w.def.enabled !== false);
  }

  private settings(wf: Published): ScheduleSettings | null {
    const s = scheduleSettings(wf.def);
    if (!s) {
      const id = `${wf.def.key}@${wf.revision}`;
      if (!this.warned.has(id)) {
        this.warned.add(id);
        this.logger.warn('schedule trigger ignored: invalid cron expression or time zone', { workflow: wf.def.key, cron: wf.def.trigger.config?.cron ?? null });
      }
    }
    return s;
  }

  private async enqueueNext(trx: Knex, workflow: string, s: ScheduleSettings, after: Date): Promise<Date> {
    const fireAt = nextFireTime(s, after);
    const payload: ScheduleJobPayload = { workflow, cron: s.cron, timezone: s.timezone, fireAt: fireAt.toISOString() };
    const key = scheduleKey(workflow, fireAt);
    const id = await this.jobs.enqueue(trx, { kind: SCHEDULE_JOB, runAt: fireAt, payload, key });
    if (id == null) {
      // A job of this fire time was cancelled (the cron changed and changed back): it never
      // fired, so it may be revived. (One that ran, or is pending, stays as it is.)
      await trx('fw_jobs').where({ idempotency_key: key, status: 'cancelled' }).update({
        status: 'pending', run_at: fireAt.toISOString(), payload: JSON.stringify(payload), attempts: 0,
        last_error: null, locked_by: null, lease_until: null, done_at: null,
      });
    }
    return fireAt;
  }

  /** Exactly one live job per enabled schedule workflow; none for the others. */
  async reconcile(): Promise<{ enqueued: number; cancelled: number }> {
    await this.runtime.workflows.fresh();
    const wanted = new Map<string, ScheduleSettings>();
    for (const wf of this.workflows()) {
      const s = this.settings(wf);
      if (s) wanted.set(wf.def.key, s);
    }
    const now = this.now();
    return this.db.knex.transaction(async (trx) => {
      const q = trx('fw_jobs').where({ kind: SCHEDULE_JOB }).whereIn('status', ['pending', 'running']).orderBy([{ column: 'run_at' }, { column: 'id' }]);
      if (this.db.dialect === 'pg') q.forUpdate();
      const rows = (await q.select('id', 'status', 'payload', 'idempotency_key')) as Array<{ id: unknown; status: string; payload: string; idempotency_key: string | null }>;
      let cancelled = 0;
      let enqueued = 0;
      const cancel = async (id: unknown) => {
        cancelled += await trx('fw_jobs').where({ id, status: 'pending' }).update({ status: 'cancelled', done_at: new Date().toISOString() });
      };
      const running = new Set<string>();
      const pending = new Map<string, unknown[]>(); // workflow → ids of its current pending jobs, earliest first
      for (const r of rows) {
        let p: Partial<ScheduleJobPayload> = {};
        try {
          p = JSON.parse(r.payload) ?? {};
        } catch {
          /* unreadable: cancelled below */
        }
        if (r.status === 'running') {
          // Being fired: its handler enqueues the next fire time (of the settings current then).
          if (p.workflow) running.add(p.workflow);
          continue;
        }
        const s = p.workflow ? wanted.get(p.workflow) : undefined;
        if (s && s.cron === p.cron && s.timezone === p.timezone) pending.set(p.workflow!, [...(pending.get(p.workflow!) ?? []), r.id]);
        else await cancel(r.id);
      }
      for (const [workflow, s] of wanted) {
        const ids = pending.get(workflow) ?? [];
        // One live job: the earliest pending one (or the one being fired, whose next is probably
        // one of these already: leave them to it).
        if (!running.has(workflow)) for (const id of ids.slice(1)) await cancel(id);
        if (ids.length || running.has(workflow)) continue;
        await this.enqueueNext(trx, workflow, s, now);
        enqueued++;
      }
      if (enqueued || cancelled) this.logger.info('schedules reconciled', { enqueued, cancelled });
      return { enqueued, cancelled };
    });
  }

  /** A fire time came: start the instance, enqueue the next. */
  private async fire(job: Job, trx: Knex.Transaction): Promise<void> {
    const p = job.payload as ScheduleJobPayload;
    const wf = this.runtime.published().find((w) => w.def.key === p.workflow);
    if (!wf || wf.def.enabled === false || wf.def.trigger.type !== SCHEDULE_TRIGGER) {
      this.logger.debug('schedule fire skipped: the workflow is no longer an enabled schedule', { workflow: p.workflow });
      return;
    }
    const s = this.settings(wf);
    if (!s) return;
    const fireAt = new Date(p.fireAt);
    if (s.cron === p.cron && s.timezone === p.timezone) {
      const key = job.key ?? scheduleKey(p.workflow, p.fireAt);
      const subject = { form: null, recordId: null };
      try {
        await trx.transaction((sp) => this.runtime.start(sp, wf, subject, { key, by: null, context: { trigger: SCHEDULE_TRIGGER, firedAt: p.fireAt } }));
      } catch (e) {
        this.logger.warn('workflow failed to start', { workflow: wf.def.key, schedule: key, error: loggableError(e) });
        await this.runtime.recordFailedStart(trx, wf, subject, key, null, e);
      }
    }
    const now = this.now();
    await this.enqueueNext(trx, wf.def.key, s, Number.isFinite(fireAt.getTime()) && fireAt > now ? fireAt : now);
  }
}
