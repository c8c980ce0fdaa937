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
  return (await reserveAutonumbers(trx, dialect, formKey, field, 1))[0]!;
}

/** `count` consecutive numbers of the current period, reserved with one counter bump. */
export async function reserveAutonumbers(trx: Knex.Transaction, dialect: Dialect, formKey: string, field: FieldDef, count: number): Promise<string[]> {
  if (count < 1) return [];
  const today = applyRule({ today: [] }, {}) as string;
  const period = periodOf(resetOf(field), today);
  const name = `${formKey}:${field.id}`;
  let last: number;
  if (dialect === 'pg') {
    const r = await trx.raw(
      `insert into fw_counters (name, period, value) values (?, ?, ?)
       on conflict (name, period) do update set value = fw_counters.value + excluded.value returning value`,
      [name, period, count],
    );
    last = Number(r.rows[0].value);
  } else {
    // One writer at a time on SQLite: the transaction already serialises this.
    await trx.raw(
      `insert into fw_counters (name, period, value) values (?, ?, ?)
       on conflict (name, period) do update set value = value + excluded.value`,
      [name, period, count],
    );
    const row = await trx('fw_counters').where({ name, period }).first();
    last = Number(row.value);
  }
  const out: string[] = [];
  for (let n = last - count + 1; n <= last; n++) out.push(formatAutonumber(field.autonumber!.pattern, today, n));
  return out;
}
