/**
 * The composition root: one database, the services on it, wired together. Every entry point
 * (HTTP, CLI, tests) builds an Engine here.
 */
import type { Db } from './store/connection.js';
import { openDb } from './store/connection.js';
import { migrateSystem } from './store/system.js';
import { DocumentService } from './documents/document-service.js';
import { FormRegistry } from './records/form-registry.js';
import { RecordService } from './records/record-service.js';
import { UserService } from './auth/user-service.js';
import { createLogger, type Logger } from './http/logger.js';
import type { TokenCache } from './http/authn.js';

export const ENGINE_VERSION = '0.1.0';

export interface Engine {
  version: string;
  db: Db;
  docs: DocumentService;
  forms: FormRegistry;
  records: RecordService;
  users: UserService;
  logger: Logger;
  tokenCache?: TokenCache;
  close(): Promise<void>;
}

export interface EngineOptions {
  /** sqlite:PATH or postgres://… */
  dbUrl: string;
  /** PostgreSQL schema (tests). */
  schema?: string;
  logger?: Logger;
  /** An already open database (tests). */
  db?: Db;
}

export async function createEngine(opts: EngineOptions): Promise<Engine> {
  const db = opts.db ?? (await openDb(opts.dbUrl, { schema: opts.schema }));
  await migrateSystem(db);
  const docs = new DocumentService(db);
  const forms = new FormRegistry(docs);
  await forms.load();
  const records = new RecordService(db, forms);
  const users = new UserService(db);
  const logger = opts.logger ?? createLogger();
  return {
    version: ENGINE_VERSION, db, docs, forms, records, users, logger,
    close: () => db.close(),
  };
}
