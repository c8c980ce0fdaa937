/**
 * Encryption at rest for sensitive fields (ID numbers…): AES-256-GCM with a random 96-bit IV
 * per value, stored as `enc:v1:<base64url(iv | tag | ciphertext)>`. The key comes from
 * FORMWORK_SECRET (any string; a 256-bit key is derived from it with scrypt) or, when unset,
 * from a random secret generated once into the data folder (`formwork.secret`, mode 0600).
 * Several engine processes sharing a database must share the secret.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const PREFIX = 'enc:v1:';

export class FieldCipher {
  private constructor(private readonly key: Buffer) {}

  static fromSecret(secret: string): FieldCipher {
    if (!secret || secret.length < 16) throw new Error('FORMWORK_SECRET must be at least 16 characters');
    return new FieldCipher(crypto.scryptSync(secret, 'formwork-field-cipher-v1', 32));
  }

  /** FORMWORK_SECRET, else the secret file in `dataDir`, created on first use. */
  static load(dataDir: string, env: NodeJS.ProcessEnv = process.env): FieldCipher {
    if (env.FORMWORK_SECRET) return FieldCipher.fromSecret(env.FORMWORK_SECRET);
    const file = path.join(dataDir, 'formwork.secret');
    if (!fs.existsSync(file)) {
      fs.mkdirSync(dataDir, { recursive: true });
      try {
        fs.writeFileSync(file, crypto.randomBytes(32).toString('base64url') + '\n', { mode: 0o600, flag: 'wx' });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
    }
    return FieldCipher.fromSecret(fs.readFileSync(file, 'utf8').trim());
  }

  encrypt(plain: string): string {
    const iv = crypto.randomBytes(12);
    const c = crypto.createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
    return PREFIX + Buffer.concat([iv, c.getAuthTag(), body]).toString('base64url');
  }

  /** Plain values written before a field became sensitive are returned as they are. */
  decrypt(stored: string): string {
    if (!stored.startsWith(PREFIX)) return stored;
    const raw = Buffer.from(stored.slice(PREFIX.length), 'base64url');
    const d = crypto.createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12));
    d.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([d.update(raw.subarray(28)), d.final()]).toString('utf8');
  }
}

export function isEncrypted(v: unknown): boolean {
  return typeof v === 'string' && v.startsWith(PREFIX);
}

/** A masked rendering: the ends kept, the middle starred (ID numbers, phones). */
export function maskValue(v: unknown): unknown {
  if (v == null) return v;
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  const chars = [...s];
  if (chars.length <= 4) return '*'.repeat(chars.length);
  const keep = chars.length >= 11 ? 3 : 1;
  const tail = chars.length >= 11 ? 4 : 1;
  return chars.slice(0, keep).join('') + '*'.repeat(chars.length - keep - tail) + chars.slice(-tail).join('');
}
