/**
 * Metadata published by another engine process is seen at once where it matters most: a form,
 * report or dashboard that is missing here is looked up again instead of answering not_found
 * until the next periodic check. On SQLite (two connections to one file) and PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../helpers/db.js';
import { publishForm, testEngine, type TestEngine } from '../helpers/engine.js';
import { createEngine, type Engine } from '../../src/app.js';
import { createLogger } from '../../src/http/logger.js';
import { SYSTEM_ACTOR } from '../../src/auth/actor.js';

describe.each(DIALECTS)('metadata from another process on %s', (dialect) => {
  let t: TestEngine;
  let other: Engine;
  beforeAll(async () => {
    t = await testEngine(dialect);
    // A second engine on the same database, as another process would be.
    other = await createEngine({ dbUrl: t.db.url, schema: (t.db as any).schema, logger: createLogger('off'), dataDir: t.engine.dataDir });
  });
  afterAll(async () => {
    await other?.close();
    await t?.drop();
  });

  it('finds a form, a report and a dashboard published elsewhere a moment ago', async () => {
    // The other engine has just checked for new metadata: its next periodic check is a second away.
    await other.forms.all();
    await publishForm(t.engine, { key: 'late_form', label: 'Late', fields: [{ key: 'name', type: 'text', label: 'Name' }] });
    const rec = await other.records.create(SYSTEM_ACTOR, 'late_form', { name: 'x' });
    expect(rec.name).toBe('x');
    await t.engine.docs.saveDraft('reports', 'late_report', { key: 'late_report', label: 'R', category: 'custom', source: 'late_form', measures: [{ key: 'n', op: 'count' }] });
    await t.engine.docs.publish('reports', 'late_report');
    await t.engine.docs.saveDraft('dashboards', 'late_dash', { key: 'late_dash', label: 'D', widgets: [{ id: 'w', report: 'late_report', layout: { x: 0, y: 0, w: 6, h: 4 } }] });
    await t.engine.docs.publish('dashboards', 'late_dash');
    expect((await other.reports.run(SYSTEM_ACTOR, 'late_report')).rows).toEqual([{ n: 1 }]);
    expect((await other.reports.get(SYSTEM_ACTOR, 'late_dash')).widgets.map((w) => w.id)).toEqual(['w']);
    // Still not_found for what does not exist anywhere.
    await expect(other.forms.get('never_published')).rejects.toMatchObject({ code: 'not_found' });
  });
});
