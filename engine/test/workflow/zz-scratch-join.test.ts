import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDb } from '../helpers/db.js';
import { createLogger } from '../../src/http/logger.js';
const SRC = process.env.PATCHED_SRC ?? '../../src';
import type { Actor } from '../../src/auth/actor.js';

describe.each(['pg', 'sqlite'] as const)('join race %s', (dialect) => {
  let t: any;
  const users: Record<string, Actor> = {};
  beforeAll(async () => {
    const { createEngine } = await import(`${SRC}/app.js`);
    const db = await testDb(dialect);
    t = { db, engine: await createEngine({ dbUrl: db.url, db, logger: createLogger('off') }), drop: () => db.drop() };
    await t.engine.docs.saveDraft('forms', 'deal', { key: 'deal', label: 'Deal', fields: [{ id: 'd_title', key: 'title', type: 'text', label: 'Title' }, { id: 'd_status', key: 'status', type: 'text', label: 'S' }] });
    await t.engine.docs.publish('forms', 'deal');
    for (const name of ['sales', 'm1', 'm2']) {
      const u = await t.engine.users.create({ username: name, password: 'password-123', roles: [] });
      users[name] = { userId: u.id, username: name, roles: [], departmentId: null, isAdmin: name === 'sales' };
    }
    const wf = {
      key: 'par', label: 'Par', trigger: { type: 'record_created', form: 'deal' },
      nodes: [
        { id: 'start', type: 'start' }, { id: 'split', type: 'parallel' },
        { id: 'a1', type: 'approval', config: { assignees: [{ type: 'user', users: [users.m1!.userId] }] } },
        { id: 'a2', type: 'approval', config: { assignees: [{ type: 'user', users: [users.m2!.userId] }] } },
        { id: 'join', type: 'join' }, { id: 'mark', type: 'set_fields', config: { values: { status: 'joined' } } }, { id: 'end', type: 'end' },
      ],
      edges: [
        { id: 'e1', source: 'start', target: 'split' }, { id: 'e2', source: 'split', target: 'a1' }, { id: 'e3', source: 'split', target: 'a2' },
        { id: 'e4', source: 'a1', target: 'join', branch: 'approved' }, { id: 'e5', source: 'a2', target: 'join', branch: 'approved' },
        { id: 'e6', source: 'join', target: 'mark' }, { id: 'e7', source: 'mark', target: 'end' },
      ],
    };
    await t.engine.docs.saveDraft('workflows', 'par', wf);
    await t.engine.docs.publish('workflows', 'par');
  });
  afterAll(() => t.drop());

  it('joins when both branches complete at once', async () => {
    const N = 20;
    const ids: number[] = [];
    for (let i = 0; i < N; i++) ids.push((await t.engine.records.create(users.sales!, 'deal', { title: `d${i}` })).id);
    await t.engine.workflow.drain();
    const rt = t.engine.workflow.runtime;
    if (process.env.PATCH) {
      const orig = rt.resume.bind(rt);
      (rt as any).resume = async (trx: any, tokenId: number, signal: any) => {
        const tok = await trx('fw_wf_tokens').where({ id: tokenId }).first('instance_id');
        if (tok) await trx('fw_wf_instances').where({ id: tok.instance_id }).forUpdate().first('id');
        return orig(trx, tokenId, signal);
      };
    }
    const t1 = await rt.inbox(users.m1!, 'open');
    const t2 = await rt.inbox(users.m2!, 'open');
    await Promise.all(ids.map(async (id) => {
      const a = t1.find((x: any) => x.recordId === id)!;
      const b = t2.find((x: any) => x.recordId === id)!;
      await Promise.all([rt.completeTask(users.m1!, a.id, { action: 'approve' }), rt.completeTask(users.m2!, b.id, { action: 'approve' })]);
    }));
    const inst = await t.db.knex('fw_wf_instances').select('record_id', 'status');
    const stuck = inst.filter((i: any) => i.status !== 'completed');
    console.log(dialect, 'stuck', stuck.length, 'of', inst.length);
    expect(stuck).toHaveLength(0);
  });
});
