/**
 * Print templates: the helper set (大写金额 in depth), the safety rules (no prototype access, no
 * partials, no unescaped output, only the fixed helpers) at save time and at run time, and the
 * route over HTTP on SQLite and PostgreSQL: text/html with a CSP, subtable rows, related records,
 * hidden fields absent, masked ones masked, row scope → 404.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  compilePrintTemplate, formatDate, formatDatetime, formatNumber, formatYuan, printPage, runPrintTemplate, upperAmount, PRINT_CSP,
} from '../../src/render/print.js';
import { printTemplateProblem, PRINT_HELPERS } from '../../src/meta/print-template.js';
import { validateFormDef } from '../../src/meta/metaschema.js';
import { planForm } from '../../src/store/planner.js';
import { readPackFolder } from '../../src/packs/install.js';
import { AppError } from '../../src/errors.js';
import { SYSTEM_ACTOR } from '../../src/auth/actor.js';
import { DIALECTS } from '../helpers/db.js';
import { publishForm, startServer, testEngine, type TestEngine, type TestServer } from '../helpers/engine.js';

/* eslint-disable @typescript-eslint/no-explicit-any */

const render = (source: string, context: Record<string, unknown>) => runPrintTemplate(compilePrintTemplate(source), context);

describe('upper_amount (人民币大写金额)', () => {
  const CASES: Array<[number | string, string]> = [
    [0, '零元整'],
    [0.5, '伍角'],
    [0.05, '伍分'],
    [0.55, '伍角伍分'],
    [1, '壹元整'],
    [1.5, '壹元伍角'],
    [10, '壹拾元整'],
    [15, '壹拾伍元整'],
    [20.3, '贰拾元零叁角'],
    [100, '壹佰元整'],
    [100.01, '壹佰元零壹分'],
    [100.1, '壹佰元零壹角'],
    [101, '壹佰零壹元整'],
    [110, '壹佰壹拾元整'],
    [325.04, '叁佰贰拾伍元零肆分'],
    [1005, '壹仟零伍元整'],
    [1010, '壹仟零壹拾元整'],
    [1680.32, '壹仟陆佰捌拾元零叁角贰分'],
    [10000, '壹万元整'],
    [10005, '壹万零伍元整'],
    [10050, '壹万零伍拾元整'],
    [12345.67, '壹万贰仟叁佰肆拾伍元陆角柒分'],
    [16409.02, '壹万陆仟肆佰零玖元零贰分'],
    [100000, '壹拾万元整'],
    [100100, '壹拾万零壹佰元整'],
    [107000.53, '壹拾万柒仟元零伍角叁分'],
    [1000100, '壹佰万零壹佰元整'],
    [1234567.89, '壹佰贰拾叁万肆仟伍佰陆拾柒元捌角玖分'],
    [10010000, '壹仟零壹万元整'],
    [100000000, '壹亿元整'],
    [100000001, '壹亿零壹元整'],
    [101000000, '壹亿零壹佰万元整'],
    [110000000, '壹亿壹仟万元整'],
    [100010000, '壹亿零壹万元整'],
    [200000010, '贰亿零壹拾元整'],
    [1000000000, '壹拾亿元整'],
    [1000000000000, '壹万亿元整'],
    [1000500000000, '壹万零伍亿元整'],
    [-1234.5, '负壹仟贰佰叁拾肆元伍角'],
    [-0.01, '负壹分'],
    [-3, '负叁元整'],
    [219900, '贰拾壹万玖仟玖佰元整'],
    ['1234.5', '壹仟贰佰叁拾肆元伍角'],
    [1.005, '壹元零壹分'], // rounded half away from zero to the 分
  ];
  it.each(CASES)('%s → %s', (n, text) => {
    expect(upperAmount(n)).toBe(text);
  });

  it('prints nothing for what is not an amount', () => {
    for (const v of [null, undefined, '', 'abc', NaN, Infinity, {}, [], true]) expect(upperAmount(v)).toBe('');
    expect(upperAmount(1e20)).toBe(''); // beyond what a double holds to the 分
  });

  it('never writes two 零 in a row, never ends with 零, always ends with 整, 角 or 分', () => {
    let seed = 42;
    const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    for (let i = 0; i < 3000; i++) {
      const digits = 1 + Math.floor(random() * 13);
      // numbers rich in zeros
      let s = '';
      for (let d = 0; d < digits; d++) s += random() < 0.5 ? '0' : String(1 + Math.floor(random() * 9));
      const cents = Math.floor(random() * 100);
      const n = Number(s) + cents / 100;
      if (n === 0) continue;
      const text = upperAmount(n);
      expect(text, String(n)).not.toMatch(/零零/);
      expect(text, String(n)).toMatch(/(整|角|分)$/);
      expect(text, String(n)).not.toMatch(/零(元|万|亿|整)/);
      if (n >= 1) expect(text, String(n)).toMatch(/^[壹贰叁肆伍陆柒捌玖]/);
      // 拾 is always preceded by a digit (壹拾, not 拾)
      expect(text, String(n)).not.toMatch(/(^|[^零壹贰叁肆伍陆柒捌玖])拾/);
      expect(parseUpper(text), `${n} → ${text}`).toBe(Math.round(n * 100));
    }
  });
});

/** Read a 大写金额 back into cents (for the round-trip property). */
function parseUpper(text: string): number {
  const DIG = '零壹贰叁肆伍陆柒捌玖';
  let sign = 1;
  if (text.startsWith('负')) { sign = -1; text = text.slice(1); }
  let cents = 0;
  const m = /^(.*?元)?(?:零)?(?:([壹贰叁肆伍陆柒捌玖])角)?(?:零)?(?:([壹贰叁肆伍陆柒捌玖])分)?整?$/.exec(text)!;
  if (m[2]) cents += DIG.indexOf(m[2]) * 10;
  if (m[3]) cents += DIG.indexOf(m[3]);
  const intText = (m[1] ?? '').replace(/元$/, '');
  const section = (s: string) => {
    let total = 0;
    let digit = 0;
    for (const ch of s) {
      const d = DIG.indexOf(ch);
      if (d >= 0) digit = d;
      else {
        total += digit * ({ 拾: 10, 佰: 100, 仟: 1000 } as Record<string, number>)[ch]!;
        digit = 0;
      }
    }
    return total + digit;
  };
  const parse = (s: string): number => {
    const yi = s.lastIndexOf('亿');
    if (yi >= 0) return parse(s.slice(0, yi)) * 1e8 + parse(s.slice(yi + 1));
    const wan = s.lastIndexOf('万');
    if (wan >= 0) return section(s.slice(0, wan)) * 1e4 + section(s.slice(wan + 1));
    return section(s);
  };
  if (intText !== '零') cents += parse(intText) * 100;
  return sign * cents;
}

describe('the other helpers', () => {
  it('yuan: ¥, thousands separators, two decimals, negatives', () => {
    expect(formatYuan(1234567)).toBe('¥1,234,567.00');
    expect(formatYuan(0)).toBe('¥0.00');
    expect(formatYuan(999.999)).toBe('¥1,000.00');
    expect(formatYuan(1.005)).toBe('¥1.01');
    expect(formatYuan(-1234.5)).toBe('-¥1,234.50');
    expect(formatYuan(-0.001)).toBe('¥0.00');
    expect(formatYuan(12)).toBe('¥12.00');
    expect(formatYuan('88.8')).toBe('¥88.80');
    for (const v of [null, undefined, '', 'x', {}]) expect(formatYuan(v)).toBe('');
  });

  it('number: thousands separators, optional decimals', () => {
    expect(formatNumber(1234567.5)).toBe('1,234,567.5');
    expect(formatNumber(1234567.5, 0)).toBe('1,234,568');
    expect(formatNumber(3, 2)).toBe('3.00');
    expect(formatNumber(-12345)).toBe('-12,345');
    expect(formatNumber(999)).toBe('999');
    expect(formatNumber(null)).toBe('');
  });

  it('date and datetime: a fixed few formats, the rules time zone', () => {
    expect(formatDate('2026-11-25')).toBe('2026-11-25');
    expect(formatDate('2026-11-25', 'YYYY年M月D日')).toBe('2026年11月25日');
    expect(formatDate('2026-01-05', 'YYYY年M月D日')).toBe('2026年1月5日');
    expect(formatDate('2026-01-05', 'YYYY年MM月DD日')).toBe('2026年01月05日');
    expect(formatDate('2026-01-05', 'YYYY/MM/DD')).toBe('2026/01/05');
    expect(formatDate('2026-01-05', 'DD.MM.YYYY')).toBe('2026-01-05'); // unknown format → default
    // 20:30 UTC is the next morning in Asia/Shanghai
    expect(formatDate('2026-11-25T20:30:00.000Z')).toBe('2026-11-26');
    expect(formatDatetime('2026-11-25T20:30:05.000Z')).toBe('2026-11-26 04:30');
    expect(formatDatetime('2026-11-25T20:30:05.000Z', 'YYYY-MM-DD HH:mm:ss')).toBe('2026-11-26 04:30:05');
    expect(formatDatetime('2026-11-25T20:30:05.000Z', 'YYYY年M月D日 HH:mm')).toBe('2026年11月26日 04:30');
    for (const v of [null, '', 'yesterday', 20261125]) expect(formatDate(v)).toBe('');
  });

  it('eq, add, sub, mul, sum, index1, default in a template', () => {
    const out = render(
      '{{#each rows}}[{{index1 @index}}:{{item}}={{yuan (mul qty price)}}]{{/each}}'
      + '|{{yuan (sum rows "amount")}}|{{add 0.1 0.2}}|{{sub 10 2.5}}|{{#if (eq status "paid")}}PAID{{else}}OPEN{{/if}}'
      + '|{{default missing "—"}}|{{default given "—"}}|{{mul nothing 2}}|',
      {
        rows: [{ item: '脚垫', qty: 2, price: 150, amount: 300 }, { item: '贴膜', qty: 1, price: 2999.5, amount: 2999.5 }],
        status: 'paid', given: '有',
      },
    );
    expect(out).toBe('[1:脚垫=¥300.00][2:贴膜=¥2,999.50]|¥3,299.50|0.3|7.5|PAID|—|有||');
    expect(render('{{#each rows}}{{this.date}}/{{date this.date "YYYY年M月D日"}}{{/each}}', { rows: [{ date: '2026-03-08' }] })).toBe('2026-03-08/2026年3月8日');
  });

  it('escapes every value', () => {
    expect(render('<p>{{v}}</p>{{default v "x"}}', { v: '<script>alert(1)</script>&"' }))
      .toBe('<p>&lt;script&gt;alert(1)&lt;/script&gt;&amp;&quot;</p>&lt;script&gt;alert(1)&lt;/script&gt;&amp;&quot;');
  });

  it('the helper list is the documented one', () => {
    expect([...PRINT_HELPERS].sort()).toEqual(['add', 'date', 'datetime', 'default', 'eq', 'index1', 'mul', 'number', 'option', 'sub', 'sum', 'upper_amount', 'yuan']);
  });
});

describe('what a print template may not do', () => {
  it.each([
    ['{{constructor.constructor}}', /constructor/],
    ['{{#with record}}{{constructor}}{{/with}}', /constructor/],
    ['{{lookup this "__proto__"}}', /__proto__/],
    ['{{lookup (lookup this "constructor") "prototype"}}', /constructor|prototype/],
    ['{{this.[__proto__]}}', /__proto__/],
    ['{{@root.constructor.name}}', /constructor/],
    ['{{> header}}', /partials/],
    ['{{#> layout}}x{{/layout}}', /partials/],
    ['{{#*inline "x"}}y{{/inline}}', /decorators/],
    ['{{{record.name}}}', /unescaped/],
    ['{{& record.name}}', /unescaped/],
    ['{{log "hi"}}', /unknown helper log/],
    ['{{helperMissing "x"}}', /unknown helper/],
    ['{{blockHelperMissing "x"}}', /unknown helper/],
    ['{{upper record.name}}', /unknown helper upper/],
    ['{{yuan}}', /yuan takes 1/],
    ['{{#each record.rows}}{{date}}{{/each}}', /date takes 1–2 argument\(s\) \(line 1\); for a field named date write \{\{this\.date\}\}/],
    ['{{option record.status}}', /option takes 2/],
    ['{{#each}}x{{/each}}', /each takes 1/],
    ['{{foo bar=1}}', /unknown helper foo/],
    ['{{date record.d "MM/DD/YYYY"}}', /format/],
    ['{{#if}}x{{/if}}', /if takes 1/],
    ['{{#each rows}}x', /parse/],
    ['{{#if a}}x{{/each}}', /parse|doesn't match/],
  ])('%s is refused', (source, reason) => {
    const problem = printTemplateProblem(source);
    expect(problem, source).not.toBeNull();
    expect(problem!.en).toMatch(reason);
    expect(() => compilePrintTemplate(source)).toThrow(AppError);
  });

  it('prototype access renders nothing at run time even when the save-time check is bypassed', async () => {
    const Handlebars = (await import('handlebars')).default;
    // what a template compiled without our checks would do on our instance's runtime options
    const hb = Handlebars.create();
    const t = hb.compile('[{{constructor.name}}][{{lookup this "__proto__"}}][{{lookup (lookup this "constructor") "name"}}][{{record.__proto__}}][{{valueOf}}]');
    const out = t({ record: {} }, { allowProtoPropertiesByDefault: false, allowProtoMethodsByDefault: false });
    expect(out).toBe('[][][][][]');
    // and through the print renderer: a dynamic lookup key cannot reach the prototype
    const ctx = { key: '__proto__', ctor: 'constructor', record: { name: 'x' } };
    expect(render('[{{lookup record key}}][{{lookup record ctor}}][{{lookup (lookup record ctor) "name"}}]', ctx)).toBe('[][][]');
  });

  it('a template up to the size cap compiles; above it is refused', () => {
    const line = '<p>{{record.name}}</p>\n';
    expect(printTemplateProblem(line.repeat(Math.floor(200_000 / line.length)))).toBeNull();
    expect(printTemplateProblem('x'.repeat(200_001))!.en).toMatch(/at most 200000/);
  });

  it('the dealership templates compile', () => {
    const pack = readPackFolder(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../templates/dealership'));
    const prints = pack.documents.flatMap((d) => (d.kind === 'forms' ? (d.doc.prints ?? []) : []));
    expect(prints.map((p: any) => p.key).sort()).toEqual(['delivery_check', 'delivery_checklist', 'sales_contract', 'settlement']);
    for (const p of prints) expect(printTemplateProblem(p.template), p.key).toBeNull();
  });
});

// ---------------------------------------------------------------------------------------------
// Metadata

const baseForm = (prints: unknown) => ({
  key: 'pt_doc', label: '单据', fields: [{ id: 'f1', key: 'name', type: 'text', label: '名称' }], prints,
});

const fieldsOf = (e: unknown): Record<string, Array<{ en: string }>> => {
  expect(e).toBeInstanceOf(AppError);
  return ((e as AppError).fields ?? {}) as any;
};

describe('prints in the form metaschema', () => {
  it('accepts well-formed print templates', () => {
    expect(() => validateFormDef(baseForm([
      { key: 'a', label: { 'zh-CN': '甲', en: 'A' }, template: '<h1>{{record.name}}</h1>' },
      { key: 'b', label: '乙', template: 'x', paper: 'A5', orientation: 'landscape' },
    ]))).not.toThrow();
  });

  it('names the template whose handlebars does not parse, with handlebars\' message', () => {
    let err: unknown;
    try {
      validateFormDef(baseForm([{ key: 'a', label: '甲', template: '<p>{{#if record.name}}x</p>' }]));
    } catch (e) {
      err = e;
    }
    const fields = fieldsOf(err);
    expect(Object.keys(fields)).toEqual(['/prints/0/template']);
    expect(fields['/prints/0/template']![0]!.en).toMatch(/does not parse: Parse error on line 1/);
  });

  it('refuses duplicate keys, bad keys, unknown properties, bad paper, empty and huge templates', () => {
    const cases: Array<[unknown, string]> = [
      [[{ key: 'a', label: '甲', template: 'x' }, { key: 'a', label: '乙', template: 'y' }], '/prints/1/key'],
      [[{ key: 'A-1', label: '甲', template: 'x' }], '/prints/0/key'],
      [[{ key: 'a', label: '甲', template: 'x', script: 'y' }], '/prints/0/script'],
      [[{ key: 'a', label: '甲', template: 'x', templateFile: 'a.hbs' }], '/prints/0/templateFile'],
      [[{ key: 'a', label: '甲', template: 'x', paper: 'A3' }], '/prints/0/paper'],
      [[{ key: 'a', label: '甲', template: '' }], '/prints/0/template'],
      [[{ key: 'a', label: '甲', template: 'x'.repeat(200_001) }], '/prints/0/template'],
      [[{ key: 'a', label: '甲' }], '/prints/0/template'],
      [{ key: 'a' }, '/prints'],
    ];
    for (const [prints, pointer] of cases) {
      let err: unknown;
      try {
        validateFormDef(baseForm(prints));
      } catch (e) {
        err = e;
      }
      expect(Object.keys(fieldsOf(err)), JSON.stringify(prints).slice(0, 80)).toContain(pointer);
    }
  });

  it('a print change plans no table step', () => {
    const a = { ...baseForm([{ key: 'a', label: '甲', template: 'x' }]), fields: [{ id: 'f1', key: 'name', type: 'text', label: '名称', column: 'name' }] };
    const b = { ...a, prints: [{ key: 'a', label: '甲', template: '<b>{{record.name}}</b>' }, { key: 'b', label: '乙', template: 'y' }] };
    expect(planForm(a as any, b as any).steps).toEqual([]);
    expect(planForm(a as any, { ...a, prints: undefined } as any).steps).toEqual([]);
  });
});

describe('pack templateFile', () => {
  const packDir = (files: Record<string, string>) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fw-pack-'));
    for (const [name, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      fs.writeFileSync(path.join(dir, name), text);
    }
    return dir;
  };
  const formWith = (print: Record<string, unknown>) => JSON.stringify(baseForm([{ key: 'p', label: '打印', ...print }]));

  it('inlines the file as the template', () => {
    const dir = packDir({
      'pack.json': JSON.stringify({ name: 't', version: '1.0.0' }),
      'forms/pt_doc.json': formWith({ templateFile: 'prints/p.hbs' }),
      'prints/p.hbs': '<h1>{{record.name}}</h1>\n',
    });
    const doc = readPackFolder(dir).documents[0]!.doc;
    expect(doc.prints).toEqual([{ key: 'p', label: '打印', template: '<h1>{{record.name}}</h1>\n' }]);
    expect(() => validateFormDef(doc)).not.toThrow();
  });

  it.each(['../outside.hbs', 'prints/../../outside.hbs', '/etc/passwd', 'prints/missing.hbs', ''])('refuses %j', (file) => {
    const dir = packDir({
      'pack.json': JSON.stringify({ name: 't', version: '1.0.0' }),
      'forms/pt_doc.json': formWith({ templateFile: file }),
    });
    fs.writeFileSync(path.join(dir, '..', 'outside.hbs'), 'secret');
    expect(() => readPackFolder(dir)).toThrow(AppError);
  });

  it('refuses a symbolic link out of the pack', () => {
    const dir = packDir({
      'pack.json': JSON.stringify({ name: 't', version: '1.0.0' }),
      'forms/pt_doc.json': formWith({ templateFile: 'prints/link.hbs' }),
    });
    const outside = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'fw-out-')), 'x.hbs');
    fs.writeFileSync(outside, 'secret');
    fs.mkdirSync(path.join(dir, 'prints'));
    fs.symlinkSync(outside, path.join(dir, 'prints', 'link.hbs'));
    expect(() => readPackFolder(dir)).toThrow(/inside the pack/);
  });

  it('refuses template and templateFile together', () => {
    const dir = packDir({
      'pack.json': JSON.stringify({ name: 't', version: '1.0.0' }),
      'forms/pt_doc.json': formWith({ template: 'x', templateFile: 'p.hbs' }),
      'p.hbs': 'y',
    });
    expect(() => readPackFolder(dir)).toThrow(AppError);
  });
});

describe('the page', () => {
  it('is a whole HTML document with charset, title, A4 print CSS and the CSP', () => {
    const html = printPage('合同 <1>', '<p>body</p>', {});
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).toContain('<meta charset="utf-8">');
    expect(html).toContain('<title>合同 &lt;1&gt;</title>');
    expect(html).toContain('@page { size: A4 portrait; margin: 15mm; }');
    expect(html).toContain('Microsoft YaHei');
    expect(html).toContain("default-src &#x27;none&#x27;");
    expect(html).toContain('<p>body</p>');
    expect(printPage('x', '', { paper: 'A5', orientation: 'landscape' })).toContain('size: A5 landscape');
    expect(PRINT_CSP).toContain("default-src 'none'");
  });
});

// ---------------------------------------------------------------------------------------------
// Over HTTP, on both databases

const CUSTOMER = {
  key: 'pt_customer', label: '客户', titleField: 'name',
  fields: [
    { id: 'c1', key: 'name', type: 'text', label: '姓名' },
    { id: 'c2', key: 'phone', type: 'text', label: '电话' },
  ],
};

const SHEET = `<h1>{{form.label}} {{record.no}}</h1>
<p>客户：{{related.customer.name}}|电话：{{related.customer.phone}}</p>
<p>状态：{{option "status" record.status}}</p>
<p>SECRET[{{record.secret}}]LABEL[{{labels.secret}}]</p>
<p>ID[{{record.idno}}]</p>
<table>{{#each record.items}}<tr class="row"><td>{{index1 @index}}</td><td>{{item}}</td><td>{{number qty}}</td><td>{{yuan price}}</td><td>{{yuan amount}}</td><td>{{option "items.kind" kind}}</td></tr>{{/each}}</table>
<p>合计：{{yuan record.total}}</p>
<p>大写：人民币{{upper_amount record.total}}</p>
<p>打印人：{{printedBy}}</p>`;

const ORDER = {
  key: 'pt_order', label: { 'zh-CN': '订单', en: 'Order' }, titleField: 'no',
  fields: [
    { id: 'o1', key: 'no', type: 'text', label: '单号' },
    { id: 'o2', key: 'customer', type: 'relation', label: '客户', relation: { form: 'pt_customer' } },
    { id: 'o3', key: 'status', type: 'select', label: '状态', options: [{ key: 'open', label: '未付' }, { key: 'paid', label: '已付' }] },
    { id: 'o4', key: 'secret', type: 'text', label: '内部备注' },
    { id: 'o5', key: 'idno', type: 'text', label: '证件号' },
    {
      id: 'o6', key: 'items', type: 'subtable', label: '明细',
      fields: [
        { id: 'o61', key: 'item', type: 'text', label: '项目' },
        { id: 'o62', key: 'qty', type: 'number', label: '数量' },
        { id: 'o63', key: 'price', type: 'money', label: '单价' },
        { id: 'o64', key: 'amount', type: 'money', label: '金额', formula: { '*': [{ var: 'qty' }, { var: 'price' }] } },
        { id: 'o65', key: 'kind', type: 'select', label: '类别', options: [{ key: 'acc', label: '精品' }, { key: 'svc', label: '服务' }] },
      ],
    },
    { id: 'o7', key: 'total', type: 'money', label: '合计', formula: { sum_rows: [{ var: 'items' }, 'amount'] } },
  ],
  prints: [{ key: 'sheet', label: { 'zh-CN': '订单打印', en: 'Order sheet' }, template: SHEET, paper: 'A4' }],
};

const ROLES = [
  {
    key: 'pt_clerk', label: '店员',
    permissions: [
      { form: 'pt_order', actions: ['create', 'read', 'update'], rows: 'own', fields: { hidden: ['secret'], masked: ['idno'] } },
      { form: 'pt_customer', actions: ['read'], rows: 'all' },
    ],
  },
  // reads every order, but no customer: related.customer is null for it
  { key: 'pt_auditor', label: '审计', permissions: [{ form: 'pt_order', actions: ['read'], rows: 'all' }] },
];

describe.each(DIALECTS)('printing over HTTP on %s', (dialect) => {
  let t: TestEngine;
  let s: TestServer;
  const tokens: Record<string, string> = {};
  const ids: Record<string, number> = {};

  beforeAll(async () => {
    t = await testEngine(dialect);
    await publishForm(t.engine, CUSTOMER);
    await publishForm(t.engine, ORDER);
    for (const role of ROLES) {
      await t.engine.docs.saveDraft('roles', role.key, role);
      await t.engine.docs.publish('roles', role.key);
    }
    s = await startServer(t.engine);
    const users: Array<[string, string, string]> = [['clerk1', 'pt_clerk', '张店员'], ['clerk2', 'pt_clerk', '李店员'], ['auditor', 'pt_auditor', '王审计']];
    for (const [username, role, displayName] of users) {
      const u = await t.engine.users.create({ username, password: `pw-${username}-12345`, roles: [role], displayName } as any);
      ids[username] = u.id;
      const login = await s.api('/api/auth/login', { body: { username, password: `pw-${username}-12345` }, token: null });
      expect(login.status).toBe(200);
      tokens[username] = login.body.token;
    }
    const cust = await s.api('/api/records/pt_customer', { body: { name: '赵客户<b>', phone: '13800000000' } });
    expect(cust.status).toBe(201);
    ids.customer = cust.body.id;
    const order = await t.engine.records.create(SYSTEM_ACTOR, 'pt_order', {
      no: 'SO-1', customer: ids.customer, status: 'paid', secret: '底价九折', idno: '11010519491231002X',
      items: [
        { item: '脚垫', qty: 2, price: 150, kind: 'acc' },
        { item: '贴膜', qty: 1, price: 3999.5, kind: 'svc' },
        { item: '行车记录仪', qty: 1, price: 1200 },
      ],
    }, { owner: ids.clerk1 });
    ids.order = order.id as number;
  });
  afterAll(async () => {
    await s?.close();
    await t?.drop();
  });

  const print = (who: string | null, url = `/api/records/pt_order/${ids.order}/print/sheet`) =>
    s.api(url, { token: who ? tokens[who]! : undefined });

  it('returns the page as text/html with a CSP that forbids scripts', async () => {
    const r = await print(null);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = r.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("style-src 'unsafe-inline'");
    expect(csp).toContain('img-src data:');
    expect(csp).not.toContain('script-src');
    expect(r.headers.get('cache-control')).toBe('no-store');
    const html: string = r.body;
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).toContain('<title>订单打印 SO-1</title>');
    expect(html).toContain('@page { size: A4 portrait; margin: 15mm; }');
    expect(html).toContain('<h1>订单 SO-1</h1>');
  });

  it('loops over the subtable, with row numbers, amounts and option labels', async () => {
    const html: string = (await print(null)).body;
    const rows = [...html.matchAll(/<tr class="row">(.*?)<\/tr>/g)].map((m) => [...m[1]!.matchAll(/<td>(.*?)<\/td>/g)].map((c) => c[1]));
    expect(rows).toEqual([
      ['1', '脚垫', '2', '¥150.00', '¥300.00', '精品'],
      ['2', '贴膜', '1', '¥3,999.50', '¥3,999.50', '服务'],
      ['3', '行车记录仪', '1', '¥1,200.00', '¥1,200.00', ''],
    ]);
    expect(html).toContain('合计：¥5,499.50');
    expect(html).toContain('大写：人民币伍仟肆佰玖拾玖元伍角');
    expect(html).toContain('状态：已付');
  });

  it('prints the related record, escaped', async () => {
    const html: string = (await print(null)).body;
    expect(html).toContain('客户：赵客户&lt;b&gt;|电话：13800000000');
  });

  it('an administrator sees every field', async () => {
    const html: string = (await print(null)).body;
    expect(html).toContain('SECRET[底价九折]LABEL[内部备注]');
    expect(html).toContain('ID[11010519491231002X]');
  });

  it('a hidden field is absent from the page, a masked one masked', async () => {
    const r = await print('clerk1');
    expect(r.status).toBe(200);
    const html: string = r.body;
    expect(html).toContain('SECRET[]LABEL[]');
    expect(html).not.toContain('底价九折');
    expect(html).toContain('ID[110***********002X]');
    expect(html).not.toContain('11010519491231002X');
    expect(html).toContain('打印人：张店员');
    expect(html).toContain('客户：赵客户&lt;b&gt;');
  });

  it('a user outside the row scope gets not_found, as for GET record', async () => {
    const get = await s.api(`/api/records/pt_order/${ids.order}`, { token: tokens.clerk2! });
    expect(get.status).toBe(404);
    const r = await print('clerk2');
    expect(r.status).toBe(404);
    expect(r.body.error.code).toBe('not_found');
  });

  it('a related record outside the caller\'s read scope is null', async () => {
    const r = await print('auditor');
    expect(r.status).toBe(200);
    expect(r.body).toContain('客户：|电话：</p>');
    expect(r.body).toContain('SECRET[底价九折]');
  });

  it('unknown template, form or record → not_found; a bad id → bad_request', async () => {
    for (const url of [
      `/api/records/pt_order/${ids.order}/print/nope`,
      `/api/records/pt_order/${ids.order}/print/Bad-Key`,
      `/api/records/pt_nothing/1/print/sheet`,
      `/api/records/pt_order/999999/print/sheet`,
    ]) {
      const r = await print(null, url);
      expect(r.status, url).toBe(404);
      expect(r.body.error.code, url).toBe('not_found');
    }
    expect((await print(null, '/api/records/pt_order/abc/print/sheet')).status).toBe(400);
    expect((await s.api(`/api/records/pt_order/${ids.order}/print/sheet`, { token: null })).status).toBe(401);
  });

  it('lists the form\'s print templates for readers', async () => {
    const r = await s.api('/api/records/pt_order/prints', { token: tokens.clerk1! });
    expect(r.status).toBe(200);
    expect(r.body).toEqual([{ key: 'sheet', label: { 'zh-CN': '订单打印', en: 'Order sheet' }, paper: 'A4', orientation: 'portrait' }]);
    expect((await s.api('/api/records/pt_customer/prints')).body).toEqual([]);
    expect((await s.api('/api/records/pt_customer/prints', { token: tokens.auditor! })).status).toBe(403);
  });

  it('saving a template that fails to compile is a 422 naming /prints/0/template', async () => {
    const bad = { ...CUSTOMER, prints: [{ key: 'card', label: '卡片', template: '<p>{{#each record.x}}</p>' }] };
    const r = await s.api('/api/meta/forms/pt_customer', { method: 'PUT', body: bad });
    expect(r.status).toBe(422);
    expect(r.body.error.code).toBe('validation');
    expect(Object.keys(r.body.error.fields)).toEqual(['/prints/0/template']);
    expect(JSON.stringify(r.body.error.fields)).toMatch(/Parse error/);
    for (const template of ['{{> header}}', '{{constructor.constructor}}', '{{lookup this "__proto__"}}', '{{{record.name}}}']) {
      const r2 = await s.api('/api/meta/forms/pt_customer', { method: 'PUT', body: { ...CUSTOMER, prints: [{ key: 'card', label: '卡片', template }] } });
      expect(r2.status, template).toBe(422);
      expect(Object.keys(r2.body.error.fields), template).toEqual(['/prints/0/template']);
    }
  });

  it('a print template published later is used at once; the revision keys the cache; no table change', async () => {
    const v1 = { ...CUSTOMER, prints: [{ key: 'card', label: '卡片', template: '<p>V1 {{record.name}}</p>' }] };
    const put = await s.api('/api/meta/forms/pt_customer', { method: 'PUT', body: v1 });
    expect(put.status).toBe(200);
    const plan = await s.api('/api/meta/forms/pt_customer/plan', { method: 'POST', body: {} });
    expect(plan.body.steps).toEqual([]);
    const pub = await s.api('/api/meta/forms/pt_customer/publish', { method: 'POST', body: {} });
    expect(pub.status).toBe(200);
    expect(pub.body.steps).toEqual([]);
    expect((await print(null, `/api/records/pt_customer/${ids.customer}/print/card`)).body).toContain('<p>V1 赵客户&lt;b&gt;</p>');

    await s.api('/api/meta/forms/pt_customer', { method: 'PUT', body: { ...v1, prints: [{ key: 'card', label: '卡片', template: '<p>V2 {{record.phone}}</p>' }] } });
    await s.api('/api/meta/forms/pt_customer/publish', { method: 'POST', body: {} });
    expect((await print(null, `/api/records/pt_customer/${ids.customer}/print/card`)).body).toContain('<p>V2 13800000000</p>');

    const revisions = await s.api('/api/meta/forms/pt_customer/revisions');
    expect(revisions.status).toBe(200);
    const diff = await s.api(`/api/meta/forms/pt_customer/diff?from=2&to=3`);
    expect(diff.body).toEqual([{ path: '/prints/0/template', op: 'change', from: '<p>V1 {{record.name}}</p>', to: '<p>V2 {{record.phone}}</p>' }]);
  });
});
