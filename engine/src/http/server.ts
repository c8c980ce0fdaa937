/**
 * The express application: security headers, request ids, JSON bodies up to 1 MB, the routers
 * of API.md, the generated OpenAPI document and docs, the two UIs, and the error model for
 * everything else.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { Engine } from '../app.js';
import { errorHandler, notFoundHandler } from './errors.js';
import { authenticate, bearer, actorOf, TokenCache, type ActorResolver } from './authn.js';
import type { Actor } from '../auth/actor.js';
import type { FormDef } from '../meta/types.js';
import { actorOf as userActor } from '../auth/user-service.js';
import { departmentsRouter } from './departments-router.js';
import { webhookDeliveriesRouter } from './webhook-router.js';
import { tasksRouter, recordWorkflowRouter, notificationsRouter, runsRouter, instancesRouter } from './workflow-router.js';
import { recordsRouter } from './records-router.js';
import { metaRouter } from './meta-router.js';
import { authRouter, usersRouter } from './session-router.js';
import { tokensRouter, auditRouter, departmentChanges, backupsRouter } from './admin-router.js';
import { securityLogFor } from '../auth/security-log.js';
import { buildOpenApi } from './openapi.js';
import { docsRouter } from './docs.js';
import { hooksRouter } from './hooks-router.js';
import { reportsRouter, dashboardsRouter } from './reports-router.js';
import { publicFormsRouter, publicFormsAdminRouter } from './public-forms-router.js';
import { directoryRouter } from './directory-router.js';
import { transferRouter, importsRouter } from './transfer-router.js';
import { printRouter } from './print-router.js';
import { packsRouter, packBody } from './packs-router.js';
import { filesRouter } from './files-router.js';
import { viewsRouter } from './views-router.js';
import { workflowDesignerRouter } from './workflow-designer-router.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

function securityHeaders(_req: Request, res: Response, next: NextFunction) {
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  next();
}

/**
 * Serve a UI's built folder if it exists, else its placeholder page — decided per request, so a
 * build made while the server runs is served at once. `index.html` is never cached (it names the
 * current build's files); the hashed files under `assets/` are cached for a year.
 */
function uiStatic(app: Express, mount: string, folder: string) {
  const dist = path.join(REPO_ROOT, folder, 'dist');
  const pub = path.join(REPO_ROOT, folder, 'public');
  const setHeaders = (res: Response, file: string) => {
    if (file.endsWith('.html')) res.setHeader('Cache-Control', 'no-cache');
    else if (file.includes(`${path.sep}assets${path.sep}`)) res.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
    else res.setHeader('Cache-Control', 'public, max-age=3600');
  };
  app.use(mount, express.static(dist, { index: 'index.html', setHeaders }));
  app.use(mount, express.static(pub, { index: 'index.html', setHeaders }));
  // Client-side routes fall back to index.html.
  app.get(mount === '/' ? /^\/(?!api(\/|$)|designer(\/|$)).*/ : new RegExp(`^${mount}(/.*)?$`), (_req, res, next) => {
    const file = [path.join(dist, 'index.html'), path.join(pub, 'index.html')].find((f) => fs.existsSync(f));
    if (!file) return next();
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(file);
  });
}

export function createHttpApp(engine: Engine): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  const cache = new TokenCache();
  engine.tokenCache = cache;
  const resolveActor: ActorResolver = async (user) => {
    const actor = userActor(user);
    actor.departments = await engine.departments.subtree(actor.departmentId);
    actor.isAdmin = engine.policy.isAdmin(actor);
    return actor;
  };
  const auth = authenticate(engine.users, cache, resolveActor);

  app.use(securityHeaders);
  app.use((req, res, next) => {
    const id = crypto.randomUUID();
    (req as any).id = id;
    res.setHeader('X-Request-Id', id);
    if (engine.logger && process.env.FORMWORK_LOG !== 'off') {
      const start = process.hrtime.bigint();
      res.on('finish', () => {
        if (res.statusCode >= 500 || process.env.FORMWORK_ACCESS_LOG === '1') {
          engine.logger.info('request', { requestId: id, method: req.method, path: req.path, status: res.statusCode, ms: Number(process.hrtime.bigint() - start) / 1e6 });
        }
      });
    }
    next();
  });

  const api = express.Router();
  // Pack bundles may pass 1 MB: their own parser first (the next one skips a parsed body).
  api.use('/packs', packBody);
  api.use(express.json({ limit: '1mb', strict: false, type: ['application/json', 'application/*+json'] }));
  api.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  api.use('/auth', authRouter(engine.users, cache, auth, undefined, securityLogFor(engine)));
  // The OpenAPI document a caller receives: the forms they may read, with the fields they may see.
  // Without a token: the generic API only (no form schemas).
  const openapiCache = new Map<string, unknown>();
  let openapiVersion = -1;
  api.get('/openapi.json', async (req, res, next) => {
    let actor: Actor | null = null;
    if (bearer(req)) {
      await new Promise<void>((resolve, reject) => auth(req, res, (err?: unknown) => (err ? reject(err) : resolve()))).catch(next);
      if (res.headersSent) return;
      actor = actorOf(req);
      if (!actor) return;
    }
    const version = await engine.docs.metaVersion();
    if (version !== openapiVersion) {
      openapiCache.clear();
      openapiVersion = version;
    }
    const cacheKey = actor ? (actor.isAdmin ? 'admin' : [...actor.roles].sort().join(',') + (actor.scopes ? `|scopes:${[...actor.scopes].sort().join(',')}` : '')) : 'anonymous';
    let doc = openapiCache.get(cacheKey);
    if (!doc) {
      const visible: FormDef[] = [];
      const hidden = new Map<string, Set<string> | null>();
      if (actor) {
        for (const f of await engine.forms.all()) {
          if (!(await engine.policy.can(actor, f, 'read'))) continue;
          visible.push(f.def);
          hidden.set(f.key, (await engine.policy.fields(actor, f)).visible);
        }
      }
      doc = buildOpenApi(visible, {
        version: engine.version,
        title: 'Formwork API',
        visibleFields: (form) => {
          const keys = hidden.get(form.key);
          return form.fields.filter((f) => !f.deleted && (!keys || keys.has(f.key)));
        },
      });
      if (openapiCache.size > 200) openapiCache.clear();
      openapiCache.set(cacheKey, doc);
    }
    res.json(doc);
  });
  api.use(docsRouter());
  // Public form links: no login (throttled, a honeypot; records/public-forms.ts).
  api.use('/public/forms', publicFormsRouter(engine));
  api.use(auth);
  api.use('/users', usersRouter(engine.users, cache, securityLogFor(engine)));
  api.use('/tokens', tokensRouter(engine.db, cache, securityLogFor(engine)));
  api.use('/audit', auditRouter(securityLogFor(engine)));
  api.use('/admin/backups', backupsRouter(engine.backups));
  api.use('/departments', departmentChanges(securityLogFor(engine)), departmentsRouter(engine.departments));
  // Before the meta router: its `/:kind/:key` would take `node-types`.
  api.use('/meta/workflows', workflowDesignerRouter(engine));
  api.use('/meta', metaRouter(engine));
  api.use('/records', printRouter(engine));
  // Before the records router: its `/:form/:id` would take `export`.
  api.use('/records', transferRouter(engine));
  api.use('/imports', importsRouter(engine));
  api.use('/records', recordsRouter(engine.records));
  api.use('/records', recordWorkflowRouter(engine));
  api.use('/tasks', tasksRouter(engine));
  api.use('/workflow-instances', instancesRouter(engine));
  api.use('/notifications', notificationsRouter(engine));
  api.use('/workflow-runs', runsRouter(engine));
  api.use('/webhook-deliveries', webhookDeliveriesRouter(engine));
  api.use('/hooks', hooksRouter(engine));
  api.use('/reports', reportsRouter(engine));
  api.use('/dashboards', dashboardsRouter(engine));
  api.use('/public-forms', publicFormsAdminRouter(engine));
  api.use('/directory', directoryRouter(engine));
  api.use('/files', filesRouter(engine));
  api.use('/views', viewsRouter(engine));
  api.use('/packs', packsRouter(engine));
  api.use(notFoundHandler);
  app.use('/api', api);

  uiStatic(app, '/designer', 'designer');
  uiStatic(app, '/', 'runtime-ui');
  app.use(notFoundHandler);
  app.use(errorHandler(engine.logger));
  return app;
}
