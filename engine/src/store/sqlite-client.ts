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

/** Prepared statements kept per connection, by SQL text (most used first to stay). */
const STATEMENT_CACHE_SIZE = 500;
const statements = new WeakMap<object, Map<string, Statement>>();

interface Statement {
  reader: boolean;
  all(bindings: unknown[]): unknown[];
  run(bindings: unknown[]): { changes: number; lastInsertRowid: number | bigint };
}

export class SqliteClient extends BetterSqlite3Client {
  /**
   * knex's better-sqlite3 `_query`, with two changes: the event loop's turns (above), and each
   * statement prepared once per connection and reused — preparing was a fifth of a create's
   * database time. SQLite re-prepares a kept statement by itself after a schema change.
   */
  override async _query(connection: any, obj: any): Promise<unknown> {
    if (!obj.sql) throw new Error('The query is empty');
    if (!connection) throw new Error('No connection provided');
    // A kept statement would keep the option for every later use: refused rather than leaked.
    if (typeof obj.options?.safeIntegers === 'boolean') throw new Error('safeIntegers is not supported by the engine\'s SQLite client');
    const wait = yieldIfDue();
    if (wait) await wait;
    const statement = this.prepared(connection, obj.sql);
    const bindings = (this as any)._formatBindings(obj.bindings) as unknown[];
    if (statement.reader) {
      obj.response = statement.all(bindings);
      return obj;
    }
    const response = statement.run(bindings);
    obj.response = response;
    obj.context = { lastID: response.lastInsertRowid, changes: response.changes };
    return obj;
  }

  private prepared(connection: any, sql: string): Statement {
    let cache = statements.get(connection);
    if (!cache) statements.set(connection, (cache = new Map()));
    let statement = cache.get(sql);
    if (statement) {
      // most recently used last: the first key is the one to drop
      cache.delete(sql);
      cache.set(sql, statement);
      return statement;
    }
    statement = connection.prepare(sql) as Statement;
    if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
    cache.set(sql, statement);
    return statement;
  }
}
