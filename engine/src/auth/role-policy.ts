/**
 * The access policy built from role documents. It only builds query parts (a row condition
 * with the actor's values bound as literals, and field sets); the query layer applies them.
 * Results are cached per (roles, form revision, role documents generation).
 */
import type { CompiledForm } from '../store/compiled-form.js';
import type { FieldDef, JsonLogic } from '../meta/types.js';
import type { Actor } from './actor.js';
import type { AccessPolicy, FieldAccess } from './access-policy.js';
import { ADMIN_ROLE, type FormPermission, type RecordAction, type RoleDef, type RowScope } from './role-def.js';
import type { PublishedCache } from '../documents/published-cache.js';
import { scopeAllows } from './api-tokens.js';
import { compileFilter } from '../rules/sql.js';
import { AppError, msg, validationError, type Msg } from '../errors.js';

const FULL: FieldAccess = { visible: null, readOnly: new Set(), masked: new Set() };

export class RolePolicy implements AccessPolicy {
  private fieldCache = new Map<string, FieldAccess>();
  private fieldCacheGen = -1;

  /** False in the view `inTransaction()` returns. */
  private refresh = true;

  constructor(private readonly roles: PublishedCache<RoleDef>) {}

  inTransaction(): RolePolicy {
    const view = Object.create(this) as RolePolicy;
    view.refresh = false;
    return view;
  }

  /** Reload the role documents if another process published, unless inside a transaction. */
  private async freshen(): Promise<void> {
    if (this.refresh) await this.roles.fresh();
  }

  /**
   * Is this actor an administrator (the built-in role, or a role document with admin: true)?
   * Never through an API token (`actor.scopes`): tokens do not administer.
   */
  isAdmin(actor: Actor): boolean {
    return !actor.scopes && this.hasAdminRole(actor);
  }

  /** Do the actor's roles give every record right (an API token's scopes still narrow them)? */
  private hasAdminRole(actor: Actor): boolean {
    if (actor.isAdmin || actor.isSystem) return true;
    return actor.roles.some((r) => r === ADMIN_ROLE || this.roles.peek(r)?.admin === true);
  }

  canManageMetadata(actor: Actor): boolean {
    if (actor.scopes) return false;
    return this.isAdmin(actor) || actor.roles.some((r) => this.roles.peek(r)?.manageMetadata === true);
  }

  private entries(actor: Actor, form: string, action: RecordAction): FormPermission[] {
    const out: FormPermission[] = [];
    for (const key of actor.roles) {
      const role = this.roles.peek(key);
      if (!role) continue;
      for (const p of role.permissions) if ((p.form === form || p.form === '*') && p.actions.includes(action)) out.push(p);
    }
    return out;
  }

  async can(actor: Actor, form: CompiledForm, action: RecordAction): Promise<boolean> {
    if (actor.scopes && !scopeAllows(actor.scopes, form.key, action)) return false;
    if (actor.isSystem || actor.isAdmin) return true;
    await this.freshen();
    return this.hasAdminRole(actor) || this.entries(actor, form.key, action).length > 0;
  }

  async rowScope(actor: Actor, form: CompiledForm, action: RecordAction): Promise<JsonLogic | null> {
    if (actor.isSystem || actor.isAdmin) return null;
    await this.freshen();
    if (this.hasAdminRole(actor)) return null;
    const entries = this.entries(actor, form.key, action);
    if (!entries.length) return { '==': [1, 0] }; // nothing (the caller checks `can` first)
    const parts: JsonLogic[] = [];
    for (const e of entries) {
      const c = rowCondition(e.rows ?? 'all', actor);
      if (c === null) return null;
      parts.push(c);
    }
    return parts.length === 1 ? parts[0] : { or: parts };
  }

  async fields(actor: Actor, form: CompiledForm): Promise<FieldAccess> {
    if (actor.isSystem || actor.isAdmin) return FULL;
    await this.freshen();
    if (this.hasAdminRole(actor)) return FULL;
    if (this.fieldCacheGen !== this.roles.generation) {
      this.fieldCache.clear();
      this.fieldCacheGen = this.roles.generation;
    }
    const cacheKey = `${[...actor.roles].sort().join(',')}|${form.key}|${form.revision}`;
    const hit = this.fieldCache.get(cacheKey);
    if (hit) return hit;
    const readers = this.entries(actor, form.key, 'read');
    const writers = [...this.entries(actor, form.key, 'create'), ...this.entries(actor, form.key, 'update')];
    const visible = new Set<string>();
    const masked = new Set<string>();
    const readOnly = new Set<string>();
    for (const f of form.fields) {
      const showing = readers.filter((e) => !e.fields?.hidden?.includes(f.key));
      if (showing.length) {
        visible.add(f.key);
        if (showing.every((e) => e.fields?.masked?.includes(f.key))) masked.add(f.key);
      }
      const writing = writers.filter((e) => !e.fields?.hidden?.includes(f.key) && !e.fields?.readOnly?.includes(f.key) && !e.fields?.masked?.includes(f.key));
      if (!writing.length) readOnly.add(f.key);
    }
    // A field one may write but not read stays hidden: writes to it are refused too.
    const access: FieldAccess = { visible, readOnly, masked };
    if (this.fieldCache.size > 5000) this.fieldCache.clear();
    this.fieldCache.set(cacheKey, access);
    return access;
  }
}

/** The row condition of a scope for this actor, with the actor's values as literals; null: all rows. */
export function rowCondition(scope: RowScope, actor: Actor): JsonLogic | null {
  if (scope === 'all') return null;
  if (scope === 'own') return actor.userId == null ? { '==': [1, 0] } : { '==': [{ var: '_owner' }, actor.userId] };
  if (scope === 'department') {
    const depts = actor.departments ?? (actor.departmentId != null ? [actor.departmentId] : []);
    return depts.length ? { in: [{ var: '_dept' }, depts] } : { '==': [1, 0] };
  }
  return scope.rule;
}

/**
 * Before a role is published: every form it names is published, and every field key in its
 * field sets (hidden, read-only, masked) is a live field of that form — a misspelt key in
 * `hidden` would otherwise show the field it meant to hide. Row rules are compiled against the
 * form, so a rule naming an unknown field is refused too. Throws AppError('validation').
 */
export async function checkRoleDocument(role: RoleDef, forms: { get(key: string): Promise<CompiledForm> }): Promise<void> {
  const errors: Record<string, Msg[]> = {};
  for (const [i, p] of role.permissions.entries()) {
    if (p.form === '*') continue;
    let form: CompiledForm;
    try {
      form = await forms.get(p.form);
    } catch {
      errors[`/permissions/${i}/form`] = [msg(`表单 ${p.form} 不存在或未发布`, `form '${p.form}' does not exist or is not published`)];
      continue;
    }
    for (const set of ['hidden', 'readOnly', 'masked'] as const) {
      (p.fields?.[set] ?? []).forEach((key, j) => {
        if (!form.byKey.has(key)) errors[`/permissions/${i}/fields/${set}/${j}`] = [msg(`表单 ${p.form} 没有字段 ${key}`, `form '${p.form}' has no field '${key}'`)];
      });
    }
    const rows = p.rows;
    if (rows && typeof rows === 'object' && 'rule' in rows) {
      try {
        compileFilter(rows.rule, {
          dialect: 'sqlite',
          field: (k) => {
            const f = form.byKey.get(k) ?? (SYSTEM_TYPES[k] ? ({ id: k, key: k, type: SYSTEM_TYPES[k], label: k } as FieldDef) : undefined);
            return f ? { sql: '"t"."x"', field: f } : undefined;
          },
          vars: { $user: { id: 0, username: '', roles: [], department: 0, departments: [0] } },
        });
      } catch (e) {
        errors[`/permissions/${i}/rows/rule`] = [e instanceof AppError ? e.text : msg('行规则无效', 'invalid row rule')];
      }
    }
  }
  if (Object.keys(errors).length) throw validationError(errors);
}

const SYSTEM_TYPES: Record<string, FieldDef['type']> = {
  id: 'number', _createdAt: 'datetime', _updatedAt: 'datetime', _createdBy: 'user', _owner: 'user', _dept: 'department',
};
