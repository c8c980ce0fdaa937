/**
 * The trigger types (isomorphic settings; the dispatcher and the record buttons match them).
 * date_relative (timers.ts), schedule (schedules.ts) and webhook (http/hooks-router.ts) are
 * started by their own machinery, not by the dispatcher's triggerMatches.
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
  // timers.ts: offsets in days from a date field (negative = before); offsetDays is shorthand for one more offset.
  {
    type: 'date_relative', label: msg('日期前后', 'Days before or after a date'), needsForm: true,
    configSchema: {
      type: 'object', required: ['field'], additionalProperties: false,
      anyOf: [{ required: ['offsets'] }, { required: ['offsetDays'] }],
      properties: {
        field: { type: 'string', pattern: '^[a-z][a-z0-9_]{0,47}$' },
        offsets: { type: 'array', minItems: 1, maxItems: 10, uniqueItems: true, items: { type: 'integer', minimum: -3650, maximum: 3650 } },
        offsetDays: { type: 'integer', minimum: -3650, maximum: 3650 },
        at: { type: 'string', pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$' },
        lateDays: { type: 'integer', minimum: 0, maximum: 3650 },
      },
    },
  },
  // schedules.ts: a 5-field cron expression in a time zone (default Asia/Shanghai); no record.
  {
    type: 'schedule', label: msg('定时', 'On a schedule'),
    configSchema: {
      type: 'object', required: ['cron'], additionalProperties: false,
      properties: {
        cron: { type: 'string', maxLength: 120, pattern: '^\\s*\\S+(\\s+\\S+){4}\\s*$' },
        timezone: { type: 'string', maxLength: 64, pattern: '^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*$' },
      },
    },
  },
  // http/hooks-router.ts: POST /api/hooks/:workflow; trigger.form optional (the body's recordId).
  {
    type: 'webhook', label: msg('外部调用（Webhook）', 'Inbound webhook'),
    configSchema: {
      type: 'object', additionalProperties: false,
      properties: { schema: { allOf: [{ type: 'object' }, { $ref: 'http://json-schema.org/draft-07/schema#' }] }, roles: FIELDS },
    },
  },
];
