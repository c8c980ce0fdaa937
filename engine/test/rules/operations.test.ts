import { afterEach, describe, expect, it } from 'vitest';
import {
  applyRule, checkDigit, compareStrings, jsonLogic, RULE_OPERATIONS, setRulesClock, setRulesTimeZone, truthy,
} from '../../src/rules/operations.js';
import { applyRule as fromIndex } from '../../src/rules/index.js';

const run = (rule: unknown, data: unknown = {}) => applyRule(rule, data);
const v = (name: string) => ({ var: name });

afterEach(() => {
  setRulesClock(null);
  setRulesTimeZone('Asia/Shanghai');
});

describe('comparison semantics', () => {
  it('ordering with a null side is false', () => {
    for (const op of ['<', '<=', '>', '>=']) {
      expect(run({ [op]: [null, 5] })).toBe(false);
      expect(run({ [op]: [5, null] })).toBe(false);
      expect(run({ [op]: [v('missing'), 0] })).toBe(false);
      expect(run({ [op]: [null, null] })).toBe(false);
    }
  });

  it('numbers compare as numbers, strings as strings, mixed never', () => {
    expect(run({ '<': [9, 10] })).toBe(true);
    expect(run({ '<': ['10', '9'] })).toBe(true); // string order
    expect(run({ '<': [5, '9'] })).toBe(false);
    expect(run({ '>': ['9', 5] })).toBe(false);
    expect(run({ '<': [true, 2] })).toBe(false);
    expect(run({ '<': ['2024-01-31', '2024-02-01'] })).toBe(true);
    expect(run({ '>=': ['2024-02-01T00:00:00.000Z', '2024-02-01'] })).toBe(true);
    expect(run({ '<=': [3, 3] })).toBe(true);
    expect(run({ '>': [3, 3] })).toBe(false);
  });

  it('strings order by code point (as SQL binary / C collation)', () => {
    expect(compareStrings('\uffff', '😀')).toBeLessThan(0); // UTF-16 units would say the opposite
    expect(run({ '<': ['\uffff', '😀'] })).toBe(true);
    expect(run({ '<': ['a', 'b'] })).toBe(true);
    expect(run({ '<': ['B', 'a'] })).toBe(true);
    expect(run({ '<': ['ab', 'abc'] })).toBe(true);
  });

  it('between forms of < and <=', () => {
    expect(run({ '<': [1, v('x'), 10] }, { x: 5 })).toBe(true);
    expect(run({ '<': [1, v('x'), 10] }, { x: 10 })).toBe(false);
    expect(run({ '<=': [1, v('x'), 10] }, { x: 10 })).toBe(true);
    expect(run({ '<=': [1, v('x'), 10] }, { x: null })).toBe(false);
  });

  it('== is null-aware and never coerces', () => {
    expect(run({ '==': [null, null] })).toBe(true);
    expect(run({ '==': [v('a'), null] }, {})).toBe(true);
    expect(run({ '==': [0, null] })).toBe(false);
    expect(run({ '==': ['', null] })).toBe(false);
    expect(run({ '==': [5, '5'] })).toBe(false);
    expect(run({ '==': [1, true] })).toBe(false);
    expect(run({ '==': ['a', 'a'] })).toBe(true);
    expect(run({ '===': [null, undefined] })).toBe(true);
    expect(run({ '!=': [null, null] })).toBe(false);
    expect(run({ '!=': [0, null] })).toBe(true);
    expect(run({ '!==': [5, '5'] })).toBe(true);
  });

  it('in: list membership and substring', () => {
    expect(run({ in: ['a', ['a', 'b']] })).toBe(true);
    expect(run({ in: [null, ['a', null]] })).toBe(true);
    expect(run({ in: [null, ['a']] })).toBe(false);
    expect(run({ in: [1, ['1']] })).toBe(false);
    expect(run({ in: ['bc', 'abcd'] })).toBe(true);
    expect(run({ in: [null, 'xnullx'] })).toBe(false);
    expect(run({ in: ['a', null] })).toBe(false);
  });

  it('logic operations keep working', () => {
    expect(run({ and: [true, { '<': [1, 2] }] })).toBe(true);
    expect(run({ or: [false, { '>': [null, 2] }] })).toBe(false);
    expect(run({ if: [{ '==': [v('k'), 'x'] }, 'yes', 'no'] }, { k: 'x' })).toBe('yes');
    expect(run({ '!': { '<': [null, 1] } })).toBe(true);
    expect(run({ '!!': [[]] })).toBe(false);
    expect(run({ '!!': v('s') }, { s: 'x' })).toBe(true);
    expect(run({ '+': [1, 2] })).toBe(3);
    expect(run({ missing: ['a', 'b'] }, { a: 1 })).toEqual(['b']);
    expect(run({ filter: [v('xs'), { '>': [v(''), 1] }] }, { xs: [1, 2, 3] })).toEqual([2, 3]);
    expect(truthy({})).toBe(true);
    expect(fromIndex({ '==': [1, 1] }, {})).toBe(true);
    expect(jsonLogic.apply({ '<': [null, 1] })).toBe(false); // the shared instance is ours
  });

  it('var reads own properties only', () => {
    expect(run(v('constructor'), {})).toBe(null);
    expect(run(v('__proto__'), {})).toBe(null);
    expect(run(v('a.toString'), { a: {} })).toBe(null);
    expect(run(v('a.b'), { a: { b: 2 } })).toBe(2);
    expect(run(v('xs.1'), { xs: [5, 6] })).toBe(6);
    expect(run(v('s.length'), { s: 'abc' })).toBe(3);
    expect(run({ var: ['nope', 7] }, {})).toBe(7);
  });

  it('log is removed; unknown operations throw', () => {
    expect(() => run({ log: 'x' })).toThrow(/Unrecognized operation/);
    expect(() => run({ no_such_op: [] })).toThrow();
    expect(RULE_OPERATIONS.has('date_add')).toBe(true);
    expect(RULE_OPERATIONS.has('log')).toBe(false);
  });
});

describe('today and now', () => {
  it('today is the date in the rules time zone', () => {
    setRulesClock(() => new Date('2024-01-31T17:00:00Z'));
    expect(run({ today: [] })).toBe('2024-02-01'); // 01:00 in Shanghai
    expect(run({ now: [] })).toBe('2024-01-31T17:00:00.000Z');
    setRulesTimeZone('UTC');
    expect(run({ today: [] })).toBe('2024-01-31');
    setRulesTimeZone('America/New_York');
    expect(run({ today: [] })).toBe('2024-01-31');
  });

  it('an unknown time zone is refused', () => {
    expect(() => setRulesTimeZone('Mars/Olympus')).toThrow(RangeError);
  });

  it('defaults to the system clock', () => {
    const before = Date.now();
    const now = Date.parse(run({ now: [] }) as string);
    expect(now).toBeGreaterThanOrEqual(before - 1000);
    expect(run({ today: [] })).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });
});

describe('date_add', () => {
  const add = (d: unknown, n: unknown, unit: unknown) => run({ date_add: [d, n, unit] });
  it('adds calendar units to dates, clamping month ends', () => {
    expect(add('2024-01-31', 1, 'day')).toBe('2024-02-01');
    expect(add('2024-03-01', -1, 'day')).toBe('2024-02-29');
    expect(add('2024-01-01', 2, 'week')).toBe('2024-01-15');
    expect(add('2024-01-31', 1, 'month')).toBe('2024-02-29');
    expect(add('2023-01-31', 1, 'month')).toBe('2023-02-28');
    expect(add('2023-03-31', -1, 'month')).toBe('2023-02-28');
    expect(add('2023-12-15', 1, 'month')).toBe('2024-01-15');
    expect(add('2024-02-29', 1, 'year')).toBe('2025-02-28');
    expect(add('2024-05-10', -2, 'year')).toBe('2022-05-10');
    expect(add('2024-05-10', '3', 'day')).toBe('2024-05-13');
  });

  it('date plus hours is a datetime from midnight in the rules time zone', () => {
    expect(add('2024-05-10', 8, 'hour')).toBe('2024-05-10T00:00:00.000Z');
    expect(add('2024-05-10', 30, 'minute')).toBe('2024-05-09T16:30:00.000Z');
  });

  it('adds to datetimes', () => {
    expect(add('2024-05-10T10:00:00.000Z', 3, 'hour')).toBe('2024-05-10T13:00:00.000Z');
    expect(add('2024-05-10T10:00:00Z', -90, 'minute')).toBe('2024-05-10T08:30:00.000Z');
    expect(add('2024-05-10T10:00:00+08:00', 1, 'day')).toBe('2024-05-11T02:00:00.000Z');
    expect(add('2024-01-31T10:00:00.000Z', 1, 'month')).toBe('2024-02-29T10:00:00.000Z');
    expect(add('2024-01-31T10:00:00.000Z', 1, 'year')).toBe('2025-01-31T10:00:00.000Z');
  });

  it('invalid input gives null', () => {
    expect(add(null, 1, 'day')).toBe(null);
    expect(add('2024-02-30', 1, 'day')).toBe(null);
    expect(add('yesterday', 1, 'day')).toBe(null);
    expect(add('2024-01-01', 'x', 'day')).toBe(null);
    expect(add('2024-01-01', 1, 'fortnight')).toBe(null);
    expect(add('2024-01-01T10:00:00', 1, 'day')).toBe(null); // no zone: ambiguous
    expect(add('2024-01-01', 1e12, 'day')).toBe(null);
    expect(add('2024-01-01', 8000, 'year')).toBe(null);
    expect(add('2024-01-01T00:00:00.000Z', 1e12, 'year')).toBe(null);
    expect(add('9999-12-31', 1, 'day')).toBe(null);
  });
});

describe('date_diff', () => {
  const diff = (a: unknown, b: unknown, unit: string) => run({ date_diff: [a, b, unit] });
  it('days', () => {
    expect(diff('2024-03-01', '2024-02-01', 'day')).toBe(29);
    expect(diff('2024-02-01', '2024-03-01', 'day')).toBe(-29);
    expect(diff('2024-02-01', '2024-02-01', 'day')).toBe(0);
    // a datetime counts as its date in Asia/Shanghai
    expect(diff('2024-02-01T16:30:00.000Z', '2024-02-01', 'day')).toBe(1);
  });

  it('whole months and years', () => {
    expect(diff('2024-02-29', '2024-01-31', 'month')).toBe(1);
    expect(diff('2024-02-28', '2024-01-31', 'month')).toBe(0);
    expect(diff('2023-02-28', '2023-01-31', 'month')).toBe(1);
    expect(diff('2024-03-30', '2024-01-31', 'month')).toBe(1);
    expect(diff('2024-03-31', '2024-01-31', 'month')).toBe(2);
    expect(diff('2024-01-31', '2024-03-31', 'month')).toBe(-2);
    expect(diff('2024-05-09', '1990-05-10', 'year')).toBe(33);
    expect(diff('2024-05-10', '1990-05-10', 'year')).toBe(34);
    expect(diff('1990-05-10', '2024-05-10', 'year')).toBe(-34);
  });

  it('hours', () => {
    expect(diff('2024-05-10T10:59:00.000Z', '2024-05-10T08:00:00.000Z', 'hour')).toBe(2);
    expect(diff('2024-05-10T08:00:00.000Z', '2024-05-10T10:59:00.000Z', 'hour')).toBe(-2);
    expect(diff('2024-05-11', '2024-05-10', 'hour')).toBe(24);
  });

  it('null if either side is missing or invalid', () => {
    expect(diff(null, '2024-01-01', 'day')).toBe(null);
    expect(diff('2024-01-01', undefined, 'day')).toBe(null);
    expect(diff('2024-13-01', '2024-01-01', 'day')).toBe(null);
    expect(diff('2024-01-01', '2024-01-01', 'week')).toBe(null);
  });
});

describe('string operations', () => {
  it('starts_with / ends_with / contains', () => {
    expect(run({ starts_with: ['Formwork', 'Form'] })).toBe(true);
    expect(run({ starts_with: ['Formwork', 'form'] })).toBe(false);
    expect(run({ ends_with: ['Formwork', 'work'] })).toBe(true);
    expect(run({ starts_with: [null, ''] })).toBe(false);
    expect(run({ ends_with: [12, '2'] })).toBe(false);
    expect(run({ contains: ['a%b', '%'] })).toBe(true);
    expect(run({ contains: ['abc', 'B'] })).toBe(false);
    expect(run({ contains: [['vip', 'new'], 'vip'] })).toBe(true);
    expect(run({ contains: [['vip'], 'vi'] })).toBe(false);
    expect(run({ contains: [null, 'x'] })).toBe(false);
    expect(run({ contains: ['a1', 1] })).toBe(false);
  });

  it('length, lower, upper, trim', () => {
    expect(run({ length: 'abc' })).toBe(3);
    expect(run({ length: '中文😀' })).toBe(3);
    expect(run({ length: [[1, 2]] })).toBe(2);
    expect(run({ length: v('x') }, {})).toBe(0);
    expect(run({ length: 5 })).toBe(null);
    expect(run({ lower: 'AbC' })).toBe('abc');
    expect(run({ upper: 'AbC' })).toBe('ABC');
    expect(run({ trim: '  a b ' })).toBe('a b');
    expect(run({ trim: 5 })).toBe(null);
  });

  it('is_empty', () => {
    for (const x of [null, '', [], {}]) expect(run({ is_empty: [x] })).toBe(true);
    expect(run({ is_empty: v('nope') }, {})).toBe(true);
    for (const x of [0, false, ' ', [0], 'x']) expect(run({ is_empty: [x] })).toBe(false);
    expect(run({ is_empty: v('o') }, { o: { a: 1 } })).toBe(false);
    expect(run({ is_empty: v('o') }, { o: {} })).toBe(true);
  });

  it('matches', () => {
    expect(run({ matches: ['13800138000', '^1[3-9]\\d{9}$'] })).toBe(true);
    expect(run({ matches: ['12345', '^1[3-9]\\d{9}$'] })).toBe(false);
    expect(run({ matches: ['abc', '(['] })).toBe(false);
    expect(run({ matches: [null, '.*'] })).toBe(false);
    expect(run({ matches: [123, '^\\d+$'] })).toBe(true);
    expect(run({ matches: ['x'.repeat(10_001), 'x'] })).toBe(false);
    expect(run({ matches: ['x'.repeat(10_000), '^x+$'] })).toBe(true);
    expect(run({ matches: ['中文', '^\\p{Script=Han}+$'] })).toBe(true);
  });
});

describe('numbers and rows', () => {
  it('round: half away from zero, decimal-correct', () => {
    expect(run({ round: [1.005, 2] })).toBe(1.01);
    expect(run({ round: [2.675, 2] })).toBe(2.68);
    expect(run({ round: [1.45, 1] })).toBe(1.5);
    expect(run({ round: [-1.005, 2] })).toBe(-1.01);
    expect(run({ round: [2.5] })).toBe(3);
    expect(run({ round: [-2.5] })).toBe(-3);
    expect(run({ round: [-0.001, 2] })).toBe(0);
    expect(Object.is(run({ round: [-0.001, 2] }), 0)).toBe(true);
    expect(run({ round: [1234.5678, -2] })).toBe(1200);
    expect(run({ round: [1e21, 2] })).toBe(1e21);
    expect(run({ round: [1.23e-7, 8] })).toBe(1.2e-7);
    expect(run({ round: ['3.14159', 3] })).toBe(3.142);
    expect(run({ round: [null, 2] })).toBe(null);
    expect(run({ round: ['abc'] })).toBe(null);
    expect(run({ round: [0.1 + 0.2, 2] })).toBe(0.3);
  });

  it('sum_rows and count_rows', () => {
    const rows = [{ amount: 0.1 }, { amount: 0.2 }, { amount: null }, { amount: '5' }, {}, null, { amount: 19.99 }];
    expect(run({ sum_rows: [v('rows'), 'amount'] }, { rows })).toBe(20.29);
    expect(run({ sum_rows: [v('rows'), 'amount'] }, {})).toBe(0);
    expect(run({ sum_rows: [v('r'), 'a'] }, { r: [{ a: 0.1 }, { a: 0.2 }] })).toBe(0.3);
    expect(run({ count_rows: v('rows') }, { rows })).toBe(7);
    expect(run({ count_rows: v('rows') }, { rows: null })).toBe(0);
    expect(run({ sum_rows: [v('r'), 'a'] }, { r: [Object.create({ a: 5 })] })).toBe(0);
  });
});

describe('check_digit', () => {
  const VIN_VALUES: Record<string, number> = {
    A: 1, B: 2, C: 3, D: 4, E: 5, F: 6, G: 7, H: 8, J: 1, K: 2, L: 3, M: 4, N: 5, P: 7, R: 9,
    S: 2, T: 3, U: 4, V: 5, W: 6, X: 7, Y: 8, Z: 9,
    0: 0, 1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 6: 6, 7: 7, 8: 8, 9: 9,
  };
  const VIN = { weights: [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2], modulus: 11, position: 8, map: '0123456789X', values: VIN_VALUES };
  const PRC_ID = { weights: [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2, 0], modulus: 11, position: 17, map: '10X98765432' };

  it('VINs', () => {
    expect(checkDigit('1M8GDM9AXKP042788', VIN)).toBe(true);
    expect(checkDigit('11111111111111111', VIN)).toBe(true);
    expect(checkDigit('1m8gdm9axkp042788', VIN)).toBe(true); // case-insensitive
    expect(checkDigit('1M8GDM9A1KP042788', VIN)).toBe(false); // wrong check digit
    expect(checkDigit('1M8GDM9AXKP042789', VIN)).toBe(false); // corrupted character
    expect(checkDigit('11111111111111112', VIN)).toBe(false);
    expect(checkDigit('1M8GDM9AXKP04278', VIN)).toBe(false); // too short
    expect(checkDigit('1M8GDM9AXKP0427888', VIN)).toBe(false); // too long
    expect(checkDigit('IM8GDM9AXKP042788', VIN)).toBe(false); // I is not a VIN character
    expect(run({ check_digit: [v('vin'), VIN] }, { vin: '1M8GDM9AXKP042788' })).toBe(true);
  });

  it('18-digit PRC resident ID numbers', () => {
    expect(checkDigit('11010519491231002X', PRC_ID)).toBe(true); // the GB 11643 example
    expect(checkDigit('11010519491231002x', PRC_ID)).toBe(true);
    expect(checkDigit('440524188001010014', PRC_ID)).toBe(true);
    expect(checkDigit('110105194912310021', PRC_ID)).toBe(false);
    expect(checkDigit('11010519491231003X', PRC_ID)).toBe(false);
    expect(checkDigit('21010519491231002X', PRC_ID)).toBe(false);
    expect(checkDigit('1101051949123100', PRC_ID)).toBe(false);
  });

  it('anything else is false', () => {
    expect(checkDigit(null, VIN)).toBe(false);
    expect(checkDigit(12345, VIN)).toBe(false);
    expect(checkDigit('11111111111111111', null)).toBe(false);
    expect(checkDigit('11111111111111111', { ...VIN, modulus: 0 })).toBe(false);
    expect(checkDigit('11111111111111111', { ...VIN, position: 17 })).toBe(false);
    expect(checkDigit('11111111111111111', { ...VIN, weights: 'abc' })).toBe(false);
    expect(checkDigit('11111111111111111', { ...VIN, map: '0' })).toBe(false);
    expect(checkDigit('1111111111111111_', { ...VIN, values: undefined })).toBe(false);
  });
});
