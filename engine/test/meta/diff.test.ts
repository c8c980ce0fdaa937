import { describe, expect, it } from 'vitest';
import { diffDocuments, summarizeFormDiff, type FormDef } from '../../src/meta/index.js';
import { fullForm } from './form-fixture.js';

const clone = <T>(v: T): T => structuredClone(v);

describe('diffDocuments', () => {
  it('equal documents have no changes', () => {
    expect(diffDocuments(fullForm(), fullForm())).toEqual([]);
    expect(diffDocuments({ a: 1, b: undefined }, { a: 1 })).toEqual([]);
  });

  it('leaves, added and removed properties', () => {
    expect(diffDocuments({ a: 1, b: { c: [1, 2] }, gone: true }, { a: 2, b: { c: [1, 3, 4] }, d: 'x' })).toEqual([
      { path: '/gone', op: 'remove', from: true },
      { path: '/a', op: 'change', from: 1, to: 2 },
      { path: '/b/c/1', op: 'change', from: 2, to: 3 },
      { path: '/b/c/2', op: 'add', to: 4 },
      { path: '/d', op: 'add', to: 'x' },
    ]);
    expect(diffDocuments({ a: [1, 2, 3] }, { a: [1] })).toEqual([
      { path: '/a/1', op: 'remove', from: 2 },
      { path: '/a/2', op: 'remove', from: 3 },
    ]);
    expect(diffDocuments({ a: { x: 1 } }, { a: [1] })).toEqual([{ path: '/a', op: 'change', from: { x: 1 }, to: [1] }]);
    expect(diffDocuments(1, 2)).toEqual([{ path: '', op: 'change', from: 1, to: 2 }]);
  });

  it('escapes JSON Pointer segments', () => {
    expect(diffDocuments({ 'a/b': 1, 'c~d': 1 }, { 'a/b': 2, 'c~d': 2 }).map((c) => c.path)).toEqual(['/a~1b', '/c~0d']);
  });

  it('a renamed key is one change at /fields/<index>/key', () => {
    const a = fullForm();
    const b = clone(a);
    b.fields[1]!.key = 'subject';
    expect(diffDocuments(a, b)).toEqual([{ path: '/fields/1/key', op: 'change', from: 'title', to: 'subject' }]);
  });

  it('a reorder is one change naming the old and new order, and no cascade', () => {
    const a = fullForm();
    const b = clone(a);
    const [moved] = b.fields.splice(1, 1);
    b.fields.push(moved!);
    const changes = diffDocuments(a, b);
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({ path: '/fields', op: 'change' });
    expect(changes[0]!.from).toEqual(a.fields.map((f) => f.id));
    expect(changes[0]!.to).toEqual(b.fields.map((f) => f.id));
  });

  it('a reorder plus an edit: the edit is at the new index', () => {
    const a = fullForm();
    const b = clone(a);
    const [moved] = b.fields.splice(1, 1);
    b.fields.unshift(moved!);
    b.fields[0]!.label = 'Subject';
    const changes = diffDocuments(a, b);
    expect(changes.map((c) => c.path)).toEqual(['/fields', '/fields/0/label']);
    expect(changes[1]).toEqual({ path: '/fields/0/label', op: 'change', from: { 'zh-CN': '标题', en: 'Title' }, to: 'Subject' });
  });

  it('an inserted field is one add, not a cascade; a removal points into a', () => {
    const a = fullForm();
    const b = clone(a);
    b.fields.splice(2, 0, { id: 'new1', key: 'vin', type: 'text', label: 'VIN' });
    expect(diffDocuments(a, b)).toEqual([{ path: '/fields/2', op: 'add', to: { id: 'new1', key: 'vin', type: 'text', label: 'VIN' } }]);
    const c = clone(a);
    c.fields.splice(3, 1);
    expect(diffDocuments(a, c)).toEqual([{ path: '/fields/3', op: 'remove', from: a.fields[3] }]);
  });

  it('a removal inside a moved element points into a, a change into b', () => {
    const a = { fields: [{ id: 'x', help: 'h', label: 'X' }, { id: 'y', label: 'Y' }] };
    const b = { fields: [{ id: 'y', label: 'Y' }, { id: 'x', label: 'X2' }] };
    expect(diffDocuments(a, b)).toEqual([
      { path: '/fields', op: 'change', from: ['x', 'y'], to: ['y', 'x'] },
      { path: '/fields/0/help', op: 'remove', from: 'h' },
      { path: '/fields/1/label', op: 'change', from: 'X', to: 'X2' },
    ]);
  });

  it('subtable fields and options are matched too (options by key)', () => {
    const a = fullForm();
    const b = clone(a);
    const items = b.fields.find((f) => f.key === 'items')!;
    items.fields!.reverse();
    const status = b.fields.find((f) => f.key === 'status')!;
    status.options!.reverse();
    const changes = diffDocuments(a, b);
    const itemsIdx = a.fields.findIndex((f) => f.key === 'items');
    const statusIdx = a.fields.findIndex((f) => f.key === 'status');
    expect(changes.map((c) => c.path)).toEqual([`/fields/${statusIdx}/options`, `/fields/${itemsIdx}/fields`]);
    expect(changes[0]).toEqual({ path: `/fields/${statusIdx}/options`, op: 'change', from: ['open', 'done'], to: ['done', 'open'] });
  });

  it('arrays without a full identity are compared by index', () => {
    const a = { fields: [{ key: 'a' }, { label: 'no key' }] };
    const b = { fields: [{ label: 'no key' }, { key: 'a' }] };
    expect(diffDocuments(a, b)).toHaveLength(4);
    // ids that repeat are no identity either
    expect(diffDocuments({ l: [{ id: 1, v: 1 }, { id: 1, v: 2 }] }, { l: [{ id: 1, v: 1 }, { id: 1, v: 3 }] })).toEqual([
      { path: '/l/1/v', op: 'change', from: 2, to: 3 },
    ]);
  });

  it('fields without ids (a new draft) are matched by key', () => {
    const a = { fields: [{ key: 'a', type: 'text' }, { key: 'b', type: 'text' }] };
    const b = { fields: [{ key: 'b', type: 'number' }, { key: 'a', type: 'text' }] };
    expect(diffDocuments(a, b)).toEqual([
      { path: '/fields', op: 'change', from: ['a', 'b'], to: ['b', 'a'] },
      { path: '/fields/0/type', op: 'change', from: 'text', to: 'number' },
    ]);
  });
});

describe('summarizeFormDiff', () => {
  it('added, removed, renamed, retyped, relabelled, soft-deleted and restored', () => {
    const a = fullForm();
    const b = clone(a) as FormDef;
    const byKey = (k: string) => b.fields.find((f) => f.key === k)!;
    byKey('title').key = 'subject';
    byKey('notes').type = 'text';
    byKey('mileage').label = { 'zh-CN': '里程', en: 'Odometer' };
    byKey('phone').deleted = true;
    byKey('old_code').deleted = false;
    b.fields = b.fields.filter((f) => f.key !== 'email');
    b.fields.push({ id: 'n1', key: 'vin', type: 'text', label: { 'zh-CN': '车架号', en: 'VIN' } });
    byKey('items').fields![1]!.key = 'quantity';
    byKey('items').fields!.push({ id: 'n2', key: 'note', type: 'text', label: 'Note' });

    const summary = summarizeFormDiff(a, b);
    const brief = summary.map((c) => [c.kind, c.key, c.parent ?? null]);
    expect(brief).toEqual(
      expect.arrayContaining([
        ['added', 'vin', null],
        ['removed', 'email', null],
        ['renamed', 'subject', null],
        ['retyped', 'notes', null],
        ['relabelled', 'mileage', null],
        ['removed', 'phone', null],
        ['restored', 'old_code', null],
        ['renamed', 'quantity', 'items'],
        ['added', 'note', 'items'],
      ]),
    );
    expect(summary).toHaveLength(9);
    const renamed = summary.find((c) => c.kind === 'renamed' && !c.parent)!;
    expect(renamed).toMatchObject({ field: 'f02', from: 'title', to: 'subject' });
    expect(renamed.text).toEqual({ 'zh-CN': '字段键 title 改为 subject', en: 'Renamed field title to subject' });
    expect(summary.find((c) => c.kind === 'added' && c.key === 'vin')!.text).toEqual({
      'zh-CN': '新增字段「车架号」（vin）', en: 'Added field "VIN" (vin)',
    });
    expect(summary.find((c) => c.kind === 'retyped')!).toMatchObject({ from: 'textarea', to: 'text' });
    expect(summary.find((c) => c.kind === 'relabelled')!.text.en).toBe('Relabelled mileage from "Mileage" to "Odometer"');
    expect(summary.find((c) => c.parent === 'items' && c.kind === 'added')!.text['zh-CN']).toContain('子表「items」中');
  });

  it('nothing changed, nothing to say', () => {
    expect(summarizeFormDiff(fullForm(), fullForm())).toEqual([]);
  });
});

describe('summarizeFormDiff: ids arriving', () => {
  it('a field that got its id since is the same field', () => {
    const a = { key: 'f', label: 'F', fields: [{ key: 'x', type: 'text', label: 'X' }] } as unknown as FormDef;
    const b: FormDef = { key: 'f', label: 'F', fields: [{ id: 'fld_1', key: 'x', type: 'number', label: 'X' }] };
    expect(summarizeFormDiff(a, b).map((c) => c.kind)).toEqual(['retyped']);
  });
});
