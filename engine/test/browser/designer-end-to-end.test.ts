/**
 * Issue #8, end to end in a real browser: an administrator builds an application in /designer and
 * the staff use it in the runtime app — nothing of it is written through the API (the API only
 * looks up ids and checks results).
 * (1) the form designer: a new form `trade_in` (二手车置换) with a required relation to the
 *     customer, a text field for the car model and a money field `offer` (评估价); published;
 * (2) the roles designer: sales advisors may create and read trade-ins, the sales manager reads them;
 * (3) the workflow designer: on a new trade-in a condition node sends offers over 100 000 to an
 *     approval by the sales-manager role, the rest straight to the end; published;
 * (4) the report designer: count and sum of the offers, published, on a new dashboard;
 * (5) the runtime app: an advisor (张伟) records two trade-ins, choosing the customer in the relation
 *     picker — 150 000 and 80 000; the manager (刘洋) finds only the first in his inbox and
 *     approves it; the advisor sees both workflow timelines (approved by 刘洋; the other straight
 *     through the else branch, no approval); the manager's dashboard shows count 2 and ¥230,000.
 * Screenshots in .ci-artifacts/screenshots/e2e-*.png.
 */
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { call, login as apiLogin, REPO } from '../helpers/process.js';
import { DEMO_PASSWORD, login, newPage, pickRelation, shot, useHarness } from './harness.js';

if (!fs.existsSync(path.join(REPO, 'designer/dist/index.html'))) {
  throw new Error('designer/dist is missing: run `npm run build -w designer` (npm run test:browser does)');
}

const h = useHarness();
const ADMIN_PASSWORD = process.env.FW_ADMIN_PASSWORD ?? 'admin-password-123';
const FORM = 'trade_in';
const WF = 'trade_in_approval';
const REPORT = 'trade_in_summary';
const DASHBOARD = 'trade_in_board';
const LONG = { timeout: 60_000 };

async function designerLogin(page: Page) {
  await page.goto(h.url + '/designer/');
  await page.locator('#login-username').fill('admin');
  await page.locator('#login-password').fill(ADMIN_PASSWORD);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('user-menu').waitFor();
}

/** Open an antd Select (the one with this test id, or inside it), optionally type, pick the option with this text. */
async function pick(page: Page, testId: string, text: string | RegExp, search?: string) {
  const el = page.getByTestId(testId);
  const select = (await el.evaluate((e) => e.classList.contains('ant-select'))) ? el : el.locator('.ant-select').first();
  await select.click();
  if (search) await page.keyboard.type(search);
  await page.locator('.ant-select-dropdown:visible .ant-select-item-option').filter({ hasText: text }).first().click();
}

/** The same for a Select found by its input's id. */
async function pickById(page: Page, id: string, text: string | RegExp, search?: string) {
  await page.locator(`#${id}`).click();
  if (search) await page.keyboard.type(search);
  await page.locator('.ant-select-dropdown:visible .ant-select-item-option').filter({ hasText: text }).first().click();
}

const centre = async (page: Page, testId: string) => {
  const b = (await page.getByTestId(testId).boundingBox())!;
  return { x: b.x + b.width / 2, y: b.y + b.height / 2 };
};

/** Drag from one handle to another, as a person draws an edge. */
async function connect(page: Page, from: string, to: string) {
  const a = await centre(page, from);
  const b = await centre(page, to);
  await page.mouse.move(a.x, a.y);
  await page.mouse.down();
  await page.mouse.move((a.x + b.x) / 2, (a.y + b.y) / 2, { steps: 6 });
  await page.mouse.move(b.x, b.y, { steps: 6 });
  await page.mouse.up();
}

/** Adds a field from the palette (a click puts it at the end) and fills its basic properties. */
async function addField(page: Page, type: string, key: string, zh: string, en: string) {
  await page.getByTestId(`palette-${type}`).click();
  await page.getByTestId('field-properties').waitFor();
  await page.locator('#prop-label-zh').fill(zh);
  await page.locator('#prop-label-en').fill(en);
  await page.locator('#prop-key').fill(key);
  await page.getByTestId(`field-${key}`).getByText(zh).waitFor();
}

describe('designer end to end: a trade-in application built in the browser and used in the runtime', () => {
  it('builds form, rights, approval flow and report in /designer; advisor and manager use them in the runtime app', async () => {
    const t0 = Date.now();
    const admin = await apiLogin(h.url, 'admin', ADMIN_PASSWORD);
    let cond = '';
    let appr = '';
    const { context, page } = await newPage(h, { width: 1440, height: 900 });
    try {
      await designerLogin(page);

      // ---- (1) the form ------------------------------------------------------------------------
      await page.getByTestId('nav').getByText('表单', { exact: true }).click();
      await page.getByTestId('forms-list').waitFor();
      await page.getByTestId('form-row-customer').waitFor();
      await page.getByTestId('new-form').click();
      await page.locator('#new-form-zh').fill('二手车置换');
      await page.locator('#new-form-en').fill('Trade-in');
      await page.locator('#new-form-key').fill(FORM);
      await page.locator('#new-form-module').fill('sales');
      // The module box suggests the existing modules: take the one typed (which closes its list).
      await page.locator('.ant-select-dropdown:visible .ant-select-item-option').filter({ hasText: /^sales$/ }).click();
      await page.locator('.ant-select-dropdown:visible').waitFor({ state: 'detached' }).catch(() => undefined);
      await page.getByRole('dialog').getByRole('button', { name: /创\s*建/ }).click();
      await page.getByTestId(`designer-${FORM}`).waitFor(LONG);

      await addField(page, 'relation', 'customer', '客户', 'Customer');
      await pickById(page, 'prop-relation', '(customer)', 'customer');
      await page.locator('#prop-required').click();
      await expect.poll(() => page.locator('#prop-required').getAttribute('aria-checked')).toBe('true');
      await addField(page, 'text', 'car_model', '车型', 'Car model');
      await addField(page, 'money', 'offer', '评估价', 'Offer');
      await page.locator('#prop-required').click();
      const order = await page.locator('.fwd-card').evaluateAll((els) => els.map((e) => e.getAttribute('data-testid')));
      expect(order).toEqual(['field-customer', 'field-car_model', 'field-offer']);
      await page.getByTestId('tab-preview').click();
      await page.getByTestId('preview').getByText('评估价').first().waitFor();
      await shot(page, 'e2e-01-form');

      const plan = page.waitForResponse((r) => r.url().endsWith(`/api/meta/forms/${FORM}/plan`));
      await page.getByTestId('publish').click();
      expect((await plan).status()).toBe(200);
      const dialog = page.getByTestId('publish-dialog');
      await dialog.getByTestId('publish-confirm').waitFor();
      await shot(page, 'e2e-02-form-plan');
      const published = page.waitForResponse((r) => r.url().endsWith(`/api/meta/forms/${FORM}/publish`));
      await dialog.getByTestId('publish-confirm').click();
      expect((await published).status()).toBe(200);
      await expect.poll(() => page.getByTestId('form-status').textContent()).toBe('已发布');

      const formDoc = (await call(h.url, admin, 'GET', `/api/meta/forms/${FORM}`)).body;
      const field = (k: string) => formDoc.fields.find((f: any) => f.key === k);
      expect(formDoc.label).toEqual({ 'zh-CN': '二手车置换', en: 'Trade-in' });
      expect(field('customer')).toMatchObject({ type: 'relation', relation: { form: 'customer' }, required: true });
      expect(field('car_model')).toMatchObject({ type: 'text', label: { 'zh-CN': '车型', en: 'Car model' } });
      expect(field('offer')).toMatchObject({ type: 'money', label: { 'zh-CN': '评估价', en: 'Offer' }, required: true });

      // ---- (2) who may use it: advisors create and read, the sales manager reads ----------------
      for (const [role, actions] of [['sales_advisor', ['create', 'read']], ['sales_manager', ['read']]] as const) {
        await page.goto(h.url + '/designer/');
        await page.getByTestId('nav').getByText('角色权限', { exact: true }).click();
        await page.getByTestId(`role-row-${role}`).click();
        await page.getByTestId(`role-${role}`).waitFor();
        await page.getByTestId(`perm-${FORM}-read`).waitFor();
        for (const a of actions) {
          await page.getByTestId(`perm-${FORM}-${a}`).click();
          await expect.poll(() => page.getByTestId(`perm-${FORM}-${a}`).isChecked()).toBe(true);
        }
        if (role === 'sales_advisor') await shot(page, 'e2e-03-role');
        const rolePublished = page.waitForResponse((r) => r.url().endsWith(`/api/meta/roles/${role}/publish`));
        await page.getByTestId('role-publish').click();
        expect((await rolePublished).status()).toBe(200);
        await expect.poll(() => page.getByTestId('role-status').textContent()).toBe('已发布');
        const entry = (await call(h.url, admin, 'GET', `/api/meta/roles/${role}`)).body.permissions.find((p: any) => p.form === FORM);
        expect(entry.actions).toEqual(actions);
      }

      // ---- (3) the approval flow ------------------------------------------------------------------
      await page.goto(h.url + '/designer/');
      await page.getByTestId('nav').getByText('流程', { exact: true }).click();
      await page.getByTestId('workflows-list').waitFor(LONG);
      await page.getByTestId('new-workflow').click();
      await page.locator('#new-wf-zh').fill('置换评估审批');
      await page.locator('#new-wf-en').fill('Trade-in approval');
      await page.locator('#new-wf-key').fill(WF);
      await pickById(page, 'new-wf-form', `(${FORM})`, FORM);
      await page.getByRole('dialog').getByRole('button', { name: /创\s*建/ }).click();
      // The dialog closes once the server has the draft; if it stays, say what it shows.
      await page.getByRole('dialog').waitFor({ state: 'hidden', timeout: 30_000 }).catch(async () => {
        throw new Error(`the new-workflow dialog stayed open: ${await page.getByRole('dialog').innerText()}`);
      });
      // Generous: the designer's chunk and React Flow load on first use.
      await page.getByTestId(`wf-designer-${WF}`).waitFor(LONG);
      await page.getByTestId('wf-node-start').waitFor();

      await page.getByTestId('wf-palette-condition').click();
      cond = await page.locator('#wf-node-id').inputValue();
      expect(cond).toMatch(/^condition_\d+$/);
      await page.locator('#wf-node-label-zh').fill('评估价判断');
      // offer > 100000, with the rule builder's rows.
      const branch = page.getByTestId('wf-branch-0');
      await branch.locator('#wf-branch-0-label-zh').fill('高价值');
      await branch.getByTestId('wf-branch-0-when-add').click();
      await pick(page, 'wf-branch-0-when-field-0', '评估价');
      await pick(page, 'wf-branch-0-when-op-0', /^大于$/);
      const value = page.getByTestId('wf-branch-0-when-value-0');
      await (await value.evaluate((e) => e.tagName === 'INPUT') ? value : value.locator('input')).fill('100000');

      await page.getByTestId('wf-palette-approval').click();
      appr = await page.locator('#wf-node-id').inputValue();
      expect(appr).toMatch(/^approval_\d+$/);
      await page.locator('#wf-node-label-zh').fill('销售经理审批');
      // Assigned to the sales-manager role (the settings form is the node type's JSON Schema).
      const config = page.getByTestId('wf-node-config');
      await config.locator('#root_assignees_0__oneof_select').click();
      await page.locator('.ant-select-dropdown:visible .ant-select-item-option').filter({ hasText: /^角色$/ }).click();
      await config.locator('#root_assignees_0_role').fill('sales_manager');
      await shot(page, 'e2e-04-approval-settings');

      await page.locator('.react-flow__controls-fitview').click();
      await page.getByTestId(`wf-node-${appr}`).waitFor();
      // start → condition (its one way out moves there); high → approval → end; else → end.
      await connect(page, 'wf-handle-start-out', `wf-handle-${cond}-in`);
      await connect(page, `wf-handle-${cond}-branch_1`, `wf-handle-${appr}-in`);
      await connect(page, `wf-handle-${cond}-else`, 'wf-handle-end-in');
      await connect(page, `wf-handle-${appr}-approved`, 'wf-handle-end-in');
      await page.getByTestId('wf-check').click();
      await page.getByTestId('wf-ok').waitFor();
      await shot(page, 'e2e-05-workflow');

      await page.getByTestId('wf-save').click();
      await page.getByText('草稿已保存').waitFor();
      await page.getByTestId('wf-publish').click();
      await page.getByText(/已发布为第 \d+ 版/).waitFor();
      await expect.poll(() => page.getByTestId('wf-status').textContent()).toBe('已发布');

      const wf = (await call(h.url, admin, 'GET', `/api/meta/workflows/${WF}`)).body;
      expect(wf.trigger).toMatchObject({ type: 'record_created', form: FORM });
      expect(wf.nodes.find((n: any) => n.id === cond).config.branches[0]).toMatchObject({ key: 'branch_1', when: { '>': [{ var: 'offer' }, 100000] } });
      expect(wf.nodes.find((n: any) => n.id === appr).config.assignees).toEqual([{ type: 'role', role: 'sales_manager' }]);
      const edges = wf.edges.map((e: any) => [e.source, e.branch ?? null, e.target]);
      expect(edges).toEqual(expect.arrayContaining([['start', null, cond], [cond, 'branch_1', appr], [cond, 'else', 'end'], [appr, 'approved', 'end']]));
      expect(edges).not.toContainEqual(['start', null, 'end']);

      // ---- (4) the report and its dashboard -----------------------------------------------------
      await page.goto(h.url + '/designer/reports');
      await page.getByTestId('reports-table').waitFor(LONG);
      await page.getByTestId('new-report').click();
      await page.locator('#new-doc-zh').fill('置换评估汇总');
      await page.locator('#new-doc-en').fill('Trade-in summary');
      await page.locator('#new-doc-key').fill(REPORT);
      await pick(page, 'new-doc-source', `(${FORM})`, FORM);
      await page.getByTestId('new-doc-ok').click();
      await page.getByTestId(`report-designer-${REPORT}`).waitFor(LONG);
      // No trade-in yet: the preview counts none.
      await page.getByTestId('measure-0').waitFor();
      await page.getByTestId('measure-0-key').fill('trade_ins');
      await page.getByTestId('add-measure').click();
      await page.getByTestId('measure-1').waitFor();
      await pick(page, 'measure-1-op', /^求和$/);
      await page.getByTestId('measure-1-field').waitFor();
      await pick(page, 'measure-1-field', '评估价');
      await page.getByTestId('measure-1-key').fill('offer_total');
      await page.locator('#measure-1-label-zh').fill('评估价合计');
      await page.locator('#measure-1-label-en').fill('Total offers');
      await page.getByTestId('preview-result').waitFor(LONG);
      await expect.poll(async () => (await page.getByTestId('report-problems').count()) + (await page.getByTestId('preview-error').count())).toBe(0);
      await shot(page, 'e2e-06-report');
      await page.getByTestId('save-draft').click();
      await page.getByTestId('dirty').waitFor({ state: 'detached' });
      await page.getByTestId('publish').click();
      await expect.poll(() => page.getByTestId('doc-status').textContent()).toBe('已发布');
      const report = (await call(h.url, admin, 'GET', `/api/meta/reports/${REPORT}`)).body;
      expect(report).toMatchObject({ source: FORM, measures: [{ key: 'trade_ins', op: 'count' }, { key: 'offer_total', op: 'sum', field: 'offer' }] });

      await page.goto(h.url + '/designer/reports?tab=dashboards');
      await page.getByTestId('dashboards-table').waitFor(LONG);
      await page.getByTestId('new-dashboard').click();
      await page.locator('#new-doc-zh').fill('二手车置换看板');
      await page.locator('#new-doc-key').fill(DASHBOARD);
      await page.getByTestId('new-doc-ok').click();
      await page.getByTestId(`dashboard-designer-${DASHBOARD}`).waitFor(LONG);
      await pick(page, 'add-widget', `(${REPORT})`, REPORT);
      await page.getByTestId('dw-w1').waitFor();
      await page.getByTestId('save-draft').click();
      await page.getByTestId('dirty').waitFor({ state: 'detached' });
      await page.getByTestId('publish').click();
      await expect.poll(() => page.getByTestId('doc-status').textContent()).toBe('已发布');
      await shot(page, 'e2e-07-dashboard-designer');
      const board = (await call(h.url, admin, 'GET', `/api/meta/dashboards/${DASHBOARD}`)).body;
      expect(board.widgets.map((w: any) => w.report)).toEqual([REPORT]);
    } catch (e) {
      await shot(page, 'e2e-fail-designer');
      throw e;
    } finally {
      await context.close();
    }
    console.log(`designer part: ${Math.round((Date.now() - t0) / 1000)} s`);

    // ---- (5) the runtime app --------------------------------------------------------------------
    const advisorToken = await apiLogin(h.url, 'zhangwei', DEMO_PASSWORD);
    const managerToken = await apiLogin(h.url, 'liuyang', DEMO_PASSWORD);
    // One of the advisor's customers, by name (looked up, to be chosen in the picker).
    const customer = (await call(h.url, advisorToken, 'GET', '/api/records/customer?pageSize=1&sort=-id')).body.items[0];
    expect(customer?.name).toBeTruthy();

    const advisor = await newPage(h);
    const a = advisor.page;
    const createTradeIn = async (model: string, offer: number, n: number): Promise<any> => {
      await a.getByTestId('nav').getByRole('menuitem', { name: '二手车置换', exact: true }).click();
      await a.getByTestId(`list-${FORM}`).waitFor();
      await a.getByTestId('new-record').click();
      await a.getByTestId(`form-${FORM}`).waitFor();
      await pickRelation(a, 'root_customer', customer.name);
      await a.locator('#root_car_model').fill(model);
      await a.locator('#root_offer').fill(String(offer));
      if (n === 1) await shot(a, 'e2e-08-runtime-form');
      const created = a.waitForResponse((r) => r.url().endsWith(`/api/records/${FORM}`) && r.request().method() === 'POST');
      await a.getByTestId('save').click();
      const res = await created;
      expect(res.status()).toBe(201);
      const rec = await res.json();
      expect(rec).toMatchObject({ customer: customer.id, car_model: model, offer });
      await a.getByTestId(`record-${FORM}`).waitFor();
      return rec;
    };
    const timelineOf = async (id: number) => {
      await a.goto(`${h.url}/records/${FORM}/${id}`);
      await a.getByTestId(`record-${FORM}`).waitFor();
      await a.getByTestId('tab-workflow').click();
      return a.getByTestId('workflow-timeline');
    };
    const instanceOf = async (id: number) => (await call(h.url, advisorToken, 'GET', `/api/records/${FORM}/${id}/workflow`)).body.instances.find((i: any) => i.workflow === WF);

    let high: any;
    let low: any;
    try {
      await login(a, h.url, 'zhangwei');
      high = await createTradeIn('帕萨特 2019款 330TSI', 150000, 1);
      await expect.poll(() => a.getByTestId('record-fields').textContent()).toContain('¥150,000.00');
      await expect.poll(() => a.getByTestId('record-fields').textContent()).toContain(customer.name);
      low = await createTradeIn('朗逸 2017款 1.6L', 80000, 2);
      // The record created starts the workflow: the high offer waits at the approval.
      await expect.poll(async () => (await instanceOf(high.id))?.status, LONG).toBe('running');
      expect((await instanceOf(high.id)).current).toContain(appr);
      const timeline = await timelineOf(high.id);
      await expect.poll(() => a.getByTestId('instance-status').first().textContent()).toBe('进行中');
      await expect.poll(() => timeline.textContent()).toContain('销售经理审批');
      await shot(a, 'e2e-09-runtime-waiting');
    } catch (e) {
      await shot(a, 'e2e-fail-advisor');
      throw e;
    }

    // The manager: the high offer in his inbox, not the low one; he approves it.
    const manager = await newPage(h);
    const m = manager.page;
    try {
      await login(m, h.url, 'liuyang');
      await m.getByTestId('inbox').waitFor();
      const item = m.getByTestId(`task-${FORM}-${high.id}`);
      await item.waitFor(LONG);
      expect(await m.getByTestId(`task-${FORM}-${low.id}`).count()).toBe(0);
      await item.click();
      const detail = m.getByTestId('task-detail');
      await expect.poll(() => detail.textContent(), LONG).toContain('¥150,000.00');
      await expect.poll(() => detail.textContent()).toContain(customer.name);
      await m.getByTestId('task-comment').fill('评估价合理，同意');
      await shot(m, 'e2e-10-inbox');
      const done = m.waitForResponse((r) => /\/api\/tasks\/\d+\/complete$/.test(r.url()));
      await m.getByTestId('task-approve').click();
      expect((await done).status()).toBe(200);
      await item.waitFor({ state: 'detached' });
    } catch (e) {
      await shot(m, 'e2e-fail-manager');
      throw e;
    }

    // The advisor: the high offer's timeline says approved by 刘洋; the low one went by the else branch.
    try {
      const timeline = await timelineOf(high.id);
      await expect.poll(() => a.getByTestId('instance-status').first().textContent(), LONG).toBe('已完成');
      await expect.poll(() => timeline.textContent()).toContain('评估价合理，同意');
      await expect.poll(() => timeline.getByTestId('timeline-actor').allTextContents()).toContainEqual(expect.stringContaining('刘洋'));
      expect(await a.getByTestId('instance-label').first().textContent()).toContain('置换评估审批');
      await shot(a, 'e2e-11-runtime-approved');
      const highInstance = await instanceOf(high.id);
      expect(highInstance.status).toBe('completed');
      expect(highInstance.history.some((s: any) => s.node === appr && s.action === 'approve')).toBe(true);

      const lowTimeline = await timelineOf(low.id);
      await expect.poll(() => a.getByTestId('instance-status').first().textContent(), LONG).toBe('已完成');
      await expect.poll(() => lowTimeline.textContent()).toContain('评估价判断');
      expect(await lowTimeline.textContent()).not.toContain('销售经理审批');
      await shot(a, 'e2e-12-runtime-else');
      const lowInstance = await instanceOf(low.id);
      expect(lowInstance.status).toBe('completed');
      const lowNodes = lowInstance.history.map((s: any) => s.node);
      expect(lowNodes).toContain(cond);
      expect(lowNodes).toContain('end');
      expect(lowNodes).not.toContain(appr);
      // No task was ever opened for the low offer.
      const tasks = [
        ...(await call(h.url, managerToken, 'GET', '/api/tasks?status=open')).body.items,
        ...(await call(h.url, managerToken, 'GET', '/api/tasks?status=done')).body.items,
      ];
      expect(tasks.filter((t: any) => t.form === FORM).map((t: any) => t.recordId)).toEqual([high.id]);
    } catch (e) {
      await shot(a, 'e2e-fail-advisor-2');
      throw e;
    } finally {
      await advisor.context.close();
    }

    // The manager's dashboard: the report over both trade-ins.
    try {
      await m.goto(`${h.url}/dashboards/${DASHBOARD}`);
      const widget = m.getByTestId('widget-w1');
      await widget.getByText('置换评估汇总').waitFor(LONG);
      await widget.locator('.ant-table-row').first().waitFor(LONG);
      const cells = await widget.locator('.ant-table-row').first().locator('td').allTextContents();
      expect(cells.map((c) => c.trim())).toEqual(['2', '¥230,000.00']);
      await expect.poll(() => widget.locator('thead').textContent()).toContain('评估价合计');
      await shot(m, 'e2e-13-runtime-dashboard');
    } catch (e) {
      await shot(m, 'e2e-fail-dashboard');
      throw e;
    } finally {
      await manager.context.close();
    }
    const run = await call(h.url, managerToken, 'POST', `/api/reports/${REPORT}/run`, {});
    expect(run.body.rows).toEqual([{ trade_ins: 2, offer_total: 230000 }]);
    console.log(`designer end to end: ${Math.round((Date.now() - t0) / 1000)} s`);
  }, 300_000);
});
