/**
 * POST /api/reports/preview and POST /api/dashboards/preview (the designer's live preview), on
 * SQLite and PostgreSQL: an unpublished definition is checked with the metaschema (422 naming JSON
 * paths), run only for metadata managers, under the caller's row scope and field set, with a row
 * cap, and answers exactly what running the same definition answers once it is published.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../helpers/db.js';
import { publishForm, startServer, testEngine, type TestEngine, type TestServer } from '../helpers/engine.js';
import { SYSTEM_ACTOR, type Actor } from '../../src/auth/actor.js';

const ITEM = {
  key: 'item', label: { 'zh-CN': '物品', en: 'Item' }, titleField: 'name',
  fields: [
    { key: 'name', type: 'text', label: '名称', required: true },
    { key: 'colour', type: 'select', label: { 'zh-CN': '颜色', en: 'Colour' }, options: [{ key: 'red', label: '红' }, { key: 'blue', label: '蓝' }, { key: 'green', label: '绿' }] },
    { key: 'price', type: 'money', label: '价格' },
    { key: 'cost', type: 'money', label: '成本' },
  ],
};

/** A designer who may manage metadata but reads only their own items and never their cost. */
const DESIGNER_ROLE = {
  key: 'designer', label: '设计者', manageMetadata: true,
  permissions: [{ form: 'item', actions: ['create', 'read'], rows: 'own', fields: { hidden: ['cost'] } }],
};
/** Reads every item, may not manage metadata. */
const READER_ROLE = { key: 'reader', label: '查看者', permissions: [{ form: 'item', actions: ['read'] }] };

const BY_COLOUR = {
  key: 'items_by_colour', label: { 'zh-CN': '按颜色统计', en: 'Items by colour' }, category: 'custom', source: 'item',
  dimensions: [{ key: 'colour', field: 'colour' }],
  measures: [
    { key: 'n', op: 'count', label: '数量' },
    { key: 'total', op: 'sum', field: 'price', label: '总价' },
    { key: 'total_cost', op: 'sum', field: 'cost', label: '总成本' },
  ],
  sort: [{ key: 'n', desc: true }],
  totals: true,
  type: 'chart', chart: { kind: 'bar', x: 'colour', y: ['n'] },
};

const COLOURS = ['red', 'blue', 'green'];

describe.each(DIALECTS)('report preview on %s', (dialect) => {
  let t: TestEngine;
  let s: TestServer;
  let designerToken: string;
  let readerToken: string;
  let designerId: number;
  const items: Array<{ colour: string; price: number; cost: number; owner: number | null }> = [];

  const login = async (username: string) => (await s.api('/api/auth/login', { body: { username, password: 'password-123456' }, token: null })).body.token as string;

  beforeAll(async () => {
    t = await testEngine(dialect);
    await publishForm(t.engine, ITEM);
    for (const role of [DESIGNER_ROLE, READER_ROLE]) {
      await t.engine.docs.saveDraft('roles', role.key, role);
      await t.engine.docs.publish('roles', role.key);
    }
    s = await startServer(t.engine);
    const d = await t.engine.users.create({ username: 'dora', password: 'password-123456', displayName: 'Dora', roles: ['designer'] } as any);
    designerId = d.id;
    await t.engine.users.create({ username: 'rita', password: 'password-123456', displayName: 'Rita', roles: ['reader'] } as any);
    for (let i = 0; i < 17; i++) {
      const colour = i < 8 ? 'red' : i < 13 ? 'blue' : 'green'; // 8, 5, 4: no ties in the sort
      const price = 100 + i * 10.5;
      const cost = 50 + i;
      const mine = i % 4 === 0;
      await t.engine.records.create(SYSTEM_ACTOR, 'item', { name: `物品${i}`, colour, price, cost }, mine ? { owner: d.id } : {});
      items.push({ colour, price, cost, owner: mine ? d.id : null });
    }
    designerToken = await login('dora');
    readerToken = await login('rita');
  }, 120_000);

  afterAll(async () => {
    await s?.close();
    await t?.engine.close();
    await t?.drop();
  });

  it('answers what running the same definition answers once published', async () => {
    const preview = await s.api('/api/reports/preview', { body: { definition: BY_COLOUR } });
    expect(preview.status).toBe(200);
    // Figures computed here from the inserted rows.
    const expected = COLOURS.map((c) => {
      const xs = items.filter((x) => x.colour === c);
      return { colour: c, n: xs.length, total: Math.round(xs.reduce((a, x) => a + x.price, 0) * 100) / 100 };
    }).sort((a, b) => b.n - a.n);
    expect(preview.body.rows.map((r: any) => ({ colour: r.colour, n: r.n, total: r.total }))).toEqual(expected);
    expect(preview.body.truncated).toBe(false);
    expect(preview.body.type).toBe('chart');
    expect(preview.body.chart).toEqual(BY_COLOUR.chart);

    // Not published yet: running it by key is not_found.
    expect((await s.api(`/api/reports/${BY_COLOUR.key}/run`, { body: {} })).status).toBe(404);
    expect((await s.api(`/api/meta/reports/${BY_COLOUR.key}`, { method: 'PUT', body: BY_COLOUR })).status).toBe(200);
    expect((await s.api(`/api/meta/reports/${BY_COLOUR.key}/publish`, { body: {} })).status).toBe(200);
    const run = await s.api(`/api/reports/${BY_COLOUR.key}/run`, { body: {} });
    expect(run.status).toBe(200);
    const { truncated, ...rest } = preview.body;
    expect(truncated).toBe(false);
    expect(rest).toEqual(run.body);
  });

  it('refuses a bad definition with 422 naming its JSON paths, before and after the metaschema', async () => {
    const bad = await s.api('/api/reports/preview', {
      body: { definition: { ...BY_COLOUR, measures: [{ key: 'n', op: 'median' }], chart: { kind: 'bar', x: 'colour', y: ['n'] } } },
    });
    expect(bad.status).toBe(422);
    expect(bad.body.error.code).toBe('validation');
    expect(Object.keys(bad.body.error.fields)).toContain('/measures/0/op');

    // Past the metaschema: a path the form does not have (the compiler names it).
    const path = await s.api('/api/reports/preview', { body: { definition: { ...BY_COLOUR, dimensions: [{ key: 'colour', field: 'flavour' }] } } });
    expect(path.status).toBe(422);
    expect(Object.keys(path.body.error.fields)).toContain('/dimensions/0/field');

    // Semantic checks: sort on a key that is not an output.
    const sort = await s.api('/api/reports/preview', { body: { definition: { ...BY_COLOUR, sort: [{ key: 'nope' }] } } });
    expect(sort.status).toBe(422);
    expect(Object.keys(sort.body.error.fields)).toContain('/sort/0/key');

    // No definition at all.
    const none = await s.api('/api/reports/preview', { body: {} });
    expect(none.status).toBe(422);
    expect(Object.keys(none.body.error.fields)).toContain('definition');

    // Bad params are the run's own validation.
    const withParam = { ...BY_COLOUR, params: [{ key: 'c', type: 'select', field: 'colour', options: [{ key: 'red', label: '红' }] }] };
    const param = await s.api('/api/reports/preview', { body: { definition: withParam, params: { c: 'purple' } } });
    expect(param.status).toBe(422);
    expect(Object.keys(param.body.error.fields)).toContain('params.c');
    const ok = await s.api('/api/reports/preview', { body: { definition: withParam, params: { c: 'red' } } });
    expect(ok.status).toBe(200);
    expect(ok.body.rows.map((r: any) => r.colour)).toEqual(['red']);
    expect(ok.body.rows[0].n).toBe(items.filter((x) => x.colour === 'red').length);
  });

  it('is for metadata managers only: a reader of the form is forbidden', async () => {
    const r = await s.api('/api/reports/preview', { body: { definition: BY_COLOUR }, token: readerToken });
    expect(r.status).toBe(403);
    expect(r.body.error.code).toBe('forbidden');
    // The reader may still run the published report.
    expect((await s.api(`/api/reports/${BY_COLOUR.key}/run`, { body: {}, token: readerToken })).status).toBe(200);
    const d = await s.api('/api/dashboards/preview', { body: { definition: { key: 'd', label: 'D', widgets: [] } }, token: readerToken });
    expect(d.status).toBe(403);
    expect((await s.api('/api/reports/preview', { body: { definition: BY_COLOUR }, token: null })).status).toBe(401);
  });

  it("applies the manager's own row scope and hidden fields (and ignores the definition's roles)", async () => {
    const r = await s.api('/api/reports/preview', { body: { definition: { ...BY_COLOUR, roles: ['reader'] } }, token: designerToken });
    expect(r.status).toBe(200);
    const mine = items.filter((x) => x.owner === designerId);
    expect(mine.length).toBeGreaterThan(0);
    expect(r.body.rows.reduce((a: number, x: any) => a + x.n, 0)).toBe(mine.length);
    expect(r.body.totals.n).toBe(mine.length);
    // cost is hidden from this role: the measure over it is absent.
    expect(r.body.columns.map((c: any) => c.key)).not.toContain('total_cost');
    expect(r.body.columns.map((c: any) => c.key)).toContain('n');
  });

  it('caps the rows and says so', async () => {
    const detail = {
      key: 'item_list', label: '明细', category: 'custom', source: 'item',
      columns: [{ key: 'name', field: 'name' }, { key: 'price', field: 'price' }],
      sort: [{ key: 'price' }],
    };
    const admin: Actor = { userId: null, username: 'root', roles: ['admin'], departmentId: null, isAdmin: true };
    const capped = await t.engine.reports.preview(admin, detail, { rowCap: 5 });
    expect(capped.rows).toHaveLength(5);
    expect(capped.ids).toHaveLength(5);
    expect(capped.truncated).toBe(true);
    expect(capped.rows.map((r) => r.price)).toEqual(items.map((x) => x.price).sort((a, b) => a - b).slice(0, 5));
    // The cap never goes above the preview's own (500), whatever is asked.
    const all = await t.engine.reports.preview(admin, detail, { rowCap: 100_000 });
    expect(all.rows).toHaveLength(items.length);
    expect(all.truncated).toBe(false);
    // A limit below the cap is the report's own.
    const limited = await s.api('/api/reports/preview', { body: { definition: { ...detail, limit: 3 } } });
    expect(limited.body.rows).toHaveLength(3);
    expect(limited.body.truncated).toBe(false);
  });

  it('previews an unpublished dashboard: widgets of published reports run under its filters', async () => {
    const dash = {
      key: 'draft_board', label: '草稿', filters: [{ key: 'c', type: 'select', options: [{ key: 'blue', label: '蓝' }] }],
      widgets: [
        { id: 'w1', report: BY_COLOUR.key, layout: { x: 0, y: 0, w: 12, h: 6 } },
        { id: 'w2', report: 'not_there', layout: { x: 12, y: 0, w: 12, h: 6 } },
      ],
    };
    const r = await s.api('/api/dashboards/preview', { body: { definition: dash } });
    expect(r.status).toBe(200);
    // A widget whose report is not published is left out (the caller may not run it).
    expect(r.body.widgets.map((w: any) => w.id)).toEqual(['w1']);
    expect(r.body.widgets[0].result.rows.reduce((a: number, x: any) => a + x.n, 0)).toBe(items.length);
    const bad = await s.api('/api/dashboards/preview', { body: { definition: { ...dash, widgets: [{ ...dash.widgets[0], layout: { x: 20, y: 0, w: 8, h: 6 } }] } } });
    expect(bad.status).toBe(422);
    expect(Object.keys(bad.body.error.fields)).toContain('/widgets/0/layout');
  });
});
