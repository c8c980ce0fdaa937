/**
 * Chaos, bounded for CI: two `formwork serve` processes on one PostgreSQL database behind the
 * round-robin proxy of bench/lib/cluster.js, mixed load through the proxy (bench/lib/mixed-load.js:
 * creates, reads, updates with _version, filtered lists, report runs, expenses whose approval
 * tasks an approver completes), one process killed with SIGKILL mid-load and restarted, a form
 * revision published on one process and used through the other during the load. Then:
 *
 *  - every acknowledged (2xx) create is present, at least at its acknowledged _version (and with
 *    the acknowledged values when at that version);
 *  - every workflow effect happened exactly once: one `effect` record per ticket (record_created
 *    → wait 0 min, a durable job → create_record) and one per approved expense (approval →
 *    create_record), none for anything else; one workflow instance per record;
 *  - every approval task decided at most once, every acknowledged completion done;
 *  - the clients saw no error but those the proxy's retry rule documents: a POST/PATCH in flight
 *    on the killed process is answered 502 `upstream-cut` (never a 2xx, so never acknowledged),
 *    and a later 409 on that same record or task follows from it; refused connections and reset
 *    idempotent requests were retried on the other process, invisibly;
 *  - no read answered an older _version than one already acknowledged.
 *
 * PostgreSQL only (SQLite is the single-process deployment). Runs the BUILT engine (engine/dist;
 * `npm test` builds it first). About 50 s; bench/chaos.js is the long form.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from '../helpers/process.js';
// Plain ESM shared with the benchmark scripts.
// @ts-ignore -- JavaScript without declarations
import { runChaos } from '../../../bench/chaos.js';
// @ts-ignore -- JavaScript without declarations
import { startProxy } from '../../../bench/lib/cluster.js';

/** A stand-in upstream: 'ok' answers 200/201 and logs what it saw; 'cut' reads the request, then destroys the connection. */
async function upstream(name: string, mode: 'ok' | 'cut') {
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      seen.push(`${req.method} ${req.url} ${body}`);
      if (mode === 'cut') return req.socket.destroy();
      res.writeHead(req.method === 'POST' ? 201 : 200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ by: name, body }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { name, url, seen, close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))) };
}

/** A port nobody listens on (connections are refused). */
async function refusedUrl(): Promise<string> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return `http://127.0.0.1:${port}`;
}

describe("the cluster proxy's retry rule", () => {
  it('retries a refused connection for any method, a cut idempotent request on the other upstream, and never a cut POST or PATCH', async () => {
    const good = await upstream('good', 'ok');
    const cutter = await upstream('cutter', 'cut');
    const dead = { name: 'dead', url: await refusedUrl() };
    const send = async (proxyUrl: string, method: string, body?: string) => {
      const r = await fetch(proxyUrl + '/api/x', { method, body, headers: body ? { 'content-type': 'application/json' } : {} });
      return { status: r.status, via: r.headers.get('x-formwork-upstream'), proxy: r.headers.get('x-formwork-proxy'), text: await r.text() };
    };
    try {
      // Refused: never reached a server, so even a POST goes to the other upstream (the first try is always the first upstream).
      let p = await startProxy([dead, good]);
      expect(await send(p.url, 'POST', '{"n":1}')).toMatchObject({ status: 201, via: 'good' });
      expect(good.seen).toEqual(['POST /api/x {"n":1}']);
      expect(p.stats.retried.refused).toBe(1);
      // …and the dead upstream is skipped for a while: the next request goes straight to the good one.
      expect(await send(p.url, 'POST', '{"n":2}')).toMatchObject({ status: 201, via: 'good' });
      expect(p.stats.retried.refused).toBe(1);
      await p.close();

      // Cut after the request was sent: GET and PUT are retried on the other upstream …
      for (const method of ['GET', 'PUT']) {
        p = await startProxy([cutter, good]);
        expect(await send(p.url, method, method === 'PUT' ? '{}' : undefined)).toMatchObject({ status: 200, via: 'good' });
        expect(p.stats.retried.reset).toBe(1);
        await p.close();
      }
      // … POST and PATCH are not: 502 upstream-cut, and the other upstream never sees them.
      good.seen.length = 0;
      cutter.seen.length = 0;
      for (const method of ['POST', 'PATCH']) {
        p = await startProxy([cutter, good]);
        const r = await send(p.url, method, '{"once":true}');
        expect(r).toMatchObject({ status: 502, via: 'cutter', proxy: 'upstream-cut' });
        expect(JSON.parse(r.text).error.code).toBe('internal');
        expect(p.stats.cut).toBe(1);
        await p.close();
      }
      expect(cutter.seen).toEqual(['POST /api/x {"once":true}', 'PATCH /api/x {"once":true}']);
      expect(good.seen).toEqual([]);
    } finally {
      await good.close();
      await cutter.close();
    }
  });
});

describe('chaos: two processes behind a proxy, kill -9 mid-load (PostgreSQL)', () => {
  it('loses no acknowledged write, runs every workflow effect exactly once, and shows clients only the documented errors', async () => {
    expect(fs.existsSync(path.join(REPO, 'engine/dist/cli.js')), 'build the engine first (npm run build -w engine)').toBe(true);
    const lines: string[] = [];
    const r = await runChaos({ seconds: 22, everyS: 7, downS: 2, kills: 1, clients: 6, approvers: 2, log: (s: string) => lines.push(s), drainTimeoutMs: 60_000 });
    const context = JSON.stringify({ events: r.events, proxy: r.proxy, unexplained: r.unexplained.slice(0, 10), drain: r.drain, log: lines.slice(-20) }, null, 1).slice(0, 4000);

    // The kill happened mid-load, and the load went on through both processes afterwards.
    expect(r.kills, context).toBe(1);
    expect(r.events[0].event).toBe('kill -9 B');
    expect(r.events[0].acknowledgedSoFar).toBeGreaterThan(20);
    expect(r.events[1].acknowledgedWhileDown, context).toBeGreaterThan(0); // the survivor carried the load alone
    expect(r.afterRestart.acknowledged, context).toBeGreaterThan(20);
    expect(r.afterRestart.servedByRestarted, context).toBeGreaterThan(0);
    // The proxy's rule was exercised: connections to the dead process refused and retried elsewhere.
    expect(r.proxy.retried.refused, context).toBeGreaterThan(0);

    // Writes of every kind were acknowledged.
    for (const k of ['create', 'read', 'update', 'list', 'report', 'expense', 'complete']) expect(r.requests.byKind[k].ok, k).toBeGreaterThan(0);

    // The workflows caught up (a job the dead process had claimed comes back after its lease).
    expect(r.drain.error, context).toBeNull();

    // Nothing acknowledged was lost; nothing happened twice.
    expect(r.violations.missingTickets).toEqual([]);
    expect(r.violations.olderTickets).toEqual([]);
    expect(r.violations.changedTickets).toEqual([]);
    expect(r.violations.missingExpenses).toEqual([]);
    expect(r.violations.ticketEffects).toEqual([]);
    expect(r.violations.approvalEffects).toEqual([]);
    expect(r.violations.orphanEffects).toEqual([]);
    expect(r.violations.instancesPerRecord).toEqual([]);
    expect(r.violations.tasksTwice).toEqual([]);
    expect(r.violations.completionsNotDone).toEqual([]);
    expect(r.counts.tickets).toBeGreaterThanOrEqual(r.counts.acknowledgedTickets);
    expect(r.counts.effects).toBe(r.counts.tickets + r.counts.approved);
    expect(r.counts.approved).toBeGreaterThanOrEqual(r.counts.acknowledgedCompletions);
    expect(r.staleReads).toEqual([]);

    // Errors through the proxy: only the documented ones.
    expect(r.unexplained, context).toEqual([]);
    for (const e of r.explainedSamples) expect(e.why).toMatch(/^upstream-cut|^conflict after a cut/);
    const cutByKind = Object.entries(r.cut as Record<string, number>).filter(([, n]) => n > 0).map(([k]) => k);
    for (const k of cutByKind) expect(['create', 'update', 'report', 'expense', 'complete'], `a ${k} cut: only non-idempotent requests may be`).toContain(k);
    expect(r.explained).toBeLessThanOrEqual(2 * r.proxy.cut);

    // A form revision published on one process was used through the other during the load.
    expect(r.metadata.publishedOn).not.toBe(r.metadata.writtenOn);
    expect(r.metadata.stored).toEqual({ id: r.metadata.record, extra: r.metadata.value });

    expect(r.ok, context).toBe(true);
    console.info(
      `[chaos] ${r.requests.acknowledged} acknowledged requests in ${r.loadSeconds.toFixed(0)} s; proxy retried ${r.proxy.retried.refused} refused + ${r.proxy.retried.reset} reset, ` +
        `cut ${r.proxy.cut}; ${r.counts.tickets} tickets, ${r.counts.effects} effects; drain ${(r.drain.ms / 1000).toFixed(1)} s; metadata seen after ${r.metadata.seenAfterMs} ms`,
    );
  }, 180_000);
});
