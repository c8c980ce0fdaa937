/**
 * Scheduled dashboard summaries by e-mail, over real SMTP (smtp-server on loopback), on SQLite and
 * PostgreSQL: one durable job per delivery at its next local fire time; each recipient gets the
 * dashboard run as them; a job that runs twice queues each mail once; changing a delivery moves
 * its job.
 */
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SMTPServer } from 'smtp-server';
import { DIALECTS } from '../helpers/db.js';
import { publishForm, testEngine, type TestEngine } from '../helpers/engine.js';
import { SYSTEM_ACTOR } from '../../src/auth/actor.js';
import { configureMail } from '../../src/workflow/email.js';
import { DELIVERY_JOB, deliveryCron, nextDeliveryTime, renderSummary } from '../../src/reports/delivery.js';

interface Mail {
  to: string[];
  raw: string;
}

/** The decoded text of every MIME part of a message (quoted-printable or base64), joined. */
function decodedParts(raw: string): string {
  const out: string[] = [];
  for (const part of raw.split(/\r\n--[^\r\n]+\r\n/)) {
    const split = part.indexOf('\r\n\r\n');
    if (split < 0) continue;
    const head = part.slice(0, split).toLowerCase();
    const body = part.slice(split + 4).replace(/\r\n--[^\r\n]+--\s*$/, '');
    if (head.includes('content-transfer-encoding: base64')) out.push(Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8'));
    else if (head.includes('content-transfer-encoding: quoted-printable')) {
      const bytes: number[] = [];
      const s = body.replace(/=\r\n/g, '');
      for (let i = 0; i < s.length; i++) {
        if (s[i] === '=' && /^[0-9A-F]{2}$/i.test(s.slice(i + 1, i + 3))) {
          bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
          i += 2;
        } else bytes.push(...Buffer.from(s[i]!, 'utf8'));
      }
      out.push(Buffer.from(bytes).toString('utf8'));
    } else out.push(body);
  }
  return out.join('\n');
}

describe('delivery schedule', () => {
  it('turns frequencies into cron and local fire times', () => {
    expect(deliveryCron({ frequency: 'daily', at: '08:05' })).toBe('5 8 * * *');
    expect(deliveryCron({ frequency: 'weekly', day: 7, at: '09:30' })).toBe('30 9 * * 0');
    expect(deliveryCron({ frequency: 'monthly', day: 1 })).toBe('0 8 1 * *');
    // 08:00 in Shanghai is 00:00 UTC.
    expect(nextDeliveryTime('0 8 * * *', 'Asia/Shanghai', new Date('2026-06-15T00:30:00Z')).toISOString()).toBe('2026-06-16T00:00:00.000Z');
    expect(nextDeliveryTime('0 8 1 * *', 'Asia/Shanghai', new Date('2026-06-15T00:30:00Z')).toISOString()).toBe('2026-07-01T00:00:00.000Z');
  });

  it('renders tables with option labels, money and totals, escaping HTML', () => {
    const { html, text } = renderSummary('销售 <日报>', [{
      title: '按状态',
      run: {
        id: 'w', report: 'r',
        result: {
          key: 'r', label: 'r', category: 'custom', type: 'table', params: {},
          columns: [{ key: 's', label: '状态', type: 'select', kind: 'dimension', options: [{ key: 'done', label: '完成' }] }, { key: 'a', label: '金额', type: 'money', kind: 'measure' }],
          rows: [{ s: 'done', a: 1234.5 }], totals: { s: null, a: 1234.5 },
        },
      },
    }], 'zh-CN');
    expect(html).toContain('销售 &lt;日报&gt;');
    expect(html).toContain('<td>完成</td><td>¥1,234.50</td>');
    expect(text).toContain('合计\t¥1,234.50');
  });
});

describe.each(DIALECTS)('dashboard deliveries on %s', (dialect) => {
  let t: TestEngine;
  let smtp: SMTPServer;
  const inbox: Mail[] = [];
  const ids: Record<string, number> = {};

  const pending = () => t.engine.db.knex('fw_jobs').where({ kind: DELIVERY_JOB, status: 'pending' }).select('idempotency_key', 'run_at');
  const publishDashboard = async (deliveries: unknown[]) => {
    const doc = {
      key: 'daily', label: { 'zh-CN': '销售日报', en: 'Daily sales' },
      widgets: [{ id: 'by_status', report: 'deals_by_status', layout: { x: 0, y: 0, w: 24, h: 6 } }],
      deliveries,
    };
    await t.engine.docs.saveDraft('dashboards', 'daily', doc);
    await t.engine.docs.publish('dashboards', 'daily');
  };

  beforeAll(async () => {
    smtp = new SMTPServer({
      authOptional: true, disabledCommands: ['STARTTLS'],
      onData(stream, session, cb) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          inbox.push({ to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString('utf8') });
          cb();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', () => resolve()));
    t = await testEngine(dialect);
    configureMail(t.engine.workflow.jobs, { url: `smtp://127.0.0.1:${(smtp.server.address() as AddressInfo).port}`, from: 'Formwork <formwork@dealer.test>' });
    await publishForm(t.engine, {
      key: 'deal', label: '交易',
      fields: [
        { key: 'title', type: 'text', label: '标题' },
        { key: 'amount', type: 'money', label: '金额' },
        { key: 'status', type: 'select', label: '状态', options: [{ key: 'open', label: '进行中' }, { key: 'won', label: '成交' }] },
      ],
    });
    for (const role of [
      { key: 'boss', label: '老板', permissions: [{ form: 'deal', actions: ['read'] }] },
      { key: 'seller', label: '销售', permissions: [{ form: 'deal', actions: ['read', 'create'], rows: 'own' }] },
    ]) {
      await t.engine.docs.saveDraft('roles', role.key, role);
      await t.engine.docs.publish('roles', role.key);
    }
    for (const [username, roles, email] of [['boss', ['boss'], 'boss@dealer.test'], ['sue', ['seller'], 'sue@dealer.test'], ['nomail', ['boss'], null], ['gone', ['boss'], 'gone@dealer.test']] as const) {
      const u = await t.engine.users.create({ username, password: 'password-123456', displayName: username, roles: [...roles], email } as any);
      ids[username] = u.id;
    }
    await t.engine.users.update(ids.gone!, { disabled: true } as any);
    for (const [title, amount, status, owner] of [['a', 100, 'won', 'sue'], ['b', 250.5, 'won', 'boss'], ['c', 999, 'open', 'boss']] as const) {
      await t.engine.records.create(SYSTEM_ACTOR, 'deal', { title, amount, status }, { owner: ids[owner] });
    }
    await t.engine.docs.saveDraft('reports', 'deals_by_status', {
      key: 'deals_by_status', label: '按状态', category: 'operations', source: 'deal',
      dimensions: [{ key: 'status', field: 'status' }], measures: [{ key: 'n', op: 'count', label: '笔数' }, { key: 'amount', op: 'sum', field: 'amount', label: '金额' }],
      totals: true,
    });
    await t.engine.docs.publish('reports', 'deals_by_status');
  });
  afterAll(async () => {
    await t?.drop();
    await new Promise<void>((resolve) => smtp.close(() => resolve()));
  });

  it('keeps one job per delivery at its next local fire time, and moves it when the delivery changes', async () => {
    await publishDashboard([{ frequency: 'daily', at: '08:00', roles: ['boss', 'seller'] }]);
    let jobs = await pending();
    expect(jobs).toHaveLength(1);
    const next = nextDeliveryTime('0 8 * * *', 'Asia/Shanghai', new Date());
    expect(new Date(jobs[0].run_at).toISOString()).toBe(next.toISOString());
    expect(next.getUTCHours()).toBe(0);
    // Publishing again (a label change) and reconciling again change nothing.
    await publishDashboard([{ frequency: 'daily', at: '08:00', roles: ['boss', 'seller'] }]);
    await t.engine.deliveries.reconcile();
    expect(await pending()).toEqual(jobs);
    // Weekly on Mondays instead: the daily job is cancelled, a Monday one waits.
    await publishDashboard([{ frequency: 'weekly', day: 1, at: '08:00', roles: ['boss', 'seller'] }]);
    jobs = await pending();
    expect(jobs).toHaveLength(1);
    const monday = new Date(new Date(jobs[0].run_at).getTime() + 8 * 3600_000);
    expect(monday.getUTCDay()).toBe(1);
    expect(await t.engine.db.knex('fw_jobs').where({ kind: DELIVERY_JOB, status: 'cancelled' }).count({ n: '*' }).first()).toMatchObject({ n: expect.anything() });
  });

  it('sends each recipient the dashboard as they may see it, once', async () => {
    // Due now.
    await t.engine.db.knex('fw_jobs').where({ kind: DELIVERY_JOB, status: 'pending' }).update({ run_at: new Date(Date.now() - 60_000).toISOString() });
    await t.engine.workflow.drain();
    const to = inbox.map((m) => m.to.join(',')).sort();
    expect(to).toEqual(['boss@dealer.test', 'sue@dealer.test']);
    const boss = decodedParts(inbox.find((m) => m.to[0] === 'boss@dealer.test')!.raw);
    const sue = decodedParts(inbox.find((m) => m.to[0] === 'sue@dealer.test')!.raw);
    expect(boss).toContain('<td>成交</td><td>2</td><td>¥350.50</td>');
    expect(boss).toContain('<td>进行中</td><td>1</td><td>¥999.00</td>');
    expect(boss).toContain('合计\t3\t¥1,349.50');
    expect(sue).toContain('<td>成交</td><td>1</td><td>¥100.00</td>');
    expect(sue).not.toContain('进行中');
    expect(inbox[0]!.raw).toMatch(/multipart\/alternative/);
    // The next one waits, in the future.
    const jobs = await pending();
    expect(jobs).toHaveLength(1);
    expect(new Date(jobs[0].run_at).getTime()).toBeGreaterThan(Date.now());

    // The same delivery job run again (an at-least-once retry) queues no second mail.
    const done = await t.engine.db.knex('fw_jobs').where({ kind: DELIVERY_JOB, status: 'done' }).first();
    await t.engine.db.knex('fw_jobs').where({ id: done.id }).update({ status: 'pending', run_at: new Date(Date.now() - 1000).toISOString() });
    await t.engine.workflow.drain();
    expect(inbox).toHaveLength(2);
  });
});
