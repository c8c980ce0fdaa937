/** /api/departments: the department tree (read by everyone signed in, changed by administrators). */
import { Router } from 'express';
import type { DepartmentService } from '../auth/departments.js';
import { requireAdmin } from './authn.js';
import { bodyObject, intParam } from './params.js';

export function departmentsRouter(departments: DepartmentService): Router {
  const r = Router();
  r.get('/', async (_req, res) => res.json(await departments.list()));
  r.post('/', requireAdmin, async (req, res) => res.status(201).json(await departments.create(bodyObject(req.body))));
  r.patch('/:id', requireAdmin, async (req, res) => res.json(await departments.update(intParam(req.params.id, 'id'), bodyObject(req.body))));
  r.delete('/:id', requireAdmin, async (req, res) => {
    await departments.remove(intParam(req.params.id, 'id'));
    res.status(204).end();
  });
  return r;
}
