/**
 * Installing a template pack folder: `pack.json` (the manifest) and one file per document under
 * forms/, workflows/, reports/, dashboards/, roles/. Each document is saved as a draft and
 * published through DocumentService, so forms become tables through the planner. A document
 * already published with the same content is left alone, so installing twice changes nothing.
 *
 * The packs issue completes this: install plans, provenance, overlays, upgrades, bundles.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { DocumentService } from '../documents/document-service.js';
import type { MetaKind } from '../meta/types.js';
import { META_KINDS } from '../meta/types.js';
import type { Db } from '../store/connection.js';
import { nowIso } from '../store/system.js';
import { AppError, msg } from '../errors.js';

export interface PackManifest {
  name: string;
  version: string;
  engine?: string;
  label?: unknown;
  description?: unknown;
  modules?: string[];
  /** Forms in install order (relation targets first); others follow alphabetically. */
  forms?: string[];
}

export interface PackDocument {
  kind: MetaKind;
  key: string;
  doc: any;
}

export function readPackFolder(dir: string): { manifest: PackManifest; documents: PackDocument[] } {
  const manifestPath = path.join(dir, 'pack.json');
  if (!fs.existsSync(manifestPath)) throw new AppError('bad_request', msg('找不到 pack.json', `No pack.json in ${dir}`));
  const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8')) as PackManifest;
  if (!manifest.name || !manifest.version) throw new AppError('validation', msg('pack.json 缺少 name 或 version', 'pack.json needs name and version'));
  const documents: PackDocument[] = [];
  for (const kind of META_KINDS) {
    const sub = path.join(dir, kind);
    if (!fs.existsSync(sub)) continue;
    const files = fs.readdirSync(sub).filter((f) => f.endsWith('.json')).sort();
    const docs = files.map((f) => {
      const doc = JSON.parse(fs.readFileSync(path.join(sub, f), 'utf8'));
      if (kind === 'forms') inlinePrintTemplates(dir, `${kind}/${f}`, doc);
      return { kind, key: doc.key ?? path.basename(f, '.json'), doc };
    });
    if (kind === 'forms' && manifest.forms) {
      const order = new Map(manifest.forms.map((k, i) => [k, i]));
      docs.sort((a, b) => (order.get(a.key) ?? 1e6) - (order.get(b.key) ?? 1e6) || a.key.localeCompare(b.key));
    }
    documents.push(...docs);
  }
  return { manifest, documents };
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

export interface InstallResult {
  installed: Array<{ kind: MetaKind; key: string; revision: number }>;
  unchanged: Array<{ kind: MetaKind; key: string }>;
}

export async function installPack(db: Db, docs: DocumentService, pack: { manifest: PackManifest; documents: PackDocument[] }): Promise<InstallResult> {
  const result: InstallResult = { installed: [], unchanged: [] };
  for (const d of pack.documents) {
    const current = await docs.getPublished(d.kind, d.key);
    if (current && sameDocument(current, d.doc)) {
      result.unchanged.push({ kind: d.kind, key: d.key });
      continue;
    }
    await docs.saveDraft(d.kind, d.key, d.doc);
    const { revision } = await docs.publish(d.kind, d.key, { note: `pack ${pack.manifest.name}@${pack.manifest.version}` });
    result.installed.push({ kind: d.kind, key: d.key, revision });
  }
  const row = { version: pack.manifest.version, manifest: JSON.stringify(pack.manifest), installed_at: nowIso() };
  const exists = await db.knex('fw_packs').where({ name: pack.manifest.name }).first();
  if (exists) await db.knex('fw_packs').where({ name: pack.manifest.name }).update(row);
  else await db.knex('fw_packs').insert({ name: pack.manifest.name, ...row });
  return result;
}

/** Equal apart from what the engine adds at publish (columns, carried-over deleted fields). */
function sameDocument(published: any, incoming: any): boolean {
  const strip = (doc: any) =>
    JSON.stringify(doc, (k, v) => (k === 'column' ? undefined : v), 0);
  if (published.fields && incoming.fields) {
    const live = { ...published, fields: published.fields.filter((f: any) => !f.deleted) };
    return strip(live) === strip(incoming);
  }
  return strip(published) === strip(incoming);
}
