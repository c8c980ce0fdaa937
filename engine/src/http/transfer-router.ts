/**
 * Export and import of records:
 *   GET  /api/records/:form/export?format=csv|xlsx&filter=F&lang=zh-CN|en   → the file, streamed
 *   POST /api/records/:form/import?dryRun=1&mode=all_or_nothing|valid_only&mapping=M&wait=1
 *        (the file as the raw body: text/csv or XLSX)                        → 202 the job (200 with wait=1)
 *   GET  /api/imports?form=&all=1                                             → the caller's recent imports
 *   GET  /api/imports/:id                                                     → one import, its progress and row issues
 * Mounted before the records router (whose `/:form/:id` would take `export`).
 */
import { Router, type Request } from 'express';
import type { Engine } from '../app.js';
import { actorOf } from './authn.js';
import { langOf } from './errors.js';
import { badParam, jsonParam, optionalString } from './params.js';
import { AppError, msg } from '../errors.js';
import { KEY_RE } from '../meta/types.js';
import { RecordExporter } from '../reports/export.js';
import { ImportService, type ImportMode } from '../records/import-jobs.js';

const services = new WeakMap<Engine, { exporter: RecordExporter; imports: ImportService }>();

/** One exporter and one import queue per engine (however many apps serve it). */
export function transferServices(engine: Engine): { exporter: RecordExporter; imports: ImportService } {
  let s = services.get(engine);
  if (!s) {
    s = {
      exporter: new RecordExporter(engine.db, engine.records, engine.policy),
      imports: new ImportService(engine.db, engine.records, engine.policy, engine.logger),
    };
    services.set(engine, s);
  }
  return s;
}

function formKey(v: string): string {
  if (!KEY_RE.test(v)) throw new AppError('not_found', msg('表单不存在', `No form '${v.slice(0, 60)}'`));
  return v;
}

function flag(v: unknown, name: string): boolean {
  const s = optionalString(v, name, 10);
  if (s === undefined || s === '' || s === '0' || s === 'false') return false;
  if (s === '1' || s === 'true') return true;
  throw badParam(name, `参数 ${name} 只能是 1 或 0`, `Parameter '${name}' must be 1 or 0`);
}

function oneOf<T extends string>(v: unknown, name: string, allowed: readonly T[], dflt: T): T {
  const s = optionalString(v, name, 40);
  if (s === undefined || s === '') return dflt;
  if (!(allowed as readonly string[]).includes(s)) throw badParam(name, `参数 ${name} 须是 ${allowed.join('、')} 之一`, `Parameter '${name}' must be one of ${allowed.join(', ')}`);
  return s as T;
}

/** `/records/:form/export` and `/records/:form/import`. */
export function transferRouter(engine: Engine): Router {
  const r = Router();
  const { exporter, imports } = transferServices(engine);

  r.get('/:form/export', async (req, res) => {
    const format = oneOf(req.query.format, 'format', ['csv', 'xlsx'] as const, 'csv');
    const lang = oneOf(req.query.lang, 'lang', ['zh-CN', 'en'] as const, 'zh-CN');
    const filter = jsonParam(req.query.filter, 'filter');
    const out = await exporter.prepare(actorOf(req), formKey(String(req.params.form)), { format, filter, lang });
    res.status(200);
    res.setHeader('Content-Type', out.contentType);
    res.setHeader('Content-Disposition', out.contentDisposition);
    res.setHeader('Cache-Control', 'no-store');
    try {
      await out.write(res);
      res.end();
    } catch (e) {
      // Headers are gone: cut the connection so the client sees a broken download, not a short file.
      engine.logger?.warn('export interrupted', { form: String(req.params.form), error: String((e as Error)?.message ?? e).slice(0, 200) });
      res.destroy();
    }
  });

  r.post('/:form/import', async (req, res) => {
    const form = formKey(String(req.params.form));
    const actor = actorOf(req);
    // The form and the caller's rights first: no upload into a form that is not there for them.
    await imports.checkRights(actor, form);
    const dryRun = flag(req.query.dryRun, 'dryRun');
    const wait = flag(req.query.wait, 'wait');
    const mode = oneOf<ImportMode>(req.query.mode, 'mode', ['all_or_nothing', 'valid_only'], 'all_or_nothing');
    const mapping = jsonParam(req.query.mapping, 'mapping', 65_536);
    if (mapping !== undefined && (mapping === null || typeof mapping !== 'object' || Array.isArray(mapping))) {
      throw badParam('mapping', 'mapping 须是 {"表头": "字段键" | null}', 'mapping must be {"header": "field_key" | null}');
    }
    const fileName = optionalString(req.query.fileName, 'fileName', 255) ?? fileNameOf(req);
    const type = String(req.headers['content-type'] ?? '').toLowerCase();
    if (type.startsWith('application/json') || type.startsWith('multipart/')) {
      throw new AppError('bad_request', msg('请把文件作为请求体直接上传（text/csv 或 XLSX）', 'Send the file itself as the body (text/csv or XLSX), not JSON or multipart'));
    }
    const length = req.headers['content-length'] ? Number(req.headers['content-length']) : undefined;
    const file = await imports.receive(req, Number.isFinite(length) ? length : undefined);
    const job = await imports.start(actor, form, file, { dryRun, mode, mapping: mapping as Record<string, string | null> | undefined, fileName });
    if (wait) {
      await imports.wait(job.id);
      res.status(200).json(await imports.get(actor, job.id, langOf(req)));
      return;
    }
    res.status(202).setHeader('Location', `/api/imports/${job.id}`);
    res.json(job);
  });

  return r;
}

/** `/imports`: progress and results of imports. */
export function importsRouter(engine: Engine): Router {
  const r = Router();
  const { imports } = transferServices(engine);

  r.get('/', async (req, res) => {
    const form = optionalString(req.query.form, 'form', 48);
    if (form !== undefined && form !== '' && !KEY_RE.test(form)) throw badParam('form', '表单键不合法', 'Invalid form key');
    res.json({ items: await imports.list(actorOf(req), { form: form || undefined, all: flag(req.query.all, 'all') }, langOf(req)) });
  });

  r.get('/:id', async (req, res) => {
    const id = String(req.params.id);
    if (!/^[0-9a-f-]{36}$/.test(id)) throw new AppError('not_found', msg('导入任务不存在', 'No such import'));
    res.json(await imports.get(actorOf(req), id, langOf(req)));
  });

  return r;
}

function fileNameOf(req: Request): string | undefined {
  const cd = String(req.headers['content-disposition'] ?? '');
  const star = /filename\*=UTF-8''([^;]+)/i.exec(cd);
  if (star) {
    try {
      return decodeURIComponent(star[1]!).slice(0, 255);
    } catch {
      /* fall through */
    }
  }
  const plain = /filename="?([^";]+)"?/i.exec(cd);
  return plain ? plain[1]!.slice(0, 255) : undefined;
}
