/**
 * Outgoing webhooks: the delivery side of the `webhook` node (nodes/webhook.ts).
 *
 * The node runs inside the runtime's transaction: it renders the JSON body, inserts a row of
 * `fw_webhook_deliveries` (status pending) and enqueues a `webhook.deliver` job, then goes on: it
 * never waits for the receiver. Both commit with the step that caused them, or neither does.
 *
 * The job is EXTERNAL (jobs.ts): it runs outside any transaction and is marked done afterwards,
 * so delivery is AT-LEAST-ONCE. Every attempt of a delivery carries the same
 * `X-Formwork-Delivery: <uuid>`; receivers deduplicate on it.
 *
 * Request: `POST|PUT <url>`, `Content-Type: application/json`, the configured headers, and
 *   X-Formwork-Delivery   the delivery id (a UUID; the same on every retry)
 *   X-Formwork-Timestamp  Unix seconds of this attempt
 *   X-Formwork-Signature  sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>  (when the node has a secret)
 *   X-Formwork-Workflow   the workflow key
 * Receivers verify the signature over the raw body, and reject timestamps too far from now.
 *
 * Outcome per attempt:
 *   2xx                         succeeded
 *   408, 429, 5xx, network error, timeout
 *                               retried with exponential backoff (30 s, 1 min, 2 min, … capped at
 *                               6 h, ±20 %); a Retry-After (seconds or HTTP date) on 429/503 is
 *                               honoured (at most 24 h); after the node's maxAttempts (default 10): failed
 *   3xx (redirects are not followed), other 4xx, a refused address
 *                               failed for good
 *
 * What is stored: the URL without user:password (and with the values of secret-looking query
 * parameters masked), the body only as its size, never the secret or the configured headers.
 * The job payload holds the rendered body (it is record data, like the record itself) and points
 * to the node by (workflow, revision, node id): the URL, headers and secret are read from that
 * published revision when the job runs, so they never sit in the queue.
 *
 * Addresses: only http(s). Link-local addresses (169.254.0.0/16, fe80::/10, the cloud metadata
 * endpoints 169.254.169.254 and fd00:ec2::254) are refused by default, checked on the address
 * the host name resolves to at connect time (a DNS answer cannot slip past the check).
 * FORMWORK_WEBHOOK_ALLOW_LINK_LOCAL=1 (or `allowLinkLocal`) lifts it.
 */
import crypto from 'node:crypto';
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { Knex } from 'knex';
import type { Db } from '../store/connection.js';
import { nowIso } from '../store/system.js';
import { msg, type Msg } from '../errors.js';
import { JobError, backoffDelay, errorText, type Job, type JobQueue } from './jobs.js';
import type { NodeContext, RuntimeServices } from './executor.js';
import type { NodeDef, WorkflowDef } from './types.js';
import type { Logger } from '../http/logger.js';

export const WEBHOOK_JOB = 'webhook.deliver';
export const WEBHOOK_TABLE = 'fw_webhook_deliveries';
/** Largest request body (bytes of JSON). */
export const MAX_WEBHOOK_BODY = 1024 * 1024;
export const DEFAULT_WEBHOOK_TIMEOUT_MS = 10_000;
export const DEFAULT_WEBHOOK_ATTEMPTS = 10;

/** The `webhook` node's settings. */
export interface WebhookConfig {
  url: string;
  method?: 'POST' | 'PUT';
  headers?: Record<string, string>;
  /** Field → json-logic over the record; default: the record itself. */
  body?: Record<string, unknown>;
  /** HMAC-SHA256 key for X-Formwork-Signature. */
  secret?: string;
  timeoutMs?: number;
  maxAttempts?: number;
}

export interface WebhookSettings {
  /** Allow link-local / metadata addresses. Default FORMWORK_WEBHOOK_ALLOW_LINK_LOCAL=1, else false. */
  allowLinkLocal?: boolean;
  /** First retry delay; doubles per attempt. Default 30 000. */
  backoffMs?: number;
  /** Longest retry delay. Default 6 hours. */
  maxBackoffMs?: number;
  /** Longest Retry-After honoured. Default 24 hours. */
  maxRetryAfterMs?: number;
  userAgent?: string;
}

export type DeliveryStatus = 'pending' | 'succeeded' | 'failed';

export interface DeliveryView {
  id: string;
  workflow: string;
  instanceId: number | null;
  nodeId: string;
  url: string;
  method: string;
  status: DeliveryStatus;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  bodySize: number;
  createdAt: string;
  updatedAt: string;
}

interface DeliveryPayload {
  delivery: string;
  workflow: string;
  revision: number;
  node: string;
  body: string;
}

const envAllowLinkLocal = () => typeof process !== 'undefined' && process.env.FORMWORK_WEBHOOK_ALLOW_LINK_LOCAL === '1';

// ---------- addresses ----------

/** Link-local and cloud-metadata addresses (IPv4, IPv6, IPv4-mapped IPv6). */
export function isLinkLocalAddress(ip: string): boolean {
  let a = ip.toLowerCase().trim();
  if (a.startsWith('[') && a.endsWith(']')) a = a.slice(1, -1);
  const zone = a.indexOf('%');
  if (zone >= 0) a = a.slice(0, zone);
  const dotted = /^(?:0{0,4}:){0,5}ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a) ?? /^::(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  if (dotted) a = dotted[1]!;
  if (net.isIPv4(a)) return a.startsWith('169.254.');
  if (!net.isIPv6(a)) return false;
  const groups = expandIPv6(a);
  if (!groups) return false;
  if ((groups[0]! & 0xffc0) === 0xfe80) return true; // fe80::/10
  // fd00:ec2::254, the AWS instance metadata service over IPv6
  if (groups[0] === 0xfd00 && groups[1] === 0x0ec2 && groups.slice(2, 7).every((g) => g === 0) && groups[7] === 0x254) return true;
  // IPv4-mapped / -compatible (::ffff:a9fe:xxxx, ::a9fe:xxxx) and NAT64 (64:ff9b::a9fe:xxxx)
  const v4hi = groups[6]!;
  const mapped = groups.slice(0, 5).every((g) => g === 0) && (groups[5] === 0xffff || groups[5] === 0);
  const nat64 = groups[0] === 0x64 && groups[1] === 0xff9b && groups.slice(2, 6).every((g) => g === 0);
  return (mapped || nat64) && v4hi === 0xa9fe;
}

function expandIPv6(a: string): number[] | null {
  let s = a;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (v4) {
    const p = v4[1]!.split('.').map(Number);
    s = s.slice(0, -v4[1]!.length) + ((p[0]! << 8) | p[1]!).toString(16) + ':' + ((p[2]! << 8) | p[3]!).toString(16);
  }
  const [head, tail] = s.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail !== undefined ? (tail ? tail.split(':') : []) : [];
  const fill = tail !== undefined ? 8 - h.length - t.length : 0;
  if (fill < 0) return null;
  const all = [...h, ...Array(fill).fill('0'), ...t].map((g) => parseInt(g, 16));
  return all.length === 8 && all.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff) ? all : null;
}

/** What is wrong with a webhook URL, or null. */
export function webhookUrlProblem(raw: unknown, allowLinkLocal = envAllowLinkLocal()): Msg | null {
  if (typeof raw !== 'string' || !raw) return msg('请填写 URL', 'A URL is required');
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return msg('URL 不合法', 'Not a valid URL');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return msg('只允许 http 或 https 地址', 'Only http and https URLs are allowed');
  if (!u.hostname) return msg('URL 缺少主机名', 'The URL has no host');
  if (!allowLinkLocal && isLinkLocalAddress(u.hostname)) {
    return msg('不允许链路本地地址（169.254.0.0/16、云元数据服务）', 'Link-local addresses (169.254.0.0/16, cloud metadata services) are not allowed');
  }
  return null;
}

const SECRETISH_PARAM = /pass|secret|token|key|sig|auth|code|credential/i;

/** The URL as it may be stored and shown: no user:password, secret-looking query values masked. */
export function safeUrl(raw: string): string {
  try {
    const u = new URL(raw);
    u.username = '';
    u.password = '';
    for (const k of [...new Set(u.searchParams.keys())]) if (SECRETISH_PARAM.test(k)) u.searchParams.set(k, '***');
    return u.href.slice(0, 2000);
  } catch {
    return errorText(raw).replace(/\/\/[^/@\s]*@/, '//').slice(0, 2000);
  }
}

// ---------- headers ----------

export const HEADER_NAME_RE = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/;
const RESERVED_HEADERS = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'content-type', 'expect', 'upgrade', 'te', 'trailer', 'keep-alive', 'proxy-connection']);

export function headerProblems(headers: Record<string, unknown> | undefined): Record<string, Msg[]> {
  const out: Record<string, Msg[]> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    const at = `/config/headers/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    const lower = name.toLowerCase();
    if (!HEADER_NAME_RE.test(name)) out[at] = [msg('请求头名称不合法', 'Not a valid header name')];
    else if (RESERVED_HEADERS.has(lower) || lower.startsWith('x-formwork-')) {
      out[at] = [msg(`不能设置请求头 ${name}`, `The header ${name} is set by Formwork and cannot be configured`)];
    } else if (typeof value !== 'string' || /[\r\n\0]/.test(value)) out[at] = [msg('请求头的值不合法', 'Not a valid header value')];
  }
  return out;
}

// ---------- signing ----------

/** `sha256=<hex>` of HMAC-SHA256(secret, `${timestamp}.${body}`). */
export function webhookSignature(secret: string, timestamp: string, body: string): string {
  return 'sha256=' + crypto.createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

// ---------- registration: the job handler, and the queue the node enqueues on ----------

interface Binding {
  db: Db;
  jobs: JobQueue;
  settings: WebhookSettings;
}

const bindings = new WeakMap<RuntimeServices, Binding>();
const byQueue = new WeakMap<JobQueue, Binding>();

export function envWebhookSettings(): WebhookSettings {
  return { allowLinkLocal: envAllowLinkLocal() };
}

/** Replace the webhook settings of an engine (tests). */
export function configureWebhooks(jobs: JobQueue, settings: WebhookSettings): void {
  const b = byQueue.get(jobs);
  if (!b) throw new Error('webhook delivery is not registered on this job queue');
  b.settings = { ...settings };
}

/**
 * Register the `webhook.deliver` job handler, and bind the queue to the runtime's services so
 * webhook nodes of this runtime can enqueue on it.
 */
export function registerWebhookDelivery(db: Db, jobs: JobQueue, runtime: { services: RuntimeServices }, logger: Logger, settings: WebhookSettings = envWebhookSettings()): void {
  const binding: Binding = { db, jobs, settings: { ...settings } };
  bindings.set(runtime.services, binding);
  byQueue.set(jobs, binding);
  jobs.register(WEBHOOK_JOB, (job) => deliver(binding, logger, job), { external: true });
}

/** Called by the webhook node inside the runtime's transaction: log row + job, nothing sent yet. */
export async function queueDelivery(ctx: NodeContext, req: { url: string; method: string; body: string; maxAttempts: number }): Promise<string> {
  const b = bindings.get(ctx.services);
  if (!b) throw new Error('webhook delivery is not registered (registerWebhookDelivery)');
  const id = crypto.randomUUID();
  const at = nowIso();
  await ctx.trx(WEBHOOK_TABLE).insert({
    id, workflow: ctx.def.key, instance_id: ctx.instance.id, node_id: ctx.node.id, url: safeUrl(req.url), method: req.method,
    status: 'pending', attempts: 0, last_status_code: null, last_error: null, body_size: Buffer.byteLength(req.body, 'utf8'),
    created_at: at, updated_at: at,
  });
  const payload: DeliveryPayload = { delivery: id, workflow: ctx.def.key, revision: ctx.instance.revision, node: ctx.node.id, body: req.body };
  await b.jobs.enqueue(ctx.trx, { kind: WEBHOOK_JOB, payload, key: `webhook:${id}`, maxAttempts: req.maxAttempts });
  return id;
}

// ---------- sending ----------

export class BlockedAddressError extends Error {
  readonly code = 'EFW_BLOCKED';
  constructor(host: string, address: string) {
    super(`refused: ${host} resolves to the link-local address ${address}`);
    this.name = 'BlockedAddressError';
  }
}

/**
 * A socket `lookup` that refuses link-local answers: used by the connection itself, so the
 * address checked is the address connected to (no DNS-rebinding gap between check and use).
 */
export function linkLocalGuard(lookup: (hostname: string, options: any, cb: (...args: any[]) => void) => void = dns.lookup as any) {
  return (hostname: string, options: any, callback: (...args: any[]) => void): void => {
    lookup(hostname, options, (err: NodeJS.ErrnoException | null, address: any, family?: number) => {
      if (err) return callback(err, address, family);
      const list: Array<{ address: string }> = Array.isArray(address) ? address : [{ address }];
      const bad = list.find((a) => isLinkLocalAddress(a.address));
      if (bad) return callback(new BlockedAddressError(hostname, bad.address), address, family);
      callback(null, address, family);
    });
  };
}
const guardedLookup = linkLocalGuard();

interface Response {
  status: number;
  retryAfter: string | undefined;
  snippet: string;
}

function send(url: URL, method: string, headers: Record<string, string>, body: string, timeoutMs: number, allowLinkLocal: boolean): Promise<Response> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const done = (f: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      f();
    };
    const mod = url.protocol === 'https:' ? https : http;
    const req = mod.request(url, { method, headers, agent: false, ...(allowLinkLocal ? {} : { lookup: guardedLookup as any }) }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const finish = () => {
        const ra = res.headers['retry-after'];
        done(() => resolve({ status: res.statusCode ?? 0, retryAfter: Array.isArray(ra) ? ra[0] : ra, snippet: Buffer.concat(chunks).toString('utf8').slice(0, 300) }));
        res.destroy();
      };
      res.on('data', (c: Buffer) => {
        if (size < 1024) chunks.push(c);
        size += c.length;
        if (size >= 1024) finish(); // enough to explain an error; the rest is not read
      });
      res.on('end', finish);
      res.on('error', (e) => done(() => reject(e)));
    });
    const timer = setTimeout(() => req.destroy(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
    req.on('error', (e) => done(() => reject(e)));
    req.end(body);
  });
}

/** Retry-After as a time: delta-seconds or an HTTP date; undefined if absent or unreadable. */
export function retryAfterTime(value: string | undefined, now: Date, capMs: number): Date | undefined {
  if (!value) return undefined;
  const v = value.trim();
  let ms: number;
  if (/^\d{1,10}$/.test(v)) ms = Number(v) * 1000;
  else {
    const t = Date.parse(v);
    if (!Number.isFinite(t)) return undefined;
    ms = t - now.getTime();
  }
  return new Date(now.getTime() + Math.min(Math.max(ms, 1000), capMs));
}

async function nodeConfig(knex: Knex, p: DeliveryPayload): Promise<WebhookConfig | null> {
  const row = await knex('fw_revisions').where({ kind: 'workflows', key: p.workflow, revision: p.revision }).first();
  if (!row) return null;
  const def = JSON.parse(row.doc) as WorkflowDef;
  const node = def.nodes?.find((n: NodeDef) => n.id === p.node && n.type === 'webhook');
  return (node?.config as WebhookConfig | undefined) ?? null;
}

async function deliver(b: Binding, logger: Logger, job: Job): Promise<void> {
  const { knex } = b.db;
  const s = b.settings;
  const p = job.payload as DeliveryPayload;
  const final = job.attempts >= job.maxAttempts;
  const row = await knex(WEBHOOK_TABLE).where({ id: p.delivery }).first();
  if (!row) {
    logger.warn('webhook delivery row is missing; nothing sent', { job: job.id });
    return;
  }
  if (row.status === 'succeeded') return; // a repeat of an at-least-once job that had already delivered

  const record = async (status: DeliveryStatus, code: number | null, error: string | null) => {
    await knex(WEBHOOK_TABLE).where({ id: p.delivery }).update({
      status, attempts: knex.raw('attempts + 1'), last_status_code: code, last_error: error == null ? null : error.slice(0, 2000), updated_at: nowIso(),
    });
  };
  const fail = async (code: number | null, error: string): Promise<never> => {
    await record('failed', code, error);
    throw new JobError(error, { permanent: true });
  };

  const cfg = await nodeConfig(knex, p);
  if (!cfg) return fail(null, `workflow ${p.workflow} revision ${p.revision} has no webhook node ${p.node}`);
  const allowLinkLocal = s.allowLinkLocal ?? envAllowLinkLocal();
  const problem = webhookUrlProblem(cfg.url, allowLinkLocal);
  if (problem) return fail(null, problem.en);
  if (Object.keys(headerProblems(cfg.headers)).length) return fail(null, 'the configured headers are not valid');

  const now = new Date();
  const timestamp = String(Math.floor(now.getTime() / 1000));
  // Lower-case names, so a configured header and ours never go out twice in different cases.
  const headers: Record<string, string> = { 'user-agent': s.userAgent ?? 'Formwork-Webhook/1' };
  for (const [k, v] of Object.entries(cfg.headers ?? {})) headers[k.toLowerCase()] = v;
  Object.assign(headers, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(p.body, 'utf8')),
    'x-formwork-delivery': p.delivery,
    'x-formwork-timestamp': timestamp,
    'x-formwork-workflow': p.workflow,
  });
  if (cfg.secret) headers['x-formwork-signature'] = webhookSignature(cfg.secret, timestamp, p.body);

  let res: Response;
  try {
    res = await send(new URL(cfg.url), cfg.method ?? 'POST', headers, p.body, cfg.timeoutMs ?? DEFAULT_WEBHOOK_TIMEOUT_MS, allowLinkLocal);
  } catch (e) {
    const text = errorText(e);
    if ((e as { code?: string })?.code === 'EFW_BLOCKED') return fail(null, text);
    await record(final ? 'failed' : 'pending', null, text);
    throw new JobError(text, { retryAt: final ? undefined : retryTime(s, job, now) });
  }

  const { status } = res;
  if (status >= 200 && status < 300) {
    await record('succeeded', status, null);
    return;
  }
  const snippet = res.snippet.replace(/\s+/g, ' ').trim().slice(0, 200);
  const text = `HTTP ${status}${snippet ? `: ${snippet}` : ''}`;
  const retryable = status === 408 || status === 429 || status >= 500;
  if (!retryable) return fail(status, status >= 300 && status < 400 ? `${text} (redirects are not followed)` : text);
  await record(final ? 'failed' : 'pending', status, text);
  const after = status === 429 || status === 503 ? retryAfterTime(res.retryAfter, now, s.maxRetryAfterMs ?? 86_400_000) : undefined;
  throw new JobError(text, { retryAt: final ? undefined : (after ?? retryTime(s, job, now)) });
}

function retryTime(s: WebhookSettings, job: Job, now: Date): Date {
  return new Date(now.getTime() + backoffDelay(job.attempts, s.backoffMs ?? 30_000, s.maxBackoffMs ?? 6 * 3_600_000));
}

// ---------- the delivery log ----------

function view(r: any): DeliveryView {
  return {
    id: r.id, workflow: r.workflow, instanceId: r.instance_id == null ? null : Number(r.instance_id), nodeId: r.node_id, url: r.url,
    method: r.method, status: r.status, attempts: Number(r.attempts), lastStatusCode: r.last_status_code == null ? null : Number(r.last_status_code),
    lastError: r.last_error ?? null, bodySize: Number(r.body_size), createdAt: r.created_at, updatedAt: r.updated_at,
  };
}

/** The delivery log, newest first. */
export async function listDeliveries(knex: Knex, filter: { workflow?: string; status?: string; instance?: number; limit?: number } = {}): Promise<DeliveryView[]> {
  const q = knex(WEBHOOK_TABLE).orderBy([{ column: 'created_at', order: 'desc' }, { column: 'id', order: 'desc' }]).limit(Math.min(Math.max(filter.limit ?? 100, 1), 500));
  if (filter.workflow) q.where({ workflow: filter.workflow });
  if (filter.status) q.where({ status: filter.status });
  if (filter.instance != null) q.where({ instance_id: filter.instance });
  return (await q).map(view);
}

export async function getDelivery(knex: Knex, id: string): Promise<DeliveryView | null> {
  const r = await knex(WEBHOOK_TABLE).where({ id }).first();
  return r ? view(r) : null;
}
