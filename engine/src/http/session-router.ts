/** /api/auth (login, me, logout) and /api/users. Every sign-in and user change is in the security log. */
import { Router, type Request, type RequestHandler } from 'express';
import type { UserService, PublicUser } from '../auth/user-service.js';
import type { TokenCache, AuthedRequest } from './authn.js';
import { actorOf, tokenOf, requireAdmin, clientAddress, requestIdOf } from './authn.js';
import { bodyObject, intParam } from './params.js';
import { AppError, msg } from '../errors.js';
import { LoginThrottle } from '../auth/login-throttle.js';
import type { SecurityLog } from '../auth/security-log.js';

/** The request's part of a security log entry (sign-in happens before there is an actor). */
const where = (req: Request) => ({ address: clientAddress(req), requestId: requestIdOf(req) });

export function authRouter(users: UserService, cache: TokenCache, auth: RequestHandler, throttle = new LoginThrottle(), log?: SecurityLog): Router {
  const r = Router();
  r.post('/login', async (req, res) => {
    const body = bodyObject(req.body);
    const name = typeof body.username === 'string' ? body.username.slice(0, 64) : '';
    const address = req.socket.remoteAddress ?? '';
    try {
      throttle.check(name, address);
    } catch (e) {
      await log?.record('login_rate_limited', { actor: null, detail: { username: name }, ...where(req) });
      throw e;
    }
    let session;
    try {
      session = await users.login(body.username, body.password);
    } catch (e) {
      throttle.fail(name, address);
      if (e instanceof AppError && e.code === 'unauthenticated') await log?.record('login_failed', { actor: null, detail: { username: name }, ...where(req) });
      throw e;
    }
    throttle.succeed(name);
    const { token, user } = session;
    await log?.record('login', { actor: { userId: user.id, username: user.username }, target: `user:${user.id}`, ...where(req) });
    res.json({ token, user: { id: user.id, username: user.username, displayName: user.displayName, roles: user.roles } });
  });
  r.get('/me', auth, async (req, res) => {
    const a = actorOf(req);
    const u = await users.get(a.userId!);
    res.json({ id: u.id, username: u.username, displayName: u.displayName, roles: u.roles, department: u.department });
  });
  r.post('/logout', auth, async (req, res) => {
    const token = tokenOf(req);
    const info = (req as unknown as AuthedRequest).tokenInfo;
    await users.logout(token);
    cache.delete(token);
    // An integration may drop its own API token: that is a revocation.
    if (info?.kind === 'api') await log?.record('token_revoked', { target: `token:${info.id}`, detail: { id: info.id, self: true } });
    else await log?.record('logout', { target: `user:${actorOf(req).userId}` });
    res.status(204).end();
  });
  return r;
}

function strings(v: unknown, name: string): string[] {
  if (!Array.isArray(v) || v.length > 50 || v.some((x) => typeof x !== 'string' || !/^[a-z][a-z0-9_]{0,47}$/.test(x))) {
    throw new AppError('validation', msg('角色列表不合法', 'Invalid roles'), { fields: { [name]: [msg('必须是角色键名的数组', 'Must be an array of role keys')] } });
  }
  return v as string[];
}

/** Which fields a change touched, with old and new values of those that are not secret. */
function changes(before: PublicUser, after: PublicUser, passwordSet: boolean): { changed: string[]; from: Record<string, unknown>; to: Record<string, unknown> } {
  const changed: string[] = [];
  const from: Record<string, unknown> = {};
  const to: Record<string, unknown> = {};
  for (const k of ['roles', 'department', 'disabled', 'displayName'] as const) {
    if (JSON.stringify(before[k]) !== JSON.stringify(after[k])) {
      changed.push(k);
      from[k] = before[k];
      to[k] = after[k];
    }
  }
  if (passwordSet) changed.push('password');
  return { changed, from, to };
}

export function usersRouter(users: UserService, cache: TokenCache, log?: SecurityLog): Router {
  const r = Router();
  r.use(requireAdmin);
  r.get('/', async (_req, res) => res.json(await users.list()));
  r.post('/', async (req, res) => {
    const b = bodyObject(req.body);
    if (b.service !== undefined && typeof b.service !== 'boolean') {
      throw new AppError('validation', msg('service 必须是布尔值', 'service must be true or false'), { fields: { service: [msg('必须是布尔值', 'Must be true or false')] } });
    }
    const user = await users.create({
      username: b.username as string,
      password: b.password as string | undefined,
      displayName: typeof b.displayName === 'string' ? b.displayName : undefined,
      roles: b.roles === undefined ? [] : strings(b.roles, 'roles'),
      department: typeof b.department === 'number' ? b.department : null,
      isService: b.service === true,
      email: b.email as string | null | undefined,
    });
    await log?.record('user_created', {
      target: `user:${user.id}`,
      detail: { username: user.username, roles: user.roles, department: user.department, service: user.service },
    });
    res.status(201).json(user);
  });
  r.patch('/:id', async (req, res) => {
    const b = bodyObject(req.body);
    const id = intParam(String(req.params.id), 'id');
    const before = await users.get(id);
    const user = await users.update(id, {
      roles: b.roles === undefined ? undefined : strings(b.roles, 'roles'),
      department: b.department === undefined ? undefined : (b.department as number | null),
      disabled: b.disabled === undefined ? undefined : b.disabled === true,
      displayName: typeof b.displayName === 'string' ? b.displayName : undefined,
      password: b.password === undefined ? undefined : (b.password as string),
      email: b.email as string | null | undefined,
    });
    cache.clear();
    const diff = changes(before, user, b.password !== undefined);
    if (diff.changed.length) await log?.record('user_updated', { target: `user:${id}`, detail: { username: user.username, ...diff } });
    res.json(user);
  });
  return r;
}
