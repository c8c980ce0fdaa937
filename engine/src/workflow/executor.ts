/**
 * The server half of a node plug-in: `run` when a token arrives, `resume` when a task it opened
 * is acted on or a job it scheduled fires. Everything happens inside the runtime's transaction,
 * so a node's effects commit with the state change they cause.
 */
import type { Knex } from 'knex';
import type { NodeDef, WorkflowDef } from './types.js';
import type { NodeOutcome, NodeTypeInfo } from './node-type.js';
import type { Actor } from '../auth/actor.js';
import type { ApiRecord } from '../store/record-query.js';

export interface InstanceRow {
  id: number;
  workflow: string;
  revision: number;
  form: string | null;
  record_id: number | null;
  status: string;
  started_by: number | null;
  context: Record<string, unknown>;
  started_at?: string;
  ended_at?: string | null;
}

export interface TokenRow {
  id: number;
  instance_id: number;
  node_id: string;
  status: 'active' | 'waiting' | 'forked' | 'done' | 'cancelled';
  fork_id: number | null;
  state: Record<string, unknown>;
}

/** What a task action (approve, reject, return, transfer…) brings to `resume`. */
export interface TaskSignal {
  kind: 'task';
  taskId: number;
  action: string;
  actor: Actor;
  comment?: string;
  /** transfer / add_signer: a user id; return: optionally an earlier node's id. */
  to?: number | string;
  /** add_signer: before or after the current approver (default after). */
  position?: 'before' | 'after';
  fields?: Record<string, unknown>;
}

/** A job the node scheduled (due time, wait) fired. */
export interface JobSignal {
  kind: 'job';
  name: string;
  payload: Record<string, unknown>;
}

export type NodeSignal = TaskSignal | JobSignal;

export interface NodeContext {
  trx: Knex.Transaction;
  def: WorkflowDef;
  node: NodeDef;
  instance: InstanceRow;
  token: TokenRow;
  /** The record the instance is about (fresh inside the transaction), or null. */
  record: ApiRecord | null;
  services: RuntimeServices;
  /** Keep node state on the token (approval rounds, votes…). */
  setState(state: Record<string, unknown>): Promise<void>;
  /** Append to the instance's history (the record's workflow timeline). */
  history(entry: { action: string; actor?: number | null; comment?: string | null; detail?: unknown }): Promise<void>;
}

/** What nodes may use: the runtime hands these in, so node plug-ins stay small. */
export interface RuntimeServices {
  /** Open a human task on this token. */
  openTask(ctx: NodeContext, task: {
    assignee: number; title: string; kind?: 'approval' | 'cc'; actions: string[]; dueAt?: string | null;
    editableFields?: string[]; commentRequired?: string[]; detail?: Record<string, unknown>;
  }): Promise<number>;
  /** Cancel the token's other open tasks (any-one approvals, rejections). */
  cancelOpenTasks(ctx: NodeContext, exceptTaskId?: number): Promise<void>;
  /** Users with a role (within a department subtree when given). */
  usersWithRole(trx: Knex, role: string, departments?: number[] | null): Promise<number[]>;
  /** A user's department head and manager. */
  userInfo(trx: Knex, userId: number): Promise<{ id: number; departmentId: number | null; managerId: number | null; roles: string[] } | null>;
  departmentHead(trx: Knex, departmentId: number): Promise<number | null>;
  /** Write fields of the instance's record (or another form's) through RecordService. */
  updateRecord(trx: Knex.Transaction, form: string, id: number, values: Record<string, unknown>): Promise<ApiRecord>;
  createRecord(trx: Knex.Transaction, form: string, values: Record<string, unknown>, owner?: number | null): Promise<ApiRecord>;
  findRecords(trx: Knex.Transaction, form: string, filter: unknown, limit: number): Promise<ApiRecord[]>;
  assignOwner(trx: Knex.Transaction, form: string, id: number, owner: number | null): Promise<void>;
  /** In-app notification (and email, when the notify node asks). */
  notify(trx: Knex.Transaction, n: { users: number[]; title: string; body?: string; link?: string | null; email?: boolean }): Promise<void>;
  /** Schedule a job that resumes this token later. */
  schedule(ctx: NodeContext, name: string, runAt: Date, payload?: Record<string, unknown>): Promise<void>;
  evaluate(rule: unknown, data: Record<string, unknown>): unknown;
}

export interface NodeExecutor {
  info: NodeTypeInfo;
  run(ctx: NodeContext): Promise<NodeOutcome>;
  resume?(ctx: NodeContext, signal: NodeSignal): Promise<NodeOutcome>;
}
