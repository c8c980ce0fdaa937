/**
 * /api/reports and /api/dashboards: run a report (API.md contract), list what the caller may
 * run, a dashboard's layout (contract) and all its widgets' results under global filters.
 */
import { Router, type Request } from 'express';
import type { Engine } from '../app.js';
import { actorOf } from './authn.js';
import { bodyObject } from './params.js';
import { langOf } from './errors.js';
import { AppError, forbidden, msg } from '../errors.js';
import { KEY_RE } from '../meta/types.js';

function key(v: string, what: 'report' | 'dashboard'): string {
  if (!KEY_RE.test(v)) {
    throw new AppError('not_found', what === 'report' ? msg('报表不存在', `No report '${v.slice(0, 60)}'`) : msg('仪表盘不存在', `No dashboard '${v.slice(0, 60)}'`));
  }
  return v;
}

function optionalObject(body: Record<string, unknown>, name: string): Record<string, unknown> | undefined {
  const v = body[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) {
    throw new AppError('validation', msg(`${name} 必须是对象`, `${name} must be an object`), { fields: { [name]: [msg('必须是对象', 'must be an object')] } });
  }
  return v as Record<string, unknown>;
}

const bodyOf = (req: Request) => (req.body === undefined || req.body === null ? {} : bodyObject(req.body));

/** Previews run definitions that are not published: metadata managers (and administrators) only. */
function requireManager(engine: Engine, req: Request): void {
  if (!engine.policy.canManageMetadata(actorOf(req))) throw forbidden('只有元数据管理员可以预览未发布的报表', 'Only metadata managers may preview unpublished reports and dashboards');
}

/** The `definition` of a preview body: an object (its content is the metaschema's to judge). */
function definitionOf(body: Record<string, unknown>): unknown {
  const d = body.definition;
  if (d === null || typeof d !== 'object' || Array.isArray(d)) {
    throw new AppError('validation', msg('definition 必须是对象', 'definition must be an object'), { fields: { definition: [msg('必须是对象', 'must be an object')] } });
  }
  return d;
}

export function reportsRouter(engine: Engine): Router {
  const r = Router();
  r.get('/', async (req, res) => {
    res.json({ items: await engine.reports.listReports(actorOf(req), langOf(req)) });
  });
  // The designer's live preview: an unpublished ReportDef run like POST /:key/run, at most PREVIEW_ROW_CAP rows.
  r.post('/preview', async (req, res) => {
    requireManager(engine, req);
    const body = bodyOf(req);
    res.json(await engine.reports.preview(actorOf(req), definitionOf(body), { params: optionalObject(body, 'params'), lang: langOf(req) }));
  });
  r.post('/:key/run', async (req, res) => {
    const body = bodyOf(req);
    res.json(await engine.reports.run(actorOf(req), key(String(req.params.key), 'report'), { params: optionalObject(body, 'params'), lang: langOf(req) }));
  });
  return r;
}

export function dashboardsRouter(engine: Engine): Router {
  const r = Router();
  r.get('/', async (req, res) => {
    res.json({ items: await engine.reports.listDashboards(actorOf(req), langOf(req)) });
  });
  // The designer's preview of an unpublished DashboardDef: like POST /:key/run.
  r.post('/preview', async (req, res) => {
    requireManager(engine, req);
    const body = bodyOf(req);
    res.json(await engine.reports.previewDashboard(actorOf(req), definitionOf(body), optionalObject(body, 'filters') ?? {}, langOf(req)));
  });
  r.get('/:key', async (req, res) => {
    res.json(await engine.reports.get(actorOf(req), key(String(req.params.key), 'dashboard'), langOf(req)));
  });
  r.post('/:key/run', async (req, res) => {
    const body = bodyOf(req);
    res.json(await engine.reports.runDashboard(actorOf(req), key(String(req.params.key), 'dashboard'), optionalObject(body, 'filters') ?? {}, langOf(req)));
  });
  return r;
}
