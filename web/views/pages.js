// Pages a link leads to, each with a bookmarkable hash route: a demand (full text, enterprise, budget,
// deadline, and the teams that fit it with why), a team (leader, fields, achievements, platforms, and the
// demands it fits when the caller may see them), a zone (profile, platforms, funds, its demands for those
// who may see them, its pairings) and a university (profile, teams, its pairings). Every place that names a
// demand, team, zone or university links here.

import { get, getAll } from '../api.js';
import { h, mount, loading, pageHeader, panel, chips, fmtNumber, degreeBar, table, statusBadge, fmtTime } from '../ui.js';
import * as refs from '../refs.js';
import { pick, nameOf } from '../refs.js';
import { explanation } from '../explain.js';
import { pagedList, listState, compareBy, RANKING_CAP } from './shared.js';

const ACHIEVEMENT_KIND = { paper: '论文', patent: '专利', project: '项目', standard: '标准', award: '奖励' };
const PLATFORM_KIND = {
  innovation_center: '创新中心',
  pilot_platform: '中试平台',
  shared_facility: '共享平台',
  key_lab: '重点实验室',
  engineering_center: '工程中心',
};

/** A link to a demand's page. */
export function demandLink(id, text) {
  return h('a', { href: `#/demand/${encodeURIComponent(id)}`, class: 'record-link' }, text || id);
}

/** A link to a team's page. */
export function teamLink(id, text) {
  return h('a', { href: `#/team/${encodeURIComponent(id)}`, class: 'record-link' }, text || id);
}

/** A link to a zone's page (the name alone when there is no id). */
export function zoneLink(id, text) {
  if (id === undefined || id === null || id === '') return text || '—';
  return h('a', { href: `#/zone/${encodeURIComponent(id)}`, class: 'record-link zone-link' }, text || refs.label('zones', id));
}

/** A link to a university's page (the name alone when there is no id). */
export function universityLink(id, text) {
  if (id === undefined || id === null || id === '') return text || '—';
  return h('a', { href: `#/university/${encodeURIComponent(id)}`, class: 'record-link university-link' }, text || refs.label('universities', id));
}

const LEVEL = { national: '国家级', provincial: '省级' };
const UNIVERSITY_KIND = { research: '研究型大学', applied: '应用型高校' };

function facts(rows) {
  return h(
    'dl',
    { class: 'facts' },
    rows.filter(([, v]) => v !== null && v !== undefined && v !== '').map(([k, v, wide]) => h('div', { class: wide ? 'wide' : undefined }, h('dt', {}, k), h('dd', {}, v))),
  );
}

function rankedList(list, offset, { name, link, degreeOf }) {
  return h(
    'ul',
    { class: 'plain ranked-links' },
    list.map((m, i) =>
      h(
        'li',
        { class: 'card' },
        h('p', { class: 'ranked-line' }, h('span', { class: 'rank', 'aria-label': `第 ${m.rank || offset + i + 1} 名` }, String(m.rank || offset + i + 1)), ' ', link(m), h('span', { class: 'muted' }, ' ', name(m)), degreeOf(m) ? degreeBar(degreeOf(m)) : null),
        h('details', { class: 'explain-box', open: offset + i === 0 }, h('summary', {}, '匹配依据'), explanation(pick(m, 'explanation')) || h('p', { class: 'muted' }, '暂无匹配说明。')),
      ),
    ),
  );
}

/** Sorts of a ranked list: by 匹配度 (the ranking's own order) and by the name of who it names. */
function rankedSorts(nameOfRow, nameLabel) {
  return [
    { id: 'score', label: '按匹配度', compare: null },
    { id: 'name', label: `按${nameLabel}`, compare: compareBy(nameOfRow) },
  ];
}

export async function renderDemandPage(ctx) {
  const { view, params, me } = ctx;
  mount(view, loading());
  const maps = await refs.all();
  const d = await get(`/v1/demands/${encodeURIComponent(params.id)}`);
  const tracks = (d.track_ids || []).map((id) => nameOf(maps.tracks, id));
  const zoneName = nameOf(maps.zones, d.zone_id);
  const mayRank = me.kind === 'department' || (me.kind === 'zone' && String(me.zoneId) === String(d.zone_id));
  let teamsBlock = h('p', { class: 'muted' }, '适配团队仅对需求所属高新区和省级管理部门开放。');
  if (mayRank) {
    const list = await getAll(`/v1/demands/${encodeURIComponent(d.id)}/teams`);
    const uniName = (m) => m.university_name || nameOf(maps.universities, m.university_id);
    teamsBlock = list.length
      ? pagedList(ctx, {
          rows: list,
          state: listState(ctx.query),
          sorts: rankedSorts(uniName, '高校'),
          pageSize: 10,
          noun: '个适配团队',
          cap: RANKING_CAP,
          unit: '个',
          label: '适配团队',
          render: (rows, offset) =>
            rankedList(rows, offset, {
              link: (m) => teamLink(m.team_id, m.team_name),
              name: (m) => universityLink(m.university_id, uniName(m)),
              degreeOf: (m) => pick(m, 'explanation.degree'),
            }),
        })
      : h('p', { class: 'muted' }, '暂无适配团队。');
  }
  mount(
    view,
    pageHeader(d.title, [zoneName, pick(d, 'enterprise.name')].filter(Boolean).join(' · ')),
    panel(
      '需求详情',
      facts([
        ['所属高新区', zoneLink(d.zone_id, zoneName)],
        ['企业', pick(d, 'enterprise.name')],
        ['企业规模', pick(d, 'enterprise.size')],
        ['预算', d.budget_wan_yuan !== undefined ? `${fmtNumber(d.budget_wan_yuan)} 万元` : '—'],
        ['截止日期', d.deadline || '—'],
        ['产业方向', chips(tracks, 'chip chip-track'), true],
        ['关键词', chips(d.keywords || []), true],
      ]),
      d.description ? h('p', { class: 'prose', 'data-test': 'demand-text' }, d.description) : null,
    ),
    panel('适配团队', teamsBlock),
  );
}

export async function renderTeamPage(ctx) {
  const { view, params, me } = ctx;
  mount(view, loading());
  const maps = await refs.all();
  const t = await get(`/v1/teams/${encodeURIComponent(params.id)}`);
  const uniName = nameOf(maps.universities, t.university_id);
  const leader = t.leader || {};
  const mayRank = me.kind === 'department' || (me.kind === 'university' && String(me.universityId) === String(t.university_id));
  let demandsBlock = null;
  if (mayRank) {
    const list = await getAll(`/v1/teams/${encodeURIComponent(t.id)}/demands`);
    const zoneName = (m) => m.zone_name || nameOf(maps.zones, m.zone_id);
    demandsBlock = panel(
      '适配的企业需求',
      list.length
        ? pagedList(ctx, {
            rows: list,
            state: listState(ctx.query),
            sorts: [...rankedSorts(zoneName, '园区'), { id: 'title', label: '按需求标题', compare: compareBy((m) => m.demand_title) }],
            pageSize: 10,
            noun: '条',
            label: '适配需求',
            cap: RANKING_CAP,
            render: (rows, offset) =>
              rankedList(rows, offset, {
                link: (m) => demandLink(m.demand_id, m.demand_title),
                name: (m) => zoneLink(m.zone_id, zoneName(m)),
                degreeOf: (m) => pick(m, 'explanation.degree'),
              }),
          })
        : h('p', { class: 'muted' }, '暂无适配需求。'),
    );
  }
  mount(
    view,
    pageHeader(t.name, uniName),
    panel(
      '团队概况',
      facts([
        ['所属高校', universityLink(t.university_id, uniName)],
        ['负责人', leader.name ? `${leader.name}${leader.title ? `（${leader.title}）` : ''}` : '—'],
        ['成员人数', t.members !== undefined ? String(t.members) : '—'],
        ['承接能力', t.capacity !== undefined ? `${t.capacity} 项` : '—'],
        ['人才荣誉', chips(leader.honors || []), true],
        ['研究领域', chips(t.fields || []), true],
        ['产业方向', chips((t.track_ids || []).map((id) => nameOf(maps.tracks, id)), 'chip chip-track'), true],
      ]),
      t.description ? h('p', { class: 'prose' }, t.description) : null,
    ),
    panel(
      '创新平台',
      (t.platforms || []).length ? h('ul', { class: 'plain' }, t.platforms.map((p) => h('li', {}, p.name, h('span', { class: 'tag' }, PLATFORM_KIND[p.kind] || p.kind)))) : h('p', { class: 'muted' }, '尚未登记平台。'),
    ),
    panel(
      `代表性成果（${(t.achievements || []).length}）`,
      (t.achievements || []).length
        ? h('ul', { class: 'plain' }, t.achievements.map((a) => h('li', {}, h('span', { class: 'tag' }, ACHIEVEMENT_KIND[a.kind] || a.kind), a.title || '', a.year ? h('span', { class: 'muted' }, `（${a.year}）`) : null)))
        : h('p', { class: 'muted' }, '尚未登记成果。'),
    ),
    demandsBlock,
  );
}

/** A zone's profile: city, level, industries, tracks, description, platforms and funds. */
export function zoneProfile(zone, maps) {
  const trackNames = (zone.track_ids || []).map((id) => nameOf(maps.tracks, id));
  return panel(
    '园区概况',
    facts([
      ['所在城市', zone.city || '—'],
      ['级别', LEVEL[zone.level] || '—'],
      ['特色产业', chips(zone.industries || []), true],
      ['重点赛道', chips(trackNames, 'chip chip-track'), true],
    ]),
    zone.description ? h('p', { class: 'prose' }, zone.description) : null,
    h(
      'div',
      { class: 'two-col' },
      h(
        'div',
        {},
        h('h3', {}, '创新平台'),
        (zone.platforms || []).length
          ? h('ul', { class: 'plain' }, zone.platforms.map((p) => h('li', {}, p.name, h('span', { class: 'tag' }, PLATFORM_KIND[p.kind] || p.kind))))
          : h('p', { class: 'muted' }, '尚未登记平台。'),
      ),
      h(
        'div',
        {},
        h('h3', {}, '转化基金'),
        (zone.funds || []).length
          ? h('ul', { class: 'plain' }, zone.funds.map((f) => h('li', {}, f.name, h('span', { class: 'muted' }, ` ${fmtNumber(f.size_wan_yuan)} 万元`))))
          : h('p', { class: 'muted' }, '尚未登记基金。'),
      ),
    ),
  );
}

/** The pairings a zone or university takes part in, as far as the caller may see them, paged. */
async function pairingsPanel(ctx, maps, filter, prefix, title) {
  let list;
  try {
    list = await getAll('/v1/pairings', filter, { max: 1000 });
  } catch {
    return null;
  }
  const zoneName = (p) => p.zone_name || nameOf(maps.zones, p.zone_id);
  const uniName = (p) => p.university_name || nameOf(maps.universities, p.university_id);
  return panel(
    title,
    list.length
      ? pagedList(ctx, {
          rows: list,
          state: listState(ctx.query, prefix),
          sorts: [
            { id: 'updated', label: '按更新时间', compare: compareBy((p) => p.updated_at, { desc: true }) },
            { id: 'quality', label: '按配对质量', compare: compareBy((p) => Number(p.quality), { desc: true }) },
            { id: 'status', label: '按状态', compare: compareBy((p) => p.status) },
          ],
          noun: '个配对',
          unit: '个',
          label: '配对',
          render: (rows) =>
            table(
              [
                { label: '园区', cell: (p) => zoneLink(p.zone_id, zoneName(p)) },
                { label: '高校', cell: (p) => universityLink(p.university_id, uniName(p)) },
                { label: '赛道', cell: (p) => p.track_name || nameOf(maps.tracks, p.track_id) },
                { label: '状态', cell: (p) => (p.superseded_by ? h('span', { class: 'muted' }, '已由新方案取代') : statusBadge(p.status)) },
                { label: '更新时间', cell: (p) => fmtTime(p.updated_at) },
                { label: '操作', class: 'actions', cell: (p) => h('a', { class: 'btn btn-small', href: `#/review/${encodeURIComponent(p.id)}` }, '查看') },
              ],
              rows,
            ),
        })
      : h('p', { class: 'muted' }, '暂无配对。'),
  );
}

export async function renderZonePage(ctx) {
  const { view, params, me } = ctx;
  mount(view, loading());
  const [maps, zone] = await Promise.all([refs.all(), get(`/v1/zones/${encodeURIComponent(params.id)}`)]);
  const own = me.kind === 'zone' && String(me.zoneId) === String(zone.id);
  const mayList = me.kind === 'department' || own;
  const demands = zone.demands || [];
  const demandsPanel = panel(
    '产业需求清单',
    mayList
      ? demands.length
        ? pagedList(ctx, {
            rows: demands,
            state: listState(ctx.query, 'd'),
            sorts: [
              { id: 'id', label: '按编号', compare: null },
              { id: 'title', label: '按需求标题', compare: compareBy((d) => d.name || d.title) },
              { id: 'track', label: '按赛道', compare: compareBy((d) => nameOf(maps.tracks, (d.track_ids || [])[0])) },
            ],
            noun: '条需求',
            unit: '条',
            label: '需求清单',
            render: (rows) =>
              table(
                [
                  { label: '需求标题', cell: (d) => h('span', { class: 'cell-title' }, demandLink(d.id, d.name || d.title)) },
                  { label: '所属赛道', cell: (d) => (d.track_ids || []).map((id) => nameOf(maps.tracks, id)).join('、') || '—' },
                ],
                rows,
              ),
          })
        : h('p', { class: 'muted' }, '本园区尚未登记企业需求。')
      : h('p', { class: 'muted' }, '需求清单仅对本园区和省级管理部门开放；单条需求可从检索或适配需求中打开。'),
  );
  const pairingsFilter = me.kind === 'zone' && !own ? null : { zone_id: zone.id };
  // The department and the zone itself see all its pairings; a university sees those it takes part in.
  const pairings = pairingsFilter ? await pairingsPanel(ctx, maps, pairingsFilter, 'p', mayList ? '双高协同配对' : '与本校的配对') : null;
  const candidates = me.kind === 'department' ? `#/candidates?zone=${encodeURIComponent(zone.id)}` : own ? '#/candidates' : null;
  mount(
    view,
    pageHeader(
      zone.name,
      [zone.city, LEVEL[zone.level], '高新区'].filter(Boolean).join(' · '),
      candidates ? h('a', { class: 'btn', href: candidates }, '候选高校与团队') : null,
    ),
    zoneProfile(zone, maps),
    demandsPanel,
    pairings,
  );
}

export async function renderUniversityPage(ctx) {
  const { view, params, me } = ctx;
  mount(view, loading());
  const [maps, uni] = await Promise.all([refs.all(), get(`/v1/universities/${encodeURIComponent(params.id)}`)]);
  const own = me.kind === 'university' && String(me.universityId) === String(uni.id);
  const teams = uni.teams || [];
  const pairingsFilter = me.kind === 'university' && !own ? null : { university_id: uni.id };
  // The department and the university itself see all its pairings; a zone sees those it takes part in.
  const pairings = pairingsFilter ? await pairingsPanel(ctx, maps, pairingsFilter, 'p', me.kind === 'zone' ? '与本园区的配对' : '双高协同配对') : null;
  mount(
    view,
    pageHeader(
      uni.name,
      [uni.city, UNIVERSITY_KIND[uni.kind]].filter(Boolean).join(' · '),
      own ? h('a', { class: 'btn', href: '#/demands' }, '适配企业需求') : null,
    ),
    panel(
      '高校概况',
      facts([
        ['所在城市', uni.city || '—'],
        ['类型', UNIVERSITY_KIND[uni.kind] || '—'],
        ['优势学科', chips(uni.disciplines || []), true],
      ]),
      uni.description ? h('p', { class: 'prose' }, uni.description) : null,
    ),
    panel(
      '科研团队',
      teams.length
        ? pagedList(ctx, {
            rows: teams,
            state: listState(ctx.query, 't'),
            sorts: [
              { id: 'id', label: '按编号', compare: null },
              { id: 'name', label: '按团队名称', compare: compareBy((t) => t.name) },
              { id: 'track', label: '按赛道', compare: compareBy((t) => nameOf(maps.tracks, (t.track_ids || [])[0])) },
            ],
            noun: '个团队',
            unit: '个',
            label: '团队',
            render: (rows) =>
              table(
                [
                  { label: '团队名称', cell: (t) => h('span', { class: 'cell-title' }, teamLink(t.id, t.name)) },
                  { label: '赛道', cell: (t) => (t.track_ids || []).map((id) => nameOf(maps.tracks, id)).join('、') || '—' },
                ],
                rows,
              ),
          })
        : h('p', { class: 'muted' }, '尚未登记科研团队。'),
    ),
    pairings,
  );
}
