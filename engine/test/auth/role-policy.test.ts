/**
 * Roles as documents, combined most-permissively, applied in the query layer: row scopes (own,
 * department and below, json-logic with $user), hidden / read-only / masked fields, and
 * sensitive fields encrypted at rest. On SQLite and PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../helpers/db.js';
import { testEngine, publishForm, type TestEngine } from '../helpers/engine.js';
import type { Actor } from '../../src/auth/actor.js';
import { SYSTEM_ACTOR } from '../../src/auth/actor.js';
import { AppError } from '../../src/errors.js';
import type { RoleDef } from '../../src/auth/role-def.js';

const lead = {
  key: 'lead',
  label: 'Lead',
  fields: [
    { id: 'l_name', key: 'name', type: 'text', label: 'Name' },
    { id: 'l_phone', key: 'phone', type: 'phone', label: 'Phone' },
    { id: 'l_idno', key: 'id_number', type: 'text', label: 'ID', sensitive: true },
    { id: 'l_cost', key: 'cost', type: 'money', label: 'Cost' },
    { id: 'l_grade', key: 'grade', type: 'text', label: 'Grade' },
  ],
};

const roles: RoleDef[] = [
  { key: 'advisor', label: 'Advisor', permissions: [{ form: 'lead', actions: ['create', 'read', 'update'], rows: 'own', fields: { hidden: ['cost'], readOnly: ['grade'] } }] },
  { key: 'manager', label: 'Manager', permissions: [{ form: 'lead', actions: ['read', 'update', 'delete'], rows: 'department', fields: { masked: ['id_number', 'phone'] } }] },
  { key: 'auditor', label: 'Auditor', permissions: [{ form: '*', actions: ['read'], rows: { rule: { '==': [{ var: 'grade' }, 'a'] } }, fields: { hidden: ['id_number'] } }] },
  { key: 'nobody', label: 'Nobody', permissions: [] },
];

async function expectCode(p: Promise<unknown>, code: string) {
  await expect(p).rejects.toSatisfy((e: unknown) => e instanceof AppError && e.code === code);
}

describe.each(DIALECTS)('role policy on %s', (dialect) => {
  let t: TestEngine;
  let store: number;
  let dept: number;
  let other: number;
  const actor = (id: number, roleKeys: string[], departmentId: number | null, departments?: number[]): Actor => ({
    userId: id, username: `u${id}`, roles: roleKeys, departmentId, departments: departments ?? (departmentId ? [departmentId] : []), isAdmin: false,
  });
  let alice: Actor; // advisor in dept
  let bob: Actor; // advisor in dept
  let boss: Actor; // manager of the store (sees dept below)
  let far: Actor; // manager of the other store

  beforeAll(async () => {
    t = await testEngine(dialect);
    await publishForm(t.engine, lead);
    for (const r of roles) {
      await t.engine.docs.saveDraft('roles', r.key, r);
      await t.engine.docs.publish('roles', r.key);
    }
    store = (await t.engine.departments.create({ name: 'Store A', kind: 'store' })).id;
    dept = (await t.engine.departments.create({ name: 'Sales', parent: store })).id;
    other = (await t.engine.departments.create({ name: 'Store B', kind: 'store' })).id;
    alice = actor(101, ['advisor'], dept);
    bob = actor(102, ['advisor'], dept);
    boss = actor(103, ['manager'], store, await t.engine.departments.subtree(store));
    far = actor(104, ['manager'], other, await t.engine.departments.subtree(other));
    for (let i = 0; i < 3; i++) await t.engine.records.create(alice, 'lead', { name: `alice ${i}`, phone: `1380000000${i}`, id_number: `11010519491231002${i}`, grade: null });
    for (let i = 0; i < 2; i++) await t.engine.records.create(bob, 'lead', { name: `bob ${i}`, phone: `1390000000${i}` });
    await t.engine.records.create(SYSTEM_ACTOR, 'lead', { name: 'house', cost: 99, grade: 'a' });
  });
  afterAll(() => t.drop());

  it('denies actions no role grants', async () => {
    await expectCode(t.engine.records.list(actor(9, ['nobody'], null), 'lead', {}), 'forbidden');
    await expectCode(t.engine.records.delete(alice, 'lead', 1), 'forbidden');
    await expectCode(t.engine.records.create(boss, 'lead', { name: 'x' }), 'forbidden');
  });

  it('scopes rows: own, department and below, a json-logic rule', async () => {
    expect((await t.engine.records.list(alice, 'lead', {})).items.map((r) => r.name).sort()).toEqual(['alice 0', 'alice 1', 'alice 2']);
    expect((await t.engine.records.list(boss, 'lead', {})).total).toBe(5); // records of the sales dept below the store
    expect((await t.engine.records.list(far, 'lead', {})).total).toBe(0);
    const audit = actor(105, ['auditor'], null);
    expect((await t.engine.records.list(audit, 'lead', {})).items.map((r) => r.name)).toEqual(['house']);
    const bobs = (await t.engine.records.list(bob, 'lead', {})).items;
    await expectCode(t.engine.records.get(alice, 'lead', bobs[0]!.id), 'not_found');
    await expectCode(t.engine.records.update(alice, 'lead', bobs[0]!.id, { name: 'stolen' }, { version: 1 }), 'not_found');
    await expectCode(t.engine.records.history(alice, 'lead', bobs[0]!.id), 'not_found');
  });

  it('combines roles most-permissively: rows OR-ed, fields visible if any role shows them', async () => {
    const both = actor(106, ['advisor', 'auditor'], dept);
    await t.engine.records.create(both, 'lead', { name: 'mine' });
    const names = (await t.engine.records.list(both, 'lead', {})).items.map((r) => r.name).sort();
    expect(names).toEqual(['house', 'mine']);
    // cost: hidden for advisor, visible for auditor → visible
    const house = (await t.engine.records.list(both, 'lead', { filter: { '==': [{ var: 'name' }, 'house'] } })).items[0]!;
    expect(house.cost).toBe(99);
  });

  it('hides fields on every read path and refuses them in filters, sorts and writes', async () => {
    const mine = (await t.engine.records.list(alice, 'lead', {})).items;
    expect(mine.every((r) => !('cost' in r))).toBe(true);
    expect('cost' in (await t.engine.records.get(alice, 'lead', mine[0]!.id))).toBe(false);
    await expectCode(t.engine.records.list(alice, 'lead', { sort: 'cost' }), 'bad_request');
    await expectCode(t.engine.records.list(alice, 'lead', { filter: { '>': [{ var: 'cost' }, 0] } }), 'bad_request');
    await expectCode(t.engine.records.create(alice, 'lead', { name: 'x', cost: 5 }), 'forbidden');
    const hist = await t.engine.records.history(alice, 'lead', mine[0]!.id);
    expect(hist.every((h) => !('cost' in h.changes))).toBe(true);
  });

  it('lets read-only fields through unchanged and refuses changes to them', async () => {
    const r = (await t.engine.records.list(alice, 'lead', { sort: 'name' })).items[0]!;
    const ok = await t.engine.records.update(alice, 'lead', r.id, { name: 'alice zero', grade: r.grade }, { version: r._version });
    expect(ok.name).toBe('alice zero');
    await expectCode(t.engine.records.update(alice, 'lead', r.id, { grade: 'a' }, { version: ok._version }), 'forbidden');
    await expectCode(t.engine.records.create(alice, 'lead', { name: 'y', grade: 'a' }), 'forbidden');
  });

  it('masks fields and keeps them out of filters, sorts and search', async () => {
    const items = (await t.engine.records.list(boss, 'lead', { sort: 'name' })).items;
    const a0 = items.find((r) => String(r.name).startsWith('alice'))!;
    expect(a0.phone).toMatch(/^138\*+000\d$/);
    expect(String(a0.id_number)).toMatch(/^110\*+\d{3}\d$/);
    await expectCode(t.engine.records.list(boss, 'lead', { sort: 'phone' }), 'bad_request');
    await expectCode(t.engine.records.list(boss, 'lead', { filter: { '==': [{ var: 'phone' }, '13800000000'] } }), 'bad_request');
    expect((await t.engine.records.list(boss, 'lead', { q: '13800000000' })).total).toBe(0);
    const hist = await t.engine.records.history(boss, 'lead', a0.id);
    expect(String(hist[0]!.changes.phone![1])).toContain('*');
  });

  it('encrypts sensitive fields at rest, in the audit log and in the outbox', async () => {
    const rows = await t.db.knex('t_lead').whereNotNull('id_number').select('id', 'id_number');
    expect(rows.length).toBe(3);
    for (const r of rows) {
      expect(r.id_number).toMatch(/^enc:v1:/);
      expect(r.id_number).not.toContain('110105');
    }
    const audit = JSON.stringify(await t.db.knex('fw_audit').where({ form: 'lead' }));
    expect(audit).not.toContain('110105194912310020');
    const outbox = JSON.stringify(await t.db.knex('fw_outbox').where({ form: 'lead' }));
    expect(outbox).not.toContain('110105194912310020');
    const plain = await t.engine.records.get(alice, 'lead', rows[0]!.id);
    expect(plain.id_number).toMatch(/^11010519491231002\d$/);
    const hist = await t.engine.records.history(alice, 'lead', rows[0]!.id);
    expect(hist[0]!.changes.id_number![1]).toBe(plain.id_number);
    // sensitive fields cannot be filtered (ciphertext would make it an oracle or a lie)
    await expectCode(t.engine.records.list(alice, 'lead', { filter: { '==': [{ var: 'id_number' }, 'x'] } }), 'bad_request');
  });
  it('refuses to publish a role naming a form or field that does not exist, or a row rule that does not fit', async () => {
    const publishRole = async (doc: RoleDef) => {
      await t.engine.docs.saveDraft('roles', doc.key, doc);
      return t.engine.docs.publish('roles', doc.key).then(() => null, (e) => e);
    };
    const e = await publishRole({
      key: 'typo', label: 'Typo',
      permissions: [
        { form: 'lead', actions: ['read'], fields: { hidden: ['cots'], masked: ['phone', 'id_nmber'] } },
        { form: 'nope', actions: ['read'] },
        { form: 'lead', actions: ['read'], rows: { rule: { '==': [{ var: 'grde' }, 'a'] } } },
      ],
    });
    expect(e?.code).toBe('validation');
    expect(Object.keys(e.fields).sort()).toEqual(['/permissions/0/fields/hidden/0', '/permissions/0/fields/masked/1', '/permissions/1/form', '/permissions/2/rows/rule']);
    expect(await publishRole({ key: 'fine', label: 'Fine', permissions: [{ form: 'lead', actions: ['read'], rows: { rule: { and: [{ '==': [{ var: '_owner' }, { var: '$user.id' }] }, { '==': [{ var: 'grade' }, 'a'] }] } }, fields: { hidden: ['cost'] } }] })).toBeNull();
  });
});
