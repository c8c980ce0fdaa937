/**
 * Files of attachment and image fields (engine/src/files), mounted at /api/files:
 *   POST /api/files?form=F&field=K   the file itself as the body (its type as Content-Type, its
 *                                    name URI-encoded in X-File-Name) → 201 {id,name,size,mime,url}
 *   GET  /api/files/:id              the file (not_found for anyone who may not read it)
 * The caller's rights on the form and field are checked before a byte of the body is read; the
 * field's size limit bounds the read.
 */
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import type { Engine } from '../app.js';
import { actorOf } from './authn.js';
import { badParam, optionalString } from './params.js';
import { AppError, msg } from '../errors.js';
import { KEY_RE } from '../meta/types.js';
import { tooLarge } from '../files/index.js';

/** Content-Security-Policy of a served file: nothing runs, nothing loads, even if a browser renders it. */
export const FILE_CSP = "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; sandbox; frame-ancestors 'none'";

const FIELD_PATH_RE = /^[a-z][a-z0-9_]{0,47}(\.[a-z][a-z0-9_]{0,47})?$/;

function readBody(req: Request, res: Response, limit: number): Promise<Buffer> {
  const parse = express.raw({ type: () => true, limit });
  return new Promise((resolve, reject) => {
    parse(req, res, ((err?: any) => {
      if (err) return reject(err?.type === 'entity.too.large' ? tooLarge(limit) : err);
      resolve(Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0));
    }) as NextFunction);
  });
}

/** `name; filename="ascii"; filename*=UTF-8''…` (RFC 6266 / RFC 5987). */
export function contentDisposition(kind: 'inline' | 'attachment', name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

export function filesRouter(engine: Engine): Router {
  const r = Router();

  r.post('/', async (req, res) => {
    const form = optionalString(req.query.form, 'form', 48);
    const field = optionalString(req.query.field, 'field', 100);
    // Like an unknown form or field: not_found (after the rights on the form, for a bad field).
    if (!form || !KEY_RE.test(form)) throw new AppError('not_found', msg('表单不存在', `No form '${String(form ?? '').slice(0, 60)}'`));
    const fieldPath = field && FIELD_PATH_RE.test(field) ? field : '';
    const type = String(req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type.startsWith('multipart/') || type === 'application/json' || type === 'application/x-www-form-urlencoded') {
      throw new AppError('bad_request', msg('请把文件本身作为请求体上传', 'Send the file itself as the body, not JSON, a form or multipart'));
    }
    let name = 'file';
    const header = req.headers['x-file-name'];
    if (typeof header === 'string' && header) {
      try {
        name = decodeURIComponent(header);
      } catch {
        throw badParam('X-File-Name', 'X-File-Name 须是 URI 编码的文件名', 'X-File-Name must be a URI-encoded file name');
      }
    }
    const actor = actorOf(req);
    // Rights and limits first: nobody streams a file into a field they may not write.
    const limits = await engine.files.target(actor, { form, field: fieldPath });
    const data = await readBody(req, res, limits.maxSize).catch((e) => {
      if (e instanceof AppError && e.code === 'payload_too_large') throw tooLarge(limits.maxSize, fieldPath);
      throw e;
    });
    const ref = await engine.files.upload(actor, { form, field: fieldPath }, { name, contentType: type, data });
    res.status(201).setHeader('Location', ref.url);
    res.json(ref);
  });

  r.get('/:id', async (req, res) => {
    const { file, data } = await engine.files.open(actorOf(req), String(req.params.id));
    const image = file.mime.startsWith('image/');
    res.setHeader('Content-Type', file.mime.startsWith('text/') ? `${file.mime}; charset=utf-8` : file.mime);
    res.setHeader('Content-Length', String(data.length));
    res.setHeader('Content-Disposition', contentDisposition(image ? 'inline' : 'attachment', file.name));
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Content-Security-Policy', FILE_CSP);
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    res.setHeader('Cache-Control', 'private, no-store');
    res.end(data);
  });

  return r;
}
