/**
 * examples/two-processes/run.mjs in a short form (12 visits; bounded well under 60 s): two real
 * `formwork serve` processes on one fresh PostgreSQL database behind the round-robin proxy. The
 * report must show a shared session, a form published on A served by B, every write read back
 * through the other process, and workflow jobs run by both; the database is dropped afterwards.
 */
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { PG_URL } from '../../../engine/test/helpers/db.js';
// @ts-expect-error plain JS module without types
import { runTwoProcesses } from '../run.mjs';

describe('two engine processes on one PostgreSQL database', () => {
  it('serve and share the work behind a round-robin proxy', async () => {
    const lines: string[] = [];
    const started = Date.now();
    const report = await runTwoProcesses({ records: 12, pgUrl: PG_URL, log: (l: string) => lines.push(l), timeoutMs: 20_000 });
    expect(Date.now() - started).toBeLessThan(60_000);

    expect(report.processes.map((p: any) => p.name)).toEqual(['A', 'B']);
    expect(report.processes[0].pid).not.toBe(report.processes[1].pid);
    for (const p of report.processes) expect(p.proxied).toBeGreaterThan(0);
    expect(report.sessionShared).toBe(true);
    expect(report.form).toMatchObject({ publishedOn: 'A', revision: 1, seenByB: true });

    const n = report.records.written;
    expect(n).toBeGreaterThanOrEqual(12);
    expect(report.records.via.A + report.records.via.B).toBe(n);
    expect(Math.abs(report.records.via.A - report.records.via.B)).toBeLessThanOrEqual(1);
    expect(report.records.crossReads).toBe(n);
    expect(report.records.crossUpdates).toBe(4);
    expect(report.records.triaged).toBe(n);

    // One wait job per visit, each run exactly once, by one of the two processes, both taking part.
    expect(report.jobs.total).toBe(n);
    expect(report.jobs.other).toBe(0);
    expect(report.jobs.A).toBeGreaterThan(0);
    expect(report.jobs.B).toBeGreaterThan(0);

    expect(lines.join('\n')).toMatch(/4\. \d+ workflow jobs done for \d+ visits: A ran \d+, B ran \d+/);

    // The script dropped its database.
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    try {
      const { rows } = await c.query('select 1 from pg_database where datname = $1', [report.database]);
      expect(rows).toEqual([]);
    } finally {
      await c.end();
    }
  }, 90_000);
});
