import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docsRouter } from '../../src/http/docs.js';
import { PLANNED, buildOpenApi, formComponentName, type OpenApiDocument, type PathGroup } from '../../src/http/openapi.js';
import { FIELD_TYPES, type FieldDef, type FormDef } from '../../src/meta/types.js';

// ajv-formats is CommonJS; its default export arrives as the module object under NodeNext.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv2020) => Ajv2020;

/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;

const API_MD_ERROR_CODES = [
  'bad_request', 'unauthenticated', 'forbidden', 'not_found', 'conflict', 'data_loss',
  'payload_too_large', 'validation', 'rate_limited', 'internal',
];

const f = (key: string, type: FieldDef['type'], extra: Partial<FieldDef> = {}): FieldDef => ({
  id: `fld_${key}`, column: key, key, type, label: { 'zh-CN': `中文${key}`, en: `En ${key}` }, ...extra,
});

const customer: FormDef = {
  key: 'customer',
  label: { 'zh-CN': '客户', en: 'Customer' },
  module: 'crm',
  fields: [
    f('name', 'text', { required: true, help: { 'zh-CN': '客户全名', en: 'Full name' } }),
    f('phone', 'phone'),
  ],
};

/** One field of every type, plus computed ones, a deleted one and a subtable. */
const everything: FormDef = {
  key: 'everything',
  label: { 'zh-CN': '全部类型', en: 'All types' },
  description: 'Every field type',
  fields: [
    f('title', 'text', { required: true, maxLength: 80 }),
    f('notes', 'textarea'),
    f('qty', 'number', { min: 0, default: 1 }),
    f('price', 'money', { required: true }),
    f('discount', 'percent'),
    f('due', 'date'),
    f('seen_at', 'datetime'),
    f('active', 'boolean'),
    f('status', 'select', { options: [{ key: 'open', label: '开' }, { key: 'closed', label: { 'zh-CN': '关', en: 'Closed' } }] }),
    f('colors', 'multiselect', { options: [{ key: 'red', label: '红' }, { key: 'blue', label: '蓝' }] }),
    f('labels', 'tags'),
    f('fixed_tags', 'tags', { allowNewOptions: false, options: [{ key: 'vip', label: 'VIP' }] }),
    f('mobile', 'phone'),
    f('mail', 'email'),
    f('site', 'url'),
    f('buyer', 'relation', { relation: { form: 'customer' } }),
    f('lines', 'subtable', {
      fields: [
        f('item', 'text', { required: true }),
        f('amount', 'money'),
        f('line_total', 'money', { formula: { '*': [{ var: 'amount' }, 1] } }),
        f('gone', 'text', { deleted: true }),
      ],
    }),
    f('code', 'autonumber', { autonumber: { pattern: 'E{YYYY}{####}' } }),
    f('owner_user', 'user'),
    f('watchers', 'user', { multiple: true }),
    f('dept', 'department'),
    f('files', 'attachment'),
    f('photos', 'image'),
    f('sign', 'signature'),
    f('addr', 'address'),
    f('loc', 'location'),
    f('total', 'money', { formula: { '*': [{ var: 'price' }, { var: 'qty' }] } }),
    f('line_count', 'number', { rollup: { form: 'everything_line', via: 'parent', op: 'count' } }),
    f('empty_choice', 'select', { options: [] }),
    f('old_field', 'text', { deleted: true }),
  ],
};

const emptyForm: FormDef = { key: 'empty_form', label: '空表单', fields: [] };
const underscored: FormDef = { key: 'after_sales__visit_2', label: { en: 'Visit' }, fields: [f('note', 'text')] };

const FORMS = [everything, customer, emptyForm, underscored];

const schemaOf = (doc: OpenApiDocument, name: string): Any => doc.components.schemas[name];
const typesOf = (s: Any): string[] => (Array.isArray(s.type) ? s.type : [s.type]);

function resolve(doc: OpenApiDocument, node: Any): Any {
  if (node && typeof node.$ref === 'string') {
    const parts = node.$ref.replace(/^#\//, '').split('/');
    let cur: Any = doc;
    for (const p of parts) cur = cur?.[p];
    return cur;
  }
  return node;
}

function collectRefs(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) node.forEach((n) => collectRefs(n, out));
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string') out.push(v);
      else collectRefs(v, out);
    }
  }
  return out;
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

const ALL_PLANNED = Object.keys(PLANNED) as PathGroup[];

describe('buildOpenApi', () => {
  const doc = buildOpenApi(FORMS, { version: '1.2.3', serverUrl: 'http://localhost:3000' });
  /** The same, with the PLANNED groups described too (what API.md will have once they are served). */
  const full = buildOpenApi(FORMS, { version: '1.2.3', includePlanned: ALL_PLANNED });

  it('is a valid OpenAPI 3.1 document', async () => {
    const validator = new Validator();
    const res = await validator.validate(doc as unknown as Record<string, unknown>);
    expect(res.errors).toBeUndefined();
    expect(res.valid).toBe(true);
    expect(validator.version).toBe('3.1');
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info.version).toBe('1.2.3');
    expect(doc.servers).toEqual([{ url: 'http://localhost:3000' }]);
  });

  it('is valid for no forms, a form without fields and keys with underscores', async () => {
    const validator = new Validator();
    for (const forms of [[], [emptyForm], [underscored]]) {
      const d = buildOpenApi(forms, { version: '0' });
      const res = await validator.validate(d as unknown as Record<string, unknown>);
      expect(res.errors).toBeUndefined();
      expect(res.valid).toBe(true);
    }
  });

  it('stays valid with the PLANNED groups described (their descriptions are kept working)', async () => {
    for (const d of [full, buildOpenApi([], { version: '0', includePlanned: ALL_PLANNED })]) {
      const res = await new Validator().validate(d as unknown as Record<string, unknown>);
      expect(res.errors).toBeUndefined();
      expect(res.valid).toBe(true);
    }
    for (const g of ALL_PLANNED) {
      // each group on its own is valid too, and adds paths
      const one = buildOpenApi([customer], { version: '0', includePlanned: [g] });
      expect((await new Validator().validate(one as unknown as Record<string, unknown>)).valid, g).toBe(true);
      expect(Object.keys(one.paths).length, g).toBeGreaterThan(Object.keys(buildOpenApi([customer], { version: '0' }).paths).length);
    }
  });

  it('uses valid, collision-free component names', () => {
    for (const kind of ['schemas', 'responses', 'parameters', 'securitySchemes'] as const) {
      for (const name of Object.keys(doc.components[kind])) expect(name).toMatch(/^[a-zA-Z0-9._-]+$/);
    }
    expect(formComponentName('empty_form')).toBe('EmptyForm');
    expect(formComponentName('after_sales__visit_2')).toBe('AfterSales_Visit_2');
    expect(formComponentName('a_b')).not.toBe(formComponentName('ab'));
    expect(formComponentName('a__b')).not.toBe(formComponentName('a_b'));
    for (const name of ['EmptyFormRecord', 'EmptyFormInput', 'EmptyFormPatch', 'EmptyFormList', 'AfterSales_Visit_2Record', 'AfterSales_Visit_2Input']) {
      expect(doc.components.schemas).toHaveProperty([name]);
    }
    expect(schemaOf(doc, 'EmptyFormInput').properties).toEqual({});
    // A form key that reads like a fixed name still does not collide.
    expect(() => buildOpenApi([{ key: 'record', label: 'r', fields: [] }, { key: 'error', label: 'e', fields: [] }], { version: '0' })).not.toThrow();
  });

  it('resolves every $ref and declares every path parameter', () => {
    for (const r of collectRefs(doc)) expect(resolve(doc, { $ref: r }), r).toBeDefined();
    for (const [p, item] of Object.entries(doc.paths) as [string, Any][]) {
      const names = [...p.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      for (const m of METHODS) {
        const op = item[m];
        if (!op) continue;
        const params = [...(item.parameters ?? []), ...(op.parameters ?? [])].map((x: Any) => resolve(doc, x));
        const inPath = params.filter((x: Any) => x.in === 'path').map((x: Any) => x.name).sort();
        expect(inPath, `${m} ${p}`).toEqual([...names].sort());
        for (const x of params.filter((x: Any) => x.in === 'path')) expect(x.required).toBe(true);
      }
    }
  });

  it('has unique operation ids', () => {
    const ids: string[] = [];
    for (const item of Object.values(doc.paths) as Any[]) for (const m of METHODS) if (item[m]) ids.push(item[m].operationId);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('covers the whole API of API.md (with the PLANNED groups)', () => {
    const doc = full;
    const expected: [string, string][] = [
      ['get', '/api/health'], ['post', '/api/auth/login'], ['get', '/api/auth/me'], ['post', '/api/auth/logout'],
      ['get', '/api/users'], ['post', '/api/users'], ['patch', '/api/users/{id}'],
      ['get', '/api/meta/{kind}'], ['get', '/api/meta/{kind}/{key}'], ['put', '/api/meta/{kind}/{key}'],
      ['post', '/api/meta/{kind}/{key}/plan'], ['post', '/api/meta/{kind}/{key}/publish'], ['get', '/api/meta/{kind}/{key}/revisions'],
      ['get', '/api/records/{form}'], ['post', '/api/records/{form}'], ['get', '/api/records/{form}/{id}'],
      ['patch', '/api/records/{form}/{id}'], ['delete', '/api/records/{form}/{id}'], ['get', '/api/records/{form}/{id}/history'],
      ['get', '/api/records/{form}/export'], ['post', '/api/records/{form}/import'],
      ['get', '/api/records/{form}/{id}/workflow'], ['post', '/api/records/{form}/{id}/actions/{action}'],
      ['get', '/api/tasks'], ['post', '/api/tasks/{id}/complete'], ['get', '/api/notifications'],
      ['post', '/api/reports/{key}/run'], ['get', '/api/dashboards/{key}'],
      ['get', '/api/packs'], ['post', '/api/packs/install'], ['post', '/api/packs/upgrade'], ['get', '/api/packs/export'],
      ['get', '/api/openapi.json'],
      // extensions served by meta-router.ts
      ['get', '/api/meta/{kind}/{key}/revisions/{revision}'], ['get', '/api/meta/{kind}/{key}/diff'], ['post', '/api/meta/{kind}/{key}/rollback'],
      // docs/api-extensions.md
      ['get', '/api/departments'], ['post', '/api/departments'], ['patch', '/api/departments/{id}'], ['delete', '/api/departments/{id}'],
      ['get', '/api/tokens'], ['post', '/api/tokens'], ['delete', '/api/tokens/{id}'], ['get', '/api/audit/security'],
      ['post', '/api/workflow-instances/{id}/withdraw'], ['post', '/api/notifications/{id}/read'], ['post', '/api/notifications/read-all'],
      ['get', '/api/workflow-runs'], ['post', '/api/workflow-runs/{id}/retry'], ['post', '/api/hooks/{workflow}'],
      ['get', '/api/webhook-deliveries'], ['get', '/api/webhook-deliveries/{id}'],
    ];
    for (const form of ['customer', 'everything', 'empty_form', 'after_sales__visit_2']) {
      const b = `/api/records/${form}`;
      expected.push(
        ['get', b], ['post', b], ['get', `${b}/{id}`], ['patch', `${b}/{id}`], ['delete', `${b}/{id}`],
        ['get', `${b}/{id}/history`], ['get', `${b}/export`], ['post', `${b}/import`],
        ['get', `${b}/{id}/workflow`], ['post', `${b}/{id}/actions/{action}`],
      );
    }
    for (const [m, p] of expected) expect((doc.paths[p] as Any)?.[m], `${m} ${p}`).toBeDefined();
    const kind = resolve(doc, doc.paths['/api/meta/{kind}']!.parameters && (doc.paths['/api/meta/{kind}'] as Any).parameters[0]);
    expect(kind.schema.enum).toEqual(['forms', 'workflows', 'reports', 'dashboards', 'roles']);
    const form = resolve(doc, (doc.paths['/api/records/{form}'] as Any).parameters[0]);
    expect(form.schema.enum).toEqual(['after_sales__visit_2', 'customer', 'empty_form', 'everything']);
    const list = resolve(doc, (doc.paths['/api/records/customer'] as Any).get.responses['200']).content['application/json'].schema;
    expect(list).toEqual({ $ref: '#/components/schemas/CustomerList' });
    expect(schemaOf(doc, 'CustomerList').required).toEqual(['items', 'total', 'page', 'pageSize']);
    expect(schemaOf(doc, 'CustomerList').properties.items.items).toEqual({ $ref: '#/components/schemas/CustomerRecord' });
    const pageSize = (doc.paths['/api/records/customer'] as Any).get.parameters.map((x: Any) => resolve(doc, x)).find((x: Any) => x.name === 'pageSize');
    expect(pageSize.schema.maximum).toBe(500);
    // only forms have a plan
    expect((doc.paths['/api/meta/{kind}/{key}/plan'] as Any).parameters[0].schema.enum).toEqual(['forms']);
  });

  it('leaves the PLANNED groups out by default, and everything else in', () => {
    // What each group describes: its paths, and the components only it uses.
    const forms = ['after_sales__visit_2', 'customer', 'empty_form', 'everything', '{form}'];
    const GROUPS: Record<PathGroup, { paths: string[]; schemas: string[]; parameters: string[] }> = {
      recordsExportImport: { paths: forms.flatMap((f) => [`/api/records/${f}/export`, `/api/records/${f}/import`]), schemas: ['ImportResult'], parameters: ['ExportFormat'] },
      reports: { paths: ['/api/reports/{key}/run'], schemas: ['ReportRunRequest', 'ReportResult'], parameters: ['ReportKey'] },
      dashboards: { paths: ['/api/dashboards/{key}'], schemas: ['Dashboard'], parameters: ['DashboardKey'] },
      packs: {
        paths: ['/api/packs', '/api/packs/export', '/api/packs/install', '/api/packs/upgrade'],
        schemas: ['PackManifest', 'PackBundle', 'PackSummary', 'PackInstallResult', 'PackUpgradeResult'], parameters: ['Modules'],
      },
    };
    const planned = Object.keys(full.paths).filter((p) => !(p in doc.paths));
    expect(planned.sort()).toEqual(ALL_PLANNED.flatMap((g) => GROUPS[g].paths).sort());
    // every other path is the same in both
    for (const p of Object.keys(doc.paths)) expect(doc.paths[p], p).toEqual(full.paths[p]);
    for (const g of Object.keys(GROUPS) as PathGroup[]) {
      for (const name of GROUPS[g].schemas) {
        expect(full.components.schemas[name], name).toBeDefined();
        expect(doc.components.schemas[name] === undefined, name).toBe(ALL_PLANNED.includes(g));
      }
      for (const name of GROUPS[g].parameters) {
        expect(full.components.parameters[name], name).toBeDefined();
        expect(doc.components.parameters[name] === undefined, name).toBe(ALL_PLANNED.includes(g));
      }
    }
    expect(full.tags.map((t) => t.name)).toEqual(expect.arrayContaining(['packs', 'reports']));
    // each tag is used by some operation
    const used = new Set<string>();
    for (const item of Object.values(doc.paths) as Any[]) for (const m of METHODS) if (item[m]) used.add(item[m].tags[0]);
    expect(doc.tags.map((t) => t.name).sort()).toEqual([...used].sort());
    // each PLANNED entry names the issue that brings it
    for (const g of ALL_PLANNED) expect(PLANNED[g], g).toMatch(/^issue \d+$/);
  });

  it('describes the endpoints of docs/api-extensions.md as the routers serve them', () => {
    const p = (path: string, m: string): Any => (doc.paths[path] as Any)[m];
    const body = (o: Any) => resolve(doc, o.requestBody.content['application/json'].schema);
    const res = (o: Any, status: number) => resolve(doc, o.responses[String(status)]);
    const resSchema = (o: Any, status: number) => res(o, status).content['application/json'].schema;
    const params = (path: string, m: string) => [...((doc.paths[path] as Any).parameters ?? []), ...(p(path, m).parameters ?? [])].map((x: Any) => resolve(doc, x));
    const statuses = (path: string, m: string) => Object.keys(p(path, m).responses).sort();
    // identity
    expect(body(p('/api/users', 'post')).properties).toEqual(expect.objectContaining({ email: expect.anything(), service: expect.objectContaining({ type: 'boolean' }) }));
    expect(body(p('/api/users/{id}', 'patch')).properties).toEqual(expect.objectContaining({ password: expect.objectContaining({ writeOnly: true }), email: expect.anything() }));
    expect(schemaOf(doc, 'User').properties).toEqual(expect.objectContaining({ service: expect.anything(), email: expect.anything() }));
    expect(schemaOf(doc, 'User').properties.password).toBeUndefined();
    expect(resSchema(p('/api/departments', 'get'), 200)).toEqual({ type: 'array', items: { $ref: '#/components/schemas/Department' } });
    expect(schemaOf(doc, 'Department').required).toEqual(['id', 'parent', 'key', 'name', 'kind', 'head']);
    expect(schemaOf(doc, 'Department').properties.kind.enum).toEqual(['group', 'store', 'department']);
    expect(statuses('/api/departments', 'post')).toContain('201');
    expect(body(p('/api/departments', 'post')).required).toEqual(['name']);
    expect(statuses('/api/departments/{id}', 'delete')).toEqual(expect.arrayContaining(['204', '404', '409']));
    expect(p('/api/departments', 'get').responses['403']).toBeDefined();
    expect(resSchema(p('/api/tokens', 'post'), 201)).toEqual({ $ref: '#/components/schemas/ApiTokenCreated' });
    expect(schemaOf(doc, 'ApiTokenCreated').required).toContain('token');
    expect(schemaOf(doc, 'ApiToken').properties.token).toBeUndefined();
    expect(body(p('/api/tokens', 'post')).required).toEqual(['name', 'user', 'scopes']);
    expect(statuses('/api/tokens/{id}', 'delete')).toEqual(expect.arrayContaining(['204', '404']));
    expect(params('/api/audit/security', 'get').map((x: Any) => x.name)).toEqual(['event', 'page', 'pageSize']);
    expect(resSchema(p('/api/audit/security', 'get'), 200)).toEqual({ $ref: '#/components/schemas/SecurityPage' });
    expect(schemaOf(doc, 'SecurityPage').required).toEqual(['items', 'total', 'page', 'pageSize']);
    // records
    const del = params('/api/records/{form}/{id}', 'delete').find((x: Any) => x.name === '_version');
    expect(del).toMatchObject({ in: 'query', required: false, schema: { type: 'integer' } });
    expect(statuses('/api/records/{form}/{id}/actions/{action}', 'post')).toContain('201');
    expect(schemaOf(doc, 'ActionResult').required).toEqual(['instances']);
    // workflows
    expect(params('/api/tasks', 'get')[0].schema.enum).toEqual(['open', 'done', 'cc']);
    const completion = schemaOf(doc, 'TaskCompletion').properties;
    expect(completion.position.enum).toEqual(['before', 'after']);
    expect(completion.to.anyOf.map((x: Any) => x.type)).toEqual(['integer', 'string', 'null']);
    expect(completion.fields.type).toBe('object');
    expect(resSchema(p('/api/workflow-instances/{id}/withdraw', 'post'), 200)).toEqual({ $ref: '#/components/schemas/WorkflowInstance' });
    expect(statuses('/api/workflow-instances/{id}/withdraw', 'post')).toEqual(expect.arrayContaining(['403', '404', '409']));
    expect(params('/api/notifications', 'get').map((x: Any) => x.name)).toEqual(['unread']);
    expect(schemaOf(doc, 'NotificationPage').required).toEqual(['items', 'unread']);
    for (const path of ['/api/notifications/{id}/read', '/api/notifications/read-all']) {
      expect(res(p(path, 'post'), 204).content, path).toBeUndefined();
    }
    expect(params('/api/workflow-runs', 'get').map((x: Any) => x.name)).toEqual(['workflow', 'status']);
    expect(params('/api/workflow-runs', 'get')[1].schema.enum).toContain('failed');
    expect(statuses('/api/workflow-runs/{id}/retry', 'post')).toEqual(expect.arrayContaining(['201', '404', '409']));
    const hook = p('/api/hooks/{workflow}', 'post');
    expect(params('/api/hooks/{workflow}', 'post').map((x: Any) => [x.in, x.name])).toEqual([['path', 'workflow'], ['header', 'Idempotency-Key']]);
    expect(Object.keys(hook.responses)).toEqual(expect.arrayContaining(['200', '201', '400', '404', '409', '413', '422']));
    expect(hook.requestBody.required).toBe(false);
    expect(params('/api/webhook-deliveries', 'get').map((x: Any) => x.name)).toEqual(['workflow', 'status', 'instance', 'limit']);
    expect(schemaOf(doc, 'WebhookDelivery').properties.status.enum).toEqual(['pending', 'succeeded', 'failed']);
    expect(params('/api/webhook-deliveries/{id}', 'get')[0].schema).toEqual({ type: 'string', format: 'uuid' });
    // metadata
    expect(body(p('/api/meta/{kind}/{key}/publish', 'post')).properties.note.maxLength).toBe(500);
    // administrators only, said in the summary
    for (const [path, m] of [['/api/tokens', 'get'], ['/api/audit/security', 'get'], ['/api/workflow-runs', 'get'], ['/api/webhook-deliveries', 'get'], ['/api/users', 'get']]) {
      expect(p(path!, m!).summary, `${m} ${path}`).toMatch(/administrators only/);
    }
  });

  it('describes the error model and references it from every 4xx/5xx response', () => {
    const err = schemaOf(doc, 'Error');
    expect(err.required).toEqual(['error']);
    expect(err.properties.error.required).toEqual(['code', 'message']);
    expect(err.properties.error.properties.code.enum).toEqual(API_MD_ERROR_CODES);
    expect(Object.keys(err.properties.error.properties)).toEqual(['code', 'message', 'fields', 'details']);
    let count = 0;
    for (const item of Object.values(doc.paths) as Any[]) {
      for (const m of METHODS) {
        if (!item[m]) continue;
        for (const [status, r] of Object.entries(item[m].responses) as [string, Any][]) {
          if (Number(status) < 400) continue;
          count++;
          expect(resolve(doc, r).content['application/json'].schema).toEqual({ $ref: '#/components/schemas/Error' });
        }
        expect(item[m].responses['500']).toBeDefined();
      }
    }
    expect(count).toBeGreaterThan(100);
    expect((doc.paths['/api/records/{form}/{id}'] as Any).patch.responses['409']).toBeDefined();
    expect((doc.paths['/api/records/{form}'] as Any).post.responses['422']).toBeDefined();
  });

  it('applies bearer security globally except health, login and the docs page', () => {
    expect(doc.components.securitySchemes.bearerAuth).toEqual(expect.objectContaining({ type: 'http', scheme: 'bearer' }));
    expect(doc.security).toEqual([{ bearerAuth: [] }]);
    const health = (doc.paths['/api/health'] as Any).get;
    expect(health.security).toEqual([]);
    expect(health.responses['401']).toBeUndefined();
    expect((doc.paths['/api/auth/login'] as Any).post.security).toEqual([]);
    const rec = (doc.paths['/api/records/customer/{id}'] as Any).get;
    expect(rec.security).toBeUndefined(); // the global requirement applies
    expect(rec.responses['401']).toBeDefined();
    expect((doc.paths['/api/records/{form}'] as Any).get.security).toBeUndefined();
    // the document itself works with or without a token
    expect((doc.paths['/api/openapi.json'] as Any).get.security).toEqual([{}, { bearerAuth: [] }]);
  });

  it('types record properties from the field-type registry', () => {
    const rec = schemaOf(doc, 'EverythingRecord');
    const p = rec.properties;
    expect(typesOf(p.price)).toEqual(['number', 'null']);
    expect(p.price.multipleOf).toBeUndefined(); // see openapi.ts: float multipleOf rejects 19.99
    expect(p.price.description).toMatch(/two places/);
    expect(typesOf(p.qty)).toEqual(['number', 'null']);
    expect(typesOf(p.labels)).toEqual(['array', 'null']);
    expect(p.labels.items.type).toBe('string');
    expect(p.fixed_tags.items).toEqual({ type: 'string', enum: ['vip'] });
    expect(p.colors.items.enum).toEqual(['red', 'blue']);
    expect(p.status.enum).toEqual(['open', 'closed', null]);
    expect(p.empty_choice.enum).toBeUndefined();
    expect(p.due).toEqual(expect.objectContaining({ type: ['string', 'null'], format: 'date' }));
    expect(p.seen_at.format).toBe('date-time');
    expect(typesOf(p.active)).toEqual(['boolean', 'null']);
    expect(typesOf(p.buyer)).toEqual(['integer', 'null']);
    expect(p.buyer.description).toContain('customer');
    expect(typesOf(p.owner_user)).toEqual(['integer', 'null']);
    expect(p.watchers.items.type).toBe('integer');
    expect(p.mail.format).toBe('email');
    expect(p.files.items.required).toEqual(['id']);
    expect(typesOf(p.addr)).toEqual(['object', 'null']);
    expect(p.loc.properties.lat.type).toBe('number');
    // subtable: an array of row objects, computed row fields readOnly, deleted row fields gone
    expect(typesOf(p.lines)).toEqual(['array', 'null']);
    expect(p.lines.items.type).toBe('object');
    expect(Object.keys(p.lines.items.properties)).toEqual(['item', 'amount', 'line_total']);
    expect(typesOf(p.lines.items.properties.amount)).toEqual(['number', 'null']);
    expect(p.lines.items.properties.line_total.readOnly).toBe(true);
    // computed values are present, read-only
    expect(p.total.readOnly).toBe(true);
    expect(p.code.readOnly).toBe(true);
    expect(p.line_count.readOnly).toBe(true);
    // system properties
    for (const k of ['id', '_version', '_createdAt', '_updatedAt', '_createdBy', '_owner']) expect(p).toHaveProperty([k]);
    expect(rec.required).toEqual(['id', '_version', '_createdAt', '_updatedAt', '_createdBy', '_owner']);
    expect(p._createdAt.format).toBe('date-time');
    // soft-deleted fields are absent everywhere
    expect(p.old_field).toBeUndefined();
    expect(JSON.stringify(doc)).not.toContain('old_field');
    // every field type appears
    const seen = new Set<string>();
    for (const s of Object.values(p) as Any[]) if (s['x-formwork-type']) seen.add(s['x-formwork-type']);
    expect([...seen].sort()).toEqual([...FIELD_TYPES].sort());
  });

  it('leaves computed fields out of Input and Patch', () => {
    const input = schemaOf(doc, 'EverythingInput');
    for (const k of ['total', 'line_count', 'code']) {
      expect(input.properties[k]).toBeUndefined();
      expect(schemaOf(doc, 'EverythingPatch').properties[k]).toBeUndefined();
    }
    expect(input.properties.lines.items.properties.line_total).toBeUndefined();
    expect(input.properties.lines.items.required).toEqual(['item']);
    for (const k of ['id', '_version', '_createdAt', '_owner']) expect(input.properties[k]).toBeUndefined();
    expect(input.required).toEqual(['title', 'price']);
    expect(input.properties.price.type).toBe('number'); // required: not nullable
    expect(input.properties.qty.default).toBe(1);
    expect(typesOf(input.properties.notes)).toEqual(['string', 'null']);
    const patch = schemaOf(doc, 'EverythingPatch');
    expect(patch.required).toEqual(['_version']);
    expect(patch.properties._version.type).toBe('integer');
  });

  it('produces schemas that validate real values (ajv, JSON Schema 2020-12)', () => {
    const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: true });
    addFormats(ajv);
    ajv.addKeyword('x-formwork-type');
    ajv.addKeyword('components'); // the document root holds the schemas the $refs point at
    ajv.addSchema({ $id: 'https://formwork.test/openapi.json', components: { schemas: doc.components.schemas } } as Any);
    const v = (name: string) => ajv.getSchema(`https://formwork.test/openapi.json#/components/schemas/${name}`)!;
    const record = {
      id: 7, _version: 2, _createdAt: '2024-01-01T00:00:00.000Z', _updatedAt: '2024-01-02T00:00:00.000Z', _createdBy: 1, _owner: null,
      title: 'T', notes: null, qty: 2, price: 19.99, discount: 0.5, due: '2024-02-03', seen_at: '2024-02-03T04:05:06.000Z', active: true,
      status: 'open', colors: ['red'], labels: ['x', 'y'], fixed_tags: ['vip'], mobile: '+86 138 0000 0000', mail: 'a@b.cn', site: 'https://x.cn',
      buyer: 3, lines: [{ item: 'a', amount: 1.5, line_total: 1.5 }], code: 'E20240001', owner_user: 1, watchers: [1, 2], dept: 4,
      files: [{ id: 'f1', name: 'a.pdf' }], photos: [], sign: 'data:image/png;base64,AAA', addr: { city: '上海' }, loc: { lat: 31.2, lng: 121.5 },
      total: 39.98, line_count: 0, empty_choice: null,
    };
    const rv = v('EverythingRecord');
    expect(rv(record), JSON.stringify(rv.errors)).toBe(true);
    expect(rv({ ...record, price: 'cheap' })).toBe(false);
    expect(rv({ ...record, labels: [1] })).toBe(false);
    expect(rv({ ...record, status: 'nope' })).toBe(false);
    const { id: _i, _version: _v, _createdAt: _c, _updatedAt: _u, _createdBy: _b, _owner: _o, total: _t, line_count: _l, code: _a, ...input } = record;
    const iv = v('EverythingInput');
    expect(iv(input), JSON.stringify(iv.errors)).toBe(true);
    expect(iv({ ...input, title: undefined })).toBe(false);
    const pv = v('EverythingPatch');
    expect(pv({ _version: 2, price: 5 })).toBe(true);
    expect(pv({ price: 5 })).toBe(false);
    expect(v('CustomerList')({ items: [{ id: 1, _version: 1, _createdAt: record._createdAt, _updatedAt: record._updatedAt, _createdBy: 1, _owner: 1, name: 'A' }], total: 1, page: 1, pageSize: 50 })).toBe(true);
    expect(v('Error')({ error: { code: 'validation', message: 'x', fields: { name: ['required'] } } })).toBe(true);
    expect(v('Error')({ error: { code: 'oops', message: 'x' } })).toBe(false);
    // every component schema compiles
    for (const name of Object.keys(doc.components.schemas)) expect(v(name), name).toBeTypeOf('function');
  });

  it('takes titles and descriptions from the labels in the chosen language', () => {
    expect(schemaOf(doc, 'CustomerRecord').title).toBe('客户 (Customer)');
    expect(schemaOf(doc, 'CustomerRecord').properties.name.title).toBe('中文name (En name)');
    expect(schemaOf(doc, 'CustomerRecord').properties.name.description).toBe('客户全名 (Full name)');
    const en = buildOpenApi(FORMS, { version: '1', lang: 'en', title: 'Dealer API' });
    expect(en.info.title).toBe('Dealer API');
    expect(schemaOf(en, 'CustomerRecord').title).toBe('Customer');
    expect(schemaOf(en, 'CustomerRecord').properties.name.description).toBe('Full name');
    expect((en.paths['/api/health'] as Any).get.summary).toBe('Health check');
    const zh = buildOpenApi(FORMS, { version: '1', lang: 'zh-CN' });
    expect(schemaOf(zh, 'CustomerRecord').title).toBe('客户');
    expect(schemaOf(zh, 'AfterSales_Visit_2Record').title).toBe('Visit'); // falls back to the other language
    expect((zh.paths['/api/health'] as Any).get.summary).toBe('健康检查');
    expect(zh.tags.find((t) => t.name === 'form:customer')).toBeDefined();
  });

  it('narrows fields with the visibleFields hook', () => {
    const d = buildOpenApi(FORMS, { version: '1', visibleFields: (form) => form.fields.filter((x) => x.key !== 'phone' && x.key !== 'price') });
    expect(schemaOf(d, 'CustomerRecord').properties.phone).toBeUndefined();
    expect(schemaOf(d, 'CustomerInput').properties.phone).toBeUndefined();
    expect(schemaOf(d, 'CustomerRecord').properties.name).toBeDefined();
    expect(schemaOf(d, 'EverythingInput').required).toEqual(['title']);
    // soft-deleted fields stay out even if the hook returns them
    expect(schemaOf(d, 'EverythingRecord').properties.old_field).toBeUndefined();
  });

  it('is deterministic and does not depend on the order of forms', () => {
    const a = JSON.stringify(buildOpenApi(FORMS, { version: '1' }));
    const b = JSON.stringify(buildOpenApi([...FORMS].reverse(), { version: '1' }));
    expect(a).toBe(b);
    expect(JSON.stringify(buildOpenApi(FORMS, { version: '1' }))).toBe(a);
    // the input forms are not modified
    expect(everything.fields.find((x) => x.key === 'qty')!.default).toBe(1);
  });

  it('stays valid for many forms', async () => {
    const many: FormDef[] = [];
    for (let i = 0; i < 200; i++) {
      many.push({ key: `form_${i}`, label: `Form ${i}`, fields: everything.fields.map((x) => ({ ...x })) });
    }
    const big = buildOpenApi(many, { version: '1' });
    expect(Object.keys(big.paths).length).toBeGreaterThan(1000); // five paths per form
    const res = await new Validator().validate(big as unknown as Record<string, unknown>);
    expect(res.valid).toBe(true);
  });
});

describe('docsRouter', () => {
  let server: Server;
  let base = '';
  beforeAll(async () => {
    const app = express();
    // Mounted inside the /api router, the way server.ts does it.
    const api = express.Router();
    api.use(docsRouter());
    api.get('/openapi.json', (_req, res) => { res.json(buildOpenApi([customer], { version: '1' })); });
    app.use('/api', api);
    // Mounted at the root, with another base and without swagger-ui-dist.
    app.use(docsRouter({ assetsDir: null, base: '/fallback/docs', specUrl: '/api/openapi.json' }));
    server = await new Promise<Server>((ok) => { const s = app.listen(0, '127.0.0.1', () => ok(s)); });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((ok) => server.close(() => ok()));
  });

  it('serves the page, referencing the local assets and no inline script', async () => {
    const res = await fetch(`${base}/api/docs`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).toContain('/api/docs/assets/swagger-ui-bundle.js');
    expect(html).toContain('/api/docs/assets/swagger-ui.css');
    expect(html).toContain('<script src="/api/docs/init.js"');
    expect(html).toContain('data-spec-url="/api/openapi.json"');
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // every script is a file
    expect(html).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
    expect(html).not.toMatch(/https?:\/\//); // no CDN
    expect((await fetch(`${base}/api/docs/`)).status).toBe(200);
  });

  it('serves the swagger-ui assets and the init script', async () => {
    const js = await fetch(`${base}/api/docs/assets/swagger-ui-bundle.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/javascript/);
    expect((await js.text()).length).toBeGreaterThan(100_000);
    const css = await fetch(`${base}/api/docs/assets/swagger-ui.css`);
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toMatch(/text\/css/);
    await css.arrayBuffer();
    const init = await fetch(`${base}/api/docs/init.js`);
    expect(init.status).toBe(200);
    expect(init.headers.get('content-type')).toMatch(/javascript/);
    const code = await init.text();
    expect(code).toContain('SwaggerUIBundle');
    expect(() => new Function(code)).not.toThrow(); // it parses
    expect((await fetch(`${base}/api/docs/docs.css`)).status).toBe(200);
  });

  it('serves only the assets the page uses', async () => {
    for (const p of ['package.json', 'index.html', 'swagger-initializer.js', '../package.json', '%2e%2e/package.json']) {
      const res = await fetch(`${base}/api/docs/assets/${p}`);
      expect(res.status, p).toBe(404);
      await res.arrayBuffer();
    }
  });

  it('falls back to a plain page without swagger-ui-dist', async () => {
    const res = await fetch(`${base}/fallback/docs`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).not.toContain('swagger-ui-bundle.js');
    expect(html).toContain('<script src="/fallback/docs/init.js"');
    expect((await fetch(`${base}/fallback/docs/init.js`)).status).toBe(200);
    const asset = await fetch(`${base}/fallback/docs/assets/swagger-ui-bundle.js`);
    expect(asset.status).toBe(404);
    await asset.arrayBuffer();
  });
});
