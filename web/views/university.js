// University views: enterprise demands that fit the university's teams per track (best team and why), as
// a ranked list or grouped by team with each title once, the list of own teams, and the team editor with
// achievements, validated like the dataset contract.

import { get, getAll, items } from '../api.js';
import {
  h, mount, loading, failure, loadList, pageHeader, table, fmtNumber, field, newId, degreeBar,
} from '../ui.js';
import * as refs from '../refs.js';
import { pick, nameOf } from '../refs.js';
import { explanation } from '../explain.js';
import { rankedCardHead, rankingLoader, pagedList, listState, compareBy, RANKING_CAP } from './shared.js';
import { demandLink, teamLink, zoneLink } from './pages.js';
import { checkboxGroup, checkedValues, splitList, joinList, ID_PATTERN, suggestId, recordEditor } from './forms.js';

async function ownTeams(uni, uniId) {
  if (Array.isArray(uni && uni.teams)) return uni.teams;
  const data = await get('/v1/teams', { university_id: uniId, limit: 100 });
  return items(data).filter((t) => !t.university_id || String(t.university_id) === String(uniId));
}

function demandCard(d, index, maps) {
  const title = pick(d, 'title', 'demand_title', 'demand.title') || pick(d, 'demand_id', 'id');
  const zoneId = pick(d, 'zone_id', 'demand.zone_id', 'zone.id');
  const zoneName = pick(d, 'zone_name', 'zone.name') || nameOf(maps.zones, zoneId);
  const ent = pick(d, 'enterprise.name', 'demand.enterprise.name');
  const team = pick(d, 'best_team', 'team') || (Array.isArray(d.teams) ? d.teams[0] : null);
  const teamName = team ? pick(team, 'team_name', 'name', 'team.name') || pick(team, 'team_id', 'id') : pick(d, 'best_team_name', 'team_name');
  const leader = team ? pick(team, 'leader', 'team.leader') : null;
  const ex = pick(d, 'explanation') || (team && pick(team, 'explanation'));
  const exEl = explanation(ex, { context: [{ label: '需求', text: title }, teamName ? { label: '团队', text: teamName } : null] });
  return h(
    'article',
    { class: 'card candidate', 'aria-labelledby': `dem-${index}` },
    rankedCardHead({
      index,
      idPrefix: 'dem',
      title,
      titleNode: pick(d, 'demand_id') ? demandLink(pick(d, 'demand_id'), title) : null,
      subtitle: [zoneLink(zoneId, zoneName), ent ? ` · ${ent}` : null],
      scoreLabel: '匹配得分',
      score: pick(d, 'score'),
      degree: pick(d, 'explanation.degree'),
    }),
    teamName
      ? h(
          'p',
          { class: 'best-team' },
          h('span', { class: 'muted' }, '最佳团队：'),
          h('strong', {}, pick(d, 'best_team_id') ? teamLink(pick(d, 'best_team_id'), teamName) : teamName),
          leader && leader.name ? h('span', { class: 'muted' }, ` · 负责人 ${leader.name}${leader.title ? `（${leader.title}）` : ''}`) : null,
        )
      : null,
    pick(d, 'demand_id') ? h('p', { class: 'demand-link' }, demandLink(pick(d, 'demand_id'), '查看需求详情')) : null,
    exEl ? h('details', { class: 'explain-box', open: index === 0 }, h('summary', {}, '为什么推荐'), exEl) : h('p', { class: 'muted' }, '暂无匹配说明。'),
  );
}

/**
 * Fitting demands grouped by their best team (`best`: the team's highest score); within a team each title
 * once, with the demands of that title (one per zone that posted it) best first.
 */
export function groupByTeam(list) {
  const groups = new Map();
  for (const d of list) {
    const key = String(d.best_team_id);
    if (!groups.has(key)) groups.set(key, { teamId: d.best_team_id, teamName: d.best_team_name || d.best_team_id, titles: new Map(), count: 0, best: -Infinity });
    const g = groups.get(key);
    g.count += 1;
    g.best = Math.max(g.best, Number(d.score) || 0);
    const title = String(d.demand_title || d.demand_id);
    if (!g.titles.has(title)) g.titles.set(title, []);
    g.titles.get(title).push(d);
  }
  return [...groups.values()].map((g) => ({ ...g, titles: [...g.titles.entries()].map(([title, demands]) => ({ title, demands })) }));
}

function teamGroup(g, maps) {
  return h(
    'article',
    { class: 'card team-group', 'data-test': 'team-group' },
    h('header', { class: 'card-head' }, h('div', { class: 'card-title' }, h('h3', {}, teamLink(g.teamId, g.teamName)), h('p', { class: 'muted' }, `适配 ${g.count} 条需求，${g.titles.length} 个不同标题`))),
    h(
      'ul',
      { class: 'plain group-titles' },
      g.titles.map(({ title, demands }) => {
        const best = demands[0];
        return h(
          'li',
          { class: 'group-title' },
          h('p', { class: 'ranked-line' }, demandLink(best.demand_id, title), pick(best, 'explanation.degree') ? degreeBar(pick(best, 'explanation.degree')) : null),
          h(
            'p',
            { class: 'muted' },
            demands.length > 1 ? `${demands.length} 个园区发布：` : '发布园区：',
            demands.map((d, i) => [i ? '、' : '', demands.length > 1 ? demandLink(d.demand_id, d.zone_name || nameOf(maps.zones, d.zone_id)) : zoneLink(d.zone_id, d.zone_name || nameOf(maps.zones, d.zone_id))]),
          ),
        );
      }),
    ),
  );
}

export async function renderFittingDemands(ctx) {
  const { view, me, query } = ctx;
  mount(view, loading());
  const maps = await refs.all();
  const uni = maps.universities.get(String(me.universityId));
  let trackId = query.get('track') || '';
  const select = h(
    'select',
    { id: 'fit-track' },
    h('option', { value: '' }, '全部赛道'),
    refs.trackGroups(maps.tracks).map((g) => h('optgroup', { label: g.label }, g.tracks.map((t) => h('option', { value: t.id, selected: String(t.id) === trackId }, t.name)))),
  );
  const results = h('div', { class: 'results', 'aria-live': 'polite' });
  const toolbar = h('div', { class: 'toolbar' });
  mount(
    view,
    pageHeader('适配企业需求', `${uni ? uni.name : me.universityId}：与本校团队最契合的园区企业需求，附最佳团队与推荐理由`),
    toolbar,
    results,
  );
  const state = listState(query);
  let grouping = query.get('group') === 'team' ? 'team' : '';
  const groupSel = h(
    'select',
    { id: 'fit-group', 'data-test': 'fit-group' },
    h('option', { value: '', selected: !grouping }, '逐条（按匹配度）'),
    h('option', { value: 'team', selected: grouping === 'team' }, '按团队分组'),
  );
  const zoneName = (d) => d.zone_name || nameOf(maps.zones, d.zone_id);
  const load = rankingLoader(ctx, results, {
    query: () => ({ track: trackId, group: grouping }),
    loadingText: '正在匹配企业需求…',
    fetch: () => getAll(`/v1/universities/${encodeURIComponent(me.universityId)}/demands`, { track: trackId }),
    empty: () => ({
      title: trackId ? `“${nameOf(maps.tracks, trackId)}”赛道暂无适配的企业需求` : '暂无适配的企业需求',
      body: '推荐基于本校团队的研究方向和成果。请换一个赛道，或在“本校团队”中补充团队的研究方向、关键词和代表性成果。',
      action: h('a', { class: 'btn', href: '#/teams' }, '完善团队信息'),
    }),
    show: (list) =>
      grouping === 'team'
        ? [
            h('p', { class: 'muted' }, `${list.length} 条适配需求按最佳团队分组；同名需求只列一次，并注明发布它的各个园区`),
            pagedList(ctx, {
              rows: groupByTeam(list),
              state,
              sorts: [
                { id: 'best', label: '按最高匹配度', compare: compareBy((g) => g.best, { desc: true }) },
                { id: 'count', label: '按适配需求数', compare: compareBy((g) => g.count, { desc: true }) },
                { id: 'name', label: '按团队名称', compare: compareBy((g) => g.teamName) },
              ],
              pageSize: 5,
              noun: '个团队',
              unit: '个',
              label: '团队分组',
              render: (groups) => groups.map((g) => teamGroup(g, maps)),
            }),
          ]
        : [
            h('p', { class: 'muted' }, '按匹配度排序；第一页上每个团队不超过其应得的份额，便于看到各团队的机会'),
            pagedList(ctx, {
              rows: list,
              state,
              sorts: [
                { id: 'score', label: '按匹配度', compare: null },
                { id: 'zone', label: '按园区', compare: compareBy(zoneName) },
                { id: 'team', label: '按团队', compare: compareBy((d) => d.best_team_name) },
                { id: 'title', label: '按需求标题', compare: compareBy((d) => d.demand_title) },
              ],
              noun: '条适配需求',
              unit: '条',
              label: '适配需求',
              cap: RANKING_CAP,
              render: (page, offset) => page.map((d, i) => demandCard(d, i + offset, maps)),
            }),
          ],
    what: '适配需求',
  });
  select.addEventListener('change', () => {
    state.page = 1;
    trackId = select.value;
    load();
  });
  groupSel.addEventListener('change', () => {
    state.page = 1;
    state.sort = '';
    grouping = groupSel.value;
    load();
  });
  mount(toolbar, h('label', { for: 'fit-track' }, '赛道'), select, h('label', { for: 'fit-group' }, '显示方式'), groupSel);
  await load();
}

export async function renderTeams(ctx) {
  const { view, me } = ctx;
  mount(view, loading());
  const maps = await refs.all();
  let uni = maps.universities.get(String(me.universityId));
  try {
    uni = await get(`/v1/universities/${encodeURIComponent(me.universityId)}`);
  } catch {
    // The list entry is enough for the header.
  }
  const box = h('div', {}, loading('正在加载团队…'));
  mount(
    view,
    pageHeader('本校团队', `${uni ? uni.name : me.universityId}：维护团队的研究方向、领军人才和代表性成果，推荐结果随之更新`, h('a', { class: 'btn btn-primary', href: '#/teams/new' }, '新增团队'), h('a', { class: 'btn', href: `#/university/${encodeURIComponent(me.universityId)}` }, '本校主页')),
    h('section', { class: 'panel' }, box),
  );
  const teams = await loadList(ctx, box, '团队列表', () => ownTeams(uni, me.universityId), {
    title: '本校还没有登记科研团队',
    body: '登记团队的研究方向和代表性成果后，系统才能为本校推荐适配的企业需求，并把本校纳入配对方案。',
    action: { href: '#/teams/new', label: '登记第一个团队' },
  });
  if (!teams) return;
  const hasDetail = teams.some((t) => t.leader || t.fields || t.achievements);
  mount(
    box,
    pagedList(ctx, {
      rows: teams,
      state: listState(ctx.query),
      sorts: [
        { id: 'id', label: '按编号', compare: null },
        { id: 'name', label: '按团队名称', compare: compareBy((t) => t.name) },
        { id: 'track', label: '按赛道', compare: compareBy((t) => nameOf(maps.tracks, (t.track_ids || [])[0])) },
        hasDetail ? { id: 'achievements', label: '按成果数', compare: compareBy((t) => (t.achievements || []).length, { desc: true }) } : null,
      ].filter(Boolean),
      noun: '个团队',
      unit: '个',
      label: '团队',
      render: (rows) =>
        table(
          [
            { label: '团队名称', cell: (t) => h('span', { class: 'cell-title' }, teamLink(t.id, t.name)) },
            hasDetail ? { label: '负责人', cell: (t) => (t.leader ? `${t.leader.name}${t.leader.title ? `（${t.leader.title}）` : ''}` : '—') } : null,
            hasDetail ? { label: '研究领域', cell: (t) => (t.fields || []).join('、') || '—' } : null,
            { label: '赛道', cell: (t) => (t.track_ids || []).map((id) => nameOf(maps.tracks, id)).join('、') || '—' },
            hasDetail ? { label: '成果数', num: true, cell: (t) => fmtNumber((t.achievements || []).length) } : null,
            hasDetail ? { label: '可承接项目', num: true, cell: (t) => fmtNumber(t.capacity ?? 3) } : null,
            { label: '操作', class: 'actions', cell: (t) => h('a', { class: 'btn btn-small', href: `#/teams/${encodeURIComponent(t.id)}/edit`, 'aria-label': `编辑团队：${t.name}` }, '编辑') },
          ].filter(Boolean),
          rows,
        ),
    }),
  );
}

const ACH_KINDS = [
  ['paper', '论文'],
  ['patent', '专利'],
  ['project', '项目'],
  ['standard', '标准'],
  ['award', '奖励'],
];

function achievementRow(a = {}, onRemove) {
  const kindId = newId('ak');
  const titleId = newId('at');
  const yearId = newId('ay');
  const absId = newId('ab');
  const row = h(
    'fieldset',
    { class: 'ach-row' },
    h('legend', { class: 'sr-only' }, '代表性成果'),
    h('div', { class: 'ach-row-grid' },
      h('div', {}, h('label', { for: kindId }, '类型'), h('select', { id: kindId, class: 'ach-kind' }, ACH_KINDS.map(([v, l]) => h('option', { value: v, selected: a.kind === v }, l)))),
      h('div', {}, h('label', { for: titleId }, '题名'), h('input', { id: titleId, class: 'ach-title-in', value: a.title || '' })),
      h('div', {}, h('label', { for: yearId }, '年份'), h('input', { id: yearId, class: 'ach-year', type: 'number', min: '1950', max: '2100', value: a.year ?? '' })),
      h('div', { class: 'ach-remove' }, h('button', { type: 'button', class: 'btn btn-small btn-ghost-dark', onClick: () => onRemove(row) }, '移除')),
    ),
    h('label', { for: absId }, '摘要'),
    h('textarea', { id: absId, class: 'ach-abstract', rows: '2' }),
  );
  row.querySelector('.ach-abstract').value = a.abstract || '';
  return row;
}

/**
 * Platforms from lines “名称（类型）”; a line naming a platform the team has keeps its other fields.
 * Returns { list, problem }.
 */
export function parsePlatforms(text, existing) {
  const list = [];
  let problem = '';
  String(text || '')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .forEach((line, i) => {
      const m = line.match(/^(.+?)\s*[（(]\s*([^（）()]+?)\s*[）)]$/);
      const name = (m ? m[1] : line).trim();
      const kind = m ? m[2].trim() : '';
      if (!kind) problem = `第 ${i + 1} 行平台请写作“名称（类型）”。`;
      const old = existing.find((p) => p.name === name);
      list.push({ ...(old || {}), name, kind: kind || (old && old.kind) || '' });
    });
  return { list, problem };
}

export async function renderTeamForm(ctx) {
  const { view, me, params, navigate } = ctx;
  const editing = Boolean(params.id);
  mount(view, loading());
  let team = { university_id: me.universityId, capacity: 3 };
  let maps;
  try {
    const [t, m] = await Promise.all([editing ? get(`/v1/teams/${encodeURIComponent(params.id)}`) : Promise.resolve(null), refs.all()]);
    if (t) team = t;
    maps = m;
  } catch (err) {
    mount(view, pageHeader(editing ? '编辑团队' : '新增团队'), failure(err, '团队', () => ctx.refresh()));
    return;
  }
  const leader = team.leader || {};
  const inputs = {
    id: h('input', { name: 'id', value: team.id || suggestId('t', me.universityId), readonly: editing, class: 'mono', maxlength: '64' }),
    name: h('input', { name: 'name', value: team.name || '', maxlength: '100' }),
    leaderName: h('input', { name: 'leader.name', value: leader.name || '' }),
    leaderTitle: h('input', { name: 'leader.title', value: leader.title || '', placeholder: '如：教授、研究员' }),
    honors: h('input', { name: 'leader.honors', value: joinList(leader.honors) }),
    fields: h('input', { name: 'fields', value: joinList(team.fields) }),
    description: h('textarea', { name: 'description', rows: '5' }),
    keywords: h('input', { name: 'keywords', value: joinList(team.keywords) }),
    capacity: h('input', { name: 'capacity', type: 'number', min: '0', max: '100', step: '1', value: team.capacity ?? 3 }),
    members: h('input', { name: 'members', type: 'number', min: '1', step: '1', value: team.members ?? '' }),
    platforms: h('textarea', { name: 'platforms', rows: '3' }),
  };
  inputs.description.value = team.description || '';
  inputs.platforms.value = (team.platforms || []).map((p) => `${p.name}（${p.kind}）`).join('\n');
  const achList = h('div', { class: 'ach-list' });
  const removeRow = (row) => row.remove();
  (team.achievements || []).forEach((a) => achList.append(achievementRow(a, removeRow)));
  const achBox = h(
    'div',
    { class: 'field', dataset: { field: 'achievements' } },
    h('p', { class: 'label-like' }, '代表性成果'),
    h('p', { class: 'hint' }, '论文、专利、项目、标准或奖励；每项至少填写题名或摘要。'),
    achList,
    h('button', { type: 'button', class: 'btn btn-small', onClick: () => { const row = achievementRow({}, removeRow); achList.append(row); row.querySelector('.ach-title-in').focus(); } }, '添加成果'),
    h('p', { class: 'field-error', 'aria-live': 'polite' }),
  );
  const trackOptions = [...maps.tracks.values()].map((t) => ({ value: t.id, label: t.name, group: refs.TRACK_KIND[t.kind] || '其他' }));
  const form = recordEditor({
    editing,
    noun: '团队',
    collection: 'teams',
    home: 'teams',
    navigate,
    record: team,
    title: team.name,
    saved: '团队信息已保存',
    created: '团队已登记',
    fields: [
      field('团队编号', inputs.id, { hint: editing ? '编号创建后不可修改。' : '系统已生成编号，可修改（字母、数字、-、_、.）。', required: true }),
      field('团队名称', inputs.name, { required: true }),
      h('div', { class: 'form-row' }, field('负责人姓名', inputs.leaderName), field('职称', inputs.leaderTitle)),
      field('人才称号', inputs.honors, { hint: '如国家杰青、长江学者等，多个用顿号分隔。' }),
      field('研究领域', inputs.fields, { hint: '多个用顿号或逗号分隔。' }),
      field('团队简介', inputs.description, { hint: '研究方向、代表性成果、可提供的技术服务。简介与代表性成果至少填写一项。' }),
      field('关键词', inputs.keywords, { hint: '多个用顿号或逗号分隔。' }),
      h('div', { class: 'form-row' }, field('可同时承接项目数', inputs.capacity, { hint: '配对方案中分配给本团队的标杆项目不超过此数。' }), field('团队人数', inputs.members)),
      checkboxGroup('track_ids', '所属赛道', trackOptions, (team.track_ids || []).map(String)),
      field('创新平台', inputs.platforms, { hint: '每行一个，写作“名称（类型）”，如：江苏省功率器件工程技术研究中心（工程中心）。' }),
      achBox,
    ],
    collect: (form, problems) => {
      const body = { id: inputs.id.value.trim(), university_id: team.university_id || me.universityId, name: inputs.name.value.trim() };
      const lName = inputs.leaderName.value.trim();
      const lTitle = inputs.leaderTitle.value.trim();
      const honors = splitList(inputs.honors.value);
      if (lName) body.leader = { name: lName, ...(lTitle ? { title: lTitle } : {}), ...(honors.length ? { honors } : {}) };
      else if (lTitle || honors.length) problems.push(['leader.name', '填写职称或人才称号时请同时填写负责人姓名。']);
      const fields = splitList(inputs.fields.value);
      if (fields.length) body.fields = fields;
      const description = inputs.description.value.trim();
      if (description) body.description = description;
      const keywords = splitList(inputs.keywords.value);
      if (keywords.length) body.keywords = keywords;
      const tracks = checkedValues(form, 'track_ids');
      if (tracks.length) body.track_ids = tracks;
      const platforms = parsePlatforms(inputs.platforms.value, team.platforms || []);
      if (platforms.problem) problems.push(['platforms', platforms.problem]);
      if (platforms.list.length) body.platforms = platforms.list;
      const achievements = [];
      let achProblem = '';
      achList.querySelectorAll('.ach-row').forEach((row, i) => {
        const a = { kind: row.querySelector('.ach-kind').value };
        const title = row.querySelector('.ach-title-in').value.trim();
        const abs = row.querySelector('.ach-abstract').value.trim();
        const yearText = row.querySelector('.ach-year').value.trim();
        if (title) a.title = title;
        if (abs) a.abstract = abs;
        if (!title && !abs) achProblem = `第 ${i + 1} 项成果的题名和摘要至少填写一项。`;
        if (yearText) {
          const y = Number(yearText);
          if (!Number.isInteger(y) || y < 1950 || y > new Date().getFullYear() + 1) achProblem = `第 ${i + 1} 项成果的年份不合理。`;
          else a.year = y;
        }
        achievements.push(a);
      });
      if (achievements.length) body.achievements = achievements;
      if (achProblem) problems.push(['achievements', achProblem]);
      const capacity = Number(inputs.capacity.value);
      if (inputs.capacity.value.trim() === '' || !Number.isInteger(capacity) || capacity < 0) problems.push(['capacity', '可承接项目数须为不小于 0 的整数。']);
      else body.capacity = capacity;
      const membersText = inputs.members.value.trim();
      if (membersText) {
        const m = Number(membersText);
        if (!Number.isInteger(m) || m < 1) problems.push(['members', '团队人数须为正整数。']);
        else body.members = m;
      }
      if (!ID_PATTERN.test(body.id)) problems.push(['id', '编号只能包含字母、数字、“-”“_”“.”，最长 64 位。']);
      if (!body.name) problems.push(['name', '请填写团队名称。']);
      if (!description && !achievements.length) problems.push(['description', '团队简介与代表性成果至少填写一项，否则无法匹配需求。']);
      return body;
    },
  });
  mount(view, pageHeader(editing ? '编辑团队' : '新增团队', '团队信息用于匹配企业需求和生成配对方案'), h('section', { class: 'panel' }, form));
}
