/**
 * The client at work: sign in, create a customer, list the latest vehicle orders.
 *
 *   node examples/api-client/generate.mjs --url URL --user admin --password P   # types.ts
 *   npx tsc -p examples/api-client                                              # → dist/
 *   node examples/api-client/dist/demo.js --url URL --user admin --password P
 *
 * Every call is typed from types.ts: `customer` is a `Schemas['CustomerRecord']`, the body of the
 * create is checked against `CustomerInput`, and `orders.items` are `VehicleOrderRecord`s.
 */
import { formworkClient, ok, type Schemas } from './client.js';

export interface DemoResult {
  user: string;
  customer: Schemas['CustomerRecord'];
  orders: Schemas['VehicleOrderList'];
}

export async function runDemo(url: string, username: string, password: string, log: (line: string) => void = console.log): Promise<DemoResult> {
  const fw = formworkClient(url, { language: 'zh-CN' });
  const session = await fw.login(username, password);
  log(`signed in as ${session.user.username} (${session.user.roles.join(', ')})`);

  const input: Schemas['CustomerInput'] = {
    name: '李四',
    phone: `139${String(Date.now()).slice(-8)}`,
    gender: 'male',
    source: 'online',
    level: 'h',
    budget: 180000,
  };
  const customer = ok(await fw.api.POST('/api/records/customer', { body: input }));
  log(`created customer #${customer.id} ${customer.customer_no ?? ''} ${customer.name} (level ${customer.level})`);

  const orders = ok(await fw.api.GET('/api/records/vehicle_order', { params: { query: { sort: '-order_date', pageSize: 10 } } }));
  log(`${orders.total} vehicle orders; the latest ${orders.items.length}:`);
  for (const o of orders.items) log(`  ${o.order_no} customer #${o.customer} ${o.status} ¥${o.total_amount ?? o.list_price}`);
  return { user: session.user.username, customer, orders };
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}

// Run as a script (not when imported by the test).
if (process.argv[1] && /demo\.[jt]s$/.test(process.argv[1])) {
  const url = arg('url') ?? process.env.FORMWORK_URL ?? 'http://127.0.0.1:3000';
  const user = arg('user') ?? process.env.FORMWORK_USER ?? 'admin';
  const password = arg('password') ?? process.env.FORMWORK_PASSWORD ?? '';
  runDemo(url, user, password).catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
