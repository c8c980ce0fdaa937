/**
 * The roles designer and the packs screens (/designer/roles, /designer/packs) in a real browser,
 * as the administrator, against the demo engine:
 * (a) the permission matrix of a demo role: a row rule naming an unknown field is refused at
 *     publish and the error shows in that form's row-scope cell; then a right ticked, another
 *     unticked and a row scope set are published — the role document and what a user of the
 *     role may do (GET /api/meta/forms/:key/access as that user) follow;
 * (b) the export wizard downloads a module as a bundle file;
 * (c) a one-form pack installed from a bundle file (the plan first), edited locally through the
 *     API, upgraded with a version that changes the same label: the conflict screen shows the
 *     three values, the pack's side is chosen and the server holds it (the non-conflicting
 *     addition merged too); then uninstalled through the data-loss confirmation.
 * Screenshots in .ci-artifacts/screenshots/roles-*.png and packs-*.png.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { login as apiLogin, REPO } from '../helpers/process.js';
import { DEMO_PASSWORD, newPage, shot, useHarness } from './harness.js';

const h = useHarness();
const ADMIN_PASSWORD = 'admin-password-123';

beforeAll(() => {
  if (!fs.existsSync(path.join(REPO, 'designer/dist/index.html'))) {
    throw new Error('designer/dist is missing: run `npm run build -w designer` (npm run test:browser does)');
  }
});

async function call<T = any>(token: string, method: string, p: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(h.url + p, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}

async function designerLogin(page: Page) {
  await page.goto(h.url + '/designer/');
  await page.locator('#login-username').fill('admin');
  await page.locator('#login-password').fill(ADMIN_PASSWORD);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('user-menu').waitFor();
}

async function pickOption(page: Page, within: string, text: string) {
  await page.getByTestId(within).locator('.ant-select').first().click();
  await page.locator('.ant-select-dropdown:visible .ant-select-item-option').filter({ hasText: text }).first().click();
}

const checked = (page: Page, testId: string) => page.getByTestId(testId).isChecked();

describe('roles designer', () => {
  it('(a) edits the matrix of a demo role, places a publish error in its cell, publishes, and the user of the role is allowed/denied accordingly', async () => {
    const admin = await apiLogin(h.url, 'admin', ADMIN_PASSWORD);
    const advisor = await apiLogin(h.url, 'zhangwei', DEMO_PASSWORD);
    const before = {
      customer: (await call(advisor, 'GET', '/api/meta/forms/customer/access')).body,
      followUp: (await call(advisor, 'GET', '/api/meta/forms/follow_up/access')).body,
    };
    expect(before.customer.actions.delete).toBe(false);
    expect(before.followUp.actions.update).toBe(true);

    const { context, page } = await newPage(h, { width: 1440, height: 900 });
    try {
      await designerLogin(page);
      await page.getByTestId('nav').getByText('角色权限', { exact: true }).click();
      await page.getByTestId('role-row-sales_advisor').click();
      await page.getByTestId('role-sales_advisor').waitFor();
      await page.getByTestId('permission-matrix').waitFor();
      // Who has the role (GET /api/users).
      await page.getByTestId('role-users').getByText('张伟').waitFor();
      expect(await checked(page, 'perm-customer-read')).toBe(true);
      expect(await checked(page, 'perm-customer-delete')).toBe(false);

      // A row rule over a field the form does not have: refused at publish, shown in that cell.
      await pickOption(page, 'rows-quote', '条件');
      await page.getByTestId('row-rule-json').fill('{"==": [{"var": "no_such_field"}, 1]}');
      await page.getByTestId('row-rule-ok').click();
      const refused = page.waitForResponse((r) => r.url().endsWith('/api/meta/roles/sales_advisor/publish'));
      await page.getByTestId('role-publish').click();
      expect((await refused).status()).toBe(422);
      await page.getByTestId('error-quote-rows').waitFor();
      await page.getByTestId('role-error').waitFor();
      await shot(page, 'roles-01-publish-error-in-cell');
      await pickOption(page, 'rows-quote', '本人的记录');

      // Tick delete on customers, untick update on follow-ups, customers by department.
      await page.getByTestId('perm-customer-delete').click();
      await page.getByTestId('perm-follow_up-update').click();
      await pickOption(page, 'rows-customer', '本部门及下级');
      expect(await checked(page, 'perm-customer-delete')).toBe(true);
      expect(await checked(page, 'perm-follow_up-update')).toBe(false);
      await page.getByTestId('role-dirty').waitFor();
      await shot(page, 'roles-02-matrix-edited');
      const published = page.waitForResponse((r) => r.url().endsWith('/api/meta/roles/sales_advisor/publish'));
      await page.getByTestId('role-publish').click();
      expect((await published).status()).toBe(200);
      await expect.poll(() => page.getByTestId('role-status').textContent()).toBe('已发布');
      await page.getByTestId('error-quote-rows').waitFor({ state: 'detached' });
      await shot(page, 'roles-03-published');
    } finally {
      await context.close();
    }

    const role = (await call(admin, 'GET', '/api/meta/roles/sales_advisor')).body;
    const entry = (form: string) => role.permissions.find((p: any) => p.form === form);
    expect(entry('customer').actions).toEqual(['create', 'read', 'update', 'delete']);
    expect(entry('customer').rows).toBe('department');
    expect(entry('customer').fields).toEqual({ readOnly: ['status'] });
    expect(entry('follow_up').actions).toEqual(['create', 'read']);
    expect(entry('quote').rows).toBe('own');
    const after = {
      customer: (await call(advisor, 'GET', '/api/meta/forms/customer/access')).body,
      followUp: (await call(advisor, 'GET', '/api/meta/forms/follow_up/access')).body,
    };
    expect(after.customer.actions.delete).toBe(true);
    expect(after.followUp.actions.update).toBe(false);
  });
});

describe('packs screens', () => {
  it('(b) exports a module as a bundle file through the wizard', async () => {
    const { context, page } = await newPage(h, { width: 1440, height: 900 });
    try {
      await designerLogin(page);
      await page.getByTestId('nav').getByText('模板包', { exact: true }).click();
      await page.getByTestId('pack-row-dealership').waitFor();
      await page.getByTestId('pack-export').click();
      await page.getByTestId('export-module-customers').click();
      await page.locator('#export-name').fill('customers_only');
      await page.locator('#export-version').fill('2.1.0');
      await shot(page, 'packs-01-export-wizard');
      const download = page.waitForEvent('download', { timeout: 90_000 });
      await page.getByTestId('export-submit').click();
      const file = await download;
      expect(file.suggestedFilename()).toBe('customers_only-2.1.0.json');
      const bundle = JSON.parse(fs.readFileSync((await file.path())!, 'utf8'));
      expect(bundle.manifest).toMatchObject({ name: 'customers_only', version: '2.1.0', modules: ['customers'] });
      expect(bundle.documents.some((d: any) => d.kind === 'forms' && d.key === 'customer')).toBe(true);
      expect(bundle.documents.every((d: any) => d.kind !== 'forms' || d.doc.module === 'customers')).toBe(true);
    } finally {
      await context.close();
    }
  });

  it('(c) installs a one-form pack after its plan, upgrades it over a local edit choosing the pack side of the conflict, then uninstalls it', async () => {
    const admin = await apiLogin(h.url, 'admin', ADMIN_PASSWORD);
    const form = (nameLabel: string, extra: any[] = []) => ({
      key: 'gadget', label: { 'zh-CN': '小物件', en: 'Gadget' }, module: 'gadgets',
      fields: [
        { id: 'fld_gname', key: 'name', type: 'text', label: { 'zh-CN': nameLabel, en: 'Name' }, required: true },
        { id: 'fld_gnote', key: 'note', type: 'textarea', label: { 'zh-CN': '备注', en: 'Note' } },
        ...extra,
      ],
    });
    const bundle = (version: string, doc: unknown) => ({
      manifest: { name: 'gadgets', version, label: { 'zh-CN': '小物件包', en: 'Gadgets' }, modules: ['gadgets'] },
      documents: [{ kind: 'forms', key: 'gadget', doc }],
    });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fw-packs-'));
    const v1 = path.join(dir, 'gadgets-1.0.0.json');
    const v2 = path.join(dir, 'gadgets-1.1.0.json');
    fs.writeFileSync(v1, JSON.stringify(bundle('1.0.0', form('名称'))));
    fs.writeFileSync(v2, JSON.stringify(bundle('1.1.0', form('物件名称', [{ id: 'fld_gcolor', key: 'color', type: 'text', label: { 'zh-CN': '颜色', en: 'Colour' } }]))));

    const { context, page } = await newPage(h, { width: 1440, height: 900 });
    try {
      await designerLogin(page);
      await page.goto(h.url + '/designer/packs');
      await page.getByTestId('packs-list').waitFor();

      // Install: the plan first.
      await page.getByTestId('pack-file').setInputFiles(v1);
      await page.getByTestId('pack-plan').waitFor();
      await expect.poll(() => page.getByTestId('plan-doc-forms-gadget').getByTestId('plan-action').textContent()).toBe('新增');
      await page.getByTestId('plan-table-gadget').waitFor();
      await shot(page, 'packs-02-install-plan');
      const installed = page.waitForResponse((r) => r.url().endsWith('/api/packs/install'));
      await page.getByTestId('pack-install').click();
      const installResponse = await installed;
      expect(installResponse.status()).toBe(200);
      expect(JSON.parse(installResponse.request().postData()!).planToken).toMatch(/^[0-9a-f]{32}$/);
      await page.getByTestId('pack-done').waitFor();
      await page.getByTestId('pack-flow-done').click();
      await expect.poll(() => page.getByTestId('pack-row-gadgets').getByTestId('pack-version').textContent()).toBe('1.0.0');

      // A local edit of the label the next version changes too.
      const draft = (await call(admin, 'GET', '/api/meta/forms/gadget')).body;
      draft.fields.find((f: any) => f.key === 'name').label['zh-CN'] = '本地名称';
      expect((await call(admin, 'PUT', '/api/meta/forms/gadget', draft)).status).toBe(200);
      expect((await call(admin, 'POST', '/api/meta/forms/gadget/publish', {})).status).toBe(200);

      // Upgrade: plan, then the conflict screen.
      await page.getByTestId('pack-file').setInputFiles(v2);
      await page.getByTestId('pack-plan').waitFor();
      await expect.poll(() => page.getByTestId('plan-mode').textContent()).toContain('1.1.0');
      await expect.poll(() => page.getByTestId('plan-doc-forms-gadget').getByTestId('plan-action').textContent()).toBe('更新');
      const first = page.waitForResponse((r) => r.url().endsWith('/api/packs/upgrade'));
      await page.getByTestId('pack-upgrade').click();
      expect((await first).status()).toBe(200);
      await page.getByTestId('pack-conflicts').waitFor();
      const row = page.getByTestId('conflict-0');
      await expect.poll(() => row.textContent()).toContain('/fields[fld_gname]/label/zh-CN');
      expect(await row.getByTestId('value-ours').textContent()).toContain('本地名称');
      expect(await row.getByTestId('value-theirs').textContent()).toContain('物件名称');
      expect(await page.getByTestId('conflict-1').count()).toBe(0);
      expect(await page.getByTestId('pack-apply').isDisabled()).toBe(true);
      // Nothing was written while the conflict is open.
      expect((await call(admin, 'GET', '/api/packs')).body.find((p: any) => p.name === 'gadgets').version).toBe('1.0.0');
      await row.getByTestId('choice-0-pack').click();
      await shot(page, 'packs-03-conflict-resolved');
      const applied = page.waitForResponse((r) => r.url().endsWith('/api/packs/upgrade'));
      await page.getByTestId('pack-apply').click();
      const appliedResponse = await applied;
      expect(JSON.parse(appliedResponse.request().postData()!).resolutions).toEqual([{ document: 'forms/gadget', path: '/fields[fld_gname]/label/zh-CN', choice: 'pack' }]);
      expect((await appliedResponse.json()).applied).toBe(true);
      await page.getByTestId('pack-done').waitFor();
      await shot(page, 'packs-04-upgraded');

      const after = (await call(admin, 'GET', '/api/meta/forms/gadget')).body;
      expect(after.fields.find((f: any) => f.key === 'name').label['zh-CN']).toBe('物件名称');
      expect(after.fields.some((f: any) => f.key === 'color')).toBe(true);
      expect((await call(admin, 'GET', '/api/packs')).body.find((p: any) => p.name === 'gadgets').version).toBe('1.1.0');

      // Uninstall: the pack's form holds a record, so the data-loss confirmation comes first.
      expect((await call(admin, 'POST', '/api/records/gadget', { name: 'x' })).status).toBe(201);
      await page.getByTestId('pack-flow-done').click();
      await page.getByTestId('pack-uninstall-gadgets').click();
      await page.getByTestId('uninstall-confirm').click();
      await page.getByTestId('uninstall-data-loss').waitFor();
      await expect.poll(() => page.getByTestId('uninstall-data-loss').textContent()).toContain('1');
      await shot(page, 'packs-05-uninstall-data-loss');
      await page.getByTestId('uninstall-understand').click();
      await page.getByTestId('uninstall-confirm-data-loss').click();
      await page.getByTestId('pack-row-gadgets').waitFor({ state: 'detached' });
      expect((await call(admin, 'GET', '/api/packs')).body.some((p: any) => p.name === 'gadgets')).toBe(false);
      expect((await call(admin, 'GET', '/api/meta/forms/gadget')).status).toBe(404);
    } finally {
      await context.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
