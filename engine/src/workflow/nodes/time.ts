/**
 * The wait node: for a duration, until a date field of the record (both ride on a durable job),
 * or until the record matches a json-logic condition (re-checked whenever the record changes).
 */
import { msg } from '../../errors.js';
import type { NodeContext, NodeExecutor } from '../executor.js';
import { truthy } from '../../rules/operations.js';
import { ruleData } from './flow.js';

const holds = (ctx: NodeContext) => truthy(ctx.services.evaluate((ctx.node.config as { condition?: unknown }).condition, ruleData(ctx)));

export const wait: NodeExecutor = {
  info: {
    type: 'wait', label: msg('等待', 'Wait'), group: 'time', inputs: 'many', outputs: 'one',
    configSchema: {
      type: 'object', additionalProperties: false,
      properties: {
        minutes: { type: 'number', minimum: 0, maximum: 525600 }, hours: { type: 'number', minimum: 0, maximum: 87600 },
        days: { type: 'number', minimum: 0, maximum: 3650 }, until: { type: 'string', pattern: '^[a-z][a-z0-9_]{0,47}$' },
        /** Wait until the record matches this condition. */
        condition: {},
      },
    },
    branches: () => [],
    waits: true,
  },
  async run(ctx) {
    const cfg = (ctx.node.config ?? {}) as { minutes?: number; hours?: number; days?: number; until?: string; condition?: unknown };
    if (cfg.condition !== undefined) {
      if (holds(ctx)) return { next: true };
      await ctx.history({ action: 'waiting' });
      return { wait: true };
    }
    let at: Date;
    if (cfg.until) {
      const v = ctx.record?.[cfg.until];
      if (typeof v !== 'string') return { next: true }; // no date: nothing to wait for
      at = new Date(v.length === 10 ? `${v}T00:00:00+08:00` : v);
    } else {
      at = new Date(Date.now() + ((cfg.days ?? 0) * 1440 + (cfg.hours ?? 0) * 60 + (cfg.minutes ?? 0)) * 60_000);
    }
    await ctx.services.schedule(ctx, 'wait', at);
    await ctx.history({ action: 'waiting', detail: { until: at.toISOString() } });
    return { wait: true };
  },
  async resume(ctx, signal) {
    if (signal.kind === 'job' && signal.name === 'record') return holds(ctx) ? { next: true } : { wait: true };
    return signal.kind === 'job' && signal.name === 'wait' ? { next: true } : { wait: true };
  },
};
