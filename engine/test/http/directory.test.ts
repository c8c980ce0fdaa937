/** GET /api/directory: colleagues by name for any signed-in user; never usernames, addresses, roles or disabled people. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../helpers/db.js';
import { startServer, testEngine, type TestEngine, type TestServer } from '../helpers/engine.js';

describe.each(DIALECTS)('directory on %s', (dialect) => {
  let t: TestEngine;
  let s: TestServer;
  let token = '';
  beforeAll(async () => {
    t = await testEngine(dialect);
    s = await startServer(t.engine);
    const store = await t.engine.departments.create({ name: '一店', kind: 'store' });
    for (const [username, displayName, disabled] of [['zhang', '张伟', false], ['li', '李娜', false], ['gone', '王离职', true]] as const) {
      const u = await t.engine.users.create({ username, password: 'password-123456', displayName, roles: [], email: `${username}@dealer.test`, department: store.id } as any);
      if (disabled) await t.engine.users.update(u.id, { disabled: true });
    }
    token = (await s.api('/api/auth/login', { body: { username: 'zhang', password: 'password-123456' }, token: null })).body.token;
  });
  afterAll(async () => {
    await s?.close();
    await t?.drop();
  });

  it('lists enabled colleagues by name and department, searchable', async () => {
    const all = await s.api('/api/directory', { token });
    expect(all.status).toBe(200);
    const names = all.body.items.map((u: any) => u.displayName);
    expect(names).toEqual(expect.arrayContaining(['张伟', '李娜']));
    expect(names).not.toContain('王离职');
    expect(JSON.stringify(all.body)).not.toMatch(/zhang|dealer\.test|roles|password/);
    expect(all.body.items.find((u: any) => u.displayName === '李娜')).toMatchObject({ departmentName: '一店' });
    const q = await s.api(`/api/directory?q=${encodeURIComponent('李')}`, { token });
    expect(q.body.items.map((u: any) => u.displayName)).toEqual(['李娜']);
    expect((await s.api('/api/directory?limit=500', { token })).status).toBe(400);
    expect((await s.api('/api/directory', { token: null })).status).toBe(401);
  });
});
