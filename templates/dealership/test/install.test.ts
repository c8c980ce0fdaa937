/**
 * The dealership pack installs into an empty database on SQLite and PostgreSQL (twice changes
 * nothing), and its demo data loads through RecordService with rules, autonumbers and rollups.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../../../engine/test/helpers/db.js';
import { testEngine, type TestEngine } from '../../../engine/test/helpers/engine.js';
import { installPack, readPackFolder } from '../../../engine/src/packs/install.js';
import { SYSTEM_ACTOR } from '../../../engine/src/auth/actor.js';
// @ts-expect-error plain JS module without types
import { loadDemoData, makeVin } from '../demo/index.js';
import { applyRule } from '../../../engine/src/rules/operations.js';
import { buildOpenApi } from '../../../engine/src/http/openapi.js';
import { Validator } from '@seriousme/openapi-schema-validator';

const PACK = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

describe.each(DIALECTS)('dealership pack on %s', (dialect) => {
  let t: TestEngine;
  beforeAll(async () => {
    t = await testEngine(dialect);
  });
  afterAll(() => t.drop());

  it('installs every form as a table, and installing again changes nothing', async () => {
    const pack = readPackFolder(PACK);
    const first = await installPack(t.engine.db, t.engine.docs, pack);
    const forms = first.installed.filter((d) => d.kind === 'forms');
    expect(forms.map((d) => d.key).sort()).toEqual(
      [
        'callback', 'complaint', 'customer', 'delivery_check', 'follow_up', 'oem_rebate', 'owned_vehicle', 'part', 'payment', 'quote', 'refund',
        'repair_order', 'service_appointment', 'stock_movement', 'stocktake', 'test_drive', 'vehicle', 'vehicle_model', 'vehicle_order',
      ],
    );
    for (const d of forms) expect(await t.db.knex.schema.hasTable(`t_${d.key}`)).toBe(true);
    expect(first.installed.filter((d) => d.kind === 'roles').map((d) => d.key).sort()).toEqual(
      ['admin', 'finance', 'general_manager', 'sales_advisor', 'sales_manager', 'service_advisor', 'stock_keeper', 'technician'],
    );
    expect(await t.db.knex.schema.hasTable('t_vehicle_order__accessories')).toBe(true);
    for (const sub of ['t_quote__accessories', 't_delivery_check__items', 't_stocktake__lines']) expect(await t.db.knex.schema.hasTable(sub)).toBe(true);
    const second = await installPack(t.engine.db, t.engine.docs, readPackFolder(PACK));
    expect(second.installed).toEqual([]);
    expect(second.unchanged).toHaveLength(first.installed.length);
  });

  it('loads demo data through the record service', async () => {
    const n = await loadDemoData(t.engine);
    expect(n).toBeGreaterThan(50);
    expect(await loadDemoData(t.engine)).toBe(0); // only into an empty database
    const orders = await t.engine.records.list(SYSTEM_ACTOR, 'vehicle_order', { pageSize: 100 });
    expect(orders.total).toBe(12);
    for (const o of orders.items) {
      expect(o.order_no).toMatch(/^SO\d{10}$/);
      expect(o.paid_amount).toBe(5000);
      expect(o.deal_price).toBeCloseTo((o.list_price as number) - (o.discount as number), 2);
    }
    const vehicles = await t.engine.records.list(SYSTEM_ACTOR, 'vehicle', { pageSize: 100 });
    for (const v of vehicles.items) expect(typeof v.age_days).toBe('number');
  });

  it('describes the installed forms in a valid OpenAPI 3.1 document', async () => {
    const forms = (await t.engine.forms.all()).map((f) => f.def);
    const doc = buildOpenApi(forms, { version: '0.1.0' });
    const result = await new Validator().validate(doc as unknown as Record<string, unknown>);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(Object.keys(doc.paths)).toContain('/api/records/vehicle_order');
  });

  it('makes VINs with valid check digits', () => {
    let seed = 1;
    const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    const vehicle = readPackFolder(PACK).documents.find((d) => d.key === 'vehicle')!.doc;
    const rule = vehicle.fields.find((f: any) => f.key === 'vin').validate[0].rule;
    for (let i = 0; i < 50; i++) expect(applyRule(rule, { vin: makeVin(random) })).toBe(true);
  });
});
