/**
 * The dealership's print templates over HTTP, on SQLite and PostgreSQL: the sales contract
 * (parties through related records, the vehicle, prices, one row per accessory, the total in
 * figures and in 大写金额), the delivery checklist (documents, keys, the accessories to hand
 * over) and the repair-order settlement (labour and parts rows, their sums, the total). A sales
 * advisor prints their own orders only.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../../../engine/test/helpers/db.js';
import { testEngine, startServer, type TestEngine, type TestServer } from '../../../engine/test/helpers/engine.js';
import { installPack, readPackFolder } from '../../../engine/src/packs/install.js';
// @ts-expect-error plain JS module without types
import { makeVin } from '../demo/index.js';

const PACK = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The text of each `<tr>` of the table that follows a heading, cells joined with '|'. */
function tableAfter(html: string, heading: string): string[] {
  const start = html.indexOf(heading);
  expect(start, heading).toBeGreaterThan(-1);
  const table = html.slice(start).match(/<table>([\s\S]*?)<\/table>/)![1]!;
  return [...table.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((m) =>
    [...m[1]!.matchAll(/<t[dh][^>]*>([\s\S]*?)<\/t[dh]>/g)].map((c) => c[1]!.replace(/<[^>]+>/g, '').trim()).join('|'));
}

describe.each(DIALECTS)('dealership print templates on %s', (dialect) => {
  let t: TestEngine;
  let s: TestServer;
  const token: Record<string, string> = {};
  const id: Record<string, number> = {};
  let vin: string;
  let seed = 11;
  const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);

  const call = async (who: string, method: string, url: string, body?: unknown) => {
    const r = await s.api(url, { method, body, token: token[who]! });
    return r;
  };
  const create = async (who: string, form: string, body: Record<string, unknown>) => {
    const r = await call(who, 'POST', `/api/records/${form}`, body);
    if (r.status !== 201) throw new Error(`${form}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };

  beforeAll(async () => {
    t = await testEngine(dialect);
    await installPack(t.engine.db, t.engine.docs, readPackFolder(PACK));
    s = await startServer(t.engine);
    token.admin = s.adminToken;
    const store = (await t.engine.departments.create({ name: '一号店', kind: 'store' })).id;
    for (const [name, role] of [['sa1', 'sales_advisor'], ['sa2', 'sales_advisor'], ['svc', 'service_advisor']]) {
      await t.engine.users.create({ username: name!, password: 'password-123', roles: [role!], department: store, displayName: `${name}号` });
      token[name!] = (await s.api('/api/auth/login', { body: { username: name, password: 'password-123' }, token: null })).body.token;
    }
    id.model = (await create('admin', 'vehicle_model', {
      code: 'PST-380', brand: '大众', series: '帕萨特', name: '帕萨特 380TSI 豪华版', list_price: 219900, cost_price: 200000,
    })).id;
    vin = makeVin(random);
    id.vehicle = (await create('admin', 'vehicle', { vin, model: id.model, color: '极地白', in_stock_date: '2026-10-01', status: 'in_stock' })).id;
    id.customer = (await create('sa1', 'customer', { name: '王小明', phone: '13800138000', id_number: '11010519491231002X' })).id;
    const order = await create('sa1', 'vehicle_order', {
      customer: id.customer, model: id.model, color: '极地白', list_price: 219900, discount: 5000,
      order_date: '2026-11-20', delivery_date: '2026-12-01',
      accessories: [
        { item: '全包围脚垫', qty: 2, price: 300 },
        { item: '隐形车衣', qty: 1, price: 3980 },
        { item: '行车记录仪', qty: 1, price: 1299.5 },
      ],
    });
    id.order = order.id;
    expect(order.total_amount).toBe(220779.5);
    await t.engine.workflow.drain();
    // the stock keeper's allocation (read-only for the advisor)
    const current = (await call('admin', 'GET', `/api/records/vehicle_order/${id.order}`)).body;
    const allocated = await call('admin', 'PATCH', `/api/records/vehicle_order/${id.order}`, { vehicle: id.vehicle, _version: current._version });
    expect(allocated.status, JSON.stringify(allocated.body)).toBe(200);

    // service: an owned vehicle, parts, a repair order with labour and parts
    id.owned = (await create('svc', 'owned_vehicle', { customer: id.customer, vin, plate: '京A12345', model: id.model })).id;
    id.oil = (await create('svc', 'part', { code: 'OIL-5W30', name: '全合成机油 5W-30（1L）', price: 88.5 })).id;
    id.filter = (await create('svc', 'part', { code: 'FLT-001', name: '机油滤清器', price: 58 })).id;
    const ro = await create('svc', 'repair_order', {
      customer: id.customer, owned_vehicle: id.owned, opened_on: '2026-11-24', mileage_in: 15230, complaint: '保养到期\n右前轮有异响',
      labor: [{ item: '更换机油机滤', hours: 0.5, rate: 300 }, { item: '四轮定位', hours: 1.2, rate: 280 }],
      parts: [{ part: id.oil, qty: 4, price: 88.5 }, { part: id.filter, qty: 1, price: 58 }],
    });
    id.ro = ro.id;
    expect(ro.total).toBe(898);
  });
  afterAll(async () => {
    await s?.close();
    await t?.drop();
  });

  it('lists the templates of each form', async () => {
    expect((await call('sa1', 'GET', '/api/records/vehicle_order/prints')).body.map((p: any) => p.key)).toEqual(['sales_contract', 'delivery_checklist']);
    expect((await call('svc', 'GET', '/api/records/repair_order/prints')).body).toEqual([
      { key: 'settlement', label: { 'zh-CN': '维修结算单', en: 'Repair settlement' }, paper: 'A4', orientation: 'portrait' },
    ]);
  });

  it('prints the sales contract', async () => {
    const r = await call('sa1', 'GET', `/api/records/vehicle_order/${id.order}/print/sales_contract`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/html/);
    expect(r.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html: string = r.body;
    expect(html).toMatch(/<title>整车销售合同 SO\d{6}\d{4}<\/title>/);
    expect(html).toContain('<h1>整车销售合同</h1>');
    expect(html).toContain('签订日期：2026年11月20日');
    // the parties and the vehicle, through related records
    const parties = tableAfter(html, '一、合同双方');
    expect(parties[0]).toBe('出卖人（甲方）||买受人（乙方）|王小明');
    expect(parties[1]).toContain('联系电话|13800138000');
    expect(tableAfter(html, '二、车辆信息')).toEqual([
      '品牌|大众|车系|帕萨特',
      '车型|帕萨特 380TSI 豪华版|车型代码|PST-380',
      `颜色|极地白|车架号（VIN）|${vin}`,
    ]);
    expect(tableAfter(html, '三、车辆价格')).toEqual(['项目|金额', '厂家指导价|¥219,900.00', '优惠金额|¥5,000.00', '车辆成交价|¥214,900.00']);
    // one row per accessory, and their sum
    expect(tableAfter(html, '四、精品加装')).toEqual([
      '序号|项目|数量|单价|金额',
      '1|全包围脚垫|2|¥300.00|¥600.00',
      '2|隐形车衣|1|¥3,980.00|¥3,980.00',
      '3|行车记录仪|1|¥1,299.50|¥1,299.50',
      '精品加装合计|¥5,879.50',
    ]);
    // the total in figures and in words
    expect(tableAfter(html, '五、合同总价')).toEqual(['合同总价（小写）|¥220,779.50', '合同总价（大写）|人民币贰拾贰万零柒佰柒拾玖元伍角']);
    expect(html).toContain('预计交车日期：2026年12月1日');
    expect(html).toContain('经办人：sa1号');
    // a sales advisor never sees the model's cost
    expect(html).not.toContain('200,000');
  });

  it('prints the delivery checklist', async () => {
    const r = await call('sa1', 'GET', `/api/records/vehicle_order/${id.order}/print/delivery_checklist`);
    expect(r.status).toBe(200);
    const html: string = r.body;
    expect(html).toContain('<h1>交车检查单</h1>');
    expect(html).toContain('交车日期：2026年12月1日');
    expect(html).toContain(`<td colspan="3">${vin}</td>`);
    expect(html).toContain('王小明');
    const docs = tableAfter(html, '三、随车文件与物品').join('\n');
    for (const doc of ['机动车整车出厂合格证', '购车发票', '保险单', '使用说明书', '三包凭证', '车钥匙']) expect(docs).toContain(doc);
    expect(tableAfter(html, '四、精品加装')).toEqual(['序号|项目|数量|已安装/交付', '1|全包围脚垫|2|', '2|隐形车衣|1|', '3|行车记录仪|1|']);
    expect((html.match(/class="box"/g) ?? []).length).toBeGreaterThan(20);
  });

  it('prints the repair settlement with its sums', async () => {
    const r = await call('svc', 'GET', `/api/records/repair_order/${id.ro}/print/settlement`);
    expect(r.status).toBe(200);
    const html: string = r.body;
    expect(html).toMatch(/工单号：RO\d{8}\d{3}/);
    expect(html).toContain('<td style="width:34%">王小明</td>');
    expect(html).toContain('<td>京A12345</td>');
    expect(html).toContain('<td>15,230 km</td>');
    expect(html).toContain('<th>进厂日期</th><td>2026年11月24日</td>');
    expect(html).toContain('<td colspan="3">已接车</td>');
    expect(html).toContain('<td colspan="3" class="pre">保养到期\n右前轮有异响</td>');
    expect(tableAfter(html, '一、维修工时')).toEqual([
      '序号|维修项目|工时|工时单价|工时费',
      '1|更换机油机滤|0.5|¥300.00|¥150.00',
      '2|四轮定位|1.2|¥280.00|¥336.00',
      '工时费合计|¥486.00',
    ]);
    expect(tableAfter(html, '二、维修配件')).toEqual([
      '序号|配件编号|配件名称|数量|单价|金额',
      '1|OIL-5W30|全合成机油 5W-30（1L）|4|¥88.50|¥354.00',
      '2|FLT-001|机油滤清器|1|¥58.00|¥58.00',
      '配件费合计|¥412.00',
    ]);
    expect(tableAfter(html, '三、结算金额')).toEqual([
      '工时费|¥486.00', '配件费|¥412.00', '应付合计（小写）|¥898.00', '应付合计（大写）|人民币捌佰玖拾捌元整',
    ]);
  });

  it('a sales advisor cannot print another advisor\'s order', async () => {
    const r = await call('sa2', 'GET', `/api/records/vehicle_order/${id.order}/print/sales_contract`);
    expect(r.status).toBe(404);
    expect(r.body.error.code).toBe('not_found');
    // and a service advisor may not read orders at all
    expect((await call('svc', 'GET', `/api/records/vehicle_order/${id.order}/print/sales_contract`)).status).toBe(403);
  });
});
