/**
 * `loadDemoData`: a small store (about 100 records), deterministic from a seed, written through
 * the engine's RecordService (the only door to record tables), so every rule, autonumber and
 * rollup applies. Loaded only when the database holds no records. Used by tests.
 * The full generator — a year of a store, and
 * up to a million orders for benchmarks — is `generator.js` (`formwork demo`, `serve --demo`).
 */

import { prng, makeVin } from './generator.js';

export { makeVin };

const SYSTEM = { userId: null, username: 'system', roles: ['admin'], departmentId: null, isAdmin: true, isSystem: true };

const SURNAMES = ['王', '李', '张', '刘', '陈', '杨', '赵', '黄', '周', '吴', '徐', '孙', '胡', '朱', '高', '林', '何', '郭', '马', '罗'];
const GIVEN = ['伟', '芳', '娜', '敏', '静', '丽', '强', '磊', '军', '洋', '勇', '艳', '杰', '娟', '涛', '明', '超', '秀英', '霞', '平', '刚', '桂英', '晨', '宇轩', '子涵'];
const MODELS = [
  { code: 'PST-330', brand: '大众', series: '帕萨特', name: '2026款 330TSI 精英版', list_price: 219900, cost_price: 198000 },
  { code: 'PST-380', brand: '大众', series: '帕萨特', name: '2026款 380TSI 旗舰版', list_price: 259900, cost_price: 236000 },
  { code: 'TRQ-280', brand: '大众', series: '途观L', name: '2026款 280TSI 两驱', list_price: 215800, cost_price: 196500 },
  { code: 'ID4-PRO', brand: '大众', series: 'ID.4', name: '2026款 Pro 长续航', list_price: 199900, cost_price: 186000 },
  { code: 'LVD-200', brand: '大众', series: '朗逸', name: '2026款 1.5L 舒适版', list_price: 121900, cost_price: 109500 },
];
const COLORS = ['极地白', '曜岩黑', '星空灰', '天青蓝', '宝石红'];
const SOURCES = ['showroom', 'phone', 'online', 'auto_show', 'outreach', 'referral', 'trade_in', 'repurchase'];
const LEVELS = ['n', 'h', 'a', 'b', 'c'];

function isoDate(d) {
  return d.toISOString().slice(0, 10);
}

export async function loadDemoData(engine, { seed = 20261125, customers = 40 } = {}) {
  const r = engine.records;
  const existing = await r.list(SYSTEM, 'customer', { pageSize: 1 });
  if (existing.total > 0) return 0;
  const random = prng(seed);
  const pick = (list) => list[Math.floor(random() * list.length)];
  const today = new Date();
  const daysAgo = (n) => isoDate(new Date(today.getTime() - n * 86400_000));
  let n = 0;

  const models = [];
  for (const m of MODELS) {
    models.push(await r.create(SYSTEM, 'vehicle_model', m));
    n++;
  }
  const vehicles = [];
  for (let i = 0; i < 24; i++) {
    const model = pick(models);
    vehicles.push(await r.create(SYSTEM, 'vehicle', {
      vin: makeVin(random), model: model.id, color: pick(COLORS), in_stock_date: daysAgo(Math.floor(random() * 120)),
      cost: model.cost_price, status: 'in_stock',
    }));
    n++;
  }
  const people = [];
  const phones = new Set();
  for (let i = 0; i < customers; i++) {
    let phone;
    do phone = `1${pick(['3', '5', '7', '8', '9'])}${String(Math.floor(random() * 1e9)).padStart(9, '0')}`; while (phones.has(phone));
    phones.add(phone);
    people.push(await r.create(SYSTEM, 'customer', {
      name: pick(SURNAMES) + pick(GIVEN), phone, gender: pick(['male', 'female']), source: pick(SOURCES),
      level: pick(LEVELS), intended_model: pick(models).id, budget: Math.round(100000 + random() * 200000),
      next_follow_up: daysAgo(-Math.floor(random() * 30)), tags: random() < 0.15 ? ['vip'] : [],
    }));
    n++;
  }
  for (let i = 0; i < 12; i++) {
    const customer = people[i];
    const model = pick(models);
    const discount = Math.round(model.list_price * random() * 0.1);
    const order = await r.create(SYSTEM, 'vehicle_order', {
      customer: customer.id, model: model.id, color: pick(COLORS), list_price: model.list_price, discount,
      order_date: daysAgo(Math.floor(random() * 60)),
      accessories: random() < 0.5 ? [{ item: '全车脚垫', qty: 1, price: 680 }, { item: '隐形车衣', qty: 1, price: 5800 }] : [],
    });
    n++;
    await r.create(SYSTEM, 'payment', { order: order.id, kind: 'deposit', amount: 5000, paid_at: order.order_date });
    n++;
  }
  return n;
}
