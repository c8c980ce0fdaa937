/**
 * Public form links: an administrator publishes some fields of a form (a test-drive request on a
 * dealer's website) at a URL that needs no login. A submission goes through RecordService as the
 * engine's public service actor — the record has no owner and no creator, so automations such as
 * "assign new leads" fire — and may only carry the link's fields; the server re-checks every rule.
 *
 * Against abuse: a honeypot field (`_hp`: bots fill every input; a filled one is answered as a
 * success and dropped), a sliding-window limit per client address and per link (in-process),
 * the usual 1 MB body limit, and nothing of the stored record is sent back.
 */
import crypto from 'node:crypto';
import type { Db } from '../store/connection.js';
import { nowIso } from '../store/system.js';
import type { RecordService } from './record-service.js';
import type { CompiledForm } from '../store/compiled-form.js';
import type { Actor } from '../auth/actor.js';
import { isComputed } from '../meta/field-types.js';
import { labelText, type FieldDef, type FormDef, type Label } from '../meta/types.js';
import { AppError, msg, notFound, validationError, type Msg } from '../errors.js';

/** Field types a stranger can fill in (no look-ups of other records, people or files). */
const PUBLIC_TYPES = new Set(['text', 'textarea', 'number', 'money', 'percent', 'date', 'datetime', 'boolean', 'select', 'multiselect', 'tags', 'phone', 'email', 'url', 'address']);

export const PUBLIC_ACTOR: Actor = { userId: null, username: 'public', displayName: 'Public form', roles: [], departmentId: null, isAdmin: false, isSystem: true };

export interface PublicFormLink {
  id: number;
  slug: string;
  form: string;
  fields: string[];
  title: Label | null;
  successMessage: Label | null;
  enabled: boolean;
  submissions: number;
  createdAt: string;
  createdBy: number | null;
}

export interface LimitOptions {
  windowMs: number;
  perAddress: number;
  perLink: number;
}

export const DEFAULT_PUBLIC_LIMITS: LimitOptions = { windowMs: 60_000, perAddress: 10, perLink: 300 };

function linkOf(r: any): PublicFormLink {
  const parse = (v: unknown) => (v == null ? null : JSON.parse(String(v)));
  return {
    id: Number(r.id), slug: r.slug, form: r.form, fields: parse(r.fields) ?? [], title: parse(r.title), successMessage: parse(r.success_message),
    enabled: r.enabled === true || r.enabled === 1, submissions: Number(r.submissions ?? 0), createdAt: r.created_at, createdBy: r.created_by == null ? null : Number(r.created_by),
  };
}

const isLabel = (v: unknown) =>
  typeof v === 'string' ? v.length <= 200 : !!v && typeof v === 'object' && !Array.isArray(v) && Object.entries(v).every(([k, x]) => (k === 'zh-CN' || k === 'en') && typeof x === 'string' && x.length <= 2000);

export class PublicForms {
  private hits = new Map<string, number[]>();

  constructor(
    private readonly db: Db,
    private readonly records: RecordService,
    private readonly limits: LimitOptions = DEFAULT_PUBLIC_LIMITS,
  ) {}

  // ----- administration --------------------------------------------------------------------

  private check(form: CompiledForm, body: Record<string, unknown>, partial: boolean): { fields?: string[]; title?: Label | null; successMessage?: Label | null; enabled?: boolean } {
    const errors: Record<string, Msg[]> = {};
    const out: { fields?: string[]; title?: Label | null; successMessage?: Label | null; enabled?: boolean } = {};
    if (!partial || body.fields !== undefined) {
      const fields = body.fields;
      if (!Array.isArray(fields) || !fields.length || fields.length > 100 || fields.some((f) => typeof f !== 'string')) {
        errors.fields = [msg('请选择要公开的字段', 'fields: a list of the field keys to publish')];
      } else {
        const bad = fields.filter((k) => {
          const f = form.byKey.get(k as string);
          return !f || isComputed(f) || !PUBLIC_TYPES.has(f.type) || f.sensitive;
        });
        if (bad.length) errors.fields = [msg(`这些字段不能公开填写：${bad.join('、')}`, `These fields cannot be filled in publicly: ${bad.join(', ')}`)];
        const missing = form.fields.filter((f) => f.required && !isComputed(f) && f.default === undefined && !fields.includes(f.key)).map((f) => f.key);
        if (missing.length) (errors.fields ??= []).push(msg(`必填字段必须公开：${missing.join('、')}`, `Required fields must be included: ${missing.join(', ')}`));
        out.fields = [...new Set(fields as string[])];
      }
    }
    for (const [key, prop] of [['title', 'title'], ['successMessage', 'successMessage']] as const) {
      if (body[key] === undefined) continue;
      if (body[key] !== null && !isLabel(body[key])) errors[key] = [msg('文本或 {zh-CN, en}', 'text, or {"zh-CN", "en"}')];
      else out[prop] = body[key] as Label | null;
    }
    if (body.enabled !== undefined) {
      if (typeof body.enabled !== 'boolean') errors.enabled = [msg('必须是 true 或 false', 'must be true or false')];
      else out.enabled = body.enabled;
    }
    if (Object.keys(errors).length) throw validationError(errors);
    return out;
  }

  async create(by: number | null, body: Record<string, unknown>): Promise<PublicFormLink> {
    if (typeof body.form !== 'string') throw validationError({ form: [msg('必填', 'required')] });
    const form = await this.records.forms.get(body.form);
    const v = this.check(form, body, false);
    const slug = crypto.randomBytes(12).toString('base64url');
    const row = {
      slug, form: form.key, fields: JSON.stringify(v.fields), title: v.title == null ? null : JSON.stringify(v.title),
      success_message: v.successMessage == null ? null : JSON.stringify(v.successMessage), enabled: v.enabled ?? true,
      submissions: 0, created_by: by, created_at: nowIso(),
    };
    await this.db.knex('fw_public_forms').insert(row);
    return this.bySlug(slug);
  }

  async list(): Promise<PublicFormLink[]> {
    return (await this.db.knex('fw_public_forms').orderBy('id')).map(linkOf);
  }

  async update(id: number, body: Record<string, unknown>): Promise<PublicFormLink> {
    const current = await this.db.knex('fw_public_forms').where({ id }).first();
    if (!current) throw notFound('链接不存在', `No public form link ${id}`);
    const form = await this.records.forms.get(current.form);
    const v = this.check(form, body, true);
    const patch: Record<string, unknown> = {};
    if (v.fields) patch.fields = JSON.stringify(v.fields);
    if (v.title !== undefined) patch.title = v.title == null ? null : JSON.stringify(v.title);
    if (v.successMessage !== undefined) patch.success_message = v.successMessage == null ? null : JSON.stringify(v.successMessage);
    if (v.enabled !== undefined) patch.enabled = v.enabled;
    if (Object.keys(patch).length) await this.db.knex('fw_public_forms').where({ id }).update(patch);
    return linkOf(await this.db.knex('fw_public_forms').where({ id }).first());
  }

  async remove(id: number): Promise<void> {
    const n = await this.db.knex('fw_public_forms').where({ id }).delete();
    if (!n) throw notFound('链接不存在', `No public form link ${id}`);
  }

  private async bySlug(slug: string): Promise<PublicFormLink> {
    const r = typeof slug === 'string' && /^[A-Za-z0-9_-]{8,64}$/.test(slug) ? await this.db.knex('fw_public_forms').where({ slug }).first() : null;
    if (!r) throw notFound('表单链接不存在', 'No such public form');
    return linkOf(r);
  }

  // ----- the public side -------------------------------------------------------------------

  /** What the page shows: the title and a form definition holding only the link's fields. */
  async describe(slug: string, lang: 'zh-CN' | 'en' = 'zh-CN'): Promise<{ title: string; form: FormDef }> {
    const link = await this.bySlug(slug);
    if (!link.enabled) throw notFound('表单链接不存在', 'No such public form');
    const form = await this.records.forms.get(link.form);
    const fields = link.fields
      .map((k) => form.byKey.get(k))
      .filter((f): f is FieldDef => !!f)
      // Rules may name fields the page does not have: the server checks them on submit.
      .map(({ id, key, type, label, help, required, default: d, options, min, max, minLength, maxLength, pattern, patternMessage, precision, ui }) =>
        ({ id, key, type, label, help, required, default: d, options, min, max, minLength, maxLength, pattern, patternMessage, precision, ui }) as FieldDef);
    const title = link.title != null ? labelText(link.title, lang) : labelText(form.def.label, lang);
    return { title, form: { key: form.key, label: link.title ?? form.def.label, fields: JSON.parse(JSON.stringify(fields)) } };
  }

  private allow(key: string, max: number, now: number): boolean {
    const list = (this.hits.get(key) ?? []).filter((t) => t > now - this.limits.windowMs);
    if (list.length >= max) {
      this.hits.set(key, list);
      return false;
    }
    list.push(now);
    this.hits.set(key, list);
    if (this.hits.size > 50_000) this.hits.clear();
    return true;
  }

  /** A submission: `{values, _hp?}`. Returns what to tell the visitor. */
  async submit(slug: string, body: Record<string, unknown>, address: string, lang: 'zh-CN' | 'en' = 'zh-CN'): Promise<{ ok: true; message: string }> {
    const link = await this.bySlug(slug);
    if (!link.enabled) throw notFound('表单链接不存在', 'No such public form');
    const now = Date.now();
    if (!this.allow(`a:${address}`, this.limits.perAddress, now) || !this.allow(`l:${link.id}`, this.limits.perLink, now)) {
      const retry = Math.ceil(this.limits.windowMs / 1000);
      throw new AppError('rate_limited', msg(`提交过于频繁，请 ${retry} 秒后再试`, `Too many submissions; try again in ${retry} s`), { headers: { 'Retry-After': String(retry) } });
    }
    const message = link.successMessage != null ? labelText(link.successMessage, lang) : lang === 'en' ? 'Thank you, we will be in touch.' : '提交成功，我们会尽快与您联系。';
    // The honeypot: a field people never see. Filled: a bot; it is told "thank you" and nothing is kept.
    if (body._hp !== undefined && body._hp !== null && body._hp !== '') return { ok: true, message };
    const values = body.values;
    if (!values || typeof values !== 'object' || Array.isArray(values)) throw validationError({ values: [msg('请填写表单', 'values: an object of the form\'s fields')] });
    const extra = Object.keys(values).filter((k) => !link.fields.includes(k));
    if (extra.length) throw validationError(Object.fromEntries(extra.map((k) => [k, [msg('此字段不能提交', 'This field cannot be submitted here')]])));
    await this.records.create(PUBLIC_ACTOR, link.form, values, { owner: null, dept: null });
    await this.db.knex('fw_public_forms').where({ id: link.id }).increment('submissions', 1);
    return { ok: true, message };
  }
}
