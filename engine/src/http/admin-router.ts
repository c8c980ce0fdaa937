/**
 * Administration endpoints of the identity issue (administrators only; never an API token):
 *
 *   POST   /api/tokens        {"name","user":SERVICE_USER_ID,"scopes":["form:action"…],"expiresAt"?}
 *                             → 201 {"id","name","token","user","scopes","expiresAt",…}; the token is shown once
 *   GET    /api/tokens        → [{"id","name","user","scopes","createdAt","expiresAt","revokedAt","status"}]
 *   DELETE /api/tokens/:id    → 204; the token stops working at once in this process
 *   GET    /api/audit/security?event=&page=&pageSize=  → {"items","total","page","pageSize"}, newest first
 *
 * and `departmentChanges`, which records department tree changes in the security log.
 */
import { Router, type NextFunction, type Request, type Response } from 'express';
import type { Db } from '../store/connection.js';
import { ApiTokenService } from '../auth/api-tokens.js';
import type { SecurityLog } from '../auth/security-log.js';
import type { TokenCache } from './authn.js';
import { requireAdmin } from './authn.js';
import { bodyObject, intParam, optionalInt, optionalString, badParam } from './params.js';
import type { BackupScheduler } from '../store/backup-schedule.js';

export function tokensRouter(db: Db, cache: TokenCache, log: SecurityLog): Router {
  const tokens = new ApiTokenService(db);
  const r = Router();
  r.use(requireAdmin);
  r.get('/', async (_req, res) => res.json(await tokens.list()));
  r.post('/', async (req, res) => {
    const created = await tokens.create(bodyObject(req.body));
    await log.record('token_created', {
      target: `token:${created.id}`,
      detail: { id: created.id, name: created.name, user: created.user.id, username: created.user.username, scopes: created.scopes, expiresAt: created.expiresAt },
    });
    res.status(201).json(created);
  });
  r.delete('/:id', async (req, res) => {
    const { token, revoked } = await tokens.revoke(intParam(String(req.params.id), 'id'));
    // The cache holds tokens, not ids: forget them all (other processes within its few seconds).
    cache.clear();
    if (revoked) await log.record('token_revoked', { target: `token:${token.id}`, detail: { id: token.id, name: token.name, user: token.user.id, username: token.user.username } });
    res.status(204).end();
  });
  return r;
}

/**
 * GET /api/admin/backups (administrators) → {"configured","schedule","dir","nextDue","last",
 * "lastVerified","backups":[…newest first]}: the scheduled backups of store/backup-schedule.ts.
 */
export function backupsRouter(backups: BackupScheduler): Router {
  const r = Router();
  r.use(requireAdmin);
  r.get('/', async (_req, res) => res.json(await backups.status()));
  return r;
}

export function auditRouter(log: SecurityLog): Router {
  const r = Router();
  r.use(requireAdmin);
  r.get('/security', async (req, res) => {
    const event = optionalString(req.query.event, 'event', 48);
    if (event && !/^[a-z_]+$/.test(event)) throw badParam('event', '参数 event 不合法', "Parameter 'event' must be an event name");
    res.json(await log.list({
      event: event || undefined,
      page: optionalInt(req.query.page, 'page'),
      pageSize: optionalInt(req.query.pageSize, 'pageSize', { max: 500 }),
    }));
  });
  return r;
}

/**
 * Mounted in front of the departments router: records every successful change of the
 * department tree (created, updated, deleted) before the response goes out.
 */
export function departmentChanges(log: SecurityLog) {
  const events = { POST: 'department_created', PATCH: 'department_updated', DELETE: 'department_deleted' } as const;
  return (req: Request, res: Response, next: NextFunction) => {
    const event = events[req.method as keyof typeof events];
    if (!event) return next();
    const idInPath = /^\/(\d{1,15})\/?$/.exec(req.path)?.[1];
    const body = req.body && typeof req.body === 'object' && !Array.isArray(req.body) ? (req.body as Record<string, unknown>) : {};
    let sent: any;
    const json = res.json.bind(res);
    res.json = ((b: unknown) => {
      sent = b;
      return json(b);
    }) as Response['json'];
    const end = res.end;
    res.end = function (this: Response, ...args: unknown[]) {
      res.end = end;
      if (res.statusCode < 200 || res.statusCode >= 300) return (end as (...a: unknown[]) => Response).apply(res, args);
      const id = sent?.id ?? (idInPath ? Number(idInPath) : null);
      void log
        .record(event, {
          target: id != null ? `department:${id}` : null,
          detail: {
            id,
            ...(sent?.name !== undefined ? { name: sent.name, parent: sent.parent ?? null, kind: sent.kind } : {}),
            ...(event === 'department_updated' ? { changed: Object.keys(body).filter((k) => ['name', 'parent', 'key', 'kind', 'head'].includes(k)) } : {}),
          },
        })
        .finally(() => (end as (...a: unknown[]) => Response).apply(res, args));
      return res;
    } as Response['end'];
    next();
  };
}
