/**
 * The workflow designer's catalogue and graph check (http/workflow-designer-router.ts):
 * GET /api/meta/workflows/node-types and /trigger-types (not shadowed by /api/meta/:kind/:key,
 * which still serves workflow documents), and POST /api/meta/workflows/:key/check placing the
 * validator's problems on the nodes and edges they are about, with each node's branches for its
 * settings. Metadata managers only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../helpers/db.js';
import { publishForm, startServer, testEngine, type TestEngine, type TestServer } from '../helpers/engine.js';

const sound = {
  key: 'flow',
  label: 'Flow',
  trigger: { type: 'record_created', form: 'deal' },
  nodes: [
    { id: 'start', type: 'start' },
    { id: 'size', type: 'condition', config: { branches: [{ key: 'big', when: { '>': [{ var: 'amount' }, 1] } }, { key: 'huge', when: { '>': [{ var: 'amount' }, 9] } }] } },
    { id: 'ask', type: 'approval', config: { assignees: [{ type: 'owner' }] } },
    { id: 'done', type: 'end' },
  ],
  edges: [
    { id: 'e1', source: 'start', target: 'size' },
    { id: 'e2', source: 'size', target: 'ask', branch: 'big' },
    { id: 'e3', source: 'size', target: 'done', branch: 'huge' },
    { id: 'e4', source: 'size', target: 'done', branch: 'else' },
    { id: 'e5', source: 'ask', target: 'done', branch: 'approved' },
  ],
};

describe.each(DIALECTS)('workflow designer API on %s', (dialect) => {
  let t: TestEngine;
  let s: TestServer;
  let reader = '';
  beforeAll(async () => {
    t = await testEngine(dialect);
    await publishForm(t.engine, { key: 'deal', label: 'Deal', fields: [{ key: 'amount', type: 'number', label: 'A' }] });
    s = await startServer(t.engine);
    await t.engine.docs.saveDraft('workflows', 'flow', sound);
    await t.engine.users.create({ username: 'reader', password: 'password-123456', roles: [] } as any);
    reader = (await s.api('/api/auth/login', { body: { username: 'reader', password: 'password-123456' }, token: null })).body.token;
  });
  afterAll(async () => {
    await s?.close();
    await t?.drop();
  });

  it('lists the registered node types with their palette group, label, settings schema and ways out', async () => {
    const r = await s.api('/api/meta/workflows/node-types');
    expect(r.status).toBe(200);
    const byType = Object.fromEntries(r.body.map((n: any) => [n.type, n]));
    for (const type of ['start', 'end', 'condition', 'parallel', 'join', 'approval', 'set_fields', 'notify', 'wait', 'webhook']) expect(byType[type]).toBeDefined();
    expect(byType.condition).toMatchObject({ group: 'flow', label: { 'zh-CN': '条件分支', en: 'Condition' }, outputs: 'many', branches: ['else'] });
    expect(byType.condition.configSchema.required).toEqual(['branches']);
    expect(byType.approval).toMatchObject({ group: 'human', branches: ['approved', 'rejected'], waits: true });
    expect(byType.start).toMatchObject({ inputs: 'none', outputs: 'one' });
    expect(byType.end).toMatchObject({ outputs: 'none' });
    const triggers = await s.api('/api/meta/workflows/trigger-types');
    expect(triggers.status).toBe(200);
    const updated = triggers.body.find((x: any) => x.type === 'record_updated');
    expect(updated).toMatchObject({ needsForm: true, label: { 'zh-CN': '修改记录时' } });
    expect(updated.configSchema.properties.fields).toBeDefined();
    // The meta router still serves workflow documents under the same prefix.
    expect((await s.api('/api/meta/workflows/flow?draft=1')).body.key).toBe('flow');
  });

  it('checks a sound graph: no problems, and each node’s branches for its settings', async () => {
    const r = await s.api('/api/meta/workflows/flow/check', { body: sound });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ ok: true, fields: {}, errors: {}, edges: {}, workflow: [] });
    expect(r.body.branches).toEqual({ start: [], size: ['big', 'huge', 'else'], ask: ['approved', 'rejected'], done: [] });
  });

  it('places the problems of a broken graph on the nodes and edges they are about', async () => {
    const broken = {
      ...sound,
      nodes: [...sound.nodes, { id: 'lost', type: 'notify', config: { to: [{ type: 'owner' }], title: 'x' } }, { id: 'stray', type: 'end' }],
      edges: [...sound.edges, { id: 'e_dangling', source: 'ask', target: 'nowhere', branch: 'rejected' }, { id: 'e_lost', source: 'size', target: 'lost', branch: 'nope' }],
    };
    const r = await s.api('/api/meta/workflows/flow/check', { body: broken, headers: { 'accept-language': 'en' } });
    expect(r.status).toBe(200);
    expect(r.body.ok).toBe(false);
    // Pointers as a 422 from PUT has them …
    expect(Object.keys(r.body.fields)).toEqual(expect.arrayContaining(['/nodes/4', '/nodes/5', '/edges/5/target', '/edges/6/branch']));
    // … and placed: the node with no way out, the unreachable end, the dangling edge on its source node and on itself.
    expect(r.body.errors.lost.join(' ')).toMatch(/no outgoing edge/);
    expect(r.body.errors.stray.join(' ')).toMatch(/cannot be reached from the start/);
    expect(r.body.errors.ask.join(' ')).toMatch(/target node 'nowhere' does not exist/);
    expect(r.body.edges.e_dangling.join(' ')).toMatch(/nowhere/);
    expect(r.body.errors.size.join(' ')).toMatch(/no branch 'nope'/);
    expect(r.body.errors.start).toBeUndefined();
    // The same document is refused by PUT with the same pointers.
    const put = await s.api('/api/meta/workflows/flow', { method: 'PUT', body: broken, headers: { 'accept-language': 'en' } });
    expect(put.status).toBe(422);
    expect(put.body.error.fields).toEqual(r.body.fields);
    // Chinese by default.
    const zh = await s.api('/api/meta/workflows/flow/check', { body: broken });
    expect(zh.body.errors.lost.join(' ')).toMatch(/没有出边/);
  });

  it('is for metadata managers only', async () => {
    for (const [method, path] of [['GET', '/api/meta/workflows/node-types'], ['GET', '/api/meta/workflows/trigger-types'], ['POST', '/api/meta/workflows/flow/check']] as const) {
      const r = await s.api(path, { method, token: reader, ...(method === 'POST' ? { body: sound } : {}) });
      expect(r.status).toBe(403);
      expect(r.body.error.code).toBe('forbidden');
    }
    expect((await s.api('/api/meta/workflows/node-types', { token: null })).status).toBe(401);
  });
});
