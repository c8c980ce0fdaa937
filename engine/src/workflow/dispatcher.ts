/**
 * The dispatcher: event (an outbox row committed with the write that caused it) → matching
 * workflows started → the row marked processed, all in one transaction. Each start carries an
 * idempotency key (workflow + event) under a unique index, and on PostgreSQL rows are claimed
 * with FOR UPDATE SKIP LOCKED, so several engine processes start each workflow once per event.
 * A workflow that fails to start is recorded as a failed run (retryable), never blocking the rest.
 */
import type { Knex } from 'knex';
import type { Db } from '../store/connection.js';
import { nowIso } from '../store/system.js';
import { applyRule, truthy } from '../rules/operations.js';
import type { Logger } from '../http/logger.js';
import { loggableError } from '../errors.js';
import type { WorkflowRuntime } from './runtime.js';
import type { WorkflowDef } from './types.js';

interface OutboxRow {
  id: number;
  event: string;
  form: string | null;
  record_id: number | null;
  payload: string;
}

export interface EventPayload {
  record?: Record<string, unknown>;
  before?: Record<string, unknown>;
  changed?: string[];
  by?: number | null;
  silent?: boolean;
  cause?: { workflow: string; instance: number } | null;
  workflow?: string;
  status?: string;
}

/** Does this workflow's trigger fire for this event? */
export function triggerMatches(def: WorkflowDef, row: { event: string; form: string | null }, p: EventPayload): boolean {
  if (def.enabled === false) return false;
  const t = def.trigger;
  if (p.silent && def.settings?.skipBulk) return false;
  if (p.cause?.workflow === def.key) return false; // a workflow's own writes never restart it
  switch (t.type) {
    case 'record_created':
      if (row.event !== 'record.created' || row.form !== t.form) return false;
      break;
    case 'record_updated': {
      if (row.event !== 'record.updated' || row.form !== t.form) return false;
      const fields = (t.config?.fields as string[] | undefined) ?? [];
      if (fields.length && !fields.some((f) => p.changed?.includes(f))) return false;
      break;
    }
    case 'record_saved':
      if ((row.event !== 'record.created' && row.event !== 'record.updated') || row.form !== t.form) return false;
      break;
    case 'workflow_finished':
      if (row.event !== 'workflow.finished' || p.workflow !== t.config?.workflow) return false;
      if (t.config?.status && t.config.status !== p.status) return false;
      break;
    default:
      return false;
  }
  if (t.condition != null) {
    const data = { ...(p.record ?? {}), $before: p.before ?? null, $changed: p.changed ?? [] };
    try {
      if (!truthy(applyRule(t.condition, data))) return false;
    } catch {
      return false;
    }
  }
  return true;
}

/** Something else that wants every event in the dispatcher's transaction (date-relative timers…). */
export type EventHook = (trx: Knex.Transaction, row: { id: number; event: string; form: string | null; recordId: number | null }, payload: EventPayload) => Promise<void>;

class StaleMetadata extends Error {}

export class Dispatcher {
  private timer: NodeJS.Timeout | null = null;
  private hooks: EventHook[] = [];
  private running: Promise<unknown> | null = null;
  private stopped = true;

  constructor(
    private readonly db: Db,
    private readonly runtime: WorkflowRuntime,
    private readonly logger: Logger,
  ) {}

  onEvent(hook: EventHook): void {
    this.hooks.push(hook);
  }

  /**
   * Process up to `limit` pending events; returns how many. SQLite has one writer, so its
   * batches stay small: requests wait behind the dispatcher's transaction.
   */
  async dispatchOnce(limit = this.db.dialect === 'sqlite' ? 20 : 100): Promise<number> {
    await this.runtime.workflows.fresh();
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.dispatchBatch(limit, attempt < 3);
      } catch (e) {
        if (!(e instanceof StaleMetadata)) throw e;
        // Another process published since our caches were loaded: load them and claim again.
        await this.runtime.workflows.load();
        await this.runtime.forms.load();
      }
    }
  }

  private async dispatchBatch(limit: number, checkVersion: boolean): Promise<number> {
    const published = this.runtime.published();
    const loaded = this.runtime.workflows.loadedVersion;
    return this.db.knex.transaction(async (trx) => {
      const q = trx('fw_outbox').whereNull('processed_at').orderBy('id').limit(limit).select('id', 'event', 'form', 'record_id', 'payload');
      if (this.db.dialect === 'pg') q.forUpdate().skipLocked();
      const rows = (await q) as OutboxRow[];
      // The events claimed may have been written after a publish our caches have not seen yet
      // (another process published): never match them against an older set of workflows.
      if (checkVersion && rows.length && this.db.dialect === 'pg') {
        const v = await trx('fw_meta_version').where({ id: 1 }).first();
        if (Number(v?.version) !== loaded) throw new StaleMetadata();
      }
      for (const row of rows) {
        const p = JSON.parse(row.payload) as EventPayload;
        for (const hook of this.hooks) {
          await hook(trx, { id: Number(row.id), event: row.event, form: row.form, recordId: row.record_id == null ? null : Number(row.record_id) }, p);
        }
        for (const wf of published) {
          if (!triggerMatches(wf.def, row, p)) continue;
          await this.startOne(trx, wf, row, p);
        }
      }
      if (rows.length) await trx('fw_outbox').whereIn('id', rows.map((r) => r.id)).update({ processed_at: nowIso() });
      return rows.length;
    });
  }

  private async startOne(trx: Knex.Transaction, wf: { def: WorkflowDef; revision: number }, row: OutboxRow, p: EventPayload): Promise<void> {
    const key = `${wf.def.key}:event:${row.id}`;
    const subject = row.event === 'workflow.finished'
      ? { form: row.form, recordId: row.record_id == null ? null : Number(row.record_id) }
      : { form: row.form, recordId: row.record_id == null ? null : Number(row.record_id) };
    try {
      await trx.transaction((sp) => this.runtime.start(sp, wf, subject, { key, by: p.by ?? null, context: { event: row.event } }));
    } catch (e) {
      this.logger.warn('workflow failed to start', { workflow: wf.def.key, event: row.id, error: loggableError(e) });
      await this.runtime.recordFailedStart(trx, wf, subject, key, p.by ?? null, e);
    }
  }

  /** Dispatch until no events are pending (tests, the CLI). */
  async drain(maxRounds = 1000): Promise<void> {
    for (let i = 0; i < maxRounds; i++) if ((await this.dispatchOnce()) === 0) return;
  }

  start(intervalMs = 250): void {
    if (!this.stopped) return;
    this.stopped = false;
    const tick = async () => {
      if (this.stopped) return;
      const run = this.dispatchOnce().catch((e) => {
        this.logger.error('dispatcher failed', { error: loggableError(e) });
        return 0;
      });
      this.running = run;
      const n = await run;
      this.running = null;
      // A backlog is worked off batch after batch (yielding to requests in between); an idle
      // outbox is polled every `intervalMs`.
      if (!this.stopped) this.timer = setTimeout(tick, n > 0 ? 0 : intervalMs);
    };
    this.timer = setTimeout(tick, 0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.running) await this.running;
  }
}
