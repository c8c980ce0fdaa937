/**
 * The metadata language: the documents business admins write.
 *
 * Isomorphic: no Node or database imports. The browser apps import this too.
 *
 * A FieldDef keeps column facts (immutable `id`, `column`, `type`) apart from what people see
 * and change (`key`, `label`, rules, UI hints), so renaming a field or its label never
 * touches the table.
 */

/** A label is a plain string or a zh-CN/en pair. */
export type Label = string | { 'zh-CN'?: string; en?: string };

/** A json-logic expression (see engine/src/rules for the operations available). */
export type JsonLogic = unknown;

export const FIELD_TYPES = [
  'text', 'textarea', 'number', 'money', 'percent', 'date', 'datetime', 'boolean',
  'select', 'multiselect', 'tags', 'phone', 'email', 'url', 'relation', 'subtable',
  'autonumber', 'user', 'department', 'attachment', 'image', 'signature', 'address', 'location',
] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

/** Keys of forms, fields, options and nodes. */
export const KEY_PATTERN = '^[a-z][a-z0-9_]{0,47}$';
export const KEY_RE = new RegExp(KEY_PATTERN);

export interface OptionDef {
  key: string;
  label: Label;
  color?: string;
}

/** A rule that must hold; `message` is shown on `fields` (or on the field it belongs to). */
export interface ValidationRule {
  rule: JsonLogic;
  message: Label;
  /** For form-level rules: the field keys the message is attached to. */
  fields?: string[];
}

export interface AutonumberDef {
  /** Tokens: {YYYY} {YY} {MM} {DD} and {###…} (the counter, zero-padded to the number of #). */
  pattern: string;
  /** When the counter starts again at 1. Default: derived from the finest date token in the pattern. */
  reset?: 'never' | 'year' | 'month' | 'day';
}

/** A stored aggregate over the records of another form that point at this one. */
export interface RollupDef {
  /** The child form. */
  form: string;
  /** The relation field on the child form that points at this form. */
  via: string;
  op: 'sum' | 'count' | 'min' | 'max' | 'avg';
  /** The child field aggregated (not needed for count). */
  field?: string;
  /** Only child records matching this json-logic condition count. */
  filter?: JsonLogic;
}

export interface FieldRules {
  visible?: JsonLogic;
  required?: JsonLogic;
  readOnly?: JsonLogic;
}

export interface FieldUi {
  widget?: string;
  placeholder?: Label;
  /** Grid columns out of 24. */
  span?: number;
  section?: string;
  hidden?: boolean;
  [k: string]: unknown;
}

export interface FieldDef {
  /** Immutable identity, assigned by the engine when the field is first saved. */
  id: string;
  /** Immutable physical column, assigned by the engine at first publish. */
  column?: string;
  /** The name in the API and in rules; may be renamed. */
  key: string;
  type: FieldType;
  label: Label;
  help?: Label;
  required?: boolean;
  /** A literal default, or `{"$rule": JsonLogic}` evaluated when a record is created. */
  default?: unknown;
  unique?: boolean;
  indexed?: boolean;
  /** Sensitive values (ID numbers…) are encrypted at rest and masked for some roles. */
  sensitive?: boolean;
  /** select, multiselect, tags */
  options?: OptionDef[];
  /** tags: whether values outside `options` are accepted. Default true for tags. */
  allowNewOptions?: boolean;
  /** relation: the target form. */
  relation?: { form: string; displayField?: string };
  /** subtable: the row's fields. */
  fields?: FieldDef[];
  autonumber?: AutonumberDef;
  /** A computed value. The server always recomputes it; a client-sent value never wins. */
  formula?: JsonLogic;
  /** Formula values are stored (default) or computed when read (for values that depend on today). */
  stored?: boolean;
  rollup?: RollupDef;
  rules?: FieldRules;
  validate?: ValidationRule[];
  min?: number;
  max?: number;
  minLength?: number;
  maxLength?: number;
  /** A regular expression the text must match. */
  pattern?: string;
  patternMessage?: Label;
  /** number: decimal places kept. */
  precision?: number;
  /** user, department, attachment, image: more than one value. */
  multiple?: boolean;
  /** attachment, image: the largest file accepted, in bytes (default 10 MB, at most 25 MB; engine/src/files/limits.ts). */
  maxSize?: number;
  /** attachment, image: the accepted MIME types or `type/*` patterns (image: within PNG, JPEG, GIF, WEBP). */
  accept?: string[];
  /** Soft-deleted: hidden from the API and UI, its column kept until a purge. */
  deleted?: boolean;
  /** Drafts only: with `deleted`, drop the column at the next publish (destructive, needs confirmation). */
  purge?: boolean;
  ui?: FieldUi;
}

export interface FormDef {
  key: string;
  label: Label;
  module?: string;
  description?: Label;
  icon?: string;
  fields: FieldDef[];
  /** Cross-field validation. */
  validate?: ValidationRule[];
  /** The field shown when a record is referenced (relation pickers, titles). */
  titleField?: string;
  layout?: unknown;
  /** Facts a pack or a later feature keeps with the form (free-form, not interpreted by the engine core). */
  ext?: Record<string, unknown>;
  /** Print templates (`GET /api/records/:form/:id/print/:template`); no table change. */
  prints?: PrintTemplateDef[];
}

/**
 * A print template: a handlebars HTML body rendered over one record (engine/src/render/print.ts
 * documents the context and the fixed helper set; meta/print-template.ts what a template may use).
 */
export interface PrintTemplateDef {
  key: string;
  label: Label;
  /** Handlebars HTML (the body of the page; the engine adds the document, title and print CSS). */
  template: string;
  paper?: 'A4' | 'A5';
  orientation?: 'portrait' | 'landscape';
}

export type MetaKind = 'forms' | 'workflows' | 'reports' | 'dashboards' | 'roles';
export const META_KINDS: MetaKind[] = ['forms', 'workflows', 'reports', 'dashboards', 'roles'];

/** Resolve a label in a language, falling back to the other one. */
export function labelText(label: Label | undefined, lang: 'zh-CN' | 'en' = 'zh-CN'): string {
  if (label == null) return '';
  if (typeof label === 'string') return label;
  return label[lang] ?? label['zh-CN'] ?? label.en ?? '';
}

/** The live (not soft-deleted) fields of a form. */
export function liveFields(form: FormDef): FieldDef[] {
  return form.fields.filter((f) => !f.deleted);
}
