/**
 * Template packs (ARCHITECTURE.md decision 7): install with a plan first, provenance per
 * document, local edits as an overlay on the pack's base, upgrades by three-way merge that
 * report every conflict and overwrite nothing until each is chosen, uninstall that keeps data
 * unless confirmed, and export of chosen modules (with their local edits) as a new pack.
 *
 * Documents are published through DocumentService, so forms become tables through the planner
 * and every change is a revision. A run that fails part-way is undone: documents it created are
 * removed (their new, empty tables dropped) and documents it changed go back to their previous
 * revision, so a broken pack leaves nothing behind.
 */
import crypto from 'node:crypto';
import semver from 'semver';
import type { Db } from '../store/connection.js';
import type { DocumentService } from '../documents/document-service.js';
import { nowIso } from '../store/system.js';
import { validateDocument } from '../meta/metaschema.js';
import { jsonEqual } from '../meta/diff.js';
import type { FieldDef, FormDef, MetaKind } from '../meta/types.js';
import { META_KINDS } from '../meta/types.js';
import { planForm, prepareForPublish, type TablePlan } from '../store/planner.js';
import { recordTable } from '../store/tables.js';
import { AppError, msg, notFound, validationError, type Msg } from '../errors.js';
import { checksumOf, validateBundle, type PackBundle, type PackDocument, type PackManifest } from './bundle.js';
import { merge3, overlayOf, type Choice, type MergeConflict } from './merge.js';

export interface InstalledPack {
  name: string;
  version: string;
  installedAt: string;
  label?: unknown;
  modules?: string[];
}

export interface PlanDocument {
  kind: MetaKind;
  key: string;
  /** add: new here; update: the pack's document differs from what is published; unchanged; conflict: a local document of that key exists outside the pack. */
  action: 'add' | 'update' | 'unchanged' | 'conflict';
}

export interface InstallPlan {
  pack: { name: string; version: string; installed: string | null };
  /** Hand back to install: refused if the target changed since. */
  token: string;
  documents: PlanDocument[];
  tables: Array<{ form: string; table: string; create: boolean; steps: TablePlan['steps'] }>;
  dependencies: Array<{ name: string; range: string; installed: string | null; ok: boolean }>;
}

export interface InstallResult {
  installed: Array<{ kind: MetaKind; key: string; revision: number }>;
  unchanged: Array<{ kind: MetaKind; key: string }>;
  conflicts: Array<{ document: string; path: string; ours: unknown; theirs: unknown }>;
}

export interface UpgradeConflict extends MergeConflict {
  /** `kind/key` */
  document: string;
}

export interface UpgradeResult {
  /** false when conflicts are unresolved: nothing was written. */
  applied: boolean;
  from: string | null;
  to: string;
  /** Documents written, with the local changes kept in each. */
  merged: Array<{ document: string; revision: number | null; keptLocal: number }>;
  /** Documents the merge left as they are (nothing new from the pack reached them). */
  unchanged: string[];
  added: string[];
  /** Documents the new version no longer ships: kept as local documents. */
  removed: string[];
  conflicts: UpgradeConflict[];
}

export interface Resolution {
  document: string;
  path: string;
  /** keep local, or take the pack's. */
  choice: 'local' | 'pack' | Choice;
}

interface Ctx {
  db: Db;
  docs: DocumentService;
  engineVersion: string;
}

/** A pack's document compared with what it ships: engine-added facts left out. */
export function cleanDocument(kind: MetaKind, doc: any): any {
  if (kind !== 'forms' || !doc || !Array.isArray(doc.fields)) return doc;
  const clean = (fields: FieldDef[]): FieldDef[] =>
    fields.filter((f) => !f.deleted).map((f) => {
      const { column: _c, ...rest } = f as FieldDef & { column?: string };
      return (rest.fields ? { ...rest, fields: clean(rest.fields) } : rest) as FieldDef;
    });
  return { ...doc, fields: clean(doc.fields) };
}

/** Give a new base's fields the ids the old base gave the same keys (packs that ship without ids). */
function idsFromBase(doc: any, base: any): any {
  if (!doc || !Array.isArray(doc.fields) || !base || !Array.isArray(base.fields)) return doc;
  const walk = (fields: FieldDef[], prev: FieldDef[]): FieldDef[] => {
    const byKey = new Map(prev.map((f) => [f.key, f]));
    return fields.map((f) => {
      const p = byKey.get(f.key);
      const out: FieldDef = f.id || !p ? { ...f } : { ...f, id: p.id };
      if (f.fields) out.fields = walk(f.fields, p?.fields ?? []);
      return out;
    });
  };
  return { ...doc, fields: walk(doc.fields, base.fields) };
}

const docId = (d: { kind: string; key: string }) => `${d.kind}/${d.key}`;

export class PackService {
  constructor(private readonly ctx: Ctx) {}

  async list(): Promise<InstalledPack[]> {
    const rows = await this.ctx.db.knex('fw_packs').orderBy('name');
    return rows.map((r: any) => {
      const m = JSON.parse(r.manifest);
      return { name: r.name, version: r.version, installedAt: r.installed_at, label: m.label, modules: m.modules };
    });
  }

  /** One installed pack: its manifest and each document's provenance and local changes. */
  async get(name: string) {
    const row = await this.ctx.db.knex('fw_packs').where({ name }).first();
    if (!row) throw notFound('模板包未安装', `Pack '${name}' is not installed`);
    const rows = await this.ctx.db.knex('fw_pack_documents').where({ pack: name }).orderBy(['kind', 'key']);
    const documents = [];
    for (const r of rows) {
      const published = await this.ctx.docs.getPublished(r.kind, r.key);
      const overlay = published ? overlayOf(JSON.parse(r.base), cleanDocument(r.kind, published)) : [];
      documents.push({ kind: r.kind, key: r.key, version: r.version, checksum: r.checksum, installedAt: r.installed_at, localChanges: overlay.length });
    }
    return { name, version: row.version, installedAt: row.installed_at, manifest: JSON.parse(row.manifest), documents };
  }

  /** A document's provenance and its overlay: what the dealer changed relative to the pack's base. */
  async provenance(kind: MetaKind, key: string) {
    const r = await this.ctx.db.knex('fw_pack_documents').where({ kind, key }).first();
    if (!r) return { pack: null, version: null, checksum: null, overlay: [] };
    const published = await this.ctx.docs.getPublished(kind, key);
    return {
      pack: r.pack, version: r.version, checksum: r.checksum, installedAt: r.installed_at,
      overlay: published ? overlayOf(JSON.parse(r.base), cleanDocument(kind, published)) : [],
    };
  }

  // ---------------------------------------------------------------- plan and install

  async plan(input: unknown): Promise<InstallPlan> {
    const bundle = validateBundle(input, this.ctx.engineVersion);
    return this.planFor(bundle);
  }

  private async planFor(bundle: PackBundle): Promise<InstallPlan> {
    const { knex } = this.ctx.db;
    const installed = await knex('fw_packs').where({ name: bundle.manifest.name }).first();
    const provenance = new Map((await knex('fw_pack_documents')).map((r: any) => [docId(r), r.pack]));
    const documents: PlanDocument[] = [];
    const tables: InstallPlan['tables'] = [];
    const current = await this.publishedOf(bundle.documents);
    for (const d of bundle.documents) {
      const published = current.get(docId(d)) ?? null;
      const owner = provenance.get(docId(d));
      let action: PlanDocument['action'];
      if (!published) action = 'add';
      else if (owner !== bundle.manifest.name) action = 'conflict';
      else action = jsonEqual(cleanDocument(d.kind, published), cleanDocument(d.kind, d.doc)) ? 'unchanged' : 'update';
      documents.push({ kind: d.kind, key: d.key, action });
      if (d.kind === 'forms' && action !== 'unchanged' && action !== 'conflict') {
        try {
          const next = prepareForPublish(published, validateDocument('forms', d.doc) as FormDef);
          tables.push({ form: d.key, table: recordTable(d.key), create: !published, steps: planForm(published, next).steps });
        } catch {
          // reported by validation at install
        }
      }
    }
    const dependencies = [];
    for (const [name, range] of Object.entries(bundle.manifest.dependencies ?? {})) {
      const dep = await knex('fw_packs').where({ name }).first();
      dependencies.push({ name, range, installed: dep?.version ?? null, ok: !!dep && semver.satisfies(dep.version, range) });
    }
    return {
      pack: { name: bundle.manifest.name, version: bundle.manifest.version, installed: installed?.version ?? null },
      token: await this.token(bundle), documents, tables, dependencies,
    };
  }

  /** The published documents of these kinds and keys, by `kind/key` (one query per kind). */
  private async publishedOf(documents: Array<{ kind: MetaKind; key: string }>): Promise<Map<string, any>> {
    const out = new Map<string, any>();
    for (const kind of new Set(documents.map((d) => d.kind))) {
      for (const { doc } of await this.ctx.docs.allPublished(kind)) out.set(`${kind}/${doc.key}`, doc);
    }
    return out;
  }

  /** What the plan was made against: the metadata version and the bundle itself. */
  private async token(bundle: PackBundle): Promise<string> {
    const v = await this.ctx.docs.metaVersion();
    return crypto.createHash('sha256').update(`${v}:${checksumOf(bundle)}`).digest('hex').slice(0, 32);
  }

  /**
   * Install a pack (or re-install the same version). With `planToken`, refused with `conflict`
   * if anything changed since that plan. A document of the same key that is not this pack's is a
   * conflict: nothing is installed. Malformed documents are refused before anything is written.
   */
  async install(input: unknown, opts: { planToken?: string; by?: number | null } = {}): Promise<InstallResult> {
    const bundle = validateBundle(input, this.ctx.engineVersion);
    const plan = await this.planFor(bundle);
    if (opts.planToken && opts.planToken !== plan.token) {
      throw new AppError('conflict', msg('计划生成后目标系统已变更，请重新生成安装计划', 'The target changed since the plan was made; plan again'));
    }
    this.checkDependencies(plan);
    if (plan.pack.installed) {
      // Installed already: the same version again (or a newer one) is an upgrade, which keeps local edits.
      const up = await this.upgrade(bundle, { by: opts.by });
      return {
        installed: up.merged.filter((m) => m.revision != null).map((m) => ({ kind: m.document.split('/')[0] as MetaKind, key: m.document.split('/')[1]!, revision: m.revision! })),
        unchanged: up.unchanged.map((id) => ({ kind: id.split('/')[0] as MetaKind, key: id.split('/')[1]! })),
        conflicts: up.conflicts.map((c) => ({ document: c.document, path: c.path, ours: c.ours, theirs: c.theirs })),
      };
    }
    const conflicts = plan.documents.filter((d) => d.action === 'conflict');
    if (conflicts.length) {
      return {
        installed: [], unchanged: [],
        conflicts: await Promise.all(conflicts.map(async (d) => ({
          document: docId(d), path: '', ours: await this.ctx.docs.getPublished(d.kind, d.key), theirs: bundle.documents.find((x) => docId(x) === docId(d))!.doc,
        }))),
      };
    }
    await this.validateAll(bundle.documents);
    const result: InstallResult = { installed: [], unchanged: [], conflicts: [] };
    const actions = new Map(plan.documents.map((d) => [docId(d), d.action]));
    const applied = await this.applyAll(
      bundle.documents.filter((d) => actions.get(docId(d)) !== 'unchanged'),
      `pack ${bundle.manifest.name}@${bundle.manifest.version}`, opts.by ?? null,
    );
    result.installed = applied;
    result.unchanged = bundle.documents.filter((d) => actions.get(docId(d)) === 'unchanged').map((d) => ({ kind: d.kind, key: d.key }));
    await this.record(bundle, bundle.documents);
    return result;
  }

  private checkDependencies(plan: InstallPlan): void {
    const missing = plan.dependencies.filter((d) => !d.ok);
    if (!missing.length) return;
    const fields: Record<string, Msg[]> = {};
    for (const d of missing) {
      fields[`/manifest/dependencies/${d.name}`] = [d.installed
        ? msg(`需要 ${d.name} ${d.range}，已安装 ${d.installed}`, `needs ${d.name} ${d.range}; ${d.installed} is installed`)
        : msg(`需要先安装模板包 ${d.name} ${d.range}`, `install pack ${d.name} ${d.range} first`)];
    }
    throw new AppError('validation', msg('缺少依赖的模板包', 'A pack this one depends on is missing'), { fields });
  }

  /** Every document against its metaschema, all errors at once (`/documents/<kind>/<key>/<pointer>`). */
  private async validateAll(documents: PackDocument[]): Promise<void> {
    const errors: Record<string, Msg[]> = {};
    // Relation targets: the pack's forms, or forms published here (a pack depending on another).
    const forms = new Set([...documents.filter((d) => d.kind === 'forms').map((d) => d.key), ...(await this.ctx.docs.list('forms')).filter((d) => d.revision != null).map((d) => d.key)]);
    for (const d of documents) {
      try {
        const valid = validateDocument(d.kind, d.doc) as any;
        if (d.kind === 'forms') {
          for (const f of walkFields(valid.fields ?? [])) {
            if (f.type === 'relation' && f.relation && !forms.has(f.relation.form) && f.relation.form !== d.key) {
              (errors[`/documents/${d.kind}/${d.key}/fields/${f.key}`] ??= []).push(msg(`关联表单 ${f.relation.form} 不在包内`, `related form '${f.relation.form}' is not in the pack`));
            }
          }
        }
      } catch (e) {
        if (!(e instanceof AppError)) throw e;
        const fields = e.fields ?? { '': [e.text] };
        for (const [p, m] of Object.entries(fields)) errors[`/documents/${d.kind}/${d.key}${p.startsWith('/') || !p ? p : `/${p}`}`] = m;
      }
    }
    if (Object.keys(errors).length) throw new AppError('validation', msg('模板包中有不合法的文档', 'The pack has invalid documents'), { fields: errors });
  }

  /**
   * Publish documents in order; if one fails, undo the ones done (new documents removed with
   * their empty tables, changed ones back to their previous revision) and rethrow.
   */
  private async applyAll(documents: Array<{ kind: MetaKind; key: string; doc: any }>, note: string, by: number | null) {
    const done: Array<{ kind: MetaKind; key: string; revision: number; previous: number | null }> = [];
    try {
      for (const d of documents) {
        const row = await this.ctx.db.knex('fw_documents').where({ kind: d.kind, key: d.key }).first();
        const previous = row?.revision ?? null;
        await this.ctx.docs.saveDraft(d.kind, d.key, d.doc);
        const { revision } = await this.ctx.docs.publish(d.kind, d.key, { note, by });
        done.push({ kind: d.kind, key: d.key, revision, previous });
      }
    } catch (e) {
      await this.undo(done).catch(() => {});
      throw e;
    }
    return done.map(({ kind, key, revision }) => ({ kind, key, revision }));
  }

  private async undo(done: Array<{ kind: MetaKind; key: string; previous: number | null }>): Promise<void> {
    for (const d of [...done].reverse()) {
      if (d.previous == null) {
        await this.ctx.db.knex.transaction((trx) => this.ctx.docs.removeIn(trx, d.kind, d.key));
        this.ctx.docs.announceRemoval(d.kind, d.key);
      } else {
        await this.ctx.docs.rollback(d.kind, d.key, d.previous, { confirmDataLoss: false });
      }
    }
  }

  /** Provenance rows (the published document as installed is the base) and the pack's row. */
  private async record(bundle: PackBundle, documents: PackDocument[]): Promise<void> {
    const at = nowIso();
    const rows: Array<Record<string, unknown> & { kind: string; key: string }> = [];
    const current = await this.publishedOf(documents);
    for (const d of documents) {
      const published = current.get(docId(d)) ?? null;
      rows.push({
        kind: d.kind, key: d.key, pack: bundle.manifest.name, version: bundle.manifest.version,
        checksum: d.checksum ?? checksumOf(d.doc), base: JSON.stringify(cleanDocument(d.kind, published ?? d.doc)), installed_at: at,
      });
    }
    await this.ctx.db.knex.transaction(async (trx) => {
      for (const r of rows) {
        await trx('fw_pack_documents').where({ kind: r.kind, key: r.key }).delete();
        await trx('fw_pack_documents').insert(r);
      }
      const row = { version: bundle.manifest.version, manifest: JSON.stringify(bundle.manifest), installed_at: at };
      const exists = await trx('fw_packs').where({ name: bundle.manifest.name }).first();
      if (exists) await trx('fw_packs').where({ name: bundle.manifest.name }).update(row);
      else await trx('fw_packs').insert({ name: bundle.manifest.name, ...row });
    });
  }

  // ---------------------------------------------------------------- upgrade

  /**
   * Upgrade an installed pack: for each document, merge (old base, local effective, new base).
   * With conflicts not all resolved, nothing is written and every conflict is reported with the
   * three values; resolve each with `{document, path, choice: 'local' | 'pack'}` and upgrade
   * again. Records survive; tables migrate through the planner (`confirmDataLoss` for steps
   * that would lose data).
   */
  async upgrade(input: unknown, opts: { resolutions?: Resolution[]; confirmDataLoss?: boolean; by?: number | null } = {}): Promise<UpgradeResult> {
    const bundle = validateBundle(input, this.ctx.engineVersion);
    const { knex } = this.ctx.db;
    const name = bundle.manifest.name;
    const installed = await knex('fw_packs').where({ name }).first();
    if (!installed) throw new AppError('conflict', msg(`模板包 ${name} 尚未安装，请先安装`, `Pack '${name}' is not installed; install it first`));
    if (semver.lt(bundle.manifest.version, installed.version)) {
      throw new AppError('conflict', msg(`不能降级：已安装 ${installed.version}`, `Cannot downgrade: ${installed.version} is installed`));
    }
    // Packs that depend on this one must accept the new version.
    for (const p of await knex('fw_packs').whereNot({ name })) {
      const range = JSON.parse(p.manifest).dependencies?.[name];
      if (range && !semver.satisfies(bundle.manifest.version, range)) {
        throw new AppError('conflict', msg(`模板包 ${p.name} 需要 ${name} ${range}，不能升级到 ${bundle.manifest.version}`, `Pack '${p.name}' needs ${name} ${range}; cannot upgrade to ${bundle.manifest.version}`));
      }
    }
    this.checkDependencies(await this.planFor(bundle));
    await this.validateAll(bundle.documents);
    const chosen = new Map<string, Choice>();
    for (const r of opts.resolutions ?? []) chosen.set(`${r.document}#${r.path}`, r.choice === 'pack' || r.choice === 'theirs' ? 'theirs' : 'ours');
    const provenance = new Map((await knex('fw_pack_documents').where({ pack: name })).map((r: any) => [docId(r), r]));
    const result: UpgradeResult = { applied: false, from: installed.version, to: bundle.manifest.version, merged: [], unchanged: [], added: [], removed: [], conflicts: [] };
    const writes: Array<{ kind: MetaKind; key: string; doc: any; keptLocal: number }> = [];
    const newBases = new Map<string, any>();
    for (const d of bundle.documents) {
      const id = docId(d);
      const prov = provenance.get(id);
      const published = await this.ctx.docs.getPublished(d.kind, d.key);
      if (!prov) {
        if (published) {
          // a local document of the same key, not from this pack
          result.conflicts.push({ document: id, path: '', base: undefined, ours: cleanDocument(d.kind, published), theirs: d.doc });
          if (chosen.get(`${id}#`) === 'theirs') writes.push({ kind: d.kind, key: d.key, doc: d.doc, keptLocal: 0 });
          newBases.set(id, cleanDocument(d.kind, idsFromBase(d.doc, published)));
        } else {
          writes.push({ kind: d.kind, key: d.key, doc: d.doc, keptLocal: 0 });
          result.added.push(id);
        }
        continue;
      }
      const base = JSON.parse(prov.base);
      const theirs = cleanDocument(d.kind, idsFromBase(d.doc, base));
      newBases.set(id, theirs);
      if (!published) {
        writes.push({ kind: d.kind, key: d.key, doc: theirs, keptLocal: 0 });
        continue;
      }
      const ours = cleanDocument(d.kind, published);
      const { merged, conflicts } = merge3(base, ours, theirs, (p) => chosen.get(`${id}#${p}`));
      for (const c of conflicts) result.conflicts.push({ document: id, ...c });
      const keptLocal = overlayOf(theirs, merged).length;
      if (!jsonEqual(merged, ours)) writes.push({ kind: d.kind, key: d.key, doc: merged, keptLocal });
      else result.unchanged.push(id);
    }
    const shipped = new Set(bundle.documents.map(docId));
    result.removed = [...provenance.keys()].filter((id) => !shipped.has(id));
    const unresolved = result.conflicts.filter((c) => !chosen.has(`${c.document}#${c.path}`));
    if (unresolved.length) {
      result.merged = [];
      result.added = [];
      return result;
    }
    const done = await this.applyAll(writes, `upgrade ${name} ${installed.version} → ${bundle.manifest.version}`, opts.by ?? null);
    for (const w of writes) {
      const rev = done.find((x) => x.kind === w.kind && x.key === w.key)?.revision ?? null;
      if (!result.added.includes(docId(w))) result.merged.push({ document: docId(w), revision: rev, keptLocal: w.keptLocal });
    }
    // The new version is the base from now on (documents it no longer ships become local).
    await this.record(bundle, bundle.documents);
    await knex.transaction(async (trx) => {
      for (const [id, base] of newBases) {
        const [kind, key] = id.split('/') as [MetaKind, string];
        await trx('fw_pack_documents').where({ kind, key }).update({ base: JSON.stringify(base) });
      }
      for (const id of result.removed) {
        const [kind, key] = id.split('/') as [MetaKind, string];
        await trx('fw_pack_documents').where({ kind, key, pack: name }).delete();
      }
    });
    result.applied = true;
    return result;
  }

  // ---------------------------------------------------------------- uninstall

  /**
   * Remove a pack's documents. Refused while another pack depends on it or a local document
   * refers to its forms; refused with `data_loss` while its forms hold records, unless confirmed
   * (then their tables go too).
   */
  async uninstall(name: string, opts: { confirmDataLoss?: boolean } = {}): Promise<{ removed: string[]; records: number }> {
    const { knex } = this.ctx.db;
    if (!(await knex('fw_packs').where({ name }).first())) throw notFound('模板包未安装', `Pack '${name}' is not installed`);
    for (const p of await knex('fw_packs').whereNot({ name })) {
      if (JSON.parse(p.manifest).dependencies?.[name]) {
        throw new AppError('conflict', msg(`模板包 ${p.name} 依赖此包，请先卸载它`, `Pack '${p.name}' depends on this one; uninstall it first`));
      }
    }
    const rows = await knex('fw_pack_documents').where({ pack: name });
    const mine = new Set(rows.map(docId));
    const forms = rows.filter((r: any) => r.kind === 'forms').map((r: any) => r.key as string);
    // Local documents that refer to the pack's forms would break.
    const blockers: string[] = [];
    const packForms = new Set(forms);
    for (const kind of META_KINDS) {
      for (const { doc } of await this.ctx.docs.allPublished(kind)) {
        if (mine.has(`${kind}/${doc.key}`)) continue;
        if ([...formReferences(cleanDocument(kind, doc))].some((f) => packForms.has(f))) blockers.push(`${kind}/${doc.key}`);
      }
    }
    if (blockers.length) {
      throw new AppError('conflict', msg(`以下文档引用了此包的表单：${blockers.join('、')}`, `These documents refer to the pack's forms: ${blockers.join(', ')}`), { details: { documents: blockers } });
    }
    let records = 0;
    for (const f of forms) {
      if (await knex.schema.hasTable(recordTable(f))) records += Number((await knex(recordTable(f)).count({ n: '*' }).first())?.n ?? 0);
    }
    if (records > 0 && !opts.confirmDataLoss) {
      throw new AppError('data_loss', msg(`卸载将删除 ${records} 条记录；确认后才会执行`, `Uninstalling would delete ${records} records; confirm to go ahead`), { details: { records, forms } });
    }
    // Dashboards before the reports they show, … forms last, each after the forms that relate to it.
    const order: MetaKind[] = ['dashboards', 'reports', 'workflows', 'roles', 'forms'];
    const formDocs: PackDocument[] = [];
    for (const key of forms) formDocs.push({ kind: 'forms', key, doc: await this.ctx.docs.getPublished('forms', key) });
    const formRank = new Map(orderForms(formDocs).reverse().map((k, i) => [k, i]));
    const ordered = [...rows].sort((a: any, b: any) => order.indexOf(a.kind) - order.indexOf(b.kind) || (formRank.get(a.key) ?? 0) - (formRank.get(b.key) ?? 0));
    await knex.transaction(async (trx) => {
      // Forms that relate to each other both ways: their keys are checked at the commit.
      if (this.ctx.db.dialect === 'sqlite') await trx.raw('PRAGMA defer_foreign_keys = ON');
      for (const r of ordered) await this.ctx.docs.removeIn(trx, r.kind, r.key);
      await trx('fw_pack_documents').where({ pack: name }).delete();
      await trx('fw_packs').where({ name }).delete();
    });
    for (const r of ordered) this.ctx.docs.announceRemoval(r.kind, r.key);
    return { removed: ordered.map(docId), records };
  }

  // ---------------------------------------------------------------- export

  /**
   * The chosen modules' published documents — local edits included — as a new pack. Forms of
   * other modules that they relate to must come from an installed pack (a dependency) or be
   * exported too.
   */
  async export(opts: { modules: string[]; name?: string; version?: string; label?: unknown; description?: unknown }): Promise<PackBundle> {
    const modules = new Set(opts.modules);
    if (!modules.size) throw new AppError('bad_request', msg('请选择要导出的模块', 'Choose the modules to export'));
    const documents: PackDocument[] = [];
    for (const kind of META_KINDS) {
      for (const { doc } of await this.ctx.docs.allPublished(kind)) {
        if (doc.module && modules.has(doc.module)) {
          const clean = cleanDocument(kind, doc);
          documents.push({ kind, key: doc.key, doc: clean, checksum: checksumOf(clean) });
        }
      }
    }
    if (!documents.length) throw notFound('所选模块没有已发布的文档', `No published documents in modules ${[...modules].join(', ')}`);
    const exported = new Set(documents.filter((d) => d.kind === 'forms').map((d) => d.key));
    const provenance = new Map((await this.ctx.db.knex('fw_pack_documents').where({ kind: 'forms' })).map((r: any) => [r.key, r.pack]));
    const dependencies: Record<string, string> = {};
    const missing: Record<string, Msg[]> = {};
    for (const d of documents.filter((x) => x.kind === 'forms')) {
      for (const f of walkFields(d.doc.fields ?? [])) {
        const target = f.type === 'relation' ? f.relation?.form : f.rollup?.form;
        if (!target || exported.has(target)) continue;
        const pack = provenance.get(target);
        if (pack) {
          const p = await this.ctx.db.knex('fw_packs').where({ name: pack }).first();
          dependencies[pack] = `^${p.version}`;
        } else (missing[`/forms/${d.key}/fields/${f.key}`] ??= []).push(msg(`引用的表单 ${target} 不在所选模块中，也不属于已安装的模板包`, `refers to form '${target}', which is neither exported nor from an installed pack`));
      }
    }
    if (Object.keys(missing).length) throw validationError(missing);
    const forms = orderForms(documents.filter((d) => d.kind === 'forms'));
    const manifest: PackManifest = {
      name: opts.name ?? 'export', version: opts.version ?? '1.0.0', engine: `>=${this.ctx.engineVersion}`,
      label: opts.label ?? { 'zh-CN': '导出的模板包', en: 'Exported pack' },
      ...(opts.description ? { description: opts.description } : {}),
      modules: [...modules].sort(),
      ...(Object.keys(dependencies).length ? { dependencies } : {}),
      forms,
    };
    return validateBundle({ manifest, documents }, this.ctx.engineVersion);
  }
}

/**
 * The forms a document refers to: values of `form` properties (relation and rollup targets,
 * workflow triggers and node settings, role permissions) and a report's `source`.
 */
export function formReferences(doc: unknown): Set<string> {
  const out = new Set<string>();
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if ((k === 'form' || k === 'source') && typeof x === 'string') out.add(x);
        else walk(x);
      }
    }
  };
  walk(doc);
  return out;
}

function* walkFields(fields: FieldDef[]): Generator<FieldDef> {
  for (const f of fields) {
    yield f;
    if (f.fields) yield* walkFields(f.fields);
  }
}

/** Forms with the forms they relate to first (a cycle keeps key order). */
function orderForms(forms: PackDocument[]): string[] {
  const byKey = new Map(forms.map((d) => [d.key, d]));
  const out: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (key: string) => {
    if (state.get(key)) return;
    state.set(key, 'visiting');
    for (const f of walkFields(byKey.get(key)!.doc.fields ?? [])) {
      const t = f.type === 'relation' ? f.relation?.form : undefined;
      if (t && t !== key && byKey.has(t)) visit(t);
    }
    state.set(key, 'done');
    out.push(key);
  };
  for (const k of [...byKey.keys()].sort()) visit(k);
  return out;
}
