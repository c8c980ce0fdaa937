/**
 * /api/views: saved list views, each person's own (records/list-views.ts). Any signed-in user;
 * what a view names is checked as the record list checks it, for the caller.
 */
import { Router } from 'express';
import type { Engine } from '../app.js';
import { actorOf } from './authn.js';
import { bodyObject, intParam, optionalString } from './params.js';
import { ListViews } from '../records/list-views.js';

export function viewsRouter(engine: Engine): Router {
  const views = new ListViews(engine.db, engine.records, engine.policy);
  const r = Router();
  r.get('/', async (req, res) => {
    const form = optionalString(req.query.form, 'form', 100);
    res.json({ items: await views.list(actorOf(req), form || undefined) });
  });
  r.post('/', async (req, res) => {
    const v = await views.create(actorOf(req), bodyObject(req.body));
    // a shared view's filter and sort fields get indexes (store/derived-indexes.ts)
    if (v.shared) engine.indexes.schedule();
    res.status(201).json(v);
  });
  r.get('/:id', async (req, res) => {
    res.json(await views.get(actorOf(req), intParam(String(req.params.id), 'id')));
  });
  r.put('/:id', async (req, res) => {
    const v = await views.update(actorOf(req), intParam(String(req.params.id), 'id'), bodyObject(req.body));
    if (v.shared) engine.indexes.schedule();
    res.json(v);
  });
  r.delete('/:id', async (req, res) => {
    await views.remove(actorOf(req), intParam(String(req.params.id), 'id'));
    res.status(204).end();
  });
  return r;
}
