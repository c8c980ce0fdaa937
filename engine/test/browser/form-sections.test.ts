/**
 * Sections set in the designer (a field's `ui.section`) show in the runtime form as headings,
 * each before the first field of its section, in the order the form gives.
 */
import { describe, expect, it } from 'vitest';
import { call, login as apiLogin } from '../helpers/process.js';
import { login, newPage, shot, useHarness } from './harness.js';

const h = useHarness();

describe('runtime UI: form sections', () => {
  it('shows a heading where each section starts', async () => {
    const token = await apiLogin(h.url, 'admin', 'admin-password-123');
    const doc = (await call(h.url, token, 'GET', '/api/meta/forms/follow_up')).body;
    const keys = doc.fields.filter((f: any) => !f.deleted).map((f: any) => f.key);
    const firstHalf = new Set(keys.slice(0, Math.ceil(keys.length / 2)));
    doc.fields = doc.fields.map((f: any) => (f.deleted ? f : { ...f, ui: { ...(f.ui ?? {}), section: firstHalf.has(f.key) ? '基本信息' : '跟进结果' } }));
    expect((await call(h.url, token, 'PUT', '/api/meta/forms/follow_up', doc)).status).toBe(200);
    expect((await call(h.url, token, 'POST', '/api/meta/forms/follow_up/publish', {})).status).toBe(200);

    const { page, context } = await newPage(h);
    await login(page, h.url, 'admin', 'admin-password-123');
    await page.goto(`${h.url}/records/follow_up/new`);
    const headings = page.locator('.fw-section');
    await headings.first().waitFor();
    expect(await headings.allTextContents()).toEqual(['基本信息', '跟进结果']);
    // the second heading comes after a field of the first section and before one of the second
    const order = await page.evaluate(() => [...document.querySelectorAll('.fw-object-root > div')].map((d) => (d.classList.contains('fw-section') ? `#${d.textContent}` : 'field')));
    expect(order[0]).toBe('#基本信息');
    expect(order.indexOf('#跟进结果')).toBeGreaterThan(1);
    expect(order.indexOf('#跟进结果')).toBeLessThan(order.length - 1);
    await shot(page, 'form-sections');
    await context.close();
  });
});
