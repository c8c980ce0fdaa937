/**
 * json-logic → parameterised SQL, for list filters and row-level permission scopes.
 *
 * Isomorphic (no database imports): it only builds text. The output is a boolean SQL condition
 * with `?` placeholders (knex.raw style) in both dialects and the values in `bindings`; a value
 * is never interpolated into the SQL. Field references come from `ctx.field(key)`, which returns
 * an already-quoted column expression and the field's FieldDef (system columns come through the
 * same resolver with a synthetic FieldDef: 'id' number, '_createdAt' datetime, '_owner' user…).
 *
 * ## Agreement with the evaluator
 *
 * For every expression this compiler accepts, `SELECT … WHERE <sql>` selects exactly the records
 * for which `applyRule(expr, apiRecord)` (operations.ts) is truthy, on SQLite and PostgreSQL
 * (a property-based test checks it on both). The semantics are the ones documented in
 * operations.ts: ordering comparisons with a null side are false; `==` with null is true only
 * when both are null; no type coercion; strings order by code point; json-logic truthiness.
 * Every condition compiles to a two-valued SQL expression (never NULL), so `!` is plain NOT.
 * Whatever the compiler cannot translate faithfully it refuses with AppError('bad_request').
 *
 * A sub-expression that reads no record field (literals, `{"var": "$user.id"}` from ctx.vars,
 * `today`, `now`, `date_add`, `date_diff`, `+ - * / %`, `min`, `max`, `cat`, `substr`, `lower`,
 * `upper`, `trim`, `round`, `length`, `merge`, and the conditions below over such values) is
 * evaluated at compile time by the evaluator itself and bound as a value (or becomes 1=1 / 1=0).
 *
 * ## The subset (F = a field, v = a value as above, `x` = the bound value)
 *
 * | expression | SQL |
 * |------------|-----|
 * | `{"var": "k"}` as a condition (json-logic truthiness) | boolean: `F = true`; text: `F <> ''`; number/money: `F <> 0`; date/datetime/object: `F IS NOT NULL`; tags/arrays: non-empty JSON array (all also `F IS NOT NULL AND …`) |
 * | `!!` [c] / `!` [c] | the condition / `NOT (…)` |
 * | `and` / `or` [c…] | `(… AND …)` / `(… OR …)`; no operands → 1=0 (json-logic's `and`/`or` of nothing is falsy) |
 * | `==` `===` [F, null] | `F IS NULL` |
 * | `==` `===` [F, v] | `(F IS NOT NULL AND F = ?)` — either order; outside any NOT, `(F = ?)` (also `<`… and `in` [F, [v…]]: see Pred) |
 * | `==` `===` [F, G] | `F IS G` (SQLite) / `F IS NOT DISTINCT FROM G` (PostgreSQL); same kind of field only |
 * | `!=` `!==` | `NOT (` the `==` form `)` |
 * | `<` `<=` `>` `>=` [F, v] | `(F IS NOT NULL AND F op ?)` — either order (flipped); v null → 1=0. Text: `COLLATE "C"` on PostgreSQL (code point order, as SQLite's BINARY) |
 * | `<` `<=` `>` `>=` [F, G] | `(F IS NOT NULL AND G IS NOT NULL AND F op G)`; same kind of field only |
 * | `<` `<=` [a, b, c] | `[a, b] AND [b, c]` (between) |
 * | `in` [F, [v…]] | `(F IS NOT NULL AND F IN (?, …))`, `OR F IS NULL` when the list holds null; empty list → 1=0 |
 * | `in` [v, F] (tags, multiselect, multiple user/department) / `contains` [F, v] | SQLite `EXISTS (SELECT 1 FROM json_each(F) WHERE value = ?)`; PostgreSQL `F::jsonb @> ?::jsonb` with `[v]` |
 * | `in` [v, F] (text) / `contains` [F, v] | SQLite `instr(F, ?) > 0`; PostgreSQL `F LIKE ? ESCAPE '!'` with `%v%` escaped; case-sensitive on both, as the evaluator. '' → `F IS NOT NULL` |
 * | `starts_with` / `ends_with` [F, v] | SQLite `substr(F, 1, length(?)) = ?` / `substr(F, -length(?)) = ?`; PostgreSQL `F LIKE ? ESCAPE '!'` with `v%` / `%v`; case-sensitive |
 * | `is_empty` [F] | text: `(F IS NULL OR F = '')`; JSON: `F IS NULL` or the value `[]` or `{}`; other: `F IS NULL` |
 *
 * Values are checked against the field and converted with `toColumnValue` (money 12.34 → 1234
 * minor units, and must have at most two decimals; number fields bind the number as given).
 * Text, select, phone… take strings; number, percent, relation, user and department numbers;
 * date a valid 'YYYY-MM-DD'; datetime the canonical ISO form `YYYY-MM-DDTHH:mm:ss.sssZ` (as
 * the API returns it), or a date 'YYYY-MM-DD' for ordering comparisons, compiled to agree with
 * string order (datetime > '2024-05-01' ⇔ datetime ≥ '2024-05-01T00:00:00.000Z'; `==` with a
 * date is never true); boolean true/false. Ordering needs text, number, money, date or
 * datetime; JSON fields (tags, attachments, address…) support only null comparisons,
 * `is_empty`, truthiness and (arrays) membership. Subtables cannot be filtered on.
 *
 * ## Refused (AppError 'bad_request', naming the field or operation)
 * An unknown field or variable; an unknown operation, or one outside the subset applied to a
 * field (`+` on a field, `if`, `matches`…); a `var` default on a field; wrong arity; an object
 * with other than one key; a value of the wrong type for the field (a number field compared
 * with a string or an object); lists longer than 1000 items; operations nested deeper than 32;
 * more than 10,000 nodes; non-JSON values. `null`/`undefined` as the whole expression means
 * "no condition" (1=1).
 */
import type { FieldDef } from '../meta/types.js';
import { columnKind, fromColumnValue, FIELD_TYPE_SPECS, toColumnValue } from '../meta/field-types.js';
import { AppError, msg } from '../errors.js';
import { applyRule, compareValues, isNil, parseDate, RULE_OPERATIONS, rulesEqual, truthy } from './operations.js';

export interface SqlField {
  /** An already-quoted column expression, e.g. "t"."budget". */
  sql: string;
  field: FieldDef;
}

export interface FilterContext {
  dialect: 'sqlite' | 'pg';
  /** Field key → its column, or undefined when unknown (or not visible to the caller). */
  field(key: string): SqlField | undefined;
  /** Variables a rule may read, by first path segment: `{ $user: { id: 7 } }` serves `{"var": "$user.id"}`. */
  vars?: Record<string, unknown>;
  /**
   * Operations a caller adds for its own language (the report compiler's `no_related`): called
   * with the operation's arguments for a condition whose operation is not built in. Its SQL is
   * used as a condition as it stands (it must be two-valued, never NULL).
   */
  custom?: Record<string, (args: unknown[]) => CompiledFilter>;
}

export interface CompiledFilter {
  sql: string;
  bindings: unknown[];
}

export const FILTER_LIMITS = { depth: 32, listItems: 1000, nodes: 10_000 } as const;

export const SQL_TRUE = '1=1';
export const SQL_FALSE = '1=0';

/** Operations the compile-time evaluator may run on values that read no field. */
const VALUE_OPS = new Set([
  'today', 'now', 'date_add', 'date_diff', '+', '-', '*', '/', '%', 'min', 'max', 'cat', 'substr',
  'lower', 'upper', 'trim', 'round', 'length', 'merge',
]);
/** Conditions the compiler translates (and may also fold when they read no field). */
const CONDITION_OPS = new Set([
  '==', '===', '!=', '!==', '<', '<=', '>', '>=', '!', '!!', 'and', 'or', 'in', 'contains',
  'starts_with', 'ends_with', 'is_empty',
]);

const ARITY: Record<string, number[]> = {
  '==': [2], '===': [2], '!=': [2], '!==': [2], '<': [2, 3], '<=': [2, 3], '>': [2], '>=': [2],
  '!': [1], '!!': [1], in: [2], contains: [2], starts_with: [2], ends_with: [2], is_empty: [1],
};

function checkArity(op: string, args: unknown[]): void {
  const n = own(ARITY, op) ? ARITY[op]! : null;
  if (n && !n.includes(args.length)) {
    throw bad(`运算「${op}」的参数个数不对`, `operation '${op}' takes ${n.join(' or ')} argument(s), got ${args.length}`, { operation: op });
  }
}

type Cls = 'string' | 'number' | 'money' | 'date' | 'datetime' | 'boolean' | 'array' | 'jsonArray' | 'jsonObject';
const ORDERED: ReadonlySet<Cls> = new Set(['string', 'number', 'money', 'date', 'datetime']);
const SCALAR: ReadonlySet<Cls> = new Set(['string', 'number', 'money', 'date', 'datetime', 'boolean']);

interface FieldTerm { t: 'field'; key: string; sql: string; field: FieldDef; cls: Cls }
interface ValueTerm { t: 'value'; v: unknown }
type Term = FieldTerm | ValueTerm;
/**
 * A condition. `where`: the same condition without its `F IS NOT NULL AND` guards, for where only
 * TRUE selects a row (WHERE, ON, CASE WHEN): there a NULL comparison already rejects the row like
 * FALSE, but under NOT it would not, so the guarded form is the one negated and nested in NOT.
 * The guards also cost the database a filter per row (a tenth of a 100k-row list page).
 */
interface Pred { sql: string; b: unknown[]; where?: { sql: string; b: unknown[] } }

/** `(F IS NOT NULL AND cond)`, whose selecting form is `cond` alone. */
function guarded(column: string, cond: string, b: unknown[]): Pred {
  return { sql: `(${column} IS NOT NULL AND ${cond})`, b, where: { sql: `(${cond})`, b } };
}

const TRUE: Pred = { sql: SQL_TRUE, b: [] };
const FALSE: Pred = { sql: SQL_FALSE, b: [] };
const constant = (v: boolean): Pred => (v ? TRUE : FALSE);

const own = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);
const show = (s: unknown) => {
  let text: string;
  try {
    text = typeof s === 'string' ? s : JSON.stringify(s) ?? String(s);
  } catch {
    text = typeof s;
  }
  return text.length > 80 ? text.slice(0, 77) + '…' : text;
};

function bad(zh: string, en: string, details?: Record<string, unknown>): AppError {
  return new AppError('bad_request', msg(`筛选条件无效：${zh}`, `Invalid filter: ${en}`), { details });
}

const DATETIME_CANONICAL = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const isCanonicalDatetime = (v: unknown): v is string =>
  typeof v === 'string' && DATETIME_CANONICAL.test(v) && Number.isFinite(Date.parse(v)) && new Date(v).toISOString() === v;

const FORBIDDEN_SEGMENTS = new Set(['__proto__', 'constructor', 'prototype']);
const NAME_RE = /^[A-Za-z_$][A-Za-z0-9_$]*(\.[A-Za-z0-9_$]+)*$/;

/** Check the whole input once: JSON values only, sizes and depth within limits. */
function checkShape(expr: unknown): void {
  let nodes = 0;
  const walk = (x: unknown, depth: number, nesting = 0): void => {
    if (nesting > 2 * FILTER_LIMITS.depth + 2) throw bad(`嵌套超过 ${FILTER_LIMITS.depth} 层`, `nested deeper than ${FILTER_LIMITS.depth}`);
    if (++nodes > FILTER_LIMITS.nodes) throw bad('条件过大', `more than ${FILTER_LIMITS.nodes} nodes`);
    if (x === null || typeof x === 'string' || typeof x === 'boolean') return;
    if (typeof x === 'number') {
      if (!Number.isFinite(x)) throw bad('数值无效', 'numbers must be finite');
      return;
    }
    if (Array.isArray(x)) {
      if (x.length > FILTER_LIMITS.listItems) throw bad(`列表最多 ${FILTER_LIMITS.listItems} 项`, `a list has more than ${FILTER_LIMITS.listItems} items`);
      for (const item of x) walk(item, depth, nesting + 1);
      return;
    }
    if (typeof x === 'object') {
      const proto = Object.getPrototypeOf(x);
      if (proto !== Object.prototype && proto !== null) throw bad('只能使用 JSON 值', 'only JSON values are allowed');
      const keys = Object.keys(x);
      if (keys.length !== 1) throw bad('每个对象只能包含一个运算', `an object must hold exactly one operation, got ${keys.length} keys`);
      if (depth + 1 > FILTER_LIMITS.depth) throw bad(`嵌套超过 ${FILTER_LIMITS.depth} 层`, `operations nested deeper than ${FILTER_LIMITS.depth}`);
      walk((x as Record<string, unknown>)[keys[0]!], depth + 1, nesting + 1);
      return;
    }
    throw bad('只能使用 JSON 值', 'only JSON values are allowed');
  };
  walk(expr, 0);
}

function classOf(f: FieldDef): Cls | null {
  if (typeof f?.type !== 'string' || !own(FIELD_TYPE_SPECS, f.type)) return null;
  const kind = columnKind(f);
  if (kind === null) return null;
  if (f.type === 'money') return 'money';
  switch (kind) {
    case 'string':
    case 'text':
      return 'string';
    case 'integer':
    case 'float':
      return 'number';
    case 'date':
      return 'date';
    case 'datetime':
      return 'datetime';
    case 'boolean':
      return 'boolean';
    case 'json':
      if (FIELD_TYPE_SPECS[f.type].array || f.multiple) return 'array';
      return f.type === 'attachment' || f.type === 'image' ? 'jsonArray' : 'jsonObject';
  }
}

const opOf = (x: unknown): string | null =>
  x !== null && typeof x === 'object' && !Array.isArray(x) ? Object.keys(x)[0]! : null;

const argsOf = (x: Record<string, unknown>, op: string): unknown[] => {
  const a = x[op];
  return Array.isArray(a) ? a : [a];
};

class FilterCompiler {
  private readonly vars: Record<string, unknown>;

  constructor(private readonly ctx: FilterContext) {
    this.vars = ctx.vars ?? {};
  }

  // ----- names and values -------------------------------------------------------------------

  private varName(arg: unknown): { name: string; hasDefault: boolean } {
    const list = Array.isArray(arg) ? arg : [arg];
    if (list.length < 1 || list.length > 2) throw bad('var 的参数个数不对', 'var takes a name and an optional default');
    const name = list[0];
    if (typeof name !== 'string' || name === '') throw bad('var 需要字段名', `var needs a field name, got ${show(name)}`);
    return { name, hasDefault: list.length === 2 };
  }

  private isCtxVar(name: string): boolean {
    const first = name.split('.')[0]!;
    return !FORBIDDEN_SEGMENTS.has(first) && own(this.vars, first);
  }

  /** Reads no field: evaluated at compile time. */
  private isConstant(x: unknown): boolean {
    if (x === null || typeof x !== 'object') return true;
    if (Array.isArray(x)) return x.every((i) => this.isConstant(i));
    const op = opOf(x)!;
    if (op === 'var') {
      const arg = (x as Record<string, unknown>).var;
      const list = Array.isArray(arg) ? arg : [arg];
      return typeof list[0] === 'string' && list.length <= 2 && this.isCtxVar(list[0]) && this.isConstant(list[1]);
    }
    if (!VALUE_OPS.has(op) && !CONDITION_OPS.has(op)) return false;
    const args = argsOf(x as Record<string, unknown>, op);
    checkArity(op, args);
    return args.every((a) => this.isConstant(a));
  }

  private evaluate(x: unknown): unknown {
    try {
      return applyRule(x, this.vars);
    } catch (e) {
      throw bad('无法计算表达式', `cannot evaluate ${show(x)}: ${(e as Error).message}`);
    }
  }

  /** A value or a list of values, as the evaluator produced it. */
  private checkValue(v: unknown, x: unknown): unknown {
    if (v === undefined) return null;
    if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) throw bad('数值无效', `${show(x)} is not a finite number`);
      return v;
    }
    if (Array.isArray(v) && v.length <= FILTER_LIMITS.listItems && v.every((i) => i === null || ['string', 'number', 'boolean'].includes(typeof i))) return v;
    throw bad('此处需要一个值', `${show(x)} is not a value`);
  }

  private term(x: unknown): Term {
    if (this.isConstant(x)) {
      const v = x !== null && typeof x === 'object' ? this.evaluate(x) : x;
      return { t: 'value', v: this.checkValue(v, x) };
    }
    if (Array.isArray(x)) throw bad('列表中只能包含值', 'a list may hold only values');
    const op = opOf(x)!;
    if (op === 'var') return this.fieldTerm((x as Record<string, unknown>).var);
    throw this.unsupported(op, '不能用于筛选中的字段', 'is not supported on fields in filters');
  }

  private fieldTerm(arg: unknown): FieldTerm {
    const { name, hasDefault } = this.varName(arg);
    const unknownField = () => bad(`未知字段「${show(name)}」`, `unknown field '${show(name)}'`, { field: name });
    if (!NAME_RE.test(name) || name.length > 200 || name.split('.').some((s) => FORBIDDEN_SEGMENTS.has(s))) throw unknownField();
    const ref = this.ctx.field(name);
    if (!ref || typeof ref.sql !== 'string' || !ref.field) throw unknownField();
    const cls = classOf(ref.field);
    if (!cls) throw bad(`字段「${name}」不能用于筛选`, `field '${name}' cannot be used in a filter`, { field: name });
    if (hasDefault) throw bad(`字段「${name}」不支持默认值`, `var with a default is not supported for field '${name}'`, { field: name });
    return { t: 'field', key: name, sql: ref.sql, field: ref.field, cls };
  }

  private unsupported(op: string, zh: string, en: string): AppError {
    if (!RULE_OPERATIONS.has(op)) {
      return bad(`未知运算「${show(op)}」`, `unknown operation '${show(op)}'`, { operation: op });
    }
    return bad(`运算「${op}」${zh}`, `operation '${op}' ${en}`, { operation: op });
  }

  /** A value bound against a field: type-checked and converted to the column's representation. */
  private literal(f: FieldTerm, v: unknown): { ph: string; b: unknown } {
    const mismatch = () =>
      bad(`字段「${f.key}」不能与 ${show(v)} 比较`, `field '${f.key}' (${f.field.type}) cannot be compared with ${show(v)}`, { field: f.key });
    switch (f.cls) {
      case 'string':
      case 'boolean':
        if (typeof v !== (f.cls === 'string' ? 'string' : 'boolean')) throw mismatch();
        return { ph: '?', b: v };
      case 'number': {
        if (typeof v !== 'number') throw mismatch();
        // A fractional value against a PostgreSQL integer column must not be read as an integer.
        const ph = this.ctx.dialect === 'pg' && !Number.isInteger(v) ? 'CAST(? AS double precision)' : '?';
        return { ph, b: v };
      }
      case 'money': {
        if (typeof v !== 'number') throw mismatch();
        const minor = toColumnValue(f.field, v);
        if (fromColumnValue(f.field, minor) !== v) {
          throw bad(`金额「${f.key}」最多两位小数`, `money field '${f.key}' is compared with ${v}, which has more than two decimals`, { field: f.key });
        }
        return { ph: '?', b: minor };
      }
      case 'date':
        if (!parseDate(v)) throw bad(`日期字段「${f.key}」需要 YYYY-MM-DD`, `date field '${f.key}' needs a date 'YYYY-MM-DD', got ${show(v)}`, { field: f.key });
        return { ph: '?', b: v };
      case 'datetime':
        if (!isCanonicalDatetime(v)) {
          throw bad(`时间字段「${f.key}」需要 YYYY-MM-DDTHH:mm:ss.sssZ`, `datetime field '${f.key}' needs 'YYYY-MM-DDTHH:mm:ss.sssZ' (UTC), got ${show(v)}`, { field: f.key });
        }
        return { ph: '?', b: toColumnValue(f.field, v) };
      default:
        throw mismatch();
    }
  }

  // ----- conditions -------------------------------------------------------------------------

  pred(x: unknown): Pred {
    const op = opOf(x);
    const args = op === null ? [] : argsOf(x as Record<string, unknown>, op);
    if (op !== null) checkArity(op, args);
    if (this.isConstant(x)) return constant(truthy(this.evaluate(x)));
    if (Array.isArray(x) || op === null) throw bad('列表不能作为条件', 'a list is not a condition');
    switch (op) {
      case 'var':
        return this.truthiness(this.fieldTerm((x as Record<string, unknown>).var));
      case '!!':
        return this.pred(args[0]);
      case '!':
        return not(this.pred(args[0]));
      case 'and':
      case 'or': {
        if (!args.length) return FALSE;
        const parts = args.map((a) => this.pred(a));
        if (parts.length === 1) return parts[0]!;
        return join(parts, op === 'and' ? ' AND ' : ' OR ');
      }
      case '==':
      case '===':
        return this.eq(this.term(args[0]), this.term(args[1]));
      case '!=':
      case '!==':
        return not(this.eq(this.term(args[0]), this.term(args[1])));
      case '<':
      case '<=': {
        const t = args.map((a) => this.term(a));
        if (t.length === 2) return this.compare(op, t[0]!, t[1]!);
        return join([this.compare(op, t[0]!, t[1]!), this.compare(op, t[1]!, t[2]!)], ' AND ');
      }
      case '>':
      case '>=':
        return this.compare(op, this.term(args[0]), this.term(args[1]));
      case 'in':
        return this.in(this.term(args[0]), this.term(args[1]));
      case 'contains':
        return this.contains(op, this.term(args[0]), this.term(args[1]));
      case 'starts_with':
      case 'ends_with':
        return this.affix(op, this.term(args[0]), this.term(args[1]));
      case 'is_empty':
        return this.isEmpty(this.term(args[0]));
      default: {
        const custom = this.ctx.custom && own(this.ctx.custom, op) ? this.ctx.custom[op] : undefined;
        if (custom) {
          const c = custom(args);
          return { sql: `(${c.sql})`, b: c.bindings };
        }
        throw this.unsupported(op, '不能用于筛选字段', 'is not supported in filters on fields');
      }
    }
  }

  private truthiness(f: FieldTerm): Pred {
    const c = f.sql;
    switch (f.cls) {
      case 'boolean':
        return this.eq(f, { t: 'value', v: true });
      case 'string':
        return { sql: `(${c} IS NOT NULL AND ${c} <> '')`, b: [] };
      case 'number':
      case 'money':
        return { sql: `(${c} IS NOT NULL AND ${c} <> 0)`, b: [] };
      case 'array':
      case 'jsonArray':
        return { sql: `(${c} IS NOT NULL AND ${this.jsonLength(c)} > 0)`, b: [] };
      default:
        return { sql: `${c} IS NOT NULL`, b: [] };
    }
  }

  private jsonLength(c: string): string {
    return this.ctx.dialect === 'pg' ? `jsonb_array_length(${c}::jsonb)` : `json_array_length(${c})`;
  }

  private requireScalar(f: FieldTerm, zh: string, en: string): void {
    if (!SCALAR.has(f.cls)) {
      throw bad(`字段「${f.key}」不支持${zh}`, `field '${f.key}' (${f.field.type}) does not support ${en}; use in, contains or is_empty`, { field: f.key });
    }
  }

  private eq(a: Term, b: Term): Pred {
    if (a.t === 'value' && b.t === 'value') return constant(rulesEqual(a.v, b.v));
    if (a.t === 'value') [a, b] = [b, a];
    const f = a as FieldTerm;
    if (b.t === 'value') {
      if (isNil(b.v)) return { sql: `${f.sql} IS NULL`, b: [] };
      this.requireScalar(f, '等值比较', 'equality');
      // A canonical datetime never equals a bare date under string comparison.
      if (f.cls === 'datetime' && parseDate(b.v)) return FALSE;
      const lit = this.literal(f, b.v);
      return guarded(f.sql, `${f.sql} = ${lit.ph}`, [lit.b]);
    }
    const g = b;
    this.sameKind(f, g, '等值比较', 'equality');
    return { sql: this.ctx.dialect === 'pg' ? `${f.sql} IS NOT DISTINCT FROM ${g.sql}` : `${f.sql} IS ${g.sql}`, b: [] };
  }

  private sameKind(f: FieldTerm, g: FieldTerm, zh: string, en: string): void {
    this.requireScalar(f, zh, en);
    this.requireScalar(g, zh, en);
    if (f.cls !== g.cls) {
      throw bad(`字段「${f.key}」与「${g.key}」类型不同，不能比较`, `fields '${f.key}' (${f.field.type}) and '${g.key}' (${g.field.type}) cannot be compared`, { fields: [f.key, g.key] });
    }
  }

  private collate(f: FieldTerm): string {
    if (f.cls !== 'string') return '';
    return this.ctx.dialect === 'pg' ? ' COLLATE "C"' : ' COLLATE BINARY';
  }

  private compare(op: '<' | '<=' | '>' | '>=', a: Term, b: Term): Pred {
    if (a.t === 'value' && b.t === 'value') {
      const c = compareValues(a.v, b.v);
      return constant(c !== null && (op === '<' ? c < 0 : op === '<=' ? c <= 0 : op === '>' ? c > 0 : c >= 0));
    }
    if (a.t === 'value') {
      [a, b] = [b, a];
      op = op === '<' ? '>' : op === '<=' ? '>=' : op === '>' ? '<' : '<=';
    }
    const f = a as FieldTerm;
    if (!ORDERED.has(f.cls)) {
      throw bad(`字段「${f.key}」不能比较大小`, `field '${f.key}' (${f.field.type}) cannot be ordered`, { field: f.key });
    }
    if (b.t === 'field') {
      this.sameKind(f, b, '大小比较', 'ordering');
      return { sql: `(${f.sql} IS NOT NULL AND ${b.sql} IS NOT NULL AND ${f.sql}${this.collate(f)} ${op} ${b.sql})`, b: [] };
    }
    if (isNil(b.v)) return FALSE;
    if (f.cls === 'datetime' && parseDate(b.v)) {
      // String order of a canonical datetime D against a date L: D > L ⇔ D ≥ L+'T00:00:00.000Z'.
      const start = `${b.v}T00:00:00.000Z`;
      const sqlOp = op === '<' || op === '<=' ? '<' : '>=';
      return guarded(f.sql, `${f.sql} ${sqlOp} ?`, [start]);
    }
    const lit = this.literal(f, b.v);
    return guarded(f.sql, `${f.sql}${this.collate(f)} ${op} ${lit.ph}`, [lit.b]);
  }

  private in(a: Term, b: Term): Pred {
    if (a.t === 'value' && b.t === 'value') return constant(truthy(applyRule({ in: [a.v, b.v] }, {})));
    if (b.t === 'value' && Array.isArray(b.v)) {
      const f = a as FieldTerm;
      this.requireScalar(f, 'in 列表', "'in' with a list");
      let hasNull = false;
      const phs: string[] = [];
      const binds: unknown[] = [];
      for (const item of b.v) {
        if (isNil(item)) hasNull = true;
        else if (f.cls === 'datetime' && parseDate(item)) continue; // never equal, as in eq()
        else {
          const lit = this.literal(f, item);
          phs.push(lit.ph);
          binds.push(lit.b);
        }
      }
      const parts: Pred[] = [];
      if (phs.length) parts.push(guarded(f.sql, `${f.sql} IN (${phs.join(', ')})`, binds));
      if (hasNull) parts.push({ sql: `${f.sql} IS NULL`, b: [] });
      return parts.length ? join(parts, ' OR ') : FALSE;
    }
    if (b.t === 'field' && a.t === 'value') return this.contains('in', b, a);
    throw bad('in 需要「字段 in 列表」或「值 in 标签/文本字段」', "'in' needs [field, [values…]] or [value, tags-or-text field]", { operation: 'in' });
  }

  /** Membership in an array field, or substring of a text field. */
  private contains(op: string, a: Term, b: Term): Pred {
    if (a.t !== 'field' || b.t !== 'value') {
      throw bad(`${op} 需要一个字段和一个值`, `'${op}' needs a field and a value`, { operation: op });
    }
    const f = a;
    const v = b.v;
    if (isNil(v)) return FALSE;
    if (f.cls === 'array') {
      const items = f.field.type === 'user' || f.field.type === 'department' ? 'number' : 'string';
      if (typeof v !== items) throw bad(`字段「${f.key}」不能包含 ${show(v)}`, `field '${f.key}' (${f.field.type}) holds ${items}s, not ${show(v)}`, { field: f.key });
      if (this.ctx.dialect === 'pg') return { sql: `(${f.sql} IS NOT NULL AND ${f.sql}::jsonb @> ?::jsonb)`, b: [JSON.stringify([v])] };
      return { sql: `EXISTS (SELECT 1 FROM json_each(${f.sql}) WHERE value = ?)`, b: [v] };
    }
    if (f.cls !== 'string') throw bad(`字段「${f.key}」不支持 ${op}`, `'${op}' needs a text or tags field, '${f.key}' is ${f.field.type}`, { field: f.key });
    if (typeof v !== 'string') throw bad(`字段「${f.key}」需要文本`, `field '${f.key}' is text; ${show(v)} is not a string`, { field: f.key });
    if (v === '') return { sql: `${f.sql} IS NOT NULL`, b: [] };
    if (this.ctx.dialect === 'pg') return { sql: `(${f.sql} IS NOT NULL AND ${f.sql} LIKE ? ESCAPE '!')`, b: [`%${likeEscape(v)}%`] };
    return { sql: `(${f.sql} IS NOT NULL AND instr(${f.sql}, ?) > 0)`, b: [v] };
  }

  private affix(op: 'starts_with' | 'ends_with', a: Term, b: Term): Pred {
    if (a.t !== 'field' || b.t !== 'value') throw bad(`${op} 需要一个字段和一个值`, `'${op}' needs a field and a value`, { operation: op });
    const f = a;
    const v = b.v;
    if (f.cls !== 'string') throw bad(`字段「${f.key}」不支持 ${op}`, `'${op}' needs a text field, '${f.key}' is ${f.field.type}`, { field: f.key });
    if (isNil(v)) return FALSE;
    if (typeof v !== 'string') throw bad(`字段「${f.key}」需要文本`, `field '${f.key}' is text; ${show(v)} is not a string`, { field: f.key });
    if (v === '') return { sql: `${f.sql} IS NOT NULL`, b: [] };
    if (this.ctx.dialect === 'pg') {
      const pattern = op === 'starts_with' ? `${likeEscape(v)}%` : `%${likeEscape(v)}`;
      return { sql: `(${f.sql} IS NOT NULL AND ${f.sql} LIKE ? ESCAPE '!')`, b: [pattern] };
    }
    const sub = op === 'starts_with' ? `substr(${f.sql}, 1, length(?))` : `substr(${f.sql}, -length(?))`;
    return { sql: `(${f.sql} IS NOT NULL AND ${sub} = ?)`, b: [v, v] };
  }

  private isEmpty(a: Term): Pred {
    if (a.t === 'value') return constant(truthy(applyRule({ is_empty: [a.v] }, {})));
    const c = a.sql;
    switch (a.cls) {
      case 'string':
        return { sql: `(${c} IS NULL OR ${c} = '')`, b: [] };
      case 'array':
      case 'jsonArray':
      case 'jsonObject':
        return this.ctx.dialect === 'pg'
          ? { sql: `(${c} IS NULL OR ${c}::jsonb = '[]'::jsonb OR ${c}::jsonb = '{}'::jsonb)`, b: [] }
          : { sql: `(${c} IS NULL OR json(${c}) = '[]' OR json(${c}) = '{}')`, b: [] };
      default:
        return { sql: `${c} IS NULL`, b: [] };
    }
  }
}

function likeEscape(s: string): string {
  return s.replace(/[!%_]/g, (c) => '!' + c);
}

function not(p: Pred): Pred {
  if (p.sql === SQL_TRUE) return FALSE;
  if (p.sql === SQL_FALSE) return TRUE;
  return { sql: `NOT (${p.sql})`, b: p.b };
}

function join(parts: Pred[], sep: ' AND ' | ' OR '): Pred {
  if (parts.length === 1) return parts[0]!;
  const out: Pred = { sql: `(${parts.map((p) => p.sql).join(sep)})`, b: parts.flatMap((p) => p.b) };
  // Under AND and OR a NULL part selects nothing a FALSE one would not (NULL OR TRUE is TRUE,
  // NULL AND x is never TRUE), so the selecting forms combine.
  if (parts.some((p) => p.where)) {
    const w = parts.map((p) => p.where ?? p);
    out.where = { sql: `(${w.map((p) => p.sql).join(sep)})`, b: w.flatMap((p) => p.b) };
  }
  return out;
}

/**
 * Compile a json-logic condition to a parameterised SQL condition (see the header for the
 * subset). Throws AppError('bad_request') for anything outside it. The result is for where only
 * TRUE selects a row (WHERE, JOIN … ON, CASE WHEN): top-level guards `F IS NOT NULL AND` are left
 * out there (see Pred); do not wrap it in NOT — negate the json-logic instead.
 */
export function compileFilter(expr: unknown, ctx: FilterContext): CompiledFilter {
  if (expr === null || expr === undefined) return { sql: SQL_TRUE, bindings: [] };
  checkShape(expr);
  const p = new FilterCompiler(ctx).pred(expr);
  // Every caller puts the condition where only TRUE selects (WHERE, JOIN … ON, CASE WHEN).
  const w = p.where ?? p;
  return { sql: w.sql, bindings: w.b };
}
