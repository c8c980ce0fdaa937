/**
 * Our json-logic: json-logic-js with Formwork's operations and value semantics.
 *
 * Isomorphic (the browser imports it). json-logic-js is a module singleton, so the operations
 * below are installed on THE json-logic-js instance when this module loads; always import
 * `jsonLogic` / `applyRule` from here (or from `rules/index.ts`) so they are in place.
 *
 * Rules see a record as `{fieldKey: apiValue, …}` plus `id` (money a decimal number in yuan,
 * dates 'YYYY-MM-DD', datetimes ISO 8601 UTC, tags arrays of strings, subtables arrays of rows).
 * Callers may add variables such as `$user` to the data (`{"var": "$user.id"}`).
 *
 * ## Value semantics (these override json-logic-js's JavaScript coercion)
 *
 * "nil" below is null or undefined (a missing key reads as null).
 *
 * | operation                      | semantics |
 * |--------------------------------|-----------|
 * | `<` `<=` `>` `>=`              | false when either side is nil; numbers compare as numbers; strings compare as strings by Unicode code point (so dates 'YYYY-MM-DD' and canonical ISO datetimes order correctly); any other pairing (number vs string, booleans, arrays, objects) is false. The 3-argument forms `{"<": [a, b, c]}` / `{"<=": …}` mean `a<b && b<c` with the same rules. |
 * | `==` `===` (identical)         | both nil → true; one nil → false; otherwise strict equality (`===`): no coercion, so 5 != "5" and 1 != true. Arrays/objects are equal only if they are the same value. |
 * | `!=` `!==` (identical)         | the negation of `==`. |
 * | `in` [x, list-or-string]       | list: some item `==` x (rules above, so null is in [null]); string: x must be a string and a substring; anything else false. |
 * | `!` `!!` `and` `or` `if`       | json-logic truthiness, unchanged: falsy are null, false, 0, NaN, '' and []; everything else (including {}) is truthy. `and`/`or` return an operand, as in json-logic. |
 * | `var`                          | as json-logic, but only follows own properties: `{"var": "constructor"}` or `"__proto__"` read null, never a prototype. |
 * | `log`                          | removed (rules cannot write to the server console). |
 *
 * All other json-logic-js operations (`+ - * / % min max cat substr merge map filter reduce
 * all some none missing missing_some`) are unchanged.
 *
 * ## Added operations
 *
 * | operation | arguments → result |
 * |-----------|--------------------|
 * | `today`        | [] → 'YYYY-MM-DD', the current date in the rules time zone (`setRulesTimeZone`, default 'Asia/Shanghai'). |
 * | `now`          | [] → the current instant, ISO 8601 UTC ('2024-05-01T08:30:00.000Z'). Both read `setRulesClock` (tests). |
 * | `date_add`     | [date-or-datetime, n, unit] with unit 'day' 'week' 'month' 'year' 'hour' 'minute'. A date stays 'YYYY-MM-DD' for day/week/month/year; months and years clamp to the month's end (01-31 + 1 month = 02-28 or 02-29). A date plus hours/minutes is its midnight in the rules time zone plus that time, as an ISO datetime. A datetime stays an ISO datetime (calendar units in UTC, clamped the same way). n is truncated to an integer. Invalid input → null. |
 * | `date_diff`    | [a, b, unit] → a − b in whole units, truncated toward zero; null if either is missing or invalid. 'day', 'month', 'year' count calendar dates (a datetime is read as its date in the rules time zone); whole months are counted from the earlier date stepping by months with the month-end clamp of `date_add` (02-28 − 01-31 = 1 month), and a negative result is the negated forward count, so date_diff(a,b) = −date_diff(b,a). 'hour' counts elapsed time (a date is its midnight in the rules time zone). |
 * | `starts_with`  | [s, prefix] → boolean; both must be strings, case-sensitive. |
 * | `ends_with`    | [s, suffix] → boolean; both must be strings, case-sensitive. |
 * | `contains`     | [string-or-array, x] → string: x is a string and a substring (case-sensitive); array: some item `==` x; else false. |
 * | `length`       | [x] → string: its length in Unicode code points (as JSON Schema's maxLength); array: its length; nil: 0; else null. |
 * | `lower` `upper` `trim` | [s] → the string transformed; a non-string gives null. |
 * | `is_empty`     | [x] → true for nil, '', [] and {} (an object without keys); false for everything else (0 and false are not empty). |
 * | `round`        | [x, places = 0] → x rounded half away from zero at `places` decimals (−10…15), decimal-correct (round(1.005, 2) = 1.01, round(−2.5) = −3). Numeric strings are read as numbers; anything else → null. |
 * | `sum_rows`     | [rows, fieldKey] → the sum of `row[fieldKey]` over rows; null, missing and non-numbers count 0; rows may be null (→ 0). Decimal-exact for values with up to 6 decimals (0.1 + 0.2 = 0.3). |
 * | `count_rows`   | [rows] → the number of rows (0 unless an array). |
 * | `matches`      | [s, pattern] → RegExp test with the `u` flag (as JSON Schema patterns); s must be a string (or a number, read as text) of at most 10,000 characters and the pattern at most 1,000; a longer string, a non-string or an invalid pattern → false. |
 * | `check_digit`  | [value, spec] → boolean: a weighted-modulus check digit. spec = {weights: number[] (one per character, usually 0 at the check position), modulus, position (index of the check character), map (remainder r → expected character map[r]), values? (character → value; default '0'-'9' → 0-9 and 'A'-'Z' → 10-35)}. The value is upper-cased; it must have exactly weights.length characters, every character must be in `values` (the check character is exempt when its weight is 0, so e.g. an 'X' check character needs no value); then r = Σ values[c_i]·weights[i] mod modulus and the check character must equal map[r]. Any other input (or a malformed spec) → false. VIN: weights [8,7,6,5,4,3,2,10,0,9,8,7,6,5,4,3,2], modulus 11, position 8, map '0123456789X', values = the VIN transliteration. 18-digit PRC ID: weights [7,9,10,5,8,4,2,1,6,3,7,9,10,5,8,4,2,0], modulus 11, position 17, map '10X98765432'. |
 */
import jsonLogicJs from 'json-logic-js';

type Data = unknown;

// ---------------------------------------------------------------------------------------------
// Clock and time zone

let rulesTimeZone = 'Asia/Shanghai';
const systemClock = () => new Date();
let clock: () => Date = systemClock;

/** The IANA time zone `today` and date arithmetic use. Throws RangeError for an unknown zone. */
export function setRulesTimeZone(tz: string): void {
  new Intl.DateTimeFormat('en-US', { timeZone: tz }); // validates
  rulesTimeZone = tz;
}

export function getRulesTimeZone(): string {
  return rulesTimeZone;
}

/** Override the clock `today` and `now` read (tests); `null` restores the system clock. */
export function setRulesClock(fn: (() => Date) | null): void {
  clock = fn ?? systemClock;
}

const partsFormats = new Map<string, Intl.DateTimeFormat>();
function partsFormat(tz: string): Intl.DateTimeFormat {
  let f = partsFormats.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
      hour: '2-digit', minute: '2-digit', second: '2-digit',
    });
    partsFormats.set(tz, f);
  }
  return f;
}

interface YMD { y: number; m: number; d: number }

/** The wall-clock fields of an instant in a zone. */
function zonedFields(ms: number, tz: string): YMD & { h: number; mi: number; s: number } {
  const out: Record<string, number> = {};
  for (const p of partsFormat(tz).formatToParts(new Date(ms))) if (p.type !== 'literal') out[p.type] = Number(p.value);
  return { y: out.year!, m: out.month!, d: out.day!, h: out.hour! % 24, mi: out.minute!, s: out.second! };
}

/** Offset of the zone from UTC at an instant, in ms. */
export function zoneOffset(ms: number, tz: string): number {
  const f = zonedFields(ms, tz);
  const wall = Date.UTC(f.y, f.m - 1, f.d, f.h, f.mi, f.s);
  return wall - Math.floor(ms / 1000) * 1000;
}

/** The instant of a date's midnight in a zone. */
function zonedMidnight(date: YMD, tz: string): number {
  const guess = Date.UTC(date.y, date.m - 1, date.d);
  const off1 = zoneOffset(guess, tz);
  const t = guess - off1;
  const off2 = zoneOffset(t, tz);
  return off2 === off1 ? t : guess - off2;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');
const formatDate = (d: YMD) => `${pad(d.y, 4)}-${pad(d.m)}-${pad(d.d)}`;

/** The date of an instant in the rules time zone. */
function dateOfInstant(ms: number): YMD {
  const f = zonedFields(ms, rulesTimeZone);
  return { y: f.y, m: f.m, d: f.d };
}

/** 'YYYY-MM-DD' today in the rules time zone. */
export function rulesToday(): string {
  return formatDate(dateOfInstant(clock().getTime()));
}

/** The current instant, ISO 8601 UTC. */
export function rulesNow(): string {
  return clock().toISOString();
}

// ---------------------------------------------------------------------------------------------
// Dates

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATETIME_RE = /^(\d{4})-(\d{2})-(\d{2})T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/i;

function daysInMonth(y: number, m: number): number {
  return new Date(Date.UTC(y, m, 0)).getUTCDate();
}

/** A valid calendar date 'YYYY-MM-DD', or null. */
export function parseDate(v: unknown): YMD | null {
  if (typeof v !== 'string') return null;
  const m = DATE_RE.exec(v);
  if (!m) return null;
  const y = Number(m[1]), mo = Number(m[2]), d = Number(m[3]);
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo)) return null;
  return { y, m: mo, d };
}

type Temporal = { kind: 'date'; date: YMD } | { kind: 'datetime'; ms: number };

function parseTemporal(v: unknown): Temporal | null {
  const date = parseDate(v);
  if (date) return { kind: 'date', date };
  if (typeof v !== 'string' || !DATETIME_RE.test(v)) return null;
  const ms = Date.parse(v);
  return Number.isFinite(ms) ? { kind: 'datetime', ms } : null;
}

/** A date, or a datetime read as its date in the rules time zone → 'YYYY-MM-DD'; else null. */
export function toRulesDate(v: unknown): string | null {
  const t = parseTemporal(v);
  if (!t) return null;
  return t.kind === 'date' ? formatDate(t.date) : formatDate(dateOfInstant(t.ms));
}

/** A datetime (any ISO offset), or a date as its midnight in the rules time zone → canonical ISO UTC; else null. */
export function toIsoDatetime(v: unknown): string | null {
  const t = parseTemporal(v);
  if (!t) return null;
  return validIso(t.kind === 'datetime' ? t.ms : zonedMidnight(t.date, rulesTimeZone));
}

function addMonthsClamped(d: YMD, n: number): YMD {
  const total = d.y * 12 + (d.m - 1) + n;
  const y = Math.floor(total / 12);
  const m = total - y * 12 + 1;
  return { y, m, d: Math.min(d.d, daysInMonth(y, m)) };
}

const dayNumber = (d: YMD) => Date.UTC(d.y, d.m - 1, d.d) / 86_400_000;
const cmpDate = (a: YMD, b: YMD) => dayNumber(a) - dayNumber(b);

function fromDayNumber(n: number): YMD {
  const dt = new Date(n * 86_400_000);
  return { y: dt.getUTCFullYear(), m: dt.getUTCMonth() + 1, d: dt.getUTCDate() };
}

const toInt = (n: unknown): number | null => {
  const x = typeof n === 'number' ? n : typeof n === 'string' && n.trim() !== '' ? Number(n) : NaN;
  return Number.isFinite(x) ? Math.trunc(x) : null;
};

function validIso(ms: number): string | null {
  return Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : null;
}

export function dateAdd(v: unknown, n: unknown, unit: unknown): string | null {
  const t = parseTemporal(v);
  const k = toInt(n);
  if (!t || k === null) return null;
  if (t.kind === 'date') {
    const d = t.date;
    // Dates stay within years 0000–9999 ('YYYY-MM-DD'); anything beyond is null.
    const fmt = (r: YMD) => (Number.isFinite(r.y) && r.y >= 0 && r.y <= 9999 ? formatDate(r) : null);
    if (Math.abs(k) > 5_000_000) return null;
    switch (unit) {
      case 'day': return fmt(fromDayNumber(dayNumber(d) + k));
      case 'week': return fmt(fromDayNumber(dayNumber(d) + 7 * k));
      case 'month': return fmt(addMonthsClamped(d, k));
      case 'year': return fmt(addMonthsClamped(d, 12 * k));
      case 'hour': return validIso(zonedMidnight(d, rulesTimeZone) + k * 3_600_000);
      case 'minute': return validIso(zonedMidnight(d, rulesTimeZone) + k * 60_000);
      default: return null;
    }
  }
  const ms = t.ms;
  switch (unit) {
    case 'minute': return validIso(ms + k * 60_000);
    case 'hour': return validIso(ms + k * 3_600_000);
    case 'day': return validIso(ms + k * 86_400_000);
    case 'week': return validIso(ms + k * 7 * 86_400_000);
    case 'month':
    case 'year': {
      const dt = new Date(ms);
      const d = addMonthsClamped({ y: dt.getUTCFullYear(), m: dt.getUTCMonth() + 1, d: dt.getUTCDate() }, unit === 'month' ? k : 12 * k);
      return validIso(Date.UTC(d.y, d.m - 1, d.d) + (ms - Date.UTC(dt.getUTCFullYear(), dt.getUTCMonth(), dt.getUTCDate())));
    }
    default: return null;
  }
}

/** Whole months from the earlier date b to the later date a (a ≥ b). */
function monthsForward(a: YMD, b: YMD): number {
  let k = (a.y - b.y) * 12 + (a.m - b.m);
  while (k > 0 && cmpDate(addMonthsClamped(b, k), a) > 0) k--;
  return k;
}

function dateDiff(a: unknown, b: unknown, unit: unknown): number | null {
  const ta = parseTemporal(a), tb = parseTemporal(b);
  if (!ta || !tb) return null;
  const asDate = (t: Temporal) => (t.kind === 'date' ? t.date : dateOfInstant(t.ms));
  const asMs = (t: Temporal) => (t.kind === 'datetime' ? t.ms : zonedMidnight(t.date, rulesTimeZone));
  const z = (n: number) => (n === 0 ? 0 : n); // no -0
  switch (unit) {
    case 'hour': return z(Math.trunc((asMs(ta) - asMs(tb)) / 3_600_000));
    case 'day': return z(dayNumber(asDate(ta)) - dayNumber(asDate(tb)));
    case 'month':
    case 'year': {
      const da = asDate(ta), db = asDate(tb);
      const months = cmpDate(da, db) >= 0 ? monthsForward(da, db) : -monthsForward(db, da);
      return z(unit === 'month' ? months : Math.trunc(months / 12));
    }
    default: return null;
  }
}

// ---------------------------------------------------------------------------------------------
// Comparison semantics (shared with rules/sql.ts)

export const isNil = (v: unknown): v is null | undefined => v === null || v === undefined;

/** Strings by Unicode code point (= UTF-8 byte order, as SQLite BINARY and PostgreSQL "C"). */
export function compareStrings(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i), y = b.charCodeAt(i);
    if (x === y) continue;
    // UTF-16 order differs from code point order only between surrogates and U+E000–U+FFFF.
    if (x >= 0xd800 && y >= 0xd800) {
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x < y ? -1 : 1;
  }
  return a.length - b.length;
}

/** The order of two values under rule semantics, or null when they are not comparable. */
export function compareValues(a: unknown, b: unknown): number | null {
  if (typeof a === 'number' && typeof b === 'number') {
    if (Number.isNaN(a) || Number.isNaN(b)) return null;
    return a < b ? -1 : a > b ? 1 : 0;
  }
  if (typeof a === 'string' && typeof b === 'string') return compareStrings(a, b);
  return null;
}

/** `==` under rule semantics. */
export function rulesEqual(a: unknown, b: unknown): boolean {
  if (isNil(a)) return isNil(b);
  if (isNil(b)) return false;
  return a === b;
}

const lt = (a: unknown, b: unknown) => { const c = compareValues(a, b); return c !== null && c < 0; };
const le = (a: unknown, b: unknown) => { const c = compareValues(a, b); return c !== null && c <= 0; };

// ---------------------------------------------------------------------------------------------
// Numbers

/** Round half away from zero at `places` decimals, decimal-correct. */
export function roundHalfAway(x: number, places = 0): number {
  if (!Number.isFinite(x)) return x;
  const p = Math.trunc(places);
  const shift = (v: number, by: number): number => {
    const [m, e] = String(v).split('e');
    return Number(`${m}e${Number(e ?? 0) + by}`);
  };
  const r = shift(Math.round(shift(Math.abs(x), p)), -p);
  return r === 0 ? 0 : x < 0 ? -r : r;
}

function toNumber(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v);
    return Number.isFinite(n) ? n : null;
  }
  return null;
}

function decimalsOf(v: number): number {
  const s = String(v);
  if (s.includes('e')) return Infinity;
  const dot = s.indexOf('.');
  return dot < 0 ? 0 : s.length - dot - 1;
}

/** Sum, exact for decimals up to 6 places (money sums do not drift). */
export function decimalSum(values: number[]): number {
  let places = 0;
  for (const v of values) places = Math.max(places, decimalsOf(v));
  if (places <= 6) {
    const f = 10 ** places;
    let total = 0;
    let safe = true;
    for (const v of values) {
      const scaled = Math.round(v * f);
      total += scaled;
      if (!Number.isSafeInteger(scaled) || !Number.isSafeInteger(total)) { safe = false; break; }
    }
    if (safe) return total / f;
  }
  return values.reduce((a, b) => a + b, 0);
}

const own = (o: unknown, k: string): boolean => o !== null && o !== undefined && Object.prototype.hasOwnProperty.call(o, k);

function sumRows(rows: unknown, key: unknown): number {
  if (!Array.isArray(rows) || typeof key !== 'string') return 0;
  const vals: number[] = [];
  for (const row of rows) {
    if (row && typeof row === 'object' && own(row, key)) {
      const v = (row as Record<string, unknown>)[key];
      if (typeof v === 'number' && Number.isFinite(v)) vals.push(v);
    }
  }
  return decimalSum(vals);
}

// ---------------------------------------------------------------------------------------------
// Strings

export function isEmptyValue(v: unknown): boolean {
  if (isNil(v) || v === '') return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.keys(v as object).length === 0;
  return false;
}

export const MATCHES_MAX_INPUT = 10_000;
const MATCHES_MAX_PATTERN = 1_000;
const regexCache = new Map<string, RegExp | null>();

function matches(s: unknown, pattern: unknown): boolean {
  const text = typeof s === 'number' && Number.isFinite(s) ? String(s) : s;
  if (typeof text !== 'string' || typeof pattern !== 'string') return false;
  if (text.length > MATCHES_MAX_INPUT || pattern.length > MATCHES_MAX_PATTERN) return false;
  let re = regexCache.get(pattern);
  if (re === undefined) {
    try {
      re = new RegExp(pattern, 'u');
    } catch {
      re = null;
    }
    if (regexCache.size >= 500) regexCache.clear();
    regexCache.set(pattern, re);
  }
  return re ? re.test(text) : false;
}

function contains(hay: unknown, x: unknown): boolean {
  if (typeof hay === 'string') return typeof x === 'string' && hay.includes(x);
  if (Array.isArray(hay)) return hay.some((item) => rulesEqual(item, x));
  return false;
}

// ---------------------------------------------------------------------------------------------
// Check digits

export interface CheckDigitSpec {
  weights: number[];
  modulus: number;
  position: number;
  map: string;
  values?: Record<string, number>;
}

const DEFAULT_VALUES: Record<string, number> = (() => {
  const v: Record<string, number> = {};
  for (let i = 0; i < 10; i++) v[String(i)] = i;
  for (let i = 0; i < 26; i++) v[String.fromCharCode(65 + i)] = 10 + i;
  return v;
})();

export function checkDigit(value: unknown, spec: unknown): boolean {
  if (typeof value !== 'string' || !spec || typeof spec !== 'object') return false;
  const { weights, modulus, position, map, values } = spec as Partial<CheckDigitSpec>;
  if (!Array.isArray(weights) || weights.length === 0 || weights.length > 100 || !weights.every((w) => typeof w === 'number' && Number.isFinite(w))) return false;
  if (typeof modulus !== 'number' || !Number.isInteger(modulus) || modulus < 1) return false;
  if (typeof position !== 'number' || !Number.isInteger(position) || position < 0 || position >= weights.length) return false;
  if (typeof map !== 'string') return false;
  const table = values ?? DEFAULT_VALUES;
  if (typeof table !== 'object' || table === null) return false;
  const chars = Array.from(value.toUpperCase());
  if (chars.length !== weights.length) return false;
  let sum = 0;
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    const has = own(table, c) && typeof table[c] === 'number' && Number.isFinite(table[c]);
    if (i === position && weights[i] === 0) continue; // the check character need only match map[r]
    if (!has) return false;
    sum += table[c]! * weights[i]!;
  }
  const r = ((sum % modulus) + modulus) % modulus;
  const expected = Array.from(map)[r];
  return expected !== undefined && chars[position] === expected.toUpperCase();
}

// ---------------------------------------------------------------------------------------------
// The instance

/** json-logic-js with our operations installed (see the header). */
export const jsonLogic = jsonLogicJs;

const OPS: Record<string, (this: Data, ...args: any[]) => unknown> = {
  // comparisons
  '==': (a, b) => rulesEqual(a, b),
  '===': (a, b) => rulesEqual(a, b),
  '!=': (a, b) => !rulesEqual(a, b),
  '!==': (a, b) => !rulesEqual(a, b),
  '<': (...args) => (args.length >= 3 ? lt(args[0], args[1]) && lt(args[1], args[2]) : lt(args[0], args[1])),
  '<=': (...args) => (args.length >= 3 ? le(args[0], args[1]) && le(args[1], args[2]) : le(args[0], args[1])),
  '>': (a, b) => lt(b, a),
  '>=': (a, b) => le(b, a),
  in: (a, b) => contains(b, a),
  var: function (this: Data, a?: unknown, b?: unknown) {
    const notFound = b === undefined ? null : b;
    let data: unknown = this;
    if (a === undefined || a === '' || a === null) return data;
    for (const seg of String(a).split('.')) {
      if (isNil(data) || !own(data, seg)) return notFound;
      data = (data as Record<string, unknown>)[seg];
      if (data === undefined) return notFound;
    }
    return data;
  },
  // dates
  today: () => rulesToday(),
  now: () => rulesNow(),
  date_add: (v, n, unit) => dateAdd(v, n, unit),
  date_diff: (a, b, unit) => dateDiff(a, b, unit),
  // strings
  starts_with: (s, p) => typeof s === 'string' && typeof p === 'string' && s.startsWith(p),
  ends_with: (s, p) => typeof s === 'string' && typeof p === 'string' && s.endsWith(p),
  contains: (h, x) => contains(h, x),
  length: (x) => (typeof x === 'string' ? Array.from(x).length : Array.isArray(x) ? x.length : isNil(x) ? 0 : null),
  lower: (s) => (typeof s === 'string' ? s.toLowerCase() : null),
  upper: (s) => (typeof s === 'string' ? s.toUpperCase() : null),
  trim: (s) => (typeof s === 'string' ? s.trim() : null),
  is_empty: (x) => isEmptyValue(x),
  matches: (s, p) => matches(s, p),
  check_digit: (v, spec) => checkDigit(v, spec),
  // numbers and rows
  round: (x, places) => {
    const n = toNumber(x);
    const p = places === undefined || places === null ? 0 : toInt(places);
    if (n === null || p === null || p < -10 || p > 15) return null;
    return roundHalfAway(n, p);
  },
  sum_rows: (rows, key) => sumRows(rows, key),
  count_rows: (rows) => (Array.isArray(rows) ? rows.length : 0),
};

for (const [name, fn] of Object.entries(OPS)) jsonLogicJs.add_operation(name, fn);
jsonLogicJs.rm_operation('log');

/** Every operation name rules may use (json-logic-js built-ins plus ours). */
export const RULE_OPERATIONS: ReadonlySet<string> = new Set([
  'var', 'missing', 'missing_some', 'if', '?:', '==', '===', '!=', '!==', '!', '!!', 'or', 'and',
  '>', '>=', '<', '<=', 'max', 'min', '+', '-', '*', '/', '%', 'map', 'filter', 'reduce', 'all',
  'none', 'some', 'merge', 'in', 'cat', 'substr', ...Object.keys(OPS),
]);

/** json-logic truthiness (null, false, 0, NaN, '' and [] are falsy). */
export function truthy(v: unknown): boolean {
  return jsonLogicJs.truthy(v);
}

/** Evaluate a rule against data. Throws on an unknown operation. */
export function applyRule(rule: unknown, data: unknown): unknown {
  return jsonLogicJs.apply(rule as any, data ?? {});
}
