/**
 * Users and sign-in: passwords hashed with scrypt, session tokens random and stored only as
 * their SHA-256, with an expiry; logout revokes. No secret ever leaves this service.
 */
import type { Db } from '../store/connection.js';
import { nowIso } from '../store/system.js';
import { AppError, msg, notFound, conflict } from '../errors.js';
import { hashPassword, verifyPassword, newToken, hashToken } from './passwords.js';
import type { Actor } from './actor.js';

export interface PublicUser {
  id: number;
  username: string;
  displayName: string;
  roles: string[];
  department: number | null;
  disabled: boolean;
  /** A service user: no password, never signs in; acts only through API tokens. */
  service: boolean;
  /** Where workflow notifications are mailed (notify nodes with `email: true`); null = none. */
  email: string | null;
}

/** What a bearer token stands for. `scopes` only on API tokens (they narrow the user's roles). */
export interface VerifiedToken {
  user: PublicUser;
  tokenId: number;
  kind: 'session' | 'api';
  scopes?: string[];
  expiresAt: string | null;
}

export interface NewUser {
  username: string;
  password?: string;
  displayName?: string;
  roles?: string[];
  department?: number | null;
  isService?: boolean;
  email?: string | null;
}

const USERNAME_RE = /^[A-Za-z0-9_.@-]{1,64}$/;
export const SESSION_HOURS = 12;

function toPublic(r: any): PublicUser {
  return {
    id: Number(r.id), username: r.username, displayName: r.display_name,
    roles: JSON.parse(r.roles ?? '[]'), department: r.department_id == null ? null : Number(r.department_id),
    disabled: !!r.disabled, service: !!r.is_service, email: r.email ?? null,
  };
}

function checkPassword(password: unknown): void {
  if (typeof password !== 'string' || password.length < 8 || password.length > 200) {
    throw new AppError('validation', msg('密码不合法', 'Invalid password'), { fields: { password: [msg('密码至少 8 位', 'At least 8 characters')] } });
  }
}

/**
 * Await a query whose bindings hold a secret (a token or password hash). knex's SQLite errors
 * inline the bound values into the message and stack, which the error handler logs; a failure
 * here keeps only the driver's own message.
 */
export async function withoutSecrets<T>(query: PromiseLike<T>): Promise<T> {
  try {
    return await query;
  } catch (e) {
    if (e instanceof AppError) throw e;
    const m = String((e as Error)?.message ?? '');
    const i = m.lastIndexOf(' - ');
    const err = new Error(`database error: ${i >= 0 ? m.slice(i + 3).trim() : 'query failed'}`);
    (err as Error & { code?: unknown }).code = (e as { code?: unknown })?.code;
    throw err;
  }
}

export function actorOf(u: PublicUser): Actor {
  return {
    userId: u.id, username: u.username, displayName: u.displayName, roles: u.roles,
    departmentId: u.department, isAdmin: u.roles.includes('admin'),
  };
}

/** An e-mail address or null/'' (none); loose on purpose: one @, no spaces, a dot in the domain. */
function checkEmail(email: unknown): string | null {
  if (email == null || email === '') return null;
  if (typeof email !== 'string' || email.length > 254 || !/^[^\s@<>()",;]+@[^\s@<>()",;]+\.[^\s@<>()",;]+$/.test(email)) {
    throw new AppError('validation', msg('邮箱地址不合法', 'Invalid e-mail address'), { fields: { email: [msg('例如 name@example.com', 'For example name@example.com')] } });
  }
  return email;
}

export class UserService {
  constructor(private readonly db: Db) {}

  async count(): Promise<number> {
    const r = await this.db.knex('fw_users').count({ n: '*' }).first();
    return Number((r as any)?.n ?? 0);
  }

  async create(input: NewUser): Promise<PublicUser> {
    if (typeof input.username !== 'string' || !USERNAME_RE.test(input.username)) {
      throw new AppError('validation', msg('用户名不合法', 'Invalid username'), { fields: { username: [msg('1–64 个字母、数字或 _ . @ -', '1–64 letters, digits or _ . @ -')] } });
    }
    if (input.password != null) checkPassword(input.password);
    const email = checkEmail(input.email);
    if (input.isService && input.password != null) {
      throw new AppError('validation', msg('服务账号没有密码', 'A service user has no password'), { fields: { password: [msg('服务账号只能通过 API 令牌访问', 'Service users act only through API tokens')] } });
    }
    const exists = await this.db.knex('fw_users').where({ username: input.username }).first();
    if (exists) throw conflict('用户名已存在', `Username '${input.username}' is taken`);
    const row = {
      username: input.username,
      display_name: input.displayName ?? input.username,
      password_hash: input.password ? await hashPassword(input.password) : null,
      roles: JSON.stringify(input.roles ?? []),
      department_id: input.department ?? null,
      is_service: !!input.isService,
      email,
      disabled: false,
      created_at: nowIso(),
    };
    const q = this.db.knex('fw_users').insert(row);
    const res = await withoutSecrets(this.db.dialect === 'pg' ? q.returning('id') : q);
    const id = Number(typeof res[0] === 'object' ? (res[0] as any).id : res[0]);
    return this.get(id);
  }

  async get(id: number): Promise<PublicUser> {
    const r = await this.db.knex('fw_users').where({ id }).first();
    if (!r) throw notFound('用户不存在', `No user ${id}`);
    return toPublic(r);
  }

  async list(): Promise<PublicUser[]> {
    return (await this.db.knex('fw_users').orderBy('id')).map(toPublic);
  }

  async update(id: number, patch: { roles?: string[]; department?: number | null; disabled?: boolean; displayName?: string; password?: string; email?: string | null }): Promise<PublicUser> {
    const current = await this.get(id);
    if (patch.password !== undefined) {
      checkPassword(patch.password);
      if (current.service) throw new AppError('validation', msg('服务账号没有密码', 'A service user has no password'), { fields: { password: [msg('服务账号只能通过 API 令牌访问', 'Service users act only through API tokens')] } });
    }
    const set: Record<string, unknown> = {};
    if (patch.roles !== undefined) set.roles = JSON.stringify(patch.roles);
    if (patch.department !== undefined) set.department_id = patch.department;
    if (patch.disabled !== undefined) set.disabled = !!patch.disabled;
    if (patch.displayName !== undefined) set.display_name = patch.displayName;
    if (patch.email !== undefined) set.email = checkEmail(patch.email);
    if (patch.password !== undefined) set.password_hash = await hashPassword(patch.password);
    if (Object.keys(set).length) await withoutSecrets(this.db.knex('fw_users').where({ id }).update(set));
    if (patch.disabled) await this.db.knex('fw_tokens').where({ user_id: id }).whereNull('revoked_at').update({ revoked_at: nowIso() });
    return this.get(id);
  }

  /** Check a password and open a session. The same error for an unknown user and a wrong password. */
  async login(username: unknown, password: unknown): Promise<{ token: string; user: PublicUser }> {
    const bad = new AppError('unauthenticated', msg('用户名或密码错误', 'Wrong username or password'));
    if (typeof username !== 'string' || typeof password !== 'string' || username.length > 64 || password.length > 200) throw bad;
    const r = await this.db.knex('fw_users').where({ username }).first();
    const ok = await verifyPassword(password, r?.password_hash ?? DUMMY_HASH);
    if (!r || !ok || r.disabled || r.is_service) throw bad;
    const { token, hash } = newToken();
    const now = new Date();
    await withoutSecrets(this.db.knex('fw_tokens').insert({
      token_hash: hash, user_id: r.id, kind: 'session', created_at: now.toISOString(),
      expires_at: new Date(now.getTime() + SESSION_HOURS * 3600_000).toISOString(),
    }));
    return { token, user: toPublic(r) };
  }

  async logout(token: string): Promise<void> {
    await withoutSecrets(this.db.knex('fw_tokens').where({ token_hash: hashToken(token) }).whereNull('revoked_at').update({ revoked_at: nowIso() }));
  }

  /** The user a bearer token belongs to, or null when unknown, expired, revoked or disabled. */
  async authenticate(token: string): Promise<PublicUser | null> {
    return (await this.verifyToken(token))?.user ?? null;
  }

  /** A bearer token's user, kind and (API tokens) scopes, or null when unknown, expired, revoked or disabled. */
  async verifyToken(token: string): Promise<VerifiedToken | null> {
    if (!token || token.length > 200) return null;
    const r = await withoutSecrets(this.db.knex('fw_tokens as k')
      .join('fw_users as u', 'u.id', 'k.user_id')
      .where('k.token_hash', hashToken(token))
      .whereNull('k.revoked_at')
      .select('u.*', 'k.id as token_id', 'k.kind as token_kind', 'k.scopes as token_scopes', 'k.expires_at as token_expires_at')
      .first());
    if (!r || r.disabled) return null;
    if (r.token_expires_at && r.token_expires_at < nowIso()) return null;
    const kind = r.token_kind === 'api' ? 'api' : 'session';
    // A session of a service user cannot exist (they never sign in); refuse one anyway.
    if (kind === 'session' && r.is_service) return null;
    return {
      user: toPublic(r), tokenId: Number(r.token_id), kind,
      scopes: kind === 'api' ? parseScopeList(r.token_scopes) : undefined,
      expiresAt: r.token_expires_at ?? null,
    };
  }

  /** The first start: an administrator from the environment, or with a random password returned once. */
  async ensureAdmin(username: string, password: string | undefined): Promise<{ created: boolean; password?: string }> {
    if ((await this.count()) > 0) return { created: false };
    const pw = password || (await import('./passwords.js')).randomPassword();
    try {
      await this.create({ username, password: pw, displayName: username, roles: ['admin'] });
    } catch (e) {
      // Two processes starting on an empty database at once: the other one created it.
      if ((await this.count()) > 0) return { created: false };
      throw e;
    }
    return { created: true, password: password ? undefined : pw };
  }
}

/** Stored scopes as a list; anything unreadable is no scope at all (nothing allowed). */
function parseScopeList(text: string | null): string[] {
  try {
    const v = JSON.parse(text ?? '[]');
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

// Verifying against a dummy hash keeps the timing of "no such user" like "wrong password".
const DUMMY_HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
