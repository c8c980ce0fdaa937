/**
 * Nodes that reach other records: update (or upsert) records of a form found by id or filter,
 * find records into the instance context (for scheduled scans), and assign the record's owner
 * among a role's users (round-robin or least loaded, within the record's store).
 */
import { msg } from '../../errors.js';
import type { NodeContext, NodeExecutor } from '../executor.js';
import { ruleData } from './flow.js';
import { recordLink } from './approval.js';
import { departmentTree } from '../assignees.js';
import { mapValues } from './data.js';

const KEY = { type: 'string', pattern: '^[a-z][a-z0-9_]{0,47}$' };
const VALUES = { type: 'object', maxProperties: 200, propertyNames: { pattern: '^[a-z][a-z0-9_]{0,47}$' } };

function evaluate(ctx: NodeContext, expr: unknown): unknown {
  return ctx.services.evaluate(expr, ruleData(ctx));
}

/**
 * Replace `{"var": "$record.x"}` / `$workflow.…` references in a filter by their values, so the
 * filter compiles to SQL with only the target form's fields left as variables.
 */
function bindFilter(ctx: NodeContext, filter: unknown): unknown {
  const data = { $record: ctx.record ?? {}, $workflow: ctx.instance.context };
  const walk = (e: unknown): unknown => {
    if (Array.isArray(e)) return e.map(walk);
    if (e && typeof e === 'object') {
      const [op, arg] = Object.entries(e as Record<string, unknown>)[0] ?? [];
      if (op === 'var' && typeof arg === 'string' && (arg.startsWith('$record') || arg.startsWith('$workflow'))) {
        return ctx.services.evaluate(e, data) ?? null;
      }
      if (op === undefined) return e;
      return { [op]: walk(arg) };
    }
    return e;
  };
  return walk(filter);
}

export const updateRecords: NodeExecutor = {
  info: {
    type: 'update_records', label: msg('更新其他记录', 'Update records'), group: 'data', inputs: 'many', outputs: 'one',
    configSchema: {
      type: 'object', required: ['form', 'values'], additionalProperties: false,
      properties: {
        form: KEY,
        /** json-logic over this record giving the target id (e.g. {"var": "vehicle"}). */
        id: {},
        /** Or: a filter over the target form; `$record.x` reads this record. */
        filter: {},
        values: VALUES,
        /** With a filter and no match: create one with these values (merged with `values`). */
        upsert: { type: 'boolean' },
        createValues: VALUES,
        limit: { type: 'integer', minimum: 1, maximum: 500 },
      },
    },
    branches: () => [],
  },
  async run(ctx) {
    const cfg = ctx.node.config as { form: string; id?: unknown; filter?: unknown; values: Record<string, unknown>; upsert?: boolean; createValues?: Record<string, unknown>; limit?: number };
    const values = mapValues(ctx, cfg.values);
    let ids: number[] = [];
    if (cfg.id !== undefined) {
      const id = evaluate(ctx, cfg.id);
      if (typeof id === 'number') ids = [id];
    } else if (cfg.filter !== undefined) {
      ids = (await ctx.services.findRecords(ctx.trx, cfg.form, bindFilter(ctx, cfg.filter), cfg.limit ?? 100)).map((r) => r.id);
    }
    for (const id of ids) await ctx.services.updateRecord(ctx.trx, cfg.form, id, values);
    if (!ids.length && cfg.upsert) {
      const rec = await ctx.services.createRecord(ctx.trx, cfg.form, { ...mapValues(ctx, cfg.createValues ?? {}), ...values }, (ctx.record?._owner as number | null) ?? null);
      ids = [rec.id];
    }
    await ctx.history({ action: 'update_records', detail: { form: cfg.form, ids } });
    return { next: true };
  },
};

export const findRecords: NodeExecutor = {
  info: {
    type: 'find_records', label: msg('查找记录', 'Find records'), group: 'data', inputs: 'many', outputs: 'one',
    configSchema: {
      type: 'object', required: ['form', 'as'], additionalProperties: false,
      properties: { form: KEY, filter: {}, as: KEY, limit: { type: 'integer', minimum: 1, maximum: 500 }, title: KEY },
    },
    branches: () => [],
  },
  async run(ctx) {
    const cfg = ctx.node.config as { form: string; filter?: unknown; as: string; limit?: number; title?: string };
    const found = await ctx.services.findRecords(ctx.trx, cfg.form, cfg.filter === undefined ? undefined : bindFilter(ctx, cfg.filter), cfg.limit ?? 100);
    const result = { count: found.length, ids: found.map((r) => r.id), titles: found.map((r) => String(r[cfg.title ?? 'id'] ?? r.id)) };
    ctx.instance.context = { ...ctx.instance.context, [cfg.as]: result };
    await ctx.trx('fw_wf_instances').where({ id: ctx.instance.id }).update({ context: JSON.stringify(ctx.instance.context) });
    return { next: true };
  },
};

export const assignOwner: NodeExecutor = {
  info: {
    type: 'assign_owner', label: msg('分配负责人', 'Assign owner'), group: 'human', inputs: 'many', outputs: 'one',
    configSchema: {
      type: 'object', additionalProperties: false,
      properties: {
        /** Among this role's users (not needed to clear the owner). */
        role: KEY,
        /** 'clear' returns the record to the pool (no owner). */
        strategy: { enum: ['round_robin', 'least_loaded', 'clear'] },
        /** Only when the record has no owner yet (default true). */
        onlyUnowned: { type: 'boolean' },
        notify: { type: 'string', maxLength: 500 },
      },
    },
    branches: () => [],
  },
  async run(ctx) {
    const cfg = ctx.node.config as { role?: string; strategy?: 'round_robin' | 'least_loaded' | 'clear'; onlyUnowned?: boolean; notify?: string };
    const { instance, record, trx, services } = ctx;
    if (!instance.form || instance.record_id == null || !record) return { next: true };
    if (cfg.strategy === 'clear') {
      await services.assignOwner(trx, instance.form, instance.record_id, null);
      await ctx.history({ action: 'assign_owner', detail: { owner: null, previous: record._owner ?? null } });
      return { next: true };
    }
    if (!cfg.role) return { next: true };
    if (cfg.onlyUnowned !== false && record._owner != null) return { next: true };
    // Within the record's store: the department tree around the record's department (or everyone).
    const dept = (record._dept as number | null | undefined) ?? null;
    const role = cfg.role;
    let candidates = await services.usersWithRole(trx, role, null);
    if (dept != null) {
      const inStore = await storeMembers(ctx, dept);
      const narrowed = candidates.filter((u) => inStore.has(u));
      if (narrowed.length) candidates = narrowed;
    }
    if (!candidates.length) {
      await ctx.history({ action: 'assign_owner', detail: { owner: null, reason: 'no candidates' } });
      return { next: true };
    }
    let owner: number;
    const form = instance.form;
    if (cfg.strategy === 'least_loaded') {
      const rows = await trx(`t_${form}`).whereIn('_owner', candidates).groupBy('_owner').select('_owner').count({ n: '*' });
      const load = new Map(rows.map((r: any) => [Number(r._owner), Number(r.n)]));
      owner = [...candidates].sort((a, b) => (load.get(a) ?? 0) - (load.get(b) ?? 0) || a - b)[0]!;
    } else {
      // Round-robin: a counter row per (form, role), bumped under the transaction's lock.
      const name = `assign:${form}:${role}`;
      const period = String(dept ?? '-');
      await trx.raw(
        `insert into fw_counters (name, period, value) values (?, ?, 1) on conflict (name, period) do update set value = fw_counters.value + 1`,
        [name, period],
      );
      const n = Number((await trx('fw_counters').where({ name, period }).first()).value);
      owner = [...candidates].sort((a, b) => a - b)[(n - 1) % candidates.length]!;
    }
    await services.assignOwner(trx, form, instance.record_id, owner);
    await services.notify(trx, { users: [owner], title: cfg.notify ?? '你有一条新的分配 / A record was assigned to you', link: recordLink(ctx) });
    await ctx.history({ action: 'assign_owner', detail: { owner } });
    return { next: true };
  },
};

async function storeMembers(ctx: NodeContext, dept: number): Promise<Set<number>> {
  const users = await ctx.trx('fw_users').whereIn('department_id', await departmentTree(ctx, dept)).select('id');
  return new Set(users.map((u: any) => Number(u.id)));
}
