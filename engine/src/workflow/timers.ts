/**
 * Date-relative triggers ("45 days before `insurance_expiry`"), materialised as timer jobs
 * (ARCHITECTURE.md decision 5): they fire late rather than never.
 *
 * Trigger (`type: 'date_relative'`, `form` required; settings in triggers.ts):
 *
 *   { field: 'insurance_expiry', offsets: [-45, -30], at?: '09:00', lateDays?: n }
 *
 * `offsets` are whole days relative to the field's date (negative = before); `offsetDays: n` is
 * accepted as a shorthand for one more offset (both may be given; their union counts). The
 * moment of an offset is:
 *  - a `date` field: (date + offset days) at `at` (default 09:00) in the rules time zone
 *    (`setRulesTimeZone`, default Asia/Shanghai);
 *  - a `datetime` field without `at`: the instant itself + offset × 24 h (a follow-up due at
 *    15:00 is overdue at 15:00); with `at`: its local date + offset days at `at`.
 * `trigger.condition` is checked on the record (plus `$offset`) when the timer FIRES, not when
 * it is written, so "only if still open" style conditions see the state of that day.
 *
 * Timers. One `trigger.date` job per (workflow, record, offset, field value), with the idempotency
 * key `${workflow}:${form}:${recordId}:${offset}:${value}` (value: 'YYYY-MM-DD' or the ISO
 * datetime), due at the moment. They are written
 *  - by the dispatcher hook on record.created / record.updated (the record is re-read in the
 *    dispatcher's transaction, so the timers follow the record as it is now);
 *  - by `reconcile()` (start-up, every 10 minutes, and whenever the published date workflows or
 *    their forms change): a keyset scan (by id, pages of 500, one short transaction per page) of
 *    the records of every form with a date_relative workflow whose date can still give a timer
 *    (a date column compared in SQL with the earliest such date), writing the timers that are
 *    missing: workflows published after their records exist, and timers lost any other way,
 *    still fire. Idempotent (keys) and cheap when nothing is missing (per page: one id query,
 *    one record read, one key lookup).
 * When the field changes, the timers of the old value are cancelled (by key, from the event's
 * `before`) and the new ones written; deleting the record cancels them. A cancelled timer
 * whose value comes back (A → B → A) is revived; a timer that already fired never fires again.
 *
 * Written late. A timer whose moment is already past when it is written (a date typed in late,
 * a workflow published late) fires at once only if
 *  - it is the LATEST past offset of that workflow and value (an expiry typed in 10 days ahead
 *    gives the −30 reminder now, not both −45 and −30), and
 *  - its moment is at most `lateDays` days ago; default max(1, −offset), i.e. for reminders
 *    before a date: as long as that date itself has not passed (an insurance that expired last
 *    year gets no renewal reminder), for offsets ≥ 0: one day.
 * A timer written in time always fires, however late the job runner gets to it (downtime):
 * late rather than never. After a downtime that spans several offsets of one value only the
 * latest of them fires (the earlier ones see that a later moment has passed and step aside).
 *
 * Firing (internal job, in the job's transaction): the workflow must still be published,
 * enabled, date_relative on that form and field with that offset; the record must exist with
 * the field still holding the value of the key; the condition must hold. Then the instance
 * starts with idempotency key = the job key (never twice), subject the record, context
 * `{ trigger: 'date_relative', field, value, offset, dueAt }`. A start that fails is kept as a
 * failed run (retryable), like the dispatcher's. Anything else not holding: the timer is done
 * without starting anything (a disabled workflow's reminders of that time are dropped).
 *
 * Clock: `rulesNow()` (so tests move time with `setRulesClock`); the job runner claims by its
 * own clock (the system's).
 */
import type { Knex } from 'knex';
import type { Db } from '../store/connection.js';
import type { Logger } from '../http/logger.js';
import type { RecordService } from '../records/record-service.js';
import type { CompiledForm } from '../store/compiled-form.js';
import type { ApiRecord } from '../store/record-query.js';
import { applyRule, getRulesTimeZone, rulesNow, truthy } from '../rules/operations.js';
import { loggableError } from '../errors.js';
import type { EventHook, EventPayload } from './dispatcher.js';
import type { Job, JobQueue } from './jobs.js';
import type { WorkflowRuntime } from './runtime.js';
import type { WorkflowDef } from './types.js';

export const DATE_TRIGGER = 'date_relative';
export const DATE_JOB = 'trigger.date';
const DAY = 86_400_000;
const PAGE = 500;
const KEY_CHUNK = 200;
/** Latest instant a job may be due (jobs.ts keeps times in 1970..9999). */
const MAX_TIME = 253402300799999;

// ---------------------------------------------------------------------------------------------
// Time in a zone
// ---------------------------------------------------------------------------------------------

const formats = new Map<string, Intl.DateTimeFormat>();
function zoneFields(ms: number, tz: string): { y: number; m: number; d: number; h: number; mi: number; s: number } {
  let f = formats.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    formats.set(tz, f);
  }
  const o: Record<string, number> = {};
  for (const p of f.formatToParts(new Date(ms))) if (p.type !== 'literal') o[p.type] = Number(p.value);
  return { y: o.year!, m: o.month!, d: o.day!, h: o.hour! % 24, mi: o.minute!, s: o.second! };
}

function zoneOffset(ms: number, tz: string): number {
  const f = zoneFields(ms, tz);
  return Date.UTC(f.y, f.m - 1, f.d, f.h, f.mi, f.s) - Math.floor(ms / 1000) * 1000;
}

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const AT_RE = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** A real calendar date 'YYYY-MM-DD' plus n days (null if it is not one). */
export function addDays(date: string, n: number): string | null {
  const m = DATE_RE.exec(date);
  if (!m) return null;
  const t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  if (new Date(t).toISOString().slice(0, 10) !== date) return null;
  return new Date(t + n * DAY).toISOString().slice(0, 10);
}

/** The instant of a wall-clock time ('HH:MM') on a date in a zone. */
export function zonedInstant(date: string, at: string, tz: string): Date | null {
  const m = DATE_RE.exec(date);
  const a = AT_RE.exec(at);
  if (!m || !a) return null;
  const guess = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(a[1]), Number(a[2]));
  if (!Number.isFinite(guess)) return null;
  const off1 = zoneOffset(guess, tz);
  const t = guess - off1;
  const off2 = zoneOffset(t, tz);
  return new Date(off2 === off1 ? t : guess - off2);
}

/** The date of an instant in a zone. */
export function localDate(ms: number, tz: string): string {
  const f = zoneFields(ms, tz);
  return `${String(f.y).padStart(4, '0')}-${String(f.m).padStart(2, '0')}-${String(f.d).padStart(2, '0')}`;
}

// ---------------------------------------------------------------------------------------------
// Settings and moments (pure)
// ---------------------------------------------------------------------------------------------

export interface DateTriggerSettings {
  field: string;
  /** Sorted ascending, unique. */
  offsets: number[];
  /** 'HH:MM', or null: a datetime field's own time (a date field then uses 09:00). */
  at: string | null;
  lateDays: number | null;
}

/** A date_relative trigger's settings, or null when they are unusable. */
export function dateTriggerSettings(def: WorkflowDef): DateTriggerSettings | null {
  const c = (def.trigger.config ?? {}) as Record<string, unknown>;
  if (typeof c.field !== 'string' || !c.field) return null;
  const list: unknown[] = [...(Array.isArray(c.offsets) ? c.offsets : []), ...(c.offsetDays !== undefined ? [c.offsetDays] : [])];
  const offsets = [...new Set(list.filter((n): n is number => Number.isInteger(n)))].sort((a, b) => a - b);
  if (!offsets.length) return null;
  const at = typeof c.at === 'string' && AT_RE.test(c.at) ? c.at : null;
  const lateDays = Number.isInteger(c.lateDays) && (c.lateDays as number) >= 0 ? (c.lateDays as number) : null;
  return { field: c.field, offsets, at, lateDays };
}

export type DateFieldType = 'date' | 'datetime';

/** A field value as the key carries it ('YYYY-MM-DD' / canonical ISO), or null. */
export function dateValue(v: unknown, type: DateFieldType): string | null {
  if (typeof v !== 'string' || !v) return null;
  if (type === 'date') return addDays(v, 0) === v ? v : null;
  const t = Date.parse(v);
  return Number.isFinite(t) ? new Date(t).toISOString() : null;
}

/** The moment an offset of a value is due, or null if it is not a representable time. */
export function timerMoment(s: DateTriggerSettings, type: DateFieldType, value: string, offset: number, tz: string): Date | null {
  let out: Date | null;
  if (type === 'datetime' && s.at === null) {
    const t = Date.parse(value);
    out = Number.isFinite(t) ? new Date(t + offset * DAY) : null;
  } else {
    const day = type === 'date' ? value : Number.isFinite(Date.parse(value)) ? localDate(Date.parse(value), tz) : null;
    const shifted = day == null ? null : addDays(day, offset);
    out = shifted == null ? null : zonedInstant(shifted, s.at ?? '09:00', tz);
  }
  if (!out || !Number.isFinite(out.getTime()) || out.getTime() < 0 || out.getTime() > MAX_TIME) return null;
  return out;
}

export interface PlannedTimer {
  offset: number;
  moment: Date;
  /** The moment had passed when the timer was planned. */
  late: boolean;
}

/**
 * The timers a value should have now: every offset whose moment is still ahead, plus the latest
 * past one if it is within its lateness window (see the module comment).
 */
export function planTimers(s: DateTriggerSettings, type: DateFieldType, value: string, now: Date, tz: string): PlannedTimer[] {
  const out: PlannedTimer[] = [];
  let latestPast: PlannedTimer | null = null;
  for (const offset of s.offsets) {
    const moment = timerMoment(s, type, value, offset, tz);
    if (!moment) continue;
    if (moment.getTime() > now.getTime()) out.push({ offset, moment, late: false });
    else if (!latestPast || moment.getTime() > latestPast.moment.getTime()) latestPast = { offset, moment, late: true };
  }
  if (latestPast) {
    const late = s.lateDays ?? Math.max(1, -latestPast.offset);
    if (now.getTime() - latestPast.moment.getTime() <= late * DAY) out.unshift(latestPast);
  }
  return out;
}

/** Does a later offset of the same value, whose moment has also passed, take this one's place? */
export function supersededBy(s: DateTriggerSettings, type: DateFieldType, value: string, offset: number, now: Date, tz: string): number | null {
  const mine = timerMoment(s, type, value, offset, tz);
  if (!mine) return null;
  for (const o of s.offsets) {
    if (o === offset) continue;
    const m = timerMoment(s, type, value, o, tz);
    if (m && m.getTime() > mine.getTime() && m.getTime() <= now.getTime()) return o;
  }
  return null;
}

export function dateTimerKey(workflow: string, form: string, recordId: number, offset: number, value: string): string {
  return `${workflow}:${form}:${recordId}:${offset}:${value}`;
}

export interface DateTimerPayload {
  workflow: string;
  form: string;
  recordId: number;
  field: string;
  offset: number;
  value: string;
  /** The moment (ISO). */
  dueAt: string;
}

// ---------------------------------------------------------------------------------------------
// The service
// ---------------------------------------------------------------------------------------------

type Published = { def: WorkflowDef; revision: number };

export interface DateTimersOptions {
  db: Db;
  runtime: WorkflowRuntime;
  records: RecordService;
  jobs: JobQueue;
  logger: Logger;
  /** The clock (default: the rules clock). */
  now?: () => Date;
  /** Records per reconcile page (default 500). */
  pageSize?: number;
}

interface Bound {
  wf: Published;
  s: DateTriggerSettings;
  type: DateFieldType;
}

export class DateTimers {
  private readonly db: Db;
  private readonly runtime: WorkflowRuntime;
  private readonly records: RecordService;
  private readonly jobs: JobQueue;
  private readonly logger: Logger;
  private readonly now: () => Date;
  private readonly pageSize: number;
  private warned = new Set<string>();

  constructor(o: DateTimersOptions) {
    this.db = o.db;
    this.runtime = o.runtime;
    this.records = o.records;
    this.jobs = o.jobs;
    this.logger = o.logger;
    this.now = o.now ?? (() => new Date(rulesNow()));
    this.pageSize = Math.max(1, Math.min(o.pageSize ?? PAGE, 500));
    this.jobs.register(DATE_JOB, (job, trx) => this.fire(job, trx!));
  }

  /** The enabled, published date_relative workflows (optionally of one form). */
  workflows(form?: string): Published[] {
    return this.runtime.published().filter((w) => w.def.trigger.type === DATE_TRIGGER && w.def.enabled !== false && w.def.trigger.form != null && (form === undefined || w.def.trigger.form === form));
  }

  /** The workflows of a form whose settings and field are usable. */
  private bind(form: CompiledForm, wfs: Published[]): Bound[] {
    const out: Bound[] = [];
    for (const wf of wfs) {
      const s = dateTriggerSettings(wf.def);
      const f = s ? form.byKey.get(s.field) : undefined;
      if (!s || !f || (f.type !== 'date' && f.type !== 'datetime')) {
        const why = `${wf.def.key}@${wf.revision}`;
        if (!this.warned.has(why)) {
          this.warned.add(why);
          this.logger.warn('date_relative trigger ignored: its field is not a date or datetime field of the form', { workflow: wf.def.key, form: form.key, field: s?.field ?? null });
        }
        continue;
      }
      out.push({ wf, s, type: f.type });
    }
    return out;
  }

  /** Timers a record should have now, for these workflows. */
  private plan(form: CompiledForm, bound: Bound[], rec: ApiRecord, now: Date): Array<{ key: string; runAt: Date; payload: DateTimerPayload }> {
    const tz = getRulesTimeZone();
    const out = [];
    for (const b of bound) {
      const value = dateValue(rec[b.s.field], b.type);
      if (value == null) continue;
      for (const p of planTimers(b.s, b.type, value, now, tz)) {
        const key = dateTimerKey(b.wf.def.key, form.key, rec.id, p.offset, value);
        if (key.length > 255) continue;
        out.push({
          key, runAt: p.moment,
          payload: { workflow: b.wf.def.key, form: form.key, recordId: rec.id, field: b.s.field, offset: p.offset, value, dueAt: p.moment.toISOString() },
        });
      }
    }
    return out;
  }

  /** Write the planned timers that are missing (revive cancelled ones); returns how many. */
  private async write(trx: Knex.Transaction, plans: Array<{ key: string; runAt: Date; payload: DateTimerPayload }>): Promise<number> {
    let written = 0;
    for (let i = 0; i < plans.length; i += KEY_CHUNK) {
      const chunk = plans.slice(i, i + KEY_CHUNK);
      const rows: Array<{ idempotency_key: string; status: string }> = await trx('fw_jobs').whereIn('idempotency_key', chunk.map((p) => p.key)).select('idempotency_key', 'status');
      const status = new Map(rows.map((r) => [r.idempotency_key, r.status]));
      for (const p of chunk) {
        const st = status.get(p.key);
        if (st === undefined) {
          if ((await this.jobs.enqueue(trx, { kind: DATE_JOB, runAt: p.runAt, payload: p.payload, key: p.key })) != null) written++;
        } else if (st === 'cancelled') {
          // The value came back (A → B → A): the timer of A is due again. It never fired (cancelled
          // is only ever set on pending jobs), so reviving it cannot fire it twice.
          const n = await trx('fw_jobs').where({ idempotency_key: p.key, status: 'cancelled' }).update({
            status: 'pending', run_at: p.runAt.toISOString(), payload: JSON.stringify(p.payload), attempts: 0,
            last_error: null, locked_by: null, lease_until: null, done_at: null,
          });
          written += n;
        }
      }
    }
    return written;
  }

  /** The dispatcher hook: keep a record's timers in step with it (never fails the dispatch). */
  readonly onEvent: EventHook = async (trx, row, p) => {
    if (!row.form || row.recordId == null) return;
    if (row.event !== 'record.created' && row.event !== 'record.updated' && row.event !== 'record.deleted') return;
    const wfs = this.workflows(row.form);
    if (!wfs.length) return;
    const form = this.records.forms.peek(row.form);
    if (!form) return;
    try {
      await trx.transaction((sp) => this.sync(sp, form, this.bind(form, wfs), row.recordId!, row.event === 'record.deleted', p));
    } catch (e) {
      // The reconcile pass will write what is missing; stale timers check themselves when they fire.
      this.logger.warn('date timers could not be updated', { form: row.form, record: row.recordId, error: loggableError(e) });
    }
  };

  private async sync(trx: Knex.Transaction, form: CompiledForm, bound: Bound[], id: number, deleted: boolean, p: EventPayload): Promise<void> {
    if (!bound.length) return;
    const rec = deleted ? null : await this.records.query.getOne(form, id, {}, trx);
    const cancels = new Set<string>();
    for (const b of bound) {
      const current = rec ? dateValue(rec[b.s.field], b.type) : null;
      for (const old of [p.before?.[b.s.field], p.record?.[b.s.field]]) {
        const v = dateValue(old, b.type);
        if (v == null || v === current) continue;
        for (const o of b.s.offsets) cancels.add(dateTimerKey(b.wf.def.key, form.key, id, o, v));
      }
    }
    for (const key of cancels) await this.jobs.cancel(trx, key);
    if (rec) await this.write(trx, this.plan(form, bound, rec, this.now()));
  }

  /**
   * Write the missing timers of every record of every form with a date_relative workflow.
   * Runs outside any transaction (each page is one). Returns counts.
   */
  async reconcile(): Promise<{ scanned: number; written: number }> {
    await this.runtime.workflows.fresh();
    const byForm = new Map<string, Published[]>();
    for (const wf of this.workflows()) {
      const f = wf.def.trigger.form!;
      byForm.set(f, [...(byForm.get(f) ?? []), wf]);
    }
    let scanned = 0;
    let written = 0;
    if (!byForm.size) return { scanned, written };
    await this.records.forms.all(); // fresh forms
    for (const [formKey, wfs] of byForm) {
      const form = this.records.forms.peek(formKey);
      if (!form) continue;
      const bound = this.bind(form, wfs);
      if (!bound.length) continue;
      // Only records that can still have a timer: a plain date column at or after the earliest
      // date whose latest moment (with its lateness) may be ahead, a datetime column set. When a
      // field is not a plain column (a formula computed on read, encrypted), every record.
      const conds = bound.map((b) => {
        const f = form.columns.find((c) => c.key === b.s.field);
        if (!f?.column || f.sensitive) return null;
        if (b.type !== 'date') return { column: f.column, from: null };
        const reach = Math.max(...b.s.offsets.map((o) => o + (b.s.lateDays ?? Math.max(1, -o))));
        return { column: f.column, from: addDays(localDate(this.now().getTime(), getRulesTimeZone()), -reach - 2) };
      });
      const filterable = conds.every((c) => c !== null);
      let last = 0;
      for (;;) {
        const now = this.now();
        const page = await this.db.knex.transaction(async (trx) => {
          const q = trx(form.table).where('id', '>', last).orderBy('id').limit(this.pageSize);
          if (filterable) {
            q.where((w) => {
              for (const c of conds) if (c!.from) w.orWhere(c!.column, '>=', c!.from); else w.orWhereNotNull(c!.column);
            });
          }
          const ids = ((await q.select('id')) as Array<{ id: unknown }>).map((r) => Number(r.id));
          if (!ids.length) return { ids, n: 0 };
          const recs = await this.records.query.getMany(form, ids, {}, trx);
          const plans = recs.flatMap((r) => this.plan(form, bound, r, now));
          return { ids, n: plans.length ? await this.write(trx, plans) : 0 };
        });
        scanned += page.ids.length;
        written += page.n;
        if (page.ids.length < this.pageSize) break;
        last = page.ids[page.ids.length - 1]!;
      }
    }
    if (written) this.logger.info('date timers reconciled', { scanned, written });
    return { scanned, written };
  }

  /** A timer is due: start the workflow if everything still holds. */
  private async fire(job: Job, trx: Knex.Transaction): Promise<void> {
    const p = job.payload as DateTimerPayload;
    const skip = (why: string) => this.logger.debug('date timer skipped', { job: job.id, key: job.key, why });
    const wf = this.runtime.published().find((w) => w.def.key === p.workflow);
    if (!wf || wf.def.enabled === false || wf.def.trigger.type !== DATE_TRIGGER || wf.def.trigger.form !== p.form) return skip('workflow');
    const s = dateTriggerSettings(wf.def);
    if (!s || s.field !== p.field || !s.offsets.includes(p.offset)) return skip('settings');
    const form = this.records.forms.peek(p.form);
    const f = form?.byKey.get(p.field);
    if (!form || !f || (f.type !== 'date' && f.type !== 'datetime')) return skip('form');
    const rec = await this.records.query.getOne(form, p.recordId, {}, trx);
    if (!rec) return skip('record deleted');
    const value = dateValue(rec[p.field], f.type);
    if (value !== p.value) return skip('value changed');
    const tz = getRulesTimeZone();
    if (supersededBy(s, f.type, value, p.offset, this.now(), tz) != null) return skip('a later offset has passed too');
    if (wf.def.trigger.condition != null) {
      let ok = false;
      try {
        ok = truthy(applyRule(wf.def.trigger.condition, { ...rec, $before: null, $changed: [], $offset: p.offset }));
      } catch {
        ok = false;
      }
      if (!ok) return skip('condition');
    }
    const key = job.key ?? dateTimerKey(p.workflow, p.form, p.recordId, p.offset, p.value);
    const subject = { form: p.form, recordId: p.recordId };
    try {
      await trx.transaction((sp) =>
        this.runtime.start(sp, wf, subject, { key, by: null, context: { trigger: DATE_TRIGGER, field: p.field, value, offset: p.offset, dueAt: p.dueAt } }),
      );
    } catch (e) {
      this.logger.warn('workflow failed to start', { workflow: wf.def.key, timer: key, error: loggableError(e) });
      await this.runtime.recordFailedStart(trx, wf, subject, key, null, e);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Keeping timers and schedules reconciled
// ---------------------------------------------------------------------------------------------

export interface Reconcilable {
  reconcile(): Promise<unknown>;
  /** The published facts the pass depends on (a change triggers a pass). */
  workflows(): Published[];
}

/**
 * Runs the reconcile passes of date timers and schedules: at start-up, every `fullMs` (default
 * 10 minutes), and whenever the published workflows of those types (or the forms they use)
 * change, checked every `tickMs` (default 5 s, in memory). Never overlaps itself.
 */
export class TriggerReconciler {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private lastSig: string | null = null;
  private lastFull = 0;
  private stopped = true;

  constructor(
    private readonly runtime: WorkflowRuntime,
    private readonly records: RecordService,
    private readonly parts: Reconcilable[],
    private readonly logger: Logger,
  ) {}

  private signature(): string {
    const parts: string[] = [];
    for (const p of this.parts) {
      for (const w of p.workflows()) {
        const f = w.def.trigger.form ? this.records.forms.peek(w.def.trigger.form) : undefined;
        parts.push(`${w.def.key}@${w.revision}/${f ? `${f.key}@${f.revision}` : '-'}`);
      }
    }
    return parts.sort().join(',');
  }

  /** A full pass (`force`), or one only if the published workflows changed since the last. */
  reconcile(opts: { force?: boolean } = {}): Promise<void> {
    if (this.running) return this.running.then(() => (opts.force ? this.reconcile(opts) : undefined));
    this.running = (async () => {
      try {
        await this.runtime.workflows.fresh();
        await this.records.forms.all();
        const sig = this.signature();
        if (!opts.force && sig === this.lastSig) return;
        for (const p of this.parts) await p.reconcile();
        this.lastSig = sig;
        this.lastFull = Date.now();
      } finally {
        this.running = null;
      }
    })();
    return this.running;
  }

  start(opts: { tickMs?: number; fullMs?: number } = {}): void {
    if (!this.stopped) return;
    this.stopped = false;
    const tickMs = opts.tickMs ?? 5000;
    const fullMs = opts.fullMs ?? 600_000;
    let first = true;
    const tick = async () => {
      if (this.stopped) return;
      const force = first || Date.now() - this.lastFull >= fullMs;
      first = false;
      await this.reconcile({ force }).catch((e) => this.logger.error('trigger reconcile failed', { error: loggableError(e) }));
      if (!this.stopped) this.timer = setTimeout(tick, tickMs);
    };
    this.timer = setTimeout(tick, 0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.running) await this.running.catch(() => undefined);
  }
}
