/**
 * Saved list views: a person's named filter, sort, columns, page size and search text for one
 * form's record list, kept on the server so they follow the person to every device.
 *
 * Everything a view names is checked as the list would check it, for the person saving it: the
 * form exists and they may read it, the filter compiles through the list's own filter compiler
 * over the fields they may filter by (an unknown field or operator is `bad_request`), the sort
 * keys are sortable fields they see, the columns are live field keys of the form they see.
 * Names are unique per person and form (`conflict`). A person sees and changes only their own
 * views (another's id is `not_found`); an administrator may mark a view `shared`, and everyone
 * who may read the form is then offered it (read-only, and only when it is usable for them:
 * its filter and sort compile over the fields they see, its columns narrowed to those).
 */
import type { Db } from '../store/connection.js';
import { nowIso } from '../store/system.js';
import { MAX_PAGE_SIZE } from '../store/record-query.js';
import type { RecordService } from './record-service.js';
import type { CompiledForm } from '../store/compiled-form.js';
import type { AccessPolicy } from '../auth/access-policy.js';
import type { Actor } from '../auth/actor.js';
import { KEY_RE, type JsonLogic } from '../meta/types.js';
import { AppError, msg, notFound, forbidden, validationError, type Msg } from '../errors.js';

export interface ListView {
  id: number;
  form: string;
  name: string;
  filter: JsonLogic | null;
  sort: string | null;
  columns: string[] | null;
  pageSize: number;
  q: string | null;
  isDefault: boolean;
  shared: boolean;
  /** The caller's own view (they may change it); false for a view an administrator shared. */
  mine: boolean;
  createdAt: string;
  updatedAt: string;
}

/** At most this many views per person and form. */
export const MAX_VIEWS_PER_FORM = 100;
const MAX_FILTER_CHARS = 16_384;
const MAX_COLUMNS = 300;

type Input = Partial<Pick<ListView, 'name' | 'filter' | 'sort' | 'columns' | 'pageSize' | 'q' | 'isDefault' | 'shared'>>;

const bool = (v: unknown) => v === true || v === 1 || v === '1';

function viewOf(r: any, userId: number | null): ListView {
  const parse = (v: unknown) => (v == null ? null : JSON.parse(String(v)));
  return {
    id: Number(r.id), form: r.form, name: r.name, filter: parse(r.filter), sort: r.sort ?? null, columns: parse(r.columns),
    pageSize: Number(r.page_size), q: r.q ?? null, isDefault: bool(r.is_default), shared: bool(r.shared),
    mine: userId != null && Number(r.user_id) === userId, createdAt: r.created_at, updatedAt: r.updated_at,
  };
}

const badRef = (param: string, zh: string, en: string) => new AppError('bad_request', msg(zh, en), { details: { param } });

export class ListViews {
  constructor(
    private readonly db: Db,
    private readonly records: RecordService,
    private readonly policy: AccessPolicy & { isAdmin(actor: Actor): boolean },
  ) {}

  /** The form, if the caller may read its records; otherwise not_found (no oracle). */
  private async readableForm(actor: Actor, key: unknown): Promise<CompiledForm> {
    if (typeof key !== 'string' || !KEY_RE.test(key)) throw notFound('表单不存在', 'No such form');
    const form = await this.records.forms.get(key).catch((e) => {
      if (e instanceof AppError && e.code === 'not_found') throw notFound('表单不存在', `No form '${key}'`);
      throw e;
    });
    if (!(await this.policy.can(actor, form, 'read'))) throw notFound('表单不存在', `No form '${key}'`);
    return form;
  }

  private userOf(actor: Actor): number {
    if (actor.userId == null) throw forbidden('只有登录用户可以保存视图', 'Only signed-in users have saved views');
    return actor.userId;
  }

  /** Shape checks (422 naming the fields), then references checked as the list checks them (400). */
  private async check(actor: Actor, form: CompiledForm, body: Record<string, unknown>, partial: boolean): Promise<Input> {
    const errors: Record<string, Msg[]> = {};
    const out: Input = {};
    const has = (k: string) => body[k] !== undefined;
    if (!partial || has('name')) {
      const name = typeof body.name === 'string' ? body.name.trim() : null;
      if (!name || name.length > 100) errors.name = [msg('请填写视图名称（最多 100 个字符）', 'name: 1 to 100 characters')];
      else out.name = name;
    }
    if (has('filter')) {
      if (body.filter !== null && (typeof body.filter !== 'object' || Array.isArray(body.filter))) errors.filter = [msg('筛选条件必须是 json-logic 对象或 null', 'filter: a json-logic object or null')];
      else if (JSON.stringify(body.filter).length > MAX_FILTER_CHARS) errors.filter = [msg('筛选条件过大', 'filter is too large')];
      else out.filter = body.filter as JsonLogic | null;
    } else if (!partial) out.filter = null;
    if (has('sort')) {
      if (body.sort !== null && (typeof body.sort !== 'string' || body.sort.length > 500)) errors.sort = [msg('排序必须是逗号分隔的字段键', 'sort: comma-separated field keys, - for descending')];
      else out.sort = (body.sort as string | null) || null;
    } else if (!partial) out.sort = null;
    if (has('columns')) {
      const c = body.columns;
      if (c !== null && (!Array.isArray(c) || c.length > MAX_COLUMNS || c.some((k) => typeof k !== 'string'))) errors.columns = [msg('列必须是字段键的列表', 'columns: a list of field keys, or null')];
      else out.columns = c === null ? null : [...new Set(c as string[])];
    } else if (!partial) out.columns = null;
    if (has('pageSize')) {
      const n = body.pageSize;
      if (!Number.isInteger(n) || (n as number) < 1 || (n as number) > MAX_PAGE_SIZE) errors.pageSize = [msg(`每页条数须在 1 到 ${MAX_PAGE_SIZE} 之间`, `pageSize: an integer from 1 to ${MAX_PAGE_SIZE}`)];
      else out.pageSize = n as number;
    } else if (!partial) out.pageSize = 20;
    if (has('q')) {
      if (body.q !== null && (typeof body.q !== 'string' || body.q.length > 200)) errors.q = [msg('搜索词最多 200 个字符', 'q: text of at most 200 characters, or null')];
      else out.q = (body.q as string | null) || null;
    } else if (!partial) out.q = null;
    for (const k of ['isDefault', 'shared'] as const) {
      if (!has(k)) continue;
      if (typeof body[k] !== 'boolean') errors[k] = [msg('必须是 true 或 false', 'must be true or false')];
      else out[k] = body[k] as boolean;
    }
    if (Object.keys(errors).length) throw validationError(errors);
    if (out.shared && !this.policy.isAdmin(actor)) throw forbidden('只有管理员可以共享视图', 'Only administrators may share views');

    // References: as the record list would check them, for this caller.
    const { scope, access } = await this.records.scope(actor, form, 'read');
    this.records.query.checkListParams(form, { filter: out.filter ?? undefined, sort: out.sort ?? undefined, q: out.q ?? undefined }, scope);
    if (out.columns) {
      const unknown = out.columns.filter((k) => {
        const f = form.byKey.get(k);
        return !f || f.deleted || (access.visible != null && !access.visible.has(k));
      });
      if (unknown.length) throw badRef('columns', `未知的列：${unknown.slice(0, 10).join('、')}`, `Unknown columns: ${unknown.slice(0, 10).join(', ')}`);
    }
    return out;
  }

  /** Is a shared view usable by this caller (filter and sort compile over what they see)? Columns narrowed to theirs. */
  private async usable(actor: Actor, form: CompiledForm, v: ListView): Promise<ListView | null> {
    const { scope, access } = await this.records.scope(actor, form, 'read');
    try {
      this.records.query.checkListParams(form, { filter: v.filter ?? undefined, sort: v.sort ?? undefined, q: v.q ?? undefined }, scope);
    } catch (e) {
      if (e instanceof AppError && e.code === 'bad_request') return null;
      throw e;
    }
    const columns = v.columns && access.visible ? v.columns.filter((k) => access.visible!.has(k)) : v.columns;
    return { ...v, columns };
  }

  /** The caller's views of a form (or of every form they may read), then the shared views of others usable by them. */
  async list(actor: Actor, formKey?: string): Promise<ListView[]> {
    const userId = actor.userId;
    const q = this.db.knex('fw_list_views');
    if (formKey !== undefined) {
      const form = await this.readableForm(actor, formKey);
      q.where({ form: form.key });
    }
    q.where((w) => {
      if (userId != null) w.where({ user_id: userId });
      w.orWhere({ shared: true });
    }).orderBy([{ column: 'form' }, { column: 'id' }]);
    const rows = await q;
    const mine: ListView[] = [];
    const shared: ListView[] = [];
    const forms = new Map<string, CompiledForm | null>();
    for (const r of rows) {
      const v = viewOf(r, userId);
      let form = forms.get(v.form);
      if (form === undefined) {
        form = await this.readableForm(actor, v.form).catch(() => null);
        forms.set(v.form, form);
      }
      if (!form) continue;
      if (v.mine) mine.push(v);
      else {
        const u = await this.usable(actor, form, v);
        if (u) shared.push(u);
      }
    }
    return [...mine, ...shared];
  }

  async create(actor: Actor, body: Record<string, unknown>): Promise<ListView> {
    const userId = this.userOf(actor);
    if (body.form === undefined) throw validationError({ form: [msg('必填', 'required')] });
    const form = await this.readableForm(actor, body.form);
    const v = await this.check(actor, form, body, false);
    const now = nowIso();
    const id = await this.db.knex.transaction(async (trx) => {
      const count = await trx('fw_list_views').where({ user_id: userId, form: form.key }).count({ n: '*' }).first();
      if (Number((count as any)?.n ?? 0) >= MAX_VIEWS_PER_FORM) throw new AppError('conflict', msg(`每个表单最多保存 ${MAX_VIEWS_PER_FORM} 个视图`, `At most ${MAX_VIEWS_PER_FORM} views per form`));
      await this.nameFree(trx, userId, form.key, v.name!);
      if (v.isDefault) await trx('fw_list_views').where({ user_id: userId, form: form.key }).update({ is_default: false });
      const row = {
        user_id: userId, form: form.key, name: v.name, filter: v.filter == null ? null : JSON.stringify(v.filter), sort: v.sort ?? null,
        columns: v.columns == null ? null : JSON.stringify(v.columns), page_size: v.pageSize ?? 20, q: v.q ?? null,
        is_default: v.isDefault ?? false, shared: v.shared ?? false, created_at: now, updated_at: now,
      };
      const [ins] = await trx('fw_list_views').insert(row).returning('id').catch(uniqueToConflict);
      return Number(typeof ins === 'object' ? (ins as any).id : ins);
    });
    return this.get(actor, id);
  }

  /** One of the caller's views (or a shared one they may use). */
  async get(actor: Actor, id: number): Promise<ListView> {
    const r = await this.db.knex('fw_list_views').where({ id }).first();
    if (!r || (Number(r.user_id) !== actor.userId && !bool(r.shared))) throw viewNotFound(id);
    const v = viewOf(r, actor.userId);
    const form = await this.readableForm(actor, v.form).catch(() => null);
    if (!form) throw viewNotFound(id);
    if (v.mine) return v;
    const u = await this.usable(actor, form, v);
    if (!u) throw viewNotFound(id);
    return u;
  }

  /** The caller's own view, for a change; a shared view of someone else is forbidden, any other id not_found. */
  private async own(actor: Actor, id: number): Promise<any> {
    const r = await this.db.knex('fw_list_views').where({ id }).first();
    if (r && Number(r.user_id) === actor.userId) return r;
    if (r && bool(r.shared)) {
      await this.get(actor, id); // not_found unless they may see it
      throw forbidden('共享视图只有创建者可以修改', 'Only its creator may change a shared view');
    }
    throw viewNotFound(id);
  }

  async update(actor: Actor, id: number, body: Record<string, unknown>): Promise<ListView> {
    const userId = this.userOf(actor);
    const current = await this.own(actor, id);
    if (body.form !== undefined && body.form !== current.form) throw validationError({ form: [msg('视图所属的表单不能修改', "A view's form cannot change")] });
    const form = await this.readableForm(actor, current.form);
    const v = await this.check(actor, form, body, true);
    const patch: Record<string, unknown> = {};
    if (v.name !== undefined) patch.name = v.name;
    if (v.filter !== undefined) patch.filter = v.filter == null ? null : JSON.stringify(v.filter);
    if (v.sort !== undefined) patch.sort = v.sort;
    if (v.columns !== undefined) patch.columns = v.columns == null ? null : JSON.stringify(v.columns);
    if (v.pageSize !== undefined) patch.page_size = v.pageSize;
    if (v.q !== undefined) patch.q = v.q;
    if (v.isDefault !== undefined) patch.is_default = v.isDefault;
    if (v.shared !== undefined) patch.shared = v.shared;
    if (Object.keys(patch).length) {
      patch.updated_at = nowIso();
      await this.db.knex.transaction(async (trx) => {
        if (v.name !== undefined && v.name !== current.name) await this.nameFree(trx, userId, current.form, v.name);
        if (v.isDefault) await trx('fw_list_views').where({ user_id: userId, form: current.form }).whereNot({ id }).update({ is_default: false });
        await trx('fw_list_views').where({ id }).update(patch).catch(uniqueToConflict);
      });
    }
    return this.get(actor, id);
  }

  async remove(actor: Actor, id: number): Promise<void> {
    await this.own(actor, id);
    await this.db.knex('fw_list_views').where({ id }).delete();
  }

  private async nameFree(trx: Db['knex'], userId: number, form: string, name: string): Promise<void> {
    const taken = await trx('fw_list_views').where({ user_id: userId, form, name }).first();
    if (taken) throw nameTaken(name);
  }
}

function viewNotFound(id: number): AppError {
  return notFound('视图不存在', `No list view ${id}`);
}

function nameTaken(name: string): AppError {
  return new AppError('conflict', msg(`已有名为“${name}”的视图`, `A view named '${name}' already exists`), { fields: { name: [msg('名称已被使用', 'This name is taken')] } });
}

/** The unique index (user, form, name) is the real guard against two saves racing. */
function uniqueToConflict(err: any): never {
  const text = String(err?.message ?? '');
  if (err?.code === '23505' || /UNIQUE constraint failed/.test(text)) throw new AppError('conflict', msg('视图名称已被使用', 'This view name is taken'), { fields: { name: [msg('名称已被使用', 'This name is taken')] } });
  throw err;
}
