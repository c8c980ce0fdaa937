/** Parsing of path and query parameters into clear `bad_request` errors. */
import { AppError, msg } from '../errors.js';

export function badParam(param: string, zh: string, en: string): AppError {
  return new AppError('bad_request', msg(zh, en), { details: { param } });
}

export function intParam(value: unknown, name: string, opts: { min?: number; max?: number } = {}): number {
  const s = String(value ?? '');
  if (!/^\d{1,15}$/.test(s)) throw badParam(name, `参数 ${name} 必须是正整数`, `Parameter '${name}' must be a positive integer`);
  const n = Number(s);
  if (n < (opts.min ?? 1) || n > (opts.max ?? Number.MAX_SAFE_INTEGER)) throw badParam(name, `参数 ${name} 超出范围`, `Parameter '${name}' is out of range`);
  return n;
}

export function optionalInt(value: unknown, name: string, opts: { min?: number; max?: number } = {}): number | undefined {
  if (value === undefined || value === '') return undefined;
  if (Array.isArray(value)) throw badParam(name, `参数 ${name} 重复`, `Parameter '${name}' given more than once`);
  return intParam(value, name, opts);
}

export function optionalString(value: unknown, name: string, max = 2000): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw badParam(name, `参数 ${name} 不合法`, `Parameter '${name}' must be given once, as text`);
  if (value.length > max) throw badParam(name, `参数 ${name} 过长`, `Parameter '${name}' is too long`);
  return value;
}

export function jsonParam(value: unknown, name: string, max = 16_384): unknown {
  const s = optionalString(value, name, max);
  if (s === undefined || s === '') return undefined;
  try {
    return JSON.parse(s);
  } catch {
    throw badParam(name, `参数 ${name} 不是合法的 JSON`, `Parameter '${name}' is not valid JSON`);
  }
}

export function bodyObject(body: unknown): Record<string, unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new AppError('bad_request', msg('请求体必须是 JSON 对象', 'The body must be a JSON object'));
  }
  return body as Record<string, unknown>;
}
