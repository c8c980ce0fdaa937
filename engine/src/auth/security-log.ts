/**
 * The security audit log: sign-ins (good, bad, throttled), sign-outs, API tokens, user and
 * department administration, metadata publishes and pack installs, in `fw_security_log`.
 *
 * Append-only: the table has database triggers that abort every UPDATE and DELETE (SQLite and
 * PostgreSQL; PostgreSQL also refuses TRUNCATE). Nothing here ever changes a row.
 *
 * No secret is ever written: callers pass names and ids, never passwords, tokens or hashes, and
 * `record` drops any detail key that looks like one (defence in depth).
 *
 * Who and from where: an entry takes its actor, client address and request id from the explicit
 * fields, else from the request the code runs in (`withRequestContext`, set by the bearer-token
 * authentication), so a listener deep in a service (a publish) still knows who did it.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Db } from '../store/connection.js';
import { nowIso } from '../store/system.js';
import type { Actor } from './actor.js';
import type { Logger } from '../http/logger.js';
import type { MetaKind } from '../meta/types.js';
import type { DocumentService } from '../documents/document-service.js';

export const SECURITY_EVENTS = [
  'login',
  'login_failed',
  'login_rate_limited',
  'logout',
  'token_created',
  'token_revoked',
  'user_created',
  'user_updated',
  'department_created',
  'department_updated',
  'department_deleted',
  'metadata_published',
  'pack_installed',
  'pack_upgraded',
  'pack_uninstalled',
] as const;
export type SecurityEvent = (typeof SECURITY_EVENTS)[number];

/** Who did it: an actor, or an id and a name (a user not signed in yet, the command line). */
export type SecurityActor = Actor | { userId: number | null; username: string } | null;

export interface SecurityEntryInput {
  /** Default: the actor of the current request, else nobody. */
  actor?: SecurityActor;
  /** What it was done to: `user:12`, `token:3`, `department:4`, `forms/customer`, `pack:dealership`. */
  target?: string | null;
  /** Non-secret facts (names, ids, which fields changed). */
  detail?: Record<string, unknown>;
  /** Default: the current request's client address. */
  address?: string | null;
  /** Default: the current request's id. */
  requestId?: string | null;
}

export interface SecurityEntry {
  id: number;
  at: string;
  event: string;
  actorId: number | null;
  actorName: string | null;
  target: string | null;
  detail: Record<string, unknown>;
  address: string | null;
  requestId: string | null;
}

export interface SecurityPage {
  items: SecurityEntry[];
  total: number;
  page: number;
  pageSize: number;
}

/** The request an entry is recorded in. */
export interface RequestContext {
  actor?: Actor;
  address?: string | null;
  requestId?: string | null;
}

const requestContext = new AsyncLocalStorage<RequestContext>();

/** Run `fn` (and everything it starts) as part of this request. */
export function withRequestContext<T>(ctx: RequestContext, fn: () => T): T {
  return requestContext.run(ctx, fn);
}

export function currentRequestContext(): RequestContext | undefined {
  return requestContext.getStore();
}

// Keys that could carry a secret; such detail keys are dropped, whatever their value.
const SECRET_KEY = /pass(word)?|secret|hash|authorization|cookie|^token$|credential|api_?key/i;

function scrub(v: unknown, depth = 0): unknown {
  if (v === null || typeof v !== 'object') return typeof v === 'string' ? v.slice(0, 500) : v;
  if (depth > 4) return null;
  if (Array.isArray(v)) return v.slice(0, 100).map((x) => scrub(x, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) if (!SECRET_KEY.test(k)) out[k] = scrub(x, depth + 1);
  return out;
}

const clip = (s: unknown, n: number): string | null => (typeof s === 'string' && s ? s.slice(0, n) : null);

export class SecurityLog {
  constructor(private readonly db: Db, private readonly logger?: Logger) {}

  /**
   * Append an entry. Never throws: the operation it describes has already happened, so a failed
   * write is reported to the logger (level error) rather than to the caller.
   */
  async record(event: SecurityEvent, input: SecurityEntryInput = {}): Promise<void> {
    try {
      await this.append(event, input);
    } catch (e) {
      this.logger?.error('security log write failed', { event, error: String((e as Error)?.message ?? e).slice(0, 300) });
    }
  }

  /** Append an entry; a failed write throws. */
  async append(event: SecurityEvent, input: SecurityEntryInput = {}): Promise<void> {
    const ctx = currentRequestContext();
    const actor = input.actor !== undefined ? input.actor : (ctx?.actor ?? null);
    const row = {
      at: nowIso(),
      event,
      actor_id: actor?.userId ?? null,
      actor_name: clip(actor?.username, 128),
      target: clip(input.target, 200),
      detail: JSON.stringify(scrub(input.detail ?? {})),
      address: clip(input.address !== undefined ? input.address : ctx?.address, 64),
      request_id: clip(input.requestId !== undefined ? input.requestId : ctx?.requestId, 64),
    };
    await this.db.knex('fw_security_log').insert(row);
    this.logger?.info('security', { event, actorId: row.actor_id, actorName: row.actor_name, target: row.target, requestId: row.request_id });
  }

  /** Newest first. */
  async list(opts: { event?: string; page?: number; pageSize?: number } = {}): Promise<SecurityPage> {
    const page = Math.max(1, opts.page ?? 1);
    const pageSize = Math.min(500, Math.max(1, opts.pageSize ?? 50));
    const base = () => {
      const q = this.db.knex('fw_security_log');
      if (opts.event) q.where({ event: opts.event });
      return q;
    };
    const [countRow, rows] = await Promise.all([
      base().count({ n: '*' }).first(),
      base().orderBy('id', 'desc').limit(pageSize).offset((page - 1) * pageSize),
    ]);
    return { items: rows.map(toEntry), total: Number((countRow as any)?.n ?? 0), page, pageSize };
  }
}

function toEntry(r: any): SecurityEntry {
  let detail: Record<string, unknown> = {};
  try {
    detail = JSON.parse(r.detail ?? '{}');
  } catch {
    /* keep {} */
  }
  return {
    id: Number(r.id), at: r.at, event: r.event,
    actorId: r.actor_id == null ? null : Number(r.actor_id), actorName: r.actor_name ?? null,
    target: r.target ?? null, detail, address: r.address ?? null, requestId: r.request_id ?? null,
  };
}

/** What `securityLogFor` needs of the Engine. */
export interface SecurityLogHost {
  db: Db;
  docs: DocumentService;
  logger?: Logger;
}

const logs = new WeakMap<object, SecurityLog>();

/**
 * The engine's security log, created on first use; it then also records every metadata publish
 * (through DocumentService's publish listeners), whoever publishes: the meta API, a rollback, a
 * pack install.
 */
export function securityLogFor(engine: SecurityLogHost): SecurityLog {
  let log = logs.get(engine);
  if (!log) {
    const created = new SecurityLog(engine.db, engine.logger);
    log = created;
    logs.set(engine, created);
    engine.docs.onPublish(async (kind: MetaKind, key: string, _doc: unknown, revision: number, info?: { by?: number | null; note?: string | null }) => {
      const ctx = currentRequestContext();
      const actor: SecurityActor = ctx?.actor ?? (info?.by != null ? { userId: info.by, username: (await usernameOf(engine.db, info.by)) ?? `user ${info.by}` } : { userId: null, username: 'system' });
      await created.record('metadata_published', {
        actor,
        target: `${kind}/${key}`,
        detail: { kind, key, revision, ...(info?.note ? { note: info.note } : {}) },
      });
    });
  }
  return log;
}

async function usernameOf(db: Db, id: number): Promise<string | null> {
  const r = await db.knex('fw_users').where({ id }).first('username').catch(() => undefined);
  return r?.username ?? null;
}

/** The "system" actor of the command line. */
export const CLI_ACTOR: SecurityActor = { userId: null, username: 'cli' };
