/**
 * Physical names of record tables. A form `customer` lives in table `t_customer`; its subtable
 * whose column is `accessories` lives in `t_customer__accessories` with a `_parent` key.
 *
 * Every record table has the system columns below; field columns come from FieldDef.column.
 */
export const RECORD_TABLE_PREFIX = 't_';

export function recordTable(formKey: string): string {
  return RECORD_TABLE_PREFIX + formKey;
}

export function childTable(formKey: string, subtableColumn: string): string {
  return `${RECORD_TABLE_PREFIX}${formKey}__${subtableColumn}`;
}

/**
 * System columns of a record table, as the API names them → column.
 *   id          integer primary key (auto-increment)
 *   _version    integer, starts at 1, +1 on every update (optimistic locking)
 *   _createdAt  datetime ISO string;  _updatedAt  datetime ISO string
 *   _createdBy  user id;  _owner  user id (row scope "own");  _dept  department id (row scope "my department")
 */
export const SYSTEM_COLUMNS = {
  id: 'id',
  _version: '_version',
  _createdAt: '_created_at',
  _updatedAt: '_updated_at',
  _createdBy: '_created_by',
  _owner: '_owner',
  _dept: '_dept',
} as const;

/** Child-table system columns: id, `_parent` (FK → parent id, on delete cascade), `_seq` (row order). */
export const CHILD_COLUMNS = { id: 'id', parent: '_parent', seq: '_seq' } as const;
