/**
 * Who a task goes to: named users, everyone with a role (optionally within the record's
 * department tree), the department head, a user field of the record, the submitter's manager,
 * the submitter or the record's owner. Resolved when the task opens (a snapshot).
 */
import type { NodeContext } from './executor.js';

export type AssigneeSpec =
  | { type: 'user'; users: number[] }
  | { type: 'role'; role: string; within?: 'all' | 'department' }
  | { type: 'department_head' }
  | { type: 'field'; field: string }
  | { type: 'manager' }
  | { type: 'submitter' }
  | { type: 'owner' };

export const ASSIGNEE_SCHEMA = {
  type: 'array',
  minItems: 1,
  maxItems: 20,
  items: {
    oneOf: [
      { type: 'object', required: ['type', 'users'], additionalProperties: false, properties: { type: { const: 'user' }, users: { type: 'array', items: { type: 'integer', minimum: 1 }, minItems: 1 } } },
      { type: 'object', required: ['type', 'role'], additionalProperties: false, properties: { type: { const: 'role' }, role: { type: 'string', pattern: '^[a-z][a-z0-9_]{0,47}$' }, within: { enum: ['all', 'department'] } } },
      { type: 'object', required: ['type'], additionalProperties: false, properties: { type: { const: 'department_head' } } },
      { type: 'object', required: ['type', 'field'], additionalProperties: false, properties: { type: { const: 'field' }, field: { type: 'string', pattern: '^[a-z][a-z0-9_]{0,47}$' } } },
      { type: 'object', required: ['type'], additionalProperties: false, properties: { type: { const: 'manager' } } },
      { type: 'object', required: ['type'], additionalProperties: false, properties: { type: { const: 'submitter' } } },
      { type: 'object', required: ['type'], additionalProperties: false, properties: { type: { const: 'owner' } } },
    ],
  },
} as const;

/** The submitter: who started the instance, else the record's owner. */
export function submitterOf(ctx: NodeContext): number | null {
  return ctx.instance.started_by ?? ((ctx.record?._owner as number | null | undefined) ?? null);
}

export async function resolveAssignees(ctx: NodeContext, specs: AssigneeSpec[]): Promise<number[]> {
  const { trx, services } = ctx;
  const out: number[] = [];
  const submitter = submitterOf(ctx);
  const submitterInfo = submitter != null ? await services.userInfo(trx, submitter) : null;
  for (const s of specs) {
    switch (s.type) {
      case 'user':
        out.push(...s.users);
        break;
      case 'role': {
        let depts: number[] | null = null;
        if (s.within === 'department') {
          const dept = (ctx.record?._dept as number | null | undefined) ?? submitterInfo?.departmentId ?? null;
          depts = dept == null ? null : await departmentTree(ctx, dept); // no department known: everyone with the role
        }
        out.push(...(await services.usersWithRole(trx, s.role, depts)));
        break;
      }
      case 'department_head': {
        const dept = submitterInfo?.departmentId ?? null;
        const head = dept != null ? await services.departmentHead(trx, dept) : null;
        if (head != null) out.push(head);
        break;
      }
      case 'field': {
        const v = ctx.record?.[s.field];
        if (typeof v === 'number') out.push(v);
        else if (Array.isArray(v)) out.push(...v.filter((x): x is number => typeof x === 'number'));
        break;
      }
      case 'manager':
        if (submitterInfo?.managerId != null) out.push(submitterInfo.managerId);
        else if (submitterInfo?.departmentId != null) {
          const head = await services.departmentHead(trx, submitterInfo.departmentId);
          if (head != null && head !== submitter) out.push(head);
        }
        break;
      case 'submitter':
        if (submitter != null) out.push(submitter);
        break;
      case 'owner': {
        const o = ctx.record?._owner;
        if (typeof o === 'number') out.push(o);
        break;
      }
    }
  }
  return [...new Set(out)];
}

/**
 * "Within the record's store": climb from the department to its store (or the top of the tree),
 * then take every department below it.
 */
export async function departmentTree(ctx: NodeContext, dept: number): Promise<number[]> {
  const rows = await ctx.trx('fw_departments').select('id', 'parent_id', 'kind');
  const byId = new Map(rows.map((r: any) => [Number(r.id), r]));
  // climb to the store (or the top) so "within department" means the record's store
  let top = dept;
  for (let cur: any = byId.get(dept); cur; cur = cur.parent_id == null ? null : byId.get(Number(cur.parent_id))) {
    top = Number(cur.id);
    if (cur.kind === 'store') break;
  }
  const out = [top];
  for (let i = 0; i < out.length; i++) for (const r of rows) if (Number(r.parent_id) === out[i]) out.push(Number(r.id));
  return out;
}
