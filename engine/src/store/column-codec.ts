/**
 * API value ↔ column value for one engine: the field type's conversion (field-types.ts), plus
 * encryption at rest for sensitive fields.
 */
import type { FieldDef } from '../meta/types.js';
import { toColumnValue, fromColumnValue } from '../meta/field-types.js';
import { FieldCipher, isEncrypted } from './cipher.js';

export class ColumnCodec {
  constructor(private readonly cipher: FieldCipher | null = null) {}

  encode(field: FieldDef, value: unknown): unknown {
    const c = toColumnValue(field, value);
    if (c == null || !field.sensitive) return c;
    if (!this.cipher) throw new Error('no field cipher configured for sensitive fields');
    return this.cipher.encrypt(String(c));
  }

  decode(field: FieldDef, raw: unknown): unknown {
    // Decrypt by the value's own mark, so a field made non-sensitive later still reads back.
    if (typeof raw === 'string' && this.cipher && isEncrypted(raw)) raw = this.cipher.decrypt(raw);
    return fromColumnValue(field, raw);
  }
}
