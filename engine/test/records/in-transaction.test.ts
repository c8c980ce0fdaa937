/**
 * Writes inside a caller's transaction as a user who is not an administrator (workflow actions,
 * imports): the permission checks must not read the database on their own, or on SQLite (one
 * connection, held by the transaction) they would wait forever. The role cache is made stale on
 * purpose, so a check that wanted to refresh it would try.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../helpers/db.js';
import { publishForm, testEngine, type TestEngine } from '../helpers/engine.js';
import type { Actor } from '../../src/auth/actor.js';

const within = <T,>(p: Promise<T>, ms = 5000) =>
  Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`still waiting after ${ms} ms`)), ms))]);

describe.each(DIALECTS)('writes in a transaction on %s', (dialect) => {
  let t: TestEngine;
  let clerk: Actor;
  beforeAll(async () => {
    t = await testEngine(dialect);
    await publishForm(t.engine, { key: 'shop', label: 'Shop', titleField: 'name', fields: [{ key: 'name', type: 'text', label: 'Name' }] });
    await publishForm(t.engine, {
      key: 'ticket', label: 'Ticket',
      fields: [{ key: 'title', type: 'text', label: 'Title' }, { key: 'shop', type: 'relation', label: 'Shop', relation: { form: 'shop' } }],
    });
    const role = { key: 'clerk', label: 'Clerk', permissions: [{ form: 'ticket', actions: ['create', 'read', 'update'], rows: 'own' }, { form: 'shop', actions: ['read'] }] };
    await t.engine.docs.saveDraft('roles', 'clerk', role);
    await t.engine.docs.publish('roles', 'clerk');
    const u = await t.engine.users.create({ username: 'clerk', password: 'password-123456', displayName: 'Clerk', roles: ['clerk'] } as any);
    clerk = { userId: u.id, username: 'clerk', roles: ['clerk'], departmentId: null, isAdmin: false };
  });
  afterAll(() => t?.drop());

  it('creates, updates and reassigns without waiting on its own connection, with a stale role cache', async () => {
    const shop = await t.engine.records.create({ userId: null, username: 'root', roles: ['admin'], departmentId: null, isAdmin: true }, 'shop', { name: 'A' });
    const stale = () => {
      (t.engine.roles as any).checkedAt = 0;
    };
    const made = await within(t.engine.db.knex.transaction(async (trx) => {
      stale();
      const rec = await t.engine.records.createIn(trx, clerk, 'ticket', { title: 'one', shop: shop.id });
      stale();
      const upd = await t.engine.records.updateIn(trx, clerk, 'ticket', rec.id, { title: 'two' });
      stale();
      await t.engine.records.assignOwnerIn(trx, clerk, 'ticket', rec.id, clerk.userId);
      return upd;
    }));
    expect(made.title).toBe('two');
    expect((await t.engine.records.get(clerk, 'ticket', made.id)).title).toBe('two');
  });

  it('still refuses what the role does not allow', async () => {
    const err = await within(t.engine.db.knex.transaction(async (trx) => {
      (t.engine.roles as any).checkedAt = 0;
      return t.engine.records.createIn(trx, clerk, 'shop', { name: 'B' });
    })).catch((e) => e);
    expect(err.code).toBe('forbidden');
  });
});
