/**
 * System tables (prefix `fw_`), created and upgraded by a tiny ordered migrator.
 * Record tables (prefix `t_`) are the planner's business, not this file's.
 *
 * JSON in system tables is stored as text on both databases and parsed by the services.
 */
import type { Knex } from 'knex';
import type { Db } from './connection.js';

interface Migration {
  name: string;
  up(knex: Knex, db: Db): Promise<void>;
}

const ts = (t: Knex.CreateTableBuilder, name: string) => t.string(name, 32);

const MIGRATIONS: Migration[] = [
  {
    name: '001_documents',
    async up(knex) {
      // A metadata document: its draft and a pointer to its published revision.
      await knex.schema.createTable('fw_documents', (t) => {
        t.string('kind', 16).notNullable();
        t.string('key', 48).notNullable();
        t.string('module', 64);
        t.text('label');
        t.text('draft').notNullable();
        t.integer('revision'); // published revision, null while only a draft exists
        ts(t, 'draft_updated_at').notNullable();
        ts(t, 'published_at');
        t.primary(['kind', 'key']);
      });
      // Every published revision, kept forever (history, diff, rollback).
      await knex.schema.createTable('fw_revisions', (t) => {
        t.increments('id');
        t.string('kind', 16).notNullable();
        t.string('key', 48).notNullable();
        t.integer('revision').notNullable();
        t.text('doc').notNullable();
        t.text('steps');
        ts(t, 'published_at').notNullable();
        t.integer('published_by');
        t.string('note', 500);
        t.unique(['kind', 'key', 'revision']);
      });
      // Monotonic counter bumped on every publish: other processes compare it to refresh caches.
      await knex.schema.createTable('fw_meta_version', (t) => {
        t.integer('id').primary();
        t.integer('version').notNullable();
      });
      await knex('fw_meta_version').insert({ id: 1, version: 0 });
    },
  },
  {
    name: '002_records',
    async up(knex) {
      // Autonumber counters: one row per (form field, period).
      await knex.schema.createTable('fw_counters', (t) => {
        t.string('name', 120).notNullable();
        t.string('period', 16).notNullable();
        t.integer('value').notNullable();
        t.primary(['name', 'period']);
      });
      // Field-level audit of every record write.
      await knex.schema.createTable('fw_audit', (t) => {
        t.bigIncrements('id');
        t.string('form', 48).notNullable();
        t.bigInteger('record_id').notNullable();
        t.string('action', 16).notNullable();
        ts(t, 'at').notNullable();
        t.integer('by');
        t.text('changes').notNullable();
        t.index(['form', 'record_id']);
      });
      // The outbox: events committed with the write that caused them, consumed by workflows and webhooks.
      await knex.schema.createTable('fw_outbox', (t) => {
        t.bigIncrements('id');
        t.string('event', 48).notNullable();
        t.string('form', 48);
        t.bigInteger('record_id');
        t.text('payload').notNullable();
        t.string('idempotency_key', 200).notNullable().unique();
        ts(t, 'created_at').notNullable();
        ts(t, 'processed_at');
        t.index(['processed_at', 'id']);
      });
    },
  },
  {
    name: '003_identity',
    async up(knex) {
      await knex.schema.createTable('fw_departments', (t) => {
        t.increments('id');
        t.integer('parent_id').references('id').inTable('fw_departments').onDelete('RESTRICT');
        t.string('key', 48).unique();
        t.text('name').notNullable();
        t.string('kind', 16).notNullable().defaultTo('department'); // group | store | department
        t.integer('head_user_id');
      });
      await knex.schema.createTable('fw_users', (t) => {
        t.increments('id');
        t.string('username', 64).notNullable().unique();
        t.string('display_name', 128).notNullable();
        t.string('password_hash', 255);
        t.text('roles').notNullable().defaultTo('[]');
        t.integer('department_id').references('id').inTable('fw_departments').onDelete('SET NULL');
        t.integer('manager_id');
        t.string('email', 255);
        t.boolean('disabled').notNullable().defaultTo(false);
        t.boolean('is_service').notNullable().defaultTo(false);
        ts(t, 'created_at').notNullable();
      });
      // Login sessions and API tokens; only the SHA-256 of a token is stored.
      await knex.schema.createTable('fw_tokens', (t) => {
        t.increments('id');
        t.string('token_hash', 64).notNullable().unique();
        t.integer('user_id').notNullable().references('id').inTable('fw_users').onDelete('CASCADE');
        t.string('kind', 16).notNullable(); // session | api
        t.string('name', 128);
        t.text('scopes');
        ts(t, 'created_at').notNullable();
        ts(t, 'expires_at');
        ts(t, 'revoked_at');
      });
    },
  },
  {
    name: '004_packs',
    async up(knex) {
      // Installed template packs (the packs issue adds provenance per document and overlays).
      await knex.schema.createTable('fw_packs', (t) => {
        t.string('name', 64).primary();
        t.string('version', 32).notNullable();
        t.text('manifest').notNullable();
        ts(t, 'installed_at').notNullable();
      });
    },
  },
  {
    name: '005_security_log',
    async up(knex, db) {
      // The security audit log (auth/security-log.ts): append-only, enforced by the database.
      await knex.schema.createTable('fw_security_log', (t) => {
        t.bigIncrements('id');
        ts(t, 'at').notNullable();
        t.string('event', 48).notNullable();
        t.integer('actor_id');
        t.string('actor_name', 128);
        t.string('target', 200);
        t.text('detail').notNullable();
        t.string('address', 64);
        t.string('request_id', 64);
        t.index(['event', 'id']);
      });
      if (db.dialect === 'pg') {
        await knex.raw(`create or replace function fw_security_log_append_only() returns trigger language plpgsql as $fw$
begin
  raise exception 'fw_security_log is append-only' using errcode = 'insufficient_privilege';
end
$fw$`);
        await knex.raw('create trigger fw_security_log_no_change before update or delete on fw_security_log for each row execute function fw_security_log_append_only()');
        await knex.raw('create trigger fw_security_log_no_truncate before truncate on fw_security_log for each statement execute function fw_security_log_append_only()');
      } else {
        await knex.raw(`create trigger fw_security_log_no_update before update on fw_security_log begin select raise(abort, 'append-only'); end`);
        await knex.raw(`create trigger fw_security_log_no_delete before delete on fw_security_log begin select raise(abort, 'append-only'); end`);
      }
    },
  },
  {
    name: '006_jobs',
    async up(knex) {
      // The durable job queue (workflow/jobs.ts): timers, due times, reminders, notifications,
      // webhooks. Claimed with a lease (locked_by, lease_until); idempotency_key is unique where
      // not null (both databases let a plain unique index hold many NULLs).
      await knex.schema.createTable('fw_jobs', (t) => {
        t.bigIncrements('id');
        t.string('kind', 48).notNullable();
        ts(t, 'run_at').notNullable();
        t.string('status', 16).notNullable().defaultTo('pending'); // pending | running | done | failed | cancelled
        t.text('payload').notNullable();
        t.string('idempotency_key', 255).unique();
        t.integer('attempts').notNullable().defaultTo(0);
        t.integer('max_attempts').notNullable().defaultTo(5);
        t.text('last_error');
        t.string('locked_by', 128);
        ts(t, 'lease_until');
        ts(t, 'created_at').notNullable();
        ts(t, 'done_at');
        t.index(['status', 'run_at']);
      });
    },
  },
  {
    name: '007_workflows',
    async up(knex) {
      // Workflow instances, pinned to the revision they started on; one per trigger event
      // (idempotency_key is unique).
      await knex.schema.createTable('fw_wf_instances', (t) => {
        t.bigIncrements('id');
        t.string('workflow', 48).notNullable();
        t.integer('revision').notNullable();
        t.string('form', 48);
        t.bigInteger('record_id');
        t.string('status', 16).notNullable(); // running | completed | rejected | cancelled | failed
        t.text('context').notNullable();
        t.integer('started_by');
        ts(t, 'started_at').notNullable();
        ts(t, 'ended_at');
        t.string('idempotency_key', 255).notNullable().unique();
        t.index(['form', 'record_id', 'status']);
        t.index(['workflow', 'status']);
      });
      // Tokens: where an instance stands (several for parallel branches).
      await knex.schema.createTable('fw_wf_tokens', (t) => {
        t.bigIncrements('id');
        t.bigInteger('instance_id').notNullable().references('id').inTable('fw_wf_instances').onDelete('CASCADE');
        t.string('node_id', 48).notNullable();
        t.string('status', 16).notNullable(); // active | waiting | done | cancelled
        t.bigInteger('fork_id');
        t.text('state').notNullable();
        ts(t, 'created_at').notNullable();
        t.index(['instance_id', 'status']);
        t.index(['fork_id']);
      });
      // Human tasks (approvals, returns, CC): completed by compare-and-set on status.
      await knex.schema.createTable('fw_wf_tasks', (t) => {
        t.bigIncrements('id');
        t.bigInteger('instance_id').notNullable().references('id').inTable('fw_wf_instances').onDelete('CASCADE');
        t.bigInteger('token_id').notNullable();
        t.string('node_id', 48).notNullable();
        t.string('workflow', 48).notNullable();
        t.string('form', 48);
        t.bigInteger('record_id');
        t.integer('assignee').notNullable();
        t.string('status', 16).notNullable(); // open | done | cancelled
        t.string('kind', 16).notNullable(); // approval | cc
        t.string('title', 500).notNullable();
        t.text('actions').notNullable();
        t.text('editable_fields').notNullable();
        t.text('detail');
        ts(t, 'created_at').notNullable();
        ts(t, 'due_at');
        ts(t, 'done_at');
        t.integer('done_by');
        t.string('action', 32);
        t.text('comment');
        t.index(['assignee', 'status']);
        t.index(['token_id', 'status']);
        t.index(['instance_id']);
      });
      // The history of every step (the record's workflow timeline).
      await knex.schema.createTable('fw_wf_history', (t) => {
        t.bigIncrements('id');
        t.bigInteger('instance_id').notNullable().references('id').inTable('fw_wf_instances').onDelete('CASCADE');
        ts(t, 'at').notNullable();
        t.string('node_id', 48);
        t.integer('actor');
        t.string('action', 32).notNullable();
        t.text('comment');
        t.text('detail');
        t.index(['instance_id']);
      });
      // In-app notifications.
      await knex.schema.createTable('fw_notifications', (t) => {
        t.bigIncrements('id');
        t.integer('user_id').notNullable();
        t.string('title', 500).notNullable();
        t.text('body');
        t.string('link', 500);
        ts(t, 'at').notNullable();
        ts(t, 'read_at');
        t.index(['user_id', 'read_at']);
      });
    },
  },
  {
    name: '008_webhook_deliveries',
    async up(knex) {
      // The delivery log of outgoing webhooks (workflow/webhook-delivery.ts): one row per webhook
      // node run, updated by each attempt of its `webhook.deliver` job. The URL is stored without
      // credentials, the request body only as its size, the signing secret never.
      await knex.schema.createTable('fw_webhook_deliveries', (t) => {
        t.string('id', 36).primary(); // a UUID, sent as X-Formwork-Delivery
        t.string('workflow', 48).notNullable();
        t.bigInteger('instance_id');
        t.string('node_id', 48).notNullable();
        t.string('url', 2000).notNullable();
        t.string('method', 8).notNullable();
        t.string('status', 16).notNullable(); // pending | succeeded | failed
        t.integer('attempts').notNullable().defaultTo(0);
        t.integer('last_status_code');
        t.text('last_error');
        t.integer('body_size').notNullable();
        ts(t, 'created_at').notNullable();
        ts(t, 'updated_at').notNullable();
        t.index(['workflow', 'created_at']);
        t.index(['instance_id']);
        t.index(['status', 'created_at']);
      });
    },
  },
  {
    name: '009_imports',
    async up(knex) {
      // Record imports (records/import-jobs.ts): one row per uploaded file, its progress updated
      // every batch so any process can report it; `errors` holds the first rows' problems only.
      await knex.schema.createTable('fw_imports', (t) => {
        t.string('id', 36).primary(); // a UUID
        t.string('form', 48).notNullable();
        t.integer('created_by');
        t.string('status', 16).notNullable(); // queued | running | done | failed
        t.string('phase', 16); // validating | writing
        t.boolean('dry_run').notNullable().defaultTo(false);
        t.string('mode', 16).notNullable(); // all_or_nothing | valid_only
        t.string('file_name', 255);
        t.string('file_kind', 8).notNullable(); // csv | xlsx
        t.bigInteger('file_size').notNullable().defaultTo(0);
        t.integer('total');
        t.integer('processed').notNullable().defaultTo(0);
        t.integer('created').notNullable().defaultTo(0);
        t.integer('failed_rows').notNullable().defaultTo(0);
        t.integer('error_count').notNullable().defaultTo(0);
        t.text('errors'); // JSON [{row, column, field, message: {zh-CN, en}}], capped
        t.text('warnings'); // JSON, same shape
        t.text('mapping'); // JSON {header: field key | null}
        t.text('failure'); // JSON {code, message} when the job itself failed
        ts(t, 'created_at').notNullable();
        ts(t, 'started_at');
        ts(t, 'updated_at');
        ts(t, 'finished_at');
        t.index(['created_by', 'created_at']);
        t.index(['form', 'created_at']);
      });
    },
  },
  {
    name: '010_job_claim_indexes',
    async up(knex) {
      // The claim reads due pending jobs by (status, run_at, id) and expired claims by
      // (status, lease_until, id), each an index range in order (workflow/jobs.ts).
      await knex.schema.alterTable('fw_jobs', (t) => {
        t.index(['status', 'run_at', 'id'], 'fw_jobs_due');
        t.index(['status', 'lease_until', 'id'], 'fw_jobs_expired');
      });
    },
  },
  {
    name: '011_public_forms',
    async up(knex) {
      // Public form links (records/public-forms.ts): a form's chosen fields at a URL without login.
      await knex.schema.createTable('fw_public_forms', (t) => {
        t.increments('id');
        t.string('slug', 64).notNullable().unique();
        t.string('form', 48).notNullable();
        t.text('fields').notNullable(); // JSON [field key]
        t.text('title'); // JSON Label
        t.text('success_message'); // JSON Label
        t.boolean('enabled').notNullable().defaultTo(true);
        t.integer('submissions').notNullable().defaultTo(0);
        t.integer('created_by');
        ts(t, 'created_at').notNullable();
      });
    },
  },
  {
    name: '012_files',
    async up(knex) {
      // Uploaded files, kept in the database (engine/src/files): processes sharing a database
      // share them and backups hold them. `form`/`field` name the field the file was uploaded
      // for; `record_id` is null until a record write attaches it (files/file-store.ts).
      await knex.schema.createTable('fw_files', (t) => {
        t.string('id', 32).primary(); // 24 characters of base64url: unguessable
        t.string('name', 255).notNullable();
        t.string('mime', 127).notNullable();
        t.bigInteger('size').notNullable();
        t.string('sha256', 64).notNullable();
        t.binary('data').notNullable();
        t.integer('created_by');
        ts(t, 'created_at').notNullable();
        t.string('form', 48).notNullable();
        t.string('field', 100).notNullable();
        t.bigInteger('record_id');
        ts(t, 'attached_at');
        t.index(['form', 'record_id']);
        t.index(['record_id', 'created_at']);
      });
    },
  },
  {
    name: '013_list_views',
    async up(knex) {
      // Saved views of record lists (records/list-views.ts): one person's filter, sort, columns
      // and page size for a form; `shared` views (made by an administrator) are offered to everyone.
      await knex.schema.createTable('fw_list_views', (t) => {
        t.increments('id');
        t.integer('user_id').notNullable().references('id').inTable('fw_users').onDelete('CASCADE');
        t.string('form', 48).notNullable();
        t.string('name', 100).notNullable();
        t.text('filter'); // JSON json-logic, or null
        t.string('sort', 500);
        t.text('columns'); // JSON [field key], or null: the list's default columns
        t.integer('page_size').notNullable().defaultTo(20);
        t.string('q', 200);
        t.boolean('is_default').notNullable().defaultTo(false);
        t.boolean('shared').notNullable().defaultTo(false);
        ts(t, 'created_at').notNullable();
        ts(t, 'updated_at').notNullable();
        t.unique(['user_id', 'form', 'name']);
        t.index(['form', 'shared']);
      });
    },
  },
  {
    name: '014_pack_documents',
    async up(knex) {
      // Provenance of installed documents (packs/pack-service.ts): the pack and version each came
      // from, its checksum, and the pack's document as installed — the base that local edits are
      // an overlay on, and the common ancestor of an upgrade's three-way merge.
      await knex.schema.createTable('fw_pack_documents', (t) => {
        t.string('kind', 16).notNullable();
        t.string('key', 48).notNullable();
        t.string('pack', 64).notNullable();
        t.string('version', 32).notNullable();
        t.string('checksum', 80).notNullable();
        t.text('base').notNullable();
        ts(t, 'installed_at').notNullable();
        t.primary(['kind', 'key']);
        t.index(['pack']);
      });
    },
  },
];

/** Bring the system tables up to date. Safe to run at every start, from several processes. */
export async function migrateSystem(db: Db): Promise<void> {
  const { knex } = db;
  const has = await knex.schema.hasTable('fw_migrations');
  if (!has) {
    try {
      await knex.schema.createTable('fw_migrations', (t) => {
        t.string('name', 100).primary();
        ts(t, 'applied_at').notNullable();
      });
    } catch (e) {
      if (!(await knex.schema.hasTable('fw_migrations'))) throw e;
    }
  }
  for (const m of MIGRATIONS) {
    await knex.transaction(async (trx) => {
      if (db.dialect === 'pg') await trx.raw('select pg_advisory_xact_lock(7406001)');
      const done = await trx('fw_migrations').where({ name: m.name }).first();
      if (done) return;
      await m.up(trx, db);
      await trx('fw_migrations').insert({ name: m.name, applied_at: new Date().toISOString() });
    });
  }
}

export const nowIso = () => new Date().toISOString();
