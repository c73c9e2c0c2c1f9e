// Zone manager views: the zone's profile and demand list, candidate universities and teams per track with
// explanations, and the demand editor (create, edit, delete) with field-level validation.

import { get, getAll, items } from '../api.js';
import {
  h, mount, loading, failure, emptyState, pageHeader, table, scoreBar, degreeBar, fmtScore, fmtNumber,
  field, highlight, loadList,
} from '../ui.js';
import * as refs from '../refs.js';
import { pick, nameOf } from '../refs.js';
import { explanation, matchedTerms } from '../explain.js';
import { rankedCardHead, rankingLoader, pagedList, listState, compareBy, RANKING_CAP } from './shared.js';
import { demandLink, teamLink, universityLink, zoneProfile } from './pages.js';
import { checkboxGroup, checkedValues, splitList, joinList, isDate, ID_PATTERN, suggestId, recordEditor } from './forms.js';

/** The zone's demands: embedded in the zone, or from the demand list filtered by zone. */
async function zoneDemands(zone, zoneId) {
  if (Array.isArray(zone && zone.demands)) return zone.demands;
  const data = await get('/v1/demands', { zone_id: zoneId, limit: 100 });
  return items(data).filter((d) => !d.zone_id || String(d.zone_id) === String(zoneId));
}

export async function renderZoneHome(ctx) {
  const { view, me } = ctx;
  mount(view, loading());
  let zone;
  let maps;
  try {
    [zone, maps] = await Promise.all([get(`/v1/zones/${encodeURIComponent(me.zoneId)}`), refs.all()]);
  } catch (err) {
    mount(view, pageHeader('园区概况与需求'), failure(err, '园区概况', () => ctx.refresh()));
    return;
  }
  const demandsBox = h('div', {}, loading('正在加载需求清单…'));
  mount(
    view,
    pageHeader(
      zone.name || me.zoneId,
      `${zone.city || ''}${zone.city ? ' · ' : ''}产业需求清单与双高协同概况`,
      h('a', { class: 'btn btn-primary', href: '#/demands/new' }, '新增需求'),
      h('a', { class: 'btn', href: '#/candidates' }, '查看候选高校'),
    ),
    zoneProfile(zone, maps),
    h('section', { class: 'panel' }, h('h2', {}, '产业需求清单'), demandsBox),
  );
  const demands = await loadList(ctx, demandsBox, '需求清单', () => zoneDemands(zone, me.zoneId), {
    title: '本园区还没有登记企业需求',
    body: '登记企业的技术需求后，系统会为每条需求推荐合适的高校团队，并用于生成双高协同配对方案。',
    action: { href: '#/demands/new', label: '登记第一条需求' },
  });
  if (!demands) return;
  const filter = h('input', { type: 'search', id: 'demand-filter', placeholder: '按需求标题筛选' });
  const trackSelect = h('select', { id: 'demand-track' }, h('option', { value: '' }, '全部赛道'), (zone.track_ids || []).map((id) => h('option', { value: id }, nameOf(maps.tracks, id))));
  const tableBox = h('div');
  const hasDetail = demands.some((d) => d.enterprise || d.budget_wan_yuan !== undefined || d.deadline);
  const state = listState(ctx.query);
  const sorts = [
    { id: 'id', label: '按编号', compare: null },
    { id: 'title', label: '按需求标题', compare: compareBy((d) => d.title || d.name) },
    { id: 'track', label: '按赛道', compare: compareBy((d) => nameOf(maps.tracks, (d.track_ids || [])[0])) },
    hasDetail ? { id: 'budget', label: '按预算（高到低）', compare: compareBy((d) => d.budget_wan_yuan, { desc: true }) } : null,
    hasDetail ? { id: 'deadline', label: '按截止日期', compare: compareBy((d) => d.deadline) } : null,
  ].filter(Boolean);
  const draw = () => {
    const q = filter.value.trim().toLowerCase();
    const t = trackSelect.value;
    const rows = demands.filter((d) => {
      if (t && !(d.track_ids || []).includes(t)) return false;
      if (!q) return true;
      const hay = [d.title, d.name, d.description, d.enterprise && d.enterprise.name, ...(d.keywords || [])].join(' ').toLowerCase();
      return hay.includes(q);
    });
    mount(
      tableBox,
      rows.length !== demands.length ? h('p', { class: 'count' }, `本园区共 ${demands.length} 条需求，筛选后如下`) : null,
      rows.length
        ? pagedList(ctx, {
            rows,
            state,
            sorts,
            noun: '条需求',
            unit: '条',
            label: '需求清单',
            render: (page) =>
              table(
                [
                  { label: '需求标题', cell: (d) => h('span', { class: 'cell-title' }, demandLink(d.id, d.title || d.name)) },
                  hasDetail ? { label: '企业', cell: (d) => (d.enterprise && d.enterprise.name) || '—' } : null,
                  { label: '所属赛道', cell: (d) => (d.track_ids || []).map((id) => nameOf(maps.tracks, id)).join('、') || '—' },
                  hasDetail ? { label: '预算（万元）', num: true, cell: (d) => (d.budget_wan_yuan !== undefined && d.budget_wan_yuan !== null ? fmtNumber(d.budget_wan_yuan) : '—') } : null,
                  hasDetail ? { label: '截止日期', cell: (d) => d.deadline || '—' } : null,
                  { label: '操作', class: 'actions', cell: (d) => h('a', { class: 'btn btn-small', href: `#/demands/${encodeURIComponent(d.id)}/edit`, 'aria-label': `编辑需求：${d.title || d.name}` }, '编辑') },
                ].filter(Boolean),
                page,
              ),
          })
        : emptyState({ title: '没有符合筛选条件的需求', body: '请调整筛选关键词或赛道。' }),
    );
  };
  const reset = () => {
    state.page = 1;
    draw();
  };
  filter.addEventListener('input', reset);
  trackSelect.addEventListener('change', reset);
  mount(
    demandsBox,
    h('div', { class: 'toolbar' }, h('label', { for: 'demand-filter', class: 'sr-only' }, '筛选需求'), filter, h('label', { for: 'demand-track' }, '赛道'), trackSelect),
    tableBox,
  );
  draw();
}

/** The track <select> of the candidates view: the zone's tracks first, then every other track. */
function trackSelect(maps, zoneTrackIds, value) {
  const own = zoneTrackIds.map(String);
  const others = [...maps.tracks.values()].filter((t) => !own.includes(String(t.id)));
  return h(
    'select',
    { id: 'cand-track', name: 'track' },
    h('option', { value: '' }, '全部赛道'),
    own.length ? h('optgroup', { label: '本园区重点赛道' }, own.map((id) => h('option', { value: id, selected: String(id) === value }, nameOf(maps.tracks, id)))) : null,
    others.length ? h('optgroup', { label: '其他赛道' }, others.map((t) => h('option', { value: t.id, selected: String(t.id) === value }, t.name))) : null,
  );
}

function teamLine(team) {
  const leader = team.leader;
  const name = team.name;
  return h(
    'li',
    { class: 'team-line' },
    h('span', { class: 'team-name' }, team.id ? teamLink(team.id, name) : name),
    leader && leader.name
      ? h('span', { class: 'muted' }, ` · 负责人 ${leader.name}${leader.title ? `（${leader.title}）` : ''}`)
      : null,
    leader && (leader.honors || []).length ? h('span', { class: 'tag tag-honor' }, leader.honors[0]) : null,
    team.degree ? degreeBar(team.degree, { label: `${name} 匹配度` }) : team.score !== undefined ? scoreBar(team.score, { label: `${name} 得分` }) : null,
  );
}

/** Reads one candidate whichever field names the service uses (best_teams/top_matches or teams/demands). */
function readCandidate(c, demandTitles) {
  const teams = (pick(c, 'best_teams', 'teams') || []).map((t) => ({
    id: pick(t, 'team_id', 'id'),
    name: pick(t, 'team_name', 'name', 'team.name') || pick(t, 'team_id', 'id'),
    leader: pick(t, 'leader', 'team.leader'),
    score: pick(t, 'score'),
    degree: pick(t, 'degree'),
    demandIds: pick(t, 'demand_ids') || [],
  }));
  const teamName = (id) => (teams.find((t) => String(t.id) === String(id)) || {}).name || id;
  const matches = (pick(c, 'top_matches', 'demands', 'fitting_demands', 'matched_demands') || []).map((m) => {
    const demandId = pick(m, 'demand_id', 'id');
    return {
      demandId,
      title: pick(m, 'title', 'demand_title', 'demand.title') || demandTitles.get(String(demandId)) || demandId,
      teamId: pick(m, 'team_id'),
      teamName: pick(m, 'team_name') || (pick(m, 'team_id') ? teamName(pick(m, 'team_id')) : ''),
      teamKnown: Boolean(pick(m, 'team_name')) || teams.some((t) => String(t.id) === String(pick(m, 'team_id'))),
      score: pick(m, 'score'),
      degree: pick(m, 'explanation.degree'),
      explanation: pick(m, 'explanation'),
    };
  });
  return {
    uniId: pick(c, 'university_id', 'university.id', 'id'),
    uniName: pick(c, 'university_name', 'university.name', 'name'),
    score: pick(c, 'score', 'aggregate_score', 'total_score'),
    degree: pick(c, 'degree'),
    fit: pick(c, 'demands_fit'),
    considered: pick(c, 'demands_considered'),
    teams,
    matches,
    explanation: pick(c, 'explanation') || (matches[0] && matches[0].explanation) || (teams[0] && pick((pick(c, 'best_teams', 'teams') || [])[0], 'explanation')),
  };
}

function candidateCard(raw, index, maps, trackId, demandTitles) {
  const c = readCandidate(raw, demandTitles);
  const uniName = c.uniName || nameOf(maps.universities, c.uniId);
  const uni = maps.universities.get(String(c.uniId));
  const terms = matchedTerms(c.explanation).map((t) => t.term);
  const top = c.matches[0];
  const ctxTexts = top ? [{ label: '需求', text: String(top.title || '') }, top.teamKnown ? { label: '团队', text: String(top.teamName) } : null].filter(Boolean) : [];
  const trackName = trackId ? nameOf(maps.tracks, trackId) : '';
  const exEl = explanation(c.explanation, { context: ctxTexts });
  const fitLine = c.fit !== undefined ? `适配需求 ${c.fit}${c.considered !== undefined ? ` / ${c.considered}` : ''} 条` : `适配需求（${c.matches.length}）`;
  return h(
    'article',
    { class: 'card candidate', 'aria-labelledby': `cand-${index}` },
    rankedCardHead({
      index,
      idPrefix: 'cand',
      title: uniName,
      titleNode: c.uniId ? universityLink(c.uniId, uniName) : null,
      subtitle: [uni && uni.city, uni && (uni.kind === 'research' ? '研究型大学' : uni.kind === 'applied' ? '应用型高校' : ''), trackName].filter(Boolean).join(' · '),
      scoreLabel: '综合得分',
      score: c.score,
      degree: c.degree,
    }),
    h(
      'div',
      { class: 'two-col' },
      h(
        'div',
        {},
        h('h4', {}, `最佳团队（${c.teams.length}）`),
        c.teams.length ? h('ul', { class: 'plain team-list' }, c.teams.slice(0, 3).map((t) => teamLine(t))) : h('p', { class: 'muted' }, '暂无团队明细。'),
      ),
      h(
        'div',
        {},
        h('h4', {}, fitLine),
        c.matches.length
          ? h(
              'ul',
              { class: 'plain demand-list' },
              c.matches.slice(0, 5).map((m) =>
                h(
                  'li',
                  {},
                  h('span', { class: 'demand-title' }, m.demandId ? demandLink(m.demandId, highlight(m.title, terms)) : highlight(m.title, terms), m.teamKnown ? h('span', { class: 'muted demand-team' }, ' ← ', m.teamId ? teamLink(m.teamId, m.teamName) : m.teamName) : null),
                  m.degree ? h('span', { class: 'muted num-inline' }, `${m.degree.value} ${m.degree.label}`) : m.score !== undefined ? h('span', { class: 'muted num-inline' }, fmtScore(m.score)) : null,
                ),
              ),
            )
          : h('p', { class: 'muted' }, '暂无需求明细。'),
      ),
    ),
    exEl
      ? h('details', { class: 'explain-box', open: index === 0 }, h('summary', {}, '匹配依据'), exEl)
      : h('p', { class: 'muted' }, '该候选暂无匹配说明。'),
  );
}

export async function renderCandidates(ctx) {
  const { view, me, query } = ctx;
  const isDept = me.kind === 'department';
  mount(view, loading());
  const maps = await refs.all();
  let zoneId = isDept ? query.get('zone') || '' : me.zoneId;
  if (isDept && !zoneId) zoneId = maps.zones.size ? [...maps.zones.keys()][0] : '';
  let zone = maps.zones.get(String(zoneId));
  try {
    if (zoneId) zone = await get(`/v1/zones/${encodeURIComponent(zoneId)}`);
  } catch (err) {
    if (!zone) {
      mount(view, pageHeader('候选高校与团队'), failure(err, '园区信息', () => ctx.refresh()));
      return;
    }
  }
  const demandTitles = new Map(((zone && zone.demands) || []).map((d) => [String(d.id), d.title || d.name]));
  const zoneTracks = (zone && zone.track_ids) || [];
  let trackId = query.get('track') || '';
  const select = trackSelect(maps, zoneTracks, trackId);
  const zoneSelect = isDept
    ? h('select', { id: 'cand-zone', name: 'zone' }, [...maps.zones.values()].map((z) => h('option', { value: z.id, selected: String(z.id) === String(zoneId) }, `${z.name}（${z.city}）`)))
    : null;
  const results = h('div', { class: 'results', 'aria-live': 'polite' });
  mount(
    view,
    pageHeader(
      isDept ? '园区候选高校' : '候选高校与团队',
      `${zone ? zone.name : zoneId}：按赛道排序的候选高校，附最佳团队、适配需求和匹配依据`,
    ),
    h(
      'div',
      { class: 'toolbar' },
      zoneSelect ? [h('label', { for: 'cand-zone' }, '园区'), zoneSelect] : null,
      h('label', { for: 'cand-track' }, '赛道'),
      select,
    ),
    results,
  );
  const state = listState(query);
  const uniName = (c) => pick(c, 'university_name') || nameOf(maps.universities, pick(c, 'university_id'));
  const sorts = [
    { id: 'score', label: '按综合得分', compare: null },
    { id: 'degree', label: '按匹配度', compare: compareBy((c) => Number(pick(c, 'degree.value')), { desc: true }) },
    { id: 'fit', label: '按适配需求数', compare: compareBy((c) => Number(pick(c, 'demands_fit')), { desc: true }) },
    { id: 'name', label: '按高校名称', compare: compareBy(uniName) },
  ];
  const load = rankingLoader(ctx, results, {
    query: () => ({ zone: isDept ? zoneId : undefined, track: trackId }),
    loadingText: '正在计算候选高校…',
    fetch: () => getAll(`/v1/zones/${encodeURIComponent(zoneId)}/candidates`, { track: trackId }),
    empty: () => ({
      title: trackId ? `本园区在“${nameOf(maps.tracks, trackId)}”赛道暂无候选高校` : '本园区暂无候选高校',
      body: isDept
        ? '该园区在此赛道没有可匹配的企业需求，或高校团队尚未覆盖此方向。可换一个赛道，或提醒园区补充需求清单。'
        : '候选高校根据本园区的企业需求计算。请先在“园区概况与需求”中登记此赛道的企业需求，或换一个赛道查看。',
      action: isDept ? null : h('a', { class: 'btn', href: '#/demands/new' }, '登记需求'),
    }),
    show: (list) => [
      h('p', { class: 'muted' }, '综合得分既看匹配度，也看能适配本园区多少条需求'),
      pagedList(ctx, {
        rows: list,
        state,
        sorts,
        pageSize: 10,
        noun: '所候选高校',
        unit: '所',
        label: '候选高校',
        cap: RANKING_CAP,
        render: (page, offset) => page.map((c, i) => candidateCard(c, i + offset, maps, trackId, demandTitles)),
      }),
    ],
    what: '候选高校',
  });
  select.addEventListener('change', () => {
    state.page = 1;
    trackId = select.value;
    load();
  });
  if (zoneSelect) {
    zoneSelect.addEventListener('change', () => {
      ctx.navigate('candidates', { zone: zoneSelect.value, track: '' });
    });
  }
  await load();
}

const ENTERPRISE_SIZES = ['大型', '中型', '小型', '微型'];

export async function renderDemandForm(ctx) {
  const { view, me, params, navigate } = ctx;
  const editing = Boolean(params.id);
  mount(view, loading());
  let demand = { zone_id: me.zoneId };
  let maps;
  let zone;
  try {
    const [d, m, z] = await Promise.all([
      editing ? get(`/v1/demands/${encodeURIComponent(params.id)}`) : Promise.resolve(null),
      refs.all(),
      get(`/v1/zones/${encodeURIComponent(me.zoneId)}`).catch(() => null),
    ]);
    if (d) demand = d;
    maps = m;
    zone = z;
  } catch (err) {
    mount(view, pageHeader(editing ? '编辑需求' : '新增需求'), failure(err, '需求', () => ctx.refresh()));
    return;
  }
  const zoneTracks = ((zone && zone.track_ids) || []).map(String);
  const trackOptions = [...maps.tracks.values()]
    .map((t) => ({ value: t.id, label: t.name, group: zoneTracks.includes(String(t.id)) ? '本园区重点赛道' : refs.TRACK_KIND[t.kind] || '其他赛道' }))
    .sort((a, b) => (a.group === '本园区重点赛道' ? 0 : 1) - (b.group === '本园区重点赛道' ? 0 : 1));
  const enterprise = demand.enterprise || {};
  const inputs = {
    id: h('input', { name: 'id', value: demand.id || suggestId('d', me.zoneId), readonly: editing, class: 'mono', maxlength: '64' }),
    title: h('input', { name: 'title', value: demand.title || '', maxlength: '200' }),
    description: h('textarea', { name: 'description', rows: '5' }),
    enterpriseName: h('input', { name: 'enterprise.name', value: enterprise.name || '', maxlength: '100' }),
    enterpriseSize: h('select', { name: 'enterprise.size' }, h('option', { value: '' }, '未填写'), ENTERPRISE_SIZES.map((s) => h('option', { value: s, selected: enterprise.size === s }, s))),
    keywords: h('input', { name: 'keywords', value: joinList(demand.keywords) }),
    budget: h('input', { name: 'budget_wan_yuan', type: 'number', min: '0', step: 'any', inputmode: 'decimal', value: demand.budget_wan_yuan ?? '' }),
    deadline: h('input', { name: 'deadline', type: 'date', value: demand.deadline || '' }),
    excluded: h(
      'select',
      { name: 'excluded_university_ids', multiple: true, size: '6' },
      [...maps.universities.values()].map((u) => h('option', { value: u.id, selected: (demand.excluded_university_ids || []).includes(u.id) }, u.name)),
    ),
  };
  inputs.description.value = demand.description || '';
  const form = recordEditor({
    editing,
    noun: '需求',
    collection: 'demands',
    home: 'zone',
    navigate,
    record: demand,
    title: demand.title,
    saved: '需求已保存',
    created: '需求已登记，几秒内即可在检索和候选推荐中使用',
    fields: [
      field('需求编号', inputs.id, { hint: editing ? '编号创建后不可修改。' : '系统已生成编号，可按本园区规则修改（字母、数字、-、_、.）。', required: true }),
      field('需求标题', inputs.title, { hint: '一句话说明要解决的技术问题，例如“动力电池热失控早期预警”。', required: true }),
      field('需求描述', inputs.description, { hint: '写明痛点、技术指标、应用场景，越具体越容易匹配到合适团队。' }),
      h('div', { class: 'form-row' }, field('企业名称', inputs.enterpriseName), field('企业规模', inputs.enterpriseSize)),
      field('关键词', inputs.keywords, { hint: '多个关键词用顿号或逗号分隔。' }),
      h('div', { class: 'form-row' }, field('预算（万元）', inputs.budget), field('截止日期', inputs.deadline)),
      checkboxGroup('track_ids', '所属赛道', trackOptions, (demand.track_ids || []).map(String), { hint: '选择需求所属的产业赛道；未选择赛道的需求不会进入配对方案。' }),
      field('回避高校', inputs.excluded, { hint: '因利益冲突等原因不宜承接此需求的高校（按住 Ctrl 多选）。' }),
    ],
    collect: (form, problems) => {
      const body = {
        id: inputs.id.value.trim(),
        zone_id: demand.zone_id || me.zoneId,
        title: inputs.title.value.trim(),
      };
      const description = inputs.description.value.trim();
      if (description) body.description = description;
      const eName = inputs.enterpriseName.value.trim();
      if (eName) body.enterprise = { name: eName, ...(inputs.enterpriseSize.value ? { size: inputs.enterpriseSize.value } : {}) };
      const keywords = splitList(inputs.keywords.value);
      if (keywords.length) body.keywords = keywords;
      const tracks = checkedValues(form, 'track_ids');
      if (tracks.length) body.track_ids = tracks;
      const budgetText = inputs.budget.value.trim();
      const excluded = [...inputs.excluded.selectedOptions].map((o) => o.value);
      if (excluded.length) body.excluded_university_ids = excluded;
      const deadline = inputs.deadline.value.trim();
      if (deadline) body.deadline = deadline;
      if (!ID_PATTERN.test(body.id)) problems.push(['id', '编号只能包含字母、数字、“-”“_”“.”，最长 64 位。']);
      if (!body.title) problems.push(['title', '请填写需求标题。']);
      else if (body.title.length > 200) problems.push(['title', '需求标题不能超过 200 字。']);
      if (!eName && inputs.enterpriseSize.value) problems.push(['enterprise.name', '填写企业规模时请同时填写企业名称。']);
      if (keywords.some((k) => k.length > 50)) problems.push(['keywords', '单个关键词不能超过 50 字。']);
      if (budgetText) {
        const n = Number(budgetText);
        if (!Number.isFinite(n) || n < 0) problems.push(['budget_wan_yuan', '预算须为不小于 0 的数字（单位：万元）。']);
        else body.budget_wan_yuan = n;
      } else if (inputs.budget.validity && inputs.budget.validity.badInput) {
        problems.push(['budget_wan_yuan', '预算须为数字（单位：万元）。']);
      }
      if (deadline && !isDate(deadline)) problems.push(['deadline', '截止日期格式应为 年-月-日，例如 2026-06-30。']);
      return body;
    },
  });
  mount(
    view,
    pageHeader(editing ? '编辑需求' : '新增需求', `${zone ? zone.name : me.zoneId} · 产业需求清单`),
    h('section', { class: 'panel' }, form),
  );
}
