/** /api/records: CRUD, lists with filter/sort/page/q, history. Everything through RecordService. */
import { Router } from 'express';
import type { RecordService } from '../records/record-service.js';
import { actorOf } from './authn.js';
import { intParam, optionalInt, optionalString, jsonParam, bodyObject } from './params.js';
import { AppError, msg } from '../errors.js';
import { KEY_RE } from '../meta/types.js';

function formKey(v: string): string {
  if (!KEY_RE.test(v)) throw new AppError('not_found', msg('表单不存在', `No form '${v.slice(0, 60)}'`));
  return v;
}

export function recordsRouter(records: RecordService): Router {
  const r = Router();

  r.get('/:form', async (req, res) => {
    const q = req.query;
    const result = await records.list(actorOf(req), formKey(String(req.params.form)), {
      filter: jsonParam(q.filter, 'filter'),
      sort: optionalString(q.sort, 'sort', 500),
      page: optionalInt(q.page, 'page'),
      pageSize: optionalInt(q.pageSize, 'pageSize', { min: 1 }),
      q: optionalString(q.q, 'q', 200),
      after: optionalString(q.after, 'after', 4000),
      count: optionalString(q.count, 'count', 10) as 'exact' | 'capped' | undefined,
    });
    res.json(result);
  });

  r.post('/:form', async (req, res) => {
    const rec = await records.create(actorOf(req), formKey(String(req.params.form)), bodyObject(req.body));
    res.status(201).json(rec);
  });

  r.get('/:form/:id', async (req, res) => {
    res.json(await records.get(actorOf(req), formKey(String(req.params.form)), intParam(String(req.params.id), 'id')));
  });

  r.patch('/:form/:id', async (req, res) => {
    const body = bodyObject(req.body);
    const v = body._version;
    if (v === undefined) {
      throw new AppError('validation', msg('缺少 _version', '_version is required'), { fields: { _version: [msg('请带上读取时的 _version', 'Send the _version you last read')] } });
    }
    if (!Number.isInteger(v) || (v as number) < 1) {
      throw new AppError('validation', msg('_version 不合法', 'Invalid _version'), { fields: { _version: [msg('必须是正整数', 'Must be a positive integer')] } });
    }
    const rec = await records.update(actorOf(req), formKey(String(req.params.form)), intParam(String(req.params.id), 'id'), body, { version: v as number });
    res.json(rec);
  });

  r.delete('/:form/:id', async (req, res) => {
    const v = optionalInt(req.query._version, '_version');
    await records.delete(actorOf(req), formKey(String(req.params.form)), intParam(String(req.params.id), 'id'), { version: v });
    res.status(204).end();
  });

  r.get('/:form/:id/history', async (req, res) => {
    res.json(await records.history(actorOf(req), formKey(String(req.params.form)), intParam(String(req.params.id), 'id')));
  });

  return r;
}
