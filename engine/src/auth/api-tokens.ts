/**
 * API tokens for integrations. A token belongs to a service user (a user without a password who
 * never signs in) and carries scopes that further NARROW what that user's roles allow:
 *
 *   `FORM:ACTION`   FORM a form key or `*`; ACTION create, read, update, delete, export, import or `*`
 *
 * e.g. `["customer:read", "vehicle_order:create", "*:read"]`. A request with an API token acts as
 * the service user with these scopes on its Actor (`actor.scopes`); RolePolicy allows an action
 * only if a role allows it AND a scope does. API tokens never administer anything (users, tokens,
 * metadata changes, the security log).
 *
 * The token is returned once, at creation; only its SHA-256 is stored (fw_tokens, kind 'api').
 */
import type { Db } from '../store/connection.js';
import { nowIso } from '../store/system.js';
import { AppError, msg, notFound, type Msg } from '../errors.js';
import { RECORD_ACTIONS, type RecordAction } from './role-def.js';
import { newToken, hashToken } from './passwords.js';
import { withoutSecrets } from './user-service.js';

export interface ApiTokenInfo {
  id: number;
  name: string;
  user: { id: number; username: string };
  scopes: string[];
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  status: 'active' | 'expired' | 'revoked';
}

export interface NewApiToken {
  name?: unknown;
  user?: unknown;
  scopes?: unknown;
  expiresAt?: unknown;
}

/** The prefix makes a leaked token recognisable to secret scanners. */
export const API_TOKEN_PREFIX = 'fwk_';

const SCOPE_RE = /^([a-z][a-z0-9_]{0,47}|\*):([a-z]+|\*)$/;
const ACTIONS = new Set<string>(RECORD_ACTIONS);

/** Is `scope` a well-formed `FORM:ACTION`? */
export function isScope(scope: unknown): scope is string {
  if (typeof scope !== 'string') return false;
  const m = SCOPE_RE.exec(scope);
  return !!m && (m[2] === '*' || ACTIONS.has(m[2]!));
}

/** Do these scopes allow this action on this form? */
export function scopeAllows(scopes: readonly string[], form: string, action: RecordAction): boolean {
  for (const s of scopes) {
    const i = s.lastIndexOf(':');
    if (i < 0) continue;
    const f = s.slice(0, i);
    const a = s.slice(i + 1);
    if ((f === '*' || f === form) && (a === '*' || a === action)) return true;
  }
  return false;
}

function invalid(field: string, m: Msg): AppError {
  return new AppError('validation', msg('API 令牌不合法', 'Invalid API token'), { fields: { [field]: [m] } });
}

function status(r: any, now: string): ApiTokenInfo['status'] {
  if (r.revoked_at) return 'revoked';
  if (r.expires_at && r.expires_at < now) return 'expired';
  return 'active';
}

function toInfo(r: any, now = nowIso()): ApiTokenInfo {
  let scopes: string[] = [];
  try {
    scopes = JSON.parse(r.scopes ?? '[]');
  } catch {
    /* none */
  }
  return {
    id: Number(r.id), name: r.name ?? '', user: { id: Number(r.user_id), username: r.username },
    scopes, createdAt: r.created_at, expiresAt: r.expires_at ?? null, revokedAt: r.revoked_at ?? null, status: status(r, now),
  };
}

export class ApiTokenService {
  constructor(private readonly db: Db) {}

  private query() {
    return this.db.knex('fw_tokens as k')
      .join('fw_users as u', 'u.id', 'k.user_id')
      .where('k.kind', 'api')
      .select('k.id', 'k.name', 'k.user_id', 'k.scopes', 'k.created_at', 'k.expires_at', 'k.revoked_at', 'u.username');
  }

  /** Create a token; the secret is in the result and nowhere else. */
  async create(input: NewApiToken): Promise<ApiTokenInfo & { token: string }> {
    const name = input.name;
    if (typeof name !== 'string' || !name.trim() || name.length > 128) throw invalid('name', msg('请填写名称（不超过 128 字）', 'A name of at most 128 characters is required'));
    const userId = input.user;
    if (!Number.isInteger(userId) || (userId as number) < 1) throw invalid('user', msg('须为服务账号的用户 id', 'Must be the id of a service user'));
    const scopes = input.scopes;
    if (!Array.isArray(scopes) || !scopes.length || scopes.length > 100 || !scopes.every(isScope)) {
      throw invalid('scopes', msg('须为 "表单:操作" 的数组，如 "customer:read"、"*:read"', 'Must be a non-empty array of "form:action", e.g. "customer:read", "*:read"'));
    }
    let expiresAt: string | null = null;
    if (input.expiresAt !== undefined && input.expiresAt !== null) {
      const t = typeof input.expiresAt === 'string' && /^\d{4}-\d\d-\d\d/.test(input.expiresAt) ? Date.parse(input.expiresAt) : NaN;
      if (!Number.isFinite(t) || t <= Date.now()) throw invalid('expiresAt', msg('须为将来的 ISO 8601 时间', 'Must be a future ISO 8601 datetime'));
      expiresAt = new Date(t).toISOString();
    }
    const user = await this.db.knex('fw_users').where({ id: userId as number }).first();
    if (!user) throw invalid('user', msg('用户不存在', `No user ${userId}`));
    if (!user.is_service) throw invalid('user', msg('API 令牌只能属于服务账号', 'API tokens belong to service users only'));
    if (user.disabled) throw invalid('user', msg('该服务账号已停用', 'This service user is disabled'));
    const token = API_TOKEN_PREFIX + newToken().token;
    const row = {
      token_hash: hashToken(token), user_id: user.id, kind: 'api', name: name.trim(),
      scopes: JSON.stringify([...new Set(scopes as string[])]), created_at: nowIso(), expires_at: expiresAt,
    };
    const q = this.db.knex('fw_tokens').insert(row);
    const res = await withoutSecrets(this.db.dialect === 'pg' ? q.returning('id') : q);
    const id = Number(typeof res[0] === 'object' ? (res[0] as any).id : res[0]);
    return { ...(await this.get(id)), token };
  }

  async get(id: number): Promise<ApiTokenInfo> {
    const r = await this.query().where('k.id', id).first();
    if (!r) throw notFound('API 令牌不存在', `No API token ${id}`);
    return toInfo(r);
  }

  /** Every API token, newest first, without secrets or hashes. */
  async list(): Promise<ApiTokenInfo[]> {
    const now = nowIso();
    return (await this.query().orderBy('k.id', 'desc')).map((r: any) => toInfo(r, now));
  }

  /** Revoke; `revoked` is false when it already was. */
  async revoke(id: number): Promise<{ token: ApiTokenInfo; revoked: boolean }> {
    const current = await this.get(id);
    if (current.revokedAt) return { token: current, revoked: false };
    await this.db.knex('fw_tokens').where({ id, kind: 'api' }).whereNull('revoked_at').update({ revoked_at: nowIso() });
    return { token: await this.get(id), revoked: true };
  }
}
