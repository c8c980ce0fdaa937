/**
 * /api/reports and /api/dashboards: run a report (API.md contract), list what the caller may
 * run, a dashboard's layout (contract) and all its widgets' results under global filters.
 */
import { Router, type Request } from 'express';
import type { Engine } from '../app.js';
import { actorOf } from './authn.js';
import { bodyObject } from './params.js';
import { langOf } from './errors.js';
import { AppError, msg } from '../errors.js';
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

export function reportsRouter(engine: Engine): Router {
  const r = Router();
  r.get('/', async (req, res) => {
    res.json({ items: await engine.reports.listReports(actorOf(req), langOf(req)) });
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
  r.get('/:key', async (req, res) => {
    res.json(await engine.reports.get(actorOf(req), key(String(req.params.key), 'dashboard'), langOf(req)));
  });
  r.post('/:key/run', async (req, res) => {
    const body = bodyOf(req);
    res.json(await engine.reports.runDashboard(actorOf(req), key(String(req.params.key), 'dashboard'), optionalObject(body, 'filters') ?? {}, langOf(req)));
  });
  return r;
}
