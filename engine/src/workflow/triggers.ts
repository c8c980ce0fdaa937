/**
 * The trigger types (isomorphic settings; the dispatcher and the record buttons match them).
 * Schedules, date-relative timers and inbound webhooks are the next ones to come.
 */
import { msg } from '../errors.js';
import type { TriggerTypeInfo } from '../meta/workflow-schema.js';

const FIELDS = { type: 'array', uniqueItems: true, maxItems: 100, items: { type: 'string', pattern: '^[a-z][a-z0-9_]{0,47}$' } };

export const TRIGGER_TYPES: TriggerTypeInfo[] = [
  { type: 'record_created', label: msg('新建记录时', 'When a record is created'), needsForm: true, configSchema: { type: 'object', additionalProperties: false, properties: {} } },
  {
    type: 'record_updated', label: msg('修改记录时', 'When a record is updated'), needsForm: true,
    configSchema: { type: 'object', additionalProperties: false, properties: { fields: FIELDS } },
  },
  { type: 'record_saved', label: msg('新建或修改记录时', 'When a record is created or updated'), needsForm: true, configSchema: { type: 'object', additionalProperties: false, properties: {} } },
  {
    type: 'button', label: msg('记录上的按钮', 'A button on the record'), needsForm: true,
    configSchema: {
      type: 'object', required: ['action'], additionalProperties: false,
      properties: { action: { type: 'string', pattern: '^[a-z][a-z0-9_]{0,47}$' }, label: {} },
    },
  },
  {
    type: 'workflow_finished', label: msg('另一流程结束时', 'When another workflow finishes'),
    configSchema: {
      type: 'object', required: ['workflow'], additionalProperties: false,
      properties: { workflow: { type: 'string', pattern: '^[a-z][a-z0-9_]{0,47}$' }, status: { enum: ['completed', 'rejected', 'cancelled'] } },
    },
  },
];
