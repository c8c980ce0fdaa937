import { afterEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { FieldDef } from '../../src/meta/types.js';
import { compileFilter, type FilterContext, type SqlField } from '../../src/rules/sql.js';
import { RULE_OPERATIONS, setRulesClock } from '../../src/rules/operations.js';
import { AppError } from '../../src/errors.js';

const FIELDS: Array<Partial<FieldDef> & Pick<FieldDef, 'key' | 'type'>> = [
  { key: 'name', type: 'text' },
  { key: 'code', type: 'text' },
  { key: 'note', type: 'textarea' },
  { key: 'qty', type: 'number' },
  { key: 'rate', type: 'percent' },
  { key: 'price', type: 'money' },
  { key: 'cost', type: 'money' },
  { key: 'due', type: 'date' },
  { key: 'at', type: 'datetime' },
  { key: 'flag', type: 'boolean' },
  { key: 'status', type: 'select' },
  { key: 'tags', type: 'tags' },
  { key: 'watchers', type: 'user', multiple: true },
  { key: 'owner', type: 'user' },
  { key: 'files', type: 'attachment' },
  { key: 'addr', type: 'address' },
  { key: 'lines', type: 'subtable', fields: [] },
  { key: 'id', type: 'number' },
];
const BY_KEY = new Map(FIELDS.map((f) => [f.key, { id: f.key, label: f.key, column: f.key, ...f } as FieldDef]));
const resolver = (key: string): SqlField | undefined => {
  const field = BY_KEY.get(key);
  return field ? { sql: `"t"."${field.column}"`, field } : undefined;
};
const ctx = (dialect: 'sqlite' | 'pg' = 'sqlite', vars?: Record<string, unknown>): FilterContext => ({ dialect, field: resolver, vars });
const c = (expr: unknown, dialect: 'sqlite' | 'pg' = 'sqlite', vars?: Record<string, unknown>) => compileFilter(expr, ctx(dialect, vars));
const v = (name: string) => ({ var: name });

function expectBad(fn: () => unknown, message?: RegExp): AppError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    expect((e as AppError).code).toBe('bad_request');
    if (message) expect((e as AppError).text.en).toMatch(message);
    expect((e as AppError).text['zh-CN']).toBeTruthy();
    return e as AppError;
  }
  throw new Error('expected bad_request');
}

afterEach(() => setRulesClock(null));

describe('compileFilter: shapes', () => {
  it('equality, with null as IS NULL', () => {
    // Outside NOT the guard is left out (only TRUE selects a row); under NOT it stays.
    expect(c({ '==': [v('name'), 'x'] })).toEqual({ sql: '("t"."name" = ?)', bindings: ['x'] });
    expect(c({ '===': ['x', v('name')] })).toEqual({ sql: '("t"."name" = ?)', bindings: ['x'] });
    expect(c({ '==': [v('name'), null] })).toEqual({ sql: '"t"."name" IS NULL', bindings: [] });
    expect(c({ '!=': [v('name'), null] })).toEqual({ sql: 'NOT ("t"."name" IS NULL)', bindings: [] });
    expect(c({ '!=': [v('qty'), 3] })).toEqual({ sql: 'NOT (("t"."qty" IS NOT NULL AND "t"."qty" = ?))', bindings: [3] });
    expect(c({ '==': [v('flag'), true] }).bindings).toEqual([true]);
  });

  it('converts values with toColumnValue: money in minor units', () => {
    expect(c({ '>=': [v('price'), 12.34] }).bindings).toEqual([1234]);
    expect(c({ '==': [v('price'), -0.1] }).bindings).toEqual([-10]);
    expect(c({ '<': [v('at'), '2024-05-01T08:00:00.000Z'] }).bindings).toEqual(['2024-05-01T08:00:00.000Z']);
  });

  it('ordering: null-safe, flipped, between, collation on text', () => {
    expect(c({ '<': [v('qty'), 5] })).toEqual({ sql: '("t"."qty" < ?)', bindings: [5] });
    expect(c({ '<': [5, v('qty')] })).toEqual({ sql: '("t"."qty" > ?)', bindings: [5] });
    expect(c({ '>=': [5, v('qty')] }).sql).toBe('("t"."qty" <= ?)');
    expect(c({ '!': { '<': [v('qty'), 5] } }).sql).toBe('NOT (("t"."qty" IS NOT NULL AND "t"."qty" < ?))');
    expect(c({ '<': [v('qty'), null] })).toEqual({ sql: '1=0', bindings: [] });
    expect(c({ '<=': [1, v('qty'), 10] })).toEqual({
      sql: '(("t"."qty" >= ?) AND ("t"."qty" <= ?))',
      bindings: [1, 10],
    });
    expect(c({ '<': [v('name'), 'm'] }, 'pg').sql).toBe('("t"."name" COLLATE "C" < ?)');
    expect(c({ '<': [v('name'), 'm'] }, 'sqlite').sql).toBe('("t"."name" COLLATE BINARY < ?)');
    expect(c({ '<': [v('qty'), 1.5] }, 'pg').sql).toBe('("t"."qty" < CAST(? AS double precision))');
    expect(c({ '<': [v('id'), 10] }, 'pg').sql).toBe('("t"."id" < ?)');
  });

  it('field against field', () => {
    expect(c({ '==': [v('name'), v('code')] }).sql).toBe('"t"."name" IS "t"."code"');
    expect(c({ '==': [v('name'), v('code')] }, 'pg').sql).toBe('"t"."name" IS NOT DISTINCT FROM "t"."code"');
    expect(c({ '<': [v('price'), v('cost')] }).sql).toBe('("t"."price" IS NOT NULL AND "t"."cost" IS NOT NULL AND "t"."price" < "t"."cost")');
    expect(c({ '>': [v('qty'), v('rate')] }).sql).toContain('"t"."qty" > "t"."rate"');
  });

  it('dates compare as strings; a datetime against a date agrees with string order', () => {
    expect(c({ '<': [v('due'), '2024-05-01'] }).bindings).toEqual(['2024-05-01']);
    expect(c({ '>': [v('at'), '2024-05-01'] })).toEqual({ sql: '("t"."at" >= ?)', bindings: ['2024-05-01T00:00:00.000Z'] });
    expect(c({ '<=': [v('at'), '2024-05-01'] })).toEqual({ sql: '("t"."at" < ?)', bindings: ['2024-05-01T00:00:00.000Z'] });
    expect(c({ '==': [v('at'), '2024-05-01'] }).sql).toBe('1=0');
  });

  it('in a list, with null', () => {
    expect(c({ in: [v('status'), ['a', 'b']] })).toEqual({ sql: '("t"."status" IN (?, ?))', bindings: ['a', 'b'] });
    expect(c({ '!': { in: [v('status'), ['a', 'b']] } }).sql).toBe('NOT (("t"."status" IS NOT NULL AND "t"."status" IN (?, ?)))');
    expect(c({ in: [v('status'), ['a', null]] })).toEqual({
      sql: '(("t"."status" IN (?)) OR "t"."status" IS NULL)',
      bindings: ['a'],
    });
    expect(c({ in: [v('status'), []] }).sql).toBe('1=0');
    expect(c({ in: [v('price'), [1, 2.5]] }).bindings).toEqual([100, 250]);
  });

  it('membership in tags and multiple users', () => {
    expect(c({ in: ['vip', v('tags')] })).toEqual({ sql: 'EXISTS (SELECT 1 FROM json_each("t"."tags") WHERE value = ?)', bindings: ['vip'] });
    expect(c({ in: ['vip', v('tags')] }, 'pg')).toEqual({ sql: '("t"."tags" IS NOT NULL AND "t"."tags"::jsonb @> ?::jsonb)', bindings: ['["vip"]'] });
    expect(c({ contains: [v('tags'), 'vip'] }, 'pg').bindings).toEqual(['["vip"]']);
    expect(c({ in: [v('$user.id'), v('watchers')] }, 'pg', { $user: { id: 7 } }).bindings).toEqual(['[7]']);
    expect(c({ in: [null, v('tags')] }).sql).toBe('1=0');
  });

  it('text search: contains, starts_with, ends_with — case-sensitive, wildcards escaped', () => {
    expect(c({ contains: [v('name'), '50%_off!'] })).toEqual({ sql: '("t"."name" IS NOT NULL AND instr("t"."name", ?) > 0)', bindings: ['50%_off!'] });
    expect(c({ contains: [v('name'), '50%_off!'] }, 'pg')).toEqual({ sql: '("t"."name" IS NOT NULL AND "t"."name" LIKE ? ESCAPE \'!\')', bindings: ['%50!%!_off!!%'] });
    expect(c({ in: ['ab', v('name')] }).bindings).toEqual(['ab']);
    expect(c({ starts_with: [v('name'), 'a_'] }, 'pg').bindings).toEqual(['a!_%']);
    expect(c({ ends_with: [v('name'), 'a_'] }, 'pg').bindings).toEqual(['%a!_']);
    expect(c({ starts_with: [v('name'), 'ab'] })).toEqual({ sql: '("t"."name" IS NOT NULL AND substr("t"."name", 1, length(?)) = ?)', bindings: ['ab', 'ab'] });
    expect(c({ ends_with: [v('name'), 'ab'] })).toEqual({ sql: '("t"."name" IS NOT NULL AND substr("t"."name", -length(?)) = ?)', bindings: ['ab', 'ab'] });
    expect(c({ contains: [v('name'), ''] }).sql).toBe('"t"."name" IS NOT NULL');
    expect(c({ starts_with: [v('name'), null] }).sql).toBe('1=0');
  });

  it('is_empty and truthiness by type', () => {
    expect(c({ is_empty: v('name') }).sql).toBe(`("t"."name" IS NULL OR "t"."name" = '')`);
    expect(c({ is_empty: [v('qty')] }).sql).toBe('"t"."qty" IS NULL');
    expect(c({ is_empty: [v('tags')] }).sql).toBe(`("t"."tags" IS NULL OR json("t"."tags") = '[]' OR json("t"."tags") = '{}')`);
    expect(c({ is_empty: [v('addr')] }, 'pg').sql).toBe(`("t"."addr" IS NULL OR "t"."addr"::jsonb = '[]'::jsonb OR "t"."addr"::jsonb = '{}'::jsonb)`);
    expect(c({ '!': { is_empty: v('name') } }).sql).toBe(`NOT (("t"."name" IS NULL OR "t"."name" = ''))`);
    expect(c(v('flag'))).toEqual({ sql: '("t"."flag" = ?)', bindings: [true] });
    expect(c({ '!': v('flag') }).sql).toBe('NOT (("t"."flag" IS NOT NULL AND "t"."flag" = ?))');
    expect(c({ '!!': [v('name')] }).sql).toBe(`("t"."name" IS NOT NULL AND "t"."name" <> '')`);
    expect(c(v('price')).sql).toBe('("t"."price" IS NOT NULL AND "t"."price" <> 0)');
    expect(c(v('due')).sql).toBe('"t"."due" IS NOT NULL');
    expect(c(v('tags'), 'pg').sql).toBe('("t"."tags" IS NOT NULL AND jsonb_array_length("t"."tags"::jsonb) > 0)');
    expect(c(v('files')).sql).toBe('("t"."files" IS NOT NULL AND json_array_length("t"."files") > 0)');
    expect(c(v('addr')).sql).toBe('"t"."addr" IS NOT NULL');
  });

  it('and / or / !', () => {
    const r = c({ and: [{ '==': [v('status'), 'open'] }, { or: [{ '<': [v('qty'), 1] }, { '!': { in: ['x', v('tags')] } }] }] });
    expect(r.sql).toBe(
      '(("t"."status" = ?) AND (("t"."qty" < ?) OR NOT (EXISTS (SELECT 1 FROM json_each("t"."tags") WHERE value = ?))))',
    );
    expect(r.bindings).toEqual(['open', 1, 'x']);
    expect(c({ and: [] }).sql).toBe('1=0');
    expect(c({ or: [{ '==': [v('qty'), 1] }] }).sql).toBe('("t"."qty" = ?)');
  });

  it('folds what reads no field: constants, $vars, today, date_add', () => {
    setRulesClock(() => new Date('2024-05-10T20:00:00Z')); // 2024-05-11 in Shanghai
    expect(c({ '<': [v('due'), { today: [] }] }).bindings).toEqual(['2024-05-11']);
    expect(c({ '>=': [v('due'), { date_add: [{ today: [] }, -30, 'day'] }] }).bindings).toEqual(['2024-04-11']);
    expect(c({ '==': [v('owner'), v('$user.id')] }, 'sqlite', { $user: { id: 7 } }).bindings).toEqual([7]);
    expect(c({ '==': [v('owner'), v('$user.id')] }, 'sqlite', { $user: { id: null } }).sql).toBe('"t"."owner" IS NULL');
    expect(c({ in: [v('status'), v('$user.roles')] }, 'sqlite', { $user: { roles: ['a', 'b'] } }).bindings).toEqual(['a', 'b']);
    expect(c({ '==': [v('$user.role'), 'admin'] }, 'sqlite', { $user: { role: 'admin' } }).sql).toBe('1=1');
    expect(c({ in: [v('status'), [v('$user.role'), 'x', { cat: ['a', 'b'] }]] }, 'pg', { $user: { role: 'r' } }).bindings).toEqual(['r', 'x', 'ab']);
    expect(c({ or: [{ '==': [v('$user.role'), 'admin'] }, { '==': [v('owner'), v('$user.id')] }] }, 'sqlite', { $user: { role: 'x', id: 3 } }))
      .toEqual({ sql: '(1=0 OR ("t"."owner" = ?))', bindings: [3] });
    expect(c({ '<': [v('qty'), { '+': [1, 2] }] }).bindings).toEqual([3]);
    expect(c(true).sql).toBe('1=1');
    expect(c(false).sql).toBe('1=0');
    expect(c({ '<': [1, 2] }).sql).toBe('1=1');
    expect(c({ '!': [{ '<': [null, 2] }] }).sql).toBe('1=1');
    expect(c(null)).toEqual({ sql: '1=1', bindings: [] });
    expect(c(undefined)).toEqual({ sql: '1=1', bindings: [] });
  });
});

describe('compileFilter: bad_request', () => {
  it('unknown fields and variables are named', () => {
    const e = expectBad(() => c({ '==': [v('nope'), 1] }), /unknown field 'nope'/);
    expect(e.details).toEqual({ field: 'nope' });
    expectBad(() => c({ '==': [v('$user.id'), 1] }), /unknown field '\$user.id'/); // no vars given
    expectBad(() => c(v('__proto__')), /unknown field/);
    expectBad(() => c(v('constructor')), /unknown field/);
    expectBad(() => c(v('name.__proto__')), /unknown field/);
    expectBad(() => c({ var: '' }), /var needs a field name/);
    expectBad(() => c({ var: 5 }), /var needs a field name/);
    expectBad(() => c({ var: ['name', 'x', 'y'] }), /var takes/);
    expectBad(() => c({ var: { var: 'name' } }), /var needs a field name/);
    expectBad(() => c({ '==': [{ var: ['name', 'dflt'] }, 'x'] }), /default/);
    expectBad(() => c(v('lines')), /cannot be used in a filter/);
  });

  it('unknown and unsupported operations are named', () => {
    const e = expectBad(() => c({ frobnicate: [v('name')] }), /unknown operation 'frobnicate'/);
    expect(e.details).toEqual({ operation: 'frobnicate' });
    expectBad(() => c(JSON.parse('{"__proto__": [1]}')), /unknown operation '__proto__'/);
    expectBad(() => c({ constructor: [1] }), /unknown operation 'constructor'/);
    expectBad(() => c({ '==': [{ '+': [v('qty'), 1] }, 3] }), /operation '\+' is not supported on fields/);
    expectBad(() => c({ if: [v('flag'), true, false] }), /operation 'if' is not supported/);
    expectBad(() => c({ matches: [v('name'), '^a'] }), /operation 'matches' is not supported/);
    expectBad(() => c({ log: [v('name')] }), /unknown operation 'log'/);
    expectBad(() => c({ '==': [{ '==': [v('qty'), 1] }, true] }), /operation '==' is not supported on fields/);
  });

  it('wrong shapes', () => {
    expectBad(() => c({ '==': [v('name')] }), /takes 2/);
    expectBad(() => c({ '==': [v('name'), 'a', 'b'] }), /takes 2/);
    expectBad(() => c({ '>': [1, v('qty'), 3] }), /takes 2/);
    expectBad(() => c({ '<': [1, v('qty'), 3, 4] }), /takes 2 or 3/);
    expectBad(() => c({ '!': [v('flag'), v('flag')] }), /takes 1/);
    expectBad(() => c({ '!': [] }), /takes 1/);
    expectBad(() => c({ and: [true, { '==': [1] }] }), /takes 2/); // also inside what would fold to a constant
    expectBad(() => c({}), /exactly one operation/);
    expectBad(() => c({ '==': [v('name'), 'x'], '!=': [v('name'), 'y'] }), /exactly one operation/);
    expectBad(() => c({ '==': [v('name'), { a: 1, b: 2 }] }), /exactly one operation/);
    expectBad(() => c([v('flag')]), /a list is not a condition/);
    expectBad(() => c({ in: [v('status'), Array.from({ length: 1001 }, (_, i) => `s${i}`)] }), /more than 1000 items/);
    expect(c({ in: [v('status'), Array.from({ length: 1000 }, (_, i) => `s${i}`)] }).bindings).toHaveLength(1000);
    let deep: unknown = { '==': [v('qty'), 1] };
    for (let i = 0; i < 30; i++) deep = { '!': deep };
    expect(() => c(deep)).not.toThrow(); // 32 nested operations, var included
    expectBad(() => c({ '!': deep }), /deeper than 32/);
    let deepList: unknown = 1;
    for (let i = 0; i < 100_000; i++) deepList = [deepList];
    expectBad(() => c({ in: [v('qty'), deepList] }), /deeper/);
    const wide = { or: Array.from({ length: 1000 }, () => ({ and: Array.from({ length: 20 }, () => ({ '==': [v('qty'), 1] })) })) };
    expectBad(() => c(wide), /nodes/);
    expectBad(() => c({ in: [v('status'), 'abc'] }), /'in' needs/);
    expectBad(() => c({ in: [v('status'), v('name')] }), /'in' needs/);
    expectBad(() => c({ contains: ['abc', v('name')] }), /needs a field and a value/);
    expectBad(() => c({ starts_with: [v('name'), v('code')] }), /needs a field and a value/);
  });

  it('non-JSON values', () => {
    expectBad(() => c({ '==': [v('qty'), NaN] }), /finite/);
    expectBad(() => c({ '==': [v('qty'), Infinity] }), /finite/);
    expectBad(() => c({ '==': [v('qty'), () => 1] }), /JSON/);
    expectBad(() => c({ '==': [v('due'), new Date()] }), /JSON/);
    expectBad(() => c({ '==': [v('qty'), 10n] }), /JSON/);
    expectBad(() => c({ '<': [v('qty'), { '/': [1, 0] }] }), /finite/);
  });

  it('type mismatches', () => {
    expectBad(() => c({ '==': [v('qty'), 'five'] }), /field 'qty' \(number\) cannot be compared/);
    expectBad(() => c({ '<': [v('qty'), '5'] }), /cannot be compared/);
    expectBad(() => c({ '==': [v('qty'), { var: '$x' }] }, 'sqlite', { $x: { a: 1 } }), /is not a value/);
    expectBad(() => c({ '==': [v('qty'), [1]] }), /cannot be compared/);
    expectBad(() => c({ '==': [v('name'), 5] }), /cannot be compared/);
    expectBad(() => c({ '==': [v('flag'), 1] }), /cannot be compared/);
    expectBad(() => c({ '<': [v('flag'), true] }), /cannot be ordered/);
    expectBad(() => c({ '==': [v('price'), 1.005] }), /more than two decimals/);
    expectBad(() => c({ '==': [v('due'), '2024-02-30'] }), /needs a date/);
    expectBad(() => c({ '<': [v('due'), '2024-02-01T00:00:00.000Z'] }), /needs a date/);
    expectBad(() => c({ '<': [v('at'), '2024-02-01T00:00:00Z'] }), /YYYY-MM-DDTHH:mm:ss.sssZ/);
    expectBad(() => c({ '<': [v('at'), '2024-02-01T08:00:00.000+08:00'] }), /YYYY-MM-DDTHH:mm:ss.sssZ/);
    expectBad(() => c({ '==': [v('tags'), ['a']] }), /does not support equality/);
    expectBad(() => c({ '<': [v('tags'), 'a'] }), /cannot be ordered/);
    expectBad(() => c({ in: [v('tags'), ['a']] }), /does not support 'in' with a list/);
    expectBad(() => c({ in: [5, v('tags')] }), /holds strings/);
    expectBad(() => c({ in: ['x', v('watchers')] }), /holds numbers/);
    expectBad(() => c({ contains: [v('qty'), '1'] }), /needs a text or tags field/);
    expectBad(() => c({ contains: [v('name'), 1] }), /not a string/);
    expectBad(() => c({ starts_with: [v('qty'), '1'] }), /needs a text field/);
    expectBad(() => c({ '==': [v('name'), v('qty')] }), /cannot be compared/);
    expectBad(() => c({ '<': [v('price'), v('qty')] }), /cannot be compared/);
    expectBad(() => c({ '==': [v('due'), v('at')] }), /cannot be compared/);
  });

  it('hostile strings only ever become bindings', () => {
    const evil = [`x'; DROP TABLE t; --`, `" OR 1=1 --`, `\\'`, '?', '??', '$1', `'||(select 1)||'`, '%', '_', '!'];
    for (const s of evil) {
      for (const dialect of ['sqlite', 'pg'] as const) {
        const forms = [
          { '==': [v('name'), s] },
          { contains: [v('name'), s] },
          { starts_with: [v('name'), s] },
          { ends_with: [v('name'), s] },
          { in: [s, v('tags')] },
          { in: [v('status'), [s, 'b']] },
          { '<': [v('name'), s] },
        ];
        for (const f of forms) {
          const r = c(f, dialect);
          expect(r.sql).not.toContain(s.length > 2 ? s : '\u0000');
          expect(r.sql.split('?').length - 1).toBe(r.bindings.length);
        }
      }
      expectBad(() => c({ '==': [v(s), 1] }), /unknown field/);
      if (!RULE_OPERATIONS.has(s)) expectBad(() => c({ [s]: [v('name')] }), /unknown operation/);
    }
  });

  it('property: the SQL text never depends on a value', () => {
    fc.assert(
      fc.property(fc.string(), fc.constantFrom('sqlite', 'pg') as fc.Arbitrary<'sqlite' | 'pg'>, (s, dialect) => {
        const a = c({ and: [{ '==': [v('name'), s] }, { contains: [v('note'), s || 'x'] }, { in: [s, v('tags')] }] }, dialect);
        const b = c({ and: [{ '==': [v('name'), 'k'] }, { contains: [v('note'), 'x'] }, { in: ['k', v('tags')] }] }, dialect);
        expect(a.sql).toBe(b.sql);
      }),
      { numRuns: 300 },
    );
  });
});
