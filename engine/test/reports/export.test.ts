/**
 * CSV and XLSX export of records through the HTTP API, on SQLite and PostgreSQL: the BOM and
 * zh-CN headers, human-readable values, the filter, the caller's row scope, hidden and masked
 * fields, formula injection, and bad filters.
 */
import ExcelJS from 'exceljs';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../helpers/db.js';
import { startServer, testEngine, type TestEngine, type TestServer } from '../helpers/engine.js';
import { signedInUser } from '../auth/identity-fixture.js';
import { setUp } from '../records/transfer-fixture.js';
import { csvCell } from '../../src/reports/export.js';

/* eslint-disable @typescript-eslint/no-explicit-any */

describe('csv cells', () => {
  it('quotes per RFC 4180 and defuses formulas', () => {
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('=1+2')).toBe("'=1+2");
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvCell('-2+3,x')).toBe(`"'-2+3,x"`);
    expect(csvCell(-5)).toBe('-5');
    expect(csvCell(null)).toBe('');
  });
});

describe.each(DIALECTS)('export on %s', (dialect) => {
  let t: TestEngine;
  let s: TestServer;
  let clerk: { id: number; token: string };
  let viewer: { id: number; token: string };

  const get = async (path: string, token?: string) => {
    const res = await fetch(s.url + path, { headers: { authorization: `Bearer ${token ?? s.adminToken}` } });
    return { status: res.status, headers: res.headers, buf: Buffer.from(await res.arrayBuffer()) };
  };
  const csvRows = (buf: Buffer): string[][] => parse(buf.toString('utf8').replace(/^\uFEFF/, ''), { relax_column_count: true });

  beforeAll(async () => {
    t = await testEngine(dialect);
    s = await startServer(t.engine);
    await setUp(s, t);
    clerk = await signedInUser(s, 'clerk1', 'clerk-password-1', ['clerk']);
    viewer = await signedInUser(s, 'viewer1', 'viewer-password-1', ['viewer']);
    const acme = (await s.api('/api/records/company', { body: { name: 'Acme 公司' } })).body.id;
    const mk = (body: Record<string, unknown>, token?: string) => s.api('/api/records/customer', { body, token });
    expect((await mk({ name: '张三', code: 'A1', level: 'a', amount: 1234.5, birthday: '1990-01-02', vip: true, tags: ['new', 'loyal'], company: acme, secret: 's1', idno: '110101199001021234' })).status).toBe(201);
    expect((await mk({ name: '=HYPERLINK("http://evil")', code: 'A2', level: 'b', vip: false })).status).toBe(201);
    const own = await mk({ name: '李四, "小李"', code: 'A3' }, clerk.token);
    expect(own.status).toBe(201);
    // the clerk sees the ID number masked and may not write it: the administrator fills it in
    expect((await s.api(`/api/records/customer/${own.body.id}`, { method: 'PATCH', body: { idno: '310101198001011111', _version: own.body._version } })).status).toBe(200);
  });
  afterAll(async () => {
    await s?.close();
    await t?.drop();
  });

  it('CSV: a BOM, zh-CN headers, readable values, defused formulas, an attachment with a UTF-8 file name', async () => {
    const r = await get('/api/records/customer/export?format=csv');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(r.headers.get('content-disposition')).toMatch(/^attachment; filename="customer-.*\.csv"; filename\*=UTF-8''%E5%AE%A2%E6%88%B7-/);
    expect([...r.buf.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const rows = csvRows(r.buf);
    expect(rows[0]).toEqual(['ID', '姓名', '编号', '级别', '金额', '生日', '会员', '标签', '公司', '内部备注', '证件号', '状态', '创建时间', '更新时间']);
    expect(rows.length).toBe(4);
    const z = rows[1]!;
    expect(z.slice(1, 12)).toEqual(['张三', 'A1', 'A级', '1234.5', '1990-01-02', '是', '新客、老客', 'Acme 公司', 's1', '110101199001021234', '待处理']);
    expect(z[12]).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    expect(rows[2]![1]).toBe(`'=HYPERLINK("http://evil")`);
    expect(rows[2]![6]).toBe('否');
    expect(rows[3]![1]).toBe('李四, "小李"');
    const en = csvRows((await get('/api/records/customer/export?format=csv&lang=en')).buf);
    expect(en[0]!.slice(0, 4)).toEqual(['ID', 'Name', 'Code', 'Level']);
    expect(en[1]![3]).toBe('Gold');
  });

  it('honours the filter; a bad filter is bad_request before any byte of a file', async () => {
    const f = encodeURIComponent(JSON.stringify({ '==': [{ var: 'level' }, 'a'] }));
    const rows = csvRows((await get(`/api/records/customer/export?format=csv&filter=${f}`)).buf);
    expect(rows.slice(1).map((x) => x[1])).toEqual(['张三']);
    for (const bad of [{ '==': [{ var: 'nope' }, 1] }, { frobnicate: [1] }]) {
      const r = await get(`/api/records/customer/export?format=csv&filter=${encodeURIComponent(JSON.stringify(bad))}`);
      expect(r.status).toBe(400);
      expect(JSON.parse(r.buf.toString()).error.code).toBe('bad_request');
    }
    expect((await get('/api/records/customer/export?format=pdf')).status).toBe(400);
    expect((await get('/api/records/nosuch/export')).status).toBe(404);
  });

  it("the caller's rows and fields: own rows only, hidden fields absent, masked fields masked and not filterable", async () => {
    const r = await get('/api/records/customer/export?format=csv', clerk.token);
    expect(r.status).toBe(200);
    const rows = csvRows(r.buf);
    expect(rows[0]).not.toContain('内部备注');
    expect(rows[0]).toContain('证件号');
    expect(rows.length).toBe(2);
    const rec = Object.fromEntries(rows[0]!.map((h, i) => [h, rows[1]![i]]));
    expect(rec['姓名']).toBe('李四, "小李"');
    expect(rec['证件号']).not.toBe('310101198001011111');
    expect(rec['证件号']).toMatch(/^310\*+1111$/);
    expect(r.buf.toString()).not.toContain('s1');
    const byMasked = encodeURIComponent(JSON.stringify({ '==': [{ var: 'idno' }, '310101198001011111'] }));
    expect((await get(`/api/records/customer/export?filter=${byMasked}`, clerk.token)).status).toBe(400);
    const byHidden = encodeURIComponent(JSON.stringify({ '==': [{ var: 'secret' }, 's1'] }));
    expect((await get(`/api/records/customer/export?filter=${byHidden}`, clerk.token)).status).toBe(400);
    // a role without the export right
    const noExport = await signedInUser(s, 'reader1', 'reader-password-1', []);
    expect((await get('/api/records/customer/export', noExport.token)).status).toBe(403);
    expect((await get('/api/records/customer/export?format=xlsx', viewer.token)).status).toBe(200);
  });

  it('XLSX parses back with exceljs', async () => {
    const r = await get('/api/records/customer/export?format=xlsx');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(r.buf as any);
    const ws = wb.worksheets[0]!;
    expect(ws.name).toBe('客户');
    const header = (ws.getRow(1).values as unknown[]).slice(1);
    expect(header.slice(0, 5)).toEqual(['ID', '姓名', '编号', '级别', '金额']);
    expect(ws.rowCount).toBe(4);
    const first = (ws.getRow(2).values as unknown[]).slice(1);
    expect(first.slice(1, 9)).toEqual(['张三', 'A1', 'A级', 1234.5, '1990-01-02', '是', '新客、老客', 'Acme 公司']);
    // a formula-looking text stays text in a worksheet
    expect(ws.getRow(3).getCell(2).value).toBe('=HYPERLINK("http://evil")');
    expect(ws.getRow(3).getCell(2).type).toBe(ExcelJS.ValueType.String);
  });

  it('an export re-imports: the file it writes is a file the import reads', async () => {
    const r = await get('/api/records/customer/export?format=xlsx');
    const res = await fetch(`${s.url}/api/records/customer/import?dryRun=1&wait=1`, {
      method: 'POST', headers: { authorization: `Bearer ${s.adminToken}`, 'content-type': 'application/octet-stream' }, body: r.buf,
    });
    const job = await res.json() as any;
    expect(res.status).toBe(200);
    expect(job.fileKind).toBe('xlsx');
    expect(job.mapping).toMatchObject({ ID: null, '姓名': 'name', '级别': 'level', '公司': 'company' });
    // the codes are taken (unique), everything else converts
    expect(job.failedRows).toBe(3);
    expect(new Set(job.errors.map((e: any) => e.field))).toEqual(new Set(['code']));
  });
});
