/**
 * The pack format of API.md: a bundle `{"manifest", "documents":[{"kind","key","doc","checksum"?}]}`
 * and the equivalent folder (`pack.json` + one file per document under forms/, workflows/,
 * reports/, dashboards/, roles/). The manifest names the pack, its semver version, the engine
 * range it needs, labels, modules and the packs it depends on; each document may carry a
 * checksum (`sha256-<hex>` of its canonical JSON), checked when present.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import semver from 'semver';
import type { MetaKind } from '../meta/types.js';
import { KEY_RE, META_KINDS } from '../meta/types.js';
import { AppError, msg, type Msg } from '../errors.js';

export interface PackManifest {
  name: string;
  version: string;
  /** The engine versions the pack works with (a semver range). */
  engine?: string;
  label?: unknown;
  description?: unknown;
  modules?: string[];
  /** Packs this one needs, by name → semver range. */
  dependencies?: Record<string, string>;
  /** Forms in install order (relation targets first); others follow alphabetically. */
  forms?: string[];
}

export interface PackDocument {
  kind: MetaKind;
  key: string;
  doc: any;
  checksum?: string;
}

export interface PackBundle {
  manifest: PackManifest;
  documents: PackDocument[];
}

export const PACK_NAME_RE = /^[a-z][a-z0-9_-]{0,63}$/;

/** JSON with object keys sorted, so equal documents have equal text (and checksums). */
export function canonicalJson(v: unknown): string {
  return JSON.stringify(v, (_k, val) => {
    if (val && typeof val === 'object' && !Array.isArray(val)) {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(val).sort()) out[k] = val[k];
      return out;
    }
    return val;
  });
}

export function checksumOf(doc: unknown): string {
  return 'sha256-' + crypto.createHash('sha256').update(canonicalJson(doc)).digest('hex');
}

/**
 * Check a bundle's shape, manifest, checksums and that it fits this engine; errors name JSON
 * Pointers into the bundle. Forms come first, in the manifest's order.
 */
export function validateBundle(input: unknown, engineVersion: string): PackBundle {
  const errors: Record<string, Msg[]> = {};
  const add = (p: string, zh: string, en: string) => (errors[p] ??= []).push(msg(zh, en));
  const b = input as any;
  if (!b || typeof b !== 'object' || Array.isArray(b)) throw new AppError('bad_request', msg('模板包应为 JSON 对象', 'A pack bundle must be a JSON object'));
  const m = b.manifest;
  if (!m || typeof m !== 'object' || Array.isArray(m)) add('/manifest', '缺少 manifest', 'manifest is required');
  else {
    if (typeof m.name !== 'string' || !PACK_NAME_RE.test(m.name)) add('/manifest/name', '包名应为小写字母开头的字母、数字、_ 或 -', 'name must match ^[a-z][a-z0-9_-]{0,63}$');
    if (typeof m.version !== 'string' || !semver.valid(m.version)) add('/manifest/version', '版本号应符合 semver（如 1.2.0）', 'version must be a semver version such as 1.2.0');
    if (m.engine !== undefined) {
      if (typeof m.engine !== 'string' || !semver.validRange(m.engine)) add('/manifest/engine', 'engine 应为 semver 范围', 'engine must be a semver range');
      else if (!semver.satisfies(engineVersion, m.engine, { includePrerelease: true })) {
        add('/manifest/engine', `此包需要引擎 ${m.engine}，当前为 ${engineVersion}`, `the pack needs engine ${m.engine}; this engine is ${engineVersion}`);
      }
    }
    if (m.modules !== undefined && (!Array.isArray(m.modules) || !m.modules.every((x: unknown) => typeof x === 'string' && KEY_RE.test(x)))) {
      add('/manifest/modules', 'modules 应为模块键名的数组', 'modules must be an array of module keys');
    }
    if (m.dependencies !== undefined) {
      if (!m.dependencies || typeof m.dependencies !== 'object' || Array.isArray(m.dependencies)) add('/manifest/dependencies', 'dependencies 应为 {包名: 版本范围}', 'dependencies must map pack names to semver ranges');
      else for (const [name, range] of Object.entries(m.dependencies)) {
        if (!PACK_NAME_RE.test(name) || typeof range !== 'string' || !semver.validRange(range)) add(`/manifest/dependencies/${name}`, '依赖应为 包名: semver 范围', 'a dependency is a pack name and a semver range');
      }
    }
    if (m.forms !== undefined && (!Array.isArray(m.forms) || !m.forms.every((x: unknown) => typeof x === 'string'))) add('/manifest/forms', 'forms 应为表单键名的数组', 'forms must be an array of form keys');
  }
  if (!Array.isArray(b.documents)) add('/documents', '缺少 documents 数组', 'documents must be an array');
  const seen = new Set<string>();
  const docs: PackDocument[] = [];
  (Array.isArray(b.documents) ? b.documents : []).forEach((d: any, i: number) => {
    const p = `/documents/${i}`;
    if (!d || typeof d !== 'object' || Array.isArray(d)) return add(p, '文档应为对象', 'a document must be an object');
    if (!(META_KINDS as string[]).includes(d.kind)) return add(`${p}/kind`, `未知的文档类型 ${String(d.kind)}`, `unknown kind '${String(d.kind)}'`);
    if (typeof d.key !== 'string' || !KEY_RE.test(d.key)) return add(`${p}/key`, '键名不合法', 'key must match ^[a-z][a-z0-9_]{0,47}$');
    if (!d.doc || typeof d.doc !== 'object' || Array.isArray(d.doc)) return add(`${p}/doc`, '文档内容应为对象', 'doc must be an object');
    if (d.doc.key !== undefined && d.doc.key !== d.key) add(`${p}/doc/key`, '文档的 key 与条目不一致', "the document's key differs from the entry's");
    const id = `${d.kind}/${d.key}`;
    if (seen.has(id)) add(`${p}/key`, `重复的文档 ${id}`, `duplicate document ${id}`);
    seen.add(id);
    if (d.checksum !== undefined && d.checksum !== checksumOf(d.doc)) add(`${p}/checksum`, '校验和不符：文档已被改动或损坏', 'checksum mismatch: the document was altered or damaged');
    docs.push({ kind: d.kind, key: d.key, doc: { ...d.doc, key: d.key }, ...(d.checksum ? { checksum: d.checksum } : {}) });
  });
  if (Object.keys(errors).length) {
    throw new AppError('validation', msg('模板包不合法', 'The pack is malformed'), { fields: errors });
  }
  return { manifest: m as PackManifest, documents: orderDocuments(m as PackManifest, docs) };
}

/** Forms first (the manifest's order, then by key), then workflows, roles, reports, dashboards. */
function orderDocuments(manifest: PackManifest, docs: PackDocument[]): PackDocument[] {
  const kindOrder: MetaKind[] = ['forms', 'roles', 'workflows', 'reports', 'dashboards'];
  const formOrder = new Map((manifest.forms ?? []).map((k, i) => [k, i]));
  return [...docs].sort((a, b) => {
    const k = kindOrder.indexOf(a.kind) - kindOrder.indexOf(b.kind);
    if (k) return k;
    if (a.kind === 'forms') return (formOrder.get(a.key) ?? 1e6) - (formOrder.get(b.key) ?? 1e6) || a.key.localeCompare(b.key);
    return a.key.localeCompare(b.key);
  });
}

/** A bundle file (`.json`) or a pack folder. */
export function readPack(target: string): PackBundle {
  const stat = fs.statSync(target, { throwIfNoEntry: false });
  if (!stat) throw new AppError('bad_request', msg(`找不到 ${target}`, `${target} not found`));
  if (stat.isDirectory()) return readPackFolder(target);
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(target, 'utf8'));
  } catch (e) {
    throw new AppError('bad_request', msg('模板包文件不是合法的 JSON', `The bundle file is not valid JSON: ${(e as Error).message}`));
  }
  return parsed as PackBundle;
}

export function readPackFolder(dir: string): PackBundle {
  const manifestPath = path.join(dir, 'pack.json');
  if (!fs.existsSync(manifestPath)) throw new AppError('bad_request', msg('找不到 pack.json', `No pack.json in ${dir}`));
  const manifest = readJson(manifestPath, 'pack.json') as PackManifest & { checksums?: Record<string, string> };
  const { checksums, ...rest } = manifest;
  const documents: PackDocument[] = [];
  for (const kind of META_KINDS) {
    const sub = path.join(dir, kind);
    if (!fs.existsSync(sub)) continue;
    for (const f of fs.readdirSync(sub).filter((x) => x.endsWith('.json')).sort()) {
      const doc = readJson(path.join(sub, f), `${kind}/${f}`);
      if (kind === 'forms') inlinePrintTemplates(dir, `${kind}/${f}`, doc);
      const key = doc?.key ?? path.basename(f, '.json');
      const checksum = checksums?.[`${kind}/${key}`];
      documents.push({ kind, key, doc, ...(checksum ? { checksum } : {}) });
    }
  }
  return { manifest: rest, documents };
}

/** Write a bundle as a pack folder (checksums in pack.json). */
export function writePackFolder(dir: string, bundle: PackBundle): void {
  fs.mkdirSync(dir, { recursive: true });
  const checksums: Record<string, string> = {};
  for (const d of bundle.documents) {
    fs.mkdirSync(path.join(dir, d.kind), { recursive: true });
    fs.writeFileSync(path.join(dir, d.kind, `${d.key}.json`), JSON.stringify(d.doc, null, 2) + '\n');
    checksums[`${d.kind}/${d.key}`] = d.checksum ?? checksumOf(d.doc);
  }
  fs.writeFileSync(path.join(dir, 'pack.json'), JSON.stringify({ ...bundle.manifest, checksums }, null, 2) + '\n');
}

function readJson(file: string, name: string): any {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new AppError('validation', msg(`${name} 不是合法的 JSON`, `${name} is not valid JSON: ${(e as Error).message}`), {
      fields: { [`/${name}`]: [msg('不是合法的 JSON', 'not valid JSON')] },
    });
  }
}

/**
 * A form's print template may name its handlebars file instead of holding it:
 * `{"key": "sales_contract", "label": …, "templateFile": "prints/sales_contract.hbs"}`. The file
 * (a relative path inside the pack folder; no `..`, no absolute path) becomes `template`.
 */
function inlinePrintTemplates(dir: string, docPath: string, doc: any): void {
  if (!doc || !Array.isArray(doc.prints)) return;
  const root = path.resolve(dir);
  doc.prints.forEach((p: any, i: number) => {
    if (!p || typeof p !== 'object' || !('templateFile' in p)) return;
    const file = p.templateFile;
    const refuse = (zh: string, en: string) => new AppError('validation', msg(`${docPath}：${zh}`, `${docPath}: ${en}`), {
      fields: { [`/prints/${i}/templateFile`]: [msg(zh, en)] },
    });
    if (typeof file !== 'string' || !file) throw refuse('templateFile 应为包内的相对路径', 'templateFile must be a relative path inside the pack');
    if (p.template !== undefined) throw refuse('template 和 templateFile 只能有一个', 'give template or templateFile, not both');
    const parts = file.split(/[\\/]/);
    if (path.isAbsolute(file) || /^[A-Za-z]:/.test(file) || parts.includes('..')) {
      throw refuse(`templateFile '${file}' 必须在包目录之内`, `templateFile '${file}' must stay inside the pack folder`);
    }
    const full = path.resolve(root, file);
    if (!full.startsWith(root + path.sep)) throw refuse(`templateFile '${file}' 必须在包目录之内`, `templateFile '${file}' must stay inside the pack folder`);
    let real: string;
    try {
      real = fs.realpathSync(full);
    } catch {
      throw refuse(`找不到模板文件 '${file}'`, `template file '${file}' not found`);
    }
    if (!real.startsWith(fs.realpathSync(root) + path.sep)) throw refuse(`templateFile '${file}' 必须在包目录之内`, `templateFile '${file}' must stay inside the pack folder`);
    const { templateFile: _file, ...rest } = p;
    doc.prints[i] = { ...rest, template: fs.readFileSync(real, 'utf8') };
  });
}
