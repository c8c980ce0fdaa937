/**
 * /api/meta/KIND: drafts, plan, publish, revisions, diff, rollback.
 * Changing metadata needs an administrator or a role that may manage metadata; roles and users
 * stay with administrators. Other users read only the published forms they may read, without the
 * fields hidden from them.
 */
import { Router, type NextFunction, type Request, type Response } from 'express';
import type { Engine } from '../app.js';
import { assertKind } from '../documents/document-service.js';
import type { MetaKind, FormDef } from '../meta/types.js';
import { actorOf } from './authn.js';
import { intParam, bodyObject } from './params.js';
import { AppError, msg, forbidden, notFound } from '../errors.js';

export function metaRouter(engine: Engine): Router {
  const { docs, policy, forms } = engine;
  const r = Router();

  const manager = (req: Request, kind: MetaKind) =>
    kind === 'roles' ? policy.isAdmin(actorOf(req)) : policy.canManageMetadata(actorOf(req));

  const requireManager = (req: Request, _res: Response, next: NextFunction) => {
    if (!manager(req, assertKind(String(req.params.kind)))) return next(forbidden('没有管理元数据的权限', 'You may not change metadata'));
    next();
  };

  /** A published form as this reader may see it, or null when they may not read it. */
  const readableForm = async (req: Request, key: string): Promise<FormDef | null> => {
    const form = forms.peek(key) ?? (await forms.get(key).catch(() => undefined));
    if (!form) return null;
    const actor = actorOf(req);
    if (!(await policy.can(actor, form, 'read'))) return null;
    const access = await policy.fields(actor, form);
    if (!access.visible) return form.def;
    return { ...form.def, fields: form.def.fields.filter((f) => !f.deleted && access.visible!.has(f.key)) };
  };

  r.get('/:kind', async (req, res) => {
    const kind = assertKind(String(req.params.kind));
    const list = await docs.list(kind);
    if (manager(req, kind)) return res.json(list);
    if (kind !== 'forms') throw forbidden('没有查看此类元数据的权限', 'You may not read this kind of metadata');
    const out = [];
    for (const d of list) if (d.revision != null && (await readableForm(req, d.key))) out.push(d);
    res.json(out);
  });

  /** What the caller may do with a form's records, and which of the fields they see they may not change (the UI's buttons and read-only inputs). */
  r.get('/forms/:key/access', async (req, res) => {
    const key = String(req.params.key);
    const actor = actorOf(req);
    const form = forms.peek(key) ?? (await forms.get(key).catch(() => undefined));
    if (!form || !(await policy.can(actor, form, 'read'))) throw notFound('表单不存在', `No published form '${key.slice(0, 60)}'`);
    const actions: Record<string, boolean> = {};
    for (const a of ['create', 'read', 'update', 'delete', 'export', 'import'] as const) actions[a] = await policy.can(actor, form, a);
    const f = await policy.fields(actor, form);
    const visible = (k: string) => !f.visible || f.visible.has(k);
    res.json({
      form: form.key, actions,
      readOnly: form.fields.filter((x) => f.readOnly.has(x.key) && visible(x.key)).map((x) => x.key),
      masked: form.fields.filter((x) => f.masked.has(x.key)).map((x) => x.key),
    });
  });

  r.get('/:kind/:key', async (req, res) => {
    const kind = assertKind(String(req.params.kind));
    const key = String(req.params.key);
    const draft = req.query.draft === '1' || req.query.draft === 'true';
    if (manager(req, kind)) return res.json(await docs.get(kind, key, { draft }));
    if (kind !== 'forms' || draft) throw forbidden('没有查看此元数据的权限', 'You may not read this metadata');
    const form = await readableForm(req, key);
    if (!form) throw notFound('表单不存在', `No published form '${key}'`);
    res.json(form);
  });

  r.put('/:kind/:key', requireManager, async (req, res) => {
    res.json(await docs.saveDraft(assertKind(String(req.params.kind)), String(req.params.key), bodyObject(req.body)));
  });

  r.post('/:kind/:key/plan', requireManager, async (req, res) => {
    res.json(await docs.plan(assertKind(String(req.params.kind)), String(req.params.key)));
  });

  r.post('/:kind/:key/publish', requireManager, async (req, res) => {
    const body = req.body == null ? {} : bodyObject(req.body);
    if (body.confirmDataLoss !== undefined && typeof body.confirmDataLoss !== 'boolean') {
      throw new AppError('bad_request', msg('confirmDataLoss 必须是布尔值', 'confirmDataLoss must be true or false'));
    }
    res.json(await docs.publish(assertKind(String(req.params.kind)), String(req.params.key), {
      confirmDataLoss: body.confirmDataLoss === true,
      by: actorOf(req).userId,
      note: typeof body.note === 'string' ? body.note.slice(0, 500) : undefined,
    }));
  });

  // Where an installed document came from, and the local changes kept as an overlay on the pack's base.
  r.get('/:kind/:key/provenance', requireManager, async (req, res) => {
    const kind = assertKind(String(req.params.kind));
    await engine.docs.get(kind, String(req.params.key));
    res.json(await engine.packs.provenance(kind, String(req.params.key)));
  });
  r.get('/:kind/:key/revisions', requireManager, async (req, res) => {
    res.json(await docs.revisions(assertKind(String(req.params.kind)), String(req.params.key)));
  });

  r.get('/:kind/:key/revisions/:revision', requireManager, async (req, res) => {
    res.json(await docs.revision(assertKind(String(req.params.kind)), String(req.params.key), intParam(req.params.revision, 'revision')));
  });

  r.get('/:kind/:key/diff', requireManager, async (req, res) => {
    res.json(await docs.diff(assertKind(String(req.params.kind)), String(req.params.key), intParam(req.query.from, 'from'), intParam(req.query.to, 'to')));
  });

  r.post('/:kind/:key/rollback', requireManager, async (req, res) => {
    const body = bodyObject(req.body);
    res.json(await docs.rollback(assertKind(String(req.params.kind)), String(req.params.key), intParam(body.revision, 'revision'), {
      confirmDataLoss: body.confirmDataLoss === true, by: actorOf(req).userId,
    }));
  });

  return r;
}
