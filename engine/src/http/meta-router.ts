/** /api/meta/KIND: drafts, plan, publish, revisions, diff, rollback. Changes need an administrator. */
import { Router } from 'express';
import type { DocumentService } from '../documents/document-service.js';
import { assertKind } from '../documents/document-service.js';
import { actorOf } from './authn.js';
import { requireAdmin } from './authn.js';
import { intParam, bodyObject } from './params.js';

export function metaRouter(docs: DocumentService): Router {
  const r = Router();

  r.get('/:kind', async (req, res) => {
    res.json(await docs.list(assertKind(String(req.params.kind))));
  });

  r.get('/:kind/:key', async (req, res) => {
    const draft = req.query.draft === '1' || req.query.draft === 'true';
    if (draft && !actorOf(req).isAdmin) return requireAdmin(req, res, () => undefined);
    res.json(await docs.get(assertKind(String(req.params.kind)), String(req.params.key), { draft }));
  });

  r.put('/:kind/:key', requireAdmin, async (req, res) => {
    res.json(await docs.saveDraft(assertKind(String(req.params.kind)), String(req.params.key), bodyObject(req.body)));
  });

  r.post('/:kind/:key/plan', requireAdmin, async (req, res) => {
    res.json(await docs.plan(assertKind(String(req.params.kind)), String(req.params.key)));
  });

  r.post('/:kind/:key/publish', requireAdmin, async (req, res) => {
    const body = req.body == null ? {} : bodyObject(req.body);
    res.json(await docs.publish(assertKind(String(req.params.kind)), String(req.params.key), {
      confirmDataLoss: body.confirmDataLoss === true,
      by: actorOf(req).userId,
      note: typeof body.note === 'string' ? body.note.slice(0, 500) : undefined,
    }));
  });

  r.get('/:kind/:key/revisions', async (req, res) => {
    res.json(await docs.revisions(assertKind(String(req.params.kind)), String(req.params.key)));
  });

  r.get('/:kind/:key/revisions/:revision', async (req, res) => {
    res.json(await docs.revision(assertKind(String(req.params.kind)), String(req.params.key), intParam(String(req.params.revision), 'revision')));
  });

  r.get('/:kind/:key/diff', async (req, res) => {
    res.json(await docs.diff(assertKind(String(req.params.kind)), String(req.params.key), intParam(req.query.from, 'from'), intParam(req.query.to, 'to')));
  });

  r.post('/:kind/:key/rollback', requireAdmin, async (req, res) => {
    const body = bodyObject(req.body);
    res.json(await docs.rollback(assertKind(String(req.params.kind)), String(req.params.key), intParam(body.revision, 'revision'), {
      confirmDataLoss: body.confirmDataLoss === true, by: actorOf(req).userId,
    }));
  });

  return r;
}
