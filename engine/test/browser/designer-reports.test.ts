/**
 * The report and dashboard designer (/designer/reports) in a real browser, as the administrator:
 * (a) builds a new report on the demo customers (count of customers by their level, a bar chart),
 *     sees the live preview of the unsaved definition (an ECharts canvas and one table row per
 *     level whose counts add up to every customer), sees a 422 land on the control at fault,
 *     saves and publishes it, and running it answers what the preview showed;
 * (b) builds a dashboard with that report and a demo report, previews it with real data, drags
 *     the first widget to a new place and resizes the second by its corner (the saved layout
 *     changes), publishes, and the runtime app's dashboard page shows the new report's chart,
 *     widgets in the order of the new layout.
 * Screenshots in .ci-artifacts/screenshots/designer-reports-*.png.
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
const REPORT = 'customers_by_level';
const DASHBOARD = 'customer_board';

async function designerLogin(page: Page) {
  await page.goto(h.url + '/designer/');
  await page.locator('#login-username').fill('admin');
  await page.locator('#login-password').fill(ADMIN_PASSWORD);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('user-menu').waitFor();
}

/** Open an antd Select (the one with this test id, or inside it), type to search, pick the option with this text. */
async function pick(page: Page, testId: string, text: string | RegExp, search?: string) {
  const el = page.getByTestId(testId);
  const select = (await el.evaluate((e) => e.classList.contains('ant-select'))) ? el : el.locator('.ant-select').first();
  await select.click();
  if (search) await page.keyboard.type(search);
  await page.locator('.ant-select-dropdown:visible .ant-select-item-option').filter({ hasText: text }).first().click();
}

/** The API as the signed-in user of this tab. */
async function call(page: Page, method: string, url: string, body?: unknown): Promise<{ status: number; body: any }> {
  return page.evaluate(async ({ method, url, body }) => {
    const res = await fetch(url, {
      method,
      headers: { Authorization: `Bearer ${sessionStorage.getItem('formwork.token')}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: await res.json().catch(() => null) };
  }, { method, url, body });
}

/** A dnd-kit drag with the mouse: press, move past the activation distance, glide in steps, release. */
async function drag(page: Page, from: { x: number; y: number }, to: { x: number; y: number }, steps = 14) {
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  await page.mouse.move(from.x + 6, from.y + 6, { steps: 2 });
  await page.mouse.move(to.x, to.y, { steps });
  await page.mouse.move(to.x, to.y + 1);
  await page.mouse.up();
}

const centre = async (page: Page, testId: string) => {
  const b = (await page.getByTestId(testId).boundingBox())!;
  return { x: b.x + b.width / 2, y: b.y + b.height / 2 };
};

describe('report and dashboard designer', () => {
  it('(a) builds a report with a live preview, saves and publishes it', async () => {
    const { context, page } = await newPage(h, { width: 1440, height: 900 });
    try {
      await designerLogin(page);
      await page.getByTestId('nav').getByText('报表与仪表盘', { exact: true }).click();
      await page.getByTestId('reports-row-lead_sources').waitFor();
      await shot(page, 'designer-reports-01-list');

      await page.getByTestId('new-report').click();
      await page.locator('#new-doc-zh').fill('客户意向等级分布');
      await page.locator('#new-doc-en').fill('Customers by level');
      await page.locator('#new-doc-key').fill(REPORT);
      await pick(page, 'new-doc-source', '(customer)', 'customer');
      await page.getByTestId('new-doc-ok').click();
      await page.getByTestId(`report-designer-${REPORT}`).waitFor({ timeout: 60_000 }); // the first open loads the designer chunk: slow on a busy machine

      // A new report counts the records: one row before any dimension.
      const total = (await call(page, 'GET', '/api/records/customer?pageSize=1')).body.total as number;
      expect(total).toBeGreaterThan(10);
      await expect.poll(() => page.getByTestId('preview-row').count()).toBe(1);
      await expect.poll(() => page.getByTestId('preview-row').first().locator('td').last().textContent()).toBe(String(total));

      // Group by the option field "level": one row per level, labelled, adding up to every customer.
      await pick(page, 'add-dimension', '(level)', 'level');
      await page.getByTestId('dim-0').waitFor();
      await page.getByTestId('tab-display').click();
      await page.getByTestId('report-type-chart').click();
      await page.locator('[data-testid="preview-chart"] canvas').waitFor();
      await expect.poll(() => page.getByTestId('preview-row').count()).toBeGreaterThan(2);
      const rows = await page.getByTestId('preview-row').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')));
      expect(rows.reduce((a, r) => a + Number(r[1]), 0)).toBe(total);
      // Option keys are shown as their labels.
      const levelLabels = ((await call(page, 'GET', '/api/meta/forms/customer')).body.fields as any[]).find((f) => f.key === 'level').options.map((o: any) => o.label['zh-CN']);
      for (const r of rows) expect(levelLabels).toContain(r[0]);
      await shot(page, 'designer-reports-02-preview');

      // A bad output key: the preview's 422 marks the measure's key input.
      await page.getByTestId('tab-data').click();
      await page.getByTestId('measure-0-key').fill('Bad Key');
      await page.getByTestId('report-problems').getByText('/measures/0/key').waitFor();
      await expect.poll(() => page.getByTestId('measure-0').locator('.ant-form-item-has-error').count()).toBeGreaterThan(0);
      await shot(page, 'designer-reports-03-error');
      await page.getByTestId('measure-0-key').fill('customers');
      await page.getByTestId('report-problems').waitFor({ state: 'detached' });
      await page.locator('[data-testid="preview-chart"] canvas').waitFor();

      await page.getByTestId('save-draft').click();
      await page.getByTestId('dirty').waitFor({ state: 'detached' });
      await page.getByTestId('publish').click();
      await expect.poll(() => page.getByTestId('doc-status').textContent()).toBe('已发布');
      const draft = (await call(page, 'GET', `/api/meta/reports/${REPORT}`)).body;
      expect(draft).toMatchObject({ source: 'customer', dimensions: [{ field: 'level' }], measures: [{ key: 'customers', op: 'count' }], type: 'chart', chart: { kind: 'bar' } });

      // Running the published report answers what the preview showed.
      const run = await call(page, 'POST', `/api/reports/${REPORT}/run`, {});
      expect(run.status).toBe(200);
      expect(run.body.rows.length).toBe(rows.length);
      expect(run.body.rows.reduce((a: number, r: any) => a + r.customers, 0)).toBe(total);
    } finally {
      await context.close();
    }
  });

  it('(b) arranges a dashboard by dragging, publishes it, and the runtime shows it', async () => {
    const { context, page } = await newPage(h, { width: 1440, height: 900 });
    try {
      await designerLogin(page);
      await page.goto(h.url + '/designer/reports?tab=dashboards');
      await page.getByTestId('dashboards-table').waitFor();
      await page.getByTestId('new-dashboard').click();
      await page.locator('#new-doc-zh').fill('客户看板');
      await page.locator('#new-doc-key').fill(DASHBOARD);
      await page.getByTestId('new-doc-ok').click();
      await page.getByTestId(`dashboard-designer-${DASHBOARD}`).waitFor({ timeout: 60_000 });

      await pick(page, 'add-widget', `(${REPORT})`, REPORT);
      await page.getByTestId('dw-w1').waitFor();
      await pick(page, 'add-widget', '(lead_sources)', 'lead_sources');
      await page.getByTestId('dw-w2').waitFor();
      expect(await page.getByTestId('dw-w1').getAttribute('data-layout')).toBe('0,0,12,6');
      expect(await page.getByTestId('dw-w2').getAttribute('data-layout')).toBe('12,0,12,6');

      // Real data in the widgets.
      await page.getByTestId('dashboard-preview').click();
      await page.locator('[data-testid="dw-w1-preview-chart"] canvas').waitFor();

      // Drag the first widget down by 6 rows (40 px each) and 4 columns to the right; it lands below the second.
      const grid = (await page.getByTestId('dashboard-grid').boundingBox())!;
      const col = grid.width / 24;
      const from = await centre(page, 'dw-w1-handle');
      await drag(page, from, { x: from.x + 4 * col, y: from.y + 6 * 40 });
      await expect.poll(() => page.getByTestId('dw-w1').getAttribute('data-layout')).toBe('4,6,12,6');
      // Resize the second one by its corner: 4 columns narrower, 2 rows taller.
      const corner = await centre(page, 'dw-w2-resize');
      await drag(page, corner, { x: corner.x - 4 * col, y: corner.y + 2 * 40 });
      await expect.poll(() => page.getByTestId('dw-w2').getAttribute('data-layout')).toBe('12,0,8,8');
      // w1 overlapped the taller w2 (rows 6–7, columns 12–15): pushed down below it.
      expect(await page.getByTestId('dw-w1').getAttribute('data-layout')).toBe('4,8,12,6');
      await shot(page, 'designer-reports-04-dashboard');

      await page.getByTestId('save-draft').click();
      await page.getByTestId('dirty').waitFor({ state: 'detached' });
      const saved = (await call(page, 'GET', `/api/meta/dashboards/${DASHBOARD}?draft=1`)).body;
      expect(saved.widgets.map((w: any) => [w.id, w.report, w.layout])).toEqual([
        ['w1', REPORT, { x: 4, y: 8, w: 12, h: 6 }],
        ['w2', 'lead_sources', { x: 12, y: 0, w: 8, h: 8 }],
      ]);
      await page.getByTestId('publish').click();
      await expect.poll(() => page.getByTestId('doc-status').textContent()).toBe('已发布');

      // The runtime app: the dashboard with the new report's chart, widgets in the new order (w2 is now on top).
      await page.goto(h.url + `/dashboards/${DASHBOARD}`);
      await page.locator('[data-testid="chart-w1"] canvas').waitFor();
      await page.getByTestId('widget-w1').getByText('客户意向等级分布').waitFor();
      const order = await page.locator('[data-testid^="widget-"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-testid')));
      expect(order).toEqual(['widget-w2', 'widget-w1']);
      await shot(page, 'designer-reports-05-runtime');
    } finally {
      await context.close();
    }
  });
});
