/**
 * The PostgreSQL client: knex's own `pg` dialect, with statements the engine runs again and
 * again sent as named (prepared) statements.
 *
 * Why: most of PostgreSQL's work on the engine's short statements is parsing and planning them,
 * every time. A named statement is parsed once per connection, and after five runs PostgreSQL
 * keeps a generic plan when it costs no more than the custom ones (its `plan_cache_mode = auto`,
 * as every JDBC or Npgsql application gets). Measured on the workflow benchmark: the database's
 * CPU per task completion halves (bench/README.md, "The PostgreSQL client").
 *
 * What is named, and what is not:
 *  - a statement with bindings, seen at least twice by this process (a one-off bulk insert is not
 *    worth a server-side statement);
 *  - at most `maxNamedPerConnection` (1,000) names per connection (server memory stays bounded however many
 *    shapes of list queries users make); beyond that, statements go unnamed as before;
 *  - not a statement that returns `*` of a form's table (`t_…`): publishing a form changes its
 *    columns, and a prepared `*` may not change its result type. Every other statement is safe
 *    across schema changes: PostgreSQL re-plans a prepared statement when a table it uses
 *    changes, and a change of a named column list is a different text, so a different name.
 *  - Should a prepared statement fail anyway for that reason (`cached plan must not change result
 *    type`, or gone after a DISCARD), its text gets a new name for every connection; outside a
 *    transaction the statement is run again at once, inside one the error stands (the
 *    transaction is aborted) and the caller sees it once.
 *  - FORMWORK_PG_PREPARED=off sends every statement unnamed (behind a pooler in transaction mode,
 *    which cannot keep a connection's prepared statements; or to compare).
 */
import crypto from 'node:crypto';
// @ts-ignore - knex's own dialect class (the deep import has no types)
import PgDialect from 'knex/lib/dialects/postgres/index.js';

const MAX_TEXTS = 20_000;

/** Per statement text: how often seen, and its name's generation (bumped when a prepared one broke). */
const texts = new Map<string, { seen: number; name: string | null; generation: number }>();

const TRANSACTION_CONTROL = /^\s*(begin|commit|rollback|savepoint|release|set|show|reset|discard|deallocate|listen|notify)\b/i;
/** `select *`, `select "t".*` or `returning *`: the whole row, whatever the table's columns are. */
const WHOLE_ROW = /\b(select|returning)\s+(?:"\w+"\.)?\*/i;
const FORM_TABLE = /"t_[a-z0-9_]*"/;

/** The name to send a statement under, or undefined (unnamed). Exported for the tests. */
export function statementName(sql: string, bindings: unknown[] | undefined): string | undefined {
  if (!bindings?.length || TRANSACTION_CONTROL.test(sql)) return undefined;
  if (WHOLE_ROW.test(sql) && FORM_TABLE.test(sql)) return undefined;
  let t = texts.get(sql);
  if (!t) {
    if (texts.size >= MAX_TEXTS) texts.clear();
    t = { seen: 0, name: null, generation: 0 };
    texts.set(sql, t);
  }
  if (++t.seen < 2) return undefined;
  t.name ??= `fw${t.generation}_${crypto.createHash('sha1').update(sql).digest('base64url').slice(0, 22)}`;
  return t.name;
}

/** A prepared statement of this text broke: the next use prepares it again under a new name. */
function renameText(sql: string): void {
  const t = texts.get(sql);
  if (t) {
    t.generation++;
    t.name = null;
  }
}

/** Errors of a named statement that preparing it again fixes. */
function preparedStatementBroke(e: any): boolean {
  return (e?.code === '0A000' && /cached plan must not change result type/.test(String(e.message))) || e?.code === '26000';
}

export class PgClient extends (PgDialect as any) {
  // Settings are static: knex makes a transaction's client from this prototype, not this instance.
  /** FORMWORK_PG_PREPARED=off: every statement unnamed (a pooler in transaction mode, or to compare). */
  static prepared = process.env.FORMWORK_PG_PREPARED !== 'off';
  /** Names a connection may hold (server memory); more statements than that go unnamed. */
  static maxNamedPerConnection = 1000;

  _query(connection: any, obj: any): Promise<unknown> {
    const name = obj.sql && PgClient.prepared ? statementName(obj.sql, obj.bindings) : undefined;
    if (!name) return super._query(connection, obj);
    const named: Set<string> = (connection.__fwNamed ??= new Set<string>());
    if (!named.has(name) && named.size >= PgClient.maxNamedPerConnection) return super._query(connection, obj);
    named.add(name);
    const run = (n: string) => super._query(connection, { ...obj, options: { ...(obj.options ?? {}), name: n } });
    return run(name).catch((e: unknown) => {
      if (!preparedStatementBroke(e)) throw e;
      renameText(obj.sql);
      named.delete(name);
      if (connection.__knexTxId) throw e;
      return super._query(connection, obj);
    });
  }
}
