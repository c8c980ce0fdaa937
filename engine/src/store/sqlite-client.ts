/**
 * The engine's SQLite client: knex's better-sqlite3 dialect, which runs each statement in this
 * thread — about five times less work per statement than the sqlite3 driver's hop through libuv's
 * thread pool — made to give the event loop a turn at least every SLICE_MS of back-to-back
 * statements. A statement that runs in this thread resolves its promise without the loop turning,
 * so without the turn a long import or dispatch batch would hold every HTTP request (and every
 * timer) until it ended.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
// knex has no typings for its dialect classes; the class is knex's own better-sqlite3 client.
const BetterSqlite3Client = require('knex/lib/dialects/better-sqlite3/index.js') as new (config: unknown) => {
  _query(connection: unknown, obj: unknown): Promise<unknown>;
};

/** Longest run of statements without letting anything else run, in milliseconds. */
export const SLICE_MS = 8;

let turned = true; // the event loop has turned since the current slice began
let sliceStart = 0;

/** null when the statement may run now; otherwise a promise that resolves after the loop turned. */
function yieldIfDue(): Promise<void> | null {
  if (turned) {
    turned = false;
    sliceStart = performance.now();
    setImmediate(() => {
      turned = true;
    });
    return null;
  }
  if (performance.now() - sliceStart < SLICE_MS) return null;
  // The marker above was queued first, so it has run (and `turned` is set) when this resolves.
  return new Promise((resolve) => setImmediate(resolve));
}

export class SqliteClient extends BetterSqlite3Client {
  override async _query(connection: unknown, obj: unknown): Promise<unknown> {
    const wait = yieldIfDue();
    if (wait) await wait;
    return super._query(connection, obj);
  }
}
