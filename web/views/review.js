// Department review: the queue of pairings by status and track, and one pairing's five-in-one bundle,
// explanation, history and comments, with approve / reject / request-changes under optimistic concurrency.

import { get, getAll, post, items } from '../api.js';
import {
  h, mount, loading, failure, emptyState, errorNotice, pageHeader, panel, table, scoreBar, fmtTime,
  fmtNumber, chips, statusBadge, STATUS_LABELS, busy, toast, field, clearFieldErrors, setFieldError, listBlock,
  onSelect,
} from '../ui.js';
import { sentence } from '../errors.js';
import * as refs from '../refs.js';
import { pick, nameOf } from '../refs.js';
import { explanation } from '../explain.js';
import { gradeBadge, toBuild, toBuildMark } from '../bundle.js';
import { zoneLink, universityLink, demandLink, teamLink } from './pages.js';
import { pagedList, listState, compareBy } from './shared.js';
import { outcomesPanel } from './outcomes.js';

const ACTION_LABELS = {
  propose: '提出',
  approve: '通过',
  reject: '驳回',
  request_changes: '要求修改',
  revise: '修订后重新提出',
  comment: '评论',
};

const ROLE_NAMES = { department: '管理部门', zone: '高新区', university: '高校' };

function roleName(role) {
  const kind = String(role || '').split(':')[0];
  return ROLE_NAMES[kind] || role || '';
}

/** The benchmark projects of a bundle. */
function projectsOf(p) {
  return pick(p, 'bundle.projects', 'bundle.benchmark_projects', 'projects', 'benchmark_projects') || [];
}

function projectCount(p) {
  const n = pick(p, 'project_count', 'bundle.project_count');
  return Number.isFinite(Number(n)) ? Number(n) : projectsOf(p).length;
}

export async function renderQueue(ctx) {
  const { view, query, me } = ctx;
  const reviewer = !me || me.kind === 'department';
  mount(view, loading());
  const maps = await refs.all();
  let status = query.has('status') ? query.get('status') : reviewer ? 'proposed' : '';
  let track = query.get('track') || '';
  const batch = query.get('batch') || '';
  const listPage = listState(query);
  const statusSel = h(
    'select',
    { id: 'q-status' },
    h('option', { value: '' }, '全部状态'),
    Object.entries(STATUS_LABELS).map(([v, l]) => h('option', { value: v, selected: v === status }, l)),
  );
  const trackSel = h(
    'select',
    { id: 'q-track' },
    h('option', { value: '' }, '全部赛道'),
    refs.trackGroups(maps.tracks).map((g) => h('optgroup', { label: g.label }, g.tracks.map((t) => h('option', { value: t.id, selected: String(t.id) === track }, t.name)))),
  );
  const results = h('div', { 'aria-live': 'polite' });
  mount(
    view,
    reviewer
      ? pageHeader('审核队列', '逐条审核方案提出的园区—高校配对：核对“五个一”内容和匹配依据后通过、驳回或要求修改')
      : pageHeader('我的配对', '本单位参与的配对：状态、“五个一”内容、审核记录，并可留言'),
    h(
      'div',
      { class: 'toolbar' },
      h('label', { for: 'q-status' }, '状态'),
      statusSel,
      h('label', { for: 'q-track' }, '赛道'),
      trackSel,
      batch ? h('span', { class: 'chip' }, `批次 ${batch}`, h('a', { href: '#/review', class: 'chip-x', 'aria-label': '取消批次筛选' }, '×')) : null,
    ),
    results,
  );
  const load = async () => {
    ctx.setQuery({ status, track, batch });
    mount(results, loading());
    try {
      const all = await getAll('/v1/pairings', { status, track, batch_id: batch || undefined }, { max: 1000 });
      const list = batch ? all.filter((p) => String(p.batch_id) === batch) : all;
      if (!list.length) {
        mount(
          results,
          emptyState({
            title: status === 'proposed' ? '没有待审核的配对' : `没有${STATUS_LABELS[status] || ''}的配对`,
            body: status === 'proposed' ? '所有配对都已处理。需要新的配对时，请在“配对方案”中选择赛道发起方案。' : '请调整状态或赛道筛选条件。',
            action: status === 'proposed' ? h('a', { class: 'btn btn-primary', href: '#/proposals' }, '发起配对方案') : null,
          }),
        );
        return;
      }
      mount(
        results,
        pagedList(ctx, {
          rows: list,
          state: listPage,
          sorts: [
            { id: 'default', label: '按默认顺序', compare: null },
            { id: 'updated', label: '按更新时间（新到旧）', compare: compareBy((p) => p.updated_at, { desc: true }) },
            { id: 'quality', label: '按配对质量', compare: compareBy((p) => Number(pick(p, 'quality', 'score')), { desc: true }) },
            { id: 'projects', label: '按标杆项目数', compare: compareBy((p) => projectCount(p), { desc: true }) },
            { id: 'zone', label: '按园区', compare: compareBy((p) => pick(p, 'zone_name') || nameOf(maps.zones, p.zone_id)) },
          ],
          noun: '个配对',
          unit: '个',
          label: '配对',
          render: (rows) => table(
          [
            { label: '园区', cell: (p) => h('span', { class: 'cell-title' }, zoneLink(p.zone_id, pick(p, 'zone_name') || nameOf(maps.zones, p.zone_id))) },
            { label: '高校', cell: (p) => universityLink(p.university_id, pick(p, 'university_name') || nameOf(maps.universities, p.university_id)) },
            { label: '赛道', cell: (p) => pick(p, 'track_name') || nameOf(maps.tracks, p.track_id) },
            { label: '配对质量', cell: (p) => scoreBar(pick(p, 'quality', 'score'), { label: '配对质量' }) },
            {
              label: '标杆项目',
              num: true,
              cell: (p) => {
                const n = projectCount(p);
                return h('span', { class: n < 10 ? 'warn-text' : '' }, n < 10 ? `${n}（不足 10）` : String(n));
              },
            },
            { label: '状态', cell: (p) => (p.superseded_by ? h('span', { class: 'muted' }, '已由新方案取代') : statusBadge(p.status)) },
            { label: '更新时间', cell: (p) => fmtTime(p.updated_at) },
            {
              label: '操作',
              cell: (p) =>
                h('a', { class: 'btn btn-small btn-primary', href: `#/review/${encodeURIComponent(p.id)}`, 'aria-label': `${reviewer ? '审核' : '查看'}：${nameOf(maps.zones, p.zone_id)} × ${nameOf(maps.universities, p.university_id)}` }, reviewer && p.status === 'proposed' && !p.superseded_by ? '审核' : '查看'),
            },
          ],
          rows,
        ),
        }),
      );
    } catch (err) {
      mount(results, failure(err, '审核队列', load));
    }
  };
  onSelect(statusSel, (value) => { status = value; listPage.page = 1; }, load);
  onSelect(trackSel, (value) => { track = value; listPage.page = 1; }, load);
  await load();
}

function fiveInOne(p, maps) {
  const b = p.bundle || {};
  const direction = pick(b, 'industrial_direction', 'direction', 'industry') || {};
  const platform = pick(b, 'innovation_platform', 'platform', 'platforms') || {};
  const talent = pick(b, 'leading_talent', 'talent', 'leader') || {};
  const fund = pick(b, 'transformation_fund', 'fund') || {};
  const projects = projectsOf(p);
  const sf = pick(b, 'shortfall') ?? pick(p, 'shortfall');
  const target = Number(pick(sf, 'target')) || 10;
  const shortfall = sf && typeof sf === 'object' ? Math.max(0, target - (Number(pick(sf, 'projects')) || projects.length)) : Number(sf) || Math.max(0, 10 - projects.length);
  const textOf = (v, ...keys) => (typeof v === 'string' ? v : pick(v, ...keys));
  const zonePlatform = textOf(pick(platform, 'zone', 'zone_platform'), 'name');
  const uniPlatformObj = pick(platform, 'university', 'university_platform', 'team_platform');
  const uniPlatform = textOf(uniPlatformObj, 'name') || (typeof platform.name === 'string' ? platform.name : '');
  const uniPlatformTeam = uniPlatformObj && typeof uniPlatformObj === 'object' ? pick(uniPlatformObj, 'team_name') : '';
  const item = (n, title, ...body) => h('li', { class: 'five-item' }, h('span', { class: 'five-n', 'aria-hidden': 'true' }, n), h('div', {}, h('h3', {}, title), body));
  return h(
    'ol',
    { class: 'five' },
    item(
      '一',
      '产业方向',
      h('p', {}, h('strong', {}, pick(direction, 'track_name', 'name') || nameOf(maps.tracks, p.track_id))),
      (pick(direction, 'industries', 'zone_industries') || []).length ? chips(pick(direction, 'industries', 'zone_industries')) : null,
    ),
    item(
      '二',
      '创新平台',
      uniPlatform ? h('p', {}, h('span', { class: 'muted' }, '高校平台：'), uniPlatform, uniPlatformTeam ? h('span', { class: 'muted' }, `（${uniPlatformTeam}）`) : null) : null,
      zonePlatform ? h('p', {}, h('span', { class: 'muted' }, '共建园区平台：'), zonePlatform) : null,
      !zonePlatform && toBuild(b, 'zone_platform') ? h('p', {}, h('span', { class: 'muted' }, '共建园区平台：'), toBuildMark('zone_platform')) : null,
      !uniPlatform && toBuild(b, 'university_platform') ? h('p', {}, h('span', { class: 'muted' }, '高校平台：'), toBuildMark('university_platform')) : null,
      !uniPlatform && !zonePlatform && !(b.to_build || []).length ? h('p', { class: 'muted' }, '未指定平台') : null,
    ),
    item(
      '三',
      '领军人才',
      talent && pick(talent, 'name')
        ? [
            h('p', {}, h('strong', {}, pick(talent, 'name')), pick(talent, 'title') ? ` · ${pick(talent, 'title')}` : ''),
            pick(talent, 'team_name', 'team') ? h('p', { class: 'muted' }, textOf(pick(talent, 'team_name', 'team'), 'name')) : null,
            (pick(talent, 'honors') || []).length ? chips(pick(talent, 'honors'), 'chip chip-honor') : null,
          ]
        : toBuild(b, 'leading_talent')
          ? h('p', {}, toBuildMark('leading_talent'), h('span', { class: 'muted small' }, ' 本配对团队的带头人均已牵头其他配对'))
          : h('p', { class: 'muted' }, '未指定'),
    ),
    item(
      '四',
      '转化基金',
      pick(fund, 'name')
        ? h('p', {}, pick(fund, 'name'), pick(fund, 'size_wan_yuan') !== undefined ? h('span', { class: 'muted' }, ` ${fmtNumber(pick(fund, 'size_wan_yuan'))} 万元`) : null)
        : toBuild(b, 'transformation_fund')
          ? h('p', {}, toBuildMark('transformation_fund'))
          : h('p', { class: 'muted' }, '未指定'),
    ),
    item(
      '五',
      '标杆项目',
      h(
        'p',
        {},
        gradeBadge(b),
        ' ',
        h('strong', { class: shortfall > 0 ? 'warn-text' : '' }, `${projects.length} 项`),
        shortfall > 0 ? h('span', { class: 'warn-text' }, `（按试点要求至少 ${target} 项，缺 ${shortfall} 项）`) : h('span', { class: 'muted' }, `（满足至少 ${target} 项的要求）`),
      ),
      sf && typeof sf === 'object' && pick(sf, 'zone_demands') !== undefined
        ? h('p', { class: 'muted small' }, `园区该赛道需求 ${pick(sf, 'zone_demands')} 项，其中本校团队可承接 ${pick(sf, 'fitting_demands') ?? '—'} 项`)
        : null,
    ),
  );
}

function projectTable(p, maps) {
  const projects = projectsOf(p);
  if (!projects.length) return emptyState({ title: '本配对没有分配标杆项目', body: '园区在该赛道的企业需求不足，或可承接的团队已满。可要求修改，请园区补充需求后重新提议。' });
  return table(
    [
      { label: '序号', num: true, cell: (_r, i) => String(i + 1) },
      { label: '企业需求', cell: (d) => h('span', { class: 'cell-title' }, pick(d, 'demand_id') ? demandLink(pick(d, 'demand_id'), pick(d, 'title', 'demand_title', 'demand.title')) : pick(d, 'title', 'demand_title', 'demand.title')) },
      { label: '企业', cell: (d) => (typeof d.enterprise === 'string' ? d.enterprise : pick(d, 'enterprise.name')) || '—' },
      { label: '承接团队', cell: (d) => (pick(d, 'team_id') ? teamLink(pick(d, 'team_id'), pick(d, 'team_name', 'team.name')) : pick(d, 'team_name', 'team.name') || '—') },
      { label: '匹配得分', cell: (d) => scoreBar(pick(d, 'score', 'quality')) },
    ],
    projects,
  );
}

// The list `tag` of class `cls` with each of `entries` drawn by `item`, or the muted note `empty` when there
// are none.
function listOr(tag, cls, entries, empty, item) {
  if (!entries.length) return h('p', { class: 'muted' }, empty);
  return h(tag, { class: cls }, entries.map(item));
}

function historyList(entries) {
  return listOr('ol', 'timeline', entries, '暂无记录。', (e) =>
    h(
      'li',
      {},
      h('p', { class: 'tl-head' }, h('strong', {}, ACTION_LABELS[e.action] || e.action), e.from ? ` ${STATUS_LABELS[e.from] || e.from} → ${STATUS_LABELS[e.to] || e.to}` : e.to ? ` → ${STATUS_LABELS[e.to] || e.to}` : ''),
      h('p', { class: 'muted' }, `${fmtTime(e.at || e.created_at)} · ${pick(e, 'actor.name', 'actor_name') || ''}（${roleName(pick(e, 'actor.role', 'actor_role'))}）${e.version ? ` · 版本 ${e.version}` : ''}`),
      e.comment ? h('blockquote', {}, e.comment) : null,
    ),
  );
}

function commentList(comments) {
  return listOr('ul', 'comments', comments, '还没有评论。园区和高校也可以在此留言。', (c) =>
    h('li', {}, h('p', { class: 'muted' }, `${pick(c, 'actor.name', 'author') || ''}（${roleName(pick(c, 'actor.role', 'role'))}）· ${fmtTime(c.at || c.created_at)}`), h('p', {}, c.body || c.comment || '')),
  );
}

export async function renderPairing(ctx) {
  const { view, params, me } = ctx;
  mount(view, loading());
  const maps = await refs.all();
  const id = params.id;
  let p;
  try {
    p = await get(`/v1/pairings/${encodeURIComponent(id)}`);
  } catch (err) {
    mount(view, pageHeader('配对详情'), failure(err, '配对', () => ctx.refresh()), h('p', {}, h('a', { href: '#/review' }, '返回审核队列')));
    return;
  }
  const zoneName = pick(p, 'zone_name') || nameOf(maps.zones, p.zone_id);
  const uniName = pick(p, 'university_name') || nameOf(maps.universities, p.university_id);
  const trackName = pick(p, 'track_name') || nameOf(maps.tracks, p.track_id);
  const historyBox = h('div', {}, loading());
  const commentsBox = h('div', {}, loading());
  const ex = pick(p, 'bundle.explanation', 'explanation');

  const reviewPanel = me.kind === 'department' ? reviewForm(p, ctx) : null;
  mount(
    view,
    h('p', { class: 'crumbs' }, me.kind === 'department' ? h('a', { href: '#/review' }, '审核队列') : h('a', { href: '#/pairings' }, '我的配对'), ' / ', zoneLink(p.zone_id, zoneName), ' × ', universityLink(p.university_id, uniName)),
    pageHeader(`${zoneName} × ${uniName}`, `${trackName} · 配对编号 ${p.id}`, statusBadge(p.status)),
    h(
      'div',
      { class: 'detail-grid' },
      h(
        'div',
        {},
        panel('“五个一”配对内容', h('p', { class: 'quality-line' }, h('span', { class: 'muted' }, '配对质量 '), scoreBar(pick(p, 'quality'), { label: '配对质量' })), fiveInOne(p, maps)),
        panel('匹配依据', explanationBlock(ex)),
        panel('标杆项目明细', projectTable(p, maps)),
        p.status === 'approved' ? outcomesPanel(p, me) : null,
      ),
      h('aside', {}, reviewPanel, panel('审核记录', historyBox), panel('评论', commentsBox, commentForm(p, commentsBox))),
    ),
  );
  loadHistory(p, historyBox);
  loadComments(p, commentsBox);
}

const BREAKDOWN_LABELS = [
  ['quality', '配对质量'],
  ['mean_score', '项目平均匹配得分'],
  ['coverage', '标杆项目覆盖率'],
  ['projects', '标杆项目数'],
  ['target', '目标项目数'],
  ['topped_up', '补足的项目数'],
  ['score_sum', '匹配得分合计'],
];

function breakdownBlock(b) {
  if (!b || typeof b !== 'object' || Array.isArray(b)) return null;
  const rows = BREAKDOWN_LABELS.filter(([k]) => b[k] !== undefined && b[k] !== null);
  if (!rows.length) return null;
  const fmt = (k, v) => (['projects', 'target', 'topped_up'].includes(k) ? String(v) : k === 'coverage' ? `${Math.round(Number(v) * 100)}%` : Number(v).toFixed(3));
  return h(
    'div',
    { class: 'explain-block' },
    h('h4', {}, '得分构成'),
    h('dl', { class: 'breakdown' }, rows.map(([k, label]) => h('div', {}, h('dt', {}, label), h('dd', {}, fmt(k, b[k]))))),
  );
}

function explanationBlock(ex) {
  if (!ex) return h('p', { class: 'muted' }, '该配对未附匹配说明。');
  const runnerUp = pick(ex, 'runner_up', 'why_not_runner_up', 'vs_runner_up');
  const teams = pick(ex, 'teams') || [];
  const breakdown = pick(ex, 'breakdown');
  const teamText = (t) => {
    if (typeof t === 'string') return t;
    const name = pick(t, 'team_name', 'name') || '';
    const projects = pick(t, 'projects');
    return `${name}${projects !== undefined ? ` · 承接 ${projects} 项` : ''}`;
  };
  return h(
    'div',
    {},
    explanation(ex),
    h(
      'div',
      { class: 'explain-grid' },
      teams.length
        ? listBlock('支撑团队与成果', 'plain', teams.slice(0, 5), (t) =>
            h(
              'li',
              {},
              h('strong', {}, teamText(t)),
              (pick(t, 'achievements') || []).length ? h('p', { class: 'muted small' }, `代表成果：${pick(t, 'achievements').slice(0, 3).join('；')}`) : null,
            ),
          )
        : null,
      breakdownBlock(breakdown),
    ),
    runnerUp
      ? h(
          'div',
          { class: 'explain-block runner-up' },
          h('h4', {}, '为何优于次优高校'),
          typeof runnerUp === 'string'
            ? h('p', {}, runnerUp)
            : [
                h('p', {}, `次优：${pick(runnerUp, 'university_name', 'name') || '—'}（质量 ${pick(runnerUp, 'quality') !== undefined ? Number(pick(runnerUp, 'quality')).toFixed(3) : '—'}${pick(runnerUp, 'projects') !== undefined ? `，可承接 ${pick(runnerUp, 'projects')} 项` : ''}）`),
                pick(runnerUp, 'reason_zh', 'reason', 'summary') ? h('p', {}, pick(runnerUp, 'reason_zh', 'reason', 'summary')) : null,
              ],
        )
      : null,
  );
}

async function loadHistory(p, box) {
  try {
    const data = await get(`/v1/pairings/${encodeURIComponent(p.id)}/history`);
    mount(box, historyList(items(data)));
  } catch (err) {
    mount(box, failure(err, '审核记录', () => loadHistory(p, box)));
  }
}

async function loadComments(p, box) {
  try {
    const data = await get(`/v1/pairings/${encodeURIComponent(p.id)}/comments`);
    mount(box, commentList(items(data)));
  } catch (err) {
    if (!err.unavailable) {
      mount(box, failure(err, '评论', () => loadComments(p, box)));
      return;
    }
    try {
      const fresh = await get(`/v1/pairings/${encodeURIComponent(p.id)}`);
      mount(box, commentList(Array.isArray(fresh.comments) ? fresh.comments : []));
    } catch (err2) {
      mount(box, failure(err2, '评论', () => loadComments(p, box)));
    }
  }
}

function commentForm(p, listBox) {
  const text = h('textarea', { name: 'body', rows: '2', maxlength: '2000' });
  const notice = h('div', { class: 'form-notice', tabindex: '-1' });
  const submit = h('button', { type: 'submit', class: 'btn btn-small' }, '发表评论');
  const form = h('form', { class: 'form comment-form', novalidate: true }, field('添加评论', text), notice, submit);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearFieldErrors(form);
    mount(notice);
    const body = text.value.trim();
    if (!body) {
      setFieldError(form, 'body', '请填写评论内容。');
      text.focus();
      return;
    }
    try {
      await busy(submit, () => post(`/v1/pairings/${encodeURIComponent(p.id)}/comments`, { body }), '正在发表…');
      text.value = '';
      toast('评论已发表');
      loadComments(p, listBox);
    } catch (err) {
      mount(notice, err.unavailable ? h('p', { class: 'muted' }, '评论功能暂未开放。') : errorNotice(err, { context: '评论未发表' }));
    }
  });
  return form;
}

function reviewForm(p, ctx) {
  const isOpen = p.status === 'proposed' && !p.superseded_by;
  const comment = h('textarea', { name: 'comment', rows: '4', maxlength: '2000', placeholder: '审核意见将记入审核记录，园区和高校可见。' });
  const notice = h('div', { class: 'form-notice', tabindex: '-1', 'aria-live': 'assertive' });
  const buttons = [
    ['approve', '通过', 'btn-approve'],
    ['request_changes', '要求修改', 'btn-warn'],
    ['reject', '驳回', 'btn-danger'],
  ].map(([decision, label, cls]) => h('button', { type: 'submit', class: ['btn', cls], value: decision, name: 'decision', dataset: { decision } }, label));
  const form = h(
    'form',
    { class: 'form review-form', novalidate: true },
    isOpen
      ? null
      : h(
          'p',
          { class: 'notice notice-info' },
          p.superseded_by
            ? ['该配对已由重新提议的方案（批次 ', h('a', { href: `#/proposals?job=${encodeURIComponent(p.superseded_by)}` }, p.superseded_by), '）取代，不再审核。']
            : `该配对当前为“${STATUS_LABELS[p.status] || p.status}”，只有待审核的配对可以审核。`,
        ),
    field('审核意见', comment, { hint: '通过时可不填；驳回或要求修改时必须填写。' }),
    notice,
    h('div', { class: 'review-actions' }, buttons),
    h('p', { class: 'hint' }, `当前版本 ${p.version}。若他人在您审核前修改了此配对，系统会拒绝本次操作并提示重新加载。`),
  );
  if (!isOpen) buttons.forEach((b) => (b.disabled = true));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const button = e.submitter || buttons[0];
    const decision = button.dataset.decision;
    clearFieldErrors(form);
    mount(notice);
    const text = comment.value.trim();
    if (decision !== 'approve' && !text) {
      setFieldError(form, 'comment', '驳回或要求修改时必须填写审核意见。');
      comment.focus();
      return;
    }
    try {
      await busy(button, () => post(`/v1/pairings/${encodeURIComponent(p.id)}/reviews`, { decision, comment: text, version: p.version }), '正在提交…');
      toast(`已${ACTION_LABELS[decision]}：${nameOf(null, p.zone_id, pick(p, 'zone_name'))} × ${nameOf(null, p.university_id, pick(p, 'university_name'))}`);
      ctx.refresh();
    } catch (err) {
      if (err.status === 409) {
        mount(
          notice,
          h(
            'div',
            { class: 'notice notice-error conflict', role: 'alert' },
            h('p', {}, h('strong', {}, '未提交：'), sentence(err)),
            h('button', { type: 'button', class: 'btn btn-small', onClick: () => ctx.refresh() }, '重新加载此配对'),
          ),
        );
        notice.querySelector('button').focus();
      } else if (err.code === 'comment_required') {
        setFieldError(form, 'comment', sentence(err));
        comment.focus();
      } else {
        mount(notice, errorNotice(err, { context: '审核未提交' }));
        notice.focus();
      }
    }
  });
  return panel('审核', form);
}
