/**
 * The workflow engine: durable jobs, the runtime with its node plug-ins, the dispatcher from
 * the outbox, email, and the record lock while an approval runs.
 */
import { openAsyncCommitPool } from '../store/connection.js';
import type { Engine } from '../app.js';
import { PublishedCache } from '../documents/published-cache.js';
import { conflict } from '../errors.js';
import { JobQueue } from './jobs.js';
import { WorkflowRuntime } from './runtime.js';
import { Dispatcher } from './dispatcher.js';
import { builtinNodes } from './nodes/index.js';
import { registerEmail } from './email.js';
import { registerWebhookDelivery } from './webhook-delivery.js';
import type { WorkflowDef } from './types.js';
import { defaultWorkflowRegistry } from '../meta/workflow-schema.js';
import { TRIGGER_TYPES } from './triggers.js';
import { DateTimers, TriggerReconciler } from './timers.js';
import { ScheduleTriggers } from './schedules.js';

export interface WorkflowEngine {
  jobs: JobQueue;
  runtime: WorkflowRuntime;
  dispatcher: Dispatcher;
  timers: DateTimers;
  schedules: ScheduleTriggers;
  /** Start the background loops (dispatcher, job runner, trigger reconcile: at once, then every reconcileMs and on publish). */
  start(opts?: { dispatchMs?: number; jobsMs?: number; reconcileMs?: number }): void;
  stop(): Promise<void>;
  /** Stop, and close what the workflow engine opened of its own (the job runner's pool). */
  close(): Promise<void>;
  /** Dispatch events and run due jobs until nothing is left (tests, scripts). */
  drain(): Promise<void>;
  /** Write missing date timers and put schedule jobs right (a full pass; timers.ts, schedules.ts). */
  reconcile(): Promise<void>;
}

export type { WorkflowDef };

export function createWorkflowEngine(engine: Pick<Engine, 'db' | 'docs' | 'records' | 'logger'>): WorkflowEngine {
  // PostgreSQL runs a claimed batch 4 jobs at a time (a pool connection each); SQLite has one writer.
  const asyncCommitPool = engine.db.dialect === 'pg' ? openAsyncCommitPool(engine.db, 4) : undefined;
  const jobs = new JobQueue(engine.db, { logger: engine.logger, concurrency: engine.db.dialect === 'pg' ? 4 : 1, asyncCommitPool });
  const workflows = new PublishedCache<WorkflowDef>(engine.docs, 'workflows', (doc, revision) => ({ ...doc, __revision: revision }) as WorkflowDef);
  const runtime = new WorkflowRuntime(engine.db, engine.docs, workflows, engine.records, jobs);
  for (const n of builtinNodes(runtime)) {
    runtime.register(n);
    defaultWorkflowRegistry.registerNode(n.info);
  }
  for (const t of TRIGGER_TYPES) defaultWorkflowRegistry.registerTrigger(t);
  const dispatcher = new Dispatcher(engine.db, runtime, engine.logger);
  dispatcher.onEvent(async (trx, row) => {
    if (row.event === 'record.updated' && row.form && row.recordId != null) await runtime.onRecordChanged(trx, row.form, row.recordId);
  });
  registerEmail(engine.db, jobs, engine.logger);
  registerWebhookDelivery(engine.db, jobs, runtime, engine.logger);
  const timers = new DateTimers({ db: engine.db, runtime, records: engine.records, jobs, logger: engine.logger });
  const schedules = new ScheduleTriggers({ db: engine.db, runtime, jobs, logger: engine.logger });
  dispatcher.onEvent(timers.onEvent);
  const reconciler = new TriggerReconciler(runtime, engine.records, [timers, schedules], engine.logger);

  engine.records.lockCheck = async (trx, actor, form, id, keys) => {
    // Only records of forms some workflow starts on can be in a workflow: skip the look-up otherwise.
    if (!runtime.published().some((w) => w.def.trigger.form === form.key)) return;
    for (const lock of await runtime.locksOn(trx, form.key, id)) {
      const editable = (actor.userId != null ? lock.editable.get(actor.userId) : undefined) ?? [];
      if (editable.includes('*')) continue;
      const blocked = keys.filter((k) => !editable.includes(k));
      if (blocked.length) {
        throw conflict('记录正在审批中，不能修改', `The record is locked by the running workflow '${lock.workflow}'`, { workflow: lock.workflow, instance: lock.instance, fields: blocked });
      }
    }
  };

  return {
    jobs, runtime, dispatcher, timers, schedules,
    start(opts = {}) {
      dispatcher.start(opts.dispatchMs ?? 250);
      jobs.start({ intervalMs: opts.jobsMs ?? 1000 });
      reconciler.start({ fullMs: opts.reconcileMs ?? 600_000 });
    },
    async stop() {
      await reconciler.stop();
      await dispatcher.stop();
      await jobs.stop();
    },
    async close() {
      await this.stop();
      await asyncCommitPool?.destroy();
    },
    reconcile: () => reconciler.reconcile({ force: true }),
    async drain() {
      await reconciler.reconcile(); // only when the published date/schedule workflows changed
      // Bounded, but far beyond any backlog a test or script builds up.
      for (let i = 0; i < 100_000; i++) {
        const events = await dispatcher.dispatchOnce();
        const ran = await jobs.runDue();
        if (!events && !ran) return;
      }
    },
  };
}
