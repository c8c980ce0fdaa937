/**
 * The workflow language: WorkflowDef documents (`/api/meta/workflows`). Isomorphic.
 *
 * A workflow is a trigger and a graph of nodes and edges that React Flow can draw (positions
 * are kept, but the graph is the program and React Flow's JSON only its projection). Node and
 * trigger types are small plug-ins, each with a JSON Schema for its settings (see node-type.ts,
 * trigger-type.ts).
 */
import type { JsonLogic, Label } from '../meta/types.js';

export interface TriggerDef {
  /** A registered trigger type: record_created, record_updated, button, schedule, date_relative, workflow_finished, webhook. */
  type: string;
  /** The form whose records start it (record and date triggers, buttons). */
  form?: string;
  /** Settings, validated by the trigger type's JSON Schema. */
  config?: Record<string, unknown>;
  /** Only start when this json-logic condition holds on the record (and `$before`, `$changed`). */
  condition?: JsonLogic;
}

export interface NodeDef {
  /** Unique in the workflow, a KEY (stable across revisions: packs upgrade by it). */
  id: string;
  /** A registered node type: start, approval, condition, parallel, join, set_fields, create_record, … */
  type: string;
  label?: Label;
  position?: { x: number; y: number };
  config?: Record<string, unknown>;
}

export interface EdgeDef {
  id: string;
  source: string;
  target: string;
  /**
   * The branch of the source node this edge leaves by: a condition branch key, 'else',
   * an approval outcome ('approved', 'rejected'), … Default: the node's only way out.
   */
  branch?: string;
  label?: Label;
}

export interface WorkflowDef {
  key: string;
  label: Label;
  module?: string;
  description?: Label;
  /** Disabled workflows start no new instances; running ones continue. */
  enabled?: boolean;
  trigger: TriggerDef;
  nodes: NodeDef[];
  edges: EdgeDef[];
  settings?: {
    /** While an instance runs, the record is locked except for the fields an open task lets its approver edit. Default true for approvals. */
    lockRecord?: boolean;
    /** Imports and bulk updates do not start this automation. */
    skipBulk?: boolean;
  };
}

/** Instance statuses (API.md). */
export type InstanceStatus = 'running' | 'completed' | 'rejected' | 'cancelled' | 'failed';
export type TaskStatus = 'open' | 'done' | 'cancelled';
