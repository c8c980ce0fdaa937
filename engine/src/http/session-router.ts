/** /api/auth (login, me, logout) and /api/users. */
import { Router, type RequestHandler } from 'express';
import type { UserService } from '../auth/user-service.js';
import type { TokenCache } from './authn.js';
import { actorOf, tokenOf, requireAdmin } from './authn.js';
import { bodyObject, intParam } from './params.js';
import { AppError, msg } from '../errors.js';
import { LoginThrottle } from '../auth/login-throttle.js';

export function authRouter(users: UserService, cache: TokenCache, auth: RequestHandler, throttle = new LoginThrottle()): Router {
  const r = Router();
  r.post('/login', async (req, res) => {
    const body = bodyObject(req.body);
    const name = typeof body.username === 'string' ? body.username.slice(0, 64) : '';
    const address = req.socket.remoteAddress ?? '';
    throttle.check(name, address);
    let session;
    try {
      session = await users.login(body.username, body.password);
    } catch (e) {
      throttle.fail(name, address);
      throw e;
    }
    throttle.succeed(name);
    const { token, user } = session;
    res.json({ token, user: { id: user.id, username: user.username, displayName: user.displayName, roles: user.roles } });
  });
  r.get('/me', auth, async (req, res) => {
    const a = actorOf(req);
    const u = await users.get(a.userId!);
    res.json({ id: u.id, username: u.username, displayName: u.displayName, roles: u.roles, department: u.department });
  });
  r.post('/logout', auth, async (req, res) => {
    const token = tokenOf(req);
    await users.logout(token);
    cache.delete(token);
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

export function usersRouter(users: UserService, cache: TokenCache): Router {
  const r = Router();
  r.use(requireAdmin);
  r.get('/', async (_req, res) => res.json(await users.list()));
  r.post('/', async (req, res) => {
    const b = bodyObject(req.body);
    const user = await users.create({
      username: b.username as string,
      password: b.password as string | undefined,
      displayName: typeof b.displayName === 'string' ? b.displayName : undefined,
      roles: b.roles === undefined ? [] : strings(b.roles, 'roles'),
      department: typeof b.department === 'number' ? b.department : null,
    });
    res.status(201).json(user);
  });
  r.patch('/:id', async (req, res) => {
    const b = bodyObject(req.body);
    const user = await users.update(intParam(String(req.params.id), 'id'), {
      roles: b.roles === undefined ? undefined : strings(b.roles, 'roles'),
      department: b.department === undefined ? undefined : (b.department as number | null),
      disabled: b.disabled === undefined ? undefined : b.disabled === true,
      displayName: typeof b.displayName === 'string' ? b.displayName : undefined,
    });
    cache.clear();
    res.json(user);
  });
  return r;
}
