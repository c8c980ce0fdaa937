/**
 * Public form links and rights in a real browser: an administrator publishes the customer form's
 * required fields at /p/SLUG; a visitor without login is told about a bad phone number on the
 * phone field, then thanked; the new customer has no owner until lead_assignment gives it one.
 * A sales advisor sees no export/import buttons, and an order's status is read-only for her.
 */
import { describe, expect, it } from 'vitest';
import { call, login as apiLogin } from '../helpers/process.js';
import { login, newPage, shot, useHarness } from './harness.js';

const h = useHarness();

describe('runtime UI: public form links and rights', () => {
  it('an admin publishes the customer form; a visitor submits it without login; lead_assignment gives the customer an owner', async () => {
    const admin = await newPage(h);
    const a = admin.page;
    await login(a, h.url, 'admin', 'admin-password-123');
    await a.getByTestId('nav').getByRole('menuitem', { name: '客户', exact: true }).click();
    await a.getByTestId('list-customer').waitFor();
    await a.getByTestId('public-link').click();
    const dialog = a.getByTestId('public-link-dialog');
    await dialog.waitFor();
    // The required fields are chosen and cannot be left out.
    for (const key of ['name', 'phone']) {
      const box = dialog.locator(`[data-field="${key}"] input[type=checkbox]`);
      expect(await box.isChecked()).toBe(true);
      expect(await box.isDisabled()).toBe(true);
    }
    await a.getByTestId('public-link-title').fill('试驾预约');
    const made = a.waitForResponse((r) => r.url().endsWith('/api/public-forms') && r.request().method() === 'POST');
    await a.getByTestId('public-link-create').click();
    const link = await (await made).json();
    expect(link.fields).toEqual(expect.arrayContaining(['name', 'phone']));
    const url = await a.getByTestId('public-link-url').inputValue();
    expect(url).toBe(`${h.url}/p/${link.slug}`);
    await dialog.getByTestId(`public-link-${link.slug}`).waitFor();
    await shot(a, 'desktop-public-link-dialog');

    // A visitor: a new browser without a session, on a phone.
    const visitor = await newPage(h, { width: 360, height: 740 });
    const v = visitor.page;
    await v.goto(url);
    await v.getByTestId('public-form').waitFor();
    await expect.poll(() => v.getByTestId('public-title').textContent()).toBe('试驾预约');
    await v.locator('#root_name').waitFor();
    expect(await v.getByTestId('user-menu').count()).toBe(0);
    // The honeypot: off-screen, out of the tab order, no autofill, hidden from assistive technology.
    const hp = v.locator('input[name="_hp"]');
    expect(await hp.getAttribute('tabindex')).toBe('-1');
    expect(await hp.getAttribute('autocomplete')).toBe('off');
    expect(await v.locator('.fw-hp').getAttribute('aria-hidden')).toBe('true');
    const box = await hp.boundingBox();
    expect(box === null || box.x + box.width <= 0).toBe(true);

    const name = `公开客户${Date.now() % 100000}`;
    await v.locator('#root_name').fill(name);
    await v.locator('#root_phone').fill('12345');
    await v.getByTestId('public-submit').click();
    const phoneItem = v.locator('.ant-form-item').filter({ has: v.locator('#root_phone') }).last();
    await phoneItem.locator('.ant-form-item-explain-error').filter({ hasText: '手机号' }).waitFor({ state: 'visible' });
    await shot(v, 'phone360-public-phone-error');
    const phone = `137${String(Date.now() % 100_000_000).padStart(8, '0')}`;
    await v.locator('#root_phone').fill(phone);
    const sent = v.waitForResponse((r) => r.url().endsWith(`/api/public/forms/${link.slug}`) && r.request().method() === 'POST');
    await v.getByTestId('public-submit').click();
    const res = await sent;
    expect(res.status()).toBe(201);
    const answer = await res.json();
    await expect.poll(() => v.getByTestId('public-success').textContent()).toContain(answer.message);
    const overflow = await v.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await shot(v, 'phone360-public-thanks');
    await visitor.context.close();

    // Back as the administrator: the customer is in the list; lead_assignment gives it an owner.
    await a.keyboard.press('Escape');
    await a.getByTestId('list-search').locator('input').fill(name);
    await a.getByTestId('list-search').locator('input').press('Enter');
    await a.locator('.ant-table-row').filter({ hasText: name }).first().waitFor();
    const token = await apiLogin(h.url, 'admin', 'admin-password-123');
    const found = (await call(h.url, token, 'GET', `/api/records/customer?q=${encodeURIComponent(name)}`)).body;
    expect(found.items).toHaveLength(1);
    const id = found.items[0].id;
    await expect.poll(async () => (await call(h.url, token, 'GET', `/api/records/customer/${id}`)).body._owner, { timeout: 15_000, intervals: [250] })
      .toEqual(expect.any(Number));
    await admin.context.close();
  }, 180_000);

  it('an unknown link says the form is not available', async () => {
    const { context, page } = await newPage(h, { width: 360, height: 740 });
    await page.goto(`${h.url}/p/no-such-link`);
    await expect.poll(() => page.getByTestId('public-not-found').textContent()).toContain('此表单不可用');
    await context.close();
  }, 60_000);

  it('a sales advisor sees no export or import; an order\'s status is read-only for her', async () => {
    const { context, page } = await newPage(h);
    await login(page, h.url, 'zhangwei');
    await page.getByTestId('nav').getByRole('menuitem', { name: '客户', exact: true }).click();
    await page.getByTestId('list-customer').waitFor();
    // The buttons show once the rights are known: New is hers, export and import are not.
    await page.getByTestId('new-record').waitFor();
    expect(await page.getByTestId('export').count()).toBe(0);
    expect(await page.getByTestId('import').count()).toBe(0);
    expect(await page.getByTestId('public-link').count()).toBe(0);

    await page.getByTestId('nav').getByRole('menuitem', { name: '整车订单', exact: true }).click();
    await page.getByTestId('list-vehicle_order').waitFor();
    await page.getByTestId('new-record').click();
    await page.getByTestId('form-vehicle_order').waitFor();
    await page.locator('#root_status').waitFor({ state: 'attached' });
    await expect.poll(() => page.locator('#root_status').isDisabled()).toBe(true);
    // A field she may edit stays editable.
    expect(await page.locator('#root_color').isDisabled()).toBe(false);
    await context.close();
  }, 120_000);
});
