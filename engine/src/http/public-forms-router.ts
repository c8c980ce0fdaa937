/**
 * Public form links. `/api/public-forms` (administrators and metadata managers): create, list,
 * change, delete links. `/api/public/forms/:slug` (no login): the page's definition, and the
 * submission (throttled, with a honeypot; records/public-forms.ts).
 */
import { Router } from 'express';
import type { Engine } from '../app.js';
import { actorOf, clientAddress } from './authn.js';
import { bodyObject, intParam } from './params.js';
import { langOf } from './errors.js';
import { forbidden } from '../errors.js';

export function publicFormsAdminRouter(engine: Engine): Router {
  const r = Router();
  r.use((req, _res, next) => {
    if (!engine.policy.canManageMetadata(actorOf(req))) throw forbidden('只有管理员可以管理公开表单', 'Only administrators manage public forms');
    next();
  });
  r.get('/', async (_req, res) => {
    res.json({ items: await engine.publicForms.list() });
  });
  r.post('/', async (req, res) => {
    res.status(201).json(await engine.publicForms.create(actorOf(req).userId, bodyObject(req.body)));
  });
  r.patch('/:id', async (req, res) => {
    res.json(await engine.publicForms.update(intParam(String(req.params.id), 'id'), bodyObject(req.body)));
  });
  r.delete('/:id', async (req, res) => {
    await engine.publicForms.remove(intParam(String(req.params.id), 'id'));
    res.status(204).end();
  });
  return r;
}

export function publicFormsRouter(engine: Engine): Router {
  const r = Router();
  r.get('/:slug', async (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json(await engine.publicForms.describe(String(req.params.slug), langOf(req)));
  });
  r.post('/:slug', async (req, res) => {
    res.status(201).json(await engine.publicForms.submit(String(req.params.slug), bodyObject(req.body), clientAddress(req) ?? '', langOf(req)));
  });
  return r;
}
