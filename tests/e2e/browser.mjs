// Headless Chromium for the console tests: Debian's /usr/bin/chromium driven by playwright-core, a fresh
// profile per run, and a guard that records (and aborts) every request leaving 127.0.0.1.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

/** Launches Chromium; returns { context, page, outside, problems, close }. `outside` lists blocked URLs. */
export async function launch() {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'shuanggao-chromium-'));
  // Playwright passes the fresh profile to Chromium as --user-data-dir.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1440, height: 900 },
    locale: 'zh-CN',
    acceptDownloads: true,
  });
  const outside = [];
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    const local = url.hostname === '127.0.0.1' || url.protocol === 'data:' || url.protocol === 'blob:';
    if (!local) {
      outside.push(route.request().url());
      return route.abort('blockedbyclient');
    }
    return route.continue();
  });
  const page = context.pages()[0] || (await context.newPage());
  const problems = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of (4\d\d)/.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  const close = async () => {
    await context.close().catch(() => {});
    fs.rmSync(profile, { recursive: true, force: true });
  };
  return { context, page, outside, problems, close };
}

/** Signs in through the form and waits until the role's first view is shown. */
export async function signIn(page, base, token) {
  await page.goto(`${base}/`);
  await page.evaluate(() => sessionStorage.clear());
  await page.reload();
  await page.getByLabel('访问令牌').fill(token);
  await page.getByRole('button', { name: '登录' }).click();
  await page.locator('nav#nav a[aria-current="page"]').waitFor();
}

export const ARTIFACTS = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', 'artifacts');

export async function shot(page, name) {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
