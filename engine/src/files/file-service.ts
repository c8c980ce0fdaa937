/**
 * Uploads and downloads of files stored in the database.
 *
 * Upload: the caller must be allowed to create or update records of the form, and may write the
 * attachment or image field; the bytes are sniffed (files/sniff.ts), must agree with the
 * Content-Type the client claims, and must be a type the field accepts, within its size limit.
 *
 * Download: the uploader while the file is unattached; once attached, whoever reads the record
 * through RecordService (row scope, field set) and finds the file in that field. Everyone else,
 * and every unknown id, gets the same `not_found`.
 */
import type { Db } from '../store/connection.js';
import type { Actor } from '../auth/actor.js';
import type { AccessPolicy } from '../auth/access-policy.js';
import type { FormRegistry } from '../records/form-registry.js';
import type { RecordService } from '../records/record-service.js';
import { AppError, forbidden, msg, notFound } from '../errors.js';
import { fileLimits, formatBytes, TEXT_TYPES, type FileLimits } from '../meta/file-limits.js';
import { labelText } from '../meta/types.js';
import { fileData, fileRow, insertFile, toRef, type FileRef, type FileRow } from './file-store.js';
import { fileField, recordHoldsFile } from './record-files.js';
import { sniffMime } from './sniff.js';
import { cleanupFiles, type CleanupResult } from './cleanup.js';

export interface UploadTarget {
  form: string;
  /** A field key, or `subtable.key` for a subtable row's field. */
  field: string;
}

/** Client claims that say nothing about the type (the bytes decide). */
const VAGUE_TYPES = new Set(['', 'application/octet-stream', 'binary/octet-stream', 'application/unknown']);
/** Other names browsers use for a type. */
const ALIASES: Record<string, string> = { 'image/jpg': 'image/jpeg', 'image/pjpeg': 'image/jpeg', 'application/x-zip-compressed': 'application/zip', 'application/x-pdf': 'application/pdf' };

const fileNotFound = () => notFound('文件不存在', 'No such file');

/** A file name fit to store and send back: no folders, no control characters, at most 255 characters. */
export function cleanFileName(raw: string): string {
  const base = raw.split(/[\\/]/).pop() ?? '';
  // eslint-disable-next-line no-control-regex
  const name = base.replace(/[\u0000-\u001f\u007f"]/g, '').replace(/^[\s.]+/, '').trim();
  return (name || 'file').slice(0, 255);
}

export class FileService {
  constructor(
    private readonly db: Db,
    private readonly forms: FormRegistry,
    private readonly records: RecordService,
    private readonly policy: AccessPolicy,
  ) {}

  /**
   * The limits of the field a caller may upload to (checked before any byte is read): `not_found`
   * for an unknown form or field, `forbidden` without the right to write it.
   */
  async target(actor: Actor, t: UploadTarget): Promise<FileLimits & { label: string }> {
    const form = await this.forms.get(t.form);
    const canWrite = (await this.policy.can(actor, form, 'create')) || (await this.policy.can(actor, form, 'update'));
    if (!canWrite) throw forbidden('没有权限上传到此表单', `Not allowed to upload files to '${t.form}'`);
    const p = fileField(form, t.field);
    if (!p) throw notFound('没有这个附件或图片字段', `No attachment or image field '${t.field.slice(0, 100)}' in '${t.form}'`);
    const top = p.sub ?? p.field.key;
    const access = await this.policy.fields(actor, form);
    if ((access.visible && !access.visible.has(top)) || access.readOnly.has(top)) throw forbidden('没有权限写入此字段', 'You may not write this field');
    return { ...fileLimits(p.field), label: labelText(p.field.label) || p.field.key };
  }

  /** Stores an upload; the ref to put in the field's value. */
  async upload(actor: Actor, t: UploadTarget, file: { name: string; contentType: string; data: Buffer }): Promise<FileRef> {
    const limits = await this.target(actor, t);
    const fields = (m: ReturnType<typeof msg>) => ({ [t.field]: [m] });
    if (file.data.length > limits.maxSize) throw tooLarge(limits.maxSize, t.field);
    if (!file.data.length) {
      const m = msg('文件是空的', 'The file is empty');
      throw new AppError('validation', m, { fields: fields(m) });
    }
    const claimed = ALIASES[file.contentType] ?? file.contentType;
    const text = (TEXT_TYPES as readonly string[]).includes(claimed) && limits.types.includes(claimed) ? claimed : undefined;
    const actual = sniffMime(file.data, { text });
    const accepted = limits.types.map(shortType).join('、');
    if (!actual) {
      const m = msg(`无法识别的文件类型，此字段只接受：${accepted}`, `Unrecognised file type; this field accepts ${accepted} only`);
      throw new AppError('validation', m, { fields: fields(m) });
    }
    if (!VAGUE_TYPES.has(claimed) && claimed !== actual) {
      const m = msg(`文件内容（${shortType(actual)}）与声明的类型（${file.contentType}）不符`, `The file's content (${shortType(actual)}) does not match its declared type (${file.contentType})`);
      throw new AppError('validation', m, { fields: fields(m) });
    }
    if (!limits.types.includes(actual)) {
      const m = msg(`此字段不接受 ${shortType(actual)} 文件，只接受：${accepted}`, `This field does not accept ${shortType(actual)} files, only ${accepted}`);
      throw new AppError('validation', m, { fields: fields(m) });
    }
    const row = await insertFile(this.db.knex, { name: cleanFileName(file.name), mime: actual, data: file.data, createdBy: actor.userId, form: t.form, field: t.field });
    return toRef(row);
  }

  /** A file the caller may read, with its bytes; `not_found` otherwise (whatever the reason). */
  async open(actor: Actor, id: string): Promise<{ file: FileRow; data: Buffer }> {
    if (!/^[A-Za-z0-9_-]{16,64}$/.test(id)) throw fileNotFound();
    const file = await fileRow(this.db.knex, id);
    if (!file || !(await this.mayRead(actor, file))) throw fileNotFound();
    const data = await fileData(this.db.knex, id);
    if (!data) throw fileNotFound();
    return { file, data };
  }

  private async mayRead(actor: Actor, file: FileRow): Promise<boolean> {
    if (file.recordId == null) return actor.userId != null && file.createdBy === actor.userId;
    try {
      // The record as this caller may read it: row scope and field set applied by RecordService.
      const record = await this.records.get(actor, file.form, file.recordId);
      return recordHoldsFile(record, file.field, file.id);
    } catch (e) {
      if (e instanceof AppError && (e.code === 'not_found' || e.code === 'forbidden')) return false;
      throw e;
    }
  }

  /** Removes files left unattached for more than a day and files of records that are gone. */
  cleanup(opts: { now?: Date } = {}): Promise<CleanupResult> {
    return this.db.knex.transaction((trx) => cleanupFiles(trx, this.forms, opts.now ?? new Date()));
  }
}

/** `payload_too_large` naming the field's limit. */
export function tooLarge(maxSize: number, field?: string): AppError {
  const m = msg(`文件过大：上限 ${formatBytes(maxSize)}`, `The file is too large (limit ${formatBytes(maxSize)})`);
  return new AppError('payload_too_large', m, field ? { fields: { [field]: [m] } } : {});
}

/** A MIME type as people know it (PNG, PDF, Word…). */
function shortType(mime: string): string {
  const known: Record<string, string> = {
    'image/png': 'PNG', 'image/jpeg': 'JPEG', 'image/gif': 'GIF', 'image/webp': 'WEBP', 'application/pdf': 'PDF', 'application/zip': 'ZIP',
    'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'Word',
    'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'Excel',
    'application/vnd.openxmlformats-officedocument.presentationml.presentation': 'PowerPoint',
    'text/plain': 'TXT', 'text/csv': 'CSV',
  };
  return known[mime] ?? mime;
}
