// Console behaviour checks in headless Chromium against the stand-in API (standin-api.mjs), for answers
// the real server gives only in rare situations: a 422 shown next to its field, a 409 said as a sentence,
// an endpoint the server does not offer yet, a refused token, a job caught mid-run in the batch history,
// and keyboard use.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from './standin-api.mjs';
import { launch, signIn } from './browser.mjs';

let server;
let base;
let browser;

before(async () => {
  server = createServer(undefined, { jobDelayMs: 20, without: ['dashboard'] });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${server.address().port}`;
  browser = await launch();
});

after(async () => {
  if (browser) await browser.close();
  if (server) server.close();
});

test('a refused token is explained in Chinese and the form stays usable', async () => {
  const { page } = browser;
  await page.goto(`${base}/`);
  await page.getByLabel('访问令牌').fill('not-a-token');
  await page.getByRole('button', { name: '登录' }).click();
  const alert = page.getByRole('alert');
  await alert.waitFor();
  assert.match(await alert.innerText(), /访问令牌无效或已被吊销/);
  assert.equal(await page.getByLabel('访问令牌').evaluate((el) => el === document.activeElement), true);
});

test('client-side checks and a 422 from the service appear next to their fields', async () => {
  const { page } = browser;
  await signIn(page, base, 'zone-token');
  await page.goto(`${base}/#/demands/new`);
  await page.getByRole('button', { name: '提交需求' }).click();
  await page.locator('.field.has-error', { hasText: '请填写需求标题' }).waitFor();
  await page.getByLabel('需求标题').fill('禁止词测试需求');
  await page.getByLabel('预算（万元）').fill('80');
  await page.getByRole('button', { name: '提交需求' }).click();
  const field = page.locator('.field.has-error[data-field="title"]');
  await field.waitFor();
  assert.match(await field.innerText(), /需求标题不符合数据规范/);
  assert.equal(await page.getByLabel('需求标题').getAttribute('aria-invalid'), 'true');
  assert.equal(await page.locator('main').getByText('{"').count(), 0);
});

test('an endpoint the server lacks shows an explanatory empty state, never a blank page', async () => {
  const { page } = browser;
  await signIn(page, base, 'dept-token');
  await page.getByRole('heading', { level: 1, name: '项目看板' }).waitFor();
  const empty = page.locator('.empty-pending');
  await empty.waitFor();
  assert.match(await empty.innerText(), /功能暂未开放/);
});

test('a reject needs a comment, and a stale review gets a sentence and a reload button', async () => {
  const { page } = browser;
  await page.goto(`${base}/#/proposals`);
  await page.locator('input[name="track_ids"][value="c-ic"]').check();
  await page.getByRole('button', { name: '发起配对方案' }).click();
  await page.locator('.batch').waitFor();
  await page.goto(`${base}/#/review?status=proposed`);
  await page.locator('table.data a.btn', { hasText: '审核' }).first().click();
  await page.locator('.review-form').waitFor();
  const id = decodeURIComponent(new URL(page.url()).hash.split('/')[2]);
  const res = await fetch(`${base}/v1/pairings/${encodeURIComponent(id)}/reviews`, {
    method: 'POST',
    headers: { Authorization: 'Bearer dept-token', 'Content-Type': 'application/json' },
    body: JSON.stringify({ decision: 'request_changes', comment: '补充材料', version: 1 }),
  });
  assert.equal(res.status, 200);
  await page.getByRole('button', { name: '驳回', exact: true }).click();
  await page.locator('.field.has-error[data-field="comment"]').waitFor();
  await page.getByLabel('审核意见').fill('方向不符');
  await page.getByRole('button', { name: '驳回', exact: true }).click();
  const alert = page.locator('.conflict');
  await alert.waitFor();
  assert.match(await alert.innerText(), /其他人刚刚修改了这条配对.*请重新加载后再审核/);
  assert.equal(await page.getByRole('button', { name: '重新加载此配对' }).evaluate((el) => el === document.activeElement), true);
});

test('a running job shows its stage and progress in the batch history', async () => {
  const { page } = browser;
  // The stand-in's jobs finish in a blink: answer the history list with one caught mid-run.
  const running = { job_id: 'pj-running', kind: 'propose', state: 'running', stage: 'solving', progress: 44, track_ids: ['c-ic'], created_by: '处长', created_at: new Date().toISOString(), updated_at: new Date().toISOString(), summary: null, error: null };
  const isList = (url) => url.pathname === '/v1/proposals';
  await page.route(isList, (route) => route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ items: [running], total: 1, limit: 20, offset: 0 }) }));
  try {
    await page.goto(`${base}/#/proposals`);
    const row = page.locator('table.data tr', { hasText: 'pj-running' });
    await row.waitFor();
    assert.match(await row.innerText(), /计算中 · 求解最优方案 44%/);
    assert.equal(await row.locator('.mini-progress').count(), 1);
  } finally {
    await page.unroute(isList);
  }
});

test('the navigation is reachable with the keyboard and shows where focus is', async () => {
  const { page } = browser;
  await page.goto(`${base}/#/dashboard`);
  await page.getByRole('heading', { level: 1, name: '项目看板' }).waitFor();
  await page.keyboard.press('Tab');
  const seen = [];
  for (let i = 0; i < 12; i += 1) {
    seen.push(await page.evaluate(() => ({ text: document.activeElement.textContent.trim(), outline: getComputedStyle(document.activeElement).outlineStyle })));
    await page.keyboard.press('Tab');
  }
  const review = seen.find((s) => s.text === '审核队列');
  assert.ok(review, `Tab reaches the review link: ${seen.map((s) => s.text).join(' | ')}`);
  assert.notEqual(review.outline, 'none', 'focused link has a visible outline');
});

test('no request left 127.0.0.1 and no script error occurred', () => {
  assert.deepEqual(browser.outside, []);
  assert.deepEqual(browser.problems, []);
});
