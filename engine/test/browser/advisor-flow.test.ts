/**
 * The front-line flow in a real browser: an advisor creates a customer (the server refuses a bad
 * phone number on the phone field first), then a vehicle order with accessories whose totals
 * follow her typing, and submits; the sales manager approves it from the inbox (discount over
 * 3 %: discount_approval); the advisor sees the status and the timeline. Then the same advisor
 * flow on a 360 px wide phone, with screenshots in .ci-artifacts/screenshots/.
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { login, newPage, pickRelation, shot, useHarness } from './harness.js';

const h = useHarness();

const uniquePhone = () => `139${String(Date.now() % 100_000_000).padStart(8, '0')}`;

async function openForm(page: Page, name: string, phone: boolean) {
  if (phone) {
    await page.getByTestId('menu-button').click();
    await page.locator('.ant-drawer').getByRole('menuitem', { name, exact: true }).click();
  } else {
    await page.getByTestId('nav').getByRole('menuitem', { name, exact: true }).click();
  }
}

/** The advisor's flow; returns the new order's id and its number. */
async function advisorFlow(page: Page, opts: { phone: boolean; prefix: string }): Promise<{ orderId: number; orderNo: string }> {
  const shoot = (name: string) => (opts.phone ? shot(page, `${opts.prefix}-${name}`) : Promise.resolve());
  await login(page, h.url, 'zhangwei');
  await shoot('01-home');

  // A customer: the server's error for a bad phone number shows on the phone field.
  await openForm(page, '客户', opts.phone);
  await page.getByTestId('list-customer').waitFor();
  await page.locator('.ant-table-row').first().waitFor();
  await shoot('02-customers');
  await page.getByTestId('new-record').click();
  await page.getByTestId('form-customer').waitFor();
  const name = `${opts.prefix}测试客户${Date.now() % 100000}`;
  await page.locator('#root_name').fill(name);
  await page.locator('#root_phone').fill('12345');
  const submitted = page.waitForResponse((r) => r.url().endsWith('/api/records/customer') && r.request().method() === 'POST');
  await page.getByTestId('save').click();
  expect((await submitted).status()).toBe(422);
  const phoneItem = page.locator('.ant-form-item').filter({ has: page.locator('#root_phone') }).last();
  await phoneItem.locator('.ant-form-item-explain-error').filter({ hasText: '请输入11位大陆手机号' }).waitFor({ state: 'visible' });
  await page.waitForFunction(() => [...document.querySelectorAll('.ant-form-item-explain-error')].every((e) => getComputedStyle(e).opacity === '1'));
  await shoot('03-customer-phone-error');
  await page.locator('#root_phone').fill(uniquePhone());
  const customerSaved = page.waitForResponse((r) => r.url().endsWith('/api/records/customer') && r.request().method() === 'POST');
  await page.getByTestId('save').click();
  const customer = await (await customerSaved).json();
  // Untouched selects stay empty; the form's own defaults are sent.
  expect(customer.gender).toBeNull();
  expect(customer.source).toBeNull();
  expect(customer.level).toBe('n');
  await page.getByTestId('record-customer').waitFor();
  await expect.poll(() => page.getByTestId('record-title').textContent()).toContain(name);
  await shoot('04-customer-created');

  // An order with accessories: the computed values follow the typing.
  await openForm(page, '整车订单', opts.phone);
  await page.getByTestId('list-vehicle_order').waitFor();
  await page.getByTestId('new-record').click();
  await page.getByTestId('form-vehicle_order').waitFor();
  await pickRelation(page, 'root_customer', name);
  await pickRelation(page, 'root_model', '帕萨特', /帕萨特|330TSI|PST/);
  await page.locator('#root_color').fill('星空蓝');
  await page.locator('#root_list_price').fill('200000');
  await page.locator('#root_discount').fill('10000');
  await expect.poll(() => page.locator('#root_deal_price').textContent()).toBe('¥190,000.00');
  await expect.poll(() => page.locator('#root_discount_rate').textContent()).toBe('5%');
  await expect.poll(() => page.locator('#root_total_amount').textContent()).toBe('¥190,000.00');
  await page.getByTestId('accessories-add').click();
  await page.locator('#root_accessories_0_item').fill('全车脚垫');
  await page.locator('#root_accessories_0_qty').fill('2');
  await page.locator('#root_accessories_0_price').fill('680');
  await expect.poll(() => page.locator('#root_accessories_0_amount').textContent()).toBe('¥1,360.00');
  await expect.poll(() => page.locator('#root_total_amount').textContent()).toBe('¥191,360.00');
  await page.getByTestId('accessories-add').click();
  await page.locator('#root_accessories_1_item').fill('前挡防爆膜');
  await page.locator('#root_accessories_1_price').fill('1800');
  await expect.poll(() => page.locator('#root_accessories_1_amount').textContent()).toBe('¥1,800.00');
  await expect.poll(() => page.locator('#root_total_amount').textContent()).toBe('¥193,160.00');
  await shoot('05-order-form');
  const created = page.waitForResponse((r) => r.url().endsWith('/api/records/vehicle_order') && r.request().method() === 'POST');
  await page.getByTestId('save').click();
  const res = await created;
  expect(res.status()).toBe(201);
  const order = await res.json();
  expect(order.total_amount).toBe(193160);
  expect(order.discount_rate).toBe(0.05);
  await page.getByTestId('record-vehicle_order').waitFor();
  await expect.poll(() => page.getByTestId('record-status').textContent()).toBe('待审批');
  await shoot('06-order-submitted');
  return { orderId: order.id, orderNo: order.order_no };
}

describe('runtime UI: the advisor and the manager', () => {
  it('an advisor creates a customer and an order; the manager approves it from the inbox; the advisor sees status and timeline', async () => {
    const advisor = await newPage(h);
    const { orderId, orderNo } = await advisorFlow(advisor.page, { phone: false, prefix: 'desktop' });
    expect(orderNo).toMatch(/^SO\d+/);

    const manager = await newPage(h);
    const m = manager.page;
    await login(m, h.url, 'liuyang');
    await m.getByTestId('inbox').waitFor();
    const item = m.getByTestId(`task-vehicle_order-${orderId}`);
    // the inbox names the order by its number, not its id
    await expect.poll(() => item.textContent(), { timeout: 20_000 }).toContain(orderNo);
    await item.click();
    const detail = m.getByTestId('task-detail');
    await expect.poll(() => detail.textContent(), { timeout: 20_000 }).toContain(orderNo);
    // The field the approver may edit (the discount) is offered with its value.
    await expect.poll(() => m.locator('#task_discount').inputValue()).toContain('10000');
    // Transfer picks a colleague by name from the directory (name and department shown), not an id.
    expect(await m.getByTestId('task-transfer').isDisabled()).toBe(true);
    await pickRelation(m, 'transfer-to', '王建国', /王建国 · /);
    await expect.poll(() => m.getByTestId('task-transfer').isDisabled()).toBe(false);
    await m.getByTestId('task-comment').fill('同意，优惠合理');
    const done = m.waitForResponse((r) => /\/api\/tasks\/\d+\/complete$/.test(r.url()));
    await m.getByTestId('task-approve').click();
    expect((await done).status()).toBe(200);
    await item.waitFor({ state: 'detached' });
    await manager.context.close();

    const a = advisor.page;
    await a.reload();
    await a.getByTestId('record-vehicle_order').waitFor();
    await expect.poll(() => a.getByTestId('record-status').textContent(), { timeout: 20_000 }).toBe('已审批');
    await a.getByTestId('tab-workflow').click();
    const timeline = a.getByTestId('workflow-timeline');
    await expect.poll(() => timeline.textContent()).toContain('同意，优惠合理');
    // People and steps by name: the manager who approved, the workflow's own label (not its key).
    await expect.poll(() => timeline.getByTestId('timeline-actor').allTextContents()).toContainEqual(expect.stringContaining('刘洋'));
    expect(await a.getByTestId('instance-label').first().textContent()).not.toContain('discount_approval');
    await expect.poll(() => a.getByTestId('instance-status').first().textContent()).toBe('已完成');

    // A print: the HTML fetched with the token opens in a new window (a blob URL).
    await a.getByTestId('print').hover();
    const popup = advisor.context.waitForEvent('page');
    await a.getByRole('menuitem', { name: '整车销售合同' }).click();
    const printed = await popup;
    await printed.waitForURL(/^blob:/);
    await expect.poll(() => printed.content()).toContain(orderNo);
    await printed.close();
    await advisor.context.close();
  }, 180_000);

  it('the same advisor flow at 360 px width, with screenshots', async () => {
    const { context, page } = await newPage(h, { width: 360, height: 740 });
    await advisorFlow(page, { phone: true, prefix: 'phone360' });
    // Nothing wider than the screen.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await page.getByTestId('tab-workflow').click();
    await page.getByTestId('workflow-timeline').waitFor();
    await shot(page, 'phone360-07-timeline');
    await context.close();
  }, 180_000);
});
