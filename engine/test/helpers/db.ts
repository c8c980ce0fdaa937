/**
 * Every store, records, workflow and reports test runs on SQLite and PostgreSQL.
 *
 *   describe.each(DIALECTS)('thing on %s', (dialect) => {
 *     let db: TestDb;
 *     beforeAll(async () => { db = await testDb(dialect); });
 *     afterAll(() => db.drop());
 *   });
 *
 * SQLite: a fresh file in the temp folder. PostgreSQL: a fresh schema in FORMWORK_TEST_PG
 * (default postgres://postgres@127.0.0.1:5432/test), dropped afterwards.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import knexFactory from 'knex';
import { openDb, type Db, type Dialect } from '../../src/store/connection.js';

export const DIALECTS: Dialect[] = ['sqlite', 'pg'];
export const PG_URL = process.env.FORMWORK_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestDb extends Db {
  /** Close and remove the database. */
  drop(): Promise<void>;
}

export function testDbUrl(dialect: Dialect): { url: string; schema?: string; file?: string } {
  const id = crypto.randomBytes(5).toString('hex');
  if (dialect === 'sqlite') {
    const file = path.join(os.tmpdir(), `formwork-test-${id}.db`);
    return { url: `sqlite:${file}`, file };
  }
  return { url: PG_URL, schema: `fwt_${id}` };
}

export async function testDb(dialect: Dialect): Promise<TestDb> {
  const { url, schema, file } = testDbUrl(dialect);
  const db = await openDb(url, { schema });
  return {
    ...db,
    async drop() {
      await db.close();
      if (file) for (const f of [file, file + '-wal', file + '-shm']) fs.rmSync(f, { force: true });
      if (schema) await dropPgSchema(schema);
    },
  };
}

export async function dropPgSchema(schema: string): Promise<void> {
  const k = knexFactory({ client: 'pg', connection: PG_URL, pool: { min: 0, max: 1 } });
  try {
    await k.raw(`drop schema if exists "${schema}" cascade`);
  } finally {
    await k.destroy();
  }
}
