/**
 * RecordService: the only door to record tables. HTTP, workflow actions, imports and demo data
 * all write through it.
 *
 * Write path: permission check → strip system and computed keys (a client value for a computed
 * field never wins) → defaults → type validation (ajv, compiled once per form revision) →
 * computed values → rule validation (required, field and form rules) → one transaction holding
 * relation checks, unique checks, autonumbers, the row and its subtable rows, rollups on the
 * records it points at, the audit entry and the outbox event.
 */
import type { Knex } from 'knex';
import type { Db } from '../store/connection.js';
import { quoteId } from '../store/connection.js';
import type { CompiledForm } from '../store/compiled-form.js';
import { RecordQuery, type ApiRecord, type ListParams, type ListResult, type ReadScope } from '../store/record-query.js';
import { CHILD_COLUMNS, recordTable } from '../store/tables.js';
import { ColumnCodec } from '../store/column-codec.js';
import { maskValue } from '../store/cipher.js';
import { nowIso } from '../store/system.js';
import { toColumnValue, fromColumnValue } from '../meta/field-types.js';
import type { FieldDef, FormDef } from '../meta/types.js';
import { labelText } from '../meta/types.js';
import { computeValues, ruleErrors } from '../rules/evaluate.js';
import { applyRule } from '../rules/operations.js';
import { compileFilter } from '../rules/sql.js';
import { AppError, msg, notFound, forbidden, validationError, type Msg } from '../errors.js';
import type { Actor } from '../auth/actor.js';
import { actorVars } from '../auth/actor.js';
import { OPEN_POLICY, type AccessPolicy, type FieldAccess, type RecordAction } from '../auth/access-policy.js';
import type { FormRegistry } from './form-registry.js';
import { nextAutonumber, reserveAutonumbers } from './autonumber.js';
import { GroupCommit } from '../store/group-commit.js';
import { attachRecordFiles, holdsFileRefs, prepareRecordFiles, removeRecordFiles } from '../files/index.js';

/** Keys the engine owns; a client sending them is ignored, never an error. */
const SYSTEM_KEYS = new Set(['id', '_version', '_createdAt', '_updatedAt', '_createdBy', '_owner', '_dept']);

export interface HistoryEntry {
  at: string;
  by: number | null;
  /** The actor's display name. */
  byName: string | null;
  action: string;
  changes: Record<string, [unknown, unknown]>;
}

export interface WriteOptions {
  /** Optimistic locking: the `_version` the caller last read. Required from the HTTP API. */
  version?: number;
  /** The record's owner (defaults to the actor). */
  owner?: number | null;
  /** Skip automations for this write (bulk maintenance). */
  silent?: boolean;
  /** The record's department (row scope "department"); default the owner's. */
  dept?: number | null;
  /** What caused the write (a workflow instance), so its automations can tell. */
  cause?: { workflow: string; instance: number } | null;
}

/**
 * Refuses writes to a record that a running workflow locks (except the fields an open task lets
 * this actor edit). Installed by the workflow engine.
 */
export type RecordLockCheck = (trx: Knex.Transaction, actor: Actor, form: CompiledForm, id: number, keys: string[]) => Promise<void>;

export class RecordService {
  readonly query: RecordQuery;

  constructor(
    private readonly db: Db,
    readonly forms: FormRegistry,
    private policy: AccessPolicy = OPEN_POLICY,
    private readonly codec: ColumnCodec = new ColumnCodec(),
  ) {
    this.query = new RecordQuery(db, codec);
    // A groupable create fails alone only before its first write or on its row's INSERT: errors
    // of the checks (AppError) and constraint violations, which SQLite undoes statement by statement.
    if (db.dialect === 'sqlite') this.groupCommit = new GroupCommit(db.knex, (e) => e instanceof AppError || /^SQLITE_CONSTRAINT/.test(String((e as { code?: unknown })?.code)));
  }

  /** SQLite: concurrent simple creates share a transaction. */
  private readonly groupCommit: GroupCommit | null = null;

  setPolicy(policy: AccessPolicy): void {
    this.policy = policy;
  }

  /** Installed by the workflow engine: refuses writes to records an approval locks. */
  lockCheck: RecordLockCheck | null = null;

  // ---------- reads ----------

  /** The policy for use inside a transaction (it never reads the database on its own: see AccessPolicy.inTransaction). */
  private get txPolicy(): AccessPolicy {
    return this.policy.inTransaction?.() ?? this.policy;
  }

  async scope(actor: Actor, form: CompiledForm, action: RecordAction, policy: AccessPolicy = this.policy): Promise<{ scope: ReadScope; access: FieldAccess }> {
    const access = await policy.fields(actor, form);
    const rows = await policy.rowScope(actor, form, action);
    return { scope: { rows, fields: access.visible, masked: access.masked, vars: actorVars(actor) }, access };
  }

  private async require(actor: Actor, form: CompiledForm, action: RecordAction, policy: AccessPolicy = this.policy): Promise<void> {
    if (!(await policy.can(actor, form, action))) throw forbidden('没有权限执行此操作', `Not allowed to ${action} records of '${form.key}'`);
  }

  async get(actor: Actor, formKey: string, id: number): Promise<ApiRecord> {
    const form = await this.forms.get(formKey);
    await this.require(actor, form, 'read');
    const { scope } = await this.scope(actor, form, 'read');
    const rec = await this.query.getOne(form, id, scope);
    if (!rec) throw recordNotFound(form, id);
    return rec;
  }

  async list(actor: Actor, formKey: string, params: ListParams): Promise<ListResult> {
    const form = await this.forms.get(formKey);
    await this.require(actor, form, 'read');
    const { scope } = await this.scope(actor, form, 'read');
    return this.query.list(form, params, scope);
  }

  async history(actor: Actor, formKey: string, id: number): Promise<HistoryEntry[]> {
    const form = await this.forms.get(formKey);
    await this.require(actor, form, 'read');
    const { scope } = await this.scope(actor, form, 'read');
    const rec = await this.query.getOne(form, id, scope);
    if (!rec && !actor.isAdmin) throw recordNotFound(form, id);
    const rows = await this.db.knex('fw_audit as a').leftJoin('fw_users as u', 'u.id', 'a.by').where({ 'a.form': form.key, 'a.record_id': id }).orderBy('a.id').select('a.*', 'u.display_name as by_name');
    if (!rows.length && !rec) throw recordNotFound(form, id);
    const entries = rows.map((r: any) => {
      const changes = JSON.parse(r.changes) as Record<string, [unknown, unknown]>;
      for (const k of Object.keys(changes)) {
        const f = form.byKey.get(k);
        if (f?.sensitive) changes[k] = [this.codec.decode(f, changes[k]![0]), this.codec.decode(f, changes[k]![1])];
        if (scope.fields && !scope.fields.has(k)) delete changes[k];
        else if (scope.masked?.has(k)) changes[k] = [maskValue(changes[k]![0]), maskValue(changes[k]![1])];
      }
      return { at: r.at, by: r.by ?? null, byName: r.by_name ?? null, action: r.action, changes };
    });
    // An update whose every change is hidden from the caller says nothing to them.
    return entries.filter((e: HistoryEntry) => e.action === 'create' || e.action === 'delete' || Object.keys(e.changes).length > 0 || actor.isAdmin);
  }

  // ---------- writes ----------

  async create(actor: Actor, formKey: string, input: unknown, opts: WriteOptions = {}): Promise<ApiRecord> {
    const form = await this.forms.get(formKey);
    await this.require(actor, form, 'create');
    const { access } = await this.scope(actor, form, 'create');
    // PostgreSQL, a form whose create is one INSERT … WITH (the row, its audit entry and its event):
    // the statement is its own transaction, so no BEGIN/COMMIT round trips.
    // Attaching uploaded files is a statement of its own: a create with file refs takes a transaction.
    // SQLite, a form whose create is its row, its audit entry and its event: concurrent creates
    // share one transaction (store/group-commit.ts).
    const created = this.singleStatement(form) && !holdsFileRefs(form, input)
      ? await this.createWith(this.db.knex as Knex.Transaction, actor, form, access, input, opts).catch((e) => {
          throw mapDbError(e, form);
        })
      : this.groupCommit && this.groupable(form) && !holdsFileRefs(form, input)
        ? await this.groupCommit.run((trx) => this.createWith(trx, actor, form, access, input, opts)).catch((e) => {
            throw mapDbError(e, form);
          })
        : await this.transact(form, (trx) => this.createWith(trx, actor, form, access, input, opts));
    return this.visibleTo(actor, form, created);
  }

  /**
   * Can a create of this form write everything in one statement (PostgreSQL: data-modifying
   * CTEs)? Not with autonumbers (a counter row), subtables (child rows need the id), rollups on
   * other forms (their recompute), or computed-on-read values (they may read the id).
   */
  private groupable(form: CompiledForm): boolean {
    return !form.autonumbers.length && !form.subtables.length && !this.forms.rollupDependents(form.key).length;
  }

  private singleStatement(form: CompiledForm): boolean {
    return this.db.dialect === 'pg' && !form.autonumbers.length && !form.subtables.length && !form.hasVirtual && !this.forms.rollupDependents(form.key).length;
  }

  /** The row, its audit entry and its `record.created` event in one statement; the new id. */
  private async insertCreated(trx: Knex, form: CompiledForm, row: Record<string, unknown>, changes: string, event: Record<string, unknown>, by: number | null, at: string): Promise<number> {
    const cols = Object.keys(row);
    const sql =
      `WITH "r" AS (INSERT INTO ${quoteId(form.table)} (${cols.map(quoteId).join(', ')}) VALUES (${cols.map(() => '?').join(', ')}) RETURNING "id"), ` +
      `"a" AS (INSERT INTO "fw_audit" ("form", "record_id", "action", "at", "by", "changes") SELECT ?, "r"."id", 'create', ?, ?, ? FROM "r") ` +
      `INSERT INTO "fw_outbox" ("event", "form", "record_id", "payload", "idempotency_key", "created_at") ` +
      `SELECT 'record.created', ?, "r"."id", jsonb_set(CAST(? AS jsonb), '{record,id}', to_jsonb("r"."id"))::text, CAST(? AS text) || "r"."id"::text || ':created', ? FROM "r" RETURNING "record_id"`;
    const bindings = [...cols.map((c) => row[c]), form.key, at, by, changes, form.key, JSON.stringify(event), `${form.key}:`, at];
    const res = await trx.raw(sql, bindings as any[]);
    return Number((res as any).rows[0].record_id);
  }

  /**
   * Create inside the caller's transaction (workflow actions): the same checks, rules and
   * effects as `create`, committed with whatever the caller commits.
   */
  async createIn(trx: Knex.Transaction, actor: Actor, formKey: string, input: unknown, opts: WriteOptions = {}): Promise<ApiRecord> {
    const form = this.formIn(formKey);
    const policy = this.txPolicy;
    await this.require(actor, form, 'create', policy);
    const { access } = await this.scope(actor, form, 'create', policy);
    return this.createWith(trx, actor, form, access, input, opts);
  }

  /**
   * Many records of one form inside the caller's transaction (demo data, bulk loads): the same
   * checks, rules and effects as `createIn`, in a few statements for the whole batch — one
   * relation check per relation field, autonumbers reserved as a block, ids allocated up front,
   * multi-row INSERTs of rows, subtable rows, audit entries and events, rollups recomputed once.
   * A bad item fails the call with nothing written; errors are keyed `<index>.<field>`.
   */
  async createManyIn(trx: Knex.Transaction, actor: Actor, formKey: string, items: Array<{ input: unknown; opts?: WriteOptions }>): Promise<ApiRecord[]> {
    if (!items.length) return [];
    const form = this.formIn(formKey);
    const policy = this.txPolicy;
    await this.require(actor, form, 'create', policy);
    const { access } = await this.scope(actor, form, 'create', policy);
    const errors: Record<string, Msg[]> = {};
    const records = items.map((item, i) => {
      try {
        return this.prepareCreate(form, access, item.input);
      } catch (e) {
        if (!(e instanceof AppError) || !e.fields) throw e;
        for (const [k, v] of Object.entries(e.fields)) errors[`${i}.${k}`] = v;
        if (e.code !== 'validation') throw new AppError(e.code, e.text, { fields: errors, details: { index: i } });
        return {};
      }
    });
    throwIfErrors(errors);
    await this.checkRelations(trx, actor, form, records, null, (i) => `${i}.`);
    await prepareRecordFiles(trx, actor, form, records, null, (i) => `${i}.`);
    for (const f of form.autonumbers) {
      const numbers = await reserveAutonumbers(trx, this.db.dialect, form.key, f, records.length);
      records.forEach((r, i) => (r[f.key] = numbers[i]));
    }
    const at = nowIso();
    const depts = new Map<number, number | null>();
    const rows: Record<string, unknown>[] = [];
    for (let i = 0; i < records.length; i++) {
      const opts = items[i]!.opts ?? {};
      const owner = opts.owner !== undefined ? opts.owner : actor.userId;
      let dept: number | null;
      if (opts.dept !== undefined) dept = opts.dept;
      else if (owner == null || owner === actor.userId) dept = actor.departmentId;
      else {
        if (!depts.has(owner)) depts.set(owner, await departmentOf(trx, owner));
        dept = depts.get(owner)!;
      }
      const row: Record<string, unknown> = { _version: 1, _created_at: at, _updated_at: at, _created_by: actor.userId, _owner: owner, _dept: dept };
      for (const f of form.columns) row[f.column!] = this.codec.encode(f, records[i]![f.key]);
      rows.push(row);
    }
    try {
      const ids = await allocateIds(trx, this.db.dialect, form.table, rows.length);
      rows.forEach((row, i) => (row.id = ids[i]));
      await insertChunked(trx, form.table, rows);
      const after = rows.map((row) => {
        const { id, ...cols } = row;
        return this.materialize(form, id as number, cols);
      });
      for (const st of form.subtables) {
        const children: Record<string, unknown>[] = [];
        records.forEach((r, i) => {
          const list = (r[st.field.key] as Record<string, unknown>[] | null) ?? [];
          after[i]![st.field.key] = list.map((item, k) => {
            const child: Record<string, unknown> = { [CHILD_COLUMNS.parent]: ids[i], [CHILD_COLUMNS.seq]: k + 1 };
            for (const c of st.columns) child[c.column!] = this.codec.encode(c, item[c.key]);
            children.push(child);
            return child;
          });
        });
        const childIds = await allocateIds(trx, this.db.dialect, st.table, children.length);
        children.forEach((c, k) => (c[CHILD_COLUMNS.id] = childIds[k]));
        await insertChunked(trx, st.table, children);
        // The rows in their API shape (as a read returns them), now that they have ids.
        for (const rec of after) {
          rec[st.field.key] = (rec[st.field.key] as Record<string, unknown>[]).map((child) => {
            const item: Record<string, unknown> = { id: child[CHILD_COLUMNS.id] };
            for (const c of st.columns) item[c.key] = this.codec.decode(c, child[c.column!] ?? null);
            return item;
          });
        }
      }
      if (form.subtables.length && form.hasVirtual) {
        for (let i = 0; i < after.length; i++) after[i] = computeValues(form.def, after[i]!, { includeVirtual: true }) as ApiRecord;
      }
      await this.updateRollupTargets(trx, form, records);
      for (let i = 0; i < records.length; i++) await attachRecordFiles(trx, form, ids[i]!, records[i]!, false);
      const audits: Record<string, unknown>[] = [];
      const events: Record<string, unknown>[] = [];
      after.forEach((rec, i) => {
        const opts = items[i]!.opts ?? {};
        const changes: Record<string, [unknown, unknown]> = {};
        for (const f of form.fields) if (!isVirtual(f) && !isEmpty(rec[f.key])) changes[f.key] = [null, rec[f.key]];
        audits.push({ form: form.key, record_id: rec.id, action: 'create', at, by: actor.userId, changes: JSON.stringify(this.auditChanges(form, changes)) });
        events.push({
          event: 'record.created', form: form.key, record_id: rec.id, created_at: at, idempotency_key: `${form.key}:${rec.id}:created`,
          payload: JSON.stringify({ record: this.protect(form, rec), by: actor.userId, silent: !!opts.silent, cause: opts.cause ?? null }),
        });
      });
      await insertChunked(trx, 'fw_audit', audits);
      await insertChunked(trx, 'fw_outbox', events);
      return after;
    } catch (e) {
      throw mapDbError(e, form);
    }
  }

  /** Sanitise, defaults, type validation, computed values and rules: a create's record before any database work. */
  private prepareCreate(form: CompiledForm, access: FieldAccess, input: unknown): Record<string, unknown> {
    const payload = this.sanitize(form, input, access);
    this.applyDefaults(form, payload);
    throwIfErrors(form.validate.create(payload));
    const record = computeValues(form.def, payload) as Record<string, unknown>;
    for (const f of form.rollups) record[f.key] = f.rollup!.op === 'count' || f.rollup!.op === 'sum' ? 0 : null;
    throwIfErrors(ruleErrors(form.def, withVirtual(form, record)));
    return record;
  }

  private async createWith(trx: Knex.Transaction, actor: Actor, form: CompiledForm, access: FieldAccess, input: unknown, opts: WriteOptions): Promise<ApiRecord> {
    const record = this.prepareCreate(form, access, input);
    await this.checkRelations(trx, actor, form, [record], null);
    await prepareRecordFiles(trx, actor, form, [record], null);
    // Unique values: the unique index is the guard; its violation is mapped to `conflict` naming the field.
    for (const f of form.autonumbers) record[f.key] = await nextAutonumber(trx, this.db.dialect, form.key, f);
    const at = nowIso();
    const owner = opts.owner !== undefined ? opts.owner : actor.userId;
    const row: Record<string, unknown> = {
      _version: 1, _created_at: at, _updated_at: at, _created_by: actor.userId, _owner: owner,
      // The record belongs to its owner's department (row scope "department").
      _dept: opts.dept !== undefined ? opts.dept : owner != null && owner !== actor.userId ? await departmentOf(trx, owner) : actor.departmentId,
    };
    for (const f of form.columns) row[f.column!] = this.codec.encode(f, record[f.key]);
    if (this.singleStatement(form) && !holdsFileRefs(form, record)) {
      const draft = this.materialize(form, 0, row);
      const changes: Record<string, [unknown, unknown]> = {};
      for (const f of form.fields) if (!isVirtual(f) && !isEmpty(draft[f.key])) changes[f.key] = [null, draft[f.key]];
      const event = { record: this.protect(form, draft), by: actor.userId, silent: !!opts.silent, cause: opts.cause ?? null };
      const id = await this.insertCreated(trx, form, row, JSON.stringify(this.auditChanges(form, changes)), event, actor.userId, at);
      return { ...draft, id };
    }
    const id = await this.insertRow(trx, form.table, row);
    await this.writeSubtables(trx, form, id, record, true);
    await attachRecordFiles(trx, form, id, record, false);
    await this.updateRollupTargets(trx, form, [record]);
    // The new record as a read would return it: from the written row (a read-back only when
    // subtable rows need their ids).
    const after = form.subtables.length ? (await this.query.getOne(form, id, {}, trx))! : this.materialize(form, id, row);
    const changes: Record<string, [unknown, unknown]> = {};
    for (const f of form.fields) if (!isVirtual(f) && !isEmpty(after[f.key])) changes[f.key] = [null, after[f.key]];
    await this.audit(trx, form, id, 'create', actor, changes, at);
    await this.emit(trx, form, id, 'record.created', { record: this.protect(form, after), by: actor.userId, silent: !!opts.silent, cause: opts.cause ?? null }, `${form.key}:${id}:created`);
    return after;
  }

  async update(actor: Actor, formKey: string, id: number, input: unknown, opts: WriteOptions = {}): Promise<ApiRecord> {
    const form = await this.forms.get(formKey);
    await this.require(actor, form, 'update');
    const { scope, access } = await this.scope(actor, form, 'update');
    if (input === null || typeof input !== 'object' || Array.isArray(input)) this.sanitize(form, input, access);
    const updated = await this.transact(form, (trx) => this.updateWith(trx, actor, form, scope, access, id, input, opts));
    return this.visibleTo(actor, form, updated);
  }

  /** Update inside the caller's transaction (workflow actions, approvers' edits). */
  async updateIn(trx: Knex.Transaction, actor: Actor, formKey: string, id: number, input: unknown, opts: WriteOptions = {}): Promise<ApiRecord> {
    const form = this.formIn(formKey);
    const policy = this.txPolicy;
    await this.require(actor, form, 'update', policy);
    const { scope, access } = await this.scope(actor, form, 'update', policy);
    return this.updateWith(trx, actor, form, scope, access, id, input, opts);
  }

  private async updateWith(
    trx: Knex.Transaction, actor: Actor, form: CompiledForm, scope: ReadScope, access: FieldAccess, id: number, input: unknown, opts: WriteOptions,
  ): Promise<ApiRecord> {
    const current = await this.lockedCurrent(trx, form, id, scope);
    if (opts.version !== undefined && current._version !== opts.version) throw staleVersion(form, await this.visibleTo(actor, form, current));
    const payload = this.sanitize(form, input, access, current);
    throwIfErrors(form.validate.update(payload));
    if (this.lockCheck && !actor.isSystem) await this.lockCheck(trx, actor, form, id, Object.keys(payload));
    const merged = computeValues(form.def, { ...stripVirtual(form, current), ...payload }) as Record<string, unknown>;
    throwIfErrors(ruleErrors(form.def, withVirtual(form, merged)));
    await this.checkRelations(trx, actor, form, [merged], current);
    await prepareRecordFiles(trx, actor, form, [merged], current);
    const changes = diffRecords(form, current, merged);
    await this.checkUniques(trx, form, merged, id, changes);
    if (!Object.keys(changes).length) return current;
    const at = nowIso();
    const set: Record<string, unknown> = { _version: current._version + 1, _updated_at: at };
    for (const f of form.columns) if (f.key in changes) set[f.column!] = this.codec.encode(f, merged[f.key]);
    const n = await trx(form.table).where({ id, _version: current._version }).update(set);
    if (n !== 1) throw staleVersion(form, await this.visibleTo(actor, form, current));
    await this.writeSubtables(trx, form, id, merged, false, changes);
    await attachRecordFiles(trx, form, id, merged, true);
    await this.updateRollupTargets(trx, form, [current, merged]);
    await this.audit(trx, form, id, 'update', actor, changes, at);
    const after = form.subtables.length
      ? (await this.query.getOne(form, id, {}, trx))!
      : this.materialize(form, id, {
          ...Object.fromEntries(form.columns.map((f) => [f.column!, this.codec.encode(f, merged[f.key])])),
          _version: current._version + 1, _created_at: current._createdAt, _updated_at: at, _created_by: current._createdBy, _owner: current._owner,
        });
    await this.emit(trx, form, id, 'record.updated', {
      record: this.protect(form, after), before: this.protect(form, current), changed: Object.keys(changes),
      by: actor.userId, silent: !!opts.silent, cause: opts.cause ?? null,
    }, `${form.key}:${id}:v${after._version}`);
    return after;
  }

  /** Give a record a new owner (row scope "own"), with its audit entry and event, in the caller's transaction. */
  async assignOwnerIn(trx: Knex.Transaction, actor: Actor, formKey: string, id: number, owner: number | null): Promise<void> {
    const form = this.formIn(formKey);
    const policy = this.txPolicy;
    await this.require(actor, form, 'update', policy);
    const { scope } = await this.scope(actor, form, 'update', policy);
    const current = await this.lockedCurrent(trx, form, id, scope);
    if ((current._owner ?? null) === owner) return;
    const at = nowIso();
    const dept = owner == null ? undefined : await departmentOf(trx, owner);
    const n = await trx(form.table).where({ id, _version: current._version }).update({
      _owner: owner, _version: current._version + 1, _updated_at: at, ...(dept != null ? { _dept: dept } : {}),
    });
    if (n !== 1) throw staleVersion(form, await this.visibleTo(actor, form, current));
    await this.audit(trx, form, id, 'assign', actor, { _owner: [current._owner ?? null, owner] }, at);
    const after = (await this.query.getOne(form, id, {}, trx))!;
    await this.emit(trx, form, id, 'record.updated', {
      record: this.protect(form, after), before: this.protect(form, current), changed: ['_owner'], by: actor.userId, silent: false, cause: null,
    }, `${form.key}:${id}:v${after._version}`);
  }

  /** A record in its API shape from the column values just written (what a read would return). */
  private materialize(form: CompiledForm, id: number, row: Record<string, unknown>): ApiRecord {
    const rec: Record<string, unknown> = {
      id, _version: row._version, _createdAt: row._created_at, _updatedAt: row._updated_at,
      _createdBy: row._created_by ?? null, _owner: row._owner ?? null,
    };
    for (const f of form.columns) rec[f.key] = this.codec.decode(f, row[f.column!] ?? null);
    return (form.hasVirtual ? computeValues(form.def, rec, { includeVirtual: true }) : rec) as ApiRecord;
  }

  /** A published form without a freshness check (safe inside a transaction). */
  private formIn(formKey: string): CompiledForm {
    const form = this.forms.peek(formKey);
    if (!form) throw notFound('表单不存在', `No published form '${formKey}'`);
    return form;
  }

  async delete(actor: Actor, formKey: string, id: number, opts: WriteOptions = {}): Promise<void> {
    const form = await this.forms.get(formKey);
    await this.require(actor, form, 'delete');
    const { scope } = await this.scope(actor, form, 'delete');
    await this.transact(form, async (trx) => {
      const current = await this.lockedCurrent(trx, form, id, scope);
      if (opts.version !== undefined && current._version !== opts.version) throw staleVersion(form, await this.visibleTo(actor, form, current));
      await trx(form.table).where({ id }).delete();
      await removeRecordFiles(trx, form, id);
      await this.updateRollupTargets(trx, form, [current]);
      const changes: Record<string, [unknown, unknown]> = {};
      for (const f of form.fields) if (!isVirtual(f) && !isEmpty(current[f.key])) changes[f.key] = [current[f.key], null];
      await this.audit(trx, form, id, 'delete', actor, changes, nowIso());
      await this.emit(trx, form, id, 'record.deleted', { record: this.protect(form, current), by: actor.userId, silent: !!opts.silent }, `${form.key}:${id}:deleted`);
    });
  }

  // ---------- steps ----------

  /** A plain object of field keys; system keys and computed fields dropped; hidden/read-only refused. */
  /**
   * `current`: on update, the stored record — a read-only field sent back unchanged (a form
   * posting every field) is dropped, a changed one refused. On create a read-only field may
   * only be sent empty.
   */
  private sanitize(form: CompiledForm, input: unknown, access: FieldAccess, current?: ApiRecord): Record<string, unknown> {
    if (input === null || typeof input !== 'object' || Array.isArray(input)) {
      throw new AppError('bad_request', msg('请求体必须是 JSON 对象', 'The body must be a JSON object'));
    }
    const out: Record<string, unknown> = Object.create(null);
    const refused: Record<string, Msg[]> = {};
    for (const key of Object.keys(input)) {
      const value = (input as Record<string, unknown>)[key];
      if (SYSTEM_KEYS.has(key)) continue;
      const f = form.byKey.get(key);
      if (f && !form.writable.has(key)) continue; // computed: the server's value wins
      if (f && access.visible && !access.visible.has(key)) {
        refused[key] = [msg('无权写入此字段', 'You may not write this field')];
        continue;
      }
      if (f && access.readOnly.has(key)) {
        const unchanged = current
          ? same(toColumnValue(f, value ?? null), toColumnValue(f, current[key] ?? null)) ||
            (access.masked.has(key) && value === maskValue(current[key]))
          : value == null || (f.default !== undefined && !isRuleDefault(f.default) && same(value, f.default));
        if (!unchanged) refused[key] = [msg('此字段只读', 'This field is read-only for you')];
        continue;
      }
      out[key] = value;
    }
    if (Object.keys(refused).length) throw new AppError('forbidden', msg('包含无权写入的字段', 'The body writes fields you may not write'), { fields: refused });
    // Subtable rows: computed row fields are the server's too.
    for (const st of form.subtables) {
      const rows = out[st.field.key];
      if (!Array.isArray(rows)) continue;
      out[st.field.key] = rows.map((r) => {
        if (r === null || typeof r !== 'object' || Array.isArray(r)) return r;
        const row: Record<string, unknown> = Object.create(null);
        for (const [k, v] of Object.entries(r)) {
          const sf = st.field.fields?.find((x) => x.key === k);
          if (sf && (sf.formula !== undefined)) continue;
          if (k === 'id') continue;
          row[k] = v;
        }
        return { ...row };
      });
    }
    return { ...out };
  }

  private applyDefaults(form: CompiledForm, payload: Record<string, unknown>): void {
    for (const f of form.fields) {
      if (f.default === undefined || !form.writable.has(f.key) || payload[f.key] !== undefined) continue;
      payload[f.key] = defaultValue(f);
    }
    for (const st of form.subtables) {
      const rows = payload[st.field.key];
      if (!Array.isArray(rows)) continue;
      for (const row of rows) {
        if (!row || typeof row !== 'object') continue;
        for (const sf of st.field.fields ?? []) if (sf.default !== undefined && (row as any)[sf.key] === undefined) (row as any)[sf.key] = defaultValue(sf);
      }
    }
  }

  private async transact<T>(form: CompiledForm, fn: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
    try {
      return await this.db.knex.transaction(fn);
    } catch (e) {
      throw mapDbError(e, form);
    }
  }

  private async lockedCurrent(trx: Knex.Transaction, form: CompiledForm, id: number, scope: ReadScope): Promise<ApiRecord> {
    const current = await this.query.getOne(form, id, { rows: scope.rows, vars: scope.vars }, trx, { forUpdate: true });
    if (!current) throw recordNotFound(form, id);
    return current;
  }

  /** The written record as the actor may see it (fields outside their field set left out). */
  private async visibleTo(actor: Actor, form: CompiledForm, rec: ApiRecord): Promise<ApiRecord> {
    // Also called inside transactions (a stale version's conflict): never a database read of its own.
    const access = await this.txPolicy.fields(actor, form);
    if (!access.visible && !access.masked.size) return rec;
    const out = { ...rec };
    for (const f of form.fields) {
      if (access.visible && !access.visible.has(f.key)) delete out[f.key];
      else if (access.masked.has(f.key)) out[f.key] = maskValue(out[f.key]);
    }
    return out;
  }

  private async insertRow(trx: Knex.Transaction, table: string, row: Record<string, unknown>): Promise<number> {
    if (this.db.dialect === 'pg') {
      const [r] = await trx(table).insert(row).returning('id');
      return Number(typeof r === 'object' ? (r as any).id : r);
    }
    const [id] = await trx(table).insert(row);
    return Number(id);
  }

  private async writeSubtables(
    trx: Knex.Transaction, form: CompiledForm, id: number, record: Record<string, unknown>, isNew: boolean,
    changes?: Record<string, unknown>,
  ): Promise<void> {
    for (const st of form.subtables) {
      if (!isNew && !(changes && st.field.key in changes)) continue;
      if (!isNew) await trx(st.table).where(CHILD_COLUMNS.parent, id).delete();
      const rows = (record[st.field.key] as Record<string, unknown>[] | null) ?? [];
      if (!rows.length) continue;
      const values = rows.map((r, i) => {
        const row: Record<string, unknown> = { [CHILD_COLUMNS.parent]: id, [CHILD_COLUMNS.seq]: i + 1 };
        for (const c of st.columns) row[c.column!] = this.codec.encode(c, r[c.key]);
        return row;
      });
      for (let i = 0; i < values.length; i += 200) await trx(st.table).insert(values.slice(i, i + 200));
    }
  }

  /**
   * Relation values (subtable rows' too) must point at existing records the actor may read (a
   * row scope on the target form applies, so no one links to — or probes for — records outside
   * their scope). One query per relation field for all the given records; error keys carry
   * `prefix(i)` for record i (bulk creates).
   */
  private async checkRelations(
    trx: Knex.Transaction, actor: Actor, form: CompiledForm, records: Array<Record<string, unknown>>, current: ApiRecord | null,
    prefix: (i: number) => string = () => '',
  ): Promise<void> {
    const errors: Record<string, Msg[]> = {};
    const policy = this.txPolicy;
    const check = async (f: FieldDef, refs: Array<[unknown, string]>) => {
      const wanted = [...new Set(refs.map(([v]) => v).filter((v): v is number => typeof v === 'number'))];
      if (!wanted.length) return;
      const targetForm = this.forms.peek(f.relation!.form);
      let scope: { sql: string; bindings: unknown[] } | null = null;
      if (targetForm && !actor.isSystem && !actor.isAdmin && (await policy.can(actor, targetForm, 'read'))) {
        const rows = await policy.rowScope(actor, targetForm, 'read');
        if (rows != null) scope = compileFilter(rows, { dialect: this.db.dialect, field: this.query.resolver(targetForm), vars: actorVars(actor) });
      }
      const found = new Set<number>();
      for (let k = 0; k < wanted.length; k += 1000) {
        const q = trx(`${recordTable(f.relation!.form)} as t`).whereIn('t.id', wanted.slice(k, k + 1000)).select('t.id');
        if (scope) q.whereRaw(scope.sql, scope.bindings as any[]);
        for (const r of await q) found.add(Number((r as any).id));
      }
      for (const [v, key] of refs) {
        if (typeof v === 'number' && !found.has(v)) (errors[key] ??= []).push(msg(`关联记录 ${v} 不存在`, `Related record ${v} does not exist`));
      }
    };
    for (const f of form.relations) {
      const refs: Array<[unknown, string]> = [];
      records.forEach((record, i) => {
        const v = record[f.key];
        if (v == null || (current && current[f.key] === v)) return;
        refs.push([v, `${prefix(i)}${f.key}`]);
      });
      await check(f, refs);
    }
    for (const st of form.subtables) {
      for (const sf of st.field.fields ?? []) {
        if (sf.type !== 'relation' || sf.deleted) continue;
        const refs: Array<[unknown, string]> = [];
        records.forEach((record, i) => {
          const rows = record[st.field.key];
          if (Array.isArray(rows)) rows.forEach((r, k) => refs.push([r?.[sf.key], `${prefix(i)}${st.field.key}.${k}.${sf.key}`]));
        });
        await check(sf, refs);
      }
    }
    if (Object.keys(errors).length) throw validationError(errors);
  }

  /** A clear `conflict` for a taken unique value (the unique index stays the real guard). */
  private async checkUniques(trx: Knex.Transaction, form: CompiledForm, record: Record<string, unknown>, selfId: number | null, changed?: Record<string, unknown>): Promise<void> {
    const taken: Record<string, Msg[]> = {};
    for (const f of form.uniques) {
      if (f.type === 'autonumber') continue;
      if (changed && !(f.key in changed)) continue; // an unchanged value cannot newly collide
      const v = record[f.key];
      if (v == null || v === '') continue;
      const q = trx(form.table).where(f.column!, toColumnValue(f, v) as any).select('id').first();
      if (selfId != null) q.whereNot('id', selfId);
      if (await q) taken[f.key] = [msg(`“${labelText(f.label)}”已被占用：${String(v)}`, `${labelText(f.label, 'en')} '${String(v)}' is already taken`)];
    }
    if (Object.keys(taken).length) throw new AppError('conflict', msg('唯一值已被占用', 'A unique value is already taken'), { fields: taken });
  }

  /**
   * Rollups on other forms that aggregate this form's records: recompute them for every record
   * the written rows point at (before and after the write).
   */
  private async updateRollupTargets(trx: Knex.Transaction, form: CompiledForm, records: Array<Record<string, unknown>>, depth = 0): Promise<void> {
    if (depth > 4) return;
    for (const dep of this.forms.rollupDependents(form.key)) {
      const ids = [...new Set(records.map((r) => r[dep.via]).filter((v): v is number => typeof v === 'number'))];
      if (ids.length) await this.recomputeRollups(trx, dep.parent, ids, depth);
    }
  }

  private async recomputeRollups(trx: Knex.Transaction, parent: CompiledForm, ids: number[], depth: number): Promise<void> {
    const currents = await this.query.getMany(parent, ids, {}, trx);
    if (!currents.length) return;
    const values = new Map<number, Record<string, unknown>>(currents.map((c) => [c.id, {}]));
    for (const f of parent.rollups) {
      const r = f.rollup!;
      const child = this.forms.peek(r.form);
      const via = child?.byKey.get(r.via);
      if (!child || !via) continue;
      const agg = r.field ? child.byKey.get(r.field) : undefined;
      const expr = r.op === 'count' ? 'count(*)' : `${r.op}("t".${quoteId(agg!.column!)})`;
      const q = trx(`${child.table} as t`)
        .whereIn(`t.${via.column}`, ids)
        .groupBy(`t.${via.column}`)
        .select({ pid: `t.${via.column}` })
        .select(trx.raw(`${expr} as v`));
      if (r.filter != null) {
        const c = compileFilter(r.filter, { dialect: this.db.dialect, field: this.query.resolver(child) });
        q.whereRaw(c.sql, c.bindings as any[]);
      }
      const sums = new Map((await q).map((row: any) => [Number(row.pid), row.v]));
      for (const id of values.keys()) {
        const raw = sums.get(id);
        let v: unknown;
        if (r.op === 'count') v = Number(raw ?? 0);
        else if (raw == null) v = r.op === 'sum' ? 0 : null;
        else v = agg ? fromColumnValue(agg.type === 'money' && r.op === 'avg' ? { ...agg, type: 'number' } : agg, r.op === 'avg' && agg.type === 'money' ? Number(raw) / 100 : raw) : Number(raw);
        values.get(id)![f.key] = v;
      }
    }
    const changedRecords: Array<Record<string, unknown>> = [];
    for (const cur of currents) {
      const next = computeValues(parent.def, { ...stripVirtual(parent, cur), ...values.get(cur.id) }) as Record<string, unknown>;
      const set: Record<string, unknown> = {};
      for (const f of parent.columns) {
        const a = toColumnValue(f, cur[f.key]);
        const b = toColumnValue(f, next[f.key]);
        if (a !== b) set[f.column!] = this.codec.encode(f, next[f.key]);
      }
      if (Object.keys(set).length) {
        // A rollup changing is a change of the record: its version moves and automations hear of it.
        const version = cur._version + 1;
        await trx(parent.table).where({ id: cur.id }).update({ ...set, _version: version, _updated_at: nowIso() });
        changedRecords.push(cur, next);
        const changed = parent.columns.filter((f) => f.column! in set).map((f) => f.key);
        const after = { ...next, _version: version } as ApiRecord;
        await this.emit(trx, parent, cur.id, 'record.updated', {
          record: this.protect(parent, after), before: this.protect(parent, cur), changed, by: null, silent: false, cause: null,
        }, `${parent.key}:${cur.id}:v${version}`);
      }
    }
    if (changedRecords.length) await this.updateRollupTargets(trx, parent, changedRecords, depth + 1);
  }

  private async audit(trx: Knex.Transaction, form: CompiledForm, id: number, action: string, actor: Actor, changes: Record<string, [unknown, unknown]>, at: string) {
    await trx('fw_audit').insert({ form: form.key, record_id: id, action, at, by: actor.userId, changes: JSON.stringify(this.auditChanges(form, changes)) });
  }

  /** Changes as the audit log stores them: sensitive values encrypted. */
  private auditChanges(form: CompiledForm, changes: Record<string, [unknown, unknown]>): Record<string, [unknown, unknown]> {
    const stored: Record<string, [unknown, unknown]> = {};
    for (const [k, [a, b]] of Object.entries(changes)) {
      const f = form.byKey.get(k);
      stored[k] = f?.sensitive ? [this.codec.encode(f, a), this.codec.encode(f, b)] : [a, b];
    }
    return stored;
  }

  /** Sensitive values leave the transaction encrypted (outbox payloads are stored rows too). */
  private protect(form: CompiledForm, rec: Record<string, unknown>): Record<string, unknown> {
    if (!form.fields.some((f) => f.sensitive)) return rec;
    const out = { ...rec };
    for (const f of form.fields) if (f.sensitive && out[f.key] != null) out[f.key] = this.codec.encode(f, out[f.key]);
    return out;
  }

  private async emit(trx: Knex.Transaction, form: CompiledForm, id: number, event: string, payload: Record<string, unknown>, key: string) {
    await trx('fw_outbox').insert({
      event, form: form.key, record_id: id, payload: JSON.stringify(payload), idempotency_key: key, created_at: nowIso(),
    });
  }
}

// ---------- helpers ----------

/**
 * `n` fresh ids for rows of `table`, taken before the INSERT so a multi-row insert knows which
 * id each row got (RETURNING promises no order). PostgreSQL: from the identity sequence;
 * SQLite: past the highest id ever given (one writer, inside the caller's transaction).
 */
async function allocateIds(trx: Knex, dialect: 'pg' | 'sqlite', table: string, n: number): Promise<number[]> {
  if (n < 1) return [];
  if (dialect === 'pg') {
    const r = await trx.raw(`select nextval(pg_get_serial_sequence(?, 'id')) as id from generate_series(1, ?)`, [quoteId(table), n]);
    return (r as any).rows.map((x: any) => Number(x.id));
  }
  const r = await trx.raw(
    `select max(coalesce((select seq from sqlite_sequence where name = ?), 0), coalesce((select max(id) from ${quoteId(table)}), 0)) as m`,
    [table],
  );
  const base = Number((r as any)[0].m);
  return Array.from({ length: n }, (_, k) => base + 1 + k);
}

/** A multi-row INSERT in chunks that stay under both databases' limit on bound values. */
async function insertChunked(trx: Knex, table: string, rows: Record<string, unknown>[]): Promise<void> {
  if (!rows.length) return;
  // VALUES lists written here: knex writes SQLite's as SELECT … UNION ALL, which SQLite caps at 500 rows.
  const cols = Object.keys(rows[0]!);
  const per = Math.max(1, Math.floor(30000 / cols.length));
  const tuple = `(${cols.map(() => '?').join(', ')})`;
  for (let k = 0; k < rows.length; k += per) {
    const chunk = rows.slice(k, k + per);
    const bindings: unknown[] = [];
    for (const row of chunk) for (const c of cols) bindings.push(row[c] ?? null);
    await trx.raw(`INSERT INTO ${quoteId(table)} (${cols.map(quoteId).join(', ')}) VALUES ${chunk.map(() => tuple).join(', ')}`, bindings as any[]);
  }
}

async function departmentOf(trx: Knex, userId: number): Promise<number | null> {
  const u = await trx('fw_users').where({ id: userId }).select('department_id').first();
  return u?.department_id == null ? null : Number(u.department_id);
}

function isRuleDefault(d: unknown): boolean {
  return !!d && typeof d === 'object' && !Array.isArray(d) && '$rule' in (d as object);
}

function defaultValue(f: FieldDef): unknown {
  const d = f.default as any;
  if (d && typeof d === 'object' && !Array.isArray(d) && '$rule' in d) return applyRule(d.$rule, {});
  return d === null || typeof d !== 'object' ? d : JSON.parse(JSON.stringify(d));
}

/** Rules may read formulas computed on read too. */
function withVirtual(form: CompiledForm, rec: Record<string, unknown>): Record<string, unknown> {
  return form.hasVirtual ? computeValues(form.def, rec, { includeVirtual: true }) : rec;
}

function stripVirtual(form: CompiledForm, rec: Record<string, unknown>): Record<string, unknown> {
  if (!form.hasVirtual) return rec;
  const out = { ...rec };
  for (const f of form.fields) if (f.formula !== undefined && f.stored === false) delete out[f.key];
  return out;
}

function isVirtual(f: FieldDef): boolean {
  return f.formula !== undefined && f.stored === false;
}

function isEmpty(v: unknown): boolean {
  return v === null || v === undefined || (Array.isArray(v) && v.length === 0);
}

function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a == null || b == null) return (a ?? null) === (b ?? null);
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Field-level changes between the stored record and the merged one. */
function diffRecords(form: CompiledForm, before: Record<string, unknown>, after: Record<string, unknown>): Record<string, [unknown, unknown]> {
  const changes: Record<string, [unknown, unknown]> = {};
  for (const f of form.fields) {
    if (f.formula !== undefined && f.stored === false) continue;
    let a = before[f.key] ?? null;
    let b = after[f.key] ?? null;
    if (f.type === 'subtable') {
      const strip = (rows: unknown) => (Array.isArray(rows) ? rows.map(({ id: _id, ...rest }: any) => rest) : rows ?? []);
      a = strip(a);
      b = strip(b);
      if (!same(a, b)) changes[f.key] = [before[f.key] ?? [], after[f.key] ?? []];
      continue;
    }
    if (!same(toColumnValue(f, a), toColumnValue(f, b))) changes[f.key] = [a, b];
  }
  return changes;
}

function throwIfErrors(errors: Record<string, Msg[]>): void {
  if (Object.keys(errors).length) throw validationError(errors);
}

function recordNotFound(form: CompiledForm, id: number): AppError {
  return notFound(`记录 ${id} 不存在`, `No record ${id} in '${form.key}'`);
}

function staleVersion(form: CompiledForm, current: ApiRecord): AppError {
  return new AppError('conflict', msg('记录已被他人修改，请刷新后重试', 'The record was changed by someone else; reload and try again'), {
    details: { currentVersion: current._version, record: current },
  });
}

/** Constraint violations that slipped past the checks (races) become the error model's codes. */
export function mapDbError(e: unknown, form: CompiledForm): unknown {
  if (e instanceof AppError) return e;
  const err = e as { code?: string; message?: string; constraint?: string; detail?: string };
  const text = String(err?.message ?? '');
  const isUnique = err?.code === '23505' || /UNIQUE constraint failed/.test(text);
  const isFk = err?.code === '23503' || /FOREIGN KEY constraint failed/.test(text);
  if (isUnique) {
    const fields: Record<string, Msg[]> = {};
    for (const f of form.uniques) {
      if (text.includes(`.${f.column}`) || (err.constraint ?? '').includes(f.column!) || (err.detail ?? '').includes(`(${f.column})`)) {
        fields[f.key] = [msg(`“${labelText(f.label)}”已被占用`, `${labelText(f.label, 'en')} is already taken`)];
      }
    }
    return new AppError('conflict', msg('唯一值已被占用', 'A unique value is already taken'), Object.keys(fields).length ? { fields } : {});
  }
  if (isFk) return new AppError('conflict', msg('记录被其他记录引用，或引用的记录不存在', 'The record is referenced by other records, or refers to a missing one'));
  return e;
}

export type { FormDef };
