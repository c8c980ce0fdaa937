// The benchmark's form, its data and the request bodies: deterministic (seeded PRNG), so the
// engine's table and the floor's table hold exactly the same rows.

/** The `lead` form published through the metadata API. */
export const LEAD_FORM = {
  key: 'lead',
  label: { 'zh-CN': '销售线索', en: 'Lead' },
  module: 'bench',
  fields: [
    { key: 'name', type: 'text', label: { 'zh-CN': '姓名', en: 'Name' }, required: true, maxLength: 100 },
    { key: 'phone', type: 'phone', label: { 'zh-CN': '手机', en: 'Phone' } },
    {
      key: 'level', type: 'select', label: { 'zh-CN': '意向等级', en: 'Level' },
      options: ['h', 'a', 'b', 'c'].map((k) => ({ key: k, label: k.toUpperCase() })),
    },
    { key: 'budget', type: 'money', label: { 'zh-CN': '预算', en: 'Budget' } },
    { key: 'next_follow_up', type: 'date', label: { 'zh-CN': '下次跟进', en: 'Next follow-up' } },
    { key: 'tags', type: 'tags', label: { 'zh-CN': '标签', en: 'Tags' } },
    {
      key: 'status', type: 'select', label: { 'zh-CN': '状态', en: 'Status' }, indexed: true,
      options: ['new', 'active', 'won', 'lost'].map((k) => ({ key: k, label: k })),
    },
  ],
};

export const TABLE = 't_lead';

/** The list query of the benchmark: an indexed equality plus a range, sorted by budget descending. */
export const LIST_STATUS = 'active';
export const LIST_MIN_BUDGET = 100000;
export const LIST_FILTER = { and: [{ '==': [{ var: 'status' }, LIST_STATUS] }, { '>=': [{ var: 'budget' }, LIST_MIN_BUDGET] }] };
export const LIST_PAGES = 10; // pages 1..10 of 20, chosen at random

export function enginePaths() {
  const filter = encodeURIComponent(JSON.stringify(LIST_FILTER));
  return {
    create: '/api/records/lead',
    get: (id) => `/api/records/lead/${id}`,
    update: (id) => `/api/records/lead/${id}`,
    list: (page) => `/api/records/lead?filter=${filter}&sort=-budget&page=${page}&pageSize=20`,
  };
}

export function floorPaths() {
  return {
    create: '/leads',
    get: (id) => `/leads/${id}`,
    update: (id) => `/leads/${id}`,
    list: (page) => `/leads?status=${LIST_STATUS}&minBudget=${LIST_MIN_BUDGET}&sort=-budget&page=${page}&pageSize=20`,
  };
}

/** mulberry32, the one PRNG of the benchmarks and the demo data. */
export { prng } from '../../templates/dealership/demo/generator.js';
import { prng } from '../../templates/dealership/demo/generator.js';

const SURNAMES = ['王', '李', '张', '刘', '陈', '杨', '黄', '赵', '吴', '周', '徐', '孙', '马', '朱', '胡'];
const GIVEN = ['伟', '芳', '娜', '敏', '静', '丽', '强', '磊', '军', '洋', '勇', '艳', '杰', '娟', '涛', '明', '超', '秀英', '霞', '平'];
const TAGS = ['vip', 'fleet', 'referral', 'online', 'walk_in', 'trade_in'];
const STATUSES = [['new', 0.25], ['active', 0.3], ['won', 0.15], ['lost', 0.3]];

function pick(rand, list) {
  return list[Math.floor(rand() * list.length)];
}

function weighted(rand, list) {
  let x = rand();
  for (const [v, w] of list) {
    if (x < w) return v;
    x -= w;
  }
  return list[list.length - 1][0];
}

/** One lead as the API carries it (money a decimal, tags an array, date YYYY-MM-DD). */
export function makeLead(rand, i) {
  const day = 1 + Math.floor(rand() * 365);
  const d = new Date(Date.UTC(2025, 0, day));
  const tags = TAGS.filter(() => rand() < 0.2);
  return {
    name: `${pick(rand, SURNAMES)}${pick(rand, GIVEN)} ${i}`,
    phone: `13${Math.floor(rand() * 10)}${String(Math.floor(rand() * 1e8)).padStart(8, '0')}`,
    level: pick(rand, ['h', 'a', 'b', 'c']),
    budget: Math.round(rand() * 500000 * 100) / 100,
    next_follow_up: d.toISOString().slice(0, 10),
    tags,
    status: weighted(rand, STATUSES),
  };
}

/** An update body: three changed fields (the version is added by the caller). */
export function makeUpdate(rand) {
  return {
    level: pick(rand, ['h', 'a', 'b', 'c']),
    budget: Math.round(rand() * 500000 * 100) / 100,
    next_follow_up: new Date(Date.UTC(2025, 6, 1 + Math.floor(rand() * 180))).toISOString().slice(0, 10),
  };
}

/** The row of `t_lead` for a lead, as the engine stores it (field-types.ts: money in minor units, tags JSON). */
export function leadRow(lead, at, userId) {
  return {
    _version: 1,
    _created_at: at,
    _updated_at: at,
    _created_by: userId,
    _owner: userId,
    _dept: null,
    name: lead.name,
    phone: lead.phone,
    level: lead.level,
    budget: Math.round(lead.budget * 100),
    next_follow_up: lead.next_follow_up,
    tags: JSON.stringify(lead.tags),
    status: lead.status,
  };
}
