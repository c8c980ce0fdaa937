/**
 * The dealership roles (templates/dealership/roles) over HTTP, on SQLite and PostgreSQL: the pack
 * is installed (forms + roles), a dealer group with two stores is set up, one user per role signs
 * in, and records are created by the users who would create them in a store.
 *
 * The permission matrix below is transcribed by hand from DEALERSHIP.md ("Permissions") and the
 * pack README ("Roles"); it is NOT computed from the role files, so a change to a role that
 * breaks the documented contract fails here.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../../../engine/test/helpers/db.js';
import { testEngine, startServer, type TestEngine, type TestServer } from '../../../engine/test/helpers/engine.js';
import { installPack, readPackFolder } from '../../../engine/src/packs/install.js';
import { formComponentName } from '../../../engine/src/http/openapi.js';
// @ts-expect-error plain JS module without types
import { makeVin } from '../demo/index.js';

const PACK = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const FORMS = ['customer', 'follow_up', 'vehicle_model', 'vehicle', 'vehicle_order', 'payment', 'owned_vehicle', 'repair_order', 'part'] as const;
type Form = (typeof FORMS)[number];
const ROLES = ['admin', 'general_manager', 'sales_manager', 'sales_advisor', 'stock_keeper', 'finance', 'service_advisor', 'technician'] as const;
type Role = (typeof ROLES)[number];

/**
 * C create · R read one · L list · U update · D delete; '.' refused with 403.
 * Row scopes (README "Roles"): sales_advisor own rows of customer/follow_up/vehicle_order;
 * sales_manager its department (store and below) for customer/follow_up/vehicle_order/payment;
 * everything else all rows.
 */
const MATRIX = `
                 customer follow_up vehicle_model vehicle vehicle_order payment owned_vehicle repair_order part
admin            CRLUD    CRLUD     CRLUD         CRLUD   CRLUD         CRLUD   CRLUD         CRLUD        CRLUD
general_manager  .RL..    .RL..     CRLUD         .RL..   .RLU.         .RL..   .RL..         .RL..        .RL..
sales_manager    .RLU.    .RL..     .RL..         .RL..   .RLU.         .RL..   .....         .....        .....
sales_advisor    CRLU.    CRLU.     .RL..         .RL..   CRLU.         .....   .....         .....        .....
stock_keeper     .RL..    .....     .RL..         CRLUD   .RLU.         .....   .....         .....        .....
finance          .RL..    .....     .RLU.         .RLU.   .RL..         CRLUD   .....         .RL..        .RL..
service_advisor  CRL..    .....     .RL..         .....   .....         .....   CRLUD         CRLUD        CRLUD
technician       .....    .....     .RL..         .....   .....         .....   .RL..         .RLU.        .RL..
`;

type Action = 'create' | 'read' | 'list' | 'update' | 'delete';
const ACTIONS: Array<[Action, string]> = [['create', 'C'], ['read', 'R'], ['list', 'L'], ['update', 'U'], ['delete', 'D']];

function parseMatrix(text: string): Record<Role, Record<Form, Set<Action>>> {
  const lines = text.trim().split('\n').map((l) => l.trim().split(/\s+/));
  const header = lines[0]!;
  expect([...header].sort()).toEqual([...FORMS].sort());
  const out = {} as Record<Role, Record<Form, Set<Action>>>;
  for (const [role, ...cells] of lines.slice(1)) {
    const row = {} as Record<Form, Set<Action>>;
    header.forEach((form, i) => {
      const cell = cells[i]!;
      expect(cell).toMatch(/^[C.][R.][L.][U.][D.]$/);
      row[form as Form] = new Set(ACTIONS.filter(([, letter], j) => cell[j] === letter).map(([a]) => a));
    });
    out[role as Role] = row;
  }
  expect(Object.keys(out).sort()).toEqual([...ROLES].sort());
  return out;
}
const EXPECTED = parseMatrix(MATRIX);

/** Fields no read path may show to a role (README "Roles"). */
const HIDDEN: Array<[Role, Form, string]> = [
  ['sales_advisor', 'vehicle_model', 'cost_price'],
  ['sales_advisor', 'vehicle', 'cost'],
  ['stock_keeper', 'vehicle_model', 'cost_price'],
  ['stock_keeper', 'vehicle', 'cost'],
  ['stock_keeper', 'customer', 'id_number'],
  ['stock_keeper', 'customer', 'phone'],
  ['service_advisor', 'vehicle_model', 'cost_price'],
  ['technician', 'vehicle_model', 'cost_price'],
];

/** Forms whose rows a sales advisor sees only when they own them; a record of each in store B. */
const SALES_ROWS: Form[] = ['customer', 'follow_up', 'vehicle_order'];
const STORE_B: Partial<Record<Form, string>> = { customer: 'B1', follow_up: 'F_B1', vehicle_order: 'O_B' };

const ID_NUMBER = '11010519491231002X';
const ID_MASKED = '110***********002X';
const PHONE_A1 = '13812345671';

function isoDay(offsetDays: number): string {
  return new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);
}

describe('dealership role files', () => {
  // A lint, not an expectation: a misspelt key in "hidden" would silently show the field (the
  // engine does not check role documents against the forms).
  it('name only forms and fields of the pack', () => {
    const pack = readPackFolder(PACK);
    const forms = new Map(pack.documents.filter((d) => d.kind === 'forms').map((d) => [d.key, new Set<string>(d.doc.fields.map((f: any) => f.key))]));
    const roles = pack.documents.filter((d) => d.kind === 'roles');
    expect(roles.map((d) => d.key).sort()).toEqual([...ROLES].sort());
    const wrong: string[] = [];
    for (const { key, doc } of roles) {
      expect(doc.key).toBe(key);
      expect(Object.keys(doc.label)).toEqual(['zh-CN', 'en']);
      expect(Object.keys(doc.description)).toEqual(['zh-CN', 'en']);
      for (const p of doc.permissions) {
        const fields = forms.get(p.form);
        if (!fields) {
          wrong.push(`${key}: form ${p.form}`);
          continue;
        }
        for (const set of ['hidden', 'readOnly', 'masked']) for (const f of p.fields?.[set] ?? []) if (!fields.has(f)) wrong.push(`${key}: ${p.form}.${f} (${set})`);
      }
      expect(new Set(doc.permissions.map((p: any) => p.form)).size, `${key}: one entry per form`).toBe(doc.permissions.length);
    }
    expect(wrong).toEqual([]);
  });
});

describe.each(DIALECTS)('dealership roles on %s', (dialect) => {
  let t: TestEngine;
  let s: TestServer;
  /** username → token, user id */
  const users: Record<string, { id: number; token: string }> = {};
  /** The user who plays each role in the matrix (store A). */
  const PLAYER: Record<Role, string> = {
    admin: 'it_admin', general_manager: 'gm', sales_manager: 'sm_a', sales_advisor: 'sa_a1',
    stock_keeper: 'sk', finance: 'fin', service_advisor: 'svc', technician: 'tech',
  };
  const dept: Record<string, number> = {};
  const rec: Record<string, { id: number; _version: number } & Record<string, unknown>> = {};
  let seed = 7;
  const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  let n = 0;

  const call = (user: string, method: string, url: string, body?: unknown) =>
    s.api(url, { method, body, token: user === 'root' ? s.adminToken : users[user]!.token });
  const create = async (user: string, form: Form, body: Record<string, unknown>) => {
    const r = await call(user, 'POST', `/api/records/${form}`, body);
    if (r.status !== 201) throw new Error(`${user} creating ${form}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  const list = (user: string, form: Form, query = '') => call(user, 'GET', `/api/records/${form}?pageSize=500${query}`);
  const version = async (form: Form, id: number) => (await call('root', 'GET', `/api/records/${form}/${id}`)).body._version as number;

  /** A valid new record of each form, writable by every role that may create it (README "Roles"). */
  const newBody = (form: Form): Record<string, unknown> => {
    n++;
    switch (form) {
      case 'customer': return { name: `新客户${n}`, phone: `137${String(10_000_000 + n).slice(-8)}`, source: 'showroom' };
      case 'follow_up': return { customer: rec.A1a!.id, method: 'phone', summary: `电话回访 ${n}` };
      case 'vehicle_model': return { code: `M-${n}`, brand: '大众', series: '帕萨特', name: `测试车型 ${n}`, list_price: 180000 + n };
      case 'vehicle': return { vin: makeVin(random), model: rec.VM1!.id, color: '极地白', in_stock_date: isoDay(-5) };
      case 'vehicle_order': return { customer: rec.A1a!.id, model: rec.VM1!.id, list_price: 219900, discount: 3000 };
      case 'payment': return { order: rec.O_A1!.id, kind: 'other', amount: 100 };
      case 'owned_vehicle': return { customer: rec.A1a!.id, vin: makeVin(random), model: rec.VM1!.id };
      case 'repair_order': return { customer: rec.A1a!.id, owned_vehicle: rec.OV1!.id, mileage_in: 10_000 + n, complaint: '异响' };
      case 'part': return { code: `P-${n}`, name: `机油滤清器 ${n}`, price: 58 };
    }
  };
  /** A change to a field the role may write. */
  const changeBody = (form: Form, role: Role): Record<string, unknown> => {
    n++;
    switch (form) {
      case 'customer': return { budget: 150_000 + n };
      case 'follow_up': return { summary: `修改 ${n}` };
      case 'vehicle_model': return role === 'finance' ? { cost_price: 170_000 + n } : { list_price: 219_900 + n };
      case 'vehicle': return role === 'finance' ? { cost: 160_000 + n } : { color: `颜色${n}` };
      case 'vehicle_order': return role === 'stock_keeper' ? { delivery_date: isoDay(30 + (n % 30)) } : { color: `颜色${n}` };
      case 'payment': return { amount: 5000 + n };
      case 'owned_vehicle': return { next_service_date: isoDay(90 + (n % 30)) };
      case 'repair_order': return role === 'technician' ? { labor: [{ item: `工时${n}`, hours: 1, rate: 300 }] } : { mileage_in: 12_000 + n };
      case 'part': return { stock_qty: n };
    }
  };
  /** The record of each form every role's matrix cell reads/updates: made in store A (sales ones owned by sa_a1). */
  const target = (form: Form) => ({
    customer: rec.A1c, follow_up: rec.F_A1b, vehicle_model: rec.VM2, vehicle: rec.V2, vehicle_order: rec.O_A1,
    payment: rec.P_A1, owned_vehicle: rec.OV1, repair_order: rec.RO1, part: rec.PT1,
  })[form]!;

  beforeAll(async () => {
    t = await testEngine(dialect);
    await installPack(t.engine.db, t.engine.docs, readPackFolder(PACK));
    s = await startServer(t.engine); // the built-in 'admin' user ("root" here)
    const d = t.engine.departments;
    dept.group = (await d.create({ name: '某汽车集团', kind: 'group', key: 'group' })).id;
    dept.storeA = (await d.create({ name: 'A店', kind: 'store', key: 'store_a', parent: dept.group })).id;
    dept.salesA = (await d.create({ name: 'A店销售部', kind: 'department', key: 'sales_a', parent: dept.storeA })).id;
    dept.storeB = (await d.create({ name: 'B店', kind: 'store', key: 'store_b', parent: dept.group })).id;
    const people: Array<[string, Role, string | null]> = [
      ['it_admin', 'admin', null], ['gm', 'general_manager', 'storeA'],
      ['sm_a', 'sales_manager', 'storeA'], ['sm_b', 'sales_manager', 'storeB'],
      ['sa_a1', 'sales_advisor', 'salesA'], ['sa_a2', 'sales_advisor', 'salesA'], ['sa_b', 'sales_advisor', 'storeB'],
      ['sk', 'stock_keeper', 'storeA'], ['fin', 'finance', 'storeA'], ['svc', 'service_advisor', 'storeA'], ['tech', 'technician', 'storeA'],
    ];
    for (const [username, role, where] of people) {
      const u = await t.engine.users.create({ username, password: `pw-${username}-12345`, roles: [role], department: where ? dept[where]! : null });
      const login = await s.api('/api/auth/login', { body: { username, password: `pw-${username}-12345` }, token: null });
      expect(login.status).toBe(200);
      users[username] = { id: u.id, token: login.body.token };
    }

    // The catalogue (general manager), stock (stock keeper), costs (finance).
    rec.VM1 = await create('gm', 'vehicle_model', { code: 'PST-330', brand: '大众', series: '帕萨特', name: '2026款 330TSI 精英版', list_price: 219900, cost_price: 172345.67 });
    rec.VM2 = await create('gm', 'vehicle_model', { code: 'TRQ-280', brand: '大众', series: '途观L', name: '2026款 280TSI 两驱', list_price: 215800, cost_price: 196500 });
    rec.V1 = await create('sk', 'vehicle', { vin: makeVin(random), model: rec.VM1.id, color: '曜岩黑', in_stock_date: isoDay(-20) });
    rec.V2 = await create('sk', 'vehicle', { vin: makeVin(random), model: rec.VM2.id, color: '极地白', in_stock_date: isoDay(-50) });
    const cost = await call('fin', 'PATCH', `/api/records/vehicle/${rec.V1.id}`, { cost: 168888.88, _version: rec.V1._version });
    expect(cost.status).toBe(200);
    expect(cost.body.cost).toBe(168888.88);

    // Customers, follow-ups and orders of three advisors in two stores.
    rec.A1a = await create('sa_a1', 'customer', { name: '张伟', phone: PHONE_A1, id_number: ID_NUMBER, source: 'showroom', level: 'h' });
    rec.A1b = await create('sa_a1', 'customer', { name: '李娜', phone: '13812345672', source: 'online' });
    rec.A1c = await create('sa_a1', 'customer', { name: '王芳', phone: '13812345673', source: 'phone' });
    rec.A2a = await create('sa_a2', 'customer', { name: '刘洋', phone: '13912345681', id_number: '440301199005123452', source: 'referral' });
    rec.A2b = await create('sa_a2', 'customer', { name: '陈静', phone: '13912345682', source: 'showroom' });
    rec.B1 = await create('sa_b', 'customer', { name: '赵强', phone: '13712345691', source: 'auto_show' });
    rec.F_A1a = await create('sa_a1', 'follow_up', { customer: rec.A1a.id, method: 'visit', summary: '到店看车，试驾帕萨特', new_level: 'h' });
    rec.F_A1b = await create('sa_a1', 'follow_up', { customer: rec.A1b.id, method: 'phone', summary: '电话邀约' });
    rec.F_A2a = await create('sa_a2', 'follow_up', { customer: rec.A2a.id, method: 'phone', summary: '报价' });
    rec.F_B1 = await create('sa_b', 'follow_up', { customer: rec.B1.id, method: 'online', summary: '微信沟通' });
    rec.O_A1 = await create('sa_a1', 'vehicle_order', { customer: rec.A1a.id, model: rec.VM1.id, color: '曜岩黑', list_price: 219900, discount: 5000 });
    rec.O_A2 = await create('sa_a2', 'vehicle_order', { customer: rec.A2a.id, model: rec.VM2.id, list_price: 215800, discount: 2000 });
    rec.O_B = await create('sa_b', 'vehicle_order', { customer: rec.B1.id, model: rec.VM1.id, list_price: 219900, discount: 0 });
    rec.P_A1 = await create('fin', 'payment', { order: rec.O_A1.id, kind: 'deposit', amount: 5000 });

    // After-sales (service advisor).
    rec.PT1 = await create('svc', 'part', { code: 'OF-001', name: '机油滤清器', stock_qty: 20, safety_stock: 5, price: 58 });
    rec.OV1 = await create('svc', 'owned_vehicle', { customer: rec.A1a.id, vin: makeVin(random), model: rec.VM1.id, next_service_date: isoDay(60) });
    rec.RO1 = await create('svc', 'repair_order', { customer: rec.A1a.id, owned_vehicle: rec.OV1.id, mileage_in: 5000, complaint: '首保' });
  });

  afterAll(async () => {
    await s?.close();
    await t?.drop();
  });

  // ---------------------------------------------------------------------------------------------
  // Row scopes (run before the matrix, which adds records)
  // ---------------------------------------------------------------------------------------------

  it('an advisor lists only the customers, follow-ups and orders they own', async () => {
    const names = async (user: string, form: Form) => {
      const r = await list(user, form);
      expect(r.status).toBe(200);
      expect(r.body.total).toBe(r.body.items.length);
      return r.body.items.map((x: any) => x.id).sort((a: number, b: number) => a - b);
    };
    const ids = (...keys: string[]) => keys.map((k) => rec[k]!.id).sort((a, b) => a - b);
    expect(await names('sa_a1', 'customer')).toEqual(ids('A1a', 'A1b', 'A1c'));
    expect(await names('sa_a2', 'customer')).toEqual(ids('A2a', 'A2b'));
    expect(await names('sa_b', 'customer')).toEqual(ids('B1'));
    expect(await names('sa_a1', 'follow_up')).toEqual(ids('F_A1a', 'F_A1b'));
    expect(await names('sa_a2', 'follow_up')).toEqual(ids('F_A2a'));
    expect(await names('sa_a1', 'vehicle_order')).toEqual(ids('O_A1'));
    expect(await names('sa_b', 'vehicle_order')).toEqual(ids('O_B'));
    // Stock lookup is not scoped: every advisor sees every vehicle (他店库存 too), without cost.
    expect(await names('sa_b', 'vehicle')).toEqual(ids('V1', 'V2'));
    // A filter cannot widen the scope.
    const widened = await list('sa_a1', 'customer', `&filter=${encodeURIComponent(JSON.stringify({ '==': [{ var: '_owner' }, users.sa_a2!.id] }))}`);
    expect(widened.status).toBe(200);
    expect(widened.body.total).toBe(0);
  });

  it("an advisor cannot read, change, delete or trace another advisor's records", async () => {
    for (const [form, key] of [['customer', 'A2a'], ['follow_up', 'F_A2a'], ['vehicle_order', 'O_A2'], ['customer', 'B1']] as Array<[Form, string]>) {
      const r = rec[key]!;
      expect((await call('sa_a1', 'GET', `/api/records/${form}/${r.id}`)).status, `${form} ${key}`).toBe(404);
      expect((await call('sa_a1', 'GET', `/api/records/${form}/${r.id}/history`)).status).toBe(404);
      const patch = await call('sa_a1', 'PATCH', `/api/records/${form}/${r.id}`, { _version: await version(form, r.id) });
      expect(patch.status).toBe(404);
      // No advisor may delete at all: refused before the row is even looked up.
      expect((await call('sa_a1', 'DELETE', `/api/records/${form}/${r.id}`)).status).toBe(403);
    }
    // The other advisor's customer is untouched, and an id that does not exist looks the same.
    expect((await call('sa_a1', 'GET', `/api/records/customer/999999`)).status).toBe(404);
    expect((await call('root', 'GET', `/api/records/customer/${rec.A2a!.id}`)).body._version).toBe(rec.A2a!._version);
  });

  it("a sales manager sees their store's sales rows and not the other store's", async () => {
    const total = async (user: string, form: Form) => (await list(user, form)).body.total as number;
    expect(await total('sm_a', 'customer')).toBe(5);
    expect(await total('sm_b', 'customer')).toBe(1);
    expect(await total('sm_a', 'follow_up')).toBe(3);
    expect(await total('sm_b', 'follow_up')).toBe(1);
    expect(await total('sm_a', 'vehicle_order')).toBe(2);
    expect(await total('sm_b', 'vehicle_order')).toBe(1);
    expect(await total('sm_a', 'payment')).toBe(1); // recorded by store A's finance
    expect(await total('sm_b', 'payment')).toBe(0);
    expect(await total('gm', 'customer')).toBe(6); // the general manager: all rows
    expect((await call('sm_b', 'GET', `/api/records/customer/${rec.A1a!.id}`)).status).toBe(404);
    expect((await call('sm_a', 'GET', `/api/records/customer/${rec.B1!.id}`)).status).toBe(404);
    expect((await call('sm_a', 'PATCH', `/api/records/vehicle_order/${rec.O_B!.id}`, { color: 'x', _version: 1 })).status).toBe(404);
    expect((await call('sm_a', 'GET', `/api/records/follow_up/${rec.F_B1!.id}`)).status).toBe(404);
    expect((await call('sm_b', 'GET', `/api/records/payment/${rec.P_A1!.id}`)).status).toBe(404);
    expect((await call('sm_a', 'GET', `/api/records/customer/${rec.A2a!.id}`)).status).toBe(200);
    // Catalogue and stock are shared across stores.
    expect(await total('sm_b', 'vehicle')).toBe(2);
  });

  // ---------------------------------------------------------------------------------------------
  // The permission matrix: every role × every form × create, read one, list, update, delete
  // ---------------------------------------------------------------------------------------------

  it.each(ROLES)('permission matrix: %s', async (role) => {
    const user = PLAYER[role];
    const wrong: string[] = [];
    const check = (form: Form, action: Action, status: number, allowed: number, detail: unknown) => {
      const want = EXPECTED[role][form].has(action) ? allowed : 403;
      if (status !== want) wrong.push(`${role} ${action} ${form}: got ${status}, want ${want} ${JSON.stringify(detail).slice(0, 300)}`);
    };
    for (const form of FORMS) {
      const tgt = target(form);
      const c = await call(user, 'POST', `/api/records/${form}`, newBody(form));
      check(form, 'create', c.status, 201, c.body);
      if (c.status === 201) expect(c.body._owner).toBe(users[user]!.id);

      const r = await call(user, 'GET', `/api/records/${form}/${tgt.id}`);
      check(form, 'read', r.status, 200, r.body);
      if (r.status === 200) expect(r.body.id).toBe(tgt.id);

      const l = await list(user, form);
      check(form, 'list', l.status, 200, l.body);
      if (l.status === 200) {
        expect(l.body.items.map((x: any) => x.id)).toContain(tgt.id);
        // Lists hold only rows in scope.
        if (role === 'sales_advisor' && SALES_ROWS.includes(form)) for (const x of l.body.items) expect(x._owner).toBe(users[user]!.id);
        const other = STORE_B[form];
        if (role === 'sales_manager' && other) expect(l.body.items.map((x: any) => x.id)).not.toContain(rec[other]!.id);
      }

      const u = await call(user, 'PATCH', `/api/records/${form}/${tgt.id}`, { ...changeBody(form, role), _version: await version(form, tgt.id) });
      check(form, 'update', u.status, 200, u.body);

      let victim = tgt.id;
      if (EXPECTED[role][form].has('delete')) victim = (await create('root', form, newBody(form))).id;
      const d = await call(user, 'DELETE', `/api/records/${form}/${victim}`);
      check(form, 'delete', d.status, 204, d.body);
      if (d.status === 204) expect((await call('root', 'GET', `/api/records/${form}/${victim}`)).status).toBe(404);
    }
    expect(wrong).toEqual([]);
  });

  it('the metadata a role reads lists exactly the forms it may read', async () => {
    for (const role of ROLES) {
      const r = await call(PLAYER[role], 'GET', '/api/meta/forms');
      expect(r.status).toBe(200);
      const readable = FORMS.filter((f) => EXPECTED[role][f].has('read'));
      // (the forms of issue 7 have their own check in pack-complete.test.ts)
      const contractForms = r.body.map((d: any) => d.key).filter((k: string) => (FORMS as readonly string[]).includes(k));
      expect(contractForms.sort(), role).toEqual([...readable].sort());
      for (const f of FORMS.filter((x) => !EXPECTED[role][x].has('read'))) {
        expect((await call(PLAYER[role], 'GET', `/api/meta/forms/${f}`)).status).toBe(404);
      }
    }
    // Roles themselves are for administrators only.
    expect((await call('gm', 'GET', '/api/meta/roles')).status).toBe(403);
    expect((await call('it_admin', 'GET', '/api/meta/roles')).status).toBe(200);
  });

  // ---------------------------------------------------------------------------------------------
  // Hidden fields: on every read path, and refused in writes
  // ---------------------------------------------------------------------------------------------

  it.each(HIDDEN)('%s never sees %s.%s: record, list, sort, filter, form document', async (role, form, field) => {
    const user = PLAYER[role];
    const one = form === 'customer' ? rec.A1a! : form === 'vehicle' ? rec.V1! : rec.VM1!;
    const got = await call(user, 'GET', `/api/records/${form}/${one.id}`);
    expect(got.status).toBe(200);
    expect(got.body).not.toHaveProperty(field);
    const all = await list(user, form);
    expect(all.status).toBe(200);
    expect(all.body.items.length).toBeGreaterThan(0);
    for (const item of all.body.items) expect(item).not.toHaveProperty(field);
    for (const sort of [field, `-${field}`, `name,${field}`]) {
      const r = await list(user, form, `&sort=${encodeURIComponent(sort)}`);
      expect(r.status, sort).toBe(400);
      expect(r.body.error.code).toBe('bad_request');
    }
    for (const filter of [{ '!=': [{ var: field }, null] }, { '==': [{ var: field }, null] }, { or: [{ '==': [1, 1] }, { '>': [{ var: field }, 0] }] }]) {
      const r = await list(user, form, `&filter=${encodeURIComponent(JSON.stringify(filter))}`);
      expect(r.status, JSON.stringify(filter)).toBe(400);
      expect(r.body.error.code).toBe('bad_request');
    }
    const meta = await call(user, 'GET', `/api/meta/forms/${form}`);
    expect(meta.status).toBe(200);
    expect(meta.body.fields.map((f: any) => f.key)).not.toContain(field);
    expect(meta.body.fields.length).toBeGreaterThan(0);
    // Control: the general manager (or finance, for ID numbers) sees it.
    const seer = form === 'customer' ? 'fin' : 'gm';
    expect((await call(seer, 'GET', `/api/records/${form}/${one.id}`)).body).toHaveProperty(field);
    if (field !== 'id_number') expect((await list(seer, form, `&sort=-${field}`)).status).toBe(200); // sensitive: never sortable
  });

  it('a value only present in a hidden or masked field is not found by q', async () => {
    const q = (user: string, form: Form, text: string) => list(user, form, `&q=${encodeURIComponent(text)}`);
    // Control: the phone is searchable for a role that sees it…
    expect((await q('sm_a', 'customer', PHONE_A1)).body.total).toBe(1);
    expect((await q('sa_a1', 'customer', PHONE_A1)).body.total).toBe(1);
    expect((await q('sk', 'customer', '张伟')).body.total).toBe(1);
    // …and finds nothing for the stock keeper (phone hidden) or the general manager (phone masked).
    for (const text of [PHONE_A1, '2345671', '138123']) {
      const hidden = await q('sk', 'customer', text);
      expect(hidden.status).toBe(200);
      expect(hidden.body.total).toBe(0);
      const masked = await q('gm', 'customer', text);
      expect(masked.status).toBe(200);
      expect(masked.body.total).toBe(0);
    }
    // The ID number is encrypted and never searchable, even for those who see it.
    expect((await q('fin', 'customer', ID_NUMBER)).body.total).toBe(0);
    expect((await q('fin', 'customer', '1949')).body.total).toBe(0);
    // Costs are not text; searching their digits finds nothing for anyone.
    expect((await q('sa_a1', 'vehicle_model', '172345')).body.total).toBe(0);
    expect((await q('sa_a1', 'vehicle', '168888')).body.total).toBe(0);
  });

  it('history never carries a hidden field', async () => {
    // V1: created by the stock keeper, then its cost set by finance (an entry that only changes cost).
    const seen = await call('gm', 'GET', `/api/records/vehicle/${rec.V1!.id}/history`);
    expect(seen.status).toBe(200);
    expect(seen.body.some((h: any) => 'cost' in h.changes)).toBe(true);
    for (const user of ['sa_a1', 'sk']) {
      const h = await call(user, 'GET', `/api/records/vehicle/${rec.V1!.id}/history`);
      expect(h.status).toBe(200);
      expect(h.body.length).toBeGreaterThan(0);
      for (const entry of h.body) expect(entry.changes).not.toHaveProperty('cost');
      expect(JSON.stringify(h.body)).not.toContain('168888');
      const m = await call(user, 'GET', `/api/records/vehicle_model/${rec.VM1!.id}/history`);
      expect(m.status).toBe(200);
      for (const entry of m.body) expect(entry.changes).not.toHaveProperty('cost_price');
      expect(JSON.stringify(m.body)).not.toContain('172345');
    }
    const c = await call('sk', 'GET', `/api/records/customer/${rec.A1a!.id}/history`);
    expect(c.status).toBe(200);
    for (const entry of c.body) {
      expect(entry.changes).not.toHaveProperty('id_number');
      expect(entry.changes).not.toHaveProperty('phone');
    }
    expect(JSON.stringify(c.body)).not.toContain(ID_NUMBER);
  });

  it("a role's OpenAPI document leaves out hidden fields and unreadable forms", async () => {
    const doc = async (user: string) => {
      const r = await call(user, 'GET', '/api/openapi.json');
      expect(r.status).toBe(200);
      return r.body;
    };
    const props = (d: any, form: Form, kind: 'Record' | 'Input' | 'Patch') => d.components.schemas[`${formComponentName(form)}${kind}`]?.properties;
    for (const role of ROLES) {
      const d = await doc(PLAYER[role]);
      for (const form of FORMS) {
        const readable = EXPECTED[role][form].has('read');
        expect(!!props(d, form, 'Record'), `${role} ${form}`).toBe(readable);
        expect(!!d.paths[`/api/records/${form}`], `${role} ${form} path`).toBe(readable);
      }
    }
    for (const [role, form, field] of HIDDEN) {
      const d = await doc(PLAYER[role]);
      for (const kind of ['Record', 'Input', 'Patch'] as const) {
        expect(props(d, form, kind), `${role} ${form}${kind}`).toBeDefined();
        expect(Object.keys(props(d, form, kind)), `${role} ${form}${kind}`).not.toContain(field);
      }
    }
    const advisor = JSON.stringify(await doc('sa_a1'));
    expect(advisor).not.toContain('cost_price');
    // Controls: the general manager's document has the costs, and no token has no form schemas.
    const gm = await doc('gm');
    expect(Object.keys(props(gm, 'vehicle_model', 'Record'))).toContain('cost_price');
    expect(Object.keys(props(gm, 'vehicle', 'Record'))).toContain('cost');
    const anon = await s.api('/api/openapi.json', { token: null });
    expect(anon.status).toBe(200);
    expect(anon.body.components.schemas[`${formComponentName('customer')}Record`]).toBeUndefined();
  });

  it('writing a hidden field is refused with the field named', async () => {
    const c = await call('sk', 'POST', '/api/records/vehicle', { ...newBody('vehicle'), cost: 150000 });
    expect(c.status).toBe(403);
    expect(c.body.error.code).toBe('forbidden');
    expect(Object.keys(c.body.error.fields)).toEqual(['cost']);
    const before = (await call('root', 'GET', `/api/records/vehicle/${rec.V2!.id}`)).body;
    const v = before._version as number;
    const u = await call('sk', 'PATCH', `/api/records/vehicle/${rec.V2!.id}`, { color: '天青蓝', cost: 1, _version: v });
    expect(u.status).toBe(403);
    expect(Object.keys(u.body.error.fields)).toEqual(['cost']);
    // Nothing was written: not the cost, not the colour sent along with it.
    const after = (await call('root', 'GET', `/api/records/vehicle/${rec.V2!.id}`)).body;
    expect(after._version).toBe(v);
    expect(after.cost).toBe(before.cost);
    expect(after.color).toBe(before.color);
    // The same write without the hidden field goes through.
    expect((await call('sk', 'PATCH', `/api/records/vehicle/${rec.V2!.id}`, { color: '天青蓝', _version: v })).status).toBe(200);
  });

  it('writing a read-only field: a change is refused, the unchanged value accepted', async () => {
    // The advisor's order status moves only by approval.
    let o = (await call('sa_a1', 'GET', `/api/records/vehicle_order/${rec.O_A1!.id}`)).body;
    expect(o.status).toBe('pending_approval');
    let r = await call('sa_a1', 'PATCH', `/api/records/vehicle_order/${o.id}`, { status: 'approved', _version: o._version });
    expect(r.status).toBe(403);
    expect(Object.keys(r.body.error.fields)).toEqual(['status']);
    r = await call('sa_a1', 'PATCH', `/api/records/vehicle_order/${o.id}`, { vehicle: rec.V1!.id, color: '星空灰', _version: o._version });
    expect(r.status).toBe(403);
    expect(Object.keys(r.body.error.fields)).toEqual(['vehicle']);
    // A form posting the whole record back, with the read-only values unchanged: accepted.
    const { id: _id, _version, _createdAt, _updatedAt, _createdBy, _owner, ...whole } = o;
    r = await call('sa_a1', 'PATCH', `/api/records/vehicle_order/${o.id}`, { ...whole, color: '星空灰', _version });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.color).toBe('星空灰');
    expect(r.body.status).toBe('pending_approval');
    // A new order or customer may not set them either.
    expect((await call('sa_a1', 'POST', '/api/records/vehicle_order', { ...newBody('vehicle_order'), status: 'approved' })).status).toBe(403);
    expect((await call('sa_a1', 'POST', '/api/records/customer', { ...newBody('customer'), status: 'lost' })).status).toBe(403);
    // The sales manager approves; the stock keeper allocates, but may not touch the price.
    o = (await call('sm_a', 'PATCH', `/api/records/vehicle_order/${o.id}`, { status: 'approved', _version: r.body._version })).body;
    expect(o.status).toBe('approved');
    r = await call('sk', 'PATCH', `/api/records/vehicle_order/${o.id}`, { discount: 0, _version: o._version });
    expect(r.status).toBe(403);
    expect(Object.keys(r.body.error.fields)).toEqual(['discount']);
    r = await call('sk', 'PATCH', `/api/records/vehicle_order/${o.id}`, { vehicle: rec.V1!.id, status: 'allocated', discount: o.discount, _version: o._version });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.vehicle).toBe(rec.V1!.id);
    // Finance keeps the cost price but not the list price.
    const m = (await call('fin', 'GET', `/api/records/vehicle_model/${rec.VM1!.id}`)).body;
    r = await call('fin', 'PATCH', `/api/records/vehicle_model/${m.id}`, { list_price: 1, _version: m._version });
    expect(r.status).toBe(403);
    expect(Object.keys(r.body.error.fields)).toEqual(['list_price']);
    r = await call('fin', 'PATCH', `/api/records/vehicle_model/${m.id}`, { list_price: m.list_price, cost_price: 172000, _version: m._version });
    expect(r.status).toBe(200);
    expect(r.body.cost_price).toBe(172000);
    // The technician records labour but not what the customer said.
    const ro = (await call('tech', 'GET', `/api/records/repair_order/${rec.RO1!.id}`)).body;
    r = await call('tech', 'PATCH', `/api/records/repair_order/${ro.id}`, { complaint: '改了', _version: ro._version });
    expect(r.status).toBe(403);
    expect(Object.keys(r.body.error.fields)).toEqual(['complaint']);
    r = await call('tech', 'PATCH', `/api/records/repair_order/${ro.id}`, { complaint: ro.complaint, status: 'in_progress', _version: ro._version });
    expect(r.status).toBe(200);
    expect(r.body.status).toBe('in_progress');
  });

  it('a stale-version conflict is answered with 409', async () => {
    const v = (await call('sk', 'GET', `/api/records/vehicle/${rec.V1!.id}`)).body;
    const r = await call('sk', 'PATCH', `/api/records/vehicle/${v.id}`, { color: '宝石红', _version: v._version + 5 });
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe('conflict');
    expect(r.body.error.details.currentVersion).toBe(v._version);
  });

  // A stale `_version` on PATCH or DELETE answers with the current record as the role sees it:
  // hidden costs and ID numbers stay out of error.details.record.
  it('a stale-version conflict carries only what the role may see', async () => {
    const v = (await call('sk', 'GET', `/api/records/vehicle/${rec.V1!.id}`)).body;
    const patch = await call('sk', 'PATCH', `/api/records/vehicle/${v.id}`, { color: '宝石红', _version: v._version + 5 });
    const del = await call('sk', 'DELETE', `/api/records/vehicle/${v.id}?_version=${v._version + 5}`);
    const c = (await call('sm_a', 'GET', `/api/records/customer/${rec.A1a!.id}`)).body;
    const cust = await call('sm_a', 'PATCH', `/api/records/customer/${c.id}`, { budget: 1, _version: c._version + 5 });
    expect([patch.status, del.status, cust.status]).toEqual([409, 409, 409]);
    expect(patch.body.error.details?.record ?? {}).not.toHaveProperty('cost');
    expect(del.body.error.details?.record ?? {}).not.toHaveProperty('cost');
    expect(JSON.stringify(cust.body)).not.toContain(ID_NUMBER);
  });

  // ---------------------------------------------------------------------------------------------
  // Masked fields
  // ---------------------------------------------------------------------------------------------

  it('masked fields are shown masked and cannot be sorted, filtered or searched by', async () => {
    for (const user of ['sm_a', 'gm', 'svc']) {
      const one = await call(user, 'GET', `/api/records/customer/${rec.A1a!.id}`);
      expect(one.status).toBe(200);
      expect(one.body.id_number, user).toBe(ID_MASKED);
      const items = (await list(user, 'customer')).body.items;
      expect(items.find((x: any) => x.id === rec.A1a!.id).id_number).toBe(ID_MASKED);
      expect(JSON.stringify(items)).not.toContain(ID_NUMBER);
      for (const q of ['&sort=id_number', `&filter=${encodeURIComponent(JSON.stringify({ '==': [{ var: 'id_number' }, ID_NUMBER] }))}`]) {
        expect((await list(user, 'customer', q)).status, `${user} ${q}`).toBe(400);
      }
      const h = await call(user, 'GET', `/api/records/customer/${rec.A1a!.id}/history`);
      expect(h.status).toBe(200);
      expect(h.body[0].changes.id_number).toEqual([null, ID_MASKED]);
    }
    // The general manager sees phones masked too, and may not sort or filter by them.
    const gm = (await call('gm', 'GET', `/api/records/customer/${rec.A1a!.id}`)).body;
    expect(gm.phone).toBe('138****5671');
    expect((await list('gm', 'customer', '&sort=phone')).status).toBe(400);
    expect((await list('gm', 'customer', `&filter=${encodeURIComponent(JSON.stringify({ '==': [{ var: 'phone' }, PHONE_A1] }))}`)).status).toBe(400);
    expect((await call('gm', 'GET', `/api/records/customer/${rec.A1a!.id}/history`)).body[0].changes.phone).toEqual([null, '138****5671']);
    // Masked is read-only: the service advisor cannot enter an ID number for a new customer.
    const r = await call('svc', 'POST', '/api/records/customer', { ...newBody('customer'), id_number: '440301199005123452' });
    expect(r.status).toBe(403);
    expect(Object.keys(r.body.error.fields)).toEqual(['id_number']);
    // The same manager sees phones in plain (they call customers), sortable.
    expect((await call('sm_a', 'GET', `/api/records/customer/${rec.A1a!.id}`)).body.phone).toBe(PHONE_A1);
    expect((await list('sm_a', 'customer', '&sort=phone')).status).toBe(200);
  });

  // ---------------------------------------------------------------------------------------------
  // Sensitive: encrypted at rest
  // ---------------------------------------------------------------------------------------------

  it('customer.id_number is encrypted at rest and reads back plain for those who see it', async () => {
    const form = await t.engine.forms.get('customer');
    const column = form.byKey.get('id_number')!.column!;
    const raw = await t.engine.db.knex(form.table).where({ id: rec.A1a!.id }).first();
    expect(String(raw[column])).toMatch(/^enc:v1:/);
    expect(String(raw[column])).not.toContain(ID_NUMBER);
    expect(String(raw[column])).not.toContain('19491231');
    const audits = await t.engine.db.knex('fw_audit').where({ form: 'customer', record_id: rec.A1a!.id });
    expect(audits.length).toBeGreaterThan(0);
    for (const a of audits) {
      expect(String(a.changes)).not.toContain(ID_NUMBER);
      expect(String(a.changes)).not.toContain('19491231');
    }
    const outbox = await t.engine.db.knex('fw_outbox').where({ form: 'customer', record_id: rec.A1a!.id });
    expect(outbox.length).toBeGreaterThan(0);
    for (const o of outbox) expect(String(o.payload)).not.toContain('19491231');
    // The owner and finance read it in plain; the owner's history shows it in plain.
    expect((await call('sa_a1', 'GET', `/api/records/customer/${rec.A1a!.id}`)).body.id_number).toBe(ID_NUMBER);
    expect((await call('fin', 'GET', `/api/records/customer/${rec.A1a!.id}`)).body.id_number).toBe(ID_NUMBER);
    expect((await call('sa_a1', 'GET', `/api/records/customer/${rec.A1a!.id}/history`)).body[0].changes.id_number).toEqual([null, ID_NUMBER]);
    // Another advisor never sees it: the customer is outside their rows.
    expect((await call('sa_a2', 'GET', `/api/records/customer/${rec.A1a!.id}`)).status).toBe(404);
  });
});
