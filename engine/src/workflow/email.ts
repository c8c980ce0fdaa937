/**
 * Email through SMTP (nodemailer), as a durable job: the notify node (`email: true`) enqueues one
 * `notify.email` job per user, inside the runtime's transaction; the job runner sends it.
 *
 *  - External job (jobs.ts): sent outside any transaction, marked done afterwards, so delivery is
 *    AT-LEAST-ONCE: a crash between the SMTP "250 OK" and the done mark sends the mail again.
 *    Every attempt of one job carries the same Message-ID (`<formwork.job-N.…@host>`), which
 *    mail clients and many servers use to drop the duplicate.
 *  - Retries: a temporary SMTP failure (4xx, connection refused, timeout…) throws, and the queue
 *    retries with exponential backoff up to the job's max attempts (5). A permanent rejection of
 *    the envelope or the message (5xx to RCPT/DATA) fails the job at once.
 *  - Recipient: the user's `fw_users.email`, read when the job runs (an address changed
 *    meanwhile is honoured); a user without an address, or disabled, gets no mail (not an error).
 *  - Configuration: FORMWORK_SMTP_URL (smtp://user:pass@host:port, smtps://… for TLS; nodemailer
 *    URL options such as `?ignoreTLS=true` are accepted) and FORMWORK_MAIL_FROM, read when a job
 *    runs; `registerEmail(…, settings)` or `configureMail(jobs, settings)` override them (tests).
 *    Without a URL mail is skipped (and logged), never retried forever.
 *
 * Bilingual text: a notify node's `title` / `body` may be a string or `{ 'zh-CN', en }`. Users
 * have no language setting yet, so both are sent when both are given, zh-CN first
 * (`renderLocalized`).
 */
import nodemailer, { type Transporter } from 'nodemailer';
import type { Db } from '../store/connection.js';
import { JobError, type JobQueue } from './jobs.js';
import type { Logger } from '../http/logger.js';
import { renderText } from '../render/template.js';

export interface MailSettings {
  /** smtp://user:pass@host:port or smtps://…; nothing configured = mail skipped. */
  url?: string;
  /** The From address; default formwork@localhost. */
  from?: string;
}

/** FORMWORK_SMTP_URL and FORMWORK_MAIL_FROM, as they are now. */
export function envMailSettings(): MailSettings {
  return { url: process.env.FORMWORK_SMTP_URL || undefined, from: process.env.FORMWORK_MAIL_FROM || undefined };
}

/** Settings given to registerEmail / configureMail, per job queue (an engine). */
const configured = new WeakMap<JobQueue, MailSettings>();

/** Replace the mail settings of an engine's job queue (tests, or settings loaded at start-up). */
export function configureMail(jobs: JobQueue, settings: MailSettings): void {
  configured.set(jobs, { ...settings });
}

/** The `notify.email` job payload (no secrets: it is a stored row). */
export interface EmailJobPayload {
  /** Write to this user's address (read when the job runs)… */
  user?: number;
  /** …or to this address. */
  to?: string;
  title: string;
  body?: string;
  /** An HTML alternative of the body (a dashboard summary); the text body stays. */
  html?: string;
}

// Deliberately loose: one @, no spaces or angle brackets, a dot in the domain. SMTP decides the rest.
const ADDRESS_RE = /^[^\s@<>()",;]+@[^\s@<>()",;]+\.[^\s@<>()",;]+$/;

export function isEmailAddress(s: unknown): s is string {
  return typeof s === 'string' && s.length <= 254 && ADDRESS_RE.test(s);
}

/** SMTP failures that another attempt will not fix: a 5xx rejection of the envelope or the message. */
function permanentSmtpError(e: unknown): boolean {
  const err = e as { code?: string; responseCode?: number };
  return (err?.code === 'EENVELOPE' || err?.code === 'EMESSAGE') && typeof err.responseCode === 'number' && err.responseCode >= 500 && err.responseCode < 600;
}

export function registerEmail(db: Db, jobs: JobQueue, logger: Logger, settings?: MailSettings): void {
  if (settings) configureMail(jobs, settings);
  let cached: { url: string; transport: Transporter } | null = null;
  const transportFor = (url: string): Transporter => {
    if (cached?.url !== url) {
      cached?.transport.close();
      cached = { url, transport: nodemailer.createTransport(url) };
    }
    return cached.transport;
  };

  jobs.register('notify.email', async (job) => {
    const s = configured.get(jobs) ?? envMailSettings();
    const p = (job.payload ?? {}) as EmailJobPayload;
    let to = p.to;
    if (!to && p.user != null) {
      const u = await db.knex('fw_users').where({ id: p.user }).first();
      if (!u || u.disabled) return; // gone or disabled: nobody to write to
      to = u.email ?? undefined;
    }
    if (!to) return; // no address
    if (!isEmailAddress(to)) {
      logger.warn('email address is not valid; skipped', { job: job.id, user: p.user ?? null });
      return;
    }
    if (!s.url) {
      logger.info('email not configured (FORMWORK_SMTP_URL); skipped', { job: job.id });
      return;
    }
    const from = s.from || 'formwork@localhost';
    const domain = /@([^>\s]+)>?\s*$/.exec(from)?.[1] ?? 'localhost';
    try {
      await transportFor(s.url).sendMail({
        from, to,
        subject: String(p.title ?? '').replace(/[\r\n]+/g, ' ').slice(0, 998),
        text: p.body ?? '',
        ...(typeof p.html === 'string' && p.html ? { html: p.html } : {}),
        // The same id on every attempt of this job: duplicates of an at-least-once delivery are recognisable.
        messageId: `<formwork.job-${job.id}.${String(job.createdAt).replace(/[^0-9]/g, '')}@${domain}>`,
        headers: { 'Auto-Submitted': 'auto-generated' },
      });
    } catch (e) {
      const text = (e as Error)?.message ?? String(e);
      if (permanentSmtpError(e)) throw new JobError(`the mail server refused the message: ${text}`, { permanent: true });
      throw e; // temporary: retried with backoff
    }
  }, { external: true });
}

// ---------- bilingual text ----------

/** A notification text: one string, or one per language. */
export type LocalizedText = string | { 'zh-CN'?: string; en?: string };

/** The JSON Schema of a LocalizedText (notify node settings). */
export function localizedTextSchema(maxLength: number, minLength = 0): Record<string, unknown> {
  const s = { type: 'string', minLength, maxLength };
  return {
    oneOf: [
      s,
      { type: 'object', additionalProperties: false, minProperties: 1, properties: { 'zh-CN': s, en: s } },
    ],
  };
}

/**
 * Render a LocalizedText with handlebars over `data`. Both languages are given: both, zh-CN
 * first, joined by `separator`; one language or a plain string: that one.
 */
export function renderLocalized(text: LocalizedText | undefined, data: Record<string, unknown>, separator: string): string {
  if (text == null) return '';
  if (typeof text === 'string') return renderText(text, data);
  const parts = [text['zh-CN'], text.en].filter((t): t is string => typeof t === 'string' && t.trim() !== '');
  return parts.map((t) => renderText(t, data)).join(separator);
}
