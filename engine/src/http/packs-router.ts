/**
 * `/api/packs` (administrators): installed packs, plan, install, upgrade (with a choice per
 * conflict), uninstall and export (packs/pack-service.ts). A bundle may be larger than the API's
 * usual 1 MB body: this router parses its own JSON up to 20 MB.
 */
import express, { Router } from 'express';
import type { Engine } from '../app.js';
import { actorOf } from './authn.js';
import { bodyObject, optionalString } from './params.js';
import { forbidden, badRequest } from '../errors.js';
import { securityLogFor } from '../auth/security-log.js';
import type { Resolution } from '../packs/pack-service.js';

export const PACK_BODY_LIMIT = '20mb';

/** The bundle parser, mounted before the API's 1 MB one. */
export const packBody = express.json({ limit: PACK_BODY_LIMIT, strict: false, type: ['application/json', 'application/*+json'] });

/** A bundle in the body, with optional `planToken`, `resolutions` and `confirmDataLoss` beside manifest and documents. */
function bundleOf(body: unknown) {
  const { planToken, resolutions, confirmDataLoss, ...bundle } = bodyObject(body) as Record<string, unknown>;
  if (planToken !== undefined && typeof planToken !== 'string') throw badRequest('planToken 应为字符串', 'planToken must be a string');
  if (resolutions !== undefined && !Array.isArray(resolutions)) throw badRequest('resolutions 应为数组', 'resolutions must be an array');
  for (const r of (resolutions as unknown[] | undefined) ?? []) {
    const x = r as Record<string, unknown>;
    if (!x || typeof x !== 'object' || typeof x.document !== 'string' || typeof x.path !== 'string' || !['local', 'pack', 'ours', 'theirs'].includes(String(x.choice))) {
      throw badRequest('每个 resolution 为 {document, path, choice: "local"|"pack"}', 'each resolution is {document, path, choice: "local"|"pack"}');
    }
  }
  return { bundle, planToken: planToken as string | undefined, resolutions: resolutions as Resolution[] | undefined, confirmDataLoss: confirmDataLoss === true };
}

export function packsRouter(engine: Engine): Router {
  const r = Router();
  const log = securityLogFor(engine);
  r.use((req, _res, next) => {
    if (!actorOf(req).isAdmin) throw forbidden('只有管理员可以管理模板包', 'Only administrators manage template packs');
    next();
  });
  r.get('/', async (_req, res) => {
    res.json((await engine.packs.list()).map(({ name, version, installedAt, label, modules }) => ({ name, version, installedAt, label, modules })));
  });
  r.get('/export', async (req, res) => {
    const modules = (optionalString(req.query.modules, 'modules') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    const bundle = await engine.packs.export({
      modules, name: optionalString(req.query.name, 'name', 64), version: optionalString(req.query.version, 'version', 32),
    });
    res.setHeader('Content-Disposition', `attachment; filename="${bundle.manifest.name}-${bundle.manifest.version}.json"`);
    res.json(bundle);
  });
  r.post('/plan', async (req, res) => {
    res.json(await engine.packs.plan(bundleOf(req.body).bundle));
  });
  r.post('/install', async (req, res) => {
    const { bundle, planToken } = bundleOf(req.body);
    const actor = actorOf(req);
    const result = await engine.packs.install(bundle, { planToken, by: actor.userId });
    if (!result.conflicts.length) {
      const m = (bundle as any).manifest;
      await log.record('pack_installed', { actor, target: `pack:${m.name}`, detail: { name: m.name, version: m.version, installed: result.installed.length, unchanged: result.unchanged.length } });
    }
    res.json(result);
  });
  r.post('/upgrade', async (req, res) => {
    const { bundle, resolutions, confirmDataLoss } = bundleOf(req.body);
    const actor = actorOf(req);
    const result = await engine.packs.upgrade(bundle, { resolutions, confirmDataLoss, by: actor.userId });
    if (result.applied) {
      const m = (bundle as any).manifest;
      await log.record('pack_upgraded', { actor, target: `pack:${m.name}`, detail: { name: m.name, from: result.from, to: result.to, merged: result.merged.length, conflicts: result.conflicts.length } });
    }
    res.json(result);
  });
  r.get('/:name', async (req, res) => {
    res.json(await engine.packs.get(String(req.params.name)));
  });
  r.delete('/:name', async (req, res) => {
    const confirm = req.query.confirmDataLoss === '1' || req.query.confirmDataLoss === 'true';
    const result = await engine.packs.uninstall(String(req.params.name), { confirmDataLoss: confirm });
    await log.record('pack_uninstalled', { actor: actorOf(req), target: `pack:${req.params.name}`, detail: { name: req.params.name, removed: result.removed.length, records: result.records } });
    res.json(result);
  });
  return r;
}
