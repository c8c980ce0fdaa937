/**
 * The permission hook the record layer asks before every read and write. The identity issue
 * fills it from role documents; until then every signed-in user acts with full access.
 */
import type { Actor } from './actor.js';
import type { CompiledForm } from '../store/compiled-form.js';
import type { JsonLogic } from '../meta/types.js';

import type { RecordAction } from './role-def.js';
export type { RecordAction };

export interface FieldAccess {
  /** Keys the actor may see; null: all. */
  visible: Set<string> | null;
  /** Keys the actor may not write (including the ones they may not see). */
  readOnly: Set<string>;
  /** Keys the actor sees masked (never filterable, sortable or searchable by them). */
  masked: Set<string>;
}

export interface AccessPolicy {
  can(actor: Actor, form: CompiledForm, action: RecordAction): boolean | Promise<boolean>;
  /** Row condition ANDed into every query for this action; null: all rows. */
  rowScope(actor: Actor, form: CompiledForm, action: RecordAction): JsonLogic | null | Promise<JsonLogic | null>;
  fields(actor: Actor, form: CompiledForm): FieldAccess | Promise<FieldAccess>;
  /**
   * The same policy for use inside a write transaction: it must not read the database on its own
   * (SQLite has one connection, which the transaction holds), so it answers from what it has
   * loaded without checking for newer role documents.
   */
  inTransaction?(): AccessPolicy;
}

export const OPEN_POLICY: AccessPolicy = {
  can: () => true,
  rowScope: () => null,
  fields: () => ({ visible: null, readOnly: new Set(), masked: new Set() }),
};
