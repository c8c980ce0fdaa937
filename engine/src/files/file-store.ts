/**
 * The `fw_files` table: uploaded files with their bytes, in the database (migration 012_files).
 * A file is uploaded for one form's field (`form`, `field`: a field key, or `subtable.key` for a
 * subtable row's field) and belongs to its uploader until a record write attaches it
 * (`record_id`); from then on whoever may read that record and see that field may read it.
 *
 * Every function takes the knex (or transaction) to run on: record writes call them inside
 * their own transaction (files/record-files.ts).
 */
import crypto from 'node:crypto';
import type { Knex } from 'knex';
import { nowIso } from '../store/system.js';

export const FILES_TABLE = 'fw_files';

/** A file as a record holds it (the field value is an array of these). */
export interface FileRef {
  id: string;
  name: string;
  size: number;
  mime: string;
  url: string;
}

/** A stored file without its bytes. */
export interface FileRow {
  id: string;
  name: string;
  mime: string;
  size: number;
  sha256: string;
  createdBy: number | null;
  createdAt: string;
  form: string;
  field: string;
  recordId: number | null;
  attachedAt: string | null;
}

const META_COLUMNS = ['id', 'name', 'mime', 'size', 'sha256', 'created_by', 'created_at', 'form', 'field', 'record_id', 'attached_at'];

/** 24 characters of base64url (144 random bits): ids nobody can guess or enumerate. */
export function newFileId(): string {
  return crypto.randomBytes(18).toString('base64url');
}

export const fileUrl = (id: string) => `/api/files/${id}`;

export function toRef(row: Pick<FileRow, 'id' | 'name' | 'size' | 'mime'>): FileRef {
  return { id: row.id, name: row.name, size: row.size, mime: row.mime, url: fileUrl(row.id) };
}

function fromRow(r: any): FileRow {
  return {
    id: String(r.id), name: String(r.name), mime: String(r.mime), size: Number(r.size), sha256: String(r.sha256),
    createdBy: r.created_by == null ? null : Number(r.created_by), createdAt: String(r.created_at),
    form: String(r.form), field: String(r.field), recordId: r.record_id == null ? null : Number(r.record_id),
    attachedAt: r.attached_at == null ? null : String(r.attached_at),
  };
}

export async function insertFile(
  knex: Knex, file: { name: string; mime: string; data: Buffer; createdBy: number | null; form: string; field: string },
): Promise<FileRow> {
  const row = {
    id: newFileId(), name: file.name, mime: file.mime, size: file.data.length,
    sha256: crypto.createHash('sha256').update(file.data).digest('hex'), data: file.data,
    created_by: file.createdBy, created_at: nowIso(), form: file.form, field: file.field, record_id: null, attached_at: null,
  };
  await knex(FILES_TABLE).insert(row);
  const { data: _data, ...meta } = row;
  return fromRow(meta);
}

/** A file's facts without its bytes; null when there is none. */
export async function fileRow(knex: Knex, id: string): Promise<FileRow | null> {
  const r = await knex(FILES_TABLE).where({ id }).select(META_COLUMNS).first();
  return r ? fromRow(r) : null;
}

export async function fileRows(knex: Knex, ids: string[]): Promise<Map<string, FileRow>> {
  const out = new Map<string, FileRow>();
  for (let k = 0; k < ids.length; k += 500) {
    for (const r of await knex(FILES_TABLE).whereIn('id', ids.slice(k, k + 500)).select(META_COLUMNS)) out.set(String(r.id), fromRow(r));
  }
  return out;
}

/** A file's bytes. */
export async function fileData(knex: Knex, id: string): Promise<Buffer | null> {
  const r = await knex(FILES_TABLE).where({ id }).select('data').first();
  if (!r) return null;
  const d = r.data;
  return Buffer.isBuffer(d) ? d : Buffer.from(d);
}

/**
 * Marks files attached to a record's field (those not attached yet); answers how many of `ids`
 * are stored files held elsewhere (another record or field got them first).
 */
export async function attachFiles(knex: Knex, ids: string[], form: string, field: string, recordId: number): Promise<number> {
  if (!ids.length) return 0;
  const at = nowIso();
  let elsewhere = 0;
  for (let k = 0; k < ids.length; k += 500) {
    const chunk = ids.slice(k, k + 500);
    await knex(FILES_TABLE).whereIn('id', chunk).whereNull('record_id').where({ form, field }).update({ record_id: recordId, attached_at: at });
    const r = await knex(FILES_TABLE)
      .whereIn('id', chunk)
      .where((q) => q.whereNot({ form }).orWhereNot({ field }).orWhereNull('record_id').orWhereNot({ record_id: recordId }))
      .count({ n: '*' })
      .first();
    elsewhere += Number((r as any)?.n ?? 0);
  }
  return elsewhere;
}

/** Deletes a record field's files other than `keep` (the ones the record no longer holds). */
export async function deleteDetached(knex: Knex, form: string, field: string, recordId: number, keep: string[]): Promise<number> {
  const q = knex(FILES_TABLE).where({ form, field, record_id: recordId });
  if (keep.length) q.whereNotIn('id', keep);
  return q.delete();
}

/** Deletes every file of a record (the record is deleted). */
export async function deleteRecordFiles(knex: Knex, form: string, recordId: number): Promise<number> {
  return knex(FILES_TABLE).where({ form, record_id: recordId }).delete();
}
