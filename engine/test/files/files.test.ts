/**
 * Files stored by the engine, over HTTP, on SQLite and PostgreSQL: upload with size and type
 * limits checked on the bytes, attaching on record writes (only one's own unattached uploads),
 * downloading through the record's read path (row scope, field set; everyone else 404), PNG-only
 * signatures, and the cleanup of orphans.
 */
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../helpers/db.js';
import { publishForm, startServer, testEngine, type TestEngine, type TestServer } from '../helpers/engine.js';
import { validateFormDef } from '../../src/meta/metaschema.js';
import { FILE_MAX_SIZE_CAP } from '../../src/meta/file-limits.js';
import { sniffMime } from '../../src/files/index.js';
import { makePng } from '../helpers/png.js';

const PNG = makePng();
const PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');
const EXE = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(200, 0x90), Buffer.from('This program cannot be run in DOS mode.')]);
const SVG = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>');

const CLAIM = {
  key: 'claim', label: { 'zh-CN': '理赔', en: 'Claim' },
  fields: [
    { key: 'title', type: 'text', label: '标题', required: true },
    { key: 'photos', type: 'image', label: { 'zh-CN': '照片', en: 'Photos' }, multiple: true },
    { key: 'scan', type: 'attachment', label: '扫描件', maxSize: 2048 },
    { key: 'notes', type: 'attachment', label: '说明', accept: ['text/plain', 'application/pdf'], multiple: true },
    { key: 'secret_docs', type: 'attachment', label: '内部文件', multiple: true },
    { key: 'sign', type: 'signature', label: '签名' },
    { key: 'items', type: 'subtable', label: '明细', fields: [{ key: 'name', type: 'text', label: '名称' }, { key: 'pic', type: 'image', label: '图' }] },
  ],
};

const role = (key: string, permissions: unknown[]) => ({ key, label: key, permissions });

describe.each(DIALECTS)('files on %s', (dialect) => {
  let t: TestEngine;
  let s: TestServer;
  const tokens: Record<string, string> = {};

  async function upload(field: string, body: Buffer, opts: { type?: string; name?: string; token?: string; form?: string } = {}) {
    const headers: Record<string, string> = { authorization: `Bearer ${opts.token ?? tokens.clerk}`, 'content-type': opts.type ?? 'image/png' };
    if (opts.name !== undefined) headers['x-file-name'] = encodeURIComponent(opts.name);
    const res = await fetch(`${s.url}/api/files?form=${opts.form ?? 'claim'}&field=${encodeURIComponent(field)}`, { method: 'POST', headers, body });
    return { status: res.status, body: await res.json() };
  }
  async function download(id: string, token: string) {
    const res = await fetch(`${s.url}/api/files/${id}`, { headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
  }

  beforeAll(async () => {
    t = await testEngine(dialect);
    await publishForm(t.engine, CLAIM);
    // A flat form: on PostgreSQL its creates without files are one statement; with files, a transaction.
    await publishForm(t.engine, { key: 'memo', label: 'Memo', fields: [{ key: 'title', type: 'text', label: 'T' }, { key: 'pic', type: 'image', label: 'Pic' }] });
    const roles = [
      role('clerk', [{ form: 'claim', actions: ['create', 'read', 'update', 'delete'], rows: 'own' }]),
      role('viewer', [{ form: 'claim', actions: ['read'], rows: 'all', fields: { hidden: ['secret_docs'] } }]),
      role('reader', [{ form: 'claim', actions: ['read'], rows: 'own' }]),
    ];
    for (const r of roles) {
      await t.engine.docs.saveDraft('roles', r.key, r);
      await t.engine.docs.publish('roles', r.key);
    }
    s = await startServer(t.engine);
    tokens.admin = s.adminToken;
    for (const [username, roleKey] of [['clerk', 'clerk'], ['clerk2', 'clerk'], ['viewer', 'viewer'], ['reader', 'reader']] as const) {
      await t.engine.users.create({ username, password: 'password-123456', displayName: username, roles: [roleKey] } as any);
      tokens[username] = (await s.api('/api/auth/login', { body: { username, password: 'password-123456' }, token: null })).body.token;
    }
  });
  afterAll(async () => {
    await s?.close();
    await t?.drop();
  });

  it('uploads a file, attaches it on create with the server\'s facts, and lets a reader download it', async () => {
    const up = await upload('photos', PNG, { name: '现场 照片.png' });
    expect(up.status).toBe(201);
    expect(up.body).toMatchObject({ name: '现场 照片.png', size: PNG.length, mime: 'image/png' });
    expect(up.body.id).toMatch(/^[A-Za-z0-9_-]{22,}$/);
    expect(up.body.url).toBe(`/api/files/${up.body.id}`);
    // unattached: only the uploader may read it
    expect((await download(up.body.id, tokens.clerk!)).status).toBe(200);
    expect((await download(up.body.id, tokens.viewer!)).status).toBe(404);
    // the client's name, size and type are not what is stored
    const created = await s.api('/api/records/claim', { token: tokens.clerk, body: { title: 'A', photos: [{ id: up.body.id, name: 'evil.html', size: 1, mime: 'text/html', url: 'https://evil.example/' }] } });
    expect(created.status).toBe(201);
    expect(created.body.photos).toEqual([{ id: up.body.id, name: '现场 照片.png', size: PNG.length, mime: 'image/png', url: `/api/files/${up.body.id}` }]);
    const read = await s.api(`/api/records/claim/${created.body.id}`, { token: tokens.viewer });
    expect(read.body.photos[0].name).toBe('现场 照片.png');
    const got = await download(up.body.id, tokens.viewer!);
    expect(got.status).toBe(200);
    expect(got.bytes.equals(PNG)).toBe(true);
    expect(got.headers.get('content-type')).toBe('image/png');
    expect(got.headers.get('x-content-type-options')).toBe('nosniff');
    expect(got.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(got.headers.get('content-security-policy')).toContain('sandbox');
    expect(got.headers.get('content-disposition')).toMatch(/^inline; filename="[^"]*"; filename\*=UTF-8''%E7%8E%B0%E5%9C%BA%20%E7%85%A7%E7%89%87\.png$/);
    // a PDF downloads as an attachment
    const pdf = await upload('notes', PDF, { type: 'application/pdf', name: 'report.pdf' });
    expect(pdf.status).toBe(201);
    const upd = await s.api(`/api/records/claim/${created.body.id}`, { method: 'PATCH', token: tokens.clerk, body: { _version: created.body._version, notes: [pdf.body] } });
    expect(upd.status).toBe(200);
    const d = await download(pdf.body.id, tokens.viewer!);
    expect(d.headers.get('content-disposition')).toMatch(/^attachment; filename="report.pdf"/);
    expect(d.headers.get('content-type')).toBe('application/pdf');
  });

  it('attaches files on a form whose plain creates are a single statement', async () => {
    const plain = await s.api('/api/records/memo', { body: { title: 'no file' } });
    expect(plain.status).toBe(201);
    const up = await upload('pic', PNG, { form: 'memo', token: tokens.admin });
    expect(up.status).toBe(201);
    const rec = await s.api('/api/records/memo', { body: { title: 'with file', pic: [{ id: up.body.id }] } });
    expect(rec.status).toBe(201);
    expect(rec.body.pic[0]).toMatchObject({ id: up.body.id, mime: 'image/png' });
    const row = await t.engine.db.knex('fw_files').where({ id: up.body.id }).first();
    expect(Number(row.record_id)).toBe(rec.body.id);
    const again = await s.api('/api/records/memo', { body: { title: 'same file', pic: [{ id: up.body.id }] } });
    expect(again.status).toBe(422);
  });

  it('refuses a file over the field\'s size limit with payload_too_large, before storing it', async () => {
    const big = Buffer.concat([PDF, Buffer.alloc(3000, 0x20)]);
    const r = await upload('scan', big, { type: 'application/pdf', name: 'big.pdf' });
    expect(r.status).toBe(413);
    expect(r.body.error.code).toBe('payload_too_large');
    expect(r.body.error.message).toContain('2 KB');
    expect(r.body.error.fields.scan[0]).toContain('2 KB');
    const en = await fetch(`${s.url}/api/files?form=claim&field=scan`, { method: 'POST', headers: { authorization: `Bearer ${tokens.clerk}`, 'content-type': 'application/pdf', 'accept-language': 'en' }, body: big });
    expect((await en.json()).error.message).toBe('The file is too large (limit 2 KB)');
    expect((await upload('scan', PDF, { type: 'application/pdf' })).status).toBe(201);
    expect(Number((await t.engine.db.knex('fw_files').where({ size: big.length }).count({ n: '*' }).first())!.n)).toBe(0);
  });

  it('refuses bytes that are not what the name and type say (an .exe named photo.png), and types the field does not take', async () => {
    const exe = await upload('photos', EXE, { name: 'photo.png', type: 'image/png' });
    expect(exe.status).toBe(422);
    expect(exe.body.error.code).toBe('validation');
    expect(exe.body.error.fields.photos[0]).toMatch(/无法识别的文件类型/);
    // a PNG declared as a JPEG
    const lie = await upload('photos', PNG, { name: 'x.jpg', type: 'image/jpeg' });
    expect(lie.status).toBe(422);
    expect(lie.body.error.fields.photos[0]).toContain('不符');
    // a PDF into an image field
    const pdf = await upload('photos', PDF, { type: 'application/pdf' });
    expect(pdf.status).toBe(422);
    expect(pdf.body.error.fields.photos[0]).toContain('PDF');
    // plain text only where accept names it
    expect((await upload('scan', Buffer.from('hello'), { type: 'text/plain' })).status).toBe(422);
    const txt = await upload('notes', Buffer.from('你好，世界\n'), { type: 'text/plain', name: 'a.txt' });
    expect(txt.status).toBe(201);
    expect(txt.body.mime).toBe('text/plain');
    // no body, JSON and multipart bodies
    expect((await upload('photos', Buffer.alloc(0))).status).toBe(422);
    expect((await upload('photos', Buffer.from('{}'), { type: 'application/json' })).status).toBe(400);
    // unknown field, a field of another type, no rights
    expect((await upload('title', PNG)).status).toBe(404);
    expect((await upload('nope', PNG)).status).toBe(404);
    expect((await upload('photos', PNG, { token: tokens.viewer })).status).toBe(403);
    expect(sniffMime(EXE)).toBeNull();
  });

  it('refuses SVG as an image and as text, and in a field\'s accept list', async () => {
    const svg = await upload('photos', SVG, { type: 'image/svg+xml', name: 'logo.svg' });
    expect(svg.status).toBe(422);
    expect((await upload('photos', SVG, { type: 'application/octet-stream', name: 'logo.png' })).status).toBe(422);
    expect((await upload('notes', SVG, { type: 'text/plain', name: 'logo.txt' })).status).toBe(422);
    const problems = (extra: Record<string, unknown>): string[] => {
      try {
        validateFormDef({ ...CLAIM, fields: [...CLAIM.fields, extra] });
        return [];
      } catch (e: any) {
        return Object.keys(e.fields ?? {});
      }
    };
    expect(problems({ key: 'logo', type: 'image', label: 'Logo', accept: ['image/svg+xml'] })).toContain('/fields/7/accept');
    expect(problems({ key: 'big', type: 'attachment', label: 'Big', maxSize: FILE_MAX_SIZE_CAP + 1 })).toContain('/fields/7/maxSize');
    expect(problems({ key: 'n', type: 'text', label: 'N', accept: ['image/png'] })).toEqual(['/fields/7/accept']);
    expect(problems({ key: 'ok', type: 'attachment', label: 'OK', accept: ['image/*', 'application/pdf'], maxSize: 1024 })).toEqual([]);
  });

  it('does not let one user attach another user\'s unattached upload, nor a file uploaded for another field', async () => {
    const mine = await upload('photos', PNG, { name: 'mine.png' });
    const theirs = await s.api('/api/records/claim', { token: tokens.clerk2, body: { title: 'B', photos: [{ id: mine.body.id }] } });
    expect(theirs.status).toBe(422);
    expect(theirs.body.error.fields.photos[0]).toContain(mine.body.id);
    const other = await s.api('/api/records/claim', { token: tokens.clerk, body: { title: 'C', secret_docs: [{ id: mine.body.id }] } });
    expect(other.status).toBe(422);
    expect(Object.keys(other.body.error.fields)).toEqual(['secret_docs']);
    const unknown = await s.api('/api/records/claim', { token: tokens.clerk, body: { title: 'D', photos: [{ id: 'AAAAAAAAAAAAAAAAAAAAAAAA' }] } });
    expect(unknown.status).toBe(422);
    // once attached, it cannot be taken into another record either
    const first = await s.api('/api/records/claim', { token: tokens.clerk, body: { title: 'E', photos: [{ id: mine.body.id }] } });
    expect(first.status).toBe(201);
    const second = await s.api('/api/records/claim', { token: tokens.clerk, body: { title: 'F', photos: [{ id: mine.body.id }] } });
    expect(second.status).toBe(422);
    // a field without `multiple` holds one file
    const a = await upload('scan', PDF, { type: 'application/pdf' });
    const b = await upload('scan', PDF, { type: 'application/pdf' });
    const two = await s.api('/api/records/claim', { token: tokens.clerk, body: { title: 'G', scan: [{ id: a.body.id }, { id: b.body.id }] } });
    expect(two.status).toBe(422);
    expect(Object.keys(two.body.error.fields)).toEqual(['scan']);
    // subtable rows' files too
    const pic = await upload('items.pic', PNG);
    expect(pic.status).toBe(201);
    const rows = await s.api('/api/records/claim', { token: tokens.clerk, body: { title: 'H', items: [{ name: 'x', pic: [{ id: pic.body.id }] }] } });
    expect(rows.status).toBe(201);
    expect(rows.body.items[0].pic[0]).toMatchObject({ id: pic.body.id, mime: 'image/png' });
    expect((await download(pic.body.id, tokens.viewer!)).status).toBe(200);
    const stolen = await s.api('/api/records/claim', { token: tokens.clerk, body: { title: 'I', items: [{ name: 'y', pic: [{ id: pic.body.id }] }] } });
    expect(stolen.status).toBe(422);
    expect(Object.keys(stolen.body.error.fields)).toEqual(['items.0.pic']);
  });

  it('answers 404 to a reader outside the record\'s row scope, and for a field hidden from their role', async () => {
    const photo = await upload('photos', PNG);
    const secret = await upload('secret_docs', PDF, { type: 'application/pdf', name: 'secret.pdf' });
    const rec = await s.api('/api/records/claim', { token: tokens.clerk, body: { title: 'J', photos: [photo.body], secret_docs: [secret.body] } });
    expect(rec.status).toBe(201);
    // `reader` reads only their own claims: the file is as absent as an unknown one
    const outside = await download(photo.body.id, tokens.reader!);
    expect(outside.status).toBe(404);
    const unknown = await fetch(`${s.url}/api/files/AAAAAAAAAAAAAAAAAAAAAAAA`, { headers: { authorization: `Bearer ${tokens.reader}` } });
    expect(unknown.status).toBe(404);
    expect((await unknown.json()).error.code).toBe('not_found');
    expect((await download(photo.body.id, tokens.clerk2!)).status).toBe(404);
    // `viewer` reads every claim but not secret_docs
    expect((await download(photo.body.id, tokens.viewer!)).status).toBe(200);
    expect((await download(secret.body.id, tokens.viewer!)).status).toBe(404);
    expect((await download(secret.body.id, tokens.admin!)).status).toBe(200);
    expect((await download(secret.body.id, tokens.clerk!)).status).toBe(200);
    // no token at all
    expect((await fetch(`${s.url}/api/files/${photo.body.id}`)).status).toBe(401);
  });

  it('keeps signatures that are real PNGs and refuses anything else, SVG included', async () => {
    const png = `data:image/png;base64,${PNG.toString('base64')}`;
    const ok = await s.api('/api/records/claim', { token: tokens.clerk, body: { title: 'S', sign: png } });
    expect(ok.status).toBe(201);
    expect(ok.body.sign).toBe(png);
    const garbage = await s.api('/api/records/claim', { token: tokens.clerk, body: { title: 'S2', sign: `data:image/png;base64,${Buffer.from('not a png at all').toString('base64')}` } });
    expect(garbage.status).toBe(422);
    expect(Object.keys(garbage.body.error.fields)).toEqual(['sign']);
    const svg = await s.api('/api/records/claim', { token: tokens.clerk, body: { title: 'S3', sign: `data:image/svg+xml;base64,${SVG.toString('base64')}` } });
    expect(svg.status).toBe(422);
    expect(Object.keys(svg.body.error.fields)).toEqual(['sign']);
    const notBase64 = await s.api('/api/records/claim', { token: tokens.clerk, body: { title: 'S4', sign: 'data:image/png;base64,<script>' } });
    expect(notBase64.status).toBe(422);
    // an update that leaves the signature alone is not re-checked, one that changes it is
    const upd = await s.api(`/api/records/claim/${ok.body.id}`, { method: 'PATCH', token: tokens.clerk, body: { _version: ok.body._version, title: 'S-renamed' } });
    expect(upd.status).toBe(200);
    const bad = await s.api(`/api/records/claim/${ok.body.id}`, { method: 'PATCH', token: tokens.clerk, body: { _version: upd.body._version, sign: 'data:image/png;base64,AAAA' } });
    expect(bad.status).toBe(422);
  });

  it('removes a file taken out of a record, the files of a deleted record, and uploads left unattached for a day', async () => {
    const a = await upload('photos', PNG);
    const b = await upload('photos', PNG);
    const rec = await s.api('/api/records/claim', { token: tokens.clerk, body: { title: 'K', photos: [a.body, b.body] } });
    expect(rec.status).toBe(201);
    const upd = await s.api(`/api/records/claim/${rec.body.id}`, { method: 'PATCH', token: tokens.clerk, body: { _version: rec.body._version, photos: [rec.body.photos[1]] } });
    expect(upd.status).toBe(200);
    expect(upd.body.photos.map((p: any) => p.id)).toEqual([b.body.id]);
    expect((await download(a.body.id, tokens.clerk!)).status).toBe(404);
    expect((await download(b.body.id, tokens.clerk!)).status).toBe(200);
    expect((await s.api(`/api/records/claim/${rec.body.id}`, { method: 'DELETE', token: tokens.clerk })).status).toBe(204);
    expect(await t.engine.db.knex('fw_files').where({ id: b.body.id }).first()).toBeUndefined();

    // an orphan: an upload never attached, and a file whose record went without RecordService
    const orphan = await upload('photos', PNG);
    const fresh = await upload('photos', PNG);
    const c = await upload('photos', PNG);
    const kept = await s.api('/api/records/claim', { token: tokens.clerk, body: { title: 'L', photos: [c.body] } });
    const d = await upload('photos', PNG);
    const gone = await s.api('/api/records/claim', { token: tokens.clerk, body: { title: 'M', photos: [d.body] } });
    await t.engine.db.knex('t_claim').where({ id: gone.body.id }).delete();
    await t.engine.db.knex('fw_files').where({ id: orphan.body.id }).update({ created_at: new Date(Date.now() - 25 * 3600_000).toISOString() });
    const result = await t.engine.files.cleanup();
    expect(result).toEqual({ unattached: 1, orphaned: 1 });
    const left = new Set((await t.engine.db.knex('fw_files').select('id')).map((r: any) => r.id));
    expect(left.has(orphan.body.id)).toBe(false);
    expect(left.has(d.body.id)).toBe(false);
    expect(left.has(fresh.body.id)).toBe(true);
    expect(left.has(c.body.id)).toBe(true);
    expect((await download(c.body.id, tokens.viewer!)).status).toBe(200);
    expect(kept.status).toBe(201);
    // a day later, the fresh upload goes too
    expect((await t.engine.files.cleanup({ now: new Date(Date.now() + 25 * 3600_000) })).unattached).toBeGreaterThanOrEqual(1);
    expect(await t.engine.db.knex('fw_files').where({ id: fresh.body.id }).first()).toBeUndefined();
  });

  it('runs the cleanup as an hourly durable job', async () => {
    const { scheduleFileCleanup, FILES_CLEANUP_JOB } = await import('../../src/files/index.js');
    await scheduleFileCleanup(t.engine.workflow.jobs, t.engine.db.knex);
    await scheduleFileCleanup(t.engine.workflow.jobs, t.engine.db.knex); // idempotent
    const jobs = await t.engine.db.knex('fw_jobs').where({ kind: FILES_CLEANUP_JOB, status: 'pending' });
    expect(jobs).toHaveLength(1);
    const orphan = await upload('photos', PNG);
    await t.engine.db.knex('fw_files').where({ id: orphan.body.id }).update({ created_at: new Date(Date.now() - 25 * 3600_000).toISOString() });
    // due now: the job runs, removes the orphan and queues the next hour's run
    await t.engine.db.knex('fw_jobs').where({ id: jobs[0].id }).update({ run_at: new Date(Date.now() - 1000).toISOString() });
    await t.engine.workflow.drain();
    expect(await t.engine.db.knex('fw_files').where({ id: orphan.body.id }).first()).toBeUndefined();
    const after = await t.engine.db.knex('fw_jobs').where({ kind: FILES_CLEANUP_JOB }).orderBy('id');
    expect(after.map((j: any) => j.status)).toEqual(['done', 'pending']);
  });
});
