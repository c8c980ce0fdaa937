/**
 * The outgoing-webhook delivery log (administrators only), mounted at /api/webhook-deliveries:
 *
 *   GET /api/webhook-deliveries?workflow=&status=&instance=&limit=   → { items: DeliveryView[] }, newest first
 *   GET /api/webhook-deliveries/:id                                  → DeliveryView
 *
 * A delivery shows its URL without credentials, its status (pending | succeeded | failed), the
 * attempts so far, the last HTTP status and error, and the body size; never the body, the
 * headers or the signing secret.
 */
import { Router } from 'express';
import type { Engine } from '../app.js';
import { requireAdmin } from './authn.js';
import { badParam, optionalInt, optionalString } from './params.js';
import { notFound } from '../errors.js';
import { getDelivery, listDeliveries } from '../workflow/webhook-delivery.js';

const STATUSES = ['pending', 'succeeded', 'failed'];
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function webhookDeliveriesRouter(engine: Pick<Engine, 'db'>): Router {
  const r = Router();
  r.use(requireAdmin);
  r.get('/', async (req, res) => {
    const status = optionalString(req.query.status, 'status', 16);
    if (status !== undefined && !STATUSES.includes(status)) throw badParam('status', 'status 须为 pending、succeeded 或 failed', 'status must be pending, succeeded or failed');
    const items = await listDeliveries(engine.db.knex, {
      workflow: optionalString(req.query.workflow, 'workflow', 48),
      status,
      instance: optionalInt(req.query.instance, 'instance'),
      limit: optionalInt(req.query.limit, 'limit', { max: 500 }),
    });
    res.json({ items });
  });
  r.get('/:id', async (req, res) => {
    const id = String(req.params.id);
    const d = UUID_RE.test(id) ? await getDelivery(engine.db.knex, id) : null;
    if (!d) throw notFound('投递记录不存在', `No webhook delivery '${id.slice(0, 60)}'`);
    res.json(d);
  });
  return r;
}
