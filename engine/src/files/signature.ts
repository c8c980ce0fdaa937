/**
 * Signatures stay in their record as a `data:image/png;base64,…` URL (small: the field caps it at
 * 200 000 characters). The value schema checks the form of the URL; this checks that the bytes
 * really are a PNG. SVG signatures are refused (an SVG can carry scripts).
 */
import { msg, type Msg } from '../errors.js';
import { isPng } from './sniff.js';

const PREFIX = 'data:image/png;base64,';

/** Why a signature value is refused, or null when it is a real PNG. */
export function signatureProblem(value: unknown): Msg | null {
  if (value == null || value === '') return null;
  const bad = msg('签名必须是 PNG 图片', 'The signature must be a PNG image');
  if (typeof value !== 'string' || !value.startsWith(PREFIX)) return bad;
  const b64 = value.slice(PREFIX.length);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) return bad;
  const bytes = Buffer.from(b64, 'base64');
  return isPng(bytes) ? null : bad;
}
