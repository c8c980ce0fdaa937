/**
 * The only way errors leave the server: `{"error": {"code", "message", "fields"?, "details"?}}`
 * in zh-CN or English by Accept-Language, never a stack trace.
 */
import type { NextFunction, Request, Response } from 'express';
import { AppError, msg, loggableError, type Lang } from '../errors.js';
import type { Logger } from './logger.js';

export function langOf(req: Request): Lang {
  const h = String(req.headers['accept-language'] ?? '').toLowerCase();
  if (!h) return 'zh-CN';
  const zh = h.indexOf('zh');
  const en = h.indexOf('en');
  if (en >= 0 && (zh < 0 || en < zh)) return 'en';
  return 'zh-CN';
}

/** body-parser and other library errors → the error model. */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const e = err as { type?: string; status?: number; statusCode?: number; message?: string };
  if (e?.type === 'entity.too.large') return new AppError('payload_too_large', msg('请求体过大（上限 1 MB）', 'Request body too large (limit 1 MB)'));
  if (e?.type === 'entity.parse.failed') return new AppError('bad_request', msg('请求体不是合法的 JSON', 'Malformed JSON in request body'));
  if (e?.type === 'encoding.unsupported' || e?.type === 'charset.unsupported') return new AppError('bad_request', msg('不支持的编码', 'Unsupported body encoding'));
  if (e?.type === 'request.aborted') return new AppError('bad_request', msg('请求被中止', 'Request aborted'));
  if (e instanceof URIError) return new AppError('bad_request', msg('URL 编码不合法', 'Malformed URL encoding'));
  // PostgreSQL refuses text it cannot store (a NUL character, bytes that are no UTF-8): the input's fault.
  const pgCode = (err as { code?: unknown })?.code;
  if (pgCode === '22021' || pgCode === '22P05') return new AppError('bad_request', msg('文本中含有无法保存的字符（如 NUL）', 'The text holds a character that cannot be stored (such as NUL)'));
  const status = e?.status ?? e?.statusCode;
  if (status && status >= 400 && status < 500) return new AppError('bad_request', msg('请求不合法', 'Bad request'));
  return new AppError('internal', msg('服务器内部错误', 'Internal server error'));
}

export function errorHandler(logger: Logger) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const app = toAppError(err);
    if (app.code === 'internal') logger.error('request failed', { requestId: (req as any).id, path: req.path, error: loggableError(err) });
    if (res.headersSent) return res.end();
    // A body we stopped reading (too large, malformed) must not be parsed as the next request.
    if (!req.complete) res.setHeader('Connection', 'close');
    if (app.headers) for (const [k, v] of Object.entries(app.headers)) res.setHeader(k, v);
    res.status(app.status).json(app.toBody(langOf(req)));
  };
}

export function notFoundHandler(req: Request, _res: Response, next: NextFunction) {
  next(new AppError('not_found', msg('没有这个接口', `No route ${req.method} ${req.path}`)));
}
