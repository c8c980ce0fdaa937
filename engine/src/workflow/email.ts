/**
 * Email through SMTP (nodemailer), as a durable job: `notify.email` jobs are sent by the job
 * runner with retries. Configured by FORMWORK_SMTP_URL (smtp://user:pass@host:port, or
 * smtps://…) and FORMWORK_MAIL_FROM; without them mail is skipped (and logged), never retried
 * forever.
 */
import nodemailer, { type Transporter } from 'nodemailer';
import type { Db } from '../store/connection.js';
import type { JobQueue } from './jobs.js';
import type { Logger } from '../http/logger.js';

export interface MailSettings {
  url?: string;
  from?: string;
}

export function registerEmail(db: Db, jobs: JobQueue, logger: Logger, settings: MailSettings = { url: process.env.FORMWORK_SMTP_URL, from: process.env.FORMWORK_MAIL_FROM }): void {
  let transport: Transporter | null = null;
  jobs.register('notify.email', async (job) => {
    const p = job.payload as { user?: number; to?: string; title: string; body?: string };
    let to = p.to;
    if (!to && p.user != null) to = (await db.knex('fw_users').where({ id: p.user }).first())?.email ?? undefined;
    if (!to) return; // nobody to write to
    if (!settings.url) {
      logger.info('email not configured; skipped', { job: job.id });
      return;
    }
    transport ??= nodemailer.createTransport(settings.url);
    await transport.sendMail({ from: settings.from ?? 'formwork@localhost', to, subject: p.title, text: p.body ?? '' });
  }, { external: true });
}
