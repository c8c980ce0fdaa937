/**
 * Inbound webhooks: `POST /api/hooks/:workflow` starts a workflow whose trigger is `webhook`.
 *
 * Trigger: `{ type: 'webhook', form?: FORM, config: { schema?: JSON Schema, roles?: [role…] } }`.
 *
 * Authentication: the normal bearer authentication (mounted after `authenticate`): an API token
 * (`Authorization: Bearer fwk_…`, the integration's service user) or a session token. There is
 * no per-workflow secret: tokens are created, scoped, expired, revoked and audited in one place
 * (/api/tokens), and the instance records who started it.
 * Authorisation: an administrator's session, or a user (session or API token) holding one of
 * `config.roles`. Without `roles` only administrators' sessions may call (API tokens never act
 * as administrators, so an integration needs `roles`).
 *
 * Request: any JSON body (an empty body is `{}`), at most 1 MB; validated against
 * `config.schema` (ajv, formats) → 422 with JSON Pointers into the body in `error.fields`.
 * With `trigger.form`, the body must carry `recordId` (an integer), a record of that form the
 * caller can read (404 otherwise); it becomes the instance's subject, and `trigger.condition`
 * (if any) must hold on it (`$input` is the body) → 422 otherwise. Without a form the subject is
 * empty and the condition sees `{ $input }` only.
 *
 * Idempotency: an optional `Idempotency-Key` header (1–128 printable ASCII characters). The
 * instance's idempotency key is `${workflow}:hook:${userId}:${key}` (per caller), so the same key
 * again returns the instance it started, with 200 instead of 201; the same key with a different
 * body is 409. Without the header every call starts a new instance.
 *
 * Response: 201 `{ instance }` (InstanceView, as /api/records/…/workflow returns them). The
 * instance's context is `{ trigger: 'webhook', input: body, at }`.
 * Errors: 401 without a valid token; 404 for an unknown, unpublished or disabled workflow, or
 * one whose trigger is not `webhook`; 403 when the caller may not call it.
 */
import crypto from 'node:crypto';
import { Router } from 'express';
import type { ValidateFunction } from 'ajv';
import * as ajvFormats from 'ajv-formats';
import type { FormatsPlugin } from 'ajv-formats';
import type { Engine } from '../app.js';
import { actorOf } from './authn.js';
import { AppError, msg, notFound, conflict, forbidden, validationError } from '../errors.js';
import { KEY_RE } from '../meta/types.js';
import { createMetaAjv, schemaErrors, structuralErrors } from '../meta/metaschema.js';
import { applyRule, truthy } from '../rules/operations.js';
import { nowIso } from '../store/system.js';
import type { WorkflowDef } from '../workflow/types.js';

export const WEBHOOK_TRIGGER = 'webhook';

const addFormats: FormatsPlugin = ((ajvFormats as unknown as { default?: FormatsPlugin }).default ?? ajvFormats) as unknown as FormatsPlugin;
let ajv: ReturnType<typeof createMetaAjv> | undefined;
const validators = new WeakMap<object, ValidateFunction>();

/** The compiled input schema of a workflow (once per schema object, i.e. per revision). */
function inputValidator(schema: object): ValidateFunction {
  let v = validators.get(schema);
  if (!v) {
    if (!ajv) {
      ajv = createMetaAjv({ addUsedSchema: false });
      addFormats(ajv);
    }
    try {
      v = ajv.compile(schema);
    } catch (e) {
      throw new AppError('internal', msg('流程的输入 Schema 无效', `The workflow's input schema is invalid: ${(e as Error).message}`));
    }
    validators.set(schema, v);
  }
  return v;
}

/** JSON with object keys sorted (to compare a replayed body with the first). */
function canonical(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  return `{${Object.keys(v as object).sort().map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(',')}}`;
}

const IDEMPOTENCY_RE = /^[\x21-\x7e]{1,128}$/;

export function hooksRouter(engine: Engine): Router {
  const { runtime } = engine.workflow;
  const r = Router();
  r.post('/:workflow', async (req, res) => {
    const key = String(req.params.workflow);
    const none = () => notFound('没有这个 Webhook', `No webhook '${key.slice(0, 60)}'`);
    if (!KEY_RE.test(key)) throw none();
    await runtime.workflows.fresh();
    const wf = runtime.published().find((w) => w.def.key === key);
    if (!wf || wf.def.enabled === false || wf.def.trigger.type !== WEBHOOK_TRIGGER) throw none();
    const def: WorkflowDef = wf.def;
    const config = (def.trigger.config ?? {}) as { schema?: object; roles?: string[] };

    const actor = actorOf(req);
    const allowed = (actor.isAdmin && !actor.scopes) || (config.roles ?? []).some((role) => actor.roles.includes(role));
    if (!allowed) throw forbidden('无权调用此 Webhook', 'You may not call this webhook');

    const header = req.get('idempotency-key');
    if (header !== undefined && !IDEMPOTENCY_RE.test(header)) {
      throw new AppError('bad_request', msg('Idempotency-Key 须为 1 到 128 个可打印 ASCII 字符', 'Idempotency-Key must be 1 to 128 printable ASCII characters'), { details: { header: 'Idempotency-Key' } });
    }

    const body: unknown = req.body === undefined ? {} : req.body;
    const structural = structuralErrors(body);
    if (Object.keys(structural).length) throw validationError(structural);
    if (config.schema) {
      const validate = inputValidator(config.schema);
      if (!validate(body)) throw validationError(schemaErrors(validate.errors, body));
    }

    // The record the call is about (trigger.form).
    const form = def.trigger.form ?? null;
    let recordId: number | null = null;
    let record: Record<string, unknown> = {};
    if (form) {
      const id = body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>).recordId : undefined;
      if (!Number.isSafeInteger(id) || (id as number) < 1) {
        throw validationError({ '/recordId': [msg(`须为 ${form} 记录的 id（正整数）`, `must be the id of a ${form} record (a positive integer)`)] });
      }
      recordId = id as number;
      record = await engine.records.get(actor, form, recordId); // the caller must be able to read it
    }
    if (def.trigger.condition != null) {
      let ok = false;
      try {
        ok = truthy(applyRule(def.trigger.condition, { ...record, $input: body }));
      } catch {
        ok = false;
      }
      if (!ok) throw validationError({ '': [msg('不满足流程的触发条件', "the workflow's trigger condition does not hold")] });
    }

    const instanceKey = header !== undefined ? `${def.key}:hook:${actor.userId ?? 0}:${header}` : `${def.key}:hook:${crypto.randomUUID()}`;
    const out = await engine.db.knex.transaction(async (trx) => {
      const id = await runtime.start(trx, wf, { form, recordId }, { key: instanceKey, by: actor.userId, context: { trigger: WEBHOOK_TRIGGER, input: body, at: nowIso() } });
      if (id != null) return { id, created: true };
      const row = await trx('fw_wf_instances').where({ idempotency_key: instanceKey }).first('id', 'context');
      if (!row) throw new AppError('internal', msg('流程未能启动', 'The workflow did not start'));
      let input: unknown;
      try {
        input = JSON.parse(row.context).input;
      } catch {
        input = undefined;
      }
      if (canonical(input) !== canonical(body)) {
        throw conflict('Idempotency-Key 已用于另一个请求体', 'This Idempotency-Key was used with a different body', { instance: Number(row.id) });
      }
      return { id: Number(row.id), created: false };
    });
    res.status(out.created ? 201 : 200).json({ instance: await runtime.instanceView(engine.db.knex, out.id) });
  });
  return r;
}
