/**
 * The webhook node on SQLite and PostgreSQL: a signed JSON delivery queued as an external job,
 * retried with backoff on 5xx, failed for good on 4xx, Retry-After honoured on 429; the node
 * never waits; the delivery log (and its admin API) holds no secret and no credentials;
 * link-local addresses are refused.
 */
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DIALECTS } from '../helpers/db.js';
import { testEngine, publishForm, type TestEngine } from '../helpers/engine.js';
import { SYSTEM_ACTOR } from '../../src/auth/actor.js';
import type { Actor } from '../../src/auth/actor.js';
import { AppError } from '../../src/errors.js';
import { createLogger } from '../../src/http/logger.js';
import { errorHandler } from '../../src/http/errors.js';
import { webhookDeliveriesRouter } from '../../src/http/webhook-router.js';
import { BlockedAddressError, isLinkLocalAddress, linkLocalGuard, retryAfterTime, safeUrl, webhookUrlProblem } from '../../src/workflow/webhook-delivery.js';
import type { WorkflowDef } from '../../src/workflow/types.js';

interface Hit {
  path: string;
  method: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  answered: number;
}

const SECRET = 'whsec-0123456789abcdef-test';

const deal = {
  key: 'deal',
  label: 'Deal',
  fields: [
    { id: 'd_title', key: 'title', type: 'text', label: 'Title' },
    { id: 'd_amount', key: 'amount', type: 'money', label: 'Amount' },
  ],
};

function hookFlow(key: string, config: Record<string, unknown>): WorkflowDef {
  return {
    key, label: key,
    trigger: { type: 'record_created', form: 'deal', condition: { '==': [{ var: 'title' }, key] } },
    nodes: [
      { id: 'start', type: 'start' },
      { id: 'hook', type: 'webhook', config },
      { id: 'done', type: 'end' },
    ],
    edges: [
      { id: 'e1', source: 'start', target: 'hook' },
      { id: 'e2', source: 'hook', target: 'done' },
    ],
  };
}

describe('webhook address and header helpers', () => {
  it('recognises link-local and metadata addresses in every spelling', () => {
    for (const a of ['169.254.169.254', '169.254.0.1', '[::ffff:169.254.169.254]', '::ffff:a9fe:a9fe', 'fe80::1', 'FE80::1%eth0', 'febf::1', 'fd00:ec2::254', '64:ff9b::a9fe:a9fe']) {
      expect(isLinkLocalAddress(a), a).toBe(true);
    }
    for (const a of ['127.0.0.1', '10.0.0.1', '169.255.0.1', '::1', 'fec0::1', 'example.com', '2001:db8::1']) {
      expect(isLinkLocalAddress(a), a).toBe(false);
    }
  });
  it('allows only http(s) URLs and refuses link-local hosts (also in decimal or mapped form)', () => {
    expect(webhookUrlProblem('https://example.com/hook', false)).toBeNull();
    expect(webhookUrlProblem('http://127.0.0.1:8080/x', false)).toBeNull();
    expect(webhookUrlProblem('ftp://example.com/x', false)).not.toBeNull();
    expect(webhookUrlProblem('file:///etc/passwd', false)).not.toBeNull();
    expect(webhookUrlProblem('http://169.254.169.254/latest/meta-data', false)).not.toBeNull();
    expect(webhookUrlProblem('http://2852039166/', false)).not.toBeNull(); // 169.254.169.254 as one number
    expect(webhookUrlProblem('http://[::ffff:169.254.169.254]/', false)).not.toBeNull();
    expect(webhookUrlProblem('http://169.254.169.254/', true)).toBeNull();
  });
  it('refuses a host name that resolves to a link-local address, at connect time', async () => {
    const fakeDns = (answers: Record<string, string[]>) => (host: string, opts: any, cb: (...a: any[]) => void) => {
      const list = (answers[host] ?? []).map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
      if (opts?.all) cb(null, list);
      else cb(null, list[0]!.address, list[0]!.family);
    };
    const lookup = linkLocalGuard(fakeDns({ 'metadata.test': ['169.254.169.254'], 'mixed.test': ['93.184.216.34', 'fe80::1'], 'ok.test': ['93.184.216.34'] }));
    const run = (host: string, all: boolean) => new Promise<{ err: unknown; address: unknown }>((resolve) => lookup(host, { all }, (err: unknown, address: unknown) => resolve({ err, address })));
    expect((await run('metadata.test', false)).err).toBeInstanceOf(BlockedAddressError);
    expect((await run('mixed.test', true)).err).toBeInstanceOf(BlockedAddressError);
    expect(await run('ok.test', false)).toEqual({ err: null, address: '93.184.216.34' });
    expect((await run('ok.test', true)).err).toBeNull();
  });
  it('stores URLs without credentials', () => {
    expect(safeUrl('https://user:pw@example.com/h?token=abc&x=1')).toBe('https://example.com/h?token=***&x=1');
  });
  it('reads Retry-After as seconds or an HTTP date', () => {
    const now = new Date('2024-01-01T00:00:00Z');
    expect(retryAfterTime('120', now, 86_400_000)!.toISOString()).toBe('2024-01-01T00:02:00.000Z');
    expect(retryAfterTime('Mon, 01 Jan 2024 00:10:00 GMT', now, 86_400_000)!.toISOString()).toBe('2024-01-01T00:10:00.000Z');
    expect(retryAfterTime('999999999', now, 3_600_000)!.toISOString()).toBe('2024-01-01T01:00:00.000Z');
    expect(retryAfterTime('soon', now, 1000)).toBeUndefined();
  });
});

describe.each(DIALECTS)('webhook node on %s', (dialect) => {
  let t: TestEngine;
  let receiver: http.Server;
  let base: string;
  let hits: Hit[] = [];
  const counters = new Map<string, number>();

  const publishWf = async (wf: WorkflowDef) => {
    await t.engine.docs.saveDraft('workflows', wf.key, wf);
    return t.engine.docs.publish('workflows', wf.key);
  };
  const drain = () => t.engine.workflow.drain();
  const knex = () => t.engine.db.knex;
  const deliveriesOf = (workflow: string) => knex()('fw_webhook_deliveries').where({ workflow }).orderBy('created_at');
  const jobOf = async (deliveryId: string) => knex()('fw_jobs').where({ idempotency_key: `webhook:${deliveryId}` }).first();
  /** Make pending webhook jobs due now instead of waiting out their backoff, and run them. */
  const retryNow = async () => {
    await knex()('fw_jobs').where({ kind: 'webhook.deliver', status: 'pending' }).update({ run_at: '2000-01-01T00:00:00.000Z' });
    await drain();
  };
  const create = async (title: string) => {
    await t.engine.records.create(SYSTEM_ACTOR, 'deal', { title, amount: 1500.25 });
    await drain();
  };

  beforeAll(async () => {
    receiver = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const path = req.url ?? '/';
        const n = (counters.get(path) ?? 0) + 1;
        counters.set(path, n);
        let status = 200;
        if (path.startsWith('/flaky')) status = n <= 2 ? 500 : 200;
        else if (path.startsWith('/bad')) status = 400;
        else if (path.startsWith('/limited')) status = n === 1 ? 429 : 204;
        hits.push({ path, method: req.method ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), answered: status });
        if (status === 429) res.setHeader('Retry-After', '120');
        res.statusCode = status;
        res.end(status >= 400 ? `error ${status}` : '');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', () => resolve()));
    base = `127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    t = await testEngine(dialect);
    await publishForm(t.engine, deal);
  });

  afterAll(async () => {
    await t?.engine.close();
    await t?.drop();
    receiver.closeAllConnections();
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
  });

  beforeEach(() => {
    hits = [];
  });

  it('delivers a signed JSON body once after two 500s; the log shows 3 attempts, no secret', async () => {
    await publishWf(hookFlow('hook_flaky', {
      url: `http://hookuser:hookpass@${base}/flaky`,
      headers: { 'X-Custom': 'custom-value' },
      body: { title: { var: 'title' }, amount: { var: 'amount' }, doubled: { '*': [{ var: 'amount' }, 2] }, source: 'formwork' },
      secret: SECRET,
    }));
    await create('hook_flaky');

    // The node did not wait: the run is complete although the receiver failed.
    const run = (await t.engine.workflow.runtime.runs({ workflow: 'hook_flaky' }))[0]!;
    expect(run.status).toBe('completed');
    expect(hits).toHaveLength(1);
    expect(hits[0]!.answered).toBe(500);
    let [d] = await deliveriesOf('hook_flaky');
    expect(d.status).toBe('pending');
    expect(Number(d.attempts)).toBe(1);
    expect(Number(d.last_status_code)).toBe(500);
    const job = await jobOf(d.id);
    expect(job.status).toBe('pending');
    expect(job.run_at > new Date(Date.now() + 15_000).toISOString()).toBe(true); // backoff: about 30 s

    await retryNow();
    expect(hits).toHaveLength(2);
    await retryNow();
    expect(hits).toHaveLength(3);
    await retryNow(); // nothing left to do
    expect(hits).toHaveLength(3);

    const accepted = hits.filter((h) => h.answered === 200);
    expect(accepted).toHaveLength(1);
    const h = accepted[0]!;
    expect(h.method).toBe('POST');
    expect(h.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(h.headers['x-custom']).toBe('custom-value');
    expect(h.headers.authorization).toBe('Basic ' + Buffer.from('hookuser:hookpass').toString('base64'));
    // every attempt carries the same delivery id, for the receiver to deduplicate
    expect(new Set(hits.map((x) => x.headers['x-formwork-delivery']))).toEqual(new Set([d.id]));
    // the signature verifies: HMAC-SHA256(secret, timestamp + '.' + raw body)
    const ts = String(h.headers['x-formwork-timestamp']);
    expect(Math.abs(Number(ts) - Date.now() / 1000)).toBeLessThan(60);
    const expected = 'sha256=' + crypto.createHmac('sha256', SECRET).update(`${ts}.${h.body}`).digest('hex');
    expect(h.headers['x-formwork-signature']).toBe(expected);
    expect(crypto.timingSafeEqual(Buffer.from(String(h.headers['x-formwork-signature'])), Buffer.from(expected))).toBe(true);
    expect(JSON.parse(h.body)).toEqual({ title: 'hook_flaky', amount: 1500.25, doubled: 3000.5, source: 'formwork' });

    [d] = await deliveriesOf('hook_flaky');
    expect(d.status).toBe('succeeded');
    expect(Number(d.attempts)).toBe(3);
    expect(Number(d.last_status_code)).toBe(200);
    expect(d.last_error).toBeNull();
    expect(Number(d.body_size)).toBe(Buffer.byteLength(h.body));
    expect(d.url).toBe(`http://${base}/flaky`); // no credentials
    expect((await jobOf(d.id)).status).toBe('done');
    // the secret and the credentials are nowhere in the log, the queue or the history
    const stored = JSON.stringify([
      await knex()('fw_webhook_deliveries'), await knex()('fw_jobs').where({ kind: 'webhook.deliver' }), await knex()('fw_wf_history'),
    ]);
    expect(stored).not.toContain(SECRET);
    expect(stored).not.toContain('hookpass');
  });

  it('a 400 fails for good after one attempt', async () => {
    await publishWf(hookFlow('hook_bad', { url: `http://${base}/bad`, method: 'PUT', secret: SECRET }));
    await create('hook_bad');
    await retryNow();
    expect(hits).toHaveLength(1);
    expect(hits[0]!.method).toBe('PUT');
    // default body: the record
    expect(JSON.parse(hits[0]!.body)).toMatchObject({ title: 'hook_bad', amount: 1500.25 });
    const [d] = await deliveriesOf('hook_bad');
    expect(d.status).toBe('failed');
    expect(Number(d.attempts)).toBe(1);
    expect(Number(d.last_status_code)).toBe(400);
    expect(d.last_error).toContain('HTTP 400');
    const job = await jobOf(d.id);
    expect(job.status).toBe('failed');
    expect(Number(job.attempts)).toBe(1);
  });

  it('a 429 is retried after its Retry-After', async () => {
    // by host name: the connection resolves it through the link-local guard
    await publishWf(hookFlow('hook_limited', { url: `http://localhost:${base.split(':')[1]}/limited` }));
    const before = Date.now();
    await create('hook_limited');
    const [d] = await deliveriesOf('hook_limited');
    expect(d.status).toBe('pending');
    expect(Number(d.last_status_code)).toBe(429);
    const job = await jobOf(d.id);
    const due = Date.parse(job.run_at) - before;
    expect(due).toBeGreaterThanOrEqual(119_000);
    expect(due).toBeLessThan(125_000);
    expect(hits[0]!.headers['x-formwork-signature']).toBeUndefined(); // no secret, no signature
    await retryNow();
    const [after] = await deliveriesOf('hook_limited');
    expect(after.status).toBe('succeeded');
    expect(Number(after.attempts)).toBe(2);
    expect(Number(after.last_status_code)).toBe(204);
  });

  it('gives up after maxAttempts; a dead receiver counts as a retryable error', async () => {
    // a port nobody listens on
    const dead = http.createServer();
    await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', () => resolve()));
    const port = (dead.address() as AddressInfo).port;
    await new Promise<void>((resolve) => dead.close(() => resolve()));
    await publishWf(hookFlow('hook_dead', { url: `http://127.0.0.1:${port}/x`, maxAttempts: 2, timeoutMs: 2000 }));
    await create('hook_dead');
    let [d] = await deliveriesOf('hook_dead');
    expect(d.status).toBe('pending');
    expect(d.last_error).toMatch(/ECONNREFUSED/);
    await retryNow();
    [d] = await deliveriesOf('hook_dead');
    expect(d.status).toBe('failed');
    expect(Number(d.attempts)).toBe(2);
    expect((await jobOf(d.id)).status).toBe('failed');
  });

  it('refuses link-local URLs, bad schemes and reserved headers when the workflow is published', async () => {
    await expect(publishWf(hookFlow('hook_meta', { url: 'http://169.254.169.254/latest/meta-data/' }))).rejects.toBeInstanceOf(AppError);
    await expect(publishWf(hookFlow('hook_ftp', { url: 'ftp://example.com/x' }))).rejects.toBeInstanceOf(AppError);
    await expect(publishWf(hookFlow('hook_host', { url: `http://${base}/x`, headers: { Host: 'evil' } }))).rejects.toBeInstanceOf(AppError);
    await expect(publishWf(hookFlow('hook_len', { url: `http://${base}/x`, headers: { 'content-length': '1' } }))).rejects.toBeInstanceOf(AppError);
    await expect(publishWf(hookFlow('hook_get', { url: `http://${base}/x`, method: 'GET' }))).rejects.toBeInstanceOf(AppError);
  });

  it('lists deliveries to administrators only (GET /api/webhook-deliveries?workflow=)', async () => {
    const admin: Actor = { userId: 1, username: 'admin', roles: ['admin'], departmentId: null, isAdmin: true };
    const clerk: Actor = { userId: 2, username: 'clerk', roles: ['clerk'], departmentId: null, isAdmin: false };
    let as: Actor = admin;
    const app = express();
    app.use((req, _res, next) => {
      (req as any).actor = as;
      next();
    });
    app.use('/api/webhook-deliveries', webhookDeliveriesRouter(t.engine));
    app.use(errorHandler(createLogger('off')));
    const server = await new Promise<http.Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/webhook-deliveries`;
    try {
      let res = await fetch(`${url}?workflow=hook_flaky`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as { items: any[] };
      expect(body.items).toHaveLength(1);
      const item = body.items[0];
      expect(item).toMatchObject({ workflow: 'hook_flaky', nodeId: 'hook', status: 'succeeded', attempts: 3, lastStatusCode: 200, url: `http://${base}/flaky`, method: 'POST' });
      expect(typeof item.instanceId).toBe('number');
      expect(JSON.stringify(body)).not.toContain(SECRET);
      res = await fetch(`${url}/${item.id}`);
      expect(res.status).toBe(200);
      expect(((await res.json()) as any).id).toBe(item.id);
      res = await fetch(`${url}?status=failed`);
      expect(((await res.json()) as any).items.map((i: any) => i.workflow).sort()).toEqual(['hook_bad', 'hook_dead']);
      expect((await fetch(`${url}?status=nope`)).status).toBe(400);
      expect((await fetch(`${url}/00000000-0000-4000-8000-000000000000`)).status).toBe(404);
      as = clerk;
      expect((await fetch(url)).status).toBe(403);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
