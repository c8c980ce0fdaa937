/**
 * Removing files nobody can reach any more: uploads never attached to a record within a day
 * (a form abandoned after the upload), and files of records that no longer exist (deleted
 * records' files usually go with the delete itself; this catches any other path).
 *
 * It runs as a durable job (`files.cleanup`, workflow/jobs.ts) once an hour: each run queues the
 * next under an idempotency key naming its hour, so several engine processes on one database
 * keep one chain between them. `formwork serve` queues the first.
 */
import type { Knex } from 'knex';
import type { FormRegistry } from '../records/form-registry.js';
import type { JobQueue } from '../workflow/jobs.js';
import { quoteId } from '../store/connection.js';
import { FILES_TABLE } from './file-store.js';

export const FILES_CLEANUP_JOB = 'files.cleanup';
/** Unattached files older than this are removed. */
export const UNATTACHED_TTL_MS = 24 * 60 * 60 * 1000;
const HOUR = 60 * 60 * 1000;

export interface CleanupResult {
  unattached: number;
  orphaned: number;
}

export async function cleanupFiles(trx: Knex, forms: FormRegistry, now: Date): Promise<CleanupResult> {
  const cutoff = new Date(now.getTime() - UNATTACHED_TTL_MS).toISOString();
  const unattached = await trx(FILES_TABLE).whereNull('record_id').where('created_at', '<', cutoff).delete();
  let orphaned = 0;
  const attachedForms = (await trx(FILES_TABLE).whereNotNull('record_id').distinct('form')).map((r: any) => String(r.form));
  for (const key of attachedForms) {
    const form = forms.peek(key);
    if (!form) continue; // not published (any more): its table's fate is not ours to judge
    orphaned += await trx(FILES_TABLE)
      .where({ form: key })
      .whereNotNull('record_id')
      .whereRaw(`not exists (select 1 from ${quoteId(form.table)} t where t.id = ${FILES_TABLE}.record_id)`)
      .delete();
  }
  return { unattached, orphaned };
}

const hourSlot = (t: number) => new Date(Math.floor(t / HOUR) * HOUR + HOUR);

/** Registers the hourly job with the queue. */
export function registerFileCleanup(jobs: JobQueue, forms: FormRegistry): void {
  jobs.register(FILES_CLEANUP_JOB, async (job, trx) => {
    await cleanupFiles(trx!, forms, new Date());
    // The hour after this run's own slot (its key names it), or after now when it ran late.
    const own = Date.parse(String(job.key ?? '').slice(FILES_CLEANUP_JOB.length + 1));
    const next = hourSlot(Math.max(Date.now(), Number.isFinite(own) ? own : Date.parse(job.runAt)));
    await jobs.enqueue(trx!, { kind: FILES_CLEANUP_JOB, runAt: next, key: `${FILES_CLEANUP_JOB}:${next.toISOString()}` });
  });
}

/** Queues the next hourly run (a no-op when it is queued already). */
export async function scheduleFileCleanup(jobs: JobQueue, knex: Knex): Promise<void> {
  const next = hourSlot(Date.now());
  await jobs.enqueue(knex, { kind: FILES_CLEANUP_JOB, runAt: next, key: `${FILES_CLEANUP_JOB}:${next.toISOString()}` });
}
