/** Message nodes: notify (in-app, and email when asked) and CC (a read-only task in the inbox). */
import { msg } from '../../errors.js';
import type { NodeExecutor } from '../executor.js';
import { ASSIGNEE_SCHEMA, resolveAssignees, type AssigneeSpec } from '../assignees.js';
import { recordLink } from './approval.js';
import { labelText } from '../../meta/types.js';
import { localizedTextSchema, renderLocalized, type LocalizedText } from '../email.js';

export const notify: NodeExecutor = {
  info: {
    type: 'notify', label: msg('通知', 'Notify'), group: 'message', inputs: 'many', outputs: 'one',
    configSchema: {
      type: 'object', required: ['to', 'title'], additionalProperties: false,
      properties: { to: ASSIGNEE_SCHEMA, title: localizedTextSchema(500, 1), body: localizedTextSchema(5000), email: { type: 'boolean' } },
    },
    branches: () => [],
  },
  async run(ctx) {
    const cfg = ctx.node.config as { to: AssigneeSpec[]; title: LocalizedText; body?: LocalizedText; email?: boolean };
    const users = await resolveAssignees(ctx, cfg.to);
    const data = { record: ctx.record ?? {}, workflow: { key: ctx.def.key, label: labelText(ctx.def.label) }, context: ctx.instance.context };
    await ctx.services.notify(ctx.trx, {
      // title / body: a string or { zh-CN, en }; both languages are sent when both are given, zh-CN first.
      users, title: renderLocalized(cfg.title, data, ' / '), body: cfg.body ? renderLocalized(cfg.body, data, '\n\n') : undefined, link: recordLink(ctx), email: !!cfg.email,
    });
    await ctx.history({ action: 'notified', detail: { users } });
    return { next: true };
  },
};

export const cc: NodeExecutor = {
  info: {
    type: 'cc', label: msg('抄送', 'CC'), group: 'message', inputs: 'many', outputs: 'one',
    configSchema: { type: 'object', required: ['to'], additionalProperties: false, properties: { to: ASSIGNEE_SCHEMA, title: { type: 'string', maxLength: 200 } } },
    branches: () => [],
  },
  async run(ctx) {
    const cfg = ctx.node.config as { to: AssigneeSpec[]; title?: string };
    for (const u of await resolveAssignees(ctx, cfg.to)) {
      await ctx.services.openTask(ctx, { assignee: u, title: cfg.title ?? labelText(ctx.def.label), kind: 'cc', actions: [] });
    }
    return { next: true };
  },
};
