/**
 * The typed API client (examples/api-client) against a real server with the dealership pack:
 * types generated from the server's OpenAPI document by openapi-typescript, a usage file that
 * type-checks with `tsc --noEmit`, a file of deliberate mistakes that must fail the check (each
 * one at its line: the types are real, not `any`), and the demo run against the server.
 */
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngine, startServer, ADMIN_PASSWORD, type TestEngine, type TestServer } from '../../../engine/test/helpers/engine.js';
import { installPack, readPackFolder } from '../../../engine/src/packs/install.js';
// @ts-expect-error plain JS module without types
import { generateTypes } from '../generate.mjs';
import { runDemo } from '../demo.js';

const CLIENT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const REPO = path.resolve(CLIENT, '../..');
const DEALERSHIP = path.join(REPO, 'templates/dealership');
const TSC = path.join(REPO, 'node_modules/typescript/bin/tsc');

/** A program using the client as intended: must compile. */
const USAGE = `import { formworkClient, ok, type Schemas } from './client.js';

export async function usage(url: string): Promise<string> {
  const fw = formworkClient(url);
  await fw.login('admin', 'secret');
  const created: Schemas['CustomerRecord'] = ok(await fw.api.POST('/api/records/customer', { body: { name: '赵六', phone: '13700137000', level: 'a' } }));
  const name: string = created.name ?? ''; // a field the caller may not see is absent, so record fields are optional
  const page = ok(await fw.api.GET('/api/records/vehicle_order', { params: { query: { pageSize: 5, sort: '-order_date' } } }));
  const first = page.items[0];
  const customerId: number | null | undefined = first?.customer;
  const tasks = ok(await fw.api.GET('/api/tasks', { params: { query: { status: 'open' } } }));
  const upd = ok(await fw.api.PATCH('/api/records/customer/{id}', { params: { path: { id: created.id } }, body: { level: 'o', _version: created._version } }));
  return [name, customerId, tasks.items.length, upd.level].join(' ');
}
`;

/** Each line marked `// ERROR` must be a type error, and nothing else may be. */
const BAD = `import { formworkClient, ok, type Schemas } from './client.js';

export async function bad(url: string) {
  const fw = formworkClient(url);
  ok(await fw.api.POST('/api/records/customer', { body: { name: '缺手机号' } })); // ERROR: phone is required
  ok(await fw.api.POST('/api/records/customer', { body: { name: '王五', phone: '13600136000', level: 'vip' } })); // ERROR: not an option key
  const input: Schemas['CustomerInput'] = { name: '王五', phone: '13600136000', nmae: 'typo' }; // ERROR: no such field
  ok(await fw.api.POST('/api/records/customer', { body: input }));
  await fw.api.GET('/api/records/no_such_form'); // ERROR: not a published form
  const page = ok(await fw.api.GET('/api/records/vehicle_order'));
  const total: string = page.total; // ERROR: a number
  const orderNo: number = page.items[0]!.order_no!; // ERROR: a string
  return page.items[0]!.no_such_field; // ERROR: not a field of vehicle_order
}
`;

/** tsc in a child process (asynchronously: a blocked event loop would stall the server under test). */
async function tsc(dir: string, files: string[]): Promise<{ code: number; out: string }> {
  fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({
    extends: path.relative(dir, path.join(REPO, 'tsconfig.base.json')),
    compilerOptions: { noEmit: true, types: ['node'] },
    files,
  }));
  const child = spawn(process.execPath, [TSC, '-p', dir, '--noEmit', '--pretty', 'false'], { cwd: dir });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? -1)));
  return { code, out };
}

describe('typed API client', () => {
  let t: TestEngine;
  let s: TestServer;
  // Inside the examples folder, so that `openapi-fetch` resolves from the workspace's node_modules.
  const dir = path.join(CLIENT, `.check-${crypto.randomBytes(4).toString('hex')}`);

  beforeAll(async () => {
    t = await testEngine('sqlite');
    await installPack(t.engine.db, t.engine.docs, readPackFolder(DEALERSHIP));
    s = await startServer(t.engine);
    const model = (await s.api('/api/records/vehicle_model', { body: { code: 'M1', name: '帕萨特', list_price: 200000 } })).body.id;
    const customer = (await s.api('/api/records/customer', { body: { name: '王小明', phone: '13800138000' } })).body.id;
    expect((await s.api('/api/records/vehicle_order', { body: { customer, model, list_price: 200000, discount: 0 } })).status).toBe(201);
    fs.mkdirSync(dir, { recursive: true });
    for (const f of ['client.ts', 'demo.ts']) fs.copyFileSync(path.join(CLIENT, f), path.join(dir, f));
  });
  afterAll(async () => {
    fs.rmSync(dir, { recursive: true, force: true });
    await s?.close();
    await t?.drop();
  });

  it('generates types.ts from the running engine\'s OpenAPI document, a schema per published form', async () => {
    const r = await generateTypes({ url: s.url, token: s.adminToken, out: path.join(dir, 'types.ts') });
    expect(r.forms).toBe(19);
    const types = fs.readFileSync(path.join(dir, 'types.ts'), 'utf8');
    for (const s of ['"/api/records/customer"', '"/api/records/vehicle_order"', 'CustomerInput: {', 'VehicleOrderRecord: {', '"/api/auth/login"']) expect(types).toContain(s);
  });

  it('type-checks a usage file with tsc --noEmit, and fails a file of deliberate type errors at each of its lines', async () => {
    fs.writeFileSync(path.join(dir, 'usage.ts'), USAGE);
    const good = await tsc(dir, ['client.ts', 'demo.ts', 'types.ts', 'usage.ts']);
    expect(good.out).toBe('');
    expect(good.code).toBe(0);

    fs.writeFileSync(path.join(dir, 'bad.ts'), BAD);
    const bad = await tsc(dir, ['client.ts', 'types.ts', 'bad.ts']);
    expect(bad.code).not.toBe(0);
    const errorLines = [...bad.out.matchAll(/^(\S+)\((\d+),\d+\): error TS\d+/gm)].map((m) => `${m[1]}:${m[2]}`);
    const expected = BAD.split('\n').flatMap((line, i) => (line.includes('// ERROR') ? [`bad.ts:${i + 1}`] : []));
    expect(expected).toHaveLength(7);
    expect([...new Set(errorLines)].sort()).toEqual(expected.sort());
  }, 120_000);

  it('runs the demo against the server: signs in, creates a customer, lists orders', async () => {
    const lines: string[] = [];
    const r = await runDemo(s.url, 'admin', ADMIN_PASSWORD, (l) => lines.push(l));
    expect(r.user).toBe('admin');
    expect(r.customer.name).toBe('李四');
    expect(r.customer.customer_no).toMatch(/^C\d{10}$/);
    expect(r.orders.total).toBe(1);
    expect(r.orders.items[0]!.order_no).toMatch(/^SO\d{10}$/);
    expect(lines[0]).toBe('signed in as admin (admin)');
    const stored = await s.api(`/api/records/customer/${r.customer.id}`);
    expect(stored.body.level).toBe('h');
    // A failed call surfaces the engine's error model.
    await expect(runDemo(s.url, 'admin', 'wrong-password', () => {})).rejects.toThrow(/401 unauthenticated/);
  });
});
