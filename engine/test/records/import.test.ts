/**
 * Import of CSV and XLSX files through the HTTP API, on SQLite and PostgreSQL: header mapping,
 * dry runs that name row, field and message, all_or_nothing and valid_only, automations fired
 * per imported row, progress while a job runs, and permissions.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../helpers/db.js';
import { startServer, testEngine, type TestEngine, type TestServer } from '../helpers/engine.js';
import { XLSX, csvOf, markWorkflow, setUp, xlsxOf } from './transfer-fixture.js';
import { signedInUser } from '../auth/identity-fixture.js';
import { convertCell, parseDateCell, parseDatetimeCell } from '../../src/records/import.js';

/* eslint-disable @typescript-eslint/no-explicit-any */

describe('cell conversion', () => {
  const f = (type: string, extra: Record<string, unknown> = {}) => ({ id: 'x', key: 'x', label: 'x', type, ...extra }) as any;
  it('reads numbers, money, percents, dates, booleans and options as people type them', () => {
    expect(convertCell(f('money'), '¥1,234.50')).toEqual({ value: 1234.5 });
    expect(convertCell(f('number'), '1,234.5')).toEqual({ value: 1234.5 });
    expect(convertCell(f('percent'), '12%')).toEqual({ value: 0.12 });
    expect(convertCell(f('number'), '12abc')).toHaveProperty('error');
    expect(parseDateCell('2024/6/3')).toBe('2024-06-03');
    expect(parseDateCell('2024年6月30日')).toBe('2024-06-30');
    expect(parseDateCell('2024-02-30')).toBeNull();
    expect(parseDateCell(new Date(Date.UTC(2024, 5, 30)))).toBe('2024-06-30');
    expect(parseDatetimeCell('2024-06-30 08:00')).toBe('2024-06-30T00:00:00.000Z'); // Asia/Shanghai
    expect(parseDatetimeCell('2024-06-30T08:00:00Z')).toBe('2024-06-30T08:00:00.000Z');
    expect(convertCell(f('boolean'), '是')).toEqual({ value: true });
    expect(convertCell(f('boolean'), 'N')).toEqual({ value: false });
    const sel = f('multiselect', { options: [{ key: 'new', label: { 'zh-CN': '新客', en: 'New' } }, { key: 'loyal', label: '老客' }] });
    expect(convertCell(sel, '新客、老客')).toEqual({ value: ['new', 'loyal'] });
    expect(convertCell(sel, 'new; Loyal')).toEqual({ value: ['new', 'loyal'] });
    expect(convertCell(sel, 'new; Platinum')).toHaveProperty('error');
    expect(convertCell(sel, 'new；老客')).toEqual({ value: ['new', 'loyal'] });
  });
});

describe.each(DIALECTS)('import on %s', (dialect) => {
  let t: TestEngine;
  let s: TestServer;
  let clerk: { id: number; token: string };
  let viewer: { id: number; token: string };
  let acme: number;
  const knex = () => t.engine.db.knex;

  /** POST a file; `wait` unless told otherwise. */
  const upload = async (body: string | Buffer, query: Record<string, string> = {}, token?: string, type?: string) => {
    const qs = new URLSearchParams({ wait: '1', ...query }).toString();
    const res = await fetch(`${s.url}/api/records/customer/import?${qs}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token ?? s.adminToken}`, 'content-type': type ?? (typeof body === 'string' ? 'text/csv' : XLSX), 'accept-language': 'en' },
      body,
    });
    return { status: res.status, body: await res.json() as any };
  };
  const count = async (where: Record<string, unknown> = {}) => Number((await knex()('t_customer').where(where).count({ n: '*' }).first() as any).n);
  const clear = async () => {
    await knex()('t_customer').delete();
  };

  beforeAll(async () => {
    t = await testEngine(dialect);
    s = await startServer(t.engine);
    await setUp(s, t);
    clerk = await signedInUser(s, 'clerk1', 'clerk-password-1', ['clerk']);
    viewer = await signedInUser(s, 'viewer1', 'viewer-password-1', ['viewer']);
    acme = (await s.api('/api/records/company', { body: { name: 'Acme 公司' } })).body.id;
  });
  afterAll(async () => {
    await s?.close();
    await t?.drop();
  });

  it('maps headers by key, zh-CN label and English label, and by an explicit mapping', async () => {
    await clear();
    const csv = csvOf([
      ['name', '级别', 'AMOUNT', 'Birthday', '会员', '标签', 'Company', '客户来源', '备注X'],
      ['张三', 'A级', '¥1,234.50', '2024/6/3', '是', '新客、老客', 'Acme 公司', '网络', 'x'],
      ['李四', 'Silver', '88', '2024-06-04', 'no', '', String(acme), '', ''],
    ]);
    const r = await upload(csv, { mapping: JSON.stringify({ '备注X': 'code' }) });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ status: 'done', created: 2, failedRows: 0, committed: true, total: 2 });
    expect(r.body.mapping).toEqual({
      name: 'name', '级别': 'level', AMOUNT: 'amount', Birthday: 'birthday', '会员': 'vip', '标签': 'tags', Company: 'company', '客户来源': null, '备注X': 'code',
    });
    expect(r.body.warnings).toEqual([{ row: 1, column: '客户来源', field: null, message: expect.stringMatching(/ignored/) }]);
    const list = (await s.api('/api/records/customer?sort=id')).body.items;
    expect(list.map((x: any) => [x.name, x.level, x.amount, x.birthday, x.vip, x.tags, x.company, x.code])).toEqual([
      ['张三', 'a', 1234.5, '2024-06-03', true, ['new', 'loyal'], acme, 'x'],
      ['李四', 'b', 88, '2024-06-04', false, null, acme, null],
    ]);
  });

  it('an XLSX with bad rows: the dry run names row, field and message and writes nothing; all_or_nothing writes nothing; valid_only lands the valid rows, an automation fired for each', async () => {
    await clear();
    await t.engine.workflow.drain(); // earlier tests' events: nothing listens to them
    const wf = await s.api(`/api/meta/workflows/${markWorkflow.key}`, { method: 'PUT', body: markWorkflow });
    expect(wf.status).toBe(200);
    expect((await s.api(`/api/meta/workflows/${markWorkflow.key}/publish`, { method: 'POST', body: {} })).status).toBe(200);
    await t.engine.workflow.drain();
    const file = await xlsxOf([
      ['姓名', '编号', '级别', '金额', '生日', '公司'],
      ['王五', 'C1', 'A级', 100, new Date(Date.UTC(1990, 0, 2)), 'Acme 公司'], // row 2 ok
      ['', 'C2', 'B级', 5, null, null], // row 3: name required
      ['赵六', 'C3', '钻石', 5, null, null], // row 4: no such option
      ['钱七', 'C4', 'B级', 'abc', '2024-13-01', null], // row 5: amount and birthday
      ['孙八', 'C1', 'B级', 1, null, null], // row 6: code taken by row 2
      ['周九', 'C6', null, null, null, 'Nobody Ltd'], // row 7: no such company
      ['吴十', 'C7', 'b', '2,000', '1991/3/4', null], // row 8 ok
    ]);
    const outbox = async () => Number((await knex()('fw_outbox').where({ form: 'customer' }).count({ n: '*' }).first() as any).n);
    const eventsBefore = await outbox();
    const dry = await upload(file, { dryRun: '1' });
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({ status: 'done', dryRun: true, total: 7, processed: 7, created: 0, failedRows: 5, committed: false });
    const issues = dry.body.errors.map((e: any) => [e.row, e.field, e.column]);
    expect(issues).toEqual(expect.arrayContaining([
      [3, 'name', '姓名'], [4, 'level', '级别'], [5, 'amount', '金额'], [5, 'birthday', '生日'], [6, 'code', '编号'], [7, 'company', '公司'],
    ]));
    for (const e of dry.body.errors) expect(e.message).toMatch(/\S/);
    expect(dry.body.errors.find((e: any) => e.row === 6).message).toMatch(/row 2/);
    expect(await count()).toBe(0);

    const all = await upload(file, { mode: 'all_or_nothing' });
    expect(all.body).toMatchObject({ status: 'done', created: 0, failedRows: 5, committed: false });
    expect(await count()).toBe(0);
    expect(await outbox()).toBe(eventsBefore);

    const valid = await upload(file, { mode: 'valid_only' });
    expect(valid.body).toMatchObject({ status: 'done', created: 2, failedRows: 5, committed: true });
    expect(valid.body.errors.map((e: any) => e.row)).toEqual(expect.arrayContaining([3, 4, 5, 6, 7]));
    const recs = (await s.api('/api/records/customer?sort=id')).body.items;
    expect(recs.map((r: any) => [r.name, r.code, r.level, r.amount, r.birthday, r.company])).toEqual([
      ['王五', 'C1', 'a', 100, '1990-01-02', acme],
      ['吴十', 'C7', 'b', 2000, '1991-03-04', null],
    ]);
    // The automation ran once per imported row.
    await t.engine.workflow.drain();
    const after = (await s.api('/api/records/customer?sort=id')).body.items;
    expect(after.map((r: any) => r.status)).toEqual(['processed', 'processed']);
    const runs = await knex()('fw_wf_instances').where({ workflow: markWorkflow.key });
    expect(runs.length).toBe(2);
    // all_or_nothing with a clean file writes everything
    const clean = await xlsxOf([['姓名', '编号'], ['甲', 'D1'], ['乙', 'D2'], ['丙', 'D3']]);
    const ok = await upload(clean);
    expect(ok.body).toMatchObject({ status: 'done', created: 3, failedRows: 0, committed: true, phase: 'writing' });
    await t.engine.workflow.drain();
    expect(await knex()('fw_wf_instances').where({ workflow: markWorkflow.key }).count({ n: '*' }).first().then((r: any) => Number(r.n))).toBe(5);
  });

  it('reports progress through GET /api/imports/:id while a job runs', async () => {
    await clear();
    const n = 3000;
    const rows: unknown[][] = [['姓名', '编号']];
    for (let i = 0; i < n; i++) rows.push([`客户${i}`, `P${i}`]);
    const start = await upload(csvOf(rows), { wait: '0', mode: 'valid_only' });
    expect(start.status).toBe(202);
    expect(start.body).toMatchObject({ status: expect.stringMatching(/queued|running/), created: 0 });
    const seen: number[] = [];
    let job: any;
    for (let i = 0; i < 600; i++) {
      job = (await s.api(`/api/imports/${start.body.id}`)).body;
      seen.push(job.processed);
      if (job.status === 'done' || job.status === 'failed') break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(job).toMatchObject({ status: 'done', processed: n, created: n, total: n });
    expect(seen.some((p) => p > 0 && p < n)).toBe(true);
    expect(await count()).toBe(n);
    // the caller's list; someone else sees neither
    const mine = (await s.api('/api/imports?form=customer')).body.items;
    expect(mine.map((x: any) => x.id)).toContain(start.body.id);
    expect((await s.api(`/api/imports/${start.body.id}`, { token: clerk.token })).status).toBe(404);
    expect((await s.api('/api/imports', { token: clerk.token })).body.items.map((x: any) => x.id)).not.toContain(start.body.id);
  });

  it('permissions: no create right is forbidden; a hidden field is not there to import into; the importer owns the rows', async () => {
    await clear();
    const csv = csvOf([['姓名', '内部备注', '证件号'], ['甲', 'secret!', 'X1']]);
    const denied = await upload(csv, {}, viewer.token);
    expect(denied.status).toBe(403);
    expect(denied.body.error.code).toBe('forbidden');
    // explicit mapping onto a hidden field: like an unknown field
    const bad = await upload(csv, { mapping: JSON.stringify({ '内部备注': 'secret' }) }, clerk.token);
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('bad_request');
    // automatic: the hidden field's column is ignored, a masked field is read-only for the clerk
    const r = await upload(csv, {}, clerk.token);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ status: 'done', created: 1 });
    expect(r.body.mapping).toEqual({ '姓名': 'name', '内部备注': null, '证件号': null });
    const rec = await knex()('t_customer').first();
    const byKey = (await s.api(`/api/records/customer/${rec.id}`)).body;
    expect(byKey).toMatchObject({ name: '甲', secret: null, idno: null, _owner: clerk.id });
  });

  it('refuses bad requests through the error model', async () => {
    expect((await upload('', {})).status).toBe(400);
    expect((await upload(csvOf([['nothing', 'here'], ['1', '2']]))).body.error.code).toBe('bad_request');
    expect((await upload(csvOf([['姓名'], ['x']]), { mode: 'sometimes' })).body.error).toMatchObject({ code: 'bad_request', details: { param: 'mode' } });
    expect((await upload(csvOf([['姓名'], ['x']]), { mapping: '{bad' })).body.error).toMatchObject({ code: 'bad_request', details: { param: 'mapping' } });
    expect((await upload(csvOf([['姓名', 'name'], ['x', 'y']]))).body.error.code).toBe('bad_request'); // two columns, one field
    const json = await s.api('/api/records/customer/import', { body: { name: 'x' } });
    expect(json.status).toBe(400);
    const missing = await fetch(`${s.url}/api/records/nosuch/import`, { method: 'POST', headers: { authorization: `Bearer ${s.adminToken}`, 'content-type': 'text/csv' }, body: 'a\n1\n' });
    expect(missing.status).toBe(404);
    expect((await s.api('/api/imports/00000000-0000-0000-0000-000000000000')).status).toBe(404);
  });
});
