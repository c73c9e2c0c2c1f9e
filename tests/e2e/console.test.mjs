// End-to-end test of the web console in real headless Chromium against a real `shuanggao serve`:
// the department runs a proposal for one track through the proposal API, follows its progress to the
// batch, downloads the CSV export, approves one pairing with a comment, reloads and sees it approved, and
// the API confirms it persisted; a stale review is refused with a clear sentence; the dashboard counts the
// approved pairing; a re-proposal keeps it approved after a confirmation that says how many open pairings
// it supersedes, and a new proposal for the same track asks the same and starts once confirmed; a zone manager sees the zone's candidates with an
// explanation and no review buttons; pages link (team, demand, zone and university pages from every mention),
// lists page and sort honestly and keep both in the address; a university groups its fitting demands by team;
// a zone records outcomes, the department verifies them and 目标进度 shows every target's baseline, actual,
// target and projection; a zone imports outcomes from a spreadsheet, a broken cell marked first. Screenshots of each role's main view go to tests/artifacts/. Any
// request leaving 127.0.0.1 fails the run.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { launch, signIn, shot } from './browser.mjs';
import { writeDataset, ROOT } from './fixture.mjs';

const TARGET = process.env.CARGO_TARGET_DIR || path.join(ROOT, 'target');
const BIN = process.env.SHUANGGAO_BIN || path.join(TARGET, 'debug', 'shuanggao');
const TOKEN_RE = /\b[0-9a-f]{64}\b/;

let server;
let serverLog = '';
let base;
let work;
let data;
let tokens = {};
let browser;
let jobId = null;
let revisedId = null;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Calls the API as a given role (Node's fetch; only 127.0.0.1). */
async function api(role, method, p, body) {
  const res = await fetch(`${base}${p}`, {
    method,
    headers: { Authorization: `Bearer ${tokens[role]}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  return { status: res.status, json };
}

const itemsOf = (json) => (Array.isArray(json) ? json : (json && json.items) || []);

function readJsonl(file) {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));
}

/** The dataset to serve: the shipped one when it has teams and demands, else the test fixture. */
function dataset() {
  const shipped = path.join(ROOT, 'datasets', 'jiangsu');
  if (fs.existsSync(path.join(shipped, 'teams.jsonl')) && fs.existsSync(path.join(shipped, 'demands.jsonl'))) return shipped;
  const dir = path.join(work, 'data');
  writeDataset(dir);
  return dir;
}

/** The track with demands in the most zones and teams to match them, a zone and a university working in it. */
function pickTrackAndZone(dir) {
  const demands = readJsonl(path.join(dir, 'demands.jsonl'));
  const teams = readJsonl(path.join(dir, 'teams.jsonl'));
  const zonesByTrack = new Map();
  for (const d of demands) {
    for (const t of d.track_ids || []) {
      if (!zonesByTrack.has(t)) zonesByTrack.set(t, new Map());
      const m = zonesByTrack.get(t);
      m.set(d.zone_id, (m.get(d.zone_id) || 0) + 1);
    }
  }
  const teamTracks = new Set(teams.flatMap((t) => t.track_ids || []));
  const [track, zones] = [...zonesByTrack.entries()].filter(([t]) => teamTracks.has(t)).sort((a, b) => b[1].size - a[1].size)[0];
  const zone = [...zones.entries()].sort((a, b) => b[1] - a[1])[0][0];
  const perUni = new Map();
  for (const t of teams) if ((t.track_ids || []).includes(track)) perUni.set(t.university_id, (perUni.get(t.university_id) || 0) + 1);
  const university = [...perUni.entries()].sort((a, b) => b[1] - a[1])[0][0];
  return { track, zone, university };
}

function cli(args) {
  return execFileSync(BIN, args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Creates a token for `role` through the CLI; returns the 64-hex secret. */
function createToken(role, name) {
  const out = cli(['token', 'create', '--role', role, '--name', name, '--db', path.join(work, 'shuanggao.db')]);
  const m = out.match(TOKEN_RE);
  assert.ok(m, `token create printed no token for ${role}: ${out}`);
  return m[0];
}

before(async () => {
  assert.ok(fs.existsSync(BIN), `binary not found at ${BIN}: build it with \`cargo build\` (or set SHUANGGAO_BIN)`);
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'shuanggao-e2e-'));
  data = dataset();
  const { track, zone, university } = pickTrackAndZone(data);
  tokens.track = track;
  tokens.zoneId = zone;
  tokens.universityId = university;
  const db = path.join(work, 'shuanggao.db');
  // Tokens first, so that serve finds them and prints none.
  tokens.department = createToken('department', 'e2e 管理部门');
  tokens.zone = createToken(`zone:${zone}`, 'e2e 高新区');
  tokens.university = createToken(`university:${university}`, 'e2e 高校');
  const args = ['serve', '--data', data, '--addr', '127.0.0.1:0', '--db', db, '--index', path.join(work, 'index'), '--models', path.join(work, 'models')];
  server = spawn(BIN, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, RUST_LOG: process.env.RUST_LOG || 'warn' } });
  server.stdout.on('data', (c) => (serverLog += c));
  server.stderr.on('data', (c) => (serverLog += c));
  const deadline = Date.now() + 300_000;
  for (;;) {
    if (server.exitCode !== null) throw new Error(`shuanggao serve exited with ${server.exitCode}:\n${serverLog}`);
    // The server binds a port of its own choosing and prints it: no other process can answer for it.
    const bound = serverLog.match(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
    if (bound) {
      base = bound[1];
      try {
        const res = await fetch(`${base}/readyz`);
        if (res.ok) break;
      } catch {
        // not answering yet
      }
    }
    if (Date.now() > deadline) throw new Error(`shuanggao serve not ready after 300 s:\n${serverLog}`);
    await sleep(250);
  }
  const probe = await api('department', 'GET', '/v1/proposals');
  assert.equal(probe.status, 200, `the server offers the proposal API: ${JSON.stringify(probe.json)}`);
  browser = await launch();
});

after(async () => {
  if (browser) await browser.close();
  if (server && server.exitCode === null) {
    server.kill('SIGTERM');
    await new Promise((r) => {
      const t = setTimeout(() => {
        server.kill('SIGKILL');
        r();
      }, 10_000);
      server.once('exit', () => {
        clearTimeout(t);
        r();
      });
    });
  }
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

test('the console is served by the binary with its assets', async () => {
  const page = await fetch(`${base}/`);
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type'), /text\/html/);
  assert.match(page.headers.get('content-security-policy') || '', /default-src 'self'/);
  const js = await fetch(`${base}/assets/app.js`);
  assert.equal(js.status, 200);
  assert.match(js.headers.get('content-type'), /javascript/);
});

test('department signs in and sees the programme dashboard', async () => {
  const { page } = browser;
  await signIn(page, base, tokens.department);
  await page.getByRole('heading', { level: 1, name: '项目看板' }).waitFor();
  await page.locator('.kpis, .empty').first().waitFor();
  assert.equal(await page.locator('main').getByText('{"').count(), 0, 'no raw JSON on the page');
  await shot(page, 'department-dashboard');
});

let reviewedId = null;

// Skips test `t` when no pairing was reviewed before it; true when it did.
function skipUnlessReviewed(t) {
  if (!reviewedId) t.skip('no pairing was reviewed');
  return !reviewedId;
}

test('department runs a proposal for one track and sees its progress and batch', async () => {
  const { page } = browser;
  await page.goto(`${base}/#/proposals`);
  await page.getByRole('heading', { level: 1, name: '配对方案' }).waitFor();
  await page.locator(`input[name="track_ids"][value="${tokens.track}"]`).check();
  await page.getByRole('button', { name: '发起配对方案' }).click();
  await page.locator('.progress, .batch').first().waitFor();
  await page.locator('.batch, .notice-error').first().waitFor({ timeout: 120_000 });
  assert.equal(await page.locator('.batch').count(), 1, `the proposal finished with a batch: ${await page.locator('main').innerText()}`);
  jobId = new URL(page.url()).hash.match(/[?&]job=([^&]+)/)[1];
  const job = await api('department', 'GET', `/v1/proposals/${jobId}`);
  assert.equal(job.status, 200);
  assert.equal(job.json.state, 'done');
  assert.equal(job.json.progress, 100);
  const pairings = job.json.batch.pairings;
  assert.ok(pairings.length >= 1, 'the batch has pairings');
  assert.equal(await page.locator('.batch table.data tbody tr').count(), pairings.length, 'one row per pairing');
  assert.match(await page.locator('.batch .kpis').innerText(), /已证明最优/);
  for (const p of pairings) {
    assert.equal(p.status, 'proposed');
    const rec = await api('department', 'GET', `/v1/pairings/${encodeURIComponent(p.pairing_id)}`);
    assert.equal(rec.json.batch_id, jobId, 'the pairing entered review from this batch');
  }
  await shot(page, 'department-proposal');
});

test('department downloads the batch as CSV with the Chinese headers', async () => {
  const { page } = browser;
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator('.batch').getByRole('button', { name: '导出 CSV' }).click()]);
  const file = await download.path();
  const text = fs.readFileSync(file, 'utf8').replace(/^\ufeff/, '');
  const lines = text.split('\r\n');
  assert.equal(lines[0], '序号,园区,高校,赛道,等级,产业方向,创新平台,领军人才,成果转化基金,标杆项目,项目数,得分,状态,审核意见,批次日期');
  assert.match(lines[1], /^1,[^,]+,[^,]+,[^,]+,(达标|培育),/, 'the first row carries its grade');
  assert.match(download.suggestedFilename(), new RegExp(`${jobId}\\.csv$`));
  const res = await fetch(`${base}/v1/proposals/${jobId}/export?format=xlsx`, { headers: { Authorization: `Bearer ${tokens.department}` } });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
  assert.match(res.headers.get('content-disposition'), /^attachment; filename="/);
});

test('a pairing shows its grade and marks each missing component 待共建', async () => {
  const { page } = browser;
  const job = await api('department', 'GET', `/v1/proposals/${jobId}`);
  const pairings = job.json.batch.pairings;
  const open = pairings.find((p) => p.bundle.to_build.length > 0);
  assert.ok(open, 'the batch has a pairing with a component still to build');
  await page.goto(`${base}/#/review/${encodeURIComponent(open.pairing_id)}`);
  await page.locator('.five').waitFor();
  const grade = { qualified: '达标', incubating: '培育' }[open.bundle.grade];
  assert.equal((await page.locator('.five .badge-grade').innerText()).trim(), grade);
  assert.equal(await page.locator('.five .badge-to-build').count(), open.bundle.to_build.length, `待共建 marks for ${open.bundle.to_build}`);
  for (const mark of await page.locator('.five .badge-to-build').allInnerTexts()) assert.equal(mark.trim(), '待共建');
  await shot(page, 'department-pairing-to-build');
});

test('department approves one pairing with a comment; it stays approved after reload and in the API', async () => {
  const { page } = browser;
  await page.goto(`${base}/#/review?status=proposed&track=${encodeURIComponent(tokens.track)}`);
  await page.getByRole('heading', { level: 1, name: '审核队列' }).waitFor();
  const open = page.locator('table.data a.btn', { hasText: '审核' }).first();
  await open.waitFor();
  await shot(page, 'department-review-queue');
  await open.click();
  await page.locator('.five').waitFor();
  reviewedId = decodeURIComponent(new URL(page.url()).hash.split('/')[2]);
  const comment = `同意结对，e2e 审核意见 ${Date.now()}`;
  await page.getByLabel('审核意见').fill(comment);
  await page.getByRole('button', { name: '通过', exact: true }).click();
  await page.locator('.page-head .badge-approved').waitFor();
  await page.reload();
  await page.locator('.page-head .badge-approved').waitFor();
  await page.locator('.timeline blockquote', { hasText: comment }).waitFor();
  await shot(page, 'department-pairing-approved');

  const got = await api('department', 'GET', `/v1/pairings/${encodeURIComponent(reviewedId)}`);
  assert.equal(got.status, 200);
  assert.equal(got.json.status, 'approved');
  const history = await api('department', 'GET', `/v1/pairings/${encodeURIComponent(reviewedId)}/history`);
  const entry = itemsOf(history.json).find((e) => e.action === 'approve');
  assert.ok(entry, 'history has the approval');
  assert.equal(entry.comment, comment);
  assert.equal(entry.to, 'approved');
});

test('a stale review is refused and the conflict is said in a sentence', async (t) => {
  const { page } = browser;
  const list = await api('department', 'GET', `/v1/pairings?status=proposed&track=${encodeURIComponent(tokens.track)}`);
  const other = itemsOf(list.json).find((p) => p.id !== reviewedId);
  if (!other) {
    t.skip('only one pairing was proposed');
    return;
  }
  await page.goto(`${base}/#/review/${encodeURIComponent(other.id)}`);
  await page.locator('.review-form').waitFor();
  const bump = await api('department', 'POST', `/v1/pairings/${encodeURIComponent(other.id)}/reviews`, { decision: 'request_changes', comment: '另一位审核人要求补充材料', version: other.version });
  assert.equal(bump.status, 200, JSON.stringify(bump.json));
  await page.getByRole('button', { name: '通过', exact: true }).click();
  const alert = page.locator('.conflict');
  await alert.waitFor();
  assert.match(await alert.innerText(), /其他人刚刚修改了这条配对/);
  await page.getByRole('button', { name: '重新加载此配对' }).click();
  await page.locator('.page-head .badge-changes_requested').waitFor();
});

test('department sees the pairings of the track on the zone × university heatmap', async (t) => {
  if (skipUnlessReviewed(t)) return;
  const { page } = browser;
  await page.goto(`${base}/#/heatmap?track=${encodeURIComponent(tokens.track)}`);
  await page.locator('table.heat').waitFor();
  assert.ok((await page.locator('td.heat-cell.st-approved').count()) >= 1, 'the approved pairing is marked');
  await shot(page, 'department-heatmap');
});

test('the dashboard counts the approved pairing', async (t) => {
  if (skipUnlessReviewed(t)) return;
  const { page } = browser;
  const d = await api('department', 'GET', '/v1/dashboard');
  assert.equal(d.status, 200);
  assert.equal(d.json.pairings.approved, 1);
  assert.equal(d.json.zones.covered, 1);
  await page.goto(`${base}/#/dashboard`);
  await page.getByRole('heading', { level: 1, name: '项目看板' }).waitFor();
  const zones = page.locator('.kpi', { hasText: '高新区覆盖' }).locator('dd');
  assert.equal(await zones.innerText(), `1 / ${d.json.zones.total}`);
  assert.match(await page.locator('.kpi', { hasText: '规划标杆项目' }).locator('dd').innerText(), new RegExp(`^${d.json.benchmark_projects.planned}$`));
  await shot(page, 'department-dashboard-approved');
});

test('a re-proposal keeps the approved pairing and supersedes the open ones', async (t) => {
  if (skipUnlessReviewed(t)) return;
  const { page } = browser;
  await page.goto(`${base}/#/proposals?job=${jobId}`);
  await page.locator('.batch').waitFor({ timeout: 60_000 });
  const expected = await api('department', 'GET', `/v1/proposals/preview?track_ids=${encodeURIComponent(tokens.track)}`);
  assert.equal(expected.status, 200, JSON.stringify(expected.json));
  await page.locator('.batch').getByRole('button', { name: '重新提议' }).click();
  if (expected.json.open_pairings > 0) await confirmSupersede(page, expected.json);
  await page.waitForFunction((old) => /[?&]job=/.test(location.hash) && !location.hash.includes(old), jobId);
  await page.locator('.batch').waitFor({ timeout: 120_000 });
  const revised = new URL(page.url()).hash.match(/[?&]job=([^&]+)/)[1];
  const job = await api('department', 'GET', `/v1/proposals/${revised}`);
  assert.equal(job.json.kind, 'revise');
  assert.equal(job.json.revises, jobId);
  const kept = job.json.batch.pairings.find((p) => p.pairing_id === reviewedId);
  assert.ok(kept, 'the approved pairing is in the new batch');
  assert.equal(kept.status, 'approved');
  assert.ok((await page.locator('.batch .badge-approved').count()) >= 1, 'the batch shows it approved');
  const old = await api('department', 'GET', `/v1/proposals/${jobId}`);
  for (const p of old.json.batch.pairings.filter((x) => x.pairing_id !== reviewedId)) {
    assert.equal(p.superseded_by, revised, `${p.pairing_id} is superseded`);
  }
  await shot(page, 'department-revised');
  revisedId = revised;
});

/** Checks the in-page confirmation says what the preview says, then confirms it. */
async function confirmSupersede(page, preview) {
  const dialog = page.locator('dialog.confirm-dialog');
  await dialog.waitFor();
  assert.match(
    await dialog.innerText(),
    new RegExp(`将取代 ${preview.open_pairings} 条未审结的配对，保留 ${preview.approved_carried} 条已批准配对，确定继续？`),
  );
  await dialog.getByRole('button', { name: '继续提议' }).click();
  await dialog.waitFor({ state: 'detached' });
}

test('a new proposal for the same track asks first, says what it supersedes, and starts when confirmed', async (t) => {
  if (!revisedId) {
    t.skip('no re-proposal was made');
    return;
  }
  const { page } = browser;
  const expected = await api('department', 'GET', `/v1/proposals/preview?track_ids=${encodeURIComponent(tokens.track)}`);
  assert.equal(expected.status, 200);
  assert.ok(expected.json.open_pairings > 0, `the re-proposal left open pairings: ${JSON.stringify(expected.json)}`);
  assert.equal(expected.json.approved_carried, 1, 'the approved pairing is carried');
  const before = await api('department', 'GET', '/v1/proposals');
  await page.goto(`${base}/#/proposals`);
  await page.getByRole('heading', { level: 1, name: '配对方案' }).waitFor();
  await page.locator(`input[name="track_ids"][value="${tokens.track}"]`).check();
  // Cancelling starts nothing.
  await page.getByRole('button', { name: '发起配对方案' }).click();
  const dialog = page.locator('dialog.confirm-dialog');
  await dialog.waitFor();
  await shot(page, 'department-repropose-confirm');
  await dialog.getByRole('button', { name: '取消' }).click();
  await dialog.waitFor({ state: 'detached' });
  assert.equal((await api('department', 'GET', '/v1/proposals')).json.total, before.json.total, 'cancel queued nothing');
  // Confirming starts the job, and the history lists it.
  await page.getByRole('button', { name: '发起配对方案' }).click();
  await confirmSupersede(page, expected.json);
  await page.waitForFunction(() => /[?&]job=/.test(location.hash));
  const started = new URL(page.url()).hash.match(/[?&]job=([^&]+)/)[1];
  assert.notEqual(started, revisedId);
  await page.locator('table.data code', { hasText: started }).first().waitFor();
  await page.locator('.batch').waitFor({ timeout: 120_000 });
  const job = await api('department', 'GET', `/v1/proposals/${started}`);
  assert.equal(job.json.kind, 'propose');
  assert.equal(job.json.state, 'done');
  const kept = job.json.batch.pairings.find((p) => p.pairing_id === reviewedId);
  assert.ok(kept, 'the approved pairing is carried into the new batch');
  assert.equal(kept.status, 'approved');
  const after = await api('department', 'GET', `/v1/proposals/preview?track_ids=${encodeURIComponent(tokens.track)}`);
  assert.equal(after.json.approved_carried, 1);
  const revised = await api('department', 'GET', `/v1/proposals/${revisedId}`);
  for (const p of revised.json.batch.pairings.filter((x) => x.status === 'proposed')) {
    assert.equal(p.superseded_by, started, `${p.pairing_id} is superseded by the new proposal`);
  }
  const all = itemsOf((await api('department', 'GET', `/v1/pairings?track=${encodeURIComponent(tokens.track)}&limit=100`)).json);
  const active = all.filter((p) => ['proposed', 'changes_requested', 'approved'].includes(p.status));
  const triples = new Set(active.map((p) => `${p.zone_id}|${p.university_id}|${p.track_id}`));
  assert.equal(triples.size, active.length, 'no triple has two active pairings');
});

test('zone manager sees the zone candidates with an explanation and no review buttons', async () => {
  const { page } = browser;
  await signIn(page, base, tokens.zone);
  await page.getByRole('heading', { level: 1 }).first().waitFor();
  await shot(page, 'zone-home');
  await page.goto(`${base}/#/candidates?track=${encodeURIComponent(tokens.track)}`);
  await page.getByRole('heading', { level: 1, name: '候选高校与团队' }).waitFor();
  await page.locator('.candidate').first().waitFor({ timeout: 60_000 });
  const explain = page.locator('.candidate').first().locator('.explain');
  await explain.waitFor();
  assert.ok((await explain.innerText()).trim().length > 0, 'the first candidate has an explanation');
  assert.ok((await explain.locator('mark').count()) > 0 || (await explain.locator('.bars').count()) > 0, 'explanation shows matched terms or contributions');
  assert.ok(!(await page.locator('main').innerText()).includes('[object Object]'), 'no value is shown as [object Object]');
  for (const name of ['通过', '驳回', '要求修改']) {
    assert.equal(await page.getByRole('button', { name, exact: true }).count(), 0, `no “${name}” button for a zone`);
  }
  await shot(page, 'zone-candidates');
  await page.goto(`${base}/#/review`);
  await page.getByRole('heading', { level: 1 }).first().waitFor();
  assert.equal(await page.getByRole('button', { name: '通过', exact: true }).count(), 0, 'zone cannot reach the review form');
});

test('university sees fitting enterprise demands with the best team and why', async () => {
  const { page } = browser;
  await signIn(page, base, tokens.university);
  await page.getByRole('heading', { level: 1, name: '适配企业需求' }).waitFor();
  // The first ranking over all of a university's teams is computed cold, on a machine that may be busy.
  await page.locator('.candidate, .empty').first().waitFor({ timeout: 180_000 });
  assert.ok((await page.locator('.candidate').count()) > 0, 'the university has fitting demands');
  assert.match(await page.locator('.candidate').first().innerText(), /最佳团队/);
  assert.equal(await page.getByRole('button', { name: '通过', exact: true }).count(), 0);
  await shot(page, 'university-demands');
  await page.goto(`${base}/#/teams`);
  await page.locator('table.data').waitFor();
  await shot(page, 'university-teams');
});

test('pages link: a zone candidate to its team, a demand to its teams, a fitting demand to its page', async () => {
  const { page } = browser;
  await signIn(page, base, tokens.zone);
  await page.goto(`${base}/#/candidates?track=${encodeURIComponent(tokens.track)}`);
  await page.locator('.candidate').first().waitFor({ timeout: 60_000 });
  const teamLink = page.locator('.candidate .team-name a').first();
  const teamName = (await teamLink.innerText()).trim();
  await teamLink.click();
  await page.getByRole('heading', { level: 1, name: teamName }).waitFor();
  assert.match(page.url(), /#\/team\//);
  assert.match(await page.locator('main').innerText(), /团队概况[\s\S]*代表性成果/);
  await shot(page, 'zone-team-page');

  await page.goto(`${base}/#/zone`);
  const demandLink = page.locator('table.data a.record-link').first();
  await demandLink.waitFor({ timeout: 60_000 });
  const demandTitle = (await demandLink.innerText()).trim();
  await demandLink.click();
  await page.getByRole('heading', { level: 1, name: demandTitle }).waitFor();
  await page.locator('[data-test="demand-text"]').waitFor();
  await page.locator('.ranked-links li').first().waitFor({ timeout: 60_000 });
  assert.match(await page.locator('main').innerText(), /共 \d+ 个适配团队/);
  await shot(page, 'zone-demand-page');

  await signIn(page, base, tokens.university);
  await page.locator('.candidate').first().waitFor({ timeout: 60_000 });
  const fitting = page.locator('.candidate .demand-link a').first();
  await fitting.click();
  await page.locator('[data-test="demand-text"]').waitFor();
  assert.match(page.url(), /#\/demand\//);
  await shot(page, 'university-demand-page');
});

test('zone and university pages: reached from every mention, bookmarkable, lists paged and sorted', async () => {
  const { page } = browser;
  await signIn(page, base, tokens.zone);
  // A candidate university's name opens its page: profile and teams, paged.
  await page.goto(`${base}/#/candidates?track=${encodeURIComponent(tokens.track)}`);
  await page.locator('.candidate').first().waitFor({ timeout: 60_000 });
  assert.match(await page.locator('[data-test="pager-count"]').first().innerText(), /^共 \d+ 所候选高校(（排名只列前 100 所）)?，第 1–\d+ 所$/);
  const uniLink = page.locator('.candidate .card-title a.university-link').first();
  const uniName = (await uniLink.innerText()).trim();
  await uniLink.click();
  await page.getByRole('heading', { level: 1, name: uniName }).waitFor();
  assert.match(page.url(), /#\/university\//);
  assert.match(await page.locator('main').innerText(), /科研团队[\s\S]*共 \d+ 个团队/);
  await shot(page, 'zone-university-page');
  // Its team opens the team page, whose university links back.
  await page.locator('main table.data a.record-link').first().click();
  await page.locator('main').getByText('团队概况', { exact: true }).waitFor();
  await page.locator('main a.university-link').first().click();
  await page.getByRole('heading', { level: 1, name: uniName }).waitFor();

  // The zone's demand list pages honestly and keeps its page and sort in the address.
  await page.goto(`${base}/#/zone`);
  const count = page.locator('[data-test="pager-count"]').first();
  await count.waitFor({ timeout: 60_000 });
  const zone = await api('zone', 'GET', `/v1/zones/${encodeURIComponent(tokens.zoneId)}`);
  const n = zone.json.demands.length;
  assert.match(await count.innerText(), new RegExp(`^共 ${n} 条需求，第 1–${Math.min(20, n)} 条$`));
  if (n > 20) {
    await page.getByRole('button', { name: '下一页' }).first().click();
    await page.waitForFunction(() => /[?&]page=2/.test(location.hash));
    await page.reload();
    await page.locator('[data-test="pager-count"]').first().waitFor({ timeout: 60_000 });
    assert.match(await page.locator('[data-test="pager-count"]').first().innerText(), new RegExp(`第 21–${Math.min(40, n)} 条`));
  }
  await page.locator('[data-test="list-sort"]').first().selectOption('title');
  await page.waitForFunction(() => /[?&]sort=title/.test(location.hash));
  const titles = await page.locator('main table.data td:first-child').allInnerTexts();
  const sorted = await page.evaluate((t) => [...t].sort((a, b) => a.localeCompare(b, 'zh-CN')), titles);
  assert.deepEqual(titles, sorted, 'sorted by title');

  // A demand's zone opens the zone page with its demands and pairings.
  await page.locator('main table.data a.record-link').first().click();
  await page.locator('[data-test="demand-text"]').waitFor();
  await page.locator('main a.zone-link').first().click();
  await page.getByRole('heading', { level: 1, name: zone.json.name }).waitFor();
  assert.match(page.url(), new RegExp(`#/zone/${tokens.zoneId}`));
  assert.match(await page.locator('main').innerText(), /产业需求清单[\s\S]*共 \d+ 条需求/);
  await shot(page, 'zone-page');

  // A university groups its fitting demands by team, each title once, and a title opens the demand.
  await signIn(page, base, tokens.university);
  await page.locator('.candidate').first().waitFor({ timeout: 60_000 });
  assert.match(await page.locator('[data-test="pager-count"]').first().innerText(), /^共 \d+ 条适配需求(（排名只列前 100 条）)?，第 1–\d+ 条$/);
  await page.locator('[data-test="fit-group"]').selectOption('team');
  await page.locator('[data-test="team-group"]').first().waitFor({ timeout: 60_000 });
  for (const group of await page.locator('[data-test="team-group"]').all()) {
    const shown = await group.locator('.group-title > p.ranked-line a').allInnerTexts();
    assert.equal(new Set(shown).size, shown.length, `each title once: ${shown.join(' | ')}`);
  }
  await shot(page, 'university-demands-by-team');
  await page.reload();
  await page.locator('[data-test="team-group"]').first().waitFor({ timeout: 60_000 });
  await page.locator('[data-test="team-group"] .group-title > p.ranked-line a').first().click();
  await page.locator('[data-test="demand-text"]').waitFor();
  await page.locator('main a.zone-link').first().click();
  await page.locator('main').getByText('园区概况', { exact: true }).waitFor();
  assert.match(page.url(), /#\/zone\//);

  // Search pages its hits, each linking to its record and owner.
  const own = await api('university', 'GET', `/v1/universities/${encodeURIComponent(tokens.universityId)}`);
  const q = own.json.teams[0].name;
  await page.goto(`${base}/#/search?q=${encodeURIComponent(q)}&kind=teams`);
  await page.locator('.hits').waitFor({ timeout: 60_000 });
  assert.match(await page.locator('[data-test="pager-count"]').first().innerText(), /^共 \d+ 条结果(（排名只列前 100 条）)?，第 1–\d+ 条$/);
  await page.locator('.hit a.university-link').first().click();
  await page.locator('main').getByText('科研团队', { exact: true }).waitFor();
  assert.match(page.url(), /#\/university\//);
});

test('university edits one of its teams through the form and the service keeps it', async () => {
  const { page } = browser;
  await page.goto(`${base}/#/teams`);
  await page.locator('table.data a.btn', { hasText: '编辑' }).first().click();
  await page.getByRole('heading', { level: 1, name: '编辑团队' }).waitFor();
  const id = decodeURIComponent(new URL(page.url()).hash.split('/')[2]);
  const keywords = page.getByLabel('关键词');
  const before = await keywords.inputValue();
  await keywords.fill(before ? `${before}、端到端关键词` : '端到端关键词');
  await page.getByRole('button', { name: '保存修改' }).click();
  await page.getByRole('heading', { level: 1, name: '本校团队' }).waitFor();
  const got = await api('university', 'GET', `/v1/teams/${encodeURIComponent(id)}`);
  assert.equal(got.status, 200);
  assert.ok(got.json.keywords.includes('端到端关键词'), JSON.stringify(got.json.keywords));
});

test('zone manager adds a demand through the form and finds it in the list', async () => {
  const { page } = browser;
  await signIn(page, base, tokens.zone);
  await page.goto(`${base}/#/demands/new`);
  await page.getByRole('heading', { level: 1, name: '新增需求' }).waitFor();
  const title = `端到端新增需求 ${Date.now()}`;
  await page.getByLabel('需求标题').fill(title);
  await page.getByLabel('需求描述').fill('产线换型时间长，希望引入自适应控制算法，将换型时间缩短一半。');
  await page.getByLabel('企业名称').fill('江苏端到端测试有限公司');
  await page.getByLabel('预算（万元）').fill('120');
  await page.getByLabel('截止日期').fill('2026-12-31');
  await page.locator(`input[name="track_ids"][value="${tokens.track}"]`).check();
  const id = await page.getByLabel('需求编号').inputValue();
  await page.getByRole('button', { name: '提交需求' }).click();
  await page.getByRole('heading', { level: 1 }).filter({ hasNotText: '新增需求' }).waitFor();
  await page.getByPlaceholder('按需求标题筛选').fill(title);
  await page.locator('table.data', { hasText: title }).waitFor();
  const got = await api('zone', 'GET', `/v1/demands/${encodeURIComponent(id)}`);
  assert.equal(got.status, 200, JSON.stringify(got.json));
  assert.equal(got.json.title, title);
  assert.equal(got.json.budget_wan_yuan, 120);
  assert.deepEqual(got.json.track_ids, [tokens.track]);
});

test('zone manager imports a spreadsheet: the error shows on its cell, the fixed file goes in', async () => {
  const { page } = browser;
  await signIn(page, base, tokens.zone);
  await page.goto(`${base}/#/imports`);
  await page.getByRole('heading', { level: 1, name: '批量导入需求' }).waitFor();
  const id = `d-e2e-imp-${Date.now()}`;
  const header = '编号,需求名称,需求描述,产业方向,预算（万元）,截止日期';
  const row = (budget) => `${id},端到端导入需求,产线换型时间长，希望引入自适应控制算法,${tokens.track},${budget},2027-06-30`;
  const file = (budget) => ({ name: 'demands.csv', mimeType: 'text/csv', buffer: Buffer.from(`${header}\n${row(budget)}\n`, 'utf8') });
  await page.locator('[data-test="import-file"]').setInputFiles(file('十万'));
  await page.locator('[data-test="import-problems"]').waitFor();
  const bad = page.locator('tr.row-error .cell-error');
  await bad.waitFor();
  assert.match(await bad.innerText(), /十万[\s\S]*预算应为/);
  assert.equal(await page.locator('[data-test="import-confirm"]').isDisabled(), true);
  await shot(page, 'zone-import-error');
  assert.equal((await api('zone', 'GET', `/v1/demands/${id}`)).status, 404);
  await page.locator('[data-test="import-file"]').setInputFiles(file('10'));
  await page.locator('[data-test="import-clean"]').waitFor();
  await page.locator('[data-test="import-confirm"]').click();
  await page.locator('[data-test="import-done"]').waitFor({ timeout: 60_000 });
  const got = await api('zone', 'GET', `/v1/demands/${id}`);
  assert.equal(got.status, 200, JSON.stringify(got.json));
  assert.equal(got.json.budget_wan_yuan, 10);
  assert.equal(got.json.zone_id, tokens.zoneId);
});

test('a zone records outcomes, the department verifies them, and 目标进度 shows every target', async (t) => {
  const { page } = browser;
  // An approved pairing of the zone the zone token acts for (approved here if none is yet).
  const mine = await api('department', 'GET', `/v1/pairings?zone_id=${encodeURIComponent(tokens.zoneId)}&limit=100`);
  let pairing = itemsOf(mine.json).find((p) => p.status === 'approved') || itemsOf(mine.json).find((p) => p.status === 'proposed');
  if (!pairing) {
    t.skip('the zone has no pairing');
    return;
  }
  if (pairing.status !== 'approved') {
    const ok = await api('department', 'POST', `/v1/pairings/${encodeURIComponent(pairing.id)}/reviews`, { decision: 'approve', version: pairing.version });
    assert.equal(ok.status, 200, JSON.stringify(ok.json));
  }
  const before = await api('department', 'GET', '/v1/dashboard');
  const actualOf = (d, key) => d.json.targets.find((e) => e.key === key).actual;

  // The zone records a platform through the form; a bad amount is said in Chinese next to its field.
  await signIn(page, base, tokens.zone);
  await page.goto(`${base}/#/review/${encodeURIComponent(pairing.id)}`);
  const form = page.locator('form.outcome-form');
  await form.waitFor();
  await form.getByLabel('成果类型').selectOption('contract');
  await form.getByLabel('签约企业').fill('e2e 储能科技有限公司');
  await form.getByLabel('合同金额（万元）').fill('-5');
  await form.getByLabel('签订日期').fill('2026-03-02');
  await form.getByRole('button', { name: '提交登记' }).click();
  assert.match(await form.locator('.field.has-error .field-error').first().innerText(), /金额须为大于 0 的数字/);
  await shot(page, 'zone-outcome-form-error');
  await form.getByLabel('成果类型').selectOption('platform');
  await form.getByLabel('平台名称').fill('e2e 联合实验室');
  await form.getByLabel('平台类型（如联合实验室、中试基地）').fill('联合实验室');
  await form.getByLabel('平台级别（如国家级、省级、市级）').fill('省级');
  await form.getByLabel('建成日期').fill('2026-04-01');
  await form.getByRole('button', { name: '提交登记' }).click();
  await page.locator('table.data', { hasText: 'e2e 联合实验室' }).waitFor();
  const contract = await api('zone', 'POST', `/v1/pairings/${encodeURIComponent(pairing.id)}/outcomes`, { kind: 'contract', enterprise: 'e2e 储能科技有限公司', amount_wan_yuan: 500, signed_on: '2026-03-02' });
  assert.equal(contract.status, 201, JSON.stringify(contract.json));
  const payment = await api('zone', 'POST', `/v1/pairings/${encodeURIComponent(pairing.id)}/outcomes`, { kind: 'payment', contract_id: contract.json.id, amount_wan_yuan: 300, received_on: '2026-05-20' });
  assert.equal(payment.status, 201, JSON.stringify(payment.json));
  await page.reload();
  await page.locator('table.data', { hasText: '到账 300 万元' }).waitFor();
  await shot(page, 'zone-pairing-outcomes');
  const pending = await api('department', 'GET', '/v1/dashboard');
  assert.equal(actualOf(pending, 'platforms'), actualOf(before, 'platforms'), 'pending outcomes do not count');

  // The department verifies every pending outcome from its queue.
  await signIn(page, base, tokens.department);
  await page.goto(`${base}/#/outcomes`);
  await page.getByRole('heading', { level: 1, name: '成果核实' }).waitFor();
  await shot(page, 'department-outcome-queue');
  for (let i = 0; i < 3; i += 1) {
    const button = page.getByRole('button', { name: '核实', exact: true }).first();
    await button.waitFor();
    await button.click();
    await page.waitForFunction((n) => document.querySelectorAll('main button[data-decision="verify"]').length <= n, 2 - i);
  }
  const after = await api('department', 'GET', '/v1/dashboard');
  assert.equal(actualOf(after, 'platforms') - actualOf(before, 'platforms'), 1);
  assert.equal(actualOf(after, 'contract_payments') - actualOf(before, 'contract_payments'), 300);

  // 目标进度: every target shows baseline, actual, target and projection, as the API answers them.
  await page.goto(`${base}/#/targets`);
  await page.getByRole('heading', { level: 1, name: '目标进度' }).waitFor();
  assert.equal(after.json.targets.length, 4);
  for (const e of after.json.targets) {
    const card = page.locator(`.target-card[data-target="${e.key}"]`);
    await card.waitFor();
    for (const figure of ['baseline', 'actual', 'target', 'projected']) {
      assert.ok(e[figure] !== null && e[figure] !== undefined, `${e.key}.${figure} in the API`);
      const text = await card.locator(`dd[data-figure="${figure}"]`).innerText();
      assert.match(text, new RegExp(`^[0-9][0-9,.]* ${e.unit.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`), `${e.key} ${figure}: ${text}`);
    }
    assert.ok((await card.locator('svg.trend-chart polyline').count()) === 1, `${e.key} has its quarterly trend`);
    assert.match(await card.innerText(), /测算方法：线性外推/);
  }
  await shot(page, 'department-targets');
});

test('a zone imports outcomes from a spreadsheet: the broken cell is marked, the fixed file records them', async (t) => {
  const { page } = browser;
  const mine = await api('zone', 'GET', '/v1/pairings?limit=100');
  const pairing = itemsOf(mine.json).find((p) => p.status === 'approved');
  if (!pairing) {
    t.skip('the zone has no approved pairing');
    return;
  }
  await signIn(page, base, tokens.zone);
  await page.goto(`${base}/#/imports/outcomes`);
  await page.getByRole('heading', { level: 1, name: '批量导入成果' }).waitFor();
  const stamp = Date.now();
  const header = '对接编号,成果类型,名称,企业,金额（万元）,日期,所属合同,年份,学位,人数';
  const rows = (degree) => [
    `${pairing.id},技术合同,e2e 导入合同 ${stamp},e2e 导入企业,200,2026-06-01,,,,`,
    `${pairing.id},合同到账,,,120,2026-07-01,第 2 行,,,`,
    `${pairing.id},联合培养研究生,,,,,,2026,${degree},${(stamp % 40) + 1}`,
  ];
  const file = (degree) => ({ name: 'outcomes.csv', mimeType: 'text/csv', buffer: Buffer.from(`${header}\n${rows(degree).join('\n')}\n`, 'utf8') });
  await page.locator('[data-test="import-file"]').setInputFiles(file('本科'));
  await page.locator('[data-test="import-problems"]').waitFor();
  const bad = page.locator('tr.row-error .cell-error');
  await bad.waitFor();
  assert.match(await bad.innerText(), /本科[\s\S]*未知的学位/);
  assert.equal(await page.locator('[data-test="import-confirm"]').isDisabled(), true);
  await shot(page, 'zone-outcome-import-error');
  await page.locator('[data-test="import-file"]').setInputFiles(file('博士'));
  await page.locator('[data-test="import-clean"]').waitFor();
  await page.locator('[data-test="import-confirm"]').click();
  const done = page.locator('[data-test="import-done"]');
  await done.waitFor({ timeout: 60_000 });
  assert.match(await done.innerText(), /新成果 3 条（待省厅核实）/);
  await shot(page, 'zone-outcome-import-done');
  const listed = itemsOf((await api('zone', 'GET', `/v1/pairings/${encodeURIComponent(pairing.id)}/outcomes?limit=100`)).json);
  const contract = listed.find((o) => o.kind === 'contract' && o.detail.title === `e2e 导入合同 ${stamp}`);
  assert.ok(contract, 'the imported contract is recorded');
  assert.equal(contract.status, 'pending');
  assert.ok(listed.some((o) => o.kind === 'payment' && o.detail.contract_id === contract.id && o.detail.amount_wan_yuan === 120), 'the payment is on the contract of row 2');
});

test('no request left 127.0.0.1 and no script error occurred', () => {
  assert.deepEqual(browser.outside, [], `requests outside 127.0.0.1: ${browser.outside.join(', ')}`);
  assert.deepEqual(browser.problems, [], browser.problems.join('\n'));
});
