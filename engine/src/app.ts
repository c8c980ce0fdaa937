/**
 * The composition root: one database, the services on it, wired together. Every entry point
 * (HTTP, CLI, tests) builds an Engine here.
 */
import path from 'node:path';
import type { Db } from './store/connection.js';
import { openDb, sqlitePath } from './store/connection.js';
import { migrateSystem } from './store/system.js';
import { FieldCipher } from './store/cipher.js';
import { ColumnCodec } from './store/column-codec.js';
import { DocumentService } from './documents/document-service.js';
import { PublishedCache } from './documents/published-cache.js';
import { FormRegistry } from './records/form-registry.js';
import { RecordService } from './records/record-service.js';
import { UserService } from './auth/user-service.js';
import { DepartmentService } from './auth/departments.js';
import { RolePolicy, checkRoleDocument } from './auth/role-policy.js';
import type { RoleDef } from './auth/role-def.js';
import { createLogger, type Logger } from './http/logger.js';
import type { TokenCache } from './http/authn.js';
import { createWorkflowEngine, type WorkflowEngine } from './workflow/index.js';
import { ReportService } from './reports/report-service.js';
import { DashboardDeliveries } from './reports/delivery.js';
import { PublicForms } from './records/public-forms.js';
import { FileService, registerFileCleanup } from './files/index.js';
import { BackupScheduler, type BackupScheduleConfig } from './store/backup-schedule.js';

import { ENGINE_VERSION } from './version.js';
import { PackService } from './packs/pack-service.js';
import { DerivedIndexes } from './store/derived-indexes.js';
export { ENGINE_VERSION };

export interface Engine {
  version: string;
  db: Db;
  docs: DocumentService;
  forms: FormRegistry;
  roles: PublishedCache<RoleDef>;
  policy: RolePolicy;
  records: RecordService;
  users: UserService;
  departments: DepartmentService;
  workflow: WorkflowEngine;
  reports: ReportService;
  deliveries: DashboardDeliveries;
  publicForms: PublicForms;
  /** Uploaded files (attachment and image fields), stored in the database. */
  files: FileService;
  /** Template packs: install, upgrade, uninstall, export. */
  packs: PackService;
  logger: Logger;
  /** Where the engine keeps files of its own (the generated secret, uploads). */
  dataDir: string;
  /** Indexes derived from the metadata (reports, role rules, shared views). */
  indexes: DerivedIndexes;
  /** Scheduled backups (store/backup-schedule.ts): every engine runs them; `start()` queues them (formwork serve). */
  backups: BackupScheduler;
  tokenCache?: TokenCache;
  close(): Promise<void>;
}

export interface EngineOptions {
  /** sqlite:PATH or postgres://… */
  dbUrl: string;
  /** PostgreSQL schema (tests). */
  schema?: string;
  logger?: Logger;
  /** Build the indexes derived from the metadata at start (default true). */
  derivedIndexes?: boolean;
  /** An already open database (tests). */
  db?: Db;
  /** Default: FORMWORK_DATA_DIR, else the SQLite file's folder, else ./data. */
  dataDir?: string;
  /** This process's backup schedule (formwork serve --backup-dir …); queued by `engine.backups.start()`. */
  backup?: BackupScheduleConfig | null;
}

export function defaultDataDir(dbUrl: string): string {
  if (process.env.FORMWORK_DATA_DIR) return path.resolve(process.env.FORMWORK_DATA_DIR);
  if (dbUrl.startsWith('sqlite:') && sqlitePath(dbUrl) !== ':memory:') return path.dirname(path.resolve(sqlitePath(dbUrl)));
  return path.resolve('data');
}

export async function createEngine(opts: EngineOptions): Promise<Engine> {
  const db = opts.db ?? (await openDb(opts.dbUrl, { schema: opts.schema }));
  await migrateSystem(db);
  const dataDir = opts.dataDir ?? defaultDataDir(opts.dbUrl);
  const codec = new ColumnCodec(FieldCipher.load(dataDir));
  const docs = new DocumentService(db);
  const forms = new FormRegistry(docs);
  const roles = new PublishedCache<RoleDef>(docs, 'roles', (doc) => doc as RoleDef);
  await Promise.all([forms.load(), roles.load()]);
  const policy = new RolePolicy(roles);
  docs.setPublishCheck('roles', (doc) => checkRoleDocument(doc as RoleDef, forms));
  const records = new RecordService(db, forms, policy, codec);
  const users = new UserService(db);
  const departments = new DepartmentService(db);
  const logger = opts.logger ?? createLogger();
  const workflow = createWorkflowEngine({ db, docs, records, logger });
  await workflow.runtime.workflows.load();
  const reports = new ReportService(db, docs, forms, records, policy, departments);
  await reports.load();
  const indexes = new DerivedIndexes(db, forms, docs, logger);
  if (opts.derivedIndexes !== false) indexes.schedule();
  const deliveries = new DashboardDeliveries({ db, jobs: workflow.jobs, reports, users, departments, policy, logger });
  docs.onPublish(async (kind) => {
    if (kind === 'dashboards') await deliveries.reconcile();
    if (kind === 'forms' || kind === 'reports' || kind === 'roles') indexes.schedule();
  });
  docs.onRemove((kind) => {
    if (kind === 'dashboards') void deliveries.reconcile();
  });
  await deliveries.reconcile();
  registerFileCleanup(workflow.jobs, forms);
  const files = new FileService(db, forms, records, policy);
  const backups = new BackupScheduler({ db, jobs: workflow.jobs, logger, config: opts.backup });
  return {
    version: ENGINE_VERSION, db, docs, forms, roles, policy, records, users, departments, workflow, reports, deliveries, publicForms: new PublicForms(db, records), files, packs: new PackService({ db, docs, engineVersion: ENGINE_VERSION }), logger, dataDir, indexes, backups,
    async close() {
      backups.stop();
      await indexes.idle();
      await workflow.close();
      await db.close();
    },
  };
}
