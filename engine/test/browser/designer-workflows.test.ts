/**
 * The workflow designer (/designer/workflows) in a real browser, as the administrator, on the
 * demo dealer's workflows:
 * (1) opens the discount approval, adds a condition node from the palette, connects it by its
 *     handles, gives its branch a condition, saves the draft and publishes — the published
 *     document has the node, its condition and its edges;
 * (2) draws a broken graph (a node left with no way to an end, a node nobody reaches) and sees
 *     the server's errors ON those nodes, after "check" and after a refused save;
 * (3) dry-runs the workflow on a demo order: the canvas highlights exactly the path the server
 *     answered, and rejecting an approval takes the rejected way.
 * Screenshots in .ci-artifacts/screenshots/designer-workflows-*.png.
 */
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { REPO } from '../helpers/process.js';
import { newPage, shot, useHarness } from './harness.js';

if (!fs.existsSync(path.join(REPO, 'designer/dist/index.html'))) {
  throw new Error('designer/dist is missing: run `npm run build -w designer` (npm run test:browser does)');
}

const h = useHarness();
const ADMIN_PASSWORD = process.env.FW_ADMIN_PASSWORD ?? 'admin-password-123';
const WF = 'discount_approval';

async function designerLogin(page: Page) {
  await page.goto(h.url + '/designer/');
  await page.locator('#login-username').fill('admin');
  await page.locator('#login-password').fill(ADMIN_PASSWORD);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('user-menu').waitFor();
}

async function openWorkflow(page: Page, key: string) {
  await page.getByTestId('nav').getByText('流程', { exact: true }).click();
  await page.getByTestId('workflows-list').waitFor({ timeout: 60_000 });
  await page.getByTestId(`workflow-row-${key}`).click();
  // Generous: the designer's chunk and React Flow load on first use.
  await page.getByTestId(`wf-designer-${key}`).waitFor({ timeout: 60_000 });
  await page.getByTestId('wf-node-start').waitFor();
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

const fitView = (page: Page) => page.locator('.react-flow__controls-fitview').click();

async function apiGet(page: Page, url: string): Promise<any> {
  return page.evaluate(async (u) => {
    const r = await fetch(u, { headers: { Authorization: `Bearer ${sessionStorage.getItem('formwork.token')}` } });
    return r.json();
  }, url);
}

describe('workflow designer', () => {
  it('(1) adds a condition node from the palette, connects it, sets its branch condition, saves and publishes', async () => {
    const { context, page } = await newPage(h);
    try {
      await designerLogin(page);
      await openWorkflow(page, WF);
      await shot(page, 'designer-workflows-01-open');
      // The palette is the server's node types, grouped, with their Chinese names.
      await expect.poll(() => page.getByTestId('wf-palette').locator('.fww-palette-item').count()).toBeGreaterThan(10);
      await page.getByTestId('wf-palette-condition').getByText('条件分支').waitFor();

      await page.getByTestId('wf-palette-condition').click();
      const id = await page.locator('#wf-node-id').inputValue();
      expect(id).toMatch(/^condition_\d+$/);
      await fitView(page);
      await page.getByTestId(`wf-node-${id}`).waitFor();

      // auto_approve → the new condition (its one way out moves there), both branches → done.
      await connect(page, 'wf-handle-auto_approve-out', `wf-handle-${id}-in`);
      await connect(page, `wf-handle-${id}-branch_1`, 'wf-handle-done-in');
      await connect(page, `wf-handle-${id}-else`, 'wf-handle-done-in');
      await expect.poll(() => page.locator(`.react-flow__edge[data-id]`).count()).toBeGreaterThan(14);

      // The branch's condition: as JSON in the node's settings.
      await page.getByTestId(`wf-node-${id}`).click();
      const branch = page.getByTestId('wf-branch-0');
      await branch.getByRole('tab', { name: 'JSON' }).click();
      await branch.getByTestId('wf-branch-0-when-json').fill('{">": [{"var": "discount"}, 1000]}');
      await page.locator('#wf-branch-0-label-zh').fill('大额折扣');
      await shot(page, 'designer-workflows-02-condition');

      await page.getByTestId('wf-save').click();
      await page.getByText('草稿已保存').waitFor();
      await page.getByTestId('wf-publish').click();
      await page.getByText(/已发布为第 \d+ 版/).waitFor();
      await expect.poll(() => page.getByTestId('wf-status').textContent()).toBe('已发布');
      await shot(page, 'designer-workflows-03-published');

      const doc = await apiGet(page, `/api/meta/workflows/${WF}`);
      const node = doc.nodes.find((n: any) => n.id === id);
      expect(node.type).toBe('condition');
      expect(node.config.branches[0]).toMatchObject({ key: 'branch_1', when: { '>': [{ var: 'discount' }, 1000] } });
      expect(node.config.branches[0].label['zh-CN']).toBe('大额折扣');
      const edges = doc.edges.map((e: any) => [e.source, e.branch ?? null, e.target]);
      expect(edges).toEqual(expect.arrayContaining([['auto_approve', null, id], [id, 'branch_1', 'done'], [id, 'else', 'done']]));
      expect(edges).not.toContainEqual(['auto_approve', null, 'done']);
      expect(node.position).toEqual({ x: expect.any(Number), y: expect.any(Number) });
    } finally {
      await context.close();
    }
  });

  it('(2) shows the errors of a broken graph on the nodes they are about', async () => {
    const { context, page } = await newPage(h);
    try {
      await designerLogin(page);
      await openWorkflow(page, 'refund_approval');
      const draft = await apiGet(page, '/api/meta/workflows/refund_approval?draft=1');
      // A node with a way in and none on to an end: the one before an end loses that end.
      const end = draft.nodes.find((n: any) => n.type === 'end');
      const before = draft.edges.find((e: any) => e.target === end.id && draft.edges.filter((x: any) => x.target === end.id).length === 1)
        ?? draft.edges.find((e: any) => e.target === end.id);
      await page.getByTestId(`wf-node-${end.id}`).click();
      await page.getByTestId('wf-delete-node').click();
      // A dangling node: added from the palette, connected to nothing.
      await page.getByTestId('wf-palette-notify').click();
      const lonely = await page.locator('#wf-node-id').inputValue();
      await fitView(page);

      await page.getByTestId('wf-check').click();
      await page.getByTestId('wf-error').getByText(/处问题/).waitFor();
      const stuck = page.getByTestId(`wf-node-${before.source}`);
      await expect.poll(() => stuck.getAttribute('data-error')).toBe('true');
      await expect.poll(() => page.getByTestId(`wf-node-errors-${before.source}`).textContent()).toMatch(/没有出边|无法到达任何结束节点/);
      await expect.poll(() => page.getByTestId(`wf-node-${lonely}`).getAttribute('data-error')).toBe('true');
      expect(await page.getByTestId(`wf-node-errors-${lonely}`).textContent()).toMatch(/从开始节点无法到达此节点/);
      // A node the problems are not about stays clean.
      expect(await page.getByTestId('wf-node-start').getAttribute('data-error')).toBeNull();
      // The red border is drawn.
      const border = await page.getByTestId(`wf-node-${lonely}`).evaluate((el) => getComputedStyle(el).borderLeftColor);
      expect(border).toBe('rgb(255, 77, 79)');
      await shot(page, 'designer-workflows-04-errors');

      // Saving refuses the draft and leaves the errors on the nodes (and on the panel of the first).
      await page.getByTestId('wf-save').click();
      await page.getByTestId('wf-error').getByText('草稿未保存').waitFor();
      await expect.poll(() => page.getByTestId(`wf-node-${lonely}`).getAttribute('data-error')).toBe('true');
      await page.getByTestId('wf-node-panel-errors').waitFor();
      const saved = await apiGet(page, '/api/meta/workflows/refund_approval?draft=1');
      expect(saved.nodes.map((n: any) => n.id)).not.toContain(lonely);

      // Undo brings the graph back; check says it is sound again.
      for (let i = 0; i < 2; i++) await page.getByTestId('wf-undo').click();
      await page.getByTestId('wf-check').click();
      await page.getByTestId('wf-ok').waitFor();
      await expect.poll(() => page.locator('[data-error="true"]').count()).toBe(0);
    } finally {
      await context.close();
    }
  });

  it('(3) dry-runs the workflow on a demo record and highlights the path', async () => {
    const { context, page } = await newPage(h);
    try {
      await designerLogin(page);
      await openWorkflow(page, WF);
      await page.getByTestId('wf-tab-dry').click();
      await page.locator('#wf-dry-record').click();
      await page.locator('.ant-select-dropdown:visible .ant-select-item-option').first().click();
      await page.getByTestId('wf-dry-run-go').click();
      await page.getByTestId('wf-dry-run-result').waitFor();
      await shot(page, 'designer-workflows-05-dry-run');

      const stepIds = async () => {
        const n = await page.locator('[data-testid^="wf-dry-step-"]').count();
        const ids: string[] = [];
        for (let i = 0; i < n; i++) ids.push((await page.getByTestId(`wf-dry-step-${i}`).locator('code').textContent())!);
        return ids;
      };
      const onPath = async () => (await page.locator('[data-on-path="true"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-testid')!.replace(/^wf-node-/, '')))).sort();
      const path1 = await stepIds();
      expect(path1[0]).toBe('start');
      expect(path1).toContain('rate');
      expect(await onPath()).toEqual([...new Set(path1)].sort());
      expect(await page.getByTestId('wf-step-start').textContent()).toBe('1');
      // The edges taken are drawn as taken.
      expect(await page.locator('.react-flow__edge.fww-edge-path').count()).toBe(path1.length - 1);

      // Reject every approval: if the record goes to an approval, the rejected way is taken.
      const approvals = ['manager', 'manager_large'].filter((a) => path1.includes(a));
      for (const a of approvals) await page.getByTestId(`wf-decision-${a}`).getByText('驳回').click();
      await page.getByTestId('wf-dry-run-go').click();
      if (approvals.length) {
        await expect.poll(async () => (await stepIds()).includes('rejected')).toBe(true);
        expect(await page.getByTestId('wf-dry-outcome').textContent()).toBe('驳回');
        expect(await onPath()).toContain('rejected');
      } else {
        await expect.poll(stepIds).toEqual(path1);
      }
      await shot(page, 'designer-workflows-06-dry-run-reject');
    } finally {
      await context.close();
    }
  });
});
