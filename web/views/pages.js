// Pages a link leads to, each with a bookmarkable hash route: a demand (full text, enterprise, budget,
// deadline, and the teams that fit it with why) and a team (leader, fields, achievements, platforms, and
// the demands it fits when the caller may see them). Every place that names a demand or a team links here.

import { get, items, total } from '../api.js';
import { h, mount, loading, pageHeader, panel, chips, fmtNumber, degreeBar } from '../ui.js';
import * as refs from '../refs.js';
import { pick, nameOf } from '../refs.js';
import { explanation } from '../explain.js';

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

function facts(rows) {
  return h(
    'dl',
    { class: 'facts' },
    rows.filter(([, v]) => v !== null && v !== undefined && v !== '').map(([k, v, wide]) => h('div', { class: wide ? 'wide' : undefined }, h('dt', {}, k), h('dd', {}, v))),
  );
}

function rankedList(list, { name, link, degreeOf }) {
  return h(
    'ul',
    { class: 'plain ranked-links' },
    list.map((m, i) =>
      h(
        'li',
        { class: 'card' },
        h('p', { class: 'ranked-line' }, h('span', { class: 'rank', 'aria-label': `第 ${i + 1} 名` }, String(i + 1)), ' ', link(m), h('span', { class: 'muted' }, ` ${name(m)}`), degreeOf(m) ? degreeBar(degreeOf(m)) : null),
        h('details', { class: 'explain-box', open: i === 0 }, h('summary', {}, '匹配依据'), explanation(pick(m, 'explanation')) || h('p', { class: 'muted' }, '暂无匹配说明。')),
      ),
    ),
  );
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
    const page = await get(`/v1/demands/${encodeURIComponent(d.id)}/teams`, { limit: 10 });
    const list = items(page);
    teamsBlock = list.length
      ? h(
          'div',
          {},
          h('p', { class: 'muted' }, `共 ${total(page)} 个适配团队，显示前 ${list.length} 个`),
          rankedList(list, {
            link: (m) => teamLink(m.team_id, m.team_name),
            name: (m) => m.university_name || nameOf(maps.universities, m.university_id),
            degreeOf: (m) => pick(m, 'explanation.degree'),
          }),
        )
      : h('p', { class: 'muted' }, '暂无适配团队。');
  }
  mount(
    view,
    pageHeader(d.title, [zoneName, pick(d, 'enterprise.name')].filter(Boolean).join(' · ')),
    panel(
      '需求详情',
      facts([
        ['所属高新区', zoneName],
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
    const page = await get(`/v1/teams/${encodeURIComponent(t.id)}/demands`, { limit: 10 });
    const list = items(page);
    demandsBlock = panel(
      '适配的企业需求',
      list.length
        ? h(
            'div',
            {},
            h('p', { class: 'muted' }, `共 ${total(page)} 条，显示前 ${list.length} 条`),
            rankedList(list, {
              link: (m) => demandLink(m.demand_id, m.demand_title),
              name: (m) => m.zone_name || nameOf(maps.zones, m.zone_id),
              degreeOf: (m) => pick(m, 'explanation.degree'),
            }),
          )
        : h('p', { class: 'muted' }, '暂无适配需求。'),
    );
  }
  mount(
    view,
    pageHeader(t.name, uniName),
    panel(
      '团队概况',
      facts([
        ['所属高校', uniName],
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
