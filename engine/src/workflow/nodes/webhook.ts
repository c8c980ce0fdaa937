/**
 * The webhook node: POST (or PUT) a signed JSON body to a URL. It only queues the delivery (a
 * row of fw_webhook_deliveries and a `webhook.deliver` job, in the step's transaction) and goes
 * on; sending, signing, retries and the delivery log are webhook-delivery.ts's.
 *
 * Settings: { url, method?: POST|PUT, headers?: {name: value}, body?: {key: json-logic},
 * secret?, timeoutMs?, maxAttempts? }. `body` maps keys to json-logic over the record (plus
 * `$workflow`, `$instance`, as conditions see it); without it the body is the record.
 *
 * The secret lives in the workflow document (like the rest of the node's settings): whoever may
 * read the workflow definition may read it.
 */
import { AppError, msg, type Msg } from '../../errors.js';
import type { NodeExecutor } from '../executor.js';
import type { NodeDef } from '../types.js';
import { ruleData } from './flow.js';
import {
  DEFAULT_WEBHOOK_ATTEMPTS, HEADER_NAME_RE, MAX_WEBHOOK_BODY, headerProblems, queueDelivery, safeUrl, webhookUrlProblem, type WebhookConfig,
} from '../webhook-delivery.js';

export const webhook: NodeExecutor = {
  info: {
    type: 'webhook', label: msg('Webhook', 'Webhook'), group: 'message', inputs: 'many', outputs: 'one',
    configSchema: {
      type: 'object', required: ['url'], additionalProperties: false,
      properties: {
        url: { type: 'string', minLength: 8, maxLength: 2000, pattern: '^[Hh][Tt][Tt][Pp][Ss]?://' },
        method: { enum: ['POST', 'PUT'] },
        headers: {
          type: 'object', maxProperties: 30,
          propertyNames: { pattern: HEADER_NAME_RE.source },
          additionalProperties: { type: 'string', maxLength: 4000 },
        },
        body: { type: 'object', maxProperties: 200, propertyNames: { minLength: 1, maxLength: 100 } },
        secret: { type: 'string', minLength: 16, maxLength: 500 },
        timeoutMs: { type: 'integer', minimum: 100, maximum: 60_000 },
        maxAttempts: { type: 'integer', minimum: 1, maximum: 20 },
      },
    },
    branches: () => [],
    validate(node: NodeDef): Record<string, Msg[]> {
      const cfg = (node.config ?? {}) as Partial<WebhookConfig>;
      const out: Record<string, Msg[]> = { ...headerProblems(cfg.headers) };
      const problem = webhookUrlProblem(cfg.url);
      if (problem) out['/config/url'] = [problem];
      return out;
    },
  },
  async run(ctx) {
    const cfg = ctx.node.config as unknown as WebhookConfig;
    let body: unknown;
    if (cfg.body) {
      const data = ruleData(ctx);
      const mapped: Record<string, unknown> = {};
      for (const [k, expr] of Object.entries(cfg.body)) mapped[k] = ctx.services.evaluate(expr, data);
      body = mapped;
    } else {
      body = ctx.record ?? {};
    }
    const json = JSON.stringify(body) ?? 'null';
    if (Buffer.byteLength(json, 'utf8') > MAX_WEBHOOK_BODY) {
      throw new AppError('validation', msg('Webhook 请求体超过 1 MB', 'The webhook body exceeds 1 MB'), { details: { node: ctx.node.id } });
    }
    const delivery = await queueDelivery(ctx, { url: cfg.url, method: cfg.method ?? 'POST', body: json, maxAttempts: cfg.maxAttempts ?? DEFAULT_WEBHOOK_ATTEMPTS });
    await ctx.history({ action: 'webhook_queued', detail: { delivery, url: safeUrl(cfg.url) } });
    return { next: true };
  },
};
