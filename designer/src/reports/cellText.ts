import { label } from '../i18n';
import type { ResultColumn } from './model';

/** A result cell as text: option keys as their labels, money with two decimals, ratios as percents. */
export function cellText(c: ResultColumn | undefined, v: unknown): string {
  if (v === null || v === undefined) return '';
  if (!c) return String(v);
  if (c.options && typeof v === 'string') {
    const found = Array.isArray(c.options) ? c.options.find((o) => o.key === v)?.label : c.options[v];
    return found === undefined ? v : label(found, v);
  }
  if (c.type === 'money' && typeof v === 'number') return v.toLocaleString(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  if (c.type === 'percent' && typeof v === 'number') return `${(v * 100).toFixed(1)}%`;
  return String(v);
}
