/**
 * Autonumbers such as `SO{YYYY}{MM}{####}`: a counter row per (form field, period), bumped
 * under the row lock of an upsert inside the record's transaction, so parallel creates never
 * share a number. The counter restarts each period (year, month or day; by default the finest
 * date token in the pattern).
 */
import type { Knex } from 'knex';
import type { Dialect } from '../store/connection.js';
import type { FieldDef } from '../meta/types.js';
import { applyRule } from '../rules/operations.js';

export type Reset = 'never' | 'year' | 'month' | 'day';

export function resetOf(field: FieldDef): Reset {
  const a = field.autonumber!;
  if (a.reset) return a.reset;
  if (a.pattern.includes('{DD}')) return 'day';
  if (a.pattern.includes('{MM}')) return 'month';
  if (a.pattern.includes('{YYYY}') || a.pattern.includes('{YY}')) return 'year';
  return 'never';
}

/** The period key for a date 'YYYY-MM-DD'. */
export function periodOf(reset: Reset, today: string): string {
  switch (reset) {
    case 'year': return today.slice(0, 4);
    case 'month': return today.slice(0, 7);
    case 'day': return today;
    default: return '-';
  }
}

export function formatAutonumber(pattern: string, today: string, n: number): string {
  const [y, m, d] = today.split('-');
  return pattern
    .replace(/\{YYYY\}/g, y!)
    .replace(/\{YY\}/g, y!.slice(2))
    .replace(/\{MM\}/g, m!)
    .replace(/\{DD\}/g, d!)
    .replace(/\{(#+)\}/g, (_, hashes: string) => String(n).padStart(hashes.length, '0'));
}

export async function nextAutonumber(trx: Knex.Transaction, dialect: Dialect, formKey: string, field: FieldDef): Promise<string> {
  const today = applyRule({ today: [] }, {}) as string;
  const period = periodOf(resetOf(field), today);
  const name = `${formKey}:${field.id}`;
  let value: number;
  if (dialect === 'pg') {
    const r = await trx.raw(
      `insert into fw_counters (name, period, value) values (?, ?, 1)
       on conflict (name, period) do update set value = fw_counters.value + 1 returning value`,
      [name, period],
    );
    value = Number(r.rows[0].value);
  } else {
    // One writer at a time on SQLite: the transaction already serialises this.
    await trx.raw(
      `insert into fw_counters (name, period, value) values (?, ?, 1)
       on conflict (name, period) do update set value = value + 1`,
      [name, period],
    );
    const row = await trx('fw_counters').where({ name, period }).first();
    value = Number(row.value);
  }
  return formatAutonumber(field.autonumber!.pattern, today, value);
}
