/**
 * The demo data generator: a believable Chinese car dealer, deterministic from a seed.
 *
 *   generateDemo(engine, { seed, scale, today, onProgress })
 *
 * `scale` is the number of vehicle orders (default 400: about a year of one store, some
 * thousands of customers); up to 1,000,000 for benchmarks. Everything else follows from it:
 *
 * | what | default (400 orders) | per order beyond the default |
 * |---|---|---|
 * | customers (Chinese names, unique mainland mobiles, sources, levels, tags) | 3,000 | 1.5 |
 * | follow-ups | 1–5 per customer (~8,000) | — (the same ~3,000 customers keep full histories) |
 * | vehicles sold (VINs with valid ISO 3779 check digits) | one per allocated/paid/delivered order | same |
 * | vehicles in stock (ages spread over 0–45, 46–90, >90 days) | 80 | 0.02 |
 * | payments (deposit, then final; sometimes a loan instalment) | ~2 per order | same |
 * | owned vehicles (plates, insurance expiry, next service) | delivered orders + earlier cars of trade-in/repurchase customers | delivered orders |
 * | repair orders (labour and parts rows) | 1,200 | 0.05 |
 * | parts (stock and safety stock) | 120 | — |
 * | staff users (password DEMO_PASSWORD) | 14 | more advisors: one per 5,000 orders, up to 200 |
 *
 * Same seed and scale → the same data (records, owners, dates relative to `today`); `today`
 * ('YYYY-MM-DD', default the current date) anchors the year. Each record's values come from its
 * own PRNG stream (seed, kind, index), so batch sizes and phase order never change the data.
 *
 * Writes go through RecordService.createManyIn (rules, computed values, autonumbers, rollups,
 * audit, outbox; multi-row statements) in transactions of about `batchSize` records (2,000). History is written `silent` and its events
 * are marked dispatched in the same transaction: it already happened, so no workflow starts for
 * it, and every field an automation would have maintained (customer level, order status, vehicle
 * status, owned vehicles of delivered orders) is set by the generator, consistently. Date
 * triggers (insurance renewal, service reminder, overdue follow-ups) are reconciled by the
 * server from the records at start-up. A few recent records are written live (`live: true`, the
 * default) so a demo opens with work in the inbox: orders awaiting discount approval, an order
 * to allocate, new web leads to assign.
 */

/** The password of every demo staff user (documented in the README and printed by the CLI). */
export const DEMO_PASSWORD = 'formwork-demo';
export const DEFAULT_SEED = 20261125;
export const DEFAULT_ORDERS = 400;
export const MAX_ORDERS = 1_000_000;

const SYSTEM = { userId: null, username: 'system', roles: ['admin'], departmentId: null, isAdmin: true, isSystem: true };

// ---------------------------------------------------------------- random

/** mulberry32: a tiny deterministic PRNG (the one PRNG of the demo data and the benchmarks). */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function mix32(h) {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** The PRNG of one record: (seed, kind, index) → its own stream. */
function streamOf(seed, kind, i) {
  return prng(mix32(mix32(mix32(seed >>> 0) ^ Math.imul(kind, 0x9e3779b1)) ^ (i >>> 0)));
}

class Dice {
  constructor(random) {
    this.random = random;
  }
  int(lo, hi) {
    return lo + Math.floor(this.random() * (hi - lo + 1));
  }
  pick(list) {
    return list[Math.floor(this.random() * list.length)];
  }
  chance(p) {
    return this.random() < p;
  }
  /** list of [value, weight] */
  weighted(list) {
    let total = 0;
    for (const [, w] of list) total += w;
    let x = this.random() * total;
    for (const [v, w] of list) {
      if (x < w) return v;
      x -= w;
    }
    return list[list.length - 1][0];
  }
}

const dice = (seed, kind, i) => new Dice(streamOf(seed, kind, i));
const K = { user: 1, customer: 2, order: 3, followUp: 4, stock: 5, ownedOld: 6, repair: 7, part: 8, phone: 9, plate: 10, live: 11 };

// ---------------------------------------------------------------- check digits

const VIN_CHARS = '0123456789ABCDEFGHJKLMNPRSTUVWXYZ';
const VIN_VALUES = { A: 1, B: 2, C: 3, D: 4, E: 5, F: 6, G: 7, H: 8, J: 1, K: 2, L: 3, M: 4, N: 5, P: 7, R: 9, S: 2, T: 3, U: 4, V: 5, W: 6, X: 7, Y: 8, Z: 9 };
const VIN_WEIGHTS = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2];

/** The ISO 3779 check digit (9th character) of a 17-character VIN. */
export function vinCheckDigit(vin) {
  let sum = 0;
  for (let i = 0; i < 17; i++) {
    const c = vin[i];
    sum += (c >= '0' && c <= '9' ? c.charCodeAt(0) - 48 : VIN_VALUES[c]) * VIN_WEIGHTS[i];
  }
  return '0123456789X'[sum % 11];
}

/** A random VIN with a valid ISO 3779 check digit. */
export function makeVin(random, wmi = 'LSV') {
  const vin = (wmi + Array.from({ length: 14 }, () => VIN_CHARS[Math.floor(random() * VIN_CHARS.length)]).join('')).split('');
  vin[8] = '0';
  vin[8] = vinCheckDigit(vin);
  return vin.join('');
}

/** Model year codes (10th character). */
const YEAR_CODE = { 2019: 'K', 2020: 'L', 2021: 'M', 2022: 'N', 2023: 'P', 2024: 'R', 2025: 'S', 2026: 'T', 2027: 'V', 2028: 'W', 2029: 'X', 2030: 'Y' };
const PLANTS = 'ABCDEFGHJKLMNPRSTUVWXYZ123456789';

/**
 * The VIN of vehicle number `n` of a model: unique per (model, n) for n < 32 million (plant =
 * n ÷ 1,000,000; serial a permutation of n mod 1,000,000). Sold vehicles are numbered by
 * order (0…), stock from 1,000,000, earlier owners' cars from 2,000,000.
 */
function vinOf(model, n, year) {
  const serial = String((n % 1_000_000) * 7919 % 1_000_000 + 0).padStart(6, '0');
  const plant = PLANTS[Math.floor(n / 1_000_000) % PLANTS.length];
  const vin = (model.wmi + model.vds + '0' + (YEAR_CODE[year] ?? 'T') + plant + serial).split('');
  vin[8] = vinCheckDigit(vin);
  return vin.join('');
}

const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/** An 18-digit resident ID number with its check character. */
function idNumber(region, birth, seq, male) {
  const s3 = seq - (seq % 2) + (male ? 1 : 0);
  const body = region + birth.replace(/-/g, '') + String(s3).padStart(3, '0');
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(body[i]) * ID_WEIGHTS[i];
  return body + '10X98765432'[sum % 11];
}

// ---------------------------------------------------------------- dates

const DAY = 86_400_000;
function dayNumber(iso) {
  const [y, m, d] = iso.split('-').map(Number);
  return Math.floor(Date.UTC(y, m - 1, d) / DAY);
}
function isoOf(day) {
  return new Date(day * DAY).toISOString().slice(0, 10);
}
/** A moment on `day` at hh:mm Beijing time, as ISO 8601 UTC. */
function datetimeOf(day, hh, mm) {
  return new Date(day * DAY + ((hh - 8) * 60 + mm) * 60_000).toISOString().replace(/\.\d{3}Z$/, '.000Z');
}
function todayIso() {
  const d = new Date(Date.now() + 8 * 3_600_000); // the store's day (Asia/Shanghai)
  return d.toISOString().slice(0, 10);
}

/** Car sales by calendar month: the Spring Festival rush, a February dip, 金九银十, the year-end push. */
const MONTH_WEIGHT = [1.25, 0.7, 1.0, 0.95, 1.0, 1.05, 0.85, 0.9, 1.1, 1.15, 1.05, 1.3];

/** Days of the year (today − 364 … today) with seasonal weights; `at(u)` maps u ∈ [0,1) to a day. */
function seasonalYear(today) {
  const first = today - 364;
  const cdf = new Float64Array(365);
  let acc = 0;
  for (let i = 0; i < 365; i++) {
    const month = new Date((first + i) * DAY).getUTCMonth();
    // weekends are busier in a showroom
    const dow = new Date((first + i) * DAY).getUTCDay();
    acc += MONTH_WEIGHT[month] * (dow === 0 || dow === 6 ? 1.5 : 1);
    cdf[i] = acc;
  }
  for (let i = 0; i < 365; i++) cdf[i] /= acc;
  return {
    first,
    at(u) {
      let lo = 0;
      let hi = 364;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (cdf[mid] < u) lo = mid + 1;
        else hi = mid;
      }
      return first + lo;
    },
  };
}

// ---------------------------------------------------------------- the store's world

export const MODELS = [
  { code: 'LVD-15', brand: '大众', series: '朗逸', name: '2026款 1.5L 自动舒适版', list_price: 121900, cost_price: 109500, wmi: 'LSV', vds: 'AB2C3', weight: 30, ev: false, rate: 180 },
  { code: 'PST-330', brand: '大众', series: '帕萨特', name: '2026款 330TSI 精英版', list_price: 219900, cost_price: 198000, wmi: 'LSV', vds: 'CD4E5', weight: 18, ev: false, rate: 260 },
  { code: 'TRQ-280', brand: '大众', series: '途观L', name: '2026款 280TSI 自动两驱', list_price: 215800, cost_price: 196500, wmi: 'LSV', vds: 'UF6G7', weight: 20, ev: false, rate: 260 },
  { code: 'ID4X-PRO', brand: '大众', series: 'ID.4 X', name: '2026款 Pro 长续航', list_price: 199900, cost_price: 186000, wmi: 'LSV', vds: 'EH8J9', weight: 10, ev: true, rate: 220 },
  { code: 'CMR-20G', brand: '丰田', series: '凯美瑞', name: '2026款 2.0G 豪华版', list_price: 179800, cost_price: 163000, wmi: 'LVG', vds: 'BK1L2', weight: 14, ev: false, rate: 240 },
  { code: 'HAN-EV605', brand: '比亚迪', series: '汉', name: '2026款 EV 605km 尊贵型', list_price: 209800, cost_price: 192000, wmi: 'LGX', vds: 'CM3N4', weight: 8, ev: true, rate: 200 },
];
const MODEL_WEIGHTS = MODELS.map((m, i) => [i, m.weight]);
const COLORS = [['极地白', 30], ['曜岩黑', 24], ['星空灰', 18], ['天青蓝', 10], ['宝石红', 8], ['香槟金', 6], ['薄荷绿', 4]];

const SURNAMES = [
  ['王', 72], ['李', 71], ['张', 68], ['刘', 52], ['陈', 46], ['杨', 33], ['黄', 25], ['赵', 21], ['吴', 20], ['周', 19],
  ['徐', 15], ['孙', 15], ['马', 14], ['朱', 13], ['胡', 12], ['郭', 12], ['何', 11], ['高', 10], ['林', 10], ['罗', 9],
  ['郑', 9], ['梁', 8], ['谢', 7], ['宋', 6], ['唐', 6], ['许', 6], ['韩', 6], ['冯', 6], ['邓', 5], ['曹', 5],
  ['彭', 5], ['曾', 5], ['肖', 5], ['田', 5], ['董', 5], ['袁', 4], ['潘', 4], ['于', 4], ['蒋', 4], ['蔡', 4],
  ['余', 4], ['杜', 4], ['叶', 4], ['程', 4], ['苏', 3], ['魏', 3], ['吕', 3], ['丁', 3], ['任', 3], ['沈', 3],
  ['姚', 3], ['卢', 3], ['姜', 3], ['崔', 3], ['钟', 3], ['谭', 3], ['陆', 3], ['汪', 3], ['范', 3], ['金', 3],
  ['石', 3], ['廖', 3], ['贾', 3], ['夏', 3], ['韦', 2], ['方', 2], ['白', 2], ['邹', 2], ['孟', 2], ['熊', 2],
  ['秦', 2], ['邱', 2], ['江', 2], ['尹', 2], ['薛', 2], ['闫', 2], ['段', 2], ['雷', 2], ['侯', 2], ['龙', 2],
  ['欧阳', 1], ['司马', 0.3], ['上官', 0.3], ['诸葛', 0.2],
];
const GIVEN_MALE = '伟强磊军洋勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆帅旭宁龙林博文睿轩晨阳子豪泽瑞峰建国志刚海东亮'.split('');
const GIVEN_FEMALE = '芳娜敏静丽艳娟霞秀英婷玉兰桂萍红梅琳雪颖慧佳欣怡涵然悦蕾晶倩璐薇婧思雨梦瑶丹妍'.split('');
const COMPANY_WORDS = ['华信', '中科', '恒通', '博远', '鼎盛', '京北', '远航', '星河', '瑞丰', '金桥', '同创', '汇通'];
const COMPANY_KINDS = ['科技有限公司', '物流有限公司', '建设工程有限公司', '商贸有限公司', '汽车租赁有限公司', '文化传媒有限公司'];
/** Mainland mobile prefixes in use (三大运营商 and virtual operators). */
const MOBILE_PREFIXES = [
  ['139', 6], ['138', 6], ['137', 5], ['136', 5], ['135', 5], ['134', 3], ['150', 4], ['151', 4], ['152', 3], ['157', 2], ['158', 4], ['159', 4],
  ['182', 3], ['183', 3], ['184', 1], ['187', 3], ['188', 3], ['178', 2], ['147', 1], ['198', 2],
  ['130', 3], ['131', 3], ['132', 3], ['155', 3], ['156', 3], ['185', 3], ['186', 4], ['176', 2], ['166', 2], ['145', 1],
  ['133', 2], ['153', 2], ['180', 3], ['181', 2], ['189', 3], ['177', 2], ['173', 2], ['199', 2], ['191', 1], ['193', 1], ['195', 1], ['196', 1], ['170', 0.5], ['171', 0.5],
];
const SOURCES = [['showroom', 30], ['online', 28], ['phone', 12], ['referral', 8], ['outreach', 7], ['trade_in', 6], ['auto_show', 5], ['repurchase', 4]];
/** Regions of ID numbers: Beijing districts and nearby Hebei. */
const REGIONS = [['110105', 20], ['110108', 14], ['110106', 8], ['110102', 6], ['110114', 8], ['110115', 6], ['110112', 6], ['130102', 3], ['130602', 3], ['131002', 4], ['370102', 1], ['410105', 1]];
const PLATE_AREAS = [['京', 'A', 4], ['京', 'N', 4], ['京', 'Q', 4], ['京', 'P', 3], ['京', 'E', 2], ['京', 'F', 2], ['京', 'H', 2], ['京', 'J', 2], ['京', 'K', 2], ['京', 'L', 1], ['京', 'M', 1], ['冀', 'R', 1.5], ['冀', 'F', 0.8], ['冀', 'A', 0.4]];
const PLATE_LETTERS = 'ABCDEFGHJKLMNPQRSTUVWXYZ';
const LOST_REASONS = ['价格没谈拢', '购买了竞品（比亚迪）', '购买了竞品（特斯拉）', '贷款未获批', '暂不购车', '家人意见不一致', '异地购车', '提车周期太长'];
const FOLLOW_UP_SUMMARIES = {
  visit: ['客户到店看车，试驾{series}，对空间和配置满意，关注落地价。', '客户带家人到店，重点了解{series}的油耗/续航和保养费用。', '到店复看，比较了{series}两个配置，倾向高配。'],
  invited_visit: ['邀约到店试驾{series}，试驾体验良好，报价后客户考虑中。', '邀约周末到店参加团购活动，客户确认到店。', '邀约到店谈价，客户希望再多送精品。'],
  phone: ['电话回访，客户仍在对比{series}和竞品，约定周末再联系。', '电话沟通金融方案（首付三成、36期），客户有兴趣。', '电话告知本月促销政策，客户表示会考虑。', '客户电话询问现车颜色和提车时间。'],
  online: ['微信发送{series}配置表和报价单，客户已读。', '汽车之家询价客户，微信沟通置换补贴政策。', '线上咨询续航/油耗，发送车主口碑视频。'],
  sms: ['短信发送店内周末活动邀请。', '短信提醒客户试驾预约时间。'],
  other: ['车展现场留资，简单介绍{series}。', '老客户转介绍，先加微信了解需求。'],
};
const FOLLOW_UP_METHODS = [['phone', 34], ['online', 22], ['visit', 16], ['invited_visit', 16], ['sms', 6], ['other', 6]];
const ACCESSORIES = [
  ['全车脚垫', 680, 30], ['隐形车衣', 5800, 10], ['前挡防爆膜', 1800, 22], ['全车贴膜', 3200, 14], ['行车记录仪', 1200, 18],
  ['360全景影像', 3500, 6], ['真皮座椅套', 1500, 6], ['迎宾踏板', 900, 5], ['挡泥板', 300, 8], ['后备箱垫', 380, 12], ['充电桩安装', 2000, 0],
];
const COMPLAINTS = [
  ['首次保养', 'first'], ['常规保养（换机油机滤）', 'service'], ['常规保养', 'service'], ['刹车有异响', 'brake'], ['空调不凉，有异味', 'ac'],
  ['发动机故障灯亮', 'engine'], ['左前门漆面剐蹭，钣喷', 'body'], ['更换轮胎（补胎无效）', 'tyre'], ['雨刮刮不干净', 'wiper'], ['电瓶亏电，打不着火', 'battery'],
];
const LABOR = {
  first: [['首保工时', 1.0]], service: [['保养工时', 1.0], ['四轮定位', 0.8]], brake: [['检查制动系统', 0.5], ['更换刹车片', 1.2]],
  ac: [['空调系统检测', 0.5], ['清洗蒸发箱', 1.0]], engine: [['故障诊断', 1.0], ['更换点火线圈', 0.8]], body: [['钣金', 2.5], ['喷漆', 3.0]],
  tyre: [['拆装轮胎', 0.6], ['动平衡', 0.4]], wiper: [['更换雨刮', 0.2]], battery: [['蓄电池检测', 0.3], ['更换蓄电池', 0.5]],
};
const PART_KINDS = [
  // [name, kind tag, price, typical stock, safety]
  ['机油滤清器', 'first', 68, 120, 40], ['空气滤清器', 'service', 98, 80, 25], ['空调滤芯', 'ac', 128, 80, 25], ['全合成机油 5W-30 4L', 'service', 458, 150, 50],
  ['前刹车片', 'brake', 680, 30, 10], ['后刹车片', 'brake', 520, 30, 10], ['刹车盘（前）', 'brake', 980, 12, 4], ['火花塞', 'engine', 85, 100, 32],
  ['点火线圈', 'engine', 420, 16, 6], ['雨刮片（一对）', 'wiper', 198, 60, 20], ['蓄电池 60Ah', 'battery', 880, 18, 6], ['轮胎 225/45R17', 'tyre', 850, 24, 8],
  ['轮胎 235/55R18', 'tyre', 1080, 24, 8], ['蒸发箱清洗剂', 'ac', 120, 40, 12], ['左前门外板', 'body', 1850, 4, 1], ['面漆（每幅）', 'body', 600, 30, 10],
  ['前保险杠', 'body', 1350, 5, 2], ['雾灯总成', 'body', 560, 8, 3], ['冷却液 4L', 'service', 160, 60, 20], ['制动液 1L', 'brake', 95, 50, 15],
];

// ---------------------------------------------------------------- staff

const STAFF = [
  { username: 'wangjianguo', displayName: '王建国', role: 'general_manager', dept: 'store' },
  { username: 'liuyang', displayName: '刘洋', role: 'sales_manager', dept: 'sales' },
  { username: 'zhangwei', displayName: '张伟', role: 'sales_advisor', dept: 'sales', weight: 1.45 },
  { username: 'lina', displayName: '李娜', role: 'sales_advisor', dept: 'sales', weight: 1.25 },
  { username: 'chenjing', displayName: '陈静', role: 'sales_advisor', dept: 'sales', weight: 1.05 },
  { username: 'yangfan', displayName: '杨帆', role: 'sales_advisor', dept: 'sales', weight: 0.95 },
  { username: 'zhaolei', displayName: '赵磊', role: 'sales_advisor', dept: 'sales', weight: 0.8 },
  { username: 'huangting', displayName: '黄婷', role: 'sales_advisor', dept: 'sales', weight: 0.6 },
  { username: 'zhoujun', displayName: '周军', role: 'stock_keeper', dept: 'sales' },
  { username: 'wuli', displayName: '吴丽', role: 'finance', dept: 'finance' },
  { username: 'xuqiang', displayName: '徐强', role: 'service_advisor', dept: 'service' },
  { username: 'sunyan', displayName: '孙艳', role: 'service_advisor', dept: 'service' },
  { username: 'mahui', displayName: '马辉', role: 'technician', dept: 'service' },
  { username: 'zhuming', displayName: '朱明', role: 'technician', dept: 'service' },
];
const DEPARTMENTS = [
  { key: 'demo_store', name: '星辰汽车北京朝阳4S店', kind: 'store', slot: 'store' },
  { key: 'demo_sales', name: '销售部', kind: 'department', slot: 'sales' },
  { key: 'demo_service', name: '售后服务部', kind: 'department', slot: 'service' },
  { key: 'demo_finance', name: '财务部', kind: 'department', slot: 'finance' },
];

/** The staff of the store (departments and users, created if missing), with record owners by role. */
async function ensureStaff(engine, seed, advisorsWanted) {
  const depts = {};
  const existing = await engine.departments.list();
  for (const d of DEPARTMENTS) {
    const found = existing.find((x) => x.key === d.key);
    depts[d.slot] = found ?? await engine.departments.create({ key: d.key, name: d.name, kind: d.kind, parent: d.slot === 'store' ? null : depts.store.id });
  }
  const staff = [...STAFF];
  const extra = new Dice(streamOf(seed, K.user, 0));
  for (let i = staff.filter((s) => s.role === 'sales_advisor').length; i < advisorsWanted; i++) {
    const male = extra.chance(0.55);
    staff.push({
      username: `advisor${String(i + 1).padStart(3, '0')}`,
      displayName: extra.weighted(SURNAMES) + extra.pick(male ? GIVEN_MALE : GIVEN_FEMALE) + (extra.chance(0.6) ? extra.pick(male ? GIVEN_MALE : GIVEN_FEMALE) : ''),
      role: 'sales_advisor', dept: 'sales', weight: 0.6 + extra.random() * 0.9, noPassword: true,
    });
  }
  const users = await engine.users.list();
  const out = [];
  for (const s of staff) {
    let u = users.find((x) => x.username === s.username);
    if (!u) {
      u = await engine.users.create({
        username: s.username, displayName: s.displayName, roles: [s.role], department: depts[s.dept].id,
        password: s.noPassword ? undefined : DEMO_PASSWORD,
      });
    }
    out.push({ ...s, id: u.id, deptId: u.department ?? depts[s.dept].id });
  }
  const byRole = (r) => out.filter((s) => s.role === r);
  return { all: out, byRole, advisors: byRole('sales_advisor'), depts };
}

// ---------------------------------------------------------------- sizes

/** How many of each thing a scale (number of orders) gives. */
export function demoPlan(orders = DEFAULT_ORDERS) {
  const n = Math.max(1, Math.min(MAX_ORDERS, Math.floor(orders)));
  const base = Math.min(n, DEFAULT_ORDERS);
  const extra = n - base;
  return {
    orders: n,
    customers: Math.round(base * 7.5 + extra * 1.5),
    // customers with full follow-up histories (the rest at scale: one follow-up for every other)
    fullFollowUpCustomers: Math.round(base * 7.5),
    stock: Math.max(12, Math.round(base * 0.2 + extra * 0.02)),
    repairOrders: Math.round(base * 3 + extra * 0.05),
    parts: 120,
    advisors: Math.max(6, Math.min(200, Math.ceil(n / 5000))),
  };
}

// ---------------------------------------------------------------- the generator

/**
 * Write a demo dealer into an engine whose database has the dealership pack installed.
 * Returns `{ records, counts, seconds, users, password }`.
 */
export async function generateDemo(engine, opts = {}) {
  const seed = (opts.seed ?? DEFAULT_SEED) >>> 0;
  const plan = demoPlan(opts.orders ?? opts.scale ?? DEFAULT_ORDERS);
  const batchSize = opts.batchSize ?? 2000;
  const live = opts.live ?? true;
  const onProgress = opts.onProgress ?? (() => {});
  const today = dayNumber(opts.today ?? todayIso());
  const year = seasonalYear(today);
  const knex = engine.db.knex;
  const records = engine.records;
  const started = Date.now();
  const counts = {};
  let written = 0;

  await engine.forms.all(); // fresh form cache (createIn peeks it inside transactions)
  const staff = await ensureStaff(engine, seed, plan.advisors);
  const advisorWeights = staff.advisors.map((a, i) => [i, a.weight ?? 1]);
  const one = (role) => staff.byRole(role)[0];
  const stockKeeper = one('stock_keeper');
  const finance = one('finance');
  const serviceAdvisors = staff.byRole('service_advisor');

  const C = plan.customers;
  const N = plan.orders;

  // -------- per-record facts, pure functions of (seed, index)

  /** Customer j: first contact day, owner, source (cheap: orders need it). */
  const custCore = (j) => {
    const d = dice(seed, K.customer, j);
    const firstDay = year.at((j + d.random()) / C);
    const advisor = staff.advisors[d.weighted(advisorWeights)];
    const source = d.weighted(SOURCES);
    return { d, firstDay, advisor, source };
  };
  /** The customer of order i (orders spread evenly over the customers, so they follow the year). */
  const customerOfOrder = (i) => Math.min(C - 1, Math.floor(((i + 0.5) * C) / N));
  const orderOfCustomer = (j) => {
    const i = Math.ceil((j * N) / C - 0.5);
    return i >= 0 && i < N && customerOfOrder(i) === j ? i : -1;
  };

  const orderCore = (i) => {
    const d = dice(seed, K.order, i);
    const j = customerOfOrder(i);
    const cust = custCore(j);
    const model = MODELS[d.weighted(MODEL_WEIGHTS)];
    const day = Math.min(today, cust.firstDay + Math.floor(d.random() ** 2 * 45));
    const age = today - day;
    // discounts: mostly within 3 % (approved at once), some to 8 % (sales manager), a few above
    const band = d.weighted([[0, 62], [1, 31], [2, 7]]);
    const rate = band === 0 ? d.random() * 0.03 : band === 1 ? 0.03 + d.random() * 0.05 : 0.08 + d.random() * 0.05;
    const discount = Math.round((model.list_price * rate) / 100) * 100;
    let status;
    if (band === 2 && d.chance(0.3)) status = 'rejected';
    else if (d.chance(0.04)) status = 'cancelled';
    else if (age > 30) status = 'delivered';
    else if (age > 15) status = d.weighted([['delivered', 70], ['paid', 20], ['allocated', 10]]);
    else if (age > 6) status = d.weighted([['delivered', 30], ['paid', 40], ['allocated', 30]]);
    else status = d.weighted([['approved', 40], ['allocated', 40], ['paid', 20]]);
    const deliveryDay = status === 'delivered' ? Math.min(today, day + d.int(5, Math.min(30, Math.max(5, age)))) : null;
    const accessories = [];
    if (d.chance(0.65)) {
      const n = d.int(1, 4);
      const seen = new Set();
      for (let k = 0; k < n; k++) {
        const [item, price] = d.weighted(ACCESSORIES.filter((a) => !seen.has(a[0]) && (a[0] !== '充电桩安装' || model.ev)).map((a) => [a, a[2] || 20]));
        seen.add(item);
        accessories.push({ item, qty: 1, price });
      }
    }
    const accessoriesTotal = accessories.reduce((s, a) => s + a.qty * a.price, 0);
    const total = model.list_price - discount + accessoriesTotal;
    const color = d.weighted(COLORS);
    const deposit = d.pick([5000, 10000, 10000, 20000, 30000]);
    const loan = d.chance(0.35);
    return { i, j, d, cust, model, day, age, discount, status, deliveryDay, accessories, total, color, deposit, loan };
  };

  // -------- batches

  const progress = (phase, done, total) => onProgress({ phase, done, total, records: written, seconds: (Date.now() - started) / 1000 });

  /**
   * Items 0..count-1 in slices of about `batchSize` records (an item writes `perItem` records on
   * average), one transaction per slice. `write(slice, add)` gets the slice's indexes and
   * `add(form, entries)`, which writes entries `{ values, owner }` with RecordService.createManyIn
   * (a few multi-row statements per form) and returns the created records in order. The slice's
   * own events are marked dispatched in the same transaction.
   */
  const inBatches = async (phase, count, perItem, write) => {
    const step = Math.max(1, Math.round(batchSize / Math.max(perItem, 1e-3)));
    progress(phase, 0, count);
    for (let i = 0; i < count; i += step) {
      const slice = [];
      for (let k = i; k < Math.min(count, i + step); k++) slice.push(k);
      await knex.transaction(async (trx) => {
        const since = Number((await trx('fw_outbox').max({ m: 'id' }).first())?.m ?? 0);
        const created = new Map();
        const add = async (form, entries) => {
          if (!entries.length) return [];
          const recs = await records.createManyIn(trx, SYSTEM, form, entries.map((e) => ({
            input: e.values,
            opts: { silent: true, owner: e.owner ? e.owner.id : null, dept: e.owner ? e.owner.deptId : null },
          })));
          let list = created.get(form);
          if (!list) created.set(form, (list = []));
          for (const r of recs) list.push(r.id);
          counts[form] = (counts[form] ?? 0) + recs.length;
          written += recs.length;
          return recs;
        };
        await write(slice, add);
        await markDispatched(trx, since, created);
      });
      progress(phase, Math.min(count, i + step), count);
    }
  };

  /** The batch's events (after outbox id `since`, of the records it created) are history: dispatched. */
  const markDispatched = async (trx, since, created) => {
    const at = new Date().toISOString();
    for (const [form, ids] of created) {
      for (let k = 0; k < ids.length; k += 500) {
        await trx('fw_outbox').where('id', '>', since).whereNull('processed_at').where('form', form).whereIn('record_id', ids.slice(k, k + 500)).update({ processed_at: at });
      }
    }
  };

  // -------- phones and plates: unique, deterministic (drawn in index order)

  const phones = new Set();
  const phoneFor = (kind, j) => {
    const d = dice(seed, K.phone, kind * 0x1000000 + j);
    for (;;) {
      const p = d.weighted(MOBILE_PREFIXES) + String(Math.floor(d.random() * 1e8)).padStart(8, '0');
      if (!phones.has(p)) {
        phones.add(p);
        return p;
      }
    }
  };
  const plates = new Set();
  const plateFor = (n, ev) => {
    const d = dice(seed, K.plate, n);
    for (;;) {
      const [prov, area] = d.weighted(PLATE_AREAS.map((a) => [a, a[2]]));
      let tail;
      if (ev) tail = d.pick(['D', 'F']) + String(d.int(0, 99999)).padStart(5, '0');
      else {
        const chars = [];
        for (let k = 0; k < 5; k++) chars.push(d.chance(k < 2 ? 0.18 : 0.05) ? d.pick(PLATE_LETTERS) : String(d.int(0, 9)));
        tail = chars.join('');
      }
      const p = prov + area + tail;
      if (!plates.has(p)) {
        plates.add(p);
        return p;
      }
    }
  };

  // -------- 1. catalogue: models and parts

  const modelIds = [];
  const partList = [];
  await inBatches('catalogue', 1, MODELS.length + plan.parts, async (_, add) => {
    const models = await add('vehicle_model', MODELS.map(({ code, brand, series, name, list_price, cost_price }) => ({
      values: { code, brand, series, name, list_price, cost_price }, owner: stockKeeper,
    })));
    models.forEach((r, i) => (modelIds[i] = r.id));
    const parts = [];
    for (let k = 0; k < plan.parts; k++) {
      const d = dice(seed, K.part, k);
      const model = MODELS[k % MODELS.length];
      const [pname, kind, price, stock, safety] = PART_KINDS[Math.floor(k / MODELS.length) % PART_KINDS.length];
      const code = `${model.code.split('-')[0]}-${String(1000 + k * 7).padStart(5, '0')}`;
      const stockQty = d.chance(0.12) ? d.int(0, safety - 1) : d.int(safety, stock * 1.5);
      parts.push({
        kind, model: k % MODELS.length, owner: serviceAdvisors[0],
        values: { code, name: `${pname}（${model.series}）`, stock_qty: stockQty, safety_stock: safety, price: Math.round(price * (model.list_price > 200000 ? 1.2 : 1)) },
      });
    }
    (await add('part', parts)).forEach((rec, k) => partList.push({ id: rec.id, kind: parts[k].kind, price: rec.price, model: parts[k].model }));
  });

  // -------- 2. vehicles in stock (unsold)

  await inBatches('stock', plan.stock, 1, (slice, add) => add('vehicle', slice.map((k) => {
    const d = dice(seed, K.stock, k);
    const m = d.weighted(MODEL_WEIGHTS);
    const model = MODELS[m];
    // the first three are in stock, one in each of the stock-ageing report's buckets
    const status = k < 3 ? 'in_stock' : d.weighted([['in_stock', 82], ['in_transit', 8], ['demo', 7], ['transferring', 3]]);
    // ages: most fresh, a tail over 45 and over 90 days
    const age = status === 'in_transit' ? null : k < 3 ? k : d.weighted([[0, 58], [1, 27], [2, 15]]);
    const ageDays = age === null ? null : age === 0 ? d.int(0, 45) : age === 1 ? d.int(46, 90) : d.int(91, 200);
    const inDay = ageDays === null ? null : today - ageDays;
    return {
      owner: stockKeeper,
      values: {
        vin: vinOf(model, 1_000_000 + k, inDay !== null && ageDays > 120 ? 2025 : 2026), model: modelIds[m], color: d.weighted(COLORS),
        in_stock_date: inDay === null ? null : isoOf(inDay), cost: model.cost_price - d.int(0, 30) * 100, status,
      },
    };
  })));

  // -------- 3. customers

  const customerIds = new Int32Array(C);
  const customerOwner = new Uint16Array(C);
  /** The whole customer: identity, and the state its follow-ups and order left it in. */
  const customerOf = (j) => {
    const core = custCore(j);
    const { d, firstDay, source } = core;
    const i = orderOfCustomer(j);
    const order = i >= 0 ? orderCore(i) : null;
    const company = d.chance(0.02);
    const male = d.chance(0.62);
    const name = company
      ? `北京${d.pick(COMPANY_WORDS)}${d.pick(COMPANY_KINDS)}`
      : d.weighted(SURNAMES) + d.pick(male ? GIVEN_MALE : GIVEN_FEMALE) + (d.chance(0.72) ? d.pick(male ? GIVEN_MALE : GIVEN_FEMALE) : '');
    const age = d.int(23, 58);
    const birthDay = firstDay - age * 365 - d.int(0, 364);
    const idNo = !company && d.chance(order ? 0.9 : 0.25) ? idNumber(d.weighted(REGIONS), isoOf(birthDay), d.int(1, 998), male) : null;
    const intended = order ? order.model : MODELS[d.weighted(MODEL_WEIGHTS)];
    const budget = Math.round((intended.list_price * (0.85 + d.random() * 0.35)) / 1000) * 1000;
    const sinceContact = today - firstDay;
    let level;
    let status = 'active';
    let lostReason = null;
    let next = null;
    if (order) {
      level = { delivered: 'd', cancelled: 't', rejected: 'a' }[order.status] ?? 'o';
      if (order.status === 'rejected') next = today + d.int(1, 10);
      else if (level === 'd' && today - order.deliveryDay < 10) next = order.deliveryDay + 3; // the post-delivery callback
    } else if (sinceContact <= 2 && d.chance(0.5)) {
      level = 'n';
      next = today + d.int(0, 2);
    } else if (sinceContact > 45 && d.chance(0.35)) {
      status = 'lost';
      level = d.pick(['b', 'c']);
      lostReason = d.pick(LOST_REASONS);
    } else if (sinceContact > 120 && d.chance(0.45)) {
      status = 'dormant';
      level = 'c';
    } else {
      level = sinceContact < 20 ? d.weighted([['h', 15], ['a', 30], ['b', 30], ['c', 25]]) : d.weighted([['h', 5], ['a', 15], ['b', 35], ['c', 45]]);
      const horizon = { h: 3, a: 7, b: 14, c: 30 }[level];
      // a few overdue (the follow-up-overdue reminders have something to do)
      next = d.chance(0.06) ? today - d.int(0, 1) : today + d.int(0, horizon);
    }
    const tags = [];
    if (budget >= 250000 || d.chance(0.04)) tags.push('vip');
    if (company) tags.push('fleet');
    if (source === 'referral') tags.push('referral');
    if (source === 'trade_in') tags.push('trade_in');
    if (status === 'dormant' || (status === 'active' && !order && sinceContact > 150 && d.chance(0.5))) tags.push('churn_risk');
    return {
      core, order, level, status, next, firstDay,
      values: {
        name, id_number: idNo, gender: company ? null : male ? 'male' : 'female', source, level, tags,
        intended_model: modelIds[MODELS.indexOf(intended)], budget, next_follow_up: next === null ? null : isoOf(next), status, lost_reason: lostReason,
      },
    };
  };
  await inBatches('customers', C, 1, async (slice, add) => {
    const cs = slice.map((j) => customerOf(j));
    const recs = await add('customer', slice.map((j, k) => ({ values: { ...cs[k].values, phone: phoneFor(1, j) }, owner: cs[k].core.advisor })));
    slice.forEach((j, k) => {
      customerIds[j] = recs[k].id;
      customerOwner[j] = staff.advisors.indexOf(cs[k].core.advisor);
    });
  });

  // -------- 4. follow-ups

  /** Customers with a full history (follow-ups, an earlier car): all of them up to the default size, as many as the default has beyond. */
  const fullHistory = (j) => mix32((seed ^ j ^ 0x5bd1e995) >>> 0) % C < plan.fullFollowUpCustomers;

  const followUpsOf = (j) => {
    const d = dice(seed, K.followUp, j);
    const full = fullHistory(j);
    const c = customerOf(j);
    if (c.level === 'n') return [];
    let n = c.order ? d.int(2, 5) : c.status === 'lost' ? d.int(2, 4) : d.int(1, 4);
    if (!full) n = 0; // at scale, follow-ups only for as many customers as the default has
    const end = c.order ? c.order.day : Math.min(today, c.firstDay + d.int(0, Math.max(1, Math.min(90, today - c.firstDay))));
    const days = [];
    for (let k = 0; k < n; k++) days.push(c.firstDay + Math.floor(((end - c.firstDay) * (k + d.random() * 0.8)) / Math.max(1, n)));
    days.sort((a, b) => a - b);
    const model = c.order ? c.order.model : MODELS.find((m, i) => modelIds[i] === c.values.intended_model);
    const levels = ['c', 'b', 'a', 'h'];
    return days.map((day, k) => {
      const last = k === n - 1;
      const method = k === 0 && c.core.source === 'showroom' ? 'visit' : d.weighted(FOLLOW_UP_METHODS);
      let newLevel;
      if (last) newLevel = c.order ? (c.order.status === 'rejected' ? 'a' : 'o') : c.level;
      else newLevel = c.order ? levels[Math.min(3, 1 + k)] : d.pick(['b', 'c', 'a']);
      const nextDay = last ? (c.order ? null : c.next) : days[k + 1];
      return {
        customer: customerIds[j], method, at: datetimeOf(day, d.int(9, 20), d.int(0, 59)),
        summary: d.pick(FOLLOW_UP_SUMMARIES[method]).replace('{series}', model.series),
        new_level: newLevel, next_follow_up: nextDay === null ? null : isoOf(Math.max(day, nextDay)),
      };
    });
  };
  await inBatches('follow_ups', C, (3 * plan.fullFollowUpCustomers) / C, async (slice, add) => {
    const entries = [];
    for (const j of slice) {
      if (!fullHistory(j)) continue; // (no follow-ups: see followUpsOf)
      const owner = staff.advisors[customerOwner[j]];
      for (const fu of followUpsOf(j)) entries.push({ values: fu, owner });
    }
    await add('follow_up', entries);
  });

  // -------- 5. orders: the sold vehicle, the order, its payments, the owned vehicle

  const owned = { ids: [], customers: [], models: [], days: [] }; // for repair orders
  const serviceOf = (deliveryDay, d) => {
    let next = deliveryDay + 180;
    while (next < today - 10) next += 180;
    return next + d.int(-5, 5);
  };
  /** Orders whose vehicle is allocated: a sold vehicle record. */
  const hasVehicle = (o) => o.status === 'allocated' || o.status === 'paid' || o.status === 'delivered';
  // Per slice in four steps (sold vehicles, orders, payments, owned vehicles); each order's own
  // PRNG stream is drawn in the same sequence as one order at a time would draw it.
  await inBatches('orders', N, 4.5, async (slice, add) => {
    const os = slice.map((i) => orderCore(i));
    const vins = os.map((o) => (hasVehicle(o) ? vinOf(o.model, o.i, today - o.day > 200 ? 2025 : 2026) : null));
    const sold = os.filter(hasVehicle);
    const vehicles = await add('vehicle', sold.map((o) => ({
      owner: stockKeeper,
      values: {
        vin: vins[os.indexOf(o)], model: modelIds[MODELS.indexOf(o.model)], color: o.color, in_stock_date: isoOf(o.day - o.d.int(3, 40)),
        cost: o.model.cost_price - o.d.int(0, 30) * 100, status: o.status === 'delivered' ? 'sold' : 'allocated',
      },
    })));
    const vehicleOf = new Map(sold.map((o, k) => [o.i, vehicles[k].id]));
    const orders = await add('vehicle_order', os.map((o) => ({
      owner: staff.advisors[customerOwner[o.j]],
      values: {
        customer: customerIds[o.j], model: modelIds[MODELS.indexOf(o.model)], color: o.color, vehicle: vehicleOf.get(o.i) ?? null, list_price: o.model.list_price,
        discount: o.discount, accessories: o.accessories, status: o.status, order_date: isoOf(o.day),
        delivery_date: o.deliveryDay === null ? null : isoOf(o.deliveryDay),
      },
    })));
    // payments: a deposit on the order day; the rest (a bank loan's instalment, then the final payment) before delivery
    const payments = [];
    os.forEach((o, k) => {
      if (o.status === 'cancelled' || o.status === 'rejected') return;
      const { d } = o;
      const order = orders[k];
      const pays = [{ kind: 'deposit', amount: Math.min(o.deposit, order.total_amount), day: o.day }];
      if (o.status === 'paid' || o.status === 'delivered') {
        const lastDay = o.deliveryDay ?? Math.min(today, o.day + d.int(1, Math.max(1, o.age)));
        let rest = Math.round((order.total_amount - pays[0].amount) * 100) / 100;
        if (o.loan && rest > 50000) {
          const loan = Math.round((rest * (0.4 + d.random() * 0.3)) / 1000) * 1000;
          pays.push({ kind: 'installment', amount: loan, day: o.day + Math.floor((lastDay - o.day) / 2) });
          rest = Math.round((rest - loan) * 100) / 100;
        }
        if (rest > 0) pays.push({ kind: 'final', amount: rest, day: lastDay });
      }
      for (const p of pays) payments.push({ owner: finance, values: { order: order.id, kind: p.kind, amount: p.amount, paid_at: isoOf(p.day) } });
    });
    await add('payment', payments);
    const delivered = os.filter((o) => o.status === 'delivered');
    const ovs = await add('owned_vehicle', delivered.map((o) => ({
      owner: serviceAdvisors[o.i % serviceAdvisors.length],
      values: {
        customer: customerIds[o.j], vin: vins[os.indexOf(o)], plate: plateFor(o.i, o.model.ev), model: modelIds[MODELS.indexOf(o.model)], delivery_date: isoOf(o.deliveryDay),
        insurance_expiry: isoOf(o.deliveryDay + 365), next_service_date: isoOf(serviceOf(o.deliveryDay, o.d)),
      },
    })));
    delivered.forEach((o, k) => {
      owned.ids.push(ovs[k].id);
      owned.customers.push(customerIds[o.j]);
      owned.models.push(MODELS.indexOf(o.model));
      owned.days.push(o.deliveryDay);
    });
  });

  // -------- 6. cars bought years ago (trade-in and repurchase customers; service customers)

  const oldOwners = [];
  for (let j = 0; j < C; j++) {
    const s = custCore(j).source;
    if ((s === 'trade_in' || s === 'repurchase') && fullHistory(j)) oldOwners.push(j);
  }
  await inBatches('owned_vehicles', oldOwners.length, 1, async (slice, add) => {
    const entries = slice.map((k) => {
      const j = oldOwners[k];
      const d = dice(seed, K.ownedOld, j);
      const m = d.weighted(MODEL_WEIGHTS);
      const model = MODELS[m];
      const years = d.int(2, 6);
      const delivery = today - years * 365 - d.int(0, 300);
      const expiry = delivery + 365 * Math.ceil((today - delivery) / 365 + 0.001);
      return {
        j, m, delivery, owner: serviceAdvisors[j % serviceAdvisors.length],
        values: {
          customer: customerIds[j], vin: vinOf(model, 2_000_000 + j, 2026 - years),
          plate: plateFor(10_000_000 + j, false), model: modelIds[m], delivery_date: isoOf(delivery),
          insurance_expiry: isoOf(expiry), next_service_date: isoOf(serviceOf(delivery, d)),
        },
      };
    });
    (await add('owned_vehicle', entries)).forEach((ov, k) => {
      owned.ids.push(ov.id);
      owned.customers.push(customerIds[entries[k].j]);
      owned.models.push(entries[k].m);
      owned.days.push(entries[k].delivery);
    });
  });

  // -------- 7. repair orders

  const partsByKind = new Map();
  for (const p of partList) {
    const key = `${p.model}:${p.kind}`;
    if (!partsByKind.has(key)) partsByKind.set(key, []);
    partsByKind.get(key).push(p);
  }
  const R = owned.ids.length ? plan.repairOrders : 0;
  // The intake date, when the form has one (repair orders follow the year; the last few are today's)
  const roDate = engine.forms.peek('repair_order')?.byKey.get('opened_on') ? 'opened_on' : null;
  await inBatches('repair_orders', R, 1, (slice, add) => add('repair_order', slice.map((k) => {
    const d = dice(seed, K.repair, k);
    const v = d.int(0, owned.ids.length - 1);
    const m = owned.models[v];
    const day = k >= R - 6 ? today : Math.min(today, Math.max(owned.days[v] + 1, year.at((k + d.random()) / R)));
    const sinceDelivery = Math.max(1, day - owned.days[v]);
    const [complaint, kind] = sinceDelivery < 200 && d.chance(0.6) ? COMPLAINTS[0] : d.weighted(COMPLAINTS.slice(1).map((c) => [c, c[1] === 'service' ? 6 : 1]));
    const labor = LABOR[kind].map(([item, hours]) => ({ item, hours, rate: MODELS[m].rate }));
    const parts = [];
    for (const kk of kind === 'first' ? ['first', 'service'] : [kind]) {
      for (const p of partsByKind.get(`${m}:${kk}`) ?? []) if (d.chance(0.8)) parts.push({ part: p.id, qty: p.kind === 'tyre' ? d.pick([1, 2, 4]) : 1, price: p.price });
    }
    // recent ones are still in the workshop
    const status = k >= R - 6 ? ['open', 'in_progress', 'in_progress', 'qc', 'settled', 'open'][R - 1 - k] : 'delivered';
    // delivered ones came in some day since the car's delivery; the ones still in the workshop today
    const openedDay = status === 'delivered' ? today - d.int(0, Math.min(sinceDelivery - 1, 330)) : today;
    return {
      owner: serviceAdvisors[k % serviceAdvisors.length],
      values: {
        customer: owned.customers[v], owned_vehicle: owned.ids[v], opened_on: isoOf(openedDay), mileage_in: Math.round((openedDay - owned.days[v]) * (25 + d.random() * 40)),
        complaint, labor, parts, status, ...(roDate ? { [roDate]: isoOf(day) } : {}),
      },
    };
  })));

  // -------- 8. live: today's work for the demo (workflows run on these)

  if (live) {
    // Each in its own transaction through RecordService.create: the workflows run as they would
    // for staff at work (and a staff actor's permission checks read outside a transaction).
    progress('live', 0, 1);
    const d = dice(seed, K.live, 0);
    const made = (form) => {
      counts[form] = (counts[form] ?? 0) + 1;
      written++;
    };
    // two web leads without an owner: lead assignment gives them to advisors
    for (let k = 0; k < 2; k++) {
      const male = d.chance(0.5);
      await records.create(SYSTEM, 'customer', {
        name: d.weighted(SURNAMES) + d.pick(male ? GIVEN_MALE : GIVEN_FEMALE) + d.pick(male ? GIVEN_MALE : GIVEN_FEMALE),
        phone: phoneFor(2, k), gender: male ? 'male' : 'female', source: 'online', intended_model: modelIds[d.weighted(MODEL_WEIGHTS)],
      }, { owner: null, dept: staff.depts.store.id });
      made('customer');
    }
    // orders taken today by advisors: discounts of 2 % (approved at once: a vehicle to allocate), 4.5 %, 6 % and 9 % (approvals)
    for (const [k, rate] of [[0, 0.02], [1, 0.045], [2, 0.06], [3, 0.09]]) {
      const advisor = staff.advisors[k % staff.advisors.length];
      const actor = { userId: advisor.id, username: advisor.username, displayName: advisor.displayName, roles: ['sales_advisor'], departmentId: advisor.deptId, isAdmin: false };
      const m = d.weighted(MODEL_WEIGHTS);
      const model = MODELS[m];
      const male = d.chance(0.6);
      const cust = await records.create(actor, 'customer', {
        name: d.weighted(SURNAMES) + d.pick(male ? GIVEN_MALE : GIVEN_FEMALE) + (d.chance(0.7) ? d.pick(male ? GIVEN_MALE : GIVEN_FEMALE) : ''),
        phone: phoneFor(3, k), gender: male ? 'male' : 'female', source: d.weighted(SOURCES), level: 'h', intended_model: modelIds[m],
        budget: Math.round(model.list_price / 1000) * 1000, next_follow_up: isoOf(today + 1),
      });
      made('customer');
      await records.create(actor, 'vehicle_order', {
        customer: cust.id, model: modelIds[m], color: d.weighted(COLORS), list_price: model.list_price,
        discount: Math.round((model.list_price * rate) / 100) * 100, order_date: isoOf(today),
        accessories: [{ item: '全车脚垫', qty: 1, price: 680 }, { item: '前挡防爆膜', qty: 1, price: 1800 }],
      });
      made('vehicle_order');
    }
    progress('live', 1, 1);
  }

  const seconds = (Date.now() - started) / 1000;
  progress('done', 1, 1);
  return {
    records: written, counts, seconds, rate: written / Math.max(seconds, 1e-9), seed, orders: N,
    users: staff.all.filter((s) => !s.noPassword).map((s) => ({ username: s.username, displayName: s.displayName, role: s.role })),
    password: DEMO_PASSWORD,
  };
}

/** The dealership's record forms: demo data loads only when all of them are empty. */
export const DEMO_FORMS = ['customer', 'follow_up', 'vehicle_model', 'vehicle', 'vehicle_order', 'payment', 'owned_vehicle', 'repair_order', 'part'];

/** Does the database hold any dealership record? */
export async function hasRecords(engine) {
  for (const f of DEMO_FORMS) {
    const r = await engine.records.list(SYSTEM, f, { pageSize: 1 });
    if (r.total > 0) return true;
  }
  return false;
}
