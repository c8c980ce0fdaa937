/** The built-in node types. A new node type is one more executor registered here. */
import type { WorkflowRuntime } from '../runtime.js';
import type { NodeExecutor } from '../executor.js';
import { start, end, condition, parallel, join } from './flow.js';
import { approval } from './approval.js';
import { setFields, createRecord } from './data.js';
import { notify, cc } from './message.js';
import { wait } from './time.js';
import { webhook } from './webhook.js';
import { updateRecords, findRecords, assignOwner } from './records.js';

export function builtinNodes(runtime: WorkflowRuntime): NodeExecutor[] {
  return [start, end, condition, parallel, join(runtime), approval, setFields, createRecord, updateRecords, findRecords, assignOwner, notify, cc, wait, webhook];
}
