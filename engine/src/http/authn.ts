/**
 * Bearer-token authentication. A verified token is remembered for a few seconds so a busy
 * client does not pay a database round trip per request; logout and user changes clear it here
 * at once (other engine processes within `ttlMs`).
 */
import type { NextFunction, Request, Response } from 'express';
import type { UserService, PublicUser, VerifiedToken } from '../auth/user-service.js';
import { actorOf as userActor } from '../auth/user-service.js';
import type { Actor } from '../auth/actor.js';
import { withRequestContext } from '../auth/security-log.js';
import { AppError, msg } from '../errors.js';

export interface AuthedRequest extends Request {
  actor: Actor;
  token?: string;
  /** The token's kind and id (an API token's id is what /api/tokens revokes). */
  tokenInfo?: { kind: 'session' | 'api'; id: number };
}

export class TokenCache {
  private map = new Map<string, { entry: VerifiedToken; until: number }>();
  constructor(readonly ttlMs = 5000, readonly max = 10_000) {}
  get(token: string): VerifiedToken | undefined {
    const e = this.map.get(token);
    if (!e) return undefined;
    // Never past the cache's time, nor past the token's own expiry.
    if (e.until < Date.now() || (e.entry.expiresAt && e.entry.expiresAt < new Date().toISOString())) {
      this.map.delete(token);
      return undefined;
    }
    return e.entry;
  }
  set(token: string, entry: VerifiedToken) {
    if (this.map.size >= this.max) this.map.clear();
    this.map.set(token, { entry, until: Date.now() + this.ttlMs });
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
    let entry = cache.get(token);
    if (!entry) {
      entry = (await users.verifyToken(token)) ?? undefined;
      if (!entry) return next(new AppError('unauthenticated', msg('登录已失效，请重新登录', 'Invalid or expired token')));
      cache.set(token, entry);
    }
    const actor = await resolve(entry.user);
    if (entry.kind === 'api') {
      // An API token: the service user's roles, narrowed by the token's scopes; never an administrator.
      actor.scopes = [...(entry.scopes ?? [])];
      actor.isAdmin = false;
    }
    const authed = req as unknown as AuthedRequest;
    authed.actor = actor;
    authed.token = token;
    authed.tokenInfo = { kind: entry.kind, id: entry.tokenId };
    withRequestContext({ actor, address: clientAddress(req), requestId: requestIdOf(req) }, () => next());
  };
}

/** The client's address as the socket sees it (no proxy headers are trusted). */
export const clientAddress = (req: Request): string | null => req.socket?.remoteAddress ?? null;
/** The id the server gave this request (X-Request-Id). */
export const requestIdOf = (req: Request): string | null => ((req as { id?: unknown }).id as string | undefined) ?? null;

export const actorOf = (req: Request): Actor => (req as unknown as AuthedRequest).actor;
export const tokenOf = (req: Request): string => (req as unknown as AuthedRequest).token!;

export function requireAdmin(req: Request, _res: Response, next: NextFunction) {
  const actor = (req as unknown as AuthedRequest).actor;
  if (actor?.scopes) return next(new AppError('forbidden', msg('API 令牌不能调用管理接口', 'API tokens may not call administration endpoints')));
  if (!actor?.isAdmin) return next(new AppError('forbidden', msg('仅管理员可操作', 'Administrators only')));
  next();
}
