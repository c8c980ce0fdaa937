/** Data nodes: set fields on this record; create or update a record in another form (values mapped with json-logic). */
import { msg } from '../../errors.js';
import type { NodeContext, NodeExecutor } from '../executor.js';
import { ruleData } from './flow.js';

/** Each value is json-logic evaluated over the record (a literal is itself). */
export function mapValues(ctx: NodeContext, values: Record<string, unknown>): Record<string, unknown> {
  const data = ruleData(ctx);
  const out: Record<string, unknown> = {};
  for (const [k, expr] of Object.entries(values)) out[k] = ctx.services.evaluate(expr, data);
  return out;
}

const VALUES = { type: 'object', maxProperties: 200, propertyNames: { pattern: '^[a-z][a-z0-9_]{0,47}$' } };

export const setFields: NodeExecutor = {
  info: {
    type: 'set_fields', label: msg('更新本记录', 'Set fields'), group: 'data', inputs: 'many', outputs: 'one',
    configSchema: { type: 'object', required: ['values'], additionalProperties: false, properties: { values: VALUES } },
    branches: () => [],
  },
  async run(ctx) {
    if (!ctx.instance.form || ctx.instance.record_id == null) return { next: true };
    const values = mapValues(ctx, (ctx.node.config?.values ?? {}) as Record<string, unknown>);
    await ctx.services.updateRecord(ctx.trx, ctx.instance.form, ctx.instance.record_id, values);
    await ctx.history({ action: 'set_fields', detail: { fields: Object.keys(values) } });
    return { next: true };
  },
};

export const createRecord: NodeExecutor = {
  info: {
    type: 'create_record', label: msg('新建记录', 'Create record'), group: 'data', inputs: 'many', outputs: 'one',
    configSchema: {
      type: 'object', required: ['form', 'values'], additionalProperties: false,
      properties: { form: { type: 'string', pattern: '^[a-z][a-z0-9_]{0,47}$' }, values: VALUES, owner: { enum: ['record_owner', 'submitter', 'none'] } },
    },
    branches: () => [],
  },
  async run(ctx) {
    const cfg = ctx.node.config as { form: string; values: Record<string, unknown>; owner?: string };
    const values = mapValues(ctx, cfg.values);
    const owner = cfg.owner === 'none' ? null : cfg.owner === 'submitter' ? ctx.instance.started_by : ((ctx.record?._owner as number | null) ?? null);
    const rec = await ctx.services.createRecord(ctx.trx, cfg.form, values, owner);
    await ctx.history({ action: 'create_record', detail: { form: cfg.form, id: rec.id } });
    return { next: true };
  },
};
