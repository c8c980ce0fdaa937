/**
 * Indexes derived from the metadata: a field that other documents lean on gets an index even
 * when its form does not ask for one, so lists, reports and scoped reads stay fast at a million
 * rows. A field is leaned on when it is
 * - a report's dimension, a report filter's or a param's field (the source form's own field),
 * - read by a role's row rule,
 * - in the filter or sort of a list view an administrator shared.
 * Only columns an index helps are taken: comparable scalar values stored in a column, not
 * encrypted (sensitive) ones, not JSON; fields already indexed (indexed, unique, relations,
 * people, departments) and the system columns with indexes of their own are left alone.
 *
 * The index has the name the planner would give the field's own index (`ix_…`), and both create
 * it `IF NOT EXISTS`, so marking the field `indexed` later is a no-op. Derived indexes are only
 * added, never dropped (an unused index costs a little write time; dropping one a report still
 * needs costs a full scan). On PostgreSQL they are built CONCURRENTLY (writes go on); a build that
 * failed half-way (an INVALID index) is dropped and built again.
 */
import type { Knex } from 'knex';
import type { Db } from './connection.js';
import type { CompiledForm } from './compiled-form.js';
import { columnKind, fieldTypeSpec } from '../meta/field-types.js';
import { indexName, q } from './ddl.js';
import { fieldIndexKind } from './planner.js';
import { ruleVars } from '../rules/deps.js';
import type { FieldDef } from '../meta/types.js';
import type { DocumentService } from '../documents/document-service.js';
import type { FormRegistry } from '../records/form-registry.js';
import type { Logger } from '../http/logger.js';

export interface DerivedIndex {
  form: string;
  field: string;
  table: string;
  column: string;
  index: string;
  /** Why: `report:KEY`, `role:KEY`, `view:ID`. */
  because: string[];
}

export interface DerivedIndexSources {
  forms: CompiledForm[];
  reports: Array<{ key: string; source?: string; filter?: unknown; dimensions?: Array<{ field?: string }>; params?: Array<{ field?: string }>; sort?: unknown }>;
  roles: Array<{ key: string; permissions?: Array<{ form: string; rows?: unknown }> }>;
  views: Array<{ id: number; form: string; filter: unknown; sort: string | null }>;
}

function indexable(f: FieldDef | undefined): f is FieldDef {
  // a field indexed by its own definition (the planner's index) needs no second one
  if (!f || !f.column || f.sensitive || fieldIndexKind(f) !== null) return false;
  if (f.formula !== undefined && f.stored === false) return false;
  // long text (textarea) is left out: a btree entry has a size limit a long value would break
  const kind = columnKind(f);
  return kind !== null && kind !== 'json' && kind !== 'text' && fieldTypeSpec(f.type).comparable === true;
}

/** What should be indexed, by form and field, with the documents that ask for it. */
export function wantedIndexes(src: DerivedIndexSources): DerivedIndex[] {
  const forms = new Map(src.forms.map((f) => [f.key, f]));
  const out = new Map<string, DerivedIndex>();
  const want = (formKey: string | undefined, path: unknown, because: string) => {
    if (!formKey || typeof path !== 'string') return;
    const form = forms.get(formKey);
    // a path through a relation is served by the relation's own index: only its first step counts
    const f = form?.byKey.get(path.split('.')[0]!);
    if (!form || !indexable(f)) return;
    const id = `${form.key}.${f.key}`;
    const entry = out.get(id) ?? { form: form.key, field: f.key, table: form.table, column: f.column!, index: indexName('ix', form.table, f.column!), because: [] };
    if (!entry.because.includes(because)) entry.because.push(because);
    out.set(id, entry);
  };
  for (const r of src.reports) {
    const why = `report:${r.key}`;
    for (const d of r.dimensions ?? []) want(r.source, d.field, why);
    for (const p of r.params ?? []) want(r.source, p.field, why);
    for (const v of ruleVars(r.filter)) want(r.source, v, why);
  }
  for (const role of src.roles) {
    for (const p of role.permissions ?? []) {
      if (!p.rows || typeof p.rows !== 'object') continue; // 'own' and 'department' use _owner / _dept
      const targets = p.form === '*' ? [...forms.keys()] : [p.form];
      for (const v of ruleVars((p.rows as { rule?: unknown }).rule)) for (const fk of targets) want(fk, v, `role:${role.key}`);
    }
  }
  for (const v of src.views) {
    for (const k of ruleVars(v.filter)) want(v.form, k, `view:${v.id}`);
    for (const k of (v.sort ?? '').split(',')) want(v.form, k.trim().replace(/^-/, ''), `view:${v.id}`);
  }
  return [...out.values()].sort((a, b) => a.index.localeCompare(b.index));
}

/** The index names present on these tables (PostgreSQL: valid ones; invalid ones are dropped). */
async function existingIndexes(db: Db, tables: string[]): Promise<Set<string>> {
  const names = new Set<string>();
  if (!tables.length) return names;
  if (db.dialect === 'pg') {
    const rows = await db.knex.raw(
      `select c.relname as name, i.indisvalid as valid from pg_index i join pg_class c on c.oid = i.indexrelid join pg_class t on t.oid = i.indrelid
       join pg_namespace n on n.oid = t.relnamespace where n.nspname = current_schema() and t.relname = any(?)`,
      [tables],
    );
    for (const r of rows.rows as Array<{ name: string; valid: boolean }>) {
      if (r.valid) names.add(r.name);
      else await db.knex.raw(`DROP INDEX IF EXISTS ${q(r.name)}`);
    }
  } else {
    for (const t of tables) {
      const rows: Array<{ name: string }> = await db.knex.raw(`select name from pragma_index_list(?)`, [t]);
      for (const r of rows) names.add(r.name);
    }
  }
  return names;
}

/**
 * Create the wanted indexes that are missing. Returns those it created. Errors of one index
 * (another process building the same one, a table gone meanwhile) are reported and skipped.
 */
export async function ensureDerivedIndexes(db: Db, wanted: DerivedIndex[], onError?: (ix: DerivedIndex, e: unknown) => void): Promise<DerivedIndex[]> {
  const have = await existingIndexes(db, [...new Set(wanted.map((w) => w.table))]);
  const made: DerivedIndex[] = [];
  for (const w of wanted) {
    if (have.has(w.index)) continue;
    try {
      await createDerived(db.knex, db.dialect, w);
      made.push(w);
    } catch (e) {
      onError?.(w, e);
    }
  }
  return made;
}

async function createDerived(knex: Knex, dialect: Db['dialect'], w: DerivedIndex): Promise<void> {
  const concurrently = dialect === 'pg' ? 'CONCURRENTLY ' : '';
  await knex.raw(`CREATE INDEX ${concurrently}IF NOT EXISTS ${q(w.index)} ON ${q(w.table)} (${q(w.column)})`);
}

/**
 * Keeps the derived indexes in step with the metadata: `reconcile()` after a form, report or
 * role is published, a shared view saved, and when the engine starts. Runs one at a time; a
 * request while one runs makes one more run after it (not one per request).
 */
export class DerivedIndexes {
  private running: Promise<DerivedIndex[]> | null = null;
  private again = false;

  constructor(private readonly db: Db, private readonly forms: FormRegistry, private readonly docs: DocumentService, private readonly logger?: Logger) {}

  async wanted(): Promise<DerivedIndex[]> {
    const [forms, reports, roles, views] = await Promise.all([
      this.forms.all(),
      this.docs.allPublished('reports'),
      this.docs.allPublished('roles'),
      this.db.knex('fw_list_views').where({ shared: true }).select('id', 'form', 'filter', 'sort'),
    ]);
    const parse = (v: unknown) => (typeof v === 'string' ? safeJson(v) : v ?? null);
    return wantedIndexes({
      forms,
      reports: reports.map((r) => r.doc),
      roles: roles.map((r) => r.doc),
      views: views.map((v: any) => ({ id: Number(v.id), form: v.form, filter: parse(v.filter), sort: v.sort ?? null })),
    });
  }

  /** Create what is missing; resolves with the indexes this run created. */
  reconcile(): Promise<DerivedIndex[]> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      let made: DerivedIndex[] = [];
      do {
        this.again = false;
        made = made.concat(await ensureDerivedIndexes(this.db, await this.wanted(), (ix, e) => {
          this.logger?.warn('derived index not created', { index: ix.index, table: ix.table, error: e instanceof Error ? e.message : String(e) });
        }));
      } while (this.again);
      for (const ix of made) this.logger?.info('derived index created', { index: ix.index, form: ix.form, field: ix.field, because: ix.because });
      return made;
    })().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /** Resolves when no run is going on (errors swallowed: they were logged). */
  async idle(): Promise<void> {
    while (this.running) await this.running.catch(() => undefined);
  }

  /** Reconcile in the background (errors logged, never thrown). */
  schedule(): void {
    this.reconcile().catch((e) => this.logger?.error('derived indexes failed', { error: e instanceof Error ? e.message : String(e) }));
  }
}

function safeJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return null;
  }
}
