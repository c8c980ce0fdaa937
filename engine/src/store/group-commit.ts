/**
 * Group commit for SQLite: writes that arrive while a transaction is open share the next one.
 * SQLite has one writer, so concurrent creates queue anyway; sharing BEGIN and COMMIT saves two
 * statements each (a create is then its row, its audit entry and its event).
 *
 * Only for work whose single failure point is its first write (a constraint on the row's
 * INSERT, which SQLite undoes by itself while the transaction goes on) or whose errors come
 * before any write (validation, permission, relation checks). `refused(e)` tells such errors
 * apart: they fail that piece of work alone. Anything else aborts the shared transaction, and
 * every piece of work in it runs again in a transaction of its own, so one writer's surprise
 * never fails another's request.
 */
import type { Knex } from 'knex';

interface Work<T> {
  run: (trx: Knex.Transaction) => Promise<T>;
  resolve: (v: T) => void;
  reject: (e: unknown) => void;
  result?: { ok: true; value: T } | { ok: false; error: unknown };
}

export class GroupCommit {
  private queue: Work<any>[] = [];
  private draining = false;
  /** Pieces of work per shared transaction, at most. */
  maxBatch = 64;

  constructor(
    private readonly knex: Knex,
    private readonly refused: (e: unknown) => boolean,
  ) {}

  run<T>(run: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ run, resolve, reject });
      if (!this.draining) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.queue.length) {
        const batch = this.queue.splice(0, this.maxBatch);
        try {
          await this.knex.transaction(async (trx) => {
            for (const w of batch) {
              try {
                w.result = { ok: true, value: await w.run(trx) };
              } catch (e) {
                if (!this.refused(e)) throw e;
                w.result = { ok: false, error: e };
              }
            }
          });
        } catch {
          // The shared transaction is gone: each piece again, alone.
          for (const w of batch) {
            try {
              w.result = { ok: true, value: await this.knex.transaction((trx) => w.run(trx)) };
            } catch (e) {
              w.result = { ok: false, error: e };
            }
          }
        }
        for (const w of batch) {
          const r = w.result!;
          if (r.ok) w.resolve(r.value);
          else w.reject(r.error);
        }
      }
    } finally {
      this.draining = false;
    }
  }
}
