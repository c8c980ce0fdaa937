/**
 * What an attachment or image field accepts: its size limit and MIME types (field settings
 * `maxSize` and `accept`). The engine sniffs every upload's bytes (engine/src/files/sniff.ts) and
 * holds the result against these; the runtime UI uses them for its file picker.
 *
 * Isomorphic: no Node or database imports.
 */
import type { FieldDef } from './types.js';

/** Default `maxSize`: 10 MB. */
export const FILE_DEFAULT_MAX_SIZE = 10 * 1024 * 1024;
/** No field may accept more than 25 MB per file (files live in the database). */
export const FILE_MAX_SIZE_CAP = 25 * 1024 * 1024;

/** The types an image field may ever hold (no SVG: it can carry scripts). */
export const IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'] as const;

/** Office documents (ZIP containers recognised by their parts). */
export const OFFICE_TYPES = [
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation',
] as const;

/** Plain text: accepted only when a field's `accept` names it (it has no magic bytes to check). */
export const TEXT_TYPES = ['text/plain', 'text/csv'] as const;

/** Every type the engine can recognise by its bytes, and so may store. */
export const KNOWN_FILE_TYPES: readonly string[] = [...IMAGE_TYPES, 'application/pdf', ...OFFICE_TYPES, 'application/zip', ...TEXT_TYPES];

/** An attachment field without `accept`: every recognised type except plain text. */
const DEFAULT_ATTACHMENT_TYPES: readonly string[] = KNOWN_FILE_TYPES.filter((t) => !(TEXT_TYPES as readonly string[]).includes(t));

/** Does a MIME type match an `accept` entry (`image/png` or `image/*`)? */
export function mimeMatches(mime: string, pattern: string): boolean {
  const p = pattern.toLowerCase();
  if (p.endsWith('/*')) return mime.startsWith(p.slice(0, -1));
  return mime === p;
}

export interface FileLimits {
  maxSize: number;
  /** The exact MIME types accepted (a subset of KNOWN_FILE_TYPES). */
  types: string[];
}

/** The effective limits of an attachment or image field. */
export function fileLimits(field: Pick<FieldDef, 'type' | 'maxSize' | 'accept'>): FileLimits {
  const maxSize = Math.min(field.maxSize ?? FILE_DEFAULT_MAX_SIZE, FILE_MAX_SIZE_CAP);
  const base: readonly string[] = field.type === 'image' ? IMAGE_TYPES : field.accept ? KNOWN_FILE_TYPES : DEFAULT_ATTACHMENT_TYPES;
  const types = field.accept ? base.filter((t) => field.accept!.some((p) => mimeMatches(t, p))) : [...base];
  return { maxSize, types };
}

/** `accept` entries that name no type this field type can hold (metaschema check). */
export function unknownAcceptEntries(field: Pick<FieldDef, 'type' | 'accept'>): string[] {
  const base: readonly string[] = field.type === 'image' ? IMAGE_TYPES : KNOWN_FILE_TYPES;
  return (field.accept ?? []).filter((p) => !base.some((t) => mimeMatches(t, p)));
}

/** A size for people: 10 MB, 512 KB. */
export function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${Math.round((n / (1024 * 1024)) * 10) / 10} MB`;
  if (n >= 1024) return `${Math.round((n / 1024) * 10) / 10} KB`;
  return `${n} B`;
}
