/**
 * Bearer-token authentication. A verified token is remembered for a few seconds so a busy
 * client does not pay a database round trip per request; logout and user changes clear it here
 * at once (other engine processes within `ttlMs`).
 */
import type { NextFunction, Request, Response } from 'express';
import type { UserService, PublicUser } from '../auth/user-service.js';
import { actorOf as userActor } from '../auth/user-service.js';
import type { Actor } from '../auth/actor.js';
import { AppError, msg } from '../errors.js';

export interface AuthedRequest extends Request {
  actor: Actor;
  token?: string;
}

export class TokenCache {
  private map = new Map<string, { user: PublicUser; until: number }>();
  constructor(readonly ttlMs = 5000, readonly max = 10_000) {}
  get(token: string): PublicUser | undefined {
    const e = this.map.get(token);
    if (!e) return undefined;
    if (e.until < Date.now()) {
      this.map.delete(token);
      return undefined;
    }
    return e.user;
  }
  set(token: string, user: PublicUser) {
    if (this.map.size >= this.max) this.map.clear();
    this.map.set(token, { user, until: Date.now() + this.ttlMs });
  }
  delete(token: string) {
    this.map.delete(token);
  }
  clear() {
    this.map.clear();
  }
}

export function bearer(req: Request): string | undefined {
  const h = req.headers.authorization;
  if (typeof h !== 'string') return undefined;
  const m = /^Bearer\s+([A-Za-z0-9_\-.~+/=]{10,200})$/.exec(h.trim());
  return m?.[1];
}

/** Turns a verified user into the actor of a request (departments below theirs, admin by role). */
export type ActorResolver = (user: PublicUser) => Promise<Actor>;

export function authenticate(users: UserService, cache: TokenCache, resolve: ActorResolver = async (u) => userActor(u)) {
  return async (req: Request, _res: Response, next: NextFunction) => {
    const token = bearer(req);
    if (!token) return next(new AppError('unauthenticated', msg('请先登录', 'Sign in first (Authorization: Bearer TOKEN)')));
    let user = cache.get(token);
    if (!user) {
      user = (await users.authenticate(token)) ?? undefined;
      if (!user) return next(new AppError('unauthenticated', msg('登录已失效，请重新登录', 'Invalid or expired token')));
      cache.set(token, user);
    }
    (req as unknown as AuthedRequest).actor = await resolve(user);
    (req as unknown as AuthedRequest).token = token;
    next();
  };
}

export const actorOf = (req: Request): Actor => (req as unknown as AuthedRequest).actor;
export const tokenOf = (req: Request): string => (req as unknown as AuthedRequest).token!;

export function requireAdmin(req: Request, _res: Response, next: NextFunction) {
  if (!(req as unknown as AuthedRequest).actor?.isAdmin) return next(new AppError('forbidden', msg('仅管理员可操作', 'Administrators only')));
  next();
}
