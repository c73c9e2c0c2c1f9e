// Department: start a pairing proposal for chosen tracks with constraints, follow its progress, read the
// batch (objective, optimality, shortfalls, diagnostics), re-propose, and export CSV/XLSX. Starting a
// proposal for tracks that already have open pairings asks first, saying how many it will supersede;
// running jobs show their stage and progress in the batch history.

import { get, post, items, download } from '../api.js';
import {
  h, mount, loading, failure, emptyState, errorNotice, pageHeader, panel, table, scoreBar, fmtScore, fmtTime,
  fmtNumber, progress, field, busy, toast, clearFieldErrors, showFormError, statusBadge, confirmDialog,
} from '../ui.js';
import * as refs from '../refs.js';
import { pick, nameOf } from '../refs.js';
import { checkboxGroup, checkedValues, report } from './forms.js';
import { sentence } from '../errors.js';
import { COMPONENT_LABELS, gradeBadge } from '../bundle.js';
import { zoneLink, universityLink } from './pages.js';

const DONE = ['done', 'succeeded', 'success', 'completed', 'complete', 'finished', 'solved'];
const FAILED = ['failed', 'error', 'errored', 'cancelled', 'canceled'];
const STATE_LABELS = {
  queued: '排队中',
  pending: '排队中',
  running: '计算中',
  solving: '求解中',
  done: '已完成',
  succeeded: '已完成',
  completed: '已完成',
  finished: '已完成',
  failed: '失败',
  error: '失败',
  infeasible: '无可行方案',
};

const STAGE_LABELS = {
  queued: '排队等待计算',
  scoring: '计算匹配得分',
  bundling: '组合“五个一”内容',
  solving: '求解最优方案',
  explaining: '生成配对说明',
  saving: '保存方案并提交审核',
  done: '完成',
  failed: '失败',
};

const SEVERITY_LABELS = { infeasible: '无法满足', shortfall: '项目不足', info: '提示' };

/** Whether a pairing falls short of the 10 benchmark projects. */
export function isShort(p) {
  const s = pick(p, 'bundle.shortfall', 'shortfall');
  if (s && typeof s === 'object') return true;
  if (Number(s) > 0) return true;
  return projectCountOf(p) < 10;
}

export function projectCountOf(p) {
  const n = pick(p, 'project_count', 'projects_count');
  if (Number.isFinite(Number(n))) return Number(n);
  return (pick(p, 'bundle.benchmark_projects', 'bundle.projects', 'projects') || []).length;
}

export const jobId = (job) => pick(job, 'job_id', 'id', 'batch_id');
const jobState = (job) => String(pick(job, 'state', 'status') || '').toLowerCase();
export const isDone = (job) => DONE.includes(jobState(job));
export const isFailed = (job) => FAILED.includes(jobState(job));

/** Progress as 0–100 whichever scale the service reports. */
export function percent(job) {
  if (isDone(job)) return 100;
  const p = Number(pick(job, 'progress', 'progress_pct', 'percent'));
  if (!Number.isFinite(p)) return 0;
  return Math.max(0, Math.min(100, p));
}

/** Headline figure of a job from its summary (lists) or its batch (one job). */
function summaryOf(job, key) {
  return pick(job, `summary.${key}`, key, `batch.${key}`);
}

/** The failure text of a job: the service's message (`error` is `{code, message}`). */
function jobError(job) {
  const e = pick(job, 'error');
  if (!e) return '';
  return typeof e === 'string' ? e : pick(e, 'message', 'code') || '';
}

/** The batch of a finished job (embedded as batch/result, or the job itself). */
export function batchOf(job) {
  return pick(job, 'batch', 'result') || job;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls a job until it finishes, reporting progress; stops when `alive()` turns false. */
export async function pollJob(id, onProgress, alive) {
  let delay = 300;
  for (;;) {
    if (!alive()) return null;
    const job = await get(`/v1/proposals/${encodeURIComponent(id)}`);
    onProgress(job);
    if (isDone(job) || isFailed(job)) return job;
    await sleep(delay);
    delay = Math.min(delay * 1.5, 2000);
  }
}

/**
 * Asks before a proposal that would supersede open pairings of its tracks: resolves true to go on.
 * Without the preview endpoint (an older service) it goes on without asking.
 */
export async function confirmSupersede(trackIds) {
  let preview;
  try {
    preview = await get('/v1/proposals/preview', { track_ids: (trackIds || []).join(',') });
  } catch (err) {
    if (err.unavailable) return true;
    throw err;
  }
  const open = Number(pick(preview, 'open_pairings')) || 0;
  const approved = Number(pick(preview, 'approved_carried')) || 0;
  if (open <= 0) return true;
  return confirmDialog({
    title: '确认重新提议',
    message: `将取代 ${open} 条未审结的配对，保留 ${approved} 条已批准配对，确定继续？`,
    confirmLabel: '继续提议',
    cancelLabel: '取消',
  });
}

/** Whether a job is still waiting or computing. */
const isRunning = (job) => ['queued', 'pending', 'running', 'solving'].includes(jobState(job));

/** A job's state for the history list: running ones with their stage and progress. */
function stateCell(job) {
  const state = jobState(job);
  const label = STATE_LABELS[state] || state || '—';
  if (!isRunning(job)) return label;
  const stage = String(pick(job, 'stage', 'progress_stage') || '').toLowerCase();
  const pct = Math.round(percent(job));
  return h(
    'span',
    { class: 'job-running', role: 'status' },
    `${label} · ${STAGE_LABELS[stage] || '处理中'} ${pct}%`,
    h('span', { class: 'mini-progress', 'aria-hidden': 'true' }, h('span', { style: { width: `${pct}%` } })),
  );
}

function trackNames(maps, ids) {
  return (ids || []).map((id) => nameOf(maps.tracks, id)).join('、') || '—';
}

function exportButtons(id) {
  const make = (format, label) =>
    h('button', {
      type: 'button',
      class: 'btn btn-small',
      onClick: async (e) => {
        const button = e.currentTarget;
        try {
          await busy(button, () => download(`/v1/proposals/${encodeURIComponent(id)}/export`, { format }, `双高协同配对方案-${id}.${format}`), '正在导出…');
        } catch (err) {
          toast(err.unavailable ? '导出功能暂未开放：服务尚未提供导出接口。' : `导出失败：${errorNotice(err).textContent}`, 'error');
        }
      },
    }, label);
  return h('span', { class: 'btn-group' }, make('csv', '导出 CSV'), make('xlsx', '导出 Excel'));
}

function pairingRows(batch) {
  return pick(batch, 'pairings', 'selected', 'items') || [];
}

/** The finished batch: headline figures, diagnostics, pairings. */
function batchView(job, maps, { onRevise }) {
  const batch = batchOf(job);
  const id = jobId(job);
  const pairings = pairingRows(batch);
  const objective = pick(batch, 'objective', 'total_quality');
  const optimal = pick(batch, 'optimality.proven_optimal', 'optimal', 'proven_optimal', 'is_optimal');
  const feasible = pick(batch, 'optimality.feasible', 'feasible');
  const gap = pick(batch, 'optimality.gap', 'gap', 'optimality_gap');
  const diagnostics = pick(batch, 'diagnostics', 'infeasibilities', 'problems', 'warnings') || [];
  const shortCount = pairings.filter(isShort).length;
  return h(
    'div',
    { class: 'batch' },
    h(
      'dl',
      { class: 'kpis' },
      h('div', { class: 'kpi' }, h('dt', {}, '配对数'), h('dd', {}, fmtNumber(pairings.length))),
      h('div', { class: 'kpi' }, h('dt', {}, '目标值（质量总和）'), h('dd', {}, objective !== undefined ? Number(objective).toFixed(3) : '—')),
      h(
        'div',
        { class: 'kpi' },
        h('dt', {}, '最优性'),
        h('dd', {}, optimal === true ? '已证明最优' : optimal === false ? `未证明最优${gap !== undefined ? `（差距 ${(Number(gap) * 100).toFixed(1)}%）` : ''}` : '—'),
        feasible === false ? h('p', { class: 'kpi-sub' }, '约束无法全部满足，此为最优的部分方案') : null,
      ),
      h('div', { class: ['kpi', shortCount ? 'kpi-warn' : ''] }, h('dt', {}, '标杆项目不足 10 项'), h('dd', {}, `${shortCount} 个配对`)),
    ),
    diagnostics.length
      ? h(
          'div',
          { class: 'notice notice-warn', role: 'status' },
          h('p', {}, h('strong', {}, '约束说明：'), '以下情况限制了方案，详见各条：'),
          h(
            'ul',
            {},
            diagnostics.map((d) => {
              if (typeof d === 'string') return h('li', {}, d);
              const severity = pick(d, 'severity');
              const tag = SEVERITY_LABELS[severity];
              return h('li', { class: ['infeasible', 'error'].includes(severity) ? 'diag-error' : '' }, tag ? h('span', { class: 'tag' }, tag) : null, pick(d, 'message_zh', 'message', 'text') || '');
            }),
          ),
        )
      : null,
    h(
      'div',
      { class: 'toolbar' },
      h('a', { class: 'btn btn-primary', href: `#/review?status=proposed&batch=${encodeURIComponent(id)}` }, '进入审核'),
      exportButtons(id),
      h('button', { type: 'button', class: 'btn', onClick: (e) => onRevise(id, e.currentTarget, pick(job, 'track_ids', 'batch.track_ids') || pick(batch, 'track_ids') || []) }, '重新提议'),
    ),
    h('p', { class: 'hint' }, '“重新提议”会保留已通过的配对，并把已驳回的配对排除在外，重新求解；这些赛道中尚未审结的配对将由新方案取代。'),
    pairings.length
      ? table(
          [
            { label: '园区', cell: (p) => zoneLink(pick(p, 'zone_id'), pick(p, 'zone_name') || nameOf(maps.zones, pick(p, 'zone_id'))) },
            { label: '高校', cell: (p) => universityLink(pick(p, 'university_id'), pick(p, 'university_name') || nameOf(maps.universities, pick(p, 'university_id'))) },
            { label: '赛道', cell: (p) => pick(p, 'track_name') || nameOf(maps.tracks, pick(p, 'track_id')) },
            { label: '质量', cell: (p) => scoreBar(pick(p, 'quality', 'score')) },
            { label: '等级', cell: (p) => gradeBadge(p.bundle) || '—' },
            {
              label: '标杆项目',
              num: true,
              cell: (p) => {
                const n = projectCountOf(p);
                const short = isShort(p);
                return h('span', { class: short ? 'warn-text' : '' }, `${n}${short ? '（不足 10）' : ''}`);
              },
            },
            {
              label: '待共建',
              cell: (p) => {
                const missing = (p.bundle && p.bundle.to_build) || [];
                return missing.length ? missing.map((c) => COMPONENT_LABELS[c] || c).join('、') : h('span', { class: 'muted' }, '—');
              },
            },
            {
              label: '状态',
              cell: (p) => {
                if (pick(p, 'superseded_by')) return h('span', { class: 'muted' }, '已由新方案取代');
                return pick(p, 'status') ? statusBadge(pick(p, 'status')) : '—';
              },
            },
            {
              label: '说明',
              cell: (p) => {
                const id = pick(p, 'pairing_id', 'id');
                const summary = pick(p, 'explanation.summary', 'bundle.explanation.summary') || '';
                return h('span', {}, summary, id ? [' ', h('a', { href: `#/review/${encodeURIComponent(id)}` }, '详情')] : null);
              },
            },
          ],
          pairings,
        )
      : emptyState({ title: '本批次没有产生配对', body: '所选赛道在当前约束下没有可行的园区—高校组合。请查看上方约束说明，放宽约束或更换赛道后重新发起。' }),
  );
}

function pairRowBuilder(name, legend, maps) {
  const list = h('ul', { class: 'pair-list' });
  const zoneSel = h('select', { 'aria-label': `${legend}：园区` }, [...maps.zones.values()].map((z) => h('option', { value: z.id }, z.name)));
  const uniSel = h('select', { 'aria-label': `${legend}：高校` }, [...maps.universities.values()].map((u) => h('option', { value: u.id }, u.name)));
  const trackSel = h('select', { 'aria-label': `${legend}：赛道` }, [...maps.tracks.values()].map((t) => h('option', { value: t.id }, t.name)));
  const add = () => {
    const triple = [zoneSel.value, uniSel.value, trackSel.value];
    const li = h(
      'li',
      { dataset: { triple: JSON.stringify(triple) } },
      `${nameOf(maps.zones, triple[0])} × ${nameOf(maps.universities, triple[1])} · ${nameOf(maps.tracks, triple[2])}`,
      h('button', { type: 'button', class: 'btn btn-small btn-ghost-dark', onClick: () => li.remove(), 'aria-label': '移除此组合' }, '移除'),
    );
    list.append(li);
  };
  const el = h(
    'fieldset',
    { class: 'field pairs', dataset: { field: `config.${name}` } },
    h('legend', {}, legend),
    h('div', { class: 'pair-pick' }, zoneSel, uniSel, trackSel, h('button', { type: 'button', class: 'btn btn-small', onClick: add }, '添加')),
    list,
    h('p', { class: 'field-error', 'aria-live': 'polite' }),
  );
  return { el, values: () => [...list.children].map((li) => JSON.parse(li.dataset.triple)) };
}

export async function renderProposals(ctx) {
  const { view, query } = ctx;
  mount(view, loading());
  const maps = await refs.all();
  const current = h('section', { class: 'panel', 'aria-live': 'polite' });
  const history = h('div', {}, loading('正在加载历史批次…'));
  let alive = true;
  const stop = () => !view.isConnected;

  const followJob = async (id, title) => {
    ctx.setQuery({ job: id });
    const bar = progress('方案计算中');
    const stateLine = h('p', { class: 'muted' }, '已提交，等待计算…');
    mount(current, h('h2', {}, title), h('p', {}, `批次编号 `, h('code', {}, id)), bar.el, stateLine);
    try {
      const job = await pollJob(
        id,
        (j) => {
          const stage = String(pick(j, 'stage', 'progress_stage') || '').toLowerCase();
          bar.set(percent(j), STAGE_LABELS[stage] || '方案计算中');
          stateLine.textContent = `状态：${STATE_LABELS[jobState(j)] || jobState(j) || '处理中'}`;
        },
        () => alive && !stop(),
      );
      if (!job || stop()) return;
      if (isFailed(job)) {
        const msg = jobError(job);
        mount(
          current,
          h('h2', {}, title),
          h(
            'div',
            { class: 'notice notice-error', role: 'alert' },
            h('p', {}, pick(job, 'error.code') ? sentence({ code: pick(job, 'error.code') }) : '方案计算失败。请检查赛道和约束条件后重新发起。'),
            msg ? h('p', { class: 'notice-code' }, `服务说明：${msg}`) : null,
          ),
        );
        const batch = batchOf(job);
        if (batch && batch !== job && pairingRows(batch).length) current.append(h('h3', {}, '可行的部分方案'), batchView(job, maps, { onRevise: revise }));
        return;
      }
      mount(current, h('h2', {}, title), h('p', { class: 'muted' }, `批次编号 ${id} · 完成于 ${fmtTime(pick(job, 'updated_at', 'finished_at'))}`), batchView(job, maps, { onRevise: revise }));
      loadHistory();
    } catch (err) {
      if (stop()) return;
      mount(current, h('h2', {}, title), failure(err, '方案进度', () => followJob(id, title)));
    }
  };

  async function revise(id, button, trackIds) {
    try {
      if (trackIds && trackIds.length && !(await confirmSupersede(trackIds))) return;
      const res = await busy(button, () => post(`/v1/proposals/${encodeURIComponent(id)}/revise`, {}), '正在提交…');
      toast('已提交重新提议');
      followJob(jobId(res) || id, '重新提议');
      loadHistory();
    } catch (err) {
      toast(err.unavailable ? '重新提议功能暂未开放：服务尚未提供该接口。' : errorNotice(err).querySelector('p').textContent, 'error');
    }
  }

  // The proposal form.
  const trackOptions = [...maps.tracks.values()]
    .sort((a, b) => (a.kind === 'future' ? 0 : 1) - (b.kind === 'future' ? 0 : 1))
    .map((t) => ({ value: t.id, label: t.name, group: refs.TRACK_KIND[t.kind] || '其他' }));
  const num = (name, value, attrs = {}) => h('input', { name, type: 'number', value, step: '1', min: '0', ...attrs });
  const inputs = {
    min: num('config.zone_track_min', 1),
    max: num('config.zone_track_max', 2),
    uniMax: num('config.university_max', 3),
    minQuality: num('config.min_quality', '', { step: '0.01', max: '1', placeholder: '不限' }),
  };
  const forced = pairRowBuilder('forced', '指定配对（必须入选）', maps);
  const forbidden = pairRowBuilder('forbidden', '禁止配对（不得入选）', maps);
  const notice = h('div', { class: 'form-notice', tabindex: '-1' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, '发起配对方案');
  const form = h(
    'form',
    { class: 'form', novalidate: true },
    checkboxGroup('track_ids', '赛道', trackOptions, query.get('tracks') ? query.get('tracks').split(',') : [], { hint: '选择本批次要配对的产业赛道，可多选。' }),
    h(
      'details',
      { class: 'constraints' },
      h('summary', {}, '约束条件（默认：每个园区每条赛道 1–2 所高校，每所高校至多 3 个配对）'),
      h(
        'div',
        { class: 'form-row four' },
        field('每园区每赛道至少', inputs.min, { hint: '所高校' }),
        field('每园区每赛道至多', inputs.max, { hint: '所高校' }),
        field('每所高校至多', inputs.uniMax, { hint: '个配对' }),
        field('最低配对质量', inputs.minQuality, { hint: '0–1，留空不限' }),
      ),
      forced.el,
      forbidden.el,
    ),
    notice,
    h('div', { class: 'form-actions' }, submit),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearFieldErrors(form);
    mount(notice);
    const trackIds = checkedValues(form, 'track_ids');
    const config = {};
    const problems = [];
    if (!trackIds.length) problems.push(['track_ids', '请至少选择一条赛道。']);
    const ints = [
      ['zone_track_min', inputs.min],
      ['zone_track_max', inputs.max],
      ['university_max', inputs.uniMax],
    ];
    for (const [key, input] of ints) {
      const v = Number(input.value);
      if (input.value.trim() === '' || !Number.isInteger(v) || v < 0) problems.push([`config.${key}`, '请填写不小于 0 的整数。']);
      else config[key] = v;
    }
    if (config.zone_track_min !== undefined && config.zone_track_max !== undefined && config.zone_track_min > config.zone_track_max) {
      problems.push(['config.zone_track_max', '“至多”不能小于“至少”。']);
    }
    if (inputs.minQuality.value.trim() !== '') {
      const q = Number(inputs.minQuality.value);
      if (!Number.isFinite(q) || q < 0 || q > 1) problems.push(['config.min_quality', '最低配对质量须在 0 到 1 之间。']);
      else config.min_quality = q;
    }
    const f = forced.values();
    const fb = forbidden.values();
    if (f.length) config.forced = f;
    if (fb.length) config.forbidden = fb;
    const clash = f.find((t) => fb.some((u) => JSON.stringify(u) === JSON.stringify(t)));
    if (clash) problems.push(['config.forbidden', '同一组合不能既被指定又被禁止。']);
    if (!report(form, problems)) return;
    try {
      if (!(await busy(submit, () => confirmSupersede(trackIds), '正在核对…'))) return;
      const res = await busy(submit, () => post('/v1/proposals', { track_ids: trackIds, config }), '正在提交…');
      const id = jobId(res);
      if (!id) throw Object.assign(new Error('no job id'), { status: 500, code: 'internal' });
      followJob(id, `新方案：${trackNames(maps, trackIds)}`);
      loadHistory();
      current.scrollIntoView({ block: 'start' });
    } catch (err) {
      if (err.unavailable) mount(notice, h('div', { class: 'notice notice-warn', role: 'status' }, h('p', {}, '配对方案功能暂未开放：服务尚未提供方案计算接口。接口上线后即可在此发起。')));
      else showFormError(form, err);
    }
  });

  // While a job in the list runs, the list refreshes itself.
  let historyTimer = null;
  async function loadHistory() {
    clearTimeout(historyTimer);
    historyTimer = null;
    try {
      const data = await get('/v1/proposals', { limit: 20 });
      const list = items(data);
      if (stop()) return;
      if (list.some(isRunning)) historyTimer = setTimeout(() => alive && !stop() && loadHistory(), 1000);
      if (!list.length) {
        mount(history, emptyState({ title: '还没有配对方案', body: '在上方选择赛道并发起第一个配对方案。方案完成后，其中的配对会进入审核队列。' }));
        return;
      }
      mount(
        history,
        table(
          [
            { label: '批次', cell: (j) => h('code', {}, jobId(j)) },
            { label: '赛道', cell: (j) => trackNames(maps, pick(j, 'track_ids', 'request.track_ids', 'batch.track_ids')) },
            { label: '发起时间', cell: (j) => fmtTime(pick(j, 'created_at')) },
            { label: '状态', cell: stateCell },
            { label: '类型', cell: (j) => (pick(j, 'kind') === 'revise' ? `重新提议（基于 ${pick(j, 'revises') || '—'}）` : '新方案') },
            { label: '配对数', num: true, cell: (j) => { const n = summaryOf(j, 'pairing_count'); return n !== undefined ? fmtNumber(n) : '—'; } },
            { label: '目标值', num: true, cell: (j) => { const o = summaryOf(j, 'objective'); return o !== undefined ? fmtScore(o) : '—'; } },
            {
              label: '操作',
              cell: (j) =>
                h(
                  'span',
                  { class: 'btn-group' },
                  h('button', { type: 'button', class: 'btn btn-small', onClick: () => followJob(jobId(j), `批次 ${jobId(j)}`) }, '查看'),
                  isDone(j) ? exportButtons(jobId(j)) : null,
                ),
            },
          ],
          list,
          { rowClass: (j) => (isRunning(j) ? 'row-running' : '') },
        ),
      );
    } catch (err) {
      if (stop()) return;
      mount(history, failure(err, '历史批次', loadHistory));
    }
  }

  mount(
    view,
    pageHeader('配对方案', '为选定赛道求解最优的园区—高校“五个一”配对，完成后进入审核'),
    panel('发起新方案', form),
    current,
    panel('历史批次', history),
  );
  current.hidden = true;
  const observer = new MutationObserver(() => {
    current.hidden = !current.childElementCount;
  });
  observer.observe(current, { childList: true });
  const jobParam = query.get('job');
  if (jobParam) followJob(jobParam, `批次 ${jobParam}`);
  await loadHistory();
  window.addEventListener('hashchange', () => (alive = false), { once: true });
}
