/**
 * The node contract: every node type is a small plug-in with a JSON Schema for its settings (the
 * designer renders it as the node's settings form) and a `run` that returns what the token does
 * next. Waiting nodes (approvals, timers) also `resume` when their task or job completes.
 *
 * Isomorphic part (schema, branches) apart from the server part (run/resume): the designer
 * imports NodeTypeInfo only.
 */
import type { JsonSchema } from '../meta/field-types.js';
import type { Msg } from '../errors.js';
import type { NodeDef } from './types.js';

/** What a node tells the runtime. */
export type NodeOutcome =
  /** Leave by the edge of this branch (default: the node's single way out). */
  | { next: true; branch?: string }
  /** Leave by every outgoing edge (parallel split). */
  | { fork: true }
  /** Stay here until `resume` is called (a task was opened, a job scheduled). */
  | { wait: true }
  /** End the instance with this status. */
  | { end: 'completed' | 'rejected' | 'cancelled' }
  /** Move the token back to an earlier node (an approver returning the request there). */
  | { goto: string };

export interface NodeTypeInfo {
  type: string;
  label: Msg;
  /** Designer palette group. */
  group: 'flow' | 'human' | 'data' | 'message' | 'time';
  configSchema: JsonSchema;
  /** The branch names edges may leave by (for validation and the designer's handles). */
  branches(node: NodeDef): string[];
  /** At most one incoming / outgoing edge, or many. */
  inputs?: 'one' | 'many' | 'none';
  outputs?: 'none' | 'one' | 'many';
  /** Extra checks of a node's settings against the workflow, by JSON path. */
  validate?(node: NodeDef): Record<string, Msg[]>;
  /** Waits for a person or a timer (a loop in the graph must pass through such a node). */
  waits?: boolean | ((node: NodeDef) => boolean);
  /** Declared branches that may stay without an edge (the runtime then ends the instance). */
  optionalBranches?(node: NodeDef): string[];
}
