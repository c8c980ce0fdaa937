/**
 * Departments as a tree: dealer group → store → department. Row scope "my department" means
 * the user's department and every department below it.
 */
import type { Db } from '../store/connection.js';
import { AppError, msg, notFound, conflict } from '../errors.js';

export interface Department {
  id: number;
  parent: number | null;
  key: string | null;
  name: string;
  kind: 'group' | 'store' | 'department';
  head: number | null;
}

const KINDS = new Set(['group', 'store', 'department']);

function toDept(r: any): Department {
  return {
    id: Number(r.id), parent: r.parent_id == null ? null : Number(r.parent_id), key: r.key ?? null,
    name: r.name, kind: r.kind, head: r.head_user_id == null ? null : Number(r.head_user_id),
  };
}

export class DepartmentService {
  private cache: { at: number; all: Department[]; children: Map<number, number[]> } | null = null;
  /** How long the tree is trusted before re-reading (other processes may change it). */
  ttlMs = 5000;

  constructor(private readonly db: Db) {}

  async list(): Promise<Department[]> {
    return (await this.tree()).all;
  }

  private async tree() {
    if (this.cache && Date.now() - this.cache.at < this.ttlMs) return this.cache;
    const all = (await this.db.knex('fw_departments').orderBy('id')).map(toDept);
    const children = new Map<number, number[]>();
    for (const d of all) if (d.parent != null) (children.get(d.parent) ?? children.set(d.parent, []).get(d.parent)!).push(d.id);
    this.cache = { at: Date.now(), all, children };
    return this.cache;
  }

  /** The department and every department below it. */
  async subtree(id: number | null): Promise<number[]> {
    if (id == null) return [];
    const { children } = await this.tree();
    const out: number[] = [];
    const stack = [id];
    while (stack.length) {
      const d = stack.pop()!;
      if (out.includes(d)) continue;
      out.push(d);
      stack.push(...(children.get(d) ?? []));
    }
    return out;
  }

  async get(id: number): Promise<Department> {
    const r = await this.db.knex('fw_departments').where({ id }).first();
    if (!r) throw notFound('部门不存在', `No department ${id}`);
    return toDept(r);
  }

  async create(input: { name?: unknown; parent?: unknown; key?: unknown; kind?: unknown; head?: unknown }): Promise<Department> {
    const row = await this.validate(input, null);
    const q = this.db.knex('fw_departments').insert(row);
    const res = this.db.dialect === 'pg' ? await q.returning('id') : await q;
    this.cache = null;
    return this.get(Number(typeof res[0] === 'object' ? (res[0] as any).id : res[0]));
  }

  async update(id: number, input: { name?: unknown; parent?: unknown; key?: unknown; kind?: unknown; head?: unknown }): Promise<Department> {
    const current = await this.get(id);
    // Partial update: what the request leaves out stays as it is.
    const row = await this.validate({ name: current.name, kind: current.kind, parent: current.parent, key: current.key, head: current.head, ...input }, id);
    await this.db.knex('fw_departments').where({ id }).update(row);
    this.cache = null;
    return this.get(id);
  }

  async remove(id: number): Promise<void> {
    await this.get(id);
    const child = await this.db.knex('fw_departments').where({ parent_id: id }).first();
    const member = await this.db.knex('fw_users').where({ department_id: id }).first();
    if (child || member) throw conflict('部门下还有子部门或成员', 'The department still has sub-departments or members');
    await this.db.knex('fw_departments').where({ id }).delete();
    this.cache = null;
  }

  private async validate(input: Record<string, unknown>, selfId: number | null) {
    const fields: Record<string, ReturnType<typeof msg>[]> = {};
    const name = input.name;
    if (typeof name !== 'string' || !name.trim() || name.length > 200) fields.name = [msg('请填写名称（不超过 200 字）', 'A name of at most 200 characters is required')];
    const kind = input.kind ?? 'department';
    if (typeof kind !== 'string' || !KINDS.has(kind)) fields.kind = [msg('类型须为 group、store 或 department', 'kind must be group, store or department')];
    const key = input.key ?? null;
    if (key !== null && (typeof key !== 'string' || !/^[a-z][a-z0-9_]{0,47}$/.test(key))) fields.key = [msg('键名不合法', 'Invalid key')];
    const parent = input.parent ?? null;
    if (parent !== null && !Number.isInteger(parent)) fields.parent = [msg('上级部门须为部门 id', 'parent must be a department id')];
    if (Object.keys(fields).length) throw new AppError('validation', msg('部门信息不合法', 'Invalid department'), { fields });
    if (parent !== null) {
      await this.get(parent as number);
      if (selfId != null && (await this.subtree(selfId)).includes(parent as number)) {
        throw new AppError('validation', msg('不能把部门移到它自己下面', 'A department cannot move under itself'), { fields: { parent: [msg('会形成循环', 'would make a cycle')] } });
      }
    }
    return { name: (name as string).trim(), kind, key, parent_id: parent, head_user_id: (input.head as number | null) ?? null };
  }
}
