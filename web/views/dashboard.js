// Department: the programme dashboard from GET /v1/dashboard — coverage of the 18 pilot zones and of the
// universities by approved pairings, benchmark projects against the at-least-10 rule, and figures per city
// and per track.

import { get } from '../api.js';
import { h, mount, loading, failure, emptyState, pageHeader, panel, table, fmtNumber } from '../ui.js';
import * as refs from '../refs.js';
import { pick, nameOf } from '../refs.js';
import { zoneLink, universityLink } from './pages.js';

/** Rows from an array or from an object keyed by name. */
function rowsOf(value, keyName) {
  if (Array.isArray(value)) return value;
  if (value && typeof value === 'object') return Object.entries(value).map(([k, v]) => ({ [keyName]: k, ...(typeof v === 'object' ? v : { pairings: v }) }));
  return [];
}

function countOf(value) {
  if (Array.isArray(value)) return value.length;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

function meter(covered, totalCount) {
  const ratio = totalCount ? Math.min(1, covered / totalCount) : 0;
  const fill = h('span', { class: 'meter-fill' });
  fill.style.width = `${(ratio * 100).toFixed(1)}%`;
  return h('span', { class: 'meter', role: 'img', 'aria-label': `${covered} / ${totalCount}` }, fill);
}

function kpi(label, value, { sub, warn, bar } = {}) {
  return h('div', { class: ['kpi', warn ? 'kpi-warn' : ''] }, h('dt', {}, label), h('dd', {}, value), bar || null, sub ? h('p', { class: 'kpi-sub' }, sub) : null);
}

export async function renderDashboard(ctx) {
  const { view } = ctx;
  mount(view, loading());
  const maps = await refs.all();
  let d;
  try {
    d = await get('/v1/dashboard');
  } catch (err) {
    mount(view, pageHeader('项目看板', '双高协同试点的覆盖面、标杆项目和各市进展'), failure(err, '项目看板', () => ctx.refresh()));
    if (err.unavailable) {
      view.append(
        panel(
          '试点范围（参考数据）',
          h('dl', { class: 'kpis' }, kpi('试点高新区', fmtNumber(maps.zones.size)), kpi('参与高校', fmtNumber(maps.universities.size)), kpi('产业赛道', fmtNumber(maps.tracks.size))),
          h('p', { class: 'hint' }, '以上为平台已登记的基础数据。配对审核通过后，覆盖率、标杆项目和分市统计将显示在此。'),
        ),
      );
    }
    return;
  }
  const zonesCovered = countOf(pick(d, 'zones.covered', 'zones_covered', 'coverage.zones.covered', 'covered_zones')) ?? 0;
  const zonesTotal = countOf(pick(d, 'zones.total', 'zones_total', 'coverage.zones.total')) ?? (maps.zones.size || 18);
  const unisCovered = countOf(pick(d, 'universities.covered', 'universities_covered', 'coverage.universities.covered', 'covered_universities')) ?? 0;
  const unisTotal = countOf(pick(d, 'universities.total', 'universities_total', 'coverage.universities.total')) ?? maps.universities.size;
  const projects = countOf(pick(d, 'benchmark_projects.planned', 'benchmark_projects', 'projects_planned', 'projects.planned')) ?? 0;
  const shortRaw = pick(d, 'pairings_short', 'short_pairings', 'pairings_short_of_10', 'short_of_10', 'benchmark_projects.short_pairings');
  const shortCount = countOf(shortRaw) ?? 0;
  const qualified = countOf(pick(d, 'benchmark_projects.qualified_pairings'));
  const approved = countOf(pick(d, 'pairings.approved', 'approved_pairings', 'pairings_approved')) ?? undefined;
  const platforms = countOf(pick(d, 'platforms.total', 'platforms_involved', 'platforms'));
  const talents = countOf(pick(d, 'talents.total', 'talents_involved', 'talents'));
  const honoured = countOf(pick(d, 'talents.with_honors'));
  const funds = countOf(pick(d, 'funds.total'));
  const fundSize = countOf(pick(d, 'funds.size_wan_yuan'));
  const uniPlatforms = countOf(pick(d, 'platforms.university'));
  const zonePlatforms = countOf(pick(d, 'platforms.zone'));
  const byCity = rowsOf(pick(d, 'by_city', 'cities', 'per_city'), 'city');
  const byTrack = rowsOf(pick(d, 'by_track', 'tracks', 'per_track'), 'track_id');
  const cityName = (r) => pick(r, 'city', 'name') || '—';
  const num = (r, ...k) => fmtNumber(countOf(pick(r, ...k)) ?? 0);

  mount(
    view,
    pageHeader('项目看板', '按已通过审核的配对统计；试点要求每个配对规划不少于 10 个标杆项目'),
    h(
      'dl',
      { class: 'kpis kpis-main' },
      kpi('高新区覆盖', `${zonesCovered} / ${zonesTotal}`, { bar: meter(zonesCovered, zonesTotal), sub: zonesCovered >= zonesTotal ? '已全覆盖' : `还有 ${zonesTotal - zonesCovered} 个高新区未结对` }),
      kpi('高校覆盖', `${unisCovered} / ${unisTotal || '—'}`, { bar: meter(unisCovered, unisTotal || 1) }),
      kpi('规划标杆项目', fmtNumber(projects), { sub: approved !== undefined ? `来自 ${approved} 个已通过配对` : null }),
      kpi('达标配对', qualified !== undefined ? fmtNumber(qualified) : '—', { sub: '标杆项目达到 10 项' }),
      kpi('培育配对', fmtNumber(shortCount), { warn: shortCount > 0, sub: shortCount > 0 ? '标杆项目不足 10 项，需补充需求或调整配对' : '全部达标' }),
      platforms !== undefined
        ? kpi('涉及创新平台', fmtNumber(platforms), {
            sub: `${uniPlatforms !== undefined && zonePlatforms !== undefined ? `高校平台 ${uniPlatforms} 个、园区平台 ${zonePlatforms} 个；` : ''}2027 年目标：80 个以上共建平台`,
          })
        : null,
      talents !== undefined ? kpi('涉及领军人才', fmtNumber(talents), { sub: honoured !== undefined ? `其中 ${honoured} 位有人才称号` : null }) : null,
      funds !== undefined ? kpi('涉及转化基金', fmtNumber(funds), { sub: fundSize ? `合计 ${fmtNumber(fundSize)} 万元` : null }) : null,
    ),
    Array.isArray(shortRaw) && shortRaw.length
      ? panel(
          '培育配对（标杆项目不足 10 项）',
          table(
            [
              { label: '园区', cell: (r) => zoneLink(pick(r, 'zone_id'), pick(r, 'zone_name') || nameOf(maps.zones, pick(r, 'zone_id'))) },
              { label: '高校', cell: (r) => universityLink(pick(r, 'university_id'), pick(r, 'university_name') || nameOf(maps.universities, pick(r, 'university_id'))) },
              { label: '赛道', cell: (r) => pick(r, 'track_name') || nameOf(maps.tracks, pick(r, 'track_id')) },
              { label: '标杆项目', num: true, cell: (r) => h('span', { class: 'warn-text' }, num(r, 'projects', 'project_count')) },
              { label: '缺口', num: true, cell: (r) => num(r, 'shortfall') },
            ],
            shortRaw,
          ),
        )
      : null,
    h(
      'div',
      { class: 'two-col' },
      panel(
        '各市配对情况',
        byCity.length
          ? table(
              [
                { label: '城市', cell: (r) => cityName(r) },
                { label: '配对数', num: true, cell: (r) => num(r, 'pairings', 'approved', 'pairings_approved') },
                {
                  label: '覆盖高新区',
                  num: true,
                  cell: (r) => {
                    const all = countOf(pick(r, 'zones_total'));
                    return `${num(r, 'zones_covered', 'zones')}${all !== undefined ? ` / ${fmtNumber(all)}` : ''}`;
                  },
                },
                { label: '结对高校', num: true, cell: (r) => num(r, 'universities') },
                { label: '标杆项目', num: true, cell: (r) => num(r, 'projects', 'benchmark_projects') },
                { label: '不足 10 项', num: true, cell: (r) => num(r, 'short', 'pairings_short') },
              ],
              byCity,
            )
          : emptyState({ title: '还没有通过审核的配对', body: '在“配对方案”中发起方案并在“审核队列”中通过后，各市统计会显示在这里。' }),
      ),
      panel(
        '各赛道配对情况',
        byTrack.length
          ? table(
              [
                { label: '赛道', cell: (r) => pick(r, 'track_name', 'name') || nameOf(maps.tracks, pick(r, 'track_id', 'track')) },
                { label: '配对数', num: true, cell: (r) => num(r, 'pairings', 'approved', 'pairings_approved') },
                { label: '标杆项目', num: true, cell: (r) => num(r, 'projects', 'benchmark_projects') },
                { label: '不足 10 项', num: true, cell: (r) => num(r, 'short', 'pairings_short', 'short_pairings') },
              ],
              byTrack,
            )
          : emptyState({ title: '还没有通过审核的配对', body: '配对通过审核后，各赛道统计会显示在这里。' }),
      ),
    ),
  );
}
