/**
 * Roles are metadata documents (`/api/meta/roles`): per form, the actions a role may take, the
 * rows it may take them on, and the fields it may not see, may only read, or sees masked.
 * Isomorphic (the designer edits these).
 *
 * A user with several roles gets the most permissive combination: an action is allowed if any
 * role allows it; the rows are the union of the rows each allowing role may touch; a field is
 * hidden only if every allowing role hides it, masked only if every role that shows it masks
 * it, read-only only if every role allowing the write makes it read-only.
 */
import type { JsonLogic, Label } from '../meta/types.js';

export const RECORD_ACTIONS = ['create', 'read', 'update', 'delete', 'export', 'import'] as const;
export type RecordAction = (typeof RECORD_ACTIONS)[number];

/**
 * Which rows: every row, the rows the user owns (`_owner`), the rows of the user's department
 * and the departments below it (`_dept`), or a json-logic condition that may read `$user.id`,
 * `$user.department`, `$user.departments` (the user's department and everything below it) and
 * `$user.roles`.
 */
export type RowScope = 'all' | 'own' | 'department' | { rule: JsonLogic };

export interface FieldSet {
  hidden?: string[];
  readOnly?: string[];
  masked?: string[];
}

export interface FormPermission {
  /** A form key, or '*' for every form. */
  form: string;
  actions: RecordAction[];
  /** Default 'all'. */
  rows?: RowScope;
  fields?: FieldSet;
}

export interface RoleDef {
  key: string;
  label: Label;
  description?: Label;
  module?: string;
  /** Everything, including users, roles and metadata. */
  admin?: boolean;
  /** May design forms, workflows, reports and dashboards (the designer). */
  manageMetadata?: boolean;
  permissions: FormPermission[];
}

/** The built-in administrator role: always present, always everything. */
export const ADMIN_ROLE = 'admin';
