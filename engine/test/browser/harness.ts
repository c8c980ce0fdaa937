/**
 * Browser-test harness: a real engine process on a fresh SQLite file with the demo dealer
 * (`formwork serve --demo`), and Debian's Chromium driven by playwright-core.
 * FW_URL=http://127.0.0.1:PORT reuses a running engine (faster while writing tests).
 */
import { afterAll, beforeAll } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { REPO, startEngineProcess, type EngineProcess } from '../helpers/process.js';

export const DEMO_PASSWORD = 'formwork-demo';
export const SCREENSHOTS = path.join(REPO, '.ci-artifacts/screenshots');

export interface Harness {
  url: string;
  browser: Browser;
  close(): Promise<void>;
}

/**
 * One harness for the test file: started before its tests (`beforeAll`), closed after them. The
 * object returned reads through to it, so tests use `h.url` and `newPage(h)` as usual.
 */
export function useHarness(): Harness {
  let h: Harness | undefined;
  beforeAll(async () => {
    h = await startHarness();
  }, 180_000);
  afterAll(async () => {
    await h?.close();
  });
  return {
    get url() {
      return h!.url;
    },
    get browser() {
      return h!.browser;
    },
    close: () => h?.close() ?? Promise.resolve(),
  };
}

export async function startHarness(): Promise<Harness> {
  if (!fs.existsSync(path.join(REPO, 'runtime-ui/dist/index.html'))) {
    throw new Error('runtime-ui/dist is missing: run `npm run build -w runtime-ui` (npm run test:browser does)');
  }
  let engine: EngineProcess | null = null;
  let dir: string | null = null;
  let url = process.env.FW_URL ?? '';
  if (!url) {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fw-browser-'));
    engine = await startEngineProcess(`sqlite:${path.join(dir, 'demo.db')}`, {}, ['--demo']);
    url = engine.url;
  }
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-dev-shm-usage'],
  });
  return {
    url,
    browser,
    async close() {
      await browser.close().catch(() => undefined);
      await engine?.kill();
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function newPage(h: Harness, viewport = { width: 1280, height: 860 }): Promise<{ context: BrowserContext; page: Page }> {
  const context = await h.browser.newContext({ viewport, locale: 'zh-CN', ...(viewport.width < 600 ? { isMobile: true, hasTouch: true, deviceScaleFactor: 2 } : {}) });
  context.setDefaultTimeout(20_000);
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error('[page error]', e.message));
  return { context, page };
}

export async function login(page: Page, url: string, username: string, password = DEMO_PASSWORD) {
  await page.goto(url + '/');
  await page.locator('#login-username').fill(username);
  await page.locator('#login-password').fill(password);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('user-menu').waitFor();
}

export async function shot(page: Page, name: string) {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** Opens a relation picker (an antd Select with this id), searches and picks the first match. */
export async function pickRelation(page: Page, id: string, search: string, optionText: string | RegExp = search) {
  const input = page.locator(`#${id}`);
  await input.click();
  await input.fill(search);
  const option = page.locator('.ant-select-dropdown:visible .ant-select-item-option').filter({ hasText: optionText }).first();
  await option.click();
}
