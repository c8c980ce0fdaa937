/**
 * Files and signatures in a real browser, on the demo dealer: an advisor creates a customer with
 * an ID-card photo (the server refuses an .exe named photo.png, and the form shows its message),
 * saves, and sees the thumbnail on the record page; a service advisor on a 360 px wide phone
 * draws the customer's signature on a repair order with a finger, saves, and sees it.
 * Screenshots in .ci-artifacts/screenshots/.
 */
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { makePng } from '../helpers/png.js';
import { login, newPage, shot, useHarness } from './harness.js';

const h = useHarness();

/** A small real PNG (a gradient, so the thumbnail has something to show). */
const png = () => makePng(64, 40, { gradient: true });

const uniquePhone = () => `137${String(Date.now() % 100_000_000).padStart(8, '0')}`;

/** Every <img> under the locator has loaded real pixels. */
async function imagesLoaded(page: Page, selector: string): Promise<number> {
  return page.evaluate((sel) => {
    const imgs = [...document.querySelectorAll<HTMLImageElement>(sel)];
    return imgs.length && imgs.every((i) => i.complete && i.naturalWidth > 0) ? imgs.length : 0;
  }, selector);
}

/** The record list API as the signed-in page sees it. */
async function apiFromPage(page: Page, path: string): Promise<any> {
  return page.evaluate(async (p) => {
    const res = await fetch(p, { headers: { Authorization: `Bearer ${sessionStorage.getItem('formwork.token')}` } });
    return res.json();
  }, path);
}

describe('runtime UI: uploads and signatures', () => {
  it('an advisor attaches an ID-card photo to a new customer; a refused file shows the server\'s message; the record shows the thumbnail', async () => {
    const { context, page } = await newPage(h);
    await login(page, h.url, 'zhangwei');
    await page.getByTestId('nav').getByRole('menuitem', { name: '客户', exact: true }).click();
    await page.getByTestId('list-customer').waitFor();
    await page.getByTestId('new-record').click();
    await page.getByTestId('form-customer').waitFor();
    const name = `上传测试${Date.now() % 100000}`;
    await page.locator('#root_name').fill(name);
    await page.locator('#root_phone').fill(uniquePhone());

    const files = page.getByTestId('files-id_card_photos');
    const input = files.locator('input[type=file]');
    // An executable dressed as a photo: the server sniffs the bytes and says no.
    const refused = page.waitForResponse((r) => r.url().includes('/api/files?') && r.request().method() === 'POST');
    await input.setInputFiles({ name: 'photo.png', mimeType: 'image/png', buffer: Buffer.concat([Buffer.from('MZ'), Buffer.alloc(512, 0x90)]) });
    expect((await refused).status()).toBe(422);
    await page.getByTestId('upload-error-id_card_photos').filter({ hasText: '无法识别的文件类型' }).waitFor();
    await shot(page, 'uploads-01-refused');

    // A real PNG.
    const uploaded = page.waitForResponse((r) => r.url().includes('/api/files?') && r.request().method() === 'POST');
    await input.setInputFiles({ name: '身份证正面.png', mimeType: 'image/png', buffer: png() });
    const up = await uploaded;
    expect(up.status()).toBe(201);
    const ref = await up.json();
    expect(ref).toMatchObject({ name: '身份证正面.png', mime: 'image/png' });
    await expect.poll(() => imagesLoaded(page, '[data-testid="files-id_card_photos"] .ant-upload-list-item img')).toBe(1);
    await expect.poll(() => page.getByTestId('upload-error-id_card_photos').count()).toBe(0);
    await shot(page, 'uploads-02-uploaded');

    const saved = page.waitForResponse((r) => r.url().endsWith('/api/records/customer') && r.request().method() === 'POST');
    await page.getByTestId('save').click();
    const res = await saved;
    expect(res.status()).toBe(201);
    const customer = await res.json();
    expect(customer.id_card_photos).toEqual([{ ...ref, url: `/api/files/${ref.id}` }]);
    await page.getByTestId('record-customer').waitFor();
    await expect.poll(() => imagesLoaded(page, '[data-testid="file-thumbs-id_card_photos"] img')).toBe(1);
    await shot(page, 'uploads-03-record');

    // The edit form shows the stored photo as a picture card, and removing it saves an empty field.
    await page.getByTestId('edit').click();
    await page.getByTestId('form-customer').waitFor();
    await expect.poll(() => imagesLoaded(page, '[data-testid="files-id_card_photos"] .ant-upload-list-item img')).toBe(1);
    await context.close();
  });

  it('a service advisor draws the customer\'s signature on a repair order with a finger on a 360 px phone', async () => {
    const { context, page } = await newPage(h, { width: 360, height: 780 });
    await login(page, h.url, 'xuqiang');
    const list = await apiFromPage(page, '/api/records/repair_order?pageSize=1&sort=-id');
    const ro = list.items[0];
    expect(ro?.id).toBeGreaterThan(0);
    await page.goto(`${h.url}/records/repair_order/${ro.id}/edit`);
    await page.getByTestId('form-repair_order').waitFor();
    const pad = page.getByTestId('signature-pad-customer_signature');
    await pad.scrollIntoViewIfNeeded();
    const box = (await pad.boundingBox())!;
    expect(box.width).toBeGreaterThan(250);
    expect(box.x + box.width).toBeLessThanOrEqual(360);

    // A finger: touch events through the DevTools protocol (Chromium turns them into pointer events).
    const cdp = await context.newCDPSession(page);
    const at = (fx: number, fy: number) => ({ x: box.x + box.width * fx, y: box.y + box.height * fy });
    const scrollBefore = await page.evaluate(() => window.scrollY);
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [at(0.1, 0.6)] });
    for (let i = 1; i <= 24; i++) {
      const fx = 0.1 + (0.8 * i) / 24;
      await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: [at(fx, 0.5 + 0.3 * Math.sin(i / 3))] });
    }
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
    // the stroke drew on the canvas, and the page did not scroll under the finger
    expect(await page.evaluate(() => window.scrollY)).toBe(scrollBefore);
    const inked = await pad.evaluate((c: HTMLCanvasElement) => {
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 3; i < d.length; i += 4) if (d[i]! > 0) n++;
      return n;
    });
    expect(inked).toBeGreaterThan(100);
    await shot(page, 'uploads-04-signature-drawn');

    const saved = page.waitForResponse((r) => r.url().endsWith(`/api/records/repair_order/${ro.id}`) && r.request().method() === 'PATCH');
    await page.getByTestId('save').click();
    const res = await saved;
    expect(res.status()).toBe(200);
    const after = await res.json();
    expect(after.customer_signature).toMatch(/^data:image\/png;base64,/);
    expect(after.customer_signature.length).toBeLessThan(200_000);
    await page.getByTestId('record-repair_order').waitFor();
    await expect.poll(() => imagesLoaded(page, '[data-testid="signature-image-customer_signature"]')).toBe(1);
    await shot(page, 'uploads-05-signature-saved');

    // Clearing and drawing again with the mouse works too (desktop pointer).
    await page.getByTestId('edit').click();
    await page.getByTestId('form-repair_order').waitFor();
    await page.getByTestId('signature-again-customer_signature').click();
    const pad2 = page.getByTestId('signature-pad-customer_signature');
    await pad2.scrollIntoViewIfNeeded();
    const b2 = (await pad2.boundingBox())!;
    await page.mouse.move(b2.x + 20, b2.y + 40);
    await page.mouse.down();
    for (let i = 1; i <= 10; i++) await page.mouse.move(b2.x + 20 + i * 20, b2.y + 40 + (i % 2) * 30);
    await page.mouse.up();
    const again = page.waitForResponse((r) => r.url().endsWith(`/api/records/repair_order/${ro.id}`) && r.request().method() === 'PATCH');
    await page.getByTestId('save').click();
    const res2 = await again;
    expect(res2.status()).toBe(200);
    expect((await res2.json()).customer_signature).not.toBe(after.customer_signature);
    await context.close();
  });
});
