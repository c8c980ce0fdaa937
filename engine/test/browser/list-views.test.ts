/**
 * Saved list views, large pages and masked fields in a real browser (Chinese UI):
 *  - a sales manager filters the orders, saves the filter as a view (server-side), reloads,
 *    chooses it and the list is filtered; renames it, makes it her default (a reload opens it),
 *    and on a 360 px phone the same view is there;
 *  - a view of 500 records a page stays smooth on desktop and on a phone: the virtual table
 *    keeps the DOM small; page change → rows painted, long tasks and keystroke latency in the
 *    search box are measured with the Performance API and logged;
 *  - a field the manager sees masked (a customer's ID number) is read-only text in the edit
 *    form, is not sent back on save, and the save succeeds with the stored value unchanged.
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { call, login as apiLogin } from '../helpers/process.js';
import { login, newPage, shot, useHarness } from './harness.js';

const h = useHarness();

const totalOf = async (page: Page, form: string) => Number(/共 (\d+) 条/.exec((await page.getByTestId(`list-${form}`).textContent()) ?? '')?.[1]);

async function chooseView(page: Page, name: string) {
  await page.getByTestId('view-select').click();
  await page.locator('.ant-select-dropdown:visible .ant-select-item-option').filter({ hasText: name }).click();
}

async function viewMenu(page: Page, item: string) {
  await page.getByTestId('view-menu').click();
  await page.locator('.ant-dropdown:visible').getByTestId(item).click();
}

/** Long tasks and input latency, recorded from the start of every document. */
const PERF_PROBE = () => {
  const w = window as any;
  w.__longtasks = [];
  w.__inputLatency = [];
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) w.__longtasks.push({ start: e.startTime, duration: e.duration });
    }).observe({ type: 'longtask', buffered: true });
  } catch {
    /* no longtask support */
  }
  // Keystroke → the next frame painted after it handled.
  document.addEventListener('input', (e) => {
    const t = e.timeStamp;
    requestAnimationFrame(() => setTimeout(() => w.__inputLatency.push(performance.now() - t), 0));
  }, true);
};

const painted = (page: Page) => page.evaluate(() => new Promise<number>((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(performance.now())))));

function stats(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  const pct = (p: number) => (s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))]! : 0);
  return { n: s.length, p50: Math.round(pct(0.5)), p95: Math.round(pct(0.95)), max: Math.round(s[s.length - 1] ?? 0) };
}

describe('runtime UI: saved list views, large pages, masked fields', () => {
  it('saves a filter as a server-side view; after a reload choosing it filters the list; rename, default, and the same view on a phone', async () => {
    const { context, page } = await newPage(h);
    await login(page, h.url, 'liuyang');
    await page.goto(`${h.url}/records/vehicle_order`);
    await page.locator('.ant-table-row').first().waitFor();
    await expect.poll(() => totalOf(page, 'vehicle_order')).toBeGreaterThan(0);
    const all = await totalOf(page, 'vehicle_order');

    // Filter: status = delivered.
    await page.getByTestId('filter-button').click();
    const fb = page.getByTestId('filter-builder');
    await fb.locator('.ant-select').nth(0).click();
    await page.keyboard.type('状态');
    await page.locator('.ant-select-dropdown:visible .ant-select-item-option').filter({ hasText: /^状态$/ }).click();
    await fb.locator('.ant-select').nth(2).click();
    await page.locator('.ant-select-dropdown:visible .ant-select-item-option').filter({ hasText: '已交车' }).click();
    const filtered = page.waitForResponse((r) => r.url().includes('/api/records/vehicle_order?') && r.url().includes('filter='));
    await page.getByTestId('filter-apply').click();
    const delivered = (await (await filtered).json()).total as number;
    expect(delivered).toBeLessThan(all);
    await expect.poll(() => totalOf(page, 'vehicle_order')).toBe(delivered);

    // Save it as a view.
    await viewMenu(page, 'view-save-new');
    await page.getByTestId('view-name').fill('已交车订单');
    const saved = page.waitForResponse((r) => r.url().endsWith('/api/views') && r.request().method() === 'POST');
    await page.getByTestId('view-name-ok').click();
    const view = await (await saved).json();
    expect(view).toMatchObject({ form: 'vehicle_order', name: '已交车订单', filter: { '==': [{ var: 'status' }, 'delivered'] }, mine: true });
    await expect.poll(() => page.getByTestId('view-select').textContent()).toContain('已交车订单');

    // A second view with the same name is refused with the server's message.
    await viewMenu(page, 'view-save-new');
    await page.getByTestId('view-name').fill('已交车订单');
    await page.getByTestId('view-name-ok').click();
    await expect.poll(() => page.getByTestId('view-name-error').textContent()).toContain('名称已被使用');
    await page.keyboard.press('Escape');

    // Reload: all records again (no default yet); choosing the view filters the list.
    await page.reload();
    await page.locator('.ant-table-row').first().waitFor();
    await expect.poll(() => totalOf(page, 'vehicle_order')).toBe(all);
    const chosen = page.waitForResponse((r) => r.url().includes('/api/records/vehicle_order?') && r.url().includes('filter='));
    await chooseView(page, '已交车订单');
    const body = await (await chosen).json();
    expect(body.items.every((o: any) => o.status === 'delivered')).toBe(true);
    await expect.poll(() => totalOf(page, 'vehicle_order')).toBe(delivered);
    expect(await page.getByTestId('filter-button').textContent()).toContain('(1)');

    // Rename, and make it the default: a reload opens it.
    await viewMenu(page, 'view-rename');
    await page.getByTestId('view-name').fill('已交车');
    const renamed = page.waitForResponse((r) => r.url().includes(`/api/views/${view.id}`) && r.request().method() === 'PUT');
    await page.getByTestId('view-name-ok').click();
    expect((await renamed).status()).toBe(200);
    await expect.poll(() => page.getByTestId('view-select').textContent()).toContain('已交车');
    const made = page.waitForResponse((r) => r.url().includes(`/api/views/${view.id}`) && r.request().method() === 'PUT');
    await viewMenu(page, 'view-default');
    expect((await made).status()).toBe(200);
    await page.reload();
    await expect.poll(() => page.getByTestId('view-select').textContent()).toContain('已交车');
    await expect.poll(() => totalOf(page, 'vehicle_order')).toBe(delivered);
    await shot(page, 'desktop-list-view');

    // "All records" brings back the unfiltered list.
    await chooseView(page, '全部记录');
    await expect.poll(() => totalOf(page, 'vehicle_order')).toBe(all);
    await context.close();

    // The same person on a 360 px phone: the default view opens, the page does not overflow.
    const phone = await newPage(h, { width: 360, height: 740 });
    await login(phone.page, h.url, 'liuyang');
    await phone.page.goto(`${h.url}/records/vehicle_order`);
    await expect.poll(() => phone.page.getByTestId('view-select').textContent()).toContain('已交车');
    await expect.poll(() => totalOf(phone.page, 'vehicle_order')).toBe(delivered);
    const overflow = await phone.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await shot(phone.page, 'phone360-list-view');
    // Delete it there: gone, the list unfiltered.
    await viewMenu(phone.page, 'view-delete');
    const deleted = phone.page.waitForResponse((r) => r.url().includes(`/api/views/${view.id}`) && r.request().method() === 'DELETE');
    await phone.page.getByTestId('view-delete-ok').click();
    expect((await deleted).status()).toBe(204);
    await expect.poll(() => totalOf(phone.page, 'vehicle_order')).toBe(all);
    const token = await apiLogin(h.url, 'liuyang', 'formwork-demo');
    expect((await call(h.url, token, 'GET', '/api/views?form=vehicle_order')).body.items).toEqual([]);
    await phone.context.close();
  }, 180_000);

  for (const viewport of [{ width: 1280, height: 860, name: 'desktop' }, { width: 360, height: 740, name: 'phone360' }]) {
    it(`a page of 500 records stays smooth (${viewport.name}; figures logged)`, async () => {
      const token = await apiLogin(h.url, 'admin', 'admin-password-123');
      const name = `每页500-${viewport.name}`;
      const made = await call(h.url, token, 'POST', '/api/views', { form: 'follow_up', name, pageSize: 500, sort: '-id' });
      expect(made.status, JSON.stringify(made.body)).toBe(201);
      const { context, page } = await newPage(h, { width: viewport.width, height: viewport.height });
      await context.addInitScript(PERF_PROBE);
      await login(page, h.url, 'admin', 'admin-password-123');
      await page.goto(`${h.url}/records/follow_up`);
      await page.locator('.ant-table-row').first().waitFor();

      // Choose the view: 500 rows per page.
      const firstId = () => page.locator('.ant-table-row').first().getAttribute('data-row-key');
      const before = await firstId();
      const t0 = await page.evaluate(() => performance.now());
      const big = page.waitForResponse((r) => r.url().includes('/api/records/follow_up?') && r.url().includes('pageSize=500'));
      await chooseView(page, name);
      const bigBody = await (await big).json();
      expect(bigBody.items).toHaveLength(500);
      await expect.poll(() => page.getByTestId('list-follow_up').locator('.ant-pagination').textContent()).toMatch(/1/);
      await expect.poll(async () => (await page.locator('.ant-table-row').count()) > 0 && (await firstId()) === String(bigBody.items[0].id)).toBe(true);
      const firstPaint = (await painted(page)) - t0;
      // Virtualised: only the rows in view are in the DOM.
      const domRows = await page.locator('.ant-table-row').count();
      expect(domRows).toBeLessThan(120);
      expect(before).not.toBeNull();

      // Page 2 of 500: click → the new rows painted; the long tasks in between.
      const next = page.waitForResponse((r) => r.url().includes('/api/records/follow_up?') && r.url().includes('page=2'));
      const t1 = await page.evaluate(() => performance.now());
      await page.locator('.ant-pagination-next').first().click();
      const page2 = await (await next).json();
      expect(page2.items).toHaveLength(500);
      await expect.poll(() => firstId(), { intervals: [16] }).toBe(String(page2.items[0].id));
      const t2 = await painted(page);
      const pageChange = t2 - t1;
      const pageLong = await page.evaluate(([a, b]) => (window as any).__longtasks.filter((x: any) => x.start >= a! && x.start <= b!).map((x: any) => x.duration), [t1, t2]);
      // The part spent waiting for the server (the page and its relation titles): resource timing.
      const dataAt = await page.evaluate((a) => Math.max(a, ...performance.getEntriesByType('resource').filter((e) => e.startTime >= a && e.name.includes('/api/records/')).map((e) => (e as PerformanceResourceTiming).responseEnd)), t1);

      // Scrolling the virtual body: rows change, the DOM stays small.
      await page.locator('.ant-table-body, .ant-table-tbody-virtual-holder').first().hover();
      for (let i = 0; i < 10; i++) await page.mouse.wheel(0, 1200);
      await expect.poll(() => firstId()).not.toBe(String(page2.items[0].id));
      expect(await page.locator('.ant-table-row').count()).toBeLessThan(120);

      // Typing in the search box: every keystroke handled and painted quickly (the table does not re-render).
      const typed = await page.evaluate(() => { (window as any).__inputLatency = []; return performance.now(); });
      await page.getByTestId('list-search').locator('input').click();
      await page.keyboard.type('客户回访记录电话', { delay: 60 });
      const typedEnd = await painted(page);
      const latency = await page.evaluate(() => (window as any).__inputLatency as number[]);
      const typeLong = await page.evaluate(([a, b]) => (window as any).__longtasks.filter((x: any) => x.start >= a! && x.start <= b!).map((x: any) => x.duration), [typed, typedEnd]);
      const ls = stats(latency);
      const ps = stats(pageLong);
      const ts = stats(typeLong);
      console.log(
        `[${viewport.name} ${viewport.width}px] pageSize 500: view chosen → rows painted ${Math.round(firstPaint)} ms; page change → rows painted ${Math.round(pageChange)} ms ` +
        `(server and network ${Math.round(dataAt - t1)} ms, then in the browser ${Math.round(t2 - dataAt)} ms; long tasks: ${ps.n}, max ${ps.max} ms, total ${Math.round(pageLong.reduce((a: number, b: number) => a + b, 0))} ms); DOM rows ${domRows}; ` +
        `typing ${ls.n} keystrokes: input → next frame p50 ${ls.p50} ms, p95 ${ls.p95} ms, max ${ls.max} ms; long tasks while typing: ${ts.n} (max ${ts.max} ms)`,
      );
      expect(ls.n).toBeGreaterThanOrEqual(8);
      expect(ls.p50).toBeLessThan(150); // generous for 2 shared CI cores; the figures are in the log
      expect(pageChange).toBeLessThan(8000);
      await shot(page, `${viewport.name}-list-500`);
      await context.close();
      await call(h.url, token, 'DELETE', `/api/views/${made.body.id}`);
    }, 180_000);
  }

  it('a masked field is read-only in the edit form, not sent back, and the save succeeds', async () => {
    const token = await apiLogin(h.url, 'liuyang', 'formwork-demo');
    const admin = await apiLogin(h.url, 'admin', 'admin-password-123');
    const access = (await call(h.url, token, 'GET', '/api/meta/forms/customer/access')).body;
    expect(access.masked).toContain('id_number');
    expect(access.actions.update).toBe(true);
    // One of her customers with an ID number on file.
    let target: any = null;
    for (let p = 1; p <= 10 && !target; p++) {
      const list = (await call(h.url, token, 'GET', `/api/records/customer?pageSize=200&page=${p}&sort=-id`)).body;
      target = list.items.find((c: any) => c.id_number && c.status !== 'lost');
    }
    expect(target).toBeTruthy();
    expect(target.id_number).toMatch(/\*{4,}/);
    const stored = (await call(h.url, admin, 'GET', `/api/records/customer/${target.id}`)).body.id_number;
    expect(stored).toMatch(/^\d{17}[\dX]$/);

    for (const viewport of [{ width: 1280, height: 860 }, { width: 360, height: 740 }]) {
      const { context, page } = await newPage(h, viewport);
      await login(page, h.url, 'liuyang');
      await page.goto(`${h.url}/records/customer/${target.id}/edit`);
      await page.getByTestId('form-customer').waitFor();
      const masked = page.locator('#root_id_number');
      await masked.waitFor();
      expect(await masked.getAttribute('data-masked')).toBe('true');
      expect(await masked.evaluate((el) => el.tagName)).toBe('DIV'); // text, not an input
      await expect.poll(() => masked.textContent()).toContain(target.id_number);
      expect(await masked.textContent()).toContain('已脱敏');
      // Change another field and save.
      const budget = 150_000 + (Date.now() % 50_000);
      await page.locator('#root_budget').fill(String(budget));
      const patch = page.waitForRequest((r) => r.method() === 'PATCH' && r.url().includes(`/api/records/customer/${target.id}`));
      const answer = page.waitForResponse((r) => r.request().method() === 'PATCH' && r.url().includes(`/api/records/customer/${target.id}`));
      await page.getByTestId('save').click();
      const sent = JSON.parse((await patch).postData() ?? '{}');
      expect(sent).not.toHaveProperty('id_number');
      expect(sent.budget).toBe(budget);
      expect((await answer).status()).toBe(200);
      expect(await page.getByTestId('form-error').count()).toBe(0);
      await page.waitForURL(new RegExp(`/records/customer/${target.id}$`));
      if (viewport.width < 600) await shot(page, 'phone360-masked-saved');
      await context.close();
    }
    const after = (await call(h.url, admin, 'GET', `/api/records/customer/${target.id}`)).body;
    expect(after.id_number).toBe(stored);
    // Through the API too: the masked value sent back unchanged is accepted and changes nothing.
    const mine = (await call(h.url, token, 'GET', `/api/records/customer/${target.id}`)).body;
    const roundTrip = await call(h.url, token, 'PATCH', `/api/records/customer/${target.id}`, { id_number: mine.id_number, budget: 123456, _version: mine._version });
    expect(roundTrip.status, JSON.stringify(roundTrip.body)).toBe(200);
    expect((await call(h.url, admin, 'GET', `/api/records/customer/${target.id}`)).body.id_number).toBe(stored);
  }, 180_000);
});
