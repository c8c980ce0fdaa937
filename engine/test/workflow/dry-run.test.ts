/**
 * The workflow dry run (POST /api/meta/workflows/:key/dry-run) on SQLite and PostgreSQL: the
 * condition branch the record's data selects, the else branch, an approval taken as rejected,
 * set_fields values seen by a later condition, the trigger condition reported — and no side
 * effect at all (no instance, token, task, job, outbox or notification row; the record
 * unchanged). The record is read as the caller may read it: an unknown record or one outside the
 * caller's rows is not_found; no metadata right, or no right to read the form, is forbidden.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../helpers/db.js';
import { publishForm, startServer, testEngine, type TestEngine, type TestServer } from '../helpers/engine.js';
import { SYSTEM_ACTOR } from '../../src/auth/actor.js';
import type { WorkflowDef } from '../../src/workflow/types.js';

const deal = {
  key: 'deal',
  label: 'Deal',
  fields: [
    { id: 'd_title', key: 'title', type: 'text', label: 'Title' },
    { id: 'd_amount', key: 'amount', type: 'money', label: 'Amount' },
    { id: 'd_status', key: 'status', type: 'select', label: 'Status', options: ['new', 'approved', 'rejected', 'done'].map((k) => ({ key: k, label: k })) },
  ],
};
const other = { key: 'other', label: 'Other', fields: [{ id: 'o_x', key: 'x', type: 'text', label: 'X' }] };

const flow: WorkflowDef = {
  key: 'deal_flow',
  label: { 'zh-CN': '大单审批', en: 'Big deal approval' },
  trigger: { type: 'record_created', form: 'deal', condition: { '!=': [{ var: 'title' }, 'skip'] } },
  nodes: [
    { id: 'start', type: 'start' },
    { id: 'size', type: 'condition', config: { branches: [{ key: 'big', label: { 'zh-CN': '大单', en: 'Big' }, when: { '>': [{ var: 'amount' }, 1000] } }] } },
    { id: 'approve', type: 'approval', config: { assignees: [{ type: 'role', role: 'manager' }] } },
    { id: 'ok', type: 'set_fields', config: { values: { status: 'approved' } } },
    { id: 'check_ok', type: 'condition', config: { branches: [{ key: 'is_approved', when: { '==': [{ var: 'status' }, 'approved'] } }] } },
    { id: 'tell', type: 'notify', config: { to: [{ type: 'owner' }], title: 'Deal {{record.title}} approved' } },
    { id: 'small', type: 'set_fields', config: { values: { status: 'done' } } },
    { id: 'pause', type: 'wait', config: { days: 2 } },
    { id: 'no', type: 'set_fields', config: { values: { status: 'rejected' } } },
    { id: 'done', type: 'end' },
    { id: 'rejected', type: 'end', config: { outcome: 'rejected' } },
  ],
  edges: [
    { id: 'e_start', source: 'start', target: 'size' },
    { id: 'e_big', source: 'size', target: 'approve', branch: 'big' },
    { id: 'e_else', source: 'size', target: 'small', branch: 'else' },
    { id: 'e_ok', source: 'approve', target: 'ok', branch: 'approved' },
    { id: 'e_no', source: 'approve', target: 'no', branch: 'rejected' },
    { id: 'e_check', source: 'ok', target: 'check_ok' },
    { id: 'e_tell', source: 'check_ok', target: 'tell', branch: 'is_approved' },
    { id: 'e_check_else', source: 'check_ok', target: 'done', branch: 'else' },
    { id: 'e_tell_done', source: 'tell', target: 'done' },
    { id: 'e_small', source: 'small', target: 'pause' },
    { id: 'e_pause', source: 'pause', target: 'done' },
    { id: 'e_no_end', source: 'no', target: 'rejected' },
  ],
};

const SIDE_EFFECT_TABLES = ['fw_wf_instances', 'fw_wf_tokens', 'fw_wf_tasks', 'fw_wf_history', 'fw_jobs', 'fw_outbox', 'fw_notifications'];

describe.each(DIALECTS)('workflow dry run on %s', (dialect) => {
  let t: TestEngine;
  let s: TestServer;
  const ids: Record<string, number> = {};
  const tokens: Record<string, string> = {};

  const dryRun = (body: Record<string, unknown>, token?: string) =>
    s.api(`/api/meta/workflows/${body.workflow ?? 'deal_flow'}/dry-run`, { body: { ...body, workflow: undefined }, token, headers: { 'accept-language': 'en' } });
  const counts = async () => {
    const out: Record<string, number> = {};
    for (const table of SIDE_EFFECT_TABLES) out[table] = Number((await t.engine.db.knex(table).count({ n: '*' }).first())!.n);
    return out;
  };

  beforeAll(async () => {
    t = await testEngine(dialect);
    await publishForm(t.engine, deal);
    await publishForm(t.engine, other);
    s = await startServer(t.engine);
    // Records first: the workflow is published afterwards, and nothing dispatches events here.
    ids.big = (await t.engine.records.create(SYSTEM_ACTOR, 'deal', { title: 'Big one', amount: 5000, status: 'new' })).id;
    ids.small = (await t.engine.records.create(SYSTEM_ACTOR, 'deal', { title: 'Small one', amount: 200, status: 'new' })).id;
    ids.skip = (await t.engine.records.create(SYSTEM_ACTOR, 'deal', { title: 'skip', amount: 200, status: 'new' })).id;
    await t.engine.docs.saveDraft('workflows', flow.key, flow);
    await t.engine.docs.publish('workflows', flow.key);

    const roles = [
      { key: 'designer', label: 'Designer', manageMetadata: true, permissions: [{ form: 'deal', actions: ['read'], rows: 'own' }] },
      { key: 'outsider', label: 'Outsider', manageMetadata: true, permissions: [{ form: 'other', actions: ['read'] }] },
      { key: 'reader', label: 'Reader', permissions: [{ form: 'deal', actions: ['read'] }] },
    ];
    for (const role of roles) {
      await t.engine.docs.saveDraft('roles', role.key, role);
      await t.engine.docs.publish('roles', role.key);
      await t.engine.users.create({ username: role.key, password: 'password-123456', roles: [role.key] } as any);
      tokens[role.key] = (await s.api('/api/auth/login', { body: { username: role.key, password: 'password-123456' }, token: null })).body.token;
    }
  });
  afterAll(async () => {
    await s?.close();
    await t?.drop();
  });

  it('takes the condition branch the record data selects, approvals as approved, and writes nothing', async () => {
    const before = await counts();
    const record = await t.engine.records.get(SYSTEM_ACTOR, 'deal', ids.big!);
    const r = await dryRun({ record: ids.big });
    expect(r.status).toBe(200);
    expect(r.body.triggered).toBe(true);
    expect(r.body.path.map((p: any) => p.node)).toEqual(['start', 'size', 'approve', 'ok', 'check_ok', 'tell', 'done']);
    const byNode = Object.fromEntries(r.body.path.map((p: any) => [p.node, p]));
    expect(byNode.size).toMatchObject({ branch: 'big', edge: 'e_big' });
    expect(byNode.approve).toMatchObject({ branch: 'approved', edge: 'e_ok' });
    expect(byNode.approve.note).toContain('approved');
    // set_fields is applied to the copy: the later condition sees status = approved.
    expect(byNode.check_ok).toMatchObject({ branch: 'is_approved' });
    expect(byNode.ok.note).toContain('status = approved');
    expect(byNode.tell.note).toContain('Deal Big one approved');
    expect(r.body.outcome).toBe('completed');
    expect(r.body.changes).toEqual({ status: 'approved' });
    // No side effect: not a row more anywhere, the record as it was.
    expect(await counts()).toEqual(before);
    expect(await t.engine.records.get(SYSTEM_ACTOR, 'deal', ids.big!)).toEqual(record);
  });

  it('takes the else branch and passes waits through', async () => {
    const r = await dryRun({ record: ids.small });
    expect(r.status).toBe(200);
    expect(r.body.path.map((p: any) => [p.node, p.branch ?? null])).toEqual([
      ['start', null], ['size', 'else'], ['small', null], ['pause', null], ['done', null],
    ]);
    expect(r.body.path[3].note).toMatch(/wait 2 d/);
    expect(r.body.outcome).toBe('completed');
  });

  it('follows the rejected branch of an approval the caller decides to reject', async () => {
    const before = await counts();
    const r = await dryRun({ record: ids.big, decisions: { approve: 'reject' } });
    expect(r.status).toBe(200);
    expect(r.body.path.map((p: any) => p.node)).toEqual(['start', 'size', 'approve', 'no', 'rejected']);
    expect(r.body.path[2]).toMatchObject({ branch: 'rejected', edge: 'e_no' });
    expect(r.body.outcome).toBe('rejected');
    expect(await counts()).toEqual(before);
    expect((await dryRun({ record: ids.big, decisions: { approve: 'maybe' } })).status).toBe(422);
  });

  it('says when the trigger condition does not hold, and walks the draft or a sent document', async () => {
    const r = await dryRun({ record: ids.skip });
    expect(r.body.triggered).toBe(false);
    expect(r.body.trigger).toMatch(/does not hold/);
    const threshold = (n: number): WorkflowDef => ({
      ...flow,
      nodes: flow.nodes.map((x) => (x.id === 'size' ? { ...x, config: { branches: [{ key: 'big', when: { '>': [{ var: 'amount' }, n] } }] } } : x)),
    });
    // A draft where only deals above 10,000 are big: this one goes the else way.
    await t.engine.docs.saveDraft('workflows', flow.key, threshold(10_000));
    expect((await dryRun({ record: ids.big, draft: true })).body.path.map((p: any) => p.node)).toEqual(['start', 'size', 'small', 'pause', 'done']);
    expect((await dryRun({ record: ids.big })).body.path.map((p: any) => p.node)).toContain('approve'); // the published one
    // The canvas as it is, sent along unsaved: above 100 is big, so the small deal is.
    expect((await dryRun({ record: ids.small, document: threshold(100) })).body.path.map((p: any) => p.node)).toContain('approve');
    // A broken document sent along is a validation error naming the node.
    const broken = { ...flow, edges: flow.edges.filter((e) => e.id !== 'e_pause') };
    const bad = await dryRun({ record: ids.big, document: broken });
    expect(bad.status).toBe(422);
    expect(JSON.stringify(bad.body.error.fields)).toContain('pause');
  });

  it('answers not_found for an unknown record or workflow, and for a record outside the caller’s rows', async () => {
    const r = await dryRun({ record: 999999 });
    expect(r.status).toBe(404);
    expect(r.body.error.code).toBe('not_found');
    expect((await dryRun({ record: ids.big, workflow: 'no_such_flow' })).status).toBe(404);
    // The designer role reads only its own deals: the system's record is not one of them.
    const scoped = await dryRun({ record: ids.big }, tokens.designer);
    expect(scoped.status).toBe(404);
    expect(scoped.body.error.code).toBe('not_found');
    expect((await dryRun({ record: 'x' as any })).status).toBe(400);
  });

  it('is forbidden without the right to manage metadata, or to read the form', async () => {
    const r = await dryRun({ record: ids.big }, tokens.reader);
    expect(r.status).toBe(403);
    expect(r.body.error.code).toBe('forbidden');
    const outsider = await dryRun({ record: ids.big }, tokens.outsider);
    expect(outsider.status).toBe(403);
    expect(outsider.body.error.code).toBe('forbidden');
  });
});
