/** Flow nodes: start, end, condition (branches with json-logic and an else), parallel split, join. */
import { msg } from '../../errors.js';
import type { NodeExecutor, NodeContext } from '../executor.js';
import type { WorkflowRuntime } from '../runtime.js';
import { truthy } from '../../rules/operations.js';

export const start: NodeExecutor = {
  info: {
    type: 'start', label: msg('开始', 'Start'), group: 'flow', inputs: 'none', outputs: 'one',
    configSchema: { type: 'object', additionalProperties: false, properties: {} },
    branches: () => [],
  },
  run: async () => ({ next: true }),
};

export const end: NodeExecutor = {
  info: {
    type: 'end', label: msg('结束', 'End'), group: 'flow', inputs: 'many', outputs: 'none',
    configSchema: { type: 'object', additionalProperties: false, properties: { outcome: { enum: ['completed', 'rejected', 'cancelled'] } } },
    branches: () => [],
  },
  run: async (ctx) => ({ end: ((ctx.node.config?.outcome as 'completed' | 'rejected' | 'cancelled' | undefined) ?? 'completed') }),
};

/** The data rules in a workflow see: the record's fields, plus `$workflow` (the instance context). */
export function ruleData(ctx: NodeContext): Record<string, unknown> {
  return { ...(ctx.record ?? {}), $workflow: ctx.instance.context, $instance: { id: ctx.instance.id, startedBy: ctx.instance.started_by } };
}

interface ConditionConfig {
  branches: Array<{ key: string; label?: unknown; when: unknown }>;
}

export const condition: NodeExecutor = {
  info: {
    type: 'condition', label: msg('条件分支', 'Condition'), group: 'flow', inputs: 'many', outputs: 'many',
    configSchema: {
      type: 'object', required: ['branches'], additionalProperties: false,
      properties: {
        branches: {
          type: 'array', minItems: 1, maxItems: 20,
          items: {
            type: 'object', required: ['key', 'when'], additionalProperties: false,
            properties: { key: { type: 'string', pattern: '^[a-z][a-z0-9_]{0,47}$' }, label: {}, when: {} },
          },
        },
      },
    },
    branches: (node) => [...((node.config as unknown as ConditionConfig | undefined)?.branches ?? []).map((b) => b.key), 'else'],
  },
  run: async (ctx) => {
    const cfg = ctx.node.config as unknown as ConditionConfig;
    const data = ruleData(ctx);
    for (const b of cfg.branches) {
      if (truthy(ctx.services.evaluate(b.when, data))) {
        await ctx.history({ action: 'branch', detail: { branch: b.key } });
        return { next: true, branch: b.key };
      }
    }
    await ctx.history({ action: 'branch', detail: { branch: 'else' } });
    return { next: true, branch: 'else' };
  },
};

export const parallel: NodeExecutor = {
  info: {
    type: 'parallel', label: msg('并行分支', 'Parallel split'), group: 'flow', inputs: 'many', outputs: 'many',
    configSchema: { type: 'object', additionalProperties: false, properties: {} },
    branches: () => [],
  },
  run: async () => ({ fork: true }),
};

export function join(runtime: WorkflowRuntime): NodeExecutor {
  return {
    info: {
      type: 'join', label: msg('汇合', 'Join'), group: 'flow', inputs: 'many', outputs: 'one',
      configSchema: { type: 'object', additionalProperties: false, properties: {} },
      branches: () => [],
    },
    run: (ctx) => runtime.arriveAtJoin(ctx),
  };
}
