/**
 * Template packs on SQLite and PostgreSQL: plan and install, provenance and the overlay of local
 * edits, upgrades that merge or report conflicts, broken packs leaving nothing, uninstall,
 * and export → install round trips.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../helpers/db.js';
import { testEngine, type TestEngine } from '../helpers/engine.js';
import { SYSTEM_ACTOR } from '../../src/auth/actor.js';
import { AppError } from '../../src/errors.js';
import { checksumOf, type PackBundle } from '../../src/packs/bundle.js';

const A = SYSTEM_ACTOR;
const L = (zh: string, en: string) => ({ 'zh-CN': zh, en });

function v1(): PackBundle {
  return {
    manifest: { name: 'crm', version: '1.0.0', engine: '>=0.1.0', label: L('客户管理', 'CRM'), modules: ['crm'], forms: ['company', 'contact'] },
    documents: [
      { kind: 'forms', key: 'company', doc: { key: 'company', label: L('公司', 'Company'), module: 'crm', titleField: 'name', fields: [{ id: 'c_name', key: 'name', type: 'text', label: L('名称', 'Name'), required: true }] } },
      {
        kind: 'forms', key: 'contact',
        doc: {
          key: 'contact', label: L('联系人', 'Contact'), module: 'crm', titleField: 'name',
          fields: [
            { id: 'p_name', key: 'name', type: 'text', label: L('姓名', 'Name'), required: true },
            { id: 'p_phone', key: 'phone', type: 'phone', label: L('电话', 'Phone') },
            { id: 'p_company', key: 'company', type: 'relation', label: L('公司', 'Company'), relation: { form: 'company' } },
            { id: 'p_level', key: 'level', type: 'select', label: L('等级', 'Level'), options: [{ key: 'a', label: 'A' }, { key: 'b', label: 'B' }] },
          ],
        },
      },
      {
        kind: 'reports', key: 'contacts_by_level',
        doc: { key: 'contacts_by_level', label: L('按等级', 'By level'), module: 'crm', category: 'operations', source: 'contact', type: 'table', dimensions: [{ key: 'level', field: 'level' }], measures: [{ key: 'n', op: 'count', label: L('人数', 'Count') }] },
      },
    ],
  };
}

/** v2: a new field, a relabelled field, a new option. */
function v2(): PackBundle {
  const b = v1();
  b.manifest.version = '1.1.0';
  const contact = b.documents[1]!.doc;
  contact.fields.push({ id: 'p_email', key: 'email', type: 'email', label: L('邮箱', 'Email') });
  contact.fields[1].label = L('手机', 'Mobile');
  contact.fields[3].options.push({ key: 'c', label: 'C' });
  return b;
}

async function failure(p: Promise<unknown>): Promise<AppError> {
  const e = await p.then(() => null, (err) => err);
  expect(e).toBeInstanceOf(AppError);
  return e as AppError;
}

describe.each(DIALECTS)('template packs on %s', (dialect) => {
  let t: TestEngine;
  beforeAll(async () => {
    t = await testEngine(dialect);
  });
  afterAll(() => t?.drop());

  const tables = async () => {
    const rows = dialect === 'pg'
      ? (await t.engine.db.knex.raw(`select table_name as name from information_schema.tables where table_schema = current_schema() and table_name like 't\\_%'`)).rows
      : await t.engine.db.knex.raw(`select name from sqlite_master where type = 'table' and name like 't\\_%' escape '\\'`);
    return rows.map((r: any) => r.name).sort();
  };

  it('refuses a broken pack with nothing half-installed: a bad document, a bad checksum, a wrong engine', async () => {
    const bad = v1();
    bad.documents[1]!.doc.fields.push({ id: 'p_x', key: 'x', type: 'no_such_type', label: 'X' });
    const e1 = await failure(t.engine.packs.install(bad));
    expect(e1.code).toBe('validation');
    expect(Object.keys(e1.fields!).some((k) => k.startsWith('/documents/forms/contact/fields/4'))).toBe(true);
    const sum = v1();
    sum.documents[0]!.checksum = checksumOf({ other: true });
    expect(Object.keys((await failure(t.engine.packs.install(sum))).fields!)).toEqual(['/documents/0/checksum']);
    const engine = v1();
    engine.manifest.engine = '>=9.0.0';
    expect(Object.keys((await failure(t.engine.packs.install(engine))).fields!)).toEqual(['/manifest/engine']);
    // valid documents, but the report names a field the form lacks: it fails at publish, after the forms were published
    const late = v1();
    late.documents[2]!.doc.dimensions = [{ key: 'nope', field: 'no_such_field' }];
    await failure(t.engine.packs.install(late));
    expect(await tables()).toEqual([]);
    expect(await t.engine.docs.list('forms')).toEqual([]);
    expect(await t.engine.packs.list()).toEqual([]);
  });

  it('plans first (documents added, tables created), installs with the plan, refuses a stale plan', async () => {
    const plan = await t.engine.packs.plan(v1());
    expect(plan.documents.map((d) => `${d.kind}/${d.key}:${d.action}`)).toEqual(['forms/company:add', 'forms/contact:add', 'reports/contacts_by_level:add']);
    expect(plan.tables.map((x) => [x.table, x.create])).toEqual([['t_company', true], ['t_contact', true]]);
    // the target changes after the plan: refused
    await t.engine.docs.saveDraft('forms', 'scratch', { key: 'scratch', label: 'S', fields: [{ key: 'a', type: 'text', label: 'A' }] });
    await t.engine.docs.publish('forms', 'scratch');
    expect((await failure(t.engine.packs.install(v1(), { planToken: plan.token }))).code).toBe('conflict');
    const fresh = await t.engine.packs.plan(v1());
    const res = await t.engine.packs.install(v1(), { planToken: fresh.token });
    expect(res.conflicts).toEqual([]);
    expect(res.installed.map((d) => d.key)).toEqual(['company', 'contact', 'contacts_by_level']);
    expect(await tables()).toEqual(['t_company', 't_contact', 't_scratch']);
    expect(await t.engine.packs.list()).toMatchObject([{ name: 'crm', version: '1.0.0' }]);
    const prov = await t.engine.packs.provenance('forms', 'contact');
    expect(prov).toMatchObject({ pack: 'crm', version: '1.0.0', checksum: checksumOf(v1().documents[1]!.doc), overlay: [] });
    // installing the same version again changes nothing
    const again = await t.engine.packs.install(v1());
    expect(again.installed).toEqual([]);
  });

  it('keeps local edits apart as an overlay and keeps them (and the records) through a clean upgrade', async () => {
    const co = await t.engine.records.create(A, 'company', { name: '华东汽车' });
    await t.engine.records.create(A, 'contact', { name: '张伟', phone: '13800138000', company: co.id, level: 'a' });
    // the dealer's administrator adds a field and relabels another
    const doc = await t.engine.docs.get('forms', 'contact');
    doc.fields.push({ key: 'wechat', type: 'text', label: L('微信', 'WeChat') });
    doc.fields.find((f: any) => f.key === 'name').label = L('客户姓名', 'Customer name');
    await t.engine.docs.saveDraft('forms', 'contact', doc);
    await t.engine.docs.publish('forms', 'contact');
    const overlay = (await t.engine.packs.provenance('forms', 'contact')).overlay.map((o) => o.path);
    expect(overlay).toHaveLength(3); // the label in two languages, and the new field
    expect(overlay).toContain('/fields[p_name]/label/zh-CN');

    const up = await t.engine.packs.upgrade(v2());
    expect(up.conflicts).toEqual([]);
    expect(up.applied).toBe(true);
    expect(up.merged.map((m) => m.document)).toEqual(['forms/contact']);
    const after = await t.engine.docs.get('forms', 'contact');
    const byKey = Object.fromEntries(after.fields.map((f: any) => [f.key, f]));
    expect(byKey.name.label['zh-CN']).toBe('客户姓名'); // local kept
    expect(byKey.phone.label['zh-CN']).toBe('手机'); // the pack's change taken
    expect(byKey.wechat).toBeDefined(); // local field kept
    expect(byKey.email).toBeDefined(); // the pack's new field
    expect(byKey.level.options.map((o: any) => o.key)).toEqual(['a', 'b', 'c']);
    const rows = await t.engine.records.list(A, 'contact', {});
    expect(rows.items).toMatchObject([{ name: '张伟', phone: '13800138000', level: 'a', company: co.id }]);
    await t.engine.records.update(A, 'contact', rows.items[0]!.id, { email: 'zw@example.com', wechat: 'zw', _version: rows.items[0]!._version } as any, { version: rows.items[0]!._version });
    expect((await t.engine.packs.list())[0]!.version).toBe('1.1.0');
    // the base is now 1.1.0: the overlay is still just the local edits
    expect((await t.engine.packs.provenance('forms', 'contact')).overlay).toHaveLength(3);
  });

  it('reports a conflicting upgrade and overwrites nothing; a choice per conflict then applies it', async () => {
    // local: relabel phone again; pack 1.2.0: relabel phone differently and drop level
    const doc = await t.engine.docs.get('forms', 'contact');
    doc.fields.find((f: any) => f.key === 'phone').label = L('联系电话', 'Contact phone');
    doc.fields.find((f: any) => f.key === 'level').required = true;
    await t.engine.docs.saveDraft('forms', 'contact', doc);
    await t.engine.docs.publish('forms', 'contact');
    const before = await t.engine.docs.revisions('forms', 'contact');
    const v3 = v2();
    v3.manifest.version = '1.2.0';
    const contact = v3.documents[1]!.doc;
    contact.fields[1].label = L('移动电话', 'Cell');
    contact.fields = contact.fields.filter((f: any) => f.key !== 'level');
    const res = await t.engine.packs.upgrade(v3);
    expect(res.applied).toBe(false);
    expect(res.conflicts.map((c) => `${c.document}#${c.path}`).sort()).toEqual(['forms/contact#/fields[p_level]', 'forms/contact#/fields[p_phone]/label/en', 'forms/contact#/fields[p_phone]/label/zh-CN']);
    expect(res.conflicts.find((c) => c.path === '/fields[p_phone]/label/zh-CN')).toMatchObject({ base: '手机', ours: '联系电话', theirs: '移动电话' });
    expect(await t.engine.docs.revisions('forms', 'contact')).toEqual(before);
    expect((await t.engine.packs.list())[0]!.version).toBe('1.1.0');
    // resolve: take the pack's label, keep the local (required) level field
    const done = await t.engine.packs.upgrade(v3, {
      resolutions: [
        { document: 'forms/contact', path: '/fields[p_phone]/label/zh-CN', choice: 'pack' },
        { document: 'forms/contact', path: '/fields[p_phone]/label/en', choice: 'pack' },
        { document: 'forms/contact', path: '/fields[p_level]', choice: 'local' },
      ],
    });
    expect(done.applied).toBe(true);
    const after = await t.engine.docs.get('forms', 'contact');
    expect(after.fields.find((f: any) => f.key === 'phone').label).toEqual(L('移动电话', 'Cell'));
    expect(after.fields.find((f: any) => f.key === 'level').required).toBe(true);
    expect((await t.engine.records.list(A, 'contact', {})).total).toBe(1);
  });

  it('exports chosen modules with their local edits; installing the export elsewhere round-trips exactly', async () => {
    const bundle = await t.engine.packs.export({ modules: ['crm'], name: 'crm_local', version: '2.0.0' });
    expect(bundle.manifest).toMatchObject({ name: 'crm_local', version: '2.0.0', modules: ['crm'], forms: ['company', 'contact'] });
    const contact = bundle.documents.find((d) => d.key === 'contact')!;
    expect(contact.doc.fields.map((f: any) => f.key)).toContain('wechat');
    expect(contact.doc.fields.some((f: any) => 'column' in f)).toBe(false);
    expect(contact.checksum).toBe(checksumOf(contact.doc));
    const other = await testEngine(dialect);
    try {
      const res = await other.engine.packs.install(JSON.parse(JSON.stringify(bundle)));
      expect(res.installed).toHaveLength(3);
      const again = await other.engine.packs.export({ modules: ['crm'], name: 'crm_local', version: '2.0.0' });
      expect(again).toEqual(bundle);
    } finally {
      await other.drop();
    }
  });

  it('uninstalls only when confirmed while records exist; then its documents and tables are gone', async () => {
    await t.engine.docs.saveDraft('forms', 'scratch', { key: 'scratch', label: 'S', fields: [{ key: 'a', type: 'text', label: 'A' }, { key: 'who', type: 'relation', label: 'Who', relation: { form: 'contact' } }] });
    await t.engine.docs.publish('forms', 'scratch');
    expect((await failure(t.engine.packs.uninstall('crm'))).code).toBe('conflict'); // a local form points at the pack's
    // an option key that happens to equal a form key is not a reference
    await t.engine.docs.saveDraft('forms', 'scratch', { key: 'scratch', label: 'S', fields: [{ key: 'a', type: 'text', label: 'A' }, { key: 'k', type: 'select', label: 'K', options: [{ key: 'contact', label: 'C' }] }] });
    await t.engine.docs.publish('forms', 'scratch', { confirmDataLoss: true });
    // a pack that depends on this one: upgrades outside its range and uninstalling are refused
    const ext: PackBundle = {
      manifest: { name: 'crm_ext', version: '1.0.0', dependencies: { crm: '^1.0.0' }, modules: ['crm_ext'] },
      documents: [{ kind: 'forms', key: 'note', doc: { key: 'note', label: 'Note', module: 'crm_ext', fields: [{ id: 'n_text', key: 'text', type: 'text', label: 'Text' }] } }],
    };
    await t.engine.packs.install(ext);
    const major = v2();
    major.manifest.version = '2.0.0';
    expect((await failure(t.engine.packs.upgrade(major))).text.en).toMatch(/crm_ext/);
    expect((await failure(t.engine.packs.uninstall('crm'))).text.en).toMatch(/crm_ext/);
    await t.engine.packs.uninstall('crm_ext');
    const e = await failure(t.engine.packs.uninstall('crm'));
    expect(e.code).toBe('data_loss');
    expect(await tables()).toContain('t_contact');
    const res = await t.engine.packs.uninstall('crm', { confirmDataLoss: true });
    expect(res.records).toBe(2);
    expect(await tables()).toEqual(['t_scratch']);
    expect(await t.engine.packs.list()).toEqual([]);
    expect((await failure(t.engine.records.list(A, 'contact', {}))).code).toBe('not_found');
  });
});
