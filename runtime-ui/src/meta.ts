/** Metadata from the API, cached for the session, and how values are shown to people. */
import type { FieldDef, FormDef } from '../../engine/src/meta/types';
import { get, qs } from './api';
import { label, lang } from './i18n';
import i18n from './i18n';

export type { FieldDef, FormDef };

export interface FormSummary { key: string; label: unknown; module?: string }

const formCache = new Map<string, Promise<FormDef>>();
let listCache: Promise<FormSummary[]> | null = null;

export function formList(): Promise<FormSummary[]> {
  listCache ??= get<FormSummary[]>('/api/meta/forms').catch((e) => {
    listCache = null;
    throw e;
  });
  return listCache;
}

export function getForm(key: string): Promise<FormDef> {
  let p = formCache.get(key);
  if (!p) {
    p = get<FormDef>(`/api/meta/forms/${encodeURIComponent(key)}`);
    p.catch(() => formCache.delete(key));
    formCache.set(key, p);
  }
  return p;
}

export interface Access {
  actions: { create: boolean; read: boolean; update: boolean; delete: boolean; export: boolean; import: boolean };
  readOnly: string[];
  /** Fields the caller sees masked (138****1234): the edit form shows them read-only and never sends them back. */
  masked: string[];
}
const accessCache = new Map<string, Promise<Access | null>>();

/** What the caller may do with a form's records (GET …/access); null when the engine cannot say (all buttons shown, the server decides). */
export function getAccess(key: string): Promise<Access | null> {
  let p = accessCache.get(key);
  if (!p) {
    p = get<Access>(`/api/meta/forms/${encodeURIComponent(key)}/access`).then((a) => ({ ...a, readOnly: a.readOnly ?? [], masked: a.masked ?? [] }), () => {
      accessCache.delete(key);
      return null;
    });
    accessCache.set(key, p);
  }
  return p;
}

export function clearMetaCache() {
  accessCache.clear();
  formCache.clear();
  listCache = null;
}

export const liveFields = (form: FormDef): FieldDef[] => form.fields.filter((f) => !f.deleted);

/** Relation titles: target form → id → title. */
export type Titles = Record<string, Record<number, string>>;

/** The titles of related records, one list call per target form. */
export async function fetchTitles(fields: FieldDef[], rows: Record<string, unknown>[]): Promise<Titles> {
  const wanted = new Map<string, Set<number>>();
  const visit = (fs: FieldDef[], rs: Record<string, unknown>[]) => {
    for (const f of fs) {
      if (f.type === 'relation' && f.relation?.form) {
        const set = wanted.get(f.relation.form) ?? new Set<number>();
        for (const r of rs) if (typeof r[f.key] === 'number') set.add(r[f.key] as number);
        wanted.set(f.relation.form, set);
      }
      if (f.type === 'subtable' && f.fields) {
        visit(f.fields, rs.flatMap((r) => (Array.isArray(r[f.key]) ? (r[f.key] as Record<string, unknown>[]) : [])));
      }
    }
  };
  visit(fields, rows);
  const out: Titles = {};
  await Promise.all(
    [...wanted].filter(([, ids]) => ids.size > 0).map(async ([form, ids]) => {
      try {
        const target = await getForm(form);
        const list = await get<{ items: Record<string, unknown>[] }>(
          `/api/records/${form}${qs({ filter: { in: [{ var: 'id' }, [...ids]] }, pageSize: Math.min(500, ids.size) })}`,
        );
        out[form] = Object.fromEntries(list.items.map((r) => [r.id as number, recordTitle(target, r)]));
      } catch {
        out[form] = {};
      }
    }),
  );
  return out;
}

/** A record's title: its titleField, else its first text field, else #id. */
export function recordTitle(form: FormDef, r: Record<string, unknown>): string {
  const key = (form as { titleField?: string }).titleField;
  const v = key ? r[key] : undefined;
  if (v !== undefined && v !== null && v !== '') return String(v);
  const text = liveFields(form).find((f) => f.type === 'text' && r[f.key]);
  return text ? String(r[text.key]) : `#${r.id}`;
}

const moneyFmt = () => new Intl.NumberFormat(lang(), { style: 'currency', currency: 'CNY', minimumFractionDigits: 2 });

export function formatMoney(v: unknown): string {
  return typeof v === 'number' ? moneyFmt().format(v) : '';
}

export function optionLabel(f: FieldDef, key: unknown): string {
  const o = (f.options ?? []).find((x) => x.key === key);
  return o ? label(o.label, String(key)) : String(key);
}

/** A value as text for people (lists, record page, inbox). */
export function formatValue(f: FieldDef, v: unknown, titles: Titles = {}): string {
  if (v === null || v === undefined || v === '') return '';
  switch (f.type) {
    case 'money':
      return formatMoney(v);
    case 'percent':
      return typeof v === 'number' ? `${(v * 100).toFixed(2).replace(/\.?0+$/, '')}%` : String(v);
    case 'select':
      return optionLabel(f, v);
    case 'multiselect':
    case 'tags':
      return Array.isArray(v) ? v.map((x) => optionLabel(f, x)).join('、') : String(v);
    case 'boolean':
      return v ? i18n.t('yes') : i18n.t('no');
    case 'relation': {
      const t = f.relation?.form ? titles[f.relation.form]?.[v as number] : undefined;
      return t ?? `#${v}`;
    }
    case 'datetime':
      return typeof v === 'string' ? new Date(v).toLocaleString(lang()) : String(v);
    case 'subtable':
      return Array.isArray(v) ? String(v.length) : '';
    case 'address':
    case 'location':
      return typeof v === 'object' ? Object.values(v as object).filter(Boolean).join(' ') : String(v);
    case 'attachment':
    case 'image':
      return Array.isArray(v) ? v.map((x: any) => x?.name ?? '').join(', ') : '';
    case 'signature':
      return '✓';
    default:
      return Array.isArray(v) ? v.join('、') : String(v);
  }
}

/** Forms grouped by module, in first-seen order. */
export function groupByModule(forms: FormSummary[]): Array<{ module: string; forms: FormSummary[] }> {
  const groups = new Map<string, FormSummary[]>();
  for (const f of forms) {
    const m = f.module || 'other';
    groups.set(m, [...(groups.get(m) ?? []), f]);
  }
  return [...groups].map(([module, fs]) => ({ module, forms: fs }));
}
