/**
 * Public form links switched off and on in the UI, and the rate limit, in a real browser
 * (Chinese UI): an administrator turns a link off in the list's public-link dialog and a visitor
 * (360 px phone) is told the form is closed or unknown; turned on again, the visitor submits
 * it. Submitting too often answers 429 and the page says so in Chinese — no crash, the form
 * stays filled in.
 */
import { describe, expect, it } from 'vitest';
import { call, login as apiLogin } from '../helpers/process.js';
import { login, newPage, shot, useHarness } from './harness.js';

const h = useHarness();

const phoneNo = (i: number) => `139${String((Date.now() + i * 7919) % 100_000_000).padStart(8, '0')}`;

describe('runtime UI: public links off and on, and the rate limit', () => {
  it('an administrator turns a link off and on in the UI; the visitor sees it closed, then submits; too many submissions say so', async () => {
    const token = await apiLogin(h.url, 'admin', 'admin-password-123');
    const made = await call(h.url, token, 'POST', '/api/public-forms', { form: 'customer', fields: ['name', 'phone'], title: '到店预约' });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    const slug = made.body.slug as string;

    // The administrator switches it off in the list's public-link dialog.
    const admin = await newPage(h);
    const a = admin.page;
    await login(a, h.url, 'admin', 'admin-password-123');
    await a.goto(`${h.url}/records/customer`);
    await a.getByTestId('list-customer').waitFor();
    await a.getByTestId('public-link').click();
    const toggle = a.getByTestId(`public-link-enabled-${slug}`);
    await toggle.waitFor();
    expect(await toggle.getAttribute('aria-checked')).toBe('true');
    const off = a.waitForResponse((r) => r.url().endsWith(`/api/public-forms/${made.body.id}`) && r.request().method() === 'PATCH');
    await toggle.click();
    expect(await (await off).json()).toMatchObject({ enabled: false });
    await expect.poll(() => a.getByTestId(`public-link-${slug}`).textContent()).toContain('已停用');

    // The visitor, on a phone, without login: closed.
    const visitor = await newPage(h, { width: 360, height: 740 });
    const v = visitor.page;
    const errors: string[] = [];
    v.on('pageerror', (e) => errors.push(e.message));
    await v.goto(`${h.url}/p/${slug}`);
    await expect.poll(() => v.getByTestId('public-not-found').textContent()).toContain('此表单不可用');
    expect(await v.getByTestId('public-not-found').textContent()).toContain('已关闭或不存在');
    expect(await v.locator('#root_name').count()).toBe(0);
    await shot(v, 'phone360-public-closed');

    // On again: the page works and takes a submission.
    const on = a.waitForResponse((r) => r.url().endsWith(`/api/public-forms/${made.body.id}`) && r.request().method() === 'PATCH');
    await toggle.click();
    expect(await (await on).json()).toMatchObject({ enabled: true });
    await expect.poll(() => toggle.getAttribute('aria-checked')).toBe('true');
    await v.reload();
    await v.locator('#root_name').waitFor();
    await expect.poll(() => v.getByTestId('public-title').textContent()).toBe('到店预约');
    await v.locator('#root_name').fill('预约客户甲');
    await v.locator('#root_phone').fill(phoneNo(0));
    const sent = v.waitForResponse((r) => r.url().endsWith(`/api/public/forms/${slug}`) && r.request().method() === 'POST');
    await v.getByTestId('public-submit').click();
    expect((await sent).status()).toBe(201);
    await v.getByTestId('public-success').waitFor();

    // Closed while the visitor fills the form in: the submission is told the form is gone.
    await v.reload();
    await v.locator('#root_name').waitFor();
    const off2 = a.waitForResponse((r) => r.url().endsWith(`/api/public-forms/${made.body.id}`) && r.request().method() === 'PATCH');
    await toggle.click();
    expect((await off2).status()).toBe(200);
    await v.locator('#root_name').fill('预约客户乙');
    await v.locator('#root_phone').fill(phoneNo(1));
    await v.getByTestId('public-submit').click();
    await expect.poll(() => v.getByTestId('public-not-found').textContent()).toContain('已关闭或不存在');
    const on2 = a.waitForResponse((r) => r.url().endsWith(`/api/public-forms/${made.body.id}`) && r.request().method() === 'PATCH');
    await toggle.click();
    expect((await on2).status()).toBe(200);
    await admin.context.close();

    // Too fast: the same address has used up its submissions (10 a minute) …
    let limited = false;
    for (let i = 2; i < 20 && !limited; i++) {
      const r = await fetch(`${h.url}/api/public/forms/${slug}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ values: { name: `批量${i}`, phone: phoneNo(i) } }) });
      limited = r.status === 429;
      await r.arrayBuffer();
    }
    expect(limited).toBe(true);
    // … so the visitor's next submission is answered 429, and the page says so in Chinese.
    await v.reload();
    await v.locator('#root_name').waitFor();
    await v.locator('#root_name').fill('预约客户丙');
    await v.locator('#root_phone').fill(phoneNo(30));
    const tooMany = v.waitForResponse((r) => r.url().endsWith(`/api/public/forms/${slug}`) && r.request().method() === 'POST');
    await v.getByTestId('public-submit').click();
    const res = await tooMany;
    expect(res.status()).toBe(429);
    expect(res.headers()['retry-after']).toBeTruthy();
    await expect.poll(() => v.getByTestId('form-error').textContent()).toContain('提交次数过多，请稍后再试');
    // No crash: the form is still there, filled in, ready to try again later.
    expect(await v.locator('#root_name').inputValue()).toBe('预约客户丙');
    expect(await v.getByTestId('public-submit').isVisible()).toBe(true);
    expect(await v.getByTestId('public-success').count()).toBe(0);
    expect(errors).toEqual([]);
    await shot(v, 'phone360-public-rate-limited');
    await visitor.context.close();
  }, 180_000);
});
