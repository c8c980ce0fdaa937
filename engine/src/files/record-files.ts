/**
 * Files and signatures in record writes (called by RecordService inside the write's transaction).
 *
 *  - `prepareRecordFiles` (before the row is written): every file ref in an attachment or image
 *    field (subtable rows' too) must name a stored file that is either already attached to this
 *    very record and field, or unattached, uploaded for this form and field, by this actor; else
 *    a `validation` error on that field. The refs are rewritten from the stored rows
 *    (`{id, name, size, mime, url}`), never taken from the client. A field without `multiple`
 *    holds one file. A changed signature must decode as a real PNG.
 *  - `attachRecordFiles` (after the row is written, its id known): marks the new files attached
 *    and deletes the files the record's fields no longer hold.
 *  - `removeRecordFiles` (record deleted): deletes its files.
 *
 * Forms without file or signature fields cost nothing here (no query).
 */
import type { Knex } from 'knex';
import type { Actor } from '../auth/actor.js';
import type { CompiledForm } from '../store/compiled-form.js';
import type { FieldDef } from '../meta/types.js';
import { labelText } from '../meta/types.js';
import { msg, validationError, type Msg } from '../errors.js';
import { attachFiles, deleteDetached, deleteRecordFiles, fileRows, toRef, type FileRow } from './file-store.js';
import { signatureProblem } from './signature.js';

/** A file or signature field of a form: top-level (`sub` null) or in a subtable's rows. */
export interface FileFieldPath {
  /** `key`, or `subtable.key` for a row field (what fw_files.field holds). */
  path: string;
  field: FieldDef;
  /** The subtable's key for a row field. */
  sub: string | null;
}

const FILE_TYPES = new Set(['attachment', 'image']);
const cache = new WeakMap<CompiledForm, { files: FileFieldPath[]; signatures: FileFieldPath[] }>();

export function fileFieldPaths(form: CompiledForm): { files: FileFieldPath[]; signatures: FileFieldPath[] } {
  let hit = cache.get(form);
  if (!hit) {
    const files: FileFieldPath[] = [];
    const signatures: FileFieldPath[] = [];
    const put = (f: FieldDef, sub: string | null) => {
      if (f.formula !== undefined) return;
      const p = { path: sub ? `${sub}.${f.key}` : f.key, field: f, sub };
      if (FILE_TYPES.has(f.type)) files.push(p);
      else if (f.type === 'signature') signatures.push(p);
    };
    for (const f of form.fields) put(f, null);
    for (const st of form.subtables) for (const sf of st.field.fields ?? []) if (!sf.deleted) put(sf, st.field.key);
    hit = { files, signatures };
    cache.set(form, hit);
  }
  return hit;
}

/** Does a record (or a write's input) put any file ref in a field? Without, a write needs no file work. */
export function holdsFileRefs(form: CompiledForm, record: unknown): boolean {
  if (!record || typeof record !== 'object') return false;
  return fileFieldPaths(form).files.some((p) => valuesAt(record as Record<string, unknown>, p).some(({ value }) => Array.isArray(value) && value.length > 0));
}

/** A form's attachment or image field by path (`key` or `subtable.key`). */
export function fileField(form: CompiledForm, path: string): FileFieldPath | null {
  return fileFieldPaths(form).files.find((p) => p.path === path) ?? null;
}

/** Each value of a field path in a record, with the error key it answers to. */
function valuesAt(record: Record<string, unknown>, p: FileFieldPath): Array<{ key: string; value: unknown; set: (v: unknown) => void }> {
  if (!p.sub) return [{ key: p.field.key, value: record[p.field.key], set: (v) => (record[p.field.key] = v) }];
  const rows = record[p.sub];
  if (!Array.isArray(rows)) return [];
  return rows.flatMap((row, i) =>
    row && typeof row === 'object' ? [{ key: `${p.sub}.${i}.${p.field.key}`, value: (row as any)[p.field.key], set: (v: unknown) => ((row as any)[p.field.key] = v) }] : [],
  );
}

const refIds = (v: unknown): string[] => (Array.isArray(v) ? v.map((r) => (r && typeof r === 'object' ? (r as any).id : undefined)).filter((id): id is string => typeof id === 'string') : []);

/**
 * Checks and rewrites the file refs and signatures of records about to be written. `current`:
 * the stored record on update (`recordId` its id). `prefix(i)` keys errors of record i (bulk creates).
 */
export async function prepareRecordFiles(
  trx: Knex, actor: Actor, form: CompiledForm, records: Array<Record<string, unknown>>, current: (Record<string, unknown> & { id: number }) | null,
  prefix: (i: number) => string = () => '',
): Promise<void> {
  const { files, signatures } = fileFieldPaths(form);
  if (!files.length && !signatures.length) return;
  const errors: Record<string, Msg[]> = {};
  const fail = (key: string, m: Msg) => (errors[key] ??= []).push(m);

  // Signatures: a changed value must be a real PNG (an unchanged one was checked when written).
  for (const p of signatures) {
    const before = new Set(current ? valuesAt(current, p).map((x) => x.value) : []);
    records.forEach((record, i) => {
      for (const { key, value } of valuesAt(record, p)) {
        if (value == null || before.has(value)) continue;
        const problem = signatureProblem(value);
        if (problem) fail(prefix(i) + key, problem);
      }
    });
  }

  if (files.length) {
    const wanted = new Set<string>();
    for (const record of records) for (const p of files) for (const { value } of valuesAt(record, p)) for (const id of refIds(value)) wanted.add(id);
    const rows = wanted.size ? await fileRows(trx, [...wanted]) : new Map<string, FileRow>();
    const usable = (row: FileRow | undefined, path: string): row is FileRow =>
      !!row && row.form === form.key && row.field === path &&
      (row.recordId == null
        ? actor.isSystem === true || (actor.userId != null && row.createdBy === actor.userId)
        : current != null && row.recordId === current.id);
    records.forEach((record, i) => {
      for (const p of files) {
        // What the stored record holds in this field already may stay (however it got there).
        const held = new Set(current ? valuesAt(current, p).flatMap(({ value }) => refIds(value)) : []);
        for (const { key, value, set } of valuesAt(record, p)) {
          if (value == null) continue;
          if (!Array.isArray(value)) continue; // the value schema reports it
          const refs: unknown[] = [];
          const seen = new Set<string>();
          for (const ref of value) {
            const id = ref && typeof ref === 'object' ? (ref as any).id : undefined;
            const row = typeof id === 'string' ? rows.get(id) : undefined;
            if (typeof id === 'string' && held.has(id) && !usable(row, p.path)) {
              if (!seen.has(id)) refs.push(ref);
              seen.add(id);
              continue;
            }
            if (!usable(row, p.path)) {
              fail(prefix(i) + key, msg(`文件 ${String(id ?? '')} 不存在或不能用于此字段`, `File ${String(id ?? '')} does not exist or cannot be used in this field`));
              continue;
            }
            if (seen.has(row.id)) continue;
            seen.add(row.id);
            refs.push(toRef(row));
          }
          if (p.field.multiple !== true && refs.length > 1) {
            fail(prefix(i) + key, msg(`“${labelText(p.field.label)}”只能有一个文件`, `${labelText(p.field.label, 'en') || p.field.key} holds one file only`));
          }
          set(refs);
        }
      }
    });
  }
  if (Object.keys(errors).length) throw validationError(errors);
}

/** After the write: the record's new files attached, the ones it no longer holds deleted. */
export async function attachRecordFiles(trx: Knex, form: CompiledForm, recordId: number, record: Record<string, unknown>, isUpdate: boolean): Promise<void> {
  const { files } = fileFieldPaths(form);
  for (const p of files) {
    const ids = [...new Set(valuesAt(record, p).flatMap(({ value }) => refIds(value)))];
    // Another write attached one of them first (both saw it unattached).
    if ((await attachFiles(trx, ids, form.key, p.path, recordId)) > 0) {
      throw validationError({ [p.path]: [msg('文件已被其他记录使用，请重新上传', 'A file is already used by another record; upload it again')] });
    }
    if (isUpdate) await deleteDetached(trx, form.key, p.path, recordId, ids);
  }
}

/** The record is deleted: so are its files. */
export async function removeRecordFiles(trx: Knex, form: CompiledForm, recordId: number): Promise<void> {
  if (!fileFieldPaths(form).files.length) return;
  await deleteRecordFiles(trx, form.key, recordId);
}

/** Does the record (as its reader sees it) hold the file in the field at `path`? */
export function recordHoldsFile(record: Record<string, unknown>, path: string, id: string): boolean {
  const dot = path.indexOf('.');
  if (dot < 0) return refIds(record[path]).includes(id);
  const rows = record[path.slice(0, dot)];
  const key = path.slice(dot + 1);
  return Array.isArray(rows) && rows.some((r) => r && typeof r === 'object' && refIds((r as any)[key]).includes(id));
}
