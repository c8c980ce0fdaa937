/**
 * Passwords are stored as scrypt hashes (salted, never the password), verified in constant
 * time; tokens are stored as their SHA-256.
 */
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword, verifyPassword, newToken, hashToken } from '../../src/auth/passwords.js';
import { DIALECTS } from '../helpers/db.js';
import { testEngine, type TestEngine } from '../helpers/engine.js';

describe('password hashing', () => {
  it('is scrypt with a random salt, and verifies only the right password', async () => {
    const pw = 'correct horse battery staple';
    const a = await hashPassword(pw);
    const b = await hashPassword(pw);
    expect(a).toMatch(/^scrypt\$16384\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(a).not.toBe(b); // salted
    expect(a).not.toContain(pw);
    expect(a).not.toContain(Buffer.from(pw).toString('base64url'));
    expect(await verifyPassword(pw, a)).toBe(true);
    expect(await verifyPassword(pw, b)).toBe(true);
    expect(await verifyPassword(pw + ' ', a)).toBe(false);
    expect(await verifyPassword('', a)).toBe(false);
    expect(await verifyPassword(pw, null)).toBe(false);
    expect(await verifyPassword(pw, 'md5$whatever')).toBe(false);
    expect(await verifyPassword(pw, crypto.createHash('sha256').update(pw).digest('hex'))).toBe(false);
  });

  it('tokens are random and stored as their SHA-256', () => {
    const { token, hash } = newToken();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(hash).toBe(crypto.createHash('sha256').update(token).digest('hex'));
    expect(hashToken(token)).toBe(hash);
    expect(newToken().token).not.toBe(token);
  });
});

describe.each(DIALECTS)('stored credentials on %s', (dialect) => {
  let t: TestEngine;
  beforeAll(async () => {
    t = await testEngine(dialect);
  });
  afterAll(() => t?.drop());

  it('stores a scrypt hash, never the password; a session as the SHA-256 of its token', async () => {
    const password = 'stored-password-42';
    const u = await t.engine.users.create({ username: 'stored', password, roles: [] });
    const row = await t.engine.db.knex('fw_users').where({ id: u.id }).first();
    expect(row.password_hash).toMatch(/^scrypt\$/);
    expect(JSON.stringify(row)).not.toContain(password);
    expect(await verifyPassword(password, row.password_hash)).toBe(true);
    expect(JSON.stringify(u)).not.toMatch(/hash|password/i);
    const { token } = await t.engine.users.login('stored', password);
    const tokens = await t.engine.db.knex('fw_tokens').where({ user_id: u.id });
    expect(tokens).toHaveLength(1);
    expect(tokens[0]).toMatchObject({ kind: 'session', token_hash: hashToken(token) });
    expect(JSON.stringify(tokens)).not.toContain(token);
    // a changed password is hashed anew
    await t.engine.users.update(u.id, { password: 'another-password-43' });
    const changed = await t.engine.db.knex('fw_users').where({ id: u.id }).first();
    expect(changed.password_hash).toMatch(/^scrypt\$/);
    expect(changed.password_hash).not.toBe(row.password_hash);
    expect(JSON.stringify(changed)).not.toContain('another-password-43');
    await expect(t.engine.users.update(u.id, { password: 'short' })).rejects.toMatchObject({ code: 'validation' });
  });

  it('keeps secret values out of database errors (SQLite errors inline the bound values)', async () => {
    const { token } = await t.engine.users.login('stored', 'another-password-43');
    const knex = t.engine.db.knex;
    await knex.schema.renameTable('fw_tokens', 'fw_tokens_away');
    try {
      const err = await t.engine.users.verifyToken(token).then(() => null, (e: Error) => e);
      expect(err).toBeInstanceOf(Error);
      expect(String(err!.stack)).not.toContain(hashToken(token));
      expect(String(err!.message)).toMatch(/^database error: /);
      const err2 = await t.engine.users.login('stored', 'another-password-43').then(() => null, (e: Error) => e);
      expect(String(err2!.stack)).not.toMatch(/[0-9a-f]{64}/);
    } finally {
      await knex.schema.renameTable('fw_tokens_away', 'fw_tokens');
    }
  });
});
