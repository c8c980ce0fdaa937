/**
 * Scheduled delivery of a dashboard summary by e-mail (DashboardDef.deliveries: daily, weekly or
 * monthly at a local time), as durable jobs, never in-memory timers.
 *
 * One pending `dashboard.delivery` job per delivery of a published dashboard, due at its next fire
 * time, keyed `dash:${dashboard}:${index}:${cron}:${tz}:${fireAt}` so two processes reconciling at
 * once agree. When it runs (an external handler: reports read outside any transaction), every
 * recipient — users with the delivery's roles or usernames, enabled, with an address — gets the
 * dashboard run AS THEM (their row scopes and field sets; a widget they may not run is left out),
 * as one `notify.email` job each with an HTML and a text body, keyed by the delivery job and the
 * user: the job may run twice, the mail is queued once. The same transaction enqueues the next
 * fire time. A missed fire (downtime) runs once, late; the next one is in the future again.
 *
 * `reconcile()` (engine start, every publish of a dashboard): enqueues what is missing and
 * cancels the pending jobs of deliveries that were removed or changed.
 */
import { CronExpressionParser } from 'cron-parser';
import type { Db } from '../store/connection.js';
import type { JobQueue, Job } from '../workflow/jobs.js';
import type { Logger } from '../http/logger.js';
import type { UserService } from '../auth/user-service.js';
import { actorOf } from '../auth/user-service.js';
import type { DepartmentService } from '../auth/departments.js';
import type { RolePolicy } from '../auth/role-policy.js';
import type { DashboardDef, DashboardDelivery } from '../meta/report-schema.js';
import { rulesNow } from '../rules/operations.js';
import type { ReportService, WidgetRun } from './report-service.js';

export const DELIVERY_JOB = 'dashboard.delivery';
export const DEFAULT_DELIVERY_TZ = 'Asia/Shanghai';
/** Rows of each widget an e-mail shows. */
const ROWS_PER_WIDGET = 20;

export interface DeliveryPayload {
  dashboard: string;
  index: number;
  cron: string;
  timezone: string;
  fireAt: string;
}

/** A delivery as a cron expression (minute hour day-of-month month day-of-week). */
export function deliveryCron(d: DashboardDelivery): string {
  const [hh, mm] = (d.at ?? '08:00').split(':').map(Number);
  switch (d.frequency) {
    case 'daily':
      return `${mm} ${hh} * * *`;
    case 'weekly':
      return `${mm} ${hh} * * ${(d.day ?? 1) % 7}`;
    case 'monthly':
      return `${mm} ${hh} ${d.day ?? 1} * *`;
  }
}

export function nextDeliveryTime(cron: string, timezone: string, after: Date): Date {
  return CronExpressionParser.parse(cron, { tz: timezone, currentDate: after }).next().toDate();
}

const signature = (dashboard: string, index: number, cron: string, tz: string) => `dash:${dashboard}:${index}:${cron}:${tz}`;

const escapeHtml = (s: unknown) =>
  String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function formatValue(v: unknown, type: string, lang: 'zh-CN' | 'en'): string {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'number') {
    if (type === 'percent') return `${(v * 100).toFixed(1)}%`;
    if (type === 'money') return '¥' + v.toLocaleString(lang === 'en' ? 'en-US' : 'zh-CN', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    return v.toLocaleString(lang === 'en' ? 'en-US' : 'zh-CN');
  }
  if (Array.isArray(v)) return v.join(', ');
  return String(v);
}

/** The e-mail of one recipient: a table per widget (the first rows), as HTML and as text. */
export function renderSummary(title: string, widgets: Array<{ title: string; run: WidgetRun }>, lang: 'zh-CN' | 'en'): { html: string; text: string } {
  const html: string[] = [`<h2 style="font-family:sans-serif">${escapeHtml(title)}</h2>`];
  const text: string[] = [title, ''];
  for (const { title: wt, run } of widgets) {
    html.push(`<h3 style="font-family:sans-serif">${escapeHtml(wt)}</h3>`);
    text.push(`## ${wt}`);
    if (!run.result) {
      html.push(`<p>${escapeHtml(run.error?.message ?? '')}</p>`);
      text.push(run.error?.message ?? '', '');
      continue;
    }
    const { columns, rows, totals } = run.result;
    const label = (c: { key: string; label: string; options?: Array<{ key: string; label: string }> }, v: unknown) => {
      const opt = c.options?.find((o) => o.key === v);
      return opt ? opt.label : v;
    };
    const shown = rows.slice(0, ROWS_PER_WIDGET);
    html.push('<table style="border-collapse:collapse;font-family:sans-serif;font-size:13px" border="1" cellpadding="4">');
    html.push('<tr>' + columns.map((c) => `<th>${escapeHtml(c.label)}</th>`).join('') + '</tr>');
    text.push(columns.map((c) => c.label).join('\t'));
    for (const r of [...shown, ...(totals ? [totals] : [])]) {
      const cells = columns.map((c) => formatValue(label(c, r[c.key]), c.type, lang));
      if (r === totals) cells[0] = lang === 'en' ? 'Total' : '合计';
      html.push('<tr>' + cells.map((x) => `<td>${escapeHtml(x)}</td>`).join('') + '</tr>');
      text.push(cells.join('\t'));
    }
    html.push('</table>');
    if (rows.length > shown.length) {
      const more = lang === 'en' ? `… ${rows.length - shown.length} more rows` : `…… 另有 ${rows.length - shown.length} 行`;
      html.push(`<p>${escapeHtml(more)}</p>`);
      text.push(more);
    }
    text.push('');
  }
  return { html: html.join('\n'), text: text.join('\n') };
}

export class DashboardDeliveries {
  constructor(
    private readonly deps: {
      db: Db;
      jobs: JobQueue;
      reports: ReportService;
      users: UserService;
      departments: DepartmentService;
      policy: RolePolicy;
      logger: Logger;
    },
  ) {
    deps.jobs.register(DELIVERY_JOB, (job) => this.fire(job), { external: true });
  }

  private desired(dashboards: DashboardDef[]): Map<string, DeliveryPayload & { def: DashboardDelivery }> {
    const out = new Map<string, DeliveryPayload & { def: DashboardDelivery }>();
    for (const d of dashboards) {
      (d.deliveries ?? []).forEach((del, index) => {
        const cron = deliveryCron(del);
        const timezone = del.timezone ?? DEFAULT_DELIVERY_TZ;
        out.set(signature(d.key, index, cron, timezone), { dashboard: d.key, index, cron, timezone, fireAt: '', def: del });
      });
    }
    return out;
  }

  /** One pending job per delivery; none for deliveries that are gone or changed. Idempotent. */
  async reconcile(): Promise<void> {
    const { db, jobs, reports } = this.deps;
    await reports.dashboards.fresh();
    const want = this.desired(reports.dashboards.values());
    await db.knex.transaction(async (trx) => {
      const open = (await trx('fw_jobs').where({ kind: DELIVERY_JOB }).whereIn('status', ['pending', 'running']).select('idempotency_key', 'status'))
        .map((j: any) => ({ key: String(j.idempotency_key ?? ''), status: j.status as string }));
      const have = new Set<string>();
      for (const j of open) {
        // A key is the signature, ':', and the fire time (an ISO string, itself with colons).
        const match = [...want.keys()].find((k) => String(j.key).startsWith(k + ':'));
        if (match) have.add(match);
        else if (j.status === 'pending') await jobs.cancel(trx, j.key);
      }
      const now = new Date(rulesNow());
      for (const [sig, p] of want) {
        if (have.has(sig)) continue;
        const fireAt = nextDeliveryTime(p.cron, p.timezone, now);
        const payload: DeliveryPayload = { dashboard: p.dashboard, index: p.index, cron: p.cron, timezone: p.timezone, fireAt: fireAt.toISOString() };
        await jobs.enqueue(trx, { kind: DELIVERY_JOB, runAt: fireAt, payload, key: `${sig}:${payload.fireAt}` });
      }
    });
  }

  /** Who receives a delivery: enabled users with one of its roles or usernames. */
  private async recipients(del: DashboardDelivery) {
    const users = await this.deps.users.list();
    const roles = new Set(del.roles ?? []);
    const names = new Set(del.users ?? []);
    const disabled = new Set(
      (await this.deps.db.knex('fw_users').where({ disabled: true }).select('id')).map((r: any) => Number(r.id)),
    );
    return users.filter((u) => !disabled.has(u.id) && (names.has(u.username) || u.roles.some((r) => roles.has(r))));
  }

  private async fire(job: Job): Promise<void> {
    const { db, jobs, reports, departments, policy, logger } = this.deps;
    const p = job.payload as DeliveryPayload;
    await reports.dashboards.fresh();
    const def = reports.dashboards.peek(p.dashboard);
    const del = def?.deliveries?.[p.index];
    // Removed or changed since this job was queued: reconcile queues the current one.
    if (!def || !del || deliveryCron(del) !== p.cron || (del.timezone ?? DEFAULT_DELIVERY_TZ) !== p.timezone) return;
    const lang = del.lang ?? 'zh-CN';
    const mails: Array<{ user: number; title: string; body: string; html: string }> = [];
    for (const u of await this.recipients(del)) {
      const actor = actorOf(u);
      actor.departments = await departments.subtree(actor.departmentId);
      actor.isAdmin = policy.isAdmin(actor);
      const view = await reports.get(actor, def.key, lang).catch(() => null);
      if (!view || !view.widgets.length) continue; // nothing they may see
      const ran = await reports.runDashboard(actor, def.key, {}, lang);
      const titled = ran.widgets.map((w) => ({ title: view.widgets.find((x) => x.id === w.id)?.title ?? w.id, run: w }));
      const date = p.fireAt.slice(0, 10);
      const title = `${view.label} · ${date}`;
      const { html, text } = renderSummary(title, titled, lang);
      mails.push({ user: u.id, title, body: text, html });
    }
    await db.knex.transaction(async (trx) => {
      for (const m of mails) {
        await jobs.enqueue(trx, { kind: 'notify.email', payload: m, key: `${job.key ?? `job-${job.id}`}:mail:${m.user}` });
      }
      const next = nextDeliveryTime(p.cron, p.timezone, new Date(Math.max(Date.parse(rulesNow()), Date.parse(p.fireAt))));
      const payload: DeliveryPayload = { ...p, fireAt: next.toISOString() };
      await jobs.enqueue(trx, { kind: DELIVERY_JOB, runAt: next, payload, key: `${signature(p.dashboard, p.index, p.cron, p.timezone)}:${payload.fireAt}` });
    });
    logger.info('dashboard delivered', { dashboard: p.dashboard, recipients: mails.length });
  }
}
