/**
 * DocumentService: metadata documents (forms, workflows, reports, dashboards, roles) as drafts and
 * published revisions. Publishing is the only way a change reaches users; every revision is kept,
 * can be diffed against another and rolled back to. Publishing a form runs its table plan in the
 * same transaction as the new revision, so a failed migration publishes nothing.
 */
import type { Knex } from 'knex';
import type { Db } from '../store/connection.js';
import { nowIso } from '../store/system.js';
import { prepareForPublish, planForm, checkPlan, applyPlan, dropFormTables, type TablePlan } from '../store/planner.js';
import { validateDocument, assertKeyMatches } from '../meta/metaschema.js';
import { diffDocuments, type DocChange } from '../meta/diff.js';
import { assignFieldIds } from '../meta/normalize.js';
import type { FormDef, Label, MetaKind } from '../meta/types.js';
import { META_KINDS, KEY_RE } from '../meta/types.js';
import { AppError, msg, notFound, badRequest } from '../errors.js';

export interface DocumentSummary {
  key: string;
  label: Label;
  module: string | null;
  revision: number | null;
  status: 'draft' | 'published' | 'modified';
}

export interface RevisionSummary {
  revision: number;
  publishedAt: string;
  publishedBy: number | null;
  note: string | null;
  steps: unknown;
}

export interface PublishResult {
  revision: number;
  steps: TablePlan['steps'];
}

/** Listeners told after a publish commits (caches, workflow registry…). */
export type PublishListener = (kind: MetaKind, key: string, doc: any, revision: number, info: { by: number | null; note: string | null }) => void | Promise<void>;

/**
 * A check a kind's document must pass before it is published, beyond its metaschema (a report's
 * field paths against the published forms). Runs before the publishing transaction; throws
 * AppError('validation').
 */
export type PublishCheck = (doc: any) => Promise<void>;

export function assertKind(kind: string): MetaKind {
  if (!(META_KINDS as string[]).includes(kind)) throw notFound('没有这种元数据', `Unknown metadata kind: ${kind}`);
  return kind as MetaKind;
}

function assertKey(key: string) {
  if (!KEY_RE.test(key)) throw badRequest('键名不合法', `Invalid key: must match ^[a-z][a-z0-9_]{0,47}$`);
}

export class DocumentService {
  private listeners: PublishListener[] = [];
  private removeListeners: Array<(kind: MetaKind, key: string) => void> = [];
  private checks = new Map<MetaKind, PublishCheck>();

  constructor(private readonly db: Db) {}

  /** Install the pre-publish check of a kind (one per kind). */
  setPublishCheck(kind: MetaKind, check: PublishCheck): void {
    this.checks.set(kind, check);
  }

  onPublish(listener: PublishListener): void {
    this.listeners.push(listener);
  }

  async list(kind: MetaKind): Promise<DocumentSummary[]> {
    const rows = await this.db.knex('fw_documents').where({ kind }).orderBy('key');
    return rows.map((r: any) => ({
      key: r.key,
      label: parseLabel(r.label),
      module: r.module ?? null,
      revision: r.revision ?? null,
      status: r.revision == null ? 'draft' : r.published_at && r.draft_updated_at > r.published_at ? 'modified' : 'published',
    }));
  }

  /** The published document, or null. */
  async getPublished(kind: MetaKind, key: string, trx: Knex = this.db.knex): Promise<any | null> {
    const row = await trx('fw_documents').where({ kind, key }).first();
    if (!row || row.revision == null) return null;
    const rev = await trx('fw_revisions').where({ kind, key, revision: row.revision }).first();
    return rev ? JSON.parse(rev.doc) : null;
  }

  async get(kind: MetaKind, key: string, opts: { draft?: boolean } = {}): Promise<any> {
    if (opts.draft) {
      const row = await this.db.knex('fw_documents').where({ kind, key }).first();
      if (!row) throw notFound('文档不存在', `No ${kind} document '${key}'`);
      return JSON.parse(row.draft);
    }
    const doc = await this.getPublished(kind, key);
    if (!doc) throw notFound('文档不存在或尚未发布', `No published ${kind} document '${key}'`);
    return doc;
  }

  /** All published documents of a kind (used at start-up to fill caches). */
  async allPublished(kind: MetaKind, trx: Knex = this.db.knex): Promise<Array<{ doc: any; revision: number }>> {
    const rows = await trx('fw_documents as d')
      .join('fw_revisions as r', function () {
        this.on('r.kind', 'd.kind').andOn('r.key', 'd.key').andOn('r.revision', 'd.revision');
      })
      .where('d.kind', kind)
      .select('r.doc', 'r.revision')
      .orderBy('d.key');
    return rows.map((r: any) => ({ doc: JSON.parse(r.doc), revision: r.revision }));
  }

  /** Save a draft; the metaschema is checked first, new fields get ids. */
  async saveDraft(kind: MetaKind, key: string, doc: unknown): Promise<any> {
    assertKey(key);
    const valid = validateDocument(kind, doc) as any;
    assertKeyMatches(kind, key, valid);
    return this.db.knex.transaction((trx) => this.saveDraftIn(trx, kind, key, valid));
  }

  /** Save a draft inside the caller's transaction (pack installs); the document is already valid. */
  async saveDraftIn(trx: Knex.Transaction, kind: MetaKind, key: string, valid: any): Promise<any> {
    {
      const row = await trx('fw_documents').where({ kind, key }).first();
      let draft = valid;
      if (kind === 'forms') {
        const base = row ? JSON.parse(row.draft) : null;
        const published = row?.revision != null ? await this.getPublished(kind, key, trx) : null;
        draft = assignFieldIds(valid as FormDef, mergePrev(base, published));
      }
      const values = {
        module: draft.module ?? null,
        label: JSON.stringify(draft.label ?? key),
        draft: JSON.stringify(draft),
        draft_updated_at: nowIso(),
      };
      if (row) await trx('fw_documents').where({ kind, key }).update(values);
      else await trx('fw_documents').insert({ kind, key, ...values });
      return draft;
    }
  }

  /** The migration plan publishing the current draft would run (forms only). */
  async plan(kind: MetaKind, key: string): Promise<TablePlan> {
    if (kind !== 'forms') throw badRequest('只有表单有迁移计划', 'Only forms have a table plan');
    return this.db.knex.transaction(async (trx) => {
      const { prev, next } = await this.prepareForm(trx, key);
      const plan = planForm(prev, next);
      return checkPlan(trx, this.db.dialect, plan, prev, next);
    });
  }

  async publish(
    kind: MetaKind,
    key: string,
    opts: { confirmDataLoss?: boolean; by?: number | null; note?: string } = {},
  ): Promise<PublishResult> {
    // A kind's own check reads other documents, so it runs before the transaction (SQLite has one
    // connection); the transaction then publishes exactly the draft that was checked.
    const check = this.checks.get(kind);
    let checkedDraft: string | null = null;
    if (check) {
      const pre = await this.db.knex('fw_documents').where({ kind, key }).first();
      if (!pre) throw notFound('文档不存在', `No ${kind} document '${key}'`);
      checkedDraft = pre.draft as string;
      await check(validateDocument(kind, JSON.parse(checkedDraft)));
    }
    const result = await this.db.knex.transaction((trx) => this.publishIn(trx, kind, key, { ...opts, checkedDraft }));
    await this.announce(kind, key, result.doc, result.revision, opts);
    return { revision: result.revision, steps: result.steps };
  }

  /** Tell the listeners (caches, registries) of a publish that has committed. */
  async announce(kind: MetaKind, key: string, doc: any, revision: number, opts: { by?: number | null; note?: string } = {}): Promise<void> {
    for (const l of this.listeners) await l(kind, key, doc, revision, { by: opts.by ?? null, note: opts.note ?? null });
  }

  /**
   * Publish the saved draft inside the caller's transaction, without the kind's pre-publish
   * check (the caller ran it, or validated the whole set elsewhere) and without telling the
   * listeners (call `announce` after the commit).
   */
  async publishIn(
    trx: Knex.Transaction, kind: MetaKind, key: string,
    opts: { confirmDataLoss?: boolean; by?: number | null; note?: string; checkedDraft?: string | null } = {},
  ): Promise<PublishResult & { doc: any }> {
    {
      if (this.db.dialect === 'pg') await trx.raw('select pg_advisory_xact_lock(7406002)');
      const row = await trx('fw_documents').where({ kind, key }).first();
      if (!row) throw notFound('文档不存在', `No ${kind} document '${key}'`);
      if (opts.checkedDraft != null && row.draft !== opts.checkedDraft) {
        throw new AppError('conflict', msg('草稿在发布过程中被修改，请重试', 'The draft changed while it was being published; try again'));
      }
      let doc: any;
      let steps: TablePlan['steps'] = [];
      if (kind === 'forms') {
        const { prev, next } = await this.prepareForm(trx, key);
        const plan = await checkPlan(trx, this.db.dialect, planForm(prev, next), prev, next);
        await applyPlan(trx, this.db.dialect, plan, prev, next, { confirmDataLoss: !!opts.confirmDataLoss });
        doc = next;
        steps = plan.steps;
      } else {
        doc = validateDocument(kind, JSON.parse(row.draft));
      }
      const last = await trx('fw_revisions').where({ kind, key }).max({ m: 'revision' }).first();
      const revision = Number((last as any)?.m ?? 0) + 1;
      const at = nowIso();
      await trx('fw_revisions').insert({
        kind, key, revision, doc: JSON.stringify(doc), steps: JSON.stringify(steps),
        published_at: at, published_by: opts.by ?? null, note: opts.note ?? null,
      });
      await trx('fw_documents').where({ kind, key }).update({
        revision, published_at: at, draft: JSON.stringify(doc), draft_updated_at: at,
        module: doc.module ?? null, label: JSON.stringify(doc.label ?? key),
      });
      await trx('fw_meta_version').where({ id: 1 }).increment('version', 1);
      return { revision, steps, doc };
    }
  }

  /**
   * Remove a document with its revisions inside the caller's transaction (a pack uninstalled).
   * A form's tables are dropped: the caller has confirmed that its records go. The listeners of
   * `onRemove` are told after the commit through `announceRemoval`.
   */
  async removeIn(trx: Knex.Transaction, kind: MetaKind, key: string): Promise<void> {
    if (this.db.dialect === 'pg') await trx.raw('select pg_advisory_xact_lock(7406002)');
    if (kind === 'forms') {
      const published = (await this.getPublished('forms', key, trx)) as FormDef | null;
      if (published) await dropFormTables(trx, this.db.dialect, published);
    }
    await trx('fw_revisions').where({ kind, key }).delete();
    await trx('fw_documents').where({ kind, key }).delete();
    await trx('fw_meta_version').where({ id: 1 }).increment('version', 1);
  }

  onRemove(listener: (kind: MetaKind, key: string) => void): void {
    this.removeListeners.push(listener);
  }

  announceRemoval(kind: MetaKind, key: string): void {
    for (const l of this.removeListeners) l(kind, key);
  }

  async revisions(kind: MetaKind, key: string): Promise<RevisionSummary[]> {
    const exists = await this.db.knex('fw_documents').where({ kind, key }).first();
    if (!exists) throw notFound('文档不存在', `No ${kind} document '${key}'`);
    const rows = await this.db.knex('fw_revisions').where({ kind, key }).orderBy('revision', 'desc');
    return rows.map((r: any) => ({
      revision: r.revision, publishedAt: r.published_at, publishedBy: r.published_by ?? null,
      note: r.note ?? null, steps: r.steps ? JSON.parse(r.steps) : [],
    }));
  }

  async revision(kind: MetaKind, key: string, revision: number): Promise<any> {
    const r = await this.db.knex('fw_revisions').where({ kind, key, revision }).first();
    if (!r) throw notFound('没有这个版本', `No revision ${revision} of ${kind} '${key}'`);
    return JSON.parse(r.doc);
  }

  async diff(kind: MetaKind, key: string, from: number, to: number): Promise<DocChange[]> {
    return diffDocuments(await this.revision(kind, key, from), await this.revision(kind, key, to));
  }

  /**
   * Roll back: the chosen revision becomes the draft and is published as a new revision.
   * Fields added since are soft-deleted (their columns and data stay), never dropped.
   */
  async rollback(kind: MetaKind, key: string, revision: number, opts: { confirmDataLoss?: boolean; by?: number | null } = {}): Promise<PublishResult> {
    const doc = await this.revision(kind, key, revision);
    await this.db.knex('fw_documents').where({ kind, key }).update({ draft: JSON.stringify(doc), draft_updated_at: nowIso() });
    return this.publish(kind, key, { ...opts, note: `rollback to revision ${revision}` });
  }

  async metaVersion(): Promise<number> {
    const r = await this.db.knex('fw_meta_version').where({ id: 1 }).first();
    return Number(r?.version ?? 0);
  }

  private async prepareForm(trx: Knex, key: string): Promise<{ prev: FormDef | null; next: FormDef }> {
    const row = await trx('fw_documents').where({ kind: 'forms', key }).first();
    if (!row) throw notFound('表单不存在', `No form '${key}'`);
    const prev = (await this.getPublished('forms', key, trx)) as FormDef | null;
    const draft = validateDocument('forms', JSON.parse(row.draft)) as FormDef;
    const next = prepareForPublish(prev, draft);
    // Relation targets must be published forms (or the form itself).
    for (const f of walkAll(next)) {
      if (f.type === 'relation' && f.relation && f.relation.form !== key && !f.deleted) {
        const target = await trx('fw_documents').where({ kind: 'forms', key: f.relation.form }).whereNotNull('revision').first();
        if (!target) {
          throw new AppError('validation', msg('关联的表单不存在或未发布', 'The related form does not exist or is not published'), {
            fields: { [f.key]: [msg(`关联表单 ${f.relation.form} 未发布`, `Related form '${f.relation.form}' is not published`)] },
          });
        }
      }
    }
    return { prev, next };
  }
}

function* walkAll(form: FormDef) {
  for (const f of form.fields) {
    yield f;
    for (const sf of f.fields ?? []) yield sf;
  }
}

/** The previous identities a draft's fields may keep: the published doc's, then the saved draft's. */
function mergePrev(draft: FormDef | null, published: FormDef | null): FormDef | null {
  if (!draft) return published;
  if (!published) return draft;
  const ids = new Set(draft.fields.map((f) => f.id));
  return { ...draft, fields: [...draft.fields, ...published.fields.filter((f) => !ids.has(f.id))] };
}

function parseLabel(s: string | null): Label {
  if (!s) return '';
  try {
    return JSON.parse(s);
  } catch {
    return s;
  }
}
