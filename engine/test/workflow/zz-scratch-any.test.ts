import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDb } from '../helpers/db.js';
import { createLogger } from '../../src/http/logger.js';
import type { Actor } from '../../src/auth/actor.js';

const SRC = process.env.PATCHED_SRC ?? '../../src';

describe.each(['pg'] as const)('any-mode race %s', (dialect) => {
  let engine: any; let db: any;
  const users: Record<string, Actor> = {};
  beforeAll(async () => {
    const { createEngine } = await import(`${SRC}/app.js`);
    db = await testDb(dialect);
    engine = await createEngine({ dbUrl: db.url, db, logger: createLogger('off') });
    await engine.docs.saveDraft('forms', 'deal', { key: 'deal', label: 'Deal', fields: [{ id: 'd_title', key: 'title', type: 'text', label: 'Title' }, { id: 'd_status', key: 'status', type: 'text', label: 'S' }] });
    await engine.docs.publish('forms', 'deal');
    for (const name of ['sales', 'm1', 'm2']) {
      const u = await engine.users.create({ username: name, password: 'password-123', roles: [] });
      users[name] = { userId: u.id, username: name, roles: [], departmentId: null, isAdmin: name === 'sales' };
    }
    const wf = {
      key: 'anyw', label: 'Any', trigger: { type: 'record_created', form: 'deal' },
      nodes: [
        { id: 'start', type: 'start' },
        { id: 'a', type: 'approval', config: { mode: 'any', assignees: [{ type: 'user', users: [users.m1!.userId, users.m2!.userId] }], due: { hours: 1, action: 'approve' } } },
        { id: 'mark', type: 'set_fields', config: { values: { status: 'ok' } } },
        { id: 'pause', type: 'wait', config: { hours: 1 } },
        { id: 'end', type: 'end' },
      ],
      edges: [{ id: 'e1', source: 'start', target: 'a' }, { id: 'e2', source: 'a', target: 'mark', branch: 'approved' }, { id: 'e3', source: 'mark', target: 'pause' }, { id: 'e4', source: 'pause', target: 'end' }],
    };
    await engine.docs.saveDraft('workflows', 'anyw', wf);
    await engine.docs.publish('workflows', 'anyw');
  });
  afterAll(async () => { await engine.close().catch(() => {}); await db.drop(); });

  it('two approvers of an any-one approval at once', async () => {
    const N = 20;
    const ids: number[] = [];
    for (let i = 0; i < N; i++) ids.push((await engine.records.create(users.sales!, 'deal', { title: `d${i}` })).id);
    await engine.workflow.drain();
    const rt = engine.workflow.runtime;
    const t1 = await rt.inbox(users.m1!, 'open');
    const t2 = await rt.inbox(users.m2!, 'open');
    const outcomes: Record<string, number> = {};
    await Promise.all(ids.map(async (id) => {
      const a = t1.find((x: any) => x.recordId === id)!;
      const b = t2.find((x: any) => x.recordId === id)!;
      const rs = await Promise.allSettled([rt.completeTask(users.m1!, a.id, { action: 'approve' }), rt.completeTask(users.m2!, b.id, { action: 'approve' })]);
      const k = rs.map((r) => r.status === 'fulfilled' ? 'ok' : ((r.reason as any).code ?? (r.reason as any).message?.slice(0, 60))).sort().join(' + ');
      outcomes[k] = (outcomes[k] ?? 0) + 1;
    }));
    console.log('any-mode outcomes', outcomes);
    const hist = await db.knex('fw_wf_history').select('instance_id', 'node_id', 'action');
    const seen = new Map<string, number>();
    for (const h of hist) { const k = `${h.instance_id}:${h.node_id}:${h.action}`; seen.set(k, (seen.get(k) ?? 0) + 1); }
    console.log('duplicate history steps', [...seen.entries()].filter(([, n]) => n > 1).length);
    const waits = await db.knex('fw_jobs').where({ kind: 'workflow.resume' }).select('payload');
    const byName: Record<string, number> = {};
    for (const j of waits) { const p = JSON.parse(j.payload); byName[p.name] = (byName[p.name] ?? 0) + 1; }
    console.log('jobs by name', byName);

    // now the due job (auto-approve) racing a human approval
    const ids2: number[] = [];
    for (let i = 0; i < N; i++) ids2.push((await engine.records.create(users.sales!, 'deal', { title: `e${i}` })).id);
    await engine.workflow.drain();
    const open = await rt.inbox(users.m1!, 'open');
    await db.knex('fw_jobs').where({ kind: 'workflow.resume', status: 'pending' }).whereRaw("payload like '%\"due\"%'").update({ run_at: new Date(Date.now() - 1000).toISOString() });
    const { JobQueue } = await import(`${SRC}/workflow/jobs.js`);
    const outcomes2: Record<string, number> = {};
    const jobsRun = engine.workflow.jobs.runDue(100);
    await Promise.all(ids2.map(async (id) => {
      const a = open.find((x: any) => x.recordId === id)!;
      try { await rt.completeTask(users.m1!, a.id, { action: 'approve' }); outcomes2.ok = (outcomes2.ok ?? 0) + 1; } catch (e: any) { const k = e.code ?? e.message.slice(0, 60); outcomes2[k] = (outcomes2[k] ?? 0) + 1; }
    }));
    await jobsRun;
    console.log('due vs human', outcomes2, await engine.workflow.jobs.stats());
    const hist2 = await db.knex('fw_wf_history').select('instance_id', 'node_id', 'action');
    const seen2 = new Map<string, number>();
    for (const h of hist2) { const k = `${h.instance_id}:${h.node_id}:${h.action}`; seen2.set(k, (seen2.get(k) ?? 0) + 1); }
    console.log('duplicate history steps after due race', [...seen2.entries()].filter(([, n]) => n > 1).map(([k, n]) => `${k}x${n}`).slice(0, 10));
    const w2: Record<string, number> = {};
    for (const j of await db.knex('fw_jobs').where({ kind: 'workflow.resume' }).select('payload', 'status', 'last_error')) { const p = JSON.parse(j.payload); const k = `${p.name}/${j.status}`; w2[k] = (w2[k] ?? 0) + 1; }
    console.log('jobs by name/status', w2);
    const zombies = await db.knex('fw_wf_tokens as k').join('fw_wf_instances as i', 'i.id', 'k.instance_id').whereNot('i.status', 'running').whereIn('k.status', ['waiting', 'active']).count({ n: '*' }).first();
    console.log('live tokens in finished instances', zombies);
    void JobQueue;
  });
});
