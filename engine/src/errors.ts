/**
 * The error model of API.md. Every layer throws AppError; only http/errors.ts turns errors
 * into responses. Isomorphic (the UIs reuse the codes and messages).
 */
export type ErrorCode =
  | 'bad_request'
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'data_loss'
  | 'payload_too_large'
  | 'validation'
  | 'rate_limited'
  | 'internal';

export const HTTP_STATUS: Record<ErrorCode, number> = {
  bad_request: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  data_loss: 409,
  payload_too_large: 413,
  validation: 422,
  rate_limited: 429,
  internal: 500,
};

/** A message in both languages. */
export interface Msg {
  'zh-CN': string;
  en: string;
}

export type Lang = 'zh-CN' | 'en';

export function msg(zh: string, en: string): Msg {
  return { 'zh-CN': zh, en };
}

export interface AppErrorOptions {
  /** Field key → messages (validation). */
  fields?: Record<string, Msg[]>;
  details?: unknown;
  /** Extra response headers (Retry-After…). */
  headers?: Record<string, string>;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly text: Msg;
  readonly fields?: Record<string, Msg[]>;
  readonly details?: unknown;
  readonly headers?: Record<string, string>;

  constructor(code: ErrorCode, text: Msg | string, opts: AppErrorOptions = {}) {
    const m = typeof text === 'string' ? { 'zh-CN': text, en: text } : text;
    super(m.en);
    this.name = 'AppError';
    this.code = code;
    this.text = m;
    this.fields = opts.fields;
    this.details = opts.details;
    this.headers = opts.headers;
  }

  get status(): number {
    return HTTP_STATUS[this.code];
  }

  /** The response body of API.md in one language. */
  toBody(lang: Lang = 'en'): { error: { code: ErrorCode; message: string; fields?: Record<string, string[]>; details?: unknown } } {
    const body: { code: ErrorCode; message: string; fields?: Record<string, string[]>; details?: unknown } = {
      code: this.code,
      message: this.text[lang] ?? this.text.en,
    };
    if (this.fields) {
      body.fields = {};
      for (const [k, list] of Object.entries(this.fields)) body.fields[k] = list.map((m) => m[lang] ?? m.en);
    }
    if (this.details !== undefined) body.details = this.details;
    return { error: body };
  }
}

export const isAppError = (e: unknown): e is AppError => e instanceof AppError;

/** Shorthands. */
export const badRequest = (zh: string, en: string, details?: unknown) => new AppError('bad_request', msg(zh, en), { details });
export const notFound = (zh: string, en: string) => new AppError('not_found', msg(zh, en));
export const conflict = (zh: string, en: string, details?: unknown) => new AppError('conflict', msg(zh, en), { details });
export const forbidden = (zh = '没有权限', en = 'Forbidden') => new AppError('forbidden', msg(zh, en));

/** A validation error from field → messages. */
export function validationError(fields: Record<string, Msg[]>, details?: unknown): AppError {
  const n = Object.keys(fields).length;
  return new AppError('validation', msg(`${n} 个字段未通过校验`, `${n} field(s) failed validation`), { fields, details });
}

/**
 * An error as it may be logged: database drivers put the SQL and its bound values (record
 * values, token hashes) into their messages, so only the driver's own message and code are
 * kept, with the stack frames.
 */
export function loggableError(err: unknown): string {
  const e = err as { message?: string; stack?: string; code?: string };
  let message = String(e?.message ?? err);
  const cut = message.lastIndexOf(' - ');
  if (/\b(select|insert|update|delete|with)\b/i.test(message) && cut >= 0) message = '[sql omitted] - ' + message.slice(cut + 3);
  const frames = String(e?.stack ?? '').split('\n').filter((l) => /^\s+at /.test(l)).slice(0, 8).join('\n');
  return `${e?.code ? `${e.code}: ` : ''}${message}${frames ? '\n' + frames : ''}`;
}

