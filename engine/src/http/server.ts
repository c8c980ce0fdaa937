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
import { authenticate, TokenCache } from './authn.js';
import { recordsRouter } from './records-router.js';
import { metaRouter } from './meta-router.js';
import { authRouter, usersRouter } from './session-router.js';
import { buildOpenApi } from './openapi.js';
import { docsRouter } from './docs.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

function securityHeaders(_req: Request, res: Response, next: NextFunction) {
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  next();
}

/** Serve a UI's built folder if it exists, else its placeholder page. */
function uiStatic(app: Express, mount: string, folder: string) {
  const dist = path.join(REPO_ROOT, folder, 'dist');
  const pub = path.join(REPO_ROOT, folder, 'public');
  const root = fs.existsSync(path.join(dist, 'index.html')) ? dist : pub;
  app.use(mount, express.static(root, { index: 'index.html', maxAge: '1h' }));
  // Client-side routes fall back to index.html.
  app.get(mount === '/' ? /^\/(?!api(\/|$)|designer(\/|$)).*/ : new RegExp(`^${mount}(/.*)?$`), (_req, res, next) => {
    const file = path.join(root, 'index.html');
    if (!fs.existsSync(file)) return next();
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
  api.use(express.json({ limit: '1mb', strict: false, type: ['application/json', 'application/*+json'] }));
  api.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  api.use('/auth', authRouter(engine.users, cache));
  let openapi: { version: number; doc: unknown } | null = null;
  api.get('/openapi.json', async (_req, res) => {
    const version = await engine.docs.metaVersion();
    if (!openapi || openapi.version !== version) {
      const forms = (await engine.forms.all()).map((f) => f.def);
      openapi = { version, doc: buildOpenApi(forms, { version: engine.version, title: 'Formwork API' }) };
    }
    res.json(openapi.doc);
  });
  api.use(docsRouter());
  api.use(authenticate(engine.users, cache));
  api.use('/users', usersRouter(engine.users, cache));
  api.use('/meta', metaRouter(engine.docs));
  api.use('/records', recordsRouter(engine.records));
  api.use(notFoundHandler);
  app.use('/api', api);

  uiStatic(app, '/designer', 'designer');
  uiStatic(app, '/', 'runtime-ui');
  app.use(notFoundHandler);
  app.use(errorHandler(engine.logger));
  return app;
}
