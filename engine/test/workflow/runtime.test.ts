/**
 * The workflow runtime on SQLite and PostgreSQL: events start workflows once, approvals in
 * every mode with approve / reject / return / transfer, compare-and-set task completion, the
 * record locked while in approval, conditions, parallel split and join, set fields, create
 * records, notifications, CC, waits on durable jobs, instances pinned to their revision.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../helpers/db.js';
import { testEngine, publishForm, type TestEngine } from '../helpers/engine.js';
import type { Actor } from '../../src/auth/actor.js';
import { SYSTEM_ACTOR } from '../../src/auth/actor.js';
import { AppError } from '../../src/errors.js';
import type { WorkflowDef } from '../../src/workflow/types.js';

const deal = {
  key: 'deal',
  label: 'Deal',
  fields: [
    { id: 'd_title', key: 'title', type: 'text', label: 'Title' },
    { id: 'd_amount', key: 'amount', type: 'money', label: 'Amount' },
    { id: 'd_rate', key: 'rate', type: 'percent', label: 'Rate' },
    { id: 'd_status', key: 'status', type: 'select', label: 'Status', default: 'pending', options: ['pending', 'approved', 'rejected', 'done'].map((k) => ({ key: k, label: k })) },
    { id: 'd_note', key: 'note', type: 'text', label: 'Note' },
    { id: 'd_checker', key: 'checker', type: 'user', label: 'Checker' },
  ],
};
const logForm = { key: 'deal_log', label: 'Log', fields: [{ id: 'g_text', key: 'text', type: 'text', label: 'Text' }, { id: 'g_deal', key: 'deal', type: 'relation', label: 'Deal', relation: { form: 'deal' } }] };

function approvalFlow(key: string, approval: Record<string, unknown>, extra: Partial<WorkflowDef> = {}): WorkflowDef {
  return {
    key, label: key,
    trigger: { type: 'record_created', form: 'deal', condition: { '==': [{ var: 'title' }, key] } },
    nodes: [
      { id: 'start', type: 'start' },
      { id: 'approve', type: 'approval', config: { assignees: [{ type: 'role', role: 'manager' }], ...approval } },
      { id: 'ok', type: 'set_fields', config: { values: { status: 'approved' } } },
      { id: 'no', type: 'set_fields', config: { values: { status: 'rejected' } } },
      { id: 'tell', type: 'notify', config: { to: [{ type: 'owner' }], title: '{{record.title}} rejected' } },
      { id: 'done', type: 'end' },
      { id: 'rejected', type: 'end', config: { outcome: 'rejected' } },
    ],
    edges: [
      { id: 'e1', source: 'start', target: 'approve' },
      { id: 'e2', source: 'approve', target: 'ok', branch: 'approved' },
      { id: 'e3', source: 'approve', target: 'no', branch: 'rejected' },
      { id: 'e4', source: 'ok', target: 'done' },
      { id: 'e5', source: 'no', target: 'tell' },
      { id: 'e6', source: 'tell', target: 'rejected' },
    ],
    ...extra,
  };
}

describe.each(DIALECTS)('workflow runtime on %s', (dialect) => {
  let t: TestEngine;
  const users: Record<string, Actor> = {};

  const publishWf = async (wf: WorkflowDef) => {
    await t.engine.docs.saveDraft('workflows', wf.key, wf);
    return t.engine.docs.publish('workflows', wf.key);
  };
  const drain = () => t.engine.workflow.drain();
  const tasksOf = async (who: string, status: 'open' | 'done' | 'cc' = 'open') => t.engine.workflow.runtime.inbox(users[who]!, status);
  const complete = (who: string, id: number, body: Record<string, unknown>) => t.engine.workflow.runtime.completeTask(users[who]!, id, body);
  const newDeal = async (title: string, by = 'sales', extra: Record<string, unknown> = {}) => {
    const rec = await t.engine.records.create(users[by]!, 'deal', { title, amount: 1000, ...extra });
    await drain();
    return rec;
  };
  const status = async (id: number) => (await t.engine.records.get(SYSTEM_ACTOR, 'deal', id)).status;

  beforeAll(async () => {
    t = await testEngine(dialect);
    await publishForm(t.engine, deal);
    await publishForm(t.engine, logForm);
    for (const [name, roles] of Object.entries({ sales: ['admin_like'], m1: ['manager'], m2: ['manager'], m3: ['manager'], gm: ['gm'], admin: ['admin'] })) {
      const u = await t.engine.users.create({ username: name, password: 'password-123', roles });
      users[name] = { userId: u.id, username: name, roles, departmentId: null, isAdmin: roles.includes('admin') };
    }
    users.sales!.isAdmin = true; // full record access; not an approver
  });
  afterAll(() => t.drop());

  it('starts once per event and approves with any-one: the first approval decides and cancels the rest', async () => {
    await publishWf(approvalFlow('any_flow', { mode: 'any' }));
    const d = await newDeal('any_flow');
    await drain(); // a second dispatch does not start it again
    const timeline = await t.engine.workflow.runtime.recordTimeline('deal', d.id);
    expect(timeline).toHaveLength(1);
    expect(timeline[0]).toMatchObject({ workflow: 'any_flow', revision: 1, status: 'running', current: ['approve'] });
    const open = await tasksOf('m1');
    expect(open.filter((x) => x.recordId === d.id)).toHaveLength(1);
    expect((await tasksOf('m2')).filter((x) => x.recordId === d.id)).toHaveLength(1);
    const task = open.find((x) => x.recordId === d.id)!;
    expect(task.actions).toEqual(['approve', 'reject', 'return', 'transfer']);
    const r = await complete('m1', task.id, { action: 'approve', comment: 'ok' });
    expect(r.task.status).toBe('done');
    expect(r.instance.status).toBe('completed');
    expect(await status(d.id)).toBe('approved');
    expect((await tasksOf('m2')).filter((x) => x.recordId === d.id)).toHaveLength(0);
    const hist = r.instance.history.map((h) => h.action);
    expect(hist).toEqual(['started', 'waiting', 'approve', 'set_fields', 'completed']);
    await expect(complete('m2', task.id, { action: 'approve' })).rejects.toSatisfy((e: unknown) => (e as AppError).code === 'not_found');
    await expect(complete('m1', task.id, { action: 'approve' })).rejects.toSatisfy((e: unknown) => (e as AppError).code === 'conflict');
  });

  it('closes no tasks when the decided one was the only open task; closes the rest when it was not', async () => {
    await publishWf(approvalFlow('single_flow', { mode: 'any', assignees: [{ type: 'user', users: [users.m3!.userId!] }] }));
    const closing: string[] = [];
    const onQuery = (q: { sql: string }) => {
      // a statement that closes tasks other than the one decided (cancelled, with no action)
      if (/^update ["`]fw_wf_tasks["`] set ["`]status["`] = (\?|\$1), ["`]done_at/i.test(q.sql)) closing.push(q.sql);
    };
    t.db.knex.on('query', onQuery);
    try {
      const d = await newDeal('single_flow');
      const task = (await tasksOf('m3')).find((x) => x.recordId === d.id)!;
      closing.length = 0;
      const r = await complete('m3', task.id, { action: 'approve' });
      expect(r.instance.status).toBe('completed');
      expect(closing).toEqual([]);
      // Several approvers: the others' tasks are closed by the first decision, and the instance's at its end.
      const d2 = await newDeal('any_flow');
      const task2 = (await tasksOf('m1')).find((x) => x.recordId === d2.id)!;
      closing.length = 0;
      await complete('m1', task2.id, { action: 'approve' });
      expect(closing.length).toBe(2);
      expect((await tasksOf('m2')).filter((x) => x.recordId === d2.id)).toHaveLength(0);
      expect(await t.db.knex('fw_wf_tasks').where({ record_id: d2.id, form: 'deal', status: 'open' })).toEqual([]);
    } finally {
      t.db.knex.off('query', onQuery);
    }
  });

  it('lets exactly one of two racing completions win', async () => {
    const d = await newDeal('any_flow');
    const task = (await tasksOf('m1')).find((x) => x.recordId === d.id)!;
    const results = await Promise.allSettled([
      complete('m1', task.id, { action: 'approve' }),
      complete('m1', task.id, { action: 'reject', comment: 'no' }),
    ]);
    expect(results.filter((x) => x.status === 'fulfilled')).toHaveLength(1);
    const failed = results.find((x) => x.status === 'rejected') as PromiseRejectedResult;
    expect((failed.reason as AppError).code).toBe('conflict');
    expect(['approved', 'rejected']).toContain(await status(d.id));
  });

  it('rejects, notifies the owner and ends rejected; validates actions and comments', async () => {
    await publishWf(approvalFlow('reject_flow', { mode: 'any', commentRequired: ['reject'] }));
    const d = await newDeal('reject_flow');
    const task = (await tasksOf('m2')).find((x) => x.recordId === d.id)!;
    await expect(complete('m2', task.id, { action: 'fly' })).rejects.toSatisfy((e: unknown) => (e as AppError).code === 'validation');
    await expect(complete('m2', task.id, { action: 'reject' })).rejects.toSatisfy((e: unknown) => (e as AppError).code === 'validation');
    const r = await complete('m2', task.id, { action: 'reject', comment: '价格太低' });
    expect(r.instance.status).toBe('rejected');
    expect(await status(d.id)).toBe('rejected');
    const notes = await t.db.knex('fw_notifications').where({ user_id: users.sales!.userId });
    expect(notes.some((n: any) => n.title === 'reject_flow rejected')).toBe(true);
  });

  it('needs every approver in all-mode, and goes one after another in sequential mode', async () => {
    await publishWf(approvalFlow('all_flow', { mode: 'all' }));
    const d = await newDeal('all_flow');
    for (const m of ['m1', 'm2']) {
      const task = (await tasksOf(m)).find((x) => x.recordId === d.id)!;
      await complete(m, task.id, { action: 'approve' });
      expect(await status(d.id)).toBe('pending');
    }
    const last = (await tasksOf('m3')).find((x) => x.recordId === d.id)!;
    await complete('m3', last.id, { action: 'approve' });
    expect(await status(d.id)).toBe('approved');

    await publishWf(approvalFlow('seq_flow', { mode: 'sequential' }));
    const s = await newDeal('seq_flow');
    expect((await tasksOf('m1')).filter((x) => x.recordId === s.id)).toHaveLength(1);
    expect((await tasksOf('m2')).filter((x) => x.recordId === s.id)).toHaveLength(0);
    await complete('m1', (await tasksOf('m1')).find((x) => x.recordId === s.id)!.id, { action: 'approve' });
    expect((await tasksOf('m2')).filter((x) => x.recordId === s.id)).toHaveLength(1);
  });

  it('decides a ratio vote when enough approve, or when it can no longer pass', async () => {
    await publishWf(approvalFlow('ratio_flow', { mode: 'ratio', ratio: 0.6 }));
    const d = await newDeal('ratio_flow');
    await complete('m1', (await tasksOf('m1')).find((x) => x.recordId === d.id)!.id, { action: 'reject', comment: 'x' });
    expect(await status(d.id)).toBe('pending'); // 2 of 3 may still approve
    await complete('m2', (await tasksOf('m2')).find((x) => x.recordId === d.id)!.id, { action: 'approve' });
    expect(await status(d.id)).toBe('pending');
    await complete('m3', (await tasksOf('m3')).find((x) => x.recordId === d.id)!.id, { action: 'approve' });
    expect(await status(d.id)).toBe('approved');
  });

  it('returns to the submitter, who edits and resubmits; the record is locked meanwhile', async () => {
    await publishWf(approvalFlow('return_flow', { mode: 'any', editableFields: ['note'] }));
    const d = await newDeal('return_flow');
    // locked while in approval: the owner cannot edit, the approver only the editable field
    await expect(t.engine.records.update(users.sales!, 'deal', d.id, { note: 'x' })).rejects.toSatisfy((e: unknown) => (e as AppError).code === 'conflict');
    await expect(t.engine.records.update(users.m1!, 'deal', d.id, { amount: 1 })).rejects.toSatisfy((e: unknown) => e instanceof AppError);
    const task = (await tasksOf('m1')).find((x) => x.recordId === d.id)!;
    expect(task.editableFields).toEqual(['note']);
    await complete('m1', task.id, { action: 'return', comment: '请补充说明', fields: { note: 'needs detail' } });
    expect((await t.engine.records.get(SYSTEM_ACTOR, 'deal', d.id)).note).toBe('needs detail');
    const back = (await tasksOf('sales')).find((x) => x.recordId === d.id)!;
    expect(back.actions).toEqual(['resubmit', 'withdraw']);
    // returned: the submitter may edit now
    const edited = await t.engine.records.update(users.sales!, 'deal', d.id, { amount: 900 }, {});
    expect(edited.amount).toBe(900);
    await complete('sales', back.id, { action: 'resubmit' });
    const again = (await tasksOf('m2')).find((x) => x.recordId === d.id && x.status === 'open')!;
    expect(again).toBeDefined();
    await complete('m2', again.id, { action: 'approve' });
    expect(await status(d.id)).toBe('approved');
    const actions = (await t.engine.workflow.runtime.recordTimeline('deal', d.id))[0]!.history.map((h) => h.action);
    expect(actions).toEqual(['started', 'waiting', 'return', 'resubmit', 'waiting', 'approve', 'set_fields', 'completed']);
  });

  it('transfers a task, refuses fields the approver may not edit, and guards self-approval', async () => {
    await publishWf(approvalFlow('transfer_flow', { mode: 'any', assignees: [{ type: 'user', users: [users.m1!.userId!] }] }));
    const d = await newDeal('transfer_flow');
    const task = (await tasksOf('m1')).find((x) => x.recordId === d.id)!;
    await expect(complete('m1', task.id, { action: 'approve', fields: { amount: 1 } })).rejects.toSatisfy((e: unknown) => (e as AppError).code === 'forbidden');
    await complete('m1', task.id, { action: 'transfer', to: users.gm!.userId });
    const moved = (await tasksOf('gm')).find((x) => x.recordId === d.id)!;
    await complete('gm', moved.id, { action: 'approve' });
    expect(await status(d.id)).toBe('approved');

    await publishWf(approvalFlow('self_flow', { assignees: [{ type: 'user', users: [users.m1!.userId!] }] }));
    const mine = await t.engine.records.create({ ...users.m1!, isAdmin: true }, 'deal', { title: 'self_flow', amount: 1 });
    await drain();
    expect((await tasksOf('m1')).filter((x) => x.recordId === mine.id)).toHaveLength(0);
    expect((await tasksOf('admin')).filter((x) => x.recordId === mine.id)).toHaveLength(1);
  });

  it('branches on conditions, splits and joins in parallel, creates records and copies people', async () => {
    const wf: WorkflowDef = {
      key: 'branchy', label: 'Branchy',
      trigger: { type: 'record_created', form: 'deal', condition: { '==': [{ var: 'title' }, 'branchy'] } },
      nodes: [
        { id: 'start', type: 'start' },
        { id: 'check', type: 'condition', config: { branches: [{ key: 'big', when: { '>': [{ var: 'amount' }, 5000] } }] } },
        { id: 'split', type: 'parallel' },
        { id: 'a1', type: 'approval', config: { assignees: [{ type: 'user', users: [users.m1!.userId!] }] } },
        { id: 'a2', type: 'approval', config: { assignees: [{ type: 'user', users: [users.m2!.userId!] }] } },
        { id: 'join', type: 'join' },
        { id: 'log', type: 'create_record', config: { form: 'deal_log', values: { text: { cat: ['big deal ', { var: 'title' }] }, deal: { var: 'id' } } } },
        { id: 'copy', type: 'cc', config: { to: [{ type: 'user', users: [users.gm!.userId!] }] } },
        { id: 'small', type: 'set_fields', config: { values: { status: 'done' } } },
        { id: 'end', type: 'end' },
      ],
      edges: [
        { id: 'e1', source: 'start', target: 'check' },
        { id: 'e2', source: 'check', target: 'split', branch: 'big' },
        { id: 'e3', source: 'check', target: 'small', branch: 'else' },
        { id: 'e4', source: 'split', target: 'a1' },
        { id: 'e5', source: 'split', target: 'a2' },
        { id: 'e6', source: 'a1', target: 'join', branch: 'approved' },
        { id: 'e7', source: 'a2', target: 'join', branch: 'approved' },
        { id: 'e8', source: 'join', target: 'log' },
        { id: 'e9', source: 'log', target: 'copy' },
        { id: 'e10', source: 'copy', target: 'end' },
        { id: 'e11', source: 'small', target: 'end' },
      ],
    };
    await publishWf(wf);
    const small = await newDeal('branchy', 'sales', { amount: 100 });
    expect(await status(small.id)).toBe('done');
    const big = await newDeal('branchy', 'sales', { amount: 9000 });
    const tl = () => t.engine.workflow.runtime.recordTimeline('deal', big.id);
    expect((await tl())[0]!.current.sort()).toEqual(['a1', 'a2']);
    await complete('m1', (await tasksOf('m1')).find((x) => x.recordId === big.id)!.id, { action: 'approve' });
    expect((await tl())[0]!.status).toBe('running');
    await complete('m2', (await tasksOf('m2')).find((x) => x.recordId === big.id)!.id, { action: 'approve' });
    expect((await tl())[0]!.status).toBe('completed');
    const logs = await t.engine.records.list(SYSTEM_ACTOR, 'deal_log', { filter: { '==': [{ var: 'deal' }, big.id] } });
    expect(logs.items.map((l) => l.text)).toEqual(['big deal branchy']);
    expect((await tasksOf('gm', 'cc')).some((x) => x.recordId === big.id)).toBe(true);
  });

  it('waits on a durable job and resumes when it fires', async () => {
    await publishWf({
      key: 'waiter', label: 'Waiter',
      trigger: { type: 'record_created', form: 'deal', condition: { '==': [{ var: 'title' }, 'waiter'] } },
      nodes: [{ id: 'start', type: 'start' }, { id: 'pause', type: 'wait', config: { hours: 2 } }, { id: 'mark', type: 'set_fields', config: { values: { status: 'done' } } }, { id: 'end', type: 'end' }],
      edges: [{ id: 'a', source: 'start', target: 'pause' }, { id: 'b', source: 'pause', target: 'mark' }, { id: 'c', source: 'mark', target: 'end' }],
    });
    const d = await newDeal('waiter');
    expect(await status(d.id)).toBe('pending');
    const job = await t.db.knex('fw_jobs').where({ kind: 'workflow.resume', status: 'pending' }).first();
    expect(new Date(job.run_at).getTime()).toBeGreaterThan(Date.now() + 3600_000);
    await t.db.knex('fw_jobs').where({ id: job.id }).update({ run_at: new Date(Date.now() - 1000).toISOString() });
    await drain();
    expect(await status(d.id)).toBe('done');
    await drain();
    expect((await t.engine.workflow.runtime.recordTimeline('deal', d.id))[0]!.status).toBe('completed');
  });

  it('keeps a running instance on the revision it started on', async () => {
    await publishWf(approvalFlow('pinned', { mode: 'any' }));
    const d = await newDeal('pinned');
    // revision 2 approves with set status 'done' instead
    const v2 = approvalFlow('pinned', { mode: 'any' });
    v2.nodes.find((n) => n.id === 'ok')!.config = { values: { status: 'done' } };
    await publishWf(v2);
    const task = (await tasksOf('m1')).find((x) => x.recordId === d.id)!;
    const r = await complete('m1', task.id, { action: 'approve' });
    expect(r.instance.revision).toBe(1);
    expect(await status(d.id)).toBe('approved');
    const d2 = await newDeal('pinned');
    await complete('m1', (await tasksOf('m1')).find((x) => x.recordId === d2.id)!.id, { action: 'approve' });
    expect(await status(d2.id)).toBe('done');
  });

  it('acts when an approval is due: reminds, escalates, or decides', async () => {
    const fire = async () => {
      await t.db.knex('fw_jobs').where({ kind: 'workflow.resume', status: 'pending' }).update({ run_at: new Date(Date.now() - 1000).toISOString() });
      await drain();
    };
    await publishWf(approvalFlow('due_remind', { assignees: [{ type: 'user', users: [users.m1!.userId!] }], due: { hours: 4, action: 'remind' } }));
    const r = await newDeal('due_remind');
    const task = (await tasksOf('m1')).find((x) => x.recordId === r.id)!;
    expect(new Date(task.dueAt!).getTime()).toBeGreaterThan(Date.now() + 3.9 * 3600_000);
    await fire();
    const notes = await t.db.knex('fw_notifications').where({ user_id: users.m1!.userId }).orderBy('id', 'desc').first();
    expect(notes.title).toContain('催办');
    expect(await status(r.id)).toBe('pending');

    await publishWf(approvalFlow('due_escalate', { assignees: [{ type: 'user', users: [users.m1!.userId!] }], due: { hours: 4, action: 'escalate', escalateTo: [{ type: 'user', users: [users.gm!.userId!] }] } }));
    const e = await newDeal('due_escalate');
    await fire();
    const gmTask = (await tasksOf('gm')).find((x) => x.recordId === e.id)!;
    await complete('gm', gmTask.id, { action: 'approve' });
    expect(await status(e.id)).toBe('approved');

    await publishWf(approvalFlow('due_auto', { assignees: [{ type: 'user', users: [users.m1!.userId!] }], due: { hours: 4, action: 'reject' } }));
    const a = await newDeal('due_auto');
    await fire();
    expect(await status(a.id)).toBe('rejected');
    expect((await tasksOf('m1')).filter((x) => x.recordId === a.id)).toHaveLength(0);
    const hist = (await t.engine.workflow.runtime.recordTimeline('deal', a.id))[0]!.history.map((h) => h.action);
    expect(hist).toContain('auto_reject');
  });

  it('adds a signer before or after the approver', async () => {
    await publishWf(approvalFlow('signer_flow', { assignees: [{ type: 'user', users: [users.m1!.userId!] }], actions: ['approve', 'reject', 'add_signer'] }));
    // before: the signer goes first, then the task comes back to the approver
    const b = await newDeal('signer_flow');
    await complete('m1', (await tasksOf('m1')).find((x) => x.recordId === b.id)!.id, { action: 'add_signer', to: users.m2!.userId, position: 'before' });
    expect((await tasksOf('m1')).filter((x) => x.recordId === b.id)).toHaveLength(0);
    await complete('m2', (await tasksOf('m2')).find((x) => x.recordId === b.id)!.id, { action: 'approve' });
    expect(await status(b.id)).toBe('pending');
    await complete('m1', (await tasksOf('m1')).find((x) => x.recordId === b.id)!.id, { action: 'approve' });
    expect(await status(b.id)).toBe('approved');
    // after: the approver approves now, the signer must approve too
    const a = await newDeal('signer_flow');
    await complete('m1', (await tasksOf('m1')).find((x) => x.recordId === a.id)!.id, { action: 'add_signer', to: users.m3!.userId, position: 'after' });
    expect(await status(a.id)).toBe('pending');
    await complete('m3', (await tasksOf('m3')).find((x) => x.recordId === a.id)!.id, { action: 'approve' });
    expect(await status(a.id)).toBe('approved');
  });

  it('returns to any earlier step, and only to an earlier one', async () => {
    const wf = approvalFlow('two_steps', { assignees: [{ type: 'user', users: [users.m1!.userId!] }] });
    wf.nodes.push({ id: 'second', type: 'approval', config: { assignees: [{ type: 'user', users: [users.m2!.userId!] }] } });
    wf.edges = wf.edges.map((e) => (e.id === 'e2' ? { ...e, target: 'second' } : e));
    wf.edges.push({ id: 'e7', source: 'second', target: 'ok', branch: 'approved' }, { id: 'e8', source: 'second', target: 'no', branch: 'rejected' });
    await publishWf(wf);
    const d = await newDeal('two_steps');
    await complete('m1', (await tasksOf('m1')).find((x) => x.recordId === d.id)!.id, { action: 'approve' });
    const t2 = (await tasksOf('m2')).find((x) => x.recordId === d.id)!;
    await expect(complete('m2', t2.id, { action: 'return', to: 'ok' })).rejects.toSatisfy((e: unknown) => (e as AppError).code === 'validation');
    await complete('m2', t2.id, { action: 'return', to: 'approve', comment: '请重审' });
    const again = (await tasksOf('m1')).find((x) => x.recordId === d.id)!;
    expect(again).toBeDefined();
    await complete('m1', again.id, { action: 'approve' });
    await complete('m2', (await tasksOf('m2')).find((x) => x.recordId === d.id)!.id, { action: 'approve' });
    expect(await status(d.id)).toBe('approved');
  });

  it('lets the submitter withdraw an untouched request, and nobody else', async () => {
    await publishWf(approvalFlow('withdraw_flow', { mode: 'sequential' }));
    const d = await newDeal('withdraw_flow');
    const [inst] = await t.engine.workflow.runtime.recordTimeline('deal', d.id);
    await expect(t.engine.workflow.runtime.withdraw({ ...users.m1!, isAdmin: false }, inst!.id)).rejects.toSatisfy((e: unknown) => (e as AppError).code === 'forbidden');
    const view = await t.engine.workflow.runtime.withdraw({ ...users.sales!, isAdmin: false }, inst!.id);
    expect(view.status).toBe('cancelled');
    expect(view.history.map((h) => h.action)).toContain('withdraw');
    expect((await tasksOf('m1')).filter((x) => x.recordId === d.id)).toHaveLength(0);
    // once an approver has acted, it can no longer be withdrawn
    const d2 = await newDeal('withdraw_flow');
    await complete('m1', (await tasksOf('m1')).find((x) => x.recordId === d2.id)!.id, { action: 'approve' });
    const [inst2] = await t.engine.workflow.runtime.recordTimeline('deal', d2.id);
    await expect(t.engine.workflow.runtime.withdraw({ ...users.sales!, isAdmin: false }, inst2!.id)).rejects.toSatisfy((e: unknown) => (e as AppError).code === 'conflict');
  });

  it('records a workflow that fails to start as a failed run and retries it', async () => {
    await publishWf({
      key: 'broken', label: 'Broken',
      trigger: { type: 'record_created', form: 'deal', condition: { '==': [{ var: 'title' }, 'broken'] } },
      nodes: [{ id: 'start', type: 'start' }, { id: 'bad', type: 'set_fields', config: { values: { status: 'nonsense' } } }, { id: 'end', type: 'end' }],
      edges: [{ id: 'a', source: 'start', target: 'bad' }, { id: 'b', source: 'bad', target: 'end' }],
    });
    const d = await newDeal('broken');
    const runs = await t.engine.workflow.runtime.runs({ workflow: 'broken' });
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ status: 'failed', recordId: d.id });
    expect(String(runs[0]!.error)).toMatch(/fail|valid/i);
    // the event was still marked processed: nothing else blocked
    expect(await t.db.knex('fw_outbox').whereNull('processed_at').count({ n: '*' }).first()).toMatchObject({ n: expect.anything() });
    await expect(t.engine.workflow.runtime.retryRun(runs[0]!.id as number, null)).rejects.toBeInstanceOf(Error);
  });
});
