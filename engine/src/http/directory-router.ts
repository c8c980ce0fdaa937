/**
 * /api/directory: the colleagues a signed-in user may name (transfer a task, add a signer, pick a
 * person in a form): enabled people, by display name and department — no usernames, addresses
 * or roles. Searchable, at most 50 at a time.
 */
import { Router } from 'express';
import type { Engine } from '../app.js';
import { optionalInt, optionalString } from './params.js';

export function directoryRouter(engine: Engine): Router {
  const r = Router();
  r.get('/', async (req, res) => {
    const q = optionalString(req.query.q, 'q', 100);
    const limit = optionalInt(req.query.limit, 'limit', { min: 1, max: 50 }) ?? 20;
    const k = engine.db.knex;
    const query = k('fw_users as u')
      .leftJoin('fw_departments as d', 'd.id', 'u.department_id')
      .where({ 'u.disabled': false, 'u.is_service': false })
      .select('u.id', 'u.display_name', 'u.department_id', 'd.name as department_name')
      .orderBy('u.display_name')
      .limit(limit);
    if (q) {
      const pattern = '%' + q.replace(/[\\%_]/g, (c) => '\\' + c) + '%';
      query.whereRaw(`"u"."display_name" ${engine.db.dialect === 'pg' ? 'ilike' : 'like'} ? escape '\\'`, [pattern]);
    }
    const rows = await query;
    res.json({
      items: rows.map((u: any) => ({
        id: Number(u.id), displayName: u.display_name,
        department: u.department_id == null ? null : Number(u.department_id), departmentName: u.department_name ?? null,
      })),
    });
  });
  return r;
}
