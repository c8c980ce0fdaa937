/**
 * What a file is, from its bytes (never from the name or the client's Content-Type): PNG, JPEG,
 * GIF, WEBP, PDF, ZIP (and the Office documents inside ZIP containers), and — only when asked —
 * plain text. SVG and HTML are never recognised, so they can never be stored as images.
 */
import { OFFICE_TYPES } from '../meta/file-limits.js';

const startsWith = (buf: Buffer, bytes: number[], at = 0) => buf.length >= at + bytes.length && bytes.every((b, i) => buf[at + i] === b);
const ascii = (s: string) => [...s].map((c) => c.charCodeAt(0));

export const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** A PNG: the signature and an IHDR chunk first. */
export function isPng(buf: Buffer): boolean {
  return startsWith(buf, PNG_MAGIC) && startsWith(buf, ascii('IHDR'), 12);
}

/** The Office document a ZIP container holds, by the part names in its central directory. */
function zipKind(buf: Buffer): string {
  // File names sit uncompressed in the local headers and the central directory.
  const part = buf.length > 320 * 1024 ? Buffer.concat([buf.subarray(0, 64 * 1024), buf.subarray(buf.length - 256 * 1024)]) : buf;
  const text = part.toString('latin1');
  if (text.includes('word/document.xml')) return OFFICE_TYPES[0];
  if (text.includes('xl/workbook.xml')) return OFFICE_TYPES[1];
  if (text.includes('ppt/presentation.xml')) return OFFICE_TYPES[2];
  return 'application/zip';
}

/** Text without NUL or other control characters (tabs and line ends aside), valid UTF-8. */
function isPlainText(buf: Buffer): boolean {
  if (!buf.length) return false;
  for (const b of buf) if (b === 0 || (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0x0c) || b === 0x7f) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(buf);
  } catch {
    return false;
  }
  const head = buf.subarray(0, 512).toString('utf8').trimStart().toLowerCase();
  // Markup is not "plain text" a browser could be talked into rendering.
  return !(head.startsWith('<') || head.includes('<script') || head.includes('<svg') || head.includes('<html'));
}

/**
 * The MIME type the bytes prove, or null. `text` names the text type to report when plain text
 * is acceptable (the client's claim `text/csv` or `text/plain`); without it text is not recognised.
 */
export function sniffMime(buf: Buffer, opts: { text?: string } = {}): string | null {
  if (isPng(buf)) return 'image/png';
  if (startsWith(buf, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (startsWith(buf, ascii('GIF87a')) || startsWith(buf, ascii('GIF89a'))) return 'image/gif';
  if (startsWith(buf, ascii('RIFF')) && startsWith(buf, ascii('WEBP'), 8)) return 'image/webp';
  if (startsWith(buf, ascii('%PDF-'))) return 'application/pdf';
  if (startsWith(buf, [0x50, 0x4b, 0x03, 0x04])) return zipKind(buf);
  if (opts.text && isPlainText(buf)) return opts.text;
  return null;
}
