/**
 * Workflow email over real SMTP, on SQLite and PostgreSQL: a notify node with `email: true`
 * enqueues `notify.email` jobs that the job runner sends through nodemailer to an SMTP server
 * (smtp-server on loopback). Bilingual title/body (zh-CN first), handlebars over the record,
 * the user's address from fw_users.email, a temporary rejection retried, a permanent one not.
 */
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SMTPServer } from 'smtp-server';
import { DIALECTS } from '../helpers/db.js';
import { testEngine, publishForm, type TestEngine } from '../helpers/engine.js';
import { SYSTEM_ACTOR } from '../../src/auth/actor.js';
import { AppError } from '../../src/errors.js';
import { configureMail, renderLocalized } from '../../src/workflow/email.js';
import type { WorkflowDef } from '../../src/workflow/types.js';

interface Received {
  from: string;
  to: string[];
  raw: string;
}

/** Decode RFC 2047 encoded words (=?UTF-8?B?…?= / ?Q?), joining adjacent ones. */
function decodeWords(s: string): string {
  return s
    .replace(/(=\?[^?]+\?[BbQq]\?[^?]*\?=)\s+(?==\?)/g, '$1')
    .replace(/((?:=\?[^?]+\?[BbQq]\?[^?]*\?=)+)/g, (run) => {
      const bytes: Buffer[] = [];
      for (const m of run.matchAll(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g)) {
        if (m[2]!.toUpperCase() === 'B') bytes.push(Buffer.from(m[3]!, 'base64'));
        else bytes.push(qpBytes(m[3]!.replace(/_/g, ' ')));
      }
      return Buffer.concat(bytes).toString('utf8');
    });
}

function qpBytes(s: string): Buffer {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(s.slice(i + 1, i + 3))) {
      out.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else out.push(...Buffer.from(s[i]!, 'utf8'));
  }
  return Buffer.from(out);
}

/** Just enough MIME for a single-part text message: unfolded headers, decoded subject and body. */
function parseMail(raw: string): { headers: Record<string, string>; subject: string; text: string } {
  const split = raw.indexOf('\r\n\r\n');
  const head = raw.slice(0, split).replace(/\r\n[ \t]+/g, ' ');
  const bodyRaw = raw.slice(split + 4);
  const headers: Record<string, string> = {};
  for (const line of head.split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  const cte = (headers['content-transfer-encoding'] ?? '7bit').toLowerCase();
  let text: string;
  if (cte === 'base64') text = Buffer.from(bodyRaw.replace(/\s+/g, ''), 'base64').toString('utf8');
  else if (cte === 'quoted-printable') text = qpBytes(bodyRaw.replace(/=\r\n/g, '')).toString('utf8');
  else text = bodyRaw;
  return { headers, subject: decodeWords(headers.subject ?? ''), text: text.replace(/\r\n/g, '\n').replace(/\n$/, '') };
}

const deal = {
  key: 'deal',
  label: 'Deal',
  fields: [
    { id: 'd_title', key: 'title', type: 'text', label: 'Title' },
    { id: 'd_amount', key: 'amount', type: 'money', label: 'Amount' },
  ],
};

function mailFlow(key: string, to: number[], notify: Record<string, unknown>): WorkflowDef {
  return {
    key, label: key,
    trigger: { type: 'record_created', form: 'deal', condition: { '==': [{ var: 'title' }, key] } },
    nodes: [
      { id: 'start', type: 'start' },
      { id: 'mail', type: 'notify', config: { to: [{ type: 'user', users: to }], email: true, ...notify } },
      { id: 'done', type: 'end' },
    ],
    edges: [
      { id: 'e1', source: 'start', target: 'mail' },
      { id: 'e2', source: 'mail', target: 'done' },
    ],
  };
}

describe('renderLocalized', () => {
  it('renders a string, one language, or both (zh-CN first)', () => {
    const data = { record: { title: 'A' } };
    expect(renderLocalized('x {{record.title}}', data, ' / ')).toBe('x A');
    expect(renderLocalized({ en: 'New {{record.title}}' }, data, ' / ')).toBe('New A');
    expect(renderLocalized({ en: 'New {{record.title}}', 'zh-CN': '新 {{record.title}}' }, data, ' / ')).toBe('新 A / New A');
  });
});

describe.each(DIALECTS)('workflow email over SMTP on %s', (dialect) => {
  let t: TestEngine;
  let smtp: SMTPServer;
  let received: Received[] = [];
  /** The next N RCPT TO commands are answered with this error. */
  let rejectRcpt: { times: number; code: number; message: string } = { times: 0, code: 0, message: '' };
  let alice: number; // has an address
  let bob: number; // has none

  const publishWf = async (wf: WorkflowDef) => {
    await t.engine.docs.saveDraft('workflows', wf.key, wf);
    return t.engine.docs.publish('workflows', wf.key);
  };
  const drain = () => t.engine.workflow.drain();
  const emailJobs = async () => t.engine.db.knex('fw_jobs').where({ kind: 'notify.email' }).orderBy('id');
  /** Make the pending email jobs due now (instead of waiting out the backoff). */
  const makeDue = () => t.engine.db.knex('fw_jobs').where({ kind: 'notify.email', status: 'pending' }).update({ run_at: '2000-01-01T00:00:00.000Z' });

  beforeAll(async () => {
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onRcptTo(address, _session, cb) {
        if (rejectRcpt.times > 0) {
          rejectRcpt.times--;
          const err = new Error(rejectRcpt.message) as Error & { responseCode: number };
          err.responseCode = rejectRcpt.code;
          return cb(err);
        }
        cb();
      },
      onData(stream, session, cb) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          received.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            raw: Buffer.concat(chunks).toString('utf8'),
          });
          cb();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', () => resolve()));
    const port = (smtp.server.address() as AddressInfo).port;

    t = await testEngine(dialect);
    configureMail(t.engine.workflow.jobs, { url: `smtp://127.0.0.1:${port}`, from: 'Formwork <noreply@formwork.test>' });
    await publishForm(t.engine, deal);
    alice = (await t.engine.users.create({ username: 'alice', displayName: '王丽', email: 'alice@example.com' })).id;
    bob = (await t.engine.users.create({ username: 'bob' })).id;
  });

  afterAll(async () => {
    await t?.engine.close();
    await t?.drop();
    await new Promise<void>((resolve) => smtp.close(() => resolve()));
  });

  beforeEach(() => {
    received = [];
    rejectRcpt = { times: 0, code: 0, message: '' };
  });

  it('users have an e-mail address (create / update, validated)', async () => {
    expect((await t.engine.users.get(alice)).email).toBe('alice@example.com');
    expect((await t.engine.users.get(bob)).email).toBeNull();
    const u = await t.engine.users.create({ username: 'carol', email: 'carol@example.com' });
    expect((await t.engine.users.update(u.id, { email: 'carol@new.example.com' })).email).toBe('carol@new.example.com');
    expect((await t.engine.users.update(u.id, { email: null })).email).toBeNull();
    await expect(t.engine.users.update(u.id, { email: 'not an address' })).rejects.toBeInstanceOf(AppError);
    await expect(t.engine.users.create({ username: 'dave', email: 'dave@' })).rejects.toBeInstanceOf(AppError);
  });

  it('sends the bilingual, rendered notification to the user address through SMTP', async () => {
    await publishWf(mailFlow('mail_basic', [alice, bob], {
      title: { 'zh-CN': '新商机：{{record.title}}', en: 'New deal: {{record.title}}' },
      body: { 'zh-CN': '金额 {{yuan record.amount}}，请跟进。', en: 'Amount {{record.amount}}, please follow up.' },
    }));
    await t.engine.records.create(SYSTEM_ACTOR, 'deal', { title: 'mail_basic', amount: 1234.5 });
    await drain();

    expect(received).toHaveLength(1); // bob has no address: nothing for him
    const m = received[0]!;
    expect(m.to).toEqual(['alice@example.com']);
    expect(m.from).toBe('noreply@formwork.test');
    const mail = parseMail(m.raw);
    expect(mail.headers.subject).toMatch(/=\?UTF-8\?[BQ]\?/i); // non-ASCII subjects are encoded…
    expect(mail.subject).toBe('新商机：mail_basic / New deal: mail_basic'); // …and decode to both languages, zh-CN first
    expect(mail.text).toBe('金额 ¥1,234.50，请跟进。\n\nAmount 1234.5, please follow up.');
    expect(mail.headers.to).toBe('alice@example.com');
    expect(mail.headers['message-id']).toMatch(/^<formwork\.job-\d+\.\d+@formwork\.test>$/);

    // in-app notifications for both, the email jobs done (bob's: nothing to send, not an error)
    const notes = await t.engine.db.knex('fw_notifications').whereIn('user_id', [alice, bob]).where('title', 'like', '%mail_basic%');
    expect(notes).toHaveLength(2);
    expect(notes[0].title).toBe('新商机：mail_basic / New deal: mail_basic');
    const jobs = await emailJobs();
    expect(jobs.map((j: any) => j.status)).toEqual(['done', 'done']);
  });

  it('a plain-string title and body are sent as they are', async () => {
    await publishWf(mailFlow('mail_plain', [alice], { title: 'Deal {{record.title}}', body: 'Plain body' }));
    await t.engine.records.create(SYSTEM_ACTOR, 'deal', { title: 'mail_plain', amount: 1 });
    await drain();
    expect(received).toHaveLength(1);
    const mail = parseMail(received[0]!.raw);
    expect(mail.subject).toBe('Deal mail_plain');
    expect(mail.text).toBe('Plain body');
  });

  it('retries a temporary SMTP failure; the message arrives later', async () => {
    await publishWf(mailFlow('mail_retry', [alice], { title: { 'zh-CN': '重试 {{record.title}}', en: 'Retry {{record.title}}' } }));
    rejectRcpt = { times: 1, code: 451, message: 'Try again later' };
    const before = (await emailJobs()).length;
    await t.engine.records.create(SYSTEM_ACTOR, 'deal', { title: 'mail_retry', amount: 1 });
    await drain();

    expect(received).toHaveLength(0);
    let job = (await emailJobs())[before]!;
    expect(job.status).toBe('pending'); // waiting out its backoff
    expect(Number(job.attempts)).toBe(1);
    expect(job.last_error).toMatch(/451/);
    expect(job.run_at > new Date().toISOString()).toBe(true);

    await makeDue();
    await drain();
    expect(received).toHaveLength(1);
    expect(received[0]!.to).toEqual(['alice@example.com']);
    expect(parseMail(received[0]!.raw).subject).toBe('重试 mail_retry / Retry mail_retry');
    job = (await emailJobs())[before]!;
    expect(job.status).toBe('done');
    expect(Number(job.attempts)).toBe(2);
  });

  it('a permanent rejection (5xx) fails the job without retrying', async () => {
    await publishWf(mailFlow('mail_reject', [alice], { title: 'Rejected {{record.title}}' }));
    rejectRcpt = { times: 1, code: 550, message: 'No such mailbox' };
    const before = (await emailJobs()).length;
    await t.engine.records.create(SYSTEM_ACTOR, 'deal', { title: 'mail_reject', amount: 1 });
    await drain();
    expect(received).toHaveLength(0);
    const job = (await emailJobs())[before]!;
    expect(job.status).toBe('failed');
    expect(Number(job.attempts)).toBe(1);
    expect(job.last_error).toMatch(/550/);
  });

  it('the notify node schema accepts {zh-CN, en} and rejects other shapes', async () => {
    const bad = mailFlow('mail_bad', [alice], { title: { fr: 'Bonjour' } });
    await expect(publishWf(bad)).rejects.toBeInstanceOf(AppError);
  });
});
