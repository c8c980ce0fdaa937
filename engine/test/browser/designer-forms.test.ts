/**
 * The form designer (/designer) in a real browser, as a business administrator:
 * (a) drags a text field from the palette onto the customer form, names it in Chinese, publishes
 *     after the plan dialog, and the runtime form (/records/customer/new) shows the new field;
 * (b) deletes a published field: the designer says its data is kept, the plan shows the soft
 *     delete; asking for a purge makes the plan's step red and publishing waits for the tick;
 * (c) undo/redo (buttons and Ctrl+Z / Ctrl+Shift+Z) restores a deleted field before anything is saved.
 * Screenshots in .ci-artifacts/screenshots/designer-*.png.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { REPO } from '../helpers/process.js';
import { newPage, shot, startHarness, type Harness } from './harness.js';

let h: Harness;

beforeAll(async () => {
  if (!fs.existsSync(path.join(REPO, 'designer/dist/index.html'))) {
    throw new Error('designer/dist is missing: run `npm run build -w designer` (npm run test:browser does)');
  }
  h = await startHarness();
}, 180_000);

afterAll(async () => {
  await h?.close();
});

const ADMIN_PASSWORD = process.env.FW_ADMIN_PASSWORD ?? 'admin-password-123';

async function designerLogin(page: Page) {
  await page.goto(h.url + '/designer/');
  await page.locator('#login-username').fill('admin');
  await page.locator('#login-password').fill(ADMIN_PASSWORD);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('user-menu').waitFor();
}

async function openDesigner(page: Page, form: string) {
  await page.getByTestId('nav').getByText('表单', { exact: true }).click();
  await page.getByTestId(`form-row-${form}`).click();
  await page.getByTestId(`designer-${form}`).waitFor();
}

/** A dnd-kit drag with the mouse: press, move past the activation distance, glide in steps, release. */
async function drag(page: Page, from: { x: number; y: number }, to: { x: number; y: number }, steps = 12) {
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  await page.mouse.move(from.x + 8, from.y + 8, { steps: 2 });
  await page.mouse.move(to.x, to.y, { steps });
  await page.mouse.move(to.x, to.y + 1);
  await page.mouse.up();
}

const centre = async (page: Page, testId: string) => {
  await page.getByTestId(testId).scrollIntoViewIfNeeded();
  const b = (await page.getByTestId(testId).boundingBox())!;
  return { x: b.x + b.width / 2, y: b.y + b.height / 2 };
};

describe('form designer', () => {
  it('(a) drags a text field onto the customer form, labels it in Chinese, publishes, and the runtime form shows it', async () => {
    const { context, page } = await newPage(h, { width: 1440, height: 900 });
    try {
      await designerLogin(page);
      await shot(page, 'designer-01-forms');
      await openDesigner(page, 'customer');
      // The palette holds every engine field type, grouped.
      await expect.poll(() => page.getByTestId('palette').locator('.fwd-palette-item').count()).toBe(24);
      await drag(page, await centre(page, 'palette-text'), await centre(page, 'field-phone'));
      const card = page.getByTestId('field-text');
      await card.waitFor();
      // Dropped before the card it was released on.
      const order = await page.locator('.fwd-card').evaluateAll((els) => els.map((e) => e.getAttribute('data-testid')));
      expect(order.indexOf('field-text')).toBe(order.indexOf('field-phone') - 1);
      await page.locator('#prop-label-zh').fill('会员卡号');
      await page.locator('#prop-label-en').fill('Membership card');
      await page.locator('#prop-key').fill('member_card');
      await page.getByTestId('field-member_card').getByText('会员卡号').waitFor();
      await page.getByTestId('tab-preview').click();
      await page.getByTestId('preview').getByText('会员卡号').first().waitFor();
      await shot(page, 'designer-02-field-added');

      const plan = page.waitForResponse((r) => r.url().endsWith('/api/meta/forms/customer/plan'));
      await page.getByTestId('publish').click();
      expect((await plan).status()).toBe(200);
      const dialog = page.getByTestId('publish-dialog');
      await dialog.getByTestId('plan-step-add_column').waitFor();
      await expect.poll(() => dialog.getByTestId('plan-step-add_column').textContent()).toContain('会员卡号');
      await shot(page, 'designer-03-plan');
      const published = page.waitForResponse((r) => r.url().endsWith('/api/meta/forms/customer/publish'));
      await dialog.getByTestId('publish-confirm').click();
      expect((await published).status()).toBe(200);
      await expect.poll(() => page.getByTestId('form-status').textContent()).toBe('已发布');
      // Published: the key is locked and says why.
      await page.getByTestId('field-member_card').click();
      await page.getByTestId('tab-preview').waitFor();
      await expect.poll(() => page.locator('#prop-key').isDisabled()).toBe(true);
      await page.getByTestId('key-locked').waitFor();

      // The runtime form (same tab: one sign-in) shows the new field.
      await page.goto(h.url + '/records/customer/new');
      await page.getByTestId('form-customer').waitFor();
      await page.locator('#root_member_card').waitFor();
      await page.locator('label[for="root_member_card"]').filter({ hasText: '会员卡号' }).waitFor();
      await shot(page, 'designer-04-runtime-form');
    } finally {
      await context.close();
    }
  });

  it("(b) deletes a published field and sees the plan's warning; a purge is red and waits for the tick", async () => {
    const { context, page } = await newPage(h, { width: 1440, height: 900 });
    try {
      await designerLogin(page);
      await openDesigner(page, 'customer');
      await page.getByTestId('delete-lost_reason').click();
      await page.getByTestId('delete-warning').filter({ hasText: '数据会保留' }).waitFor();
      await page.getByTestId('delete-confirm').click();
      await page.getByTestId('field-lost_reason').waitFor({ state: 'detached' });
      await page.getByTestId('deleted-fields').click();
      await page.getByTestId('deleted-lost_reason').waitFor();
      await shot(page, 'designer-05-deleted');

      // The plan: a soft delete, data kept, nothing to confirm.
      await page.getByTestId('publish').click();
      const dialog = page.getByTestId('publish-dialog');
      const soft = dialog.getByTestId('plan-step-soft_delete');
      await soft.waitFor();
      expect(await soft.textContent()).toContain('数据保留');
      expect(await dialog.getByTestId('publish-confirm').isEnabled()).toBe(true);
      await shot(page, 'designer-06-plan-soft-delete');
      await dialog.getByRole('button', { name: /取\s*消/ }).click();
      await dialog.waitFor({ state: 'hidden' });

      // Asking for a purge: the step is destructive (red) and needs "I understand".
      await page.getByTestId('purge-lost_reason').click();
      await page.getByTestId('publish').click();
      const purge = dialog.getByTestId('plan-step-purge');
      await purge.waitFor();
      expect(await purge.locator('.fwd-step-destructive').count()).toBe(1);
      expect(await purge.textContent()).toContain('我了解此字段中的数据将会丢失');
      expect(await dialog.getByTestId('publish-confirm').isDisabled()).toBe(true);
      await shot(page, 'designer-07-plan-purge');
      await purge.getByRole('checkbox').check();
      expect(await dialog.getByTestId('publish-confirm').isEnabled()).toBe(true);
      const published = page.waitForResponse((r) => r.url().endsWith('/api/meta/forms/customer/publish'));
      await dialog.getByTestId('publish-confirm').click();
      const res = await published;
      expect(res.status()).toBe(200);
      expect(JSON.parse(res.request().postData() ?? '{}').confirmDataLoss).toBe(true);
      expect((await res.json()).steps.some((s: { op: string }) => s.op === 'purge')).toBe(true);
      await page.getByTestId('deleted-fields').waitFor({ state: 'detached' });

      // Revisions: the diff of the last publish names the purged field.
      await page.getByTestId('revisions').click();
      const drawer = page.getByTestId('revisions-drawer');
      await drawer.getByTestId('diff-table').locator('tbody tr').first().waitFor();
      await expect.poll(() => drawer.getByTestId('diff-table').textContent()).toContain('lost_reason');
      await shot(page, 'designer-08-revisions');
    } finally {
      await context.close();
    }
  });

  it('(c) undo/redo restores a deleted field before saving', async () => {
    const { context, page } = await newPage(h, { width: 1440, height: 900 });
    try {
      await designerLogin(page);
      await openDesigner(page, 'customer');
      const writes: string[] = [];
      page.on('request', (r) => {
        if (r.method() !== 'GET' && r.url().includes('/api/meta/')) writes.push(`${r.method()} ${r.url()}`);
      });
      const budget = page.getByTestId('field-budget');
      await budget.waitFor();
      expect(await page.getByTestId('undo').isDisabled()).toBe(true);
      await page.getByTestId('delete-budget').click();
      await page.getByTestId('delete-confirm').click();
      await budget.waitFor({ state: 'detached' });
      await page.getByTestId('dirty').waitFor();

      await page.getByTestId('undo').click();
      await budget.waitFor();
      await page.getByTestId('dirty').waitFor({ state: 'detached' });
      await page.getByTestId('redo').click();
      await budget.waitFor({ state: 'detached' });
      // The keyboard: Ctrl+Z brings it back, Ctrl+Shift+Z takes it away again, Ctrl+Z once more.
      await page.locator('body').click({ position: { x: 5, y: 5 } });
      await page.keyboard.press('Control+z');
      await budget.waitFor();
      await page.keyboard.press('Control+Shift+z');
      await budget.waitFor({ state: 'detached' });
      await page.keyboard.press('Control+z');
      await budget.waitFor();
      await shot(page, 'designer-09-undo');
      // Reordering by drag is one undo step too.
      const before = await page.locator('.fwd-card').evaluateAll((els) => els.map((e) => e.getAttribute('data-testid')));
      const handle = await centre(page, 'handle-status');
      await drag(page, handle, await centre(page, 'field-budget'));
      await expect.poll(async () => (await page.locator('.fwd-card').evaluateAll((els) => els.map((e) => e.getAttribute('data-testid')))).indexOf('field-status'))
        .toBe(before.indexOf('field-budget'));
      await page.getByTestId('undo').click();
      await expect.poll(() => page.locator('.fwd-card').evaluateAll((els) => els.map((e) => e.getAttribute('data-testid')))).toEqual(before);
      expect(writes).toEqual([]);

      // Saved now: the draft on the server still holds the field, not deleted.
      const saved = page.waitForResponse((r) => r.url().endsWith('/api/meta/forms/customer') && r.request().method() === 'PUT');
      await page.getByTestId('save-draft').click();
      const body = JSON.parse((await saved).request().postData() ?? '{}');
      expect(body.fields.find((f: { key: string }) => f.key === 'budget')?.deleted).toBeUndefined();
    } finally {
      await context.close();
    }
  });

  it('shows the server\'s 422 on the field its JSON Pointer names, and switches to English', async () => {
    const { context, page } = await newPage(h, { width: 1440, height: 900 });
    try {
      await designerLogin(page);
      await openDesigner(page, 'customer');
      await page.getByTestId('palette-select').click();
      await page.getByTestId('field-select').waitFor();
      // Two options with one key: the metaschema refuses it at /fields/N/options…
      await page.getByTestId('option-1-key').fill('option_1');
      const saved = page.waitForResponse((r) => r.url().endsWith('/api/meta/forms/customer') && r.request().method() === 'PUT');
      await page.getByTestId('save-draft').click();
      expect((await saved).status()).toBe(422);
      await page.getByTestId('designer-error').waitFor();
      await page.getByTestId('field-select').getByTestId('field-error').first().waitFor();
      await shot(page, 'designer-10-422');
      await page.getByTestId('lang-switch').click();
      await page.getByTestId('nav').getByText('Forms', { exact: true }).waitFor();
    } finally {
      await context.close();
    }
  });
});
