/**
 * Print templates over HTTP, mounted under /api/records before the records router:
 *   GET /api/records/:form/prints                   → [{key, label, paper, orientation}]
 *   GET /api/records/:form/:id/print/:template      → the page (text/html), scripts forbidden by CSP
 * Reading follows GET record: the caller's read permission and row scope (not_found outside it),
 * hidden fields absent, masked ones masked (render/print.ts).
 */
import { Router } from 'express';
import type { Engine } from '../app.js';
import { actorOf } from './authn.js';
import { intParam } from './params.js';
import { AppError, msg } from '../errors.js';
import { KEY_RE } from '../meta/types.js';
import { PRINT_CSP, PrintService } from '../render/print.js';

function key(v: unknown, what: 'form' | 'template'): string {
  const s = String(v);
  if (KEY_RE.test(s)) return s;
  throw what === 'form'
    ? new AppError('not_found', msg('表单不存在', `No form '${s.slice(0, 60)}'`))
    : new AppError('not_found', msg('打印模板不存在', `No print template '${s.slice(0, 60)}'`));
}

export function printRouter(engine: Engine): Router {
  const prints = new PrintService(engine.records, engine.policy);
  const r = Router();

  r.get('/:form/prints', async (req, res) => {
    res.json(await prints.list(actorOf(req), key(req.params.form, 'form')));
  });

  r.get('/:form/:id/print/:template', async (req, res) => {
    const page = await prints.render(actorOf(req), key(req.params.form, 'form'), intParam(String(req.params.id), 'id'), key(req.params.template, 'template'));
    res.setHeader('Content-Security-Policy', `${PRINT_CSP}; frame-ancestors 'none'`);
    res.setHeader('Cache-Control', 'no-store');
    res.type('html').send(page.html);
  });

  return r;
}
