// Department: zone × university heatmap of pairing quality for one track, from the proposed and reviewed
// pairings, or (before any proposal) from the engine's candidate scores per zone.

import { get, getAll, items } from '../api.js';
import { h, mount, loading, failure, emptyState, pageHeader, progress, fmtScore, STATUS_LABELS, onSelect } from '../ui.js';
import * as refs from '../refs.js';
import { pick, nameOf } from '../refs.js';
import { zoneLink, universityLink } from './pages.js';

const STATUS_MARK = { approved: '✓', rejected: '✗', changes_requested: '!', proposed: '' };

/** Background colour of a cell for a value in [0, 1] (light to deep blue). */
function shade(value) {
  const v = Math.max(0, Math.min(1, Number(value) || 0));
  const from = [238, 243, 250];
  const to = [22, 67, 128];
  const c = from.map((f, i) => Math.round(f + (to[i] - f) * v));
  return { bg: `rgb(${c.join(',')})`, dark: v > 0.55 };
}

function grid(rows, cols, cells, maps, { caption, link }) {
  return h(
    'div',
    { class: 'heat-wrap' },
    h(
      'table',
      { class: 'heat' },
      h('caption', { class: 'sr-only' }, caption),
      h(
        'thead',
        {},
        h('tr', {}, h('th', { scope: 'col', class: 'heat-corner' }, '园区 \\ 高校'), cols.map((u) => h('th', { scope: 'col', class: 'heat-col' }, h('span', {}, universityLink(u, nameOf(maps.universities, u)))))),
      ),
      h(
        'tbody',
        {},
        rows.map((z) =>
          h(
            'tr',
            {},
            h('th', { scope: 'row' }, zoneLink(z, nameOf(maps.zones, z))),
            cols.map((u) => {
              const cell = cells.get(`${z}|${u}`);
              if (!cell) return h('td', { class: 'heat-empty' }, h('span', { class: 'sr-only' }, '无'));
              const { bg, dark } = shade(Number(cell.value));
              const label = `${nameOf(maps.zones, z)} × ${nameOf(maps.universities, u)}：${fmtScore(cell.value)}${cell.status ? `，${STATUS_LABELS[cell.status] || cell.status}` : ''}`;
              const content = [fmtScore(cell.value), cell.status && STATUS_MARK[cell.status] ? h('span', { class: 'heat-mark', 'aria-hidden': 'true' }, STATUS_MARK[cell.status]) : null];
              const td = h(
                'td',
                { class: ['heat-cell', dark ? 'is-dark' : '', cell.status ? `st-${cell.status}` : ''], title: label },
                link && cell.id ? h('a', { href: `#/review/${encodeURIComponent(cell.id)}`, 'aria-label': label }, content) : h('span', { 'aria-label': label }, content),
              );
              td.style.backgroundColor = bg;
              return td;
            }),
          ),
        ),
      ),
    ),
  );
}

function legend(withStatus) {
  const stops = [0.1, 0.3, 0.5, 0.7, 0.9].map((v) => {
    const s = h('span', { class: 'legend-swatch' });
    s.style.backgroundColor = shade(v).bg;
    return s;
  });
  return h(
    'div',
    { class: 'legend' },
    h('span', {}, '质量低'),
    stops,
    h('span', {}, '质量高'),
    withStatus ? h('span', { class: 'legend-status' }, '✓ 已通过　✗ 已驳回　! 需修改　无标记：待审核') : null,
  );
}

async function fromPairings(trackId) {
  const rows = await getAll('/v1/pairings', { track: trackId }, { max: 2000 });
  const cells = new Map();
  for (const p of rows) {
    if (trackId && p.track_id && String(p.track_id) !== trackId) continue;
    cells.set(`${p.zone_id}|${p.university_id}`, { value: pick(p, 'quality', 'score'), status: p.status, id: p.id });
  }
  return cells;
}

async function fromCandidates(trackId, zoneIds, onStep) {
  const cells = new Map();
  let done = 0;
  const queue = [...zoneIds];
  const worker = async () => {
    while (queue.length) {
      const z = queue.shift();
      try {
        const data = await get(`/v1/zones/${encodeURIComponent(z)}/candidates`, { track: trackId, limit: 5 });
        for (const c of items(data)) {
          const u = pick(c, 'university_id', 'university.id', 'id');
          cells.set(`${z}|${u}`, { value: pick(c, 'score', 'aggregate_score') });
        }
      } catch (err) {
        if (err.unavailable) throw err;
      }
      done += 1;
      onStep(done, zoneIds.length);
    }
  };
  await Promise.all([worker(), worker(), worker()]);
  return cells;
}

export async function renderHeatmap(ctx) {
  const { view, query } = ctx;
  mount(view, loading());
  const maps = await refs.all();
  const groups = refs.trackGroups(maps.tracks);
  let trackId = query.get('track') || (groups[0] && groups[0].tracks[0] ? String(groups[0].tracks[0].id) : '');
  let source = query.get('source') === 'candidates' ? 'candidates' : 'pairings';
  const trackSel = h('select', { id: 'heat-track' }, groups.map((g) => h('optgroup', { label: g.label }, g.tracks.map((t) => h('option', { value: t.id, selected: String(t.id) === trackId }, t.name)))));
  const sourceSel = h(
    'select',
    { id: 'heat-source' },
    h('option', { value: 'pairings', selected: source === 'pairings' }, '方案中的配对质量'),
    h('option', { value: 'candidates', selected: source === 'candidates' }, '候选匹配得分（未出方案时参考）'),
  );
  const body = h('div', { 'aria-live': 'polite' });
  mount(
    view,
    pageHeader('配对质量热力图', '每个格子是一对园区与高校在所选赛道上的配对质量，颜色越深质量越高'),
    h('div', { class: 'toolbar' }, h('label', { for: 'heat-track' }, '赛道'), trackSel, h('label', { for: 'heat-source' }, '数据'), sourceSel),
    body,
  );
  let seq = 0;
  const load = async () => {
    const mine = (seq += 1);
    ctx.setQuery({ track: trackId, source });
    const trackName = nameOf(maps.tracks, trackId);
    try {
      let cells;
      if (source === 'pairings') {
        mount(body, loading('正在读取配对…'));
        cells = await fromPairings(trackId);
      } else {
        const bar = progress('正在计算各园区候选');
        mount(body, bar.el);
        cells = await fromCandidates(trackId, [...maps.zones.keys()], (d, n) => bar.set((d / n) * 100, `正在计算各园区候选（${d}/${n}）`));
      }
      if (mine !== seq) return;
      if (!cells.size) {
        mount(
          body,
          emptyState({
            title: `“${trackName}”赛道还没有${source === 'pairings' ? '配对' : '候选高校'}`,
            body: source === 'pairings' ? '请先在“配对方案”中为该赛道发起方案；也可以把“数据”切换为候选匹配得分，先看各园区的候选情况。' : '各园区在该赛道都没有可匹配的企业需求。',
            action: source === 'pairings' ? h('a', { class: 'btn btn-primary', href: `#/proposals?tracks=${encodeURIComponent(trackId)}` }, '为该赛道发起方案') : null,
          }),
        );
        return;
      }
      const zoneIds = [...maps.zones.keys()];
      const rows = zoneIds.length ? zoneIds : [...new Set([...cells.keys()].map((k) => k.split('|')[0]))];
      const colScore = new Map();
      for (const [key, cell] of cells) {
        const u = key.split('|')[1];
        colScore.set(u, (colScore.get(u) || 0) + (Number(cell.value) || 0));
      }
      const cols = [...colScore.entries()].sort((a, b) => b[1] - a[1]).map(([u]) => u).slice(0, 24);
      mount(
        body,
        legend(source === 'pairings'),
        grid(rows, cols, cells, maps, { caption: `${trackName} 配对质量`, link: source === 'pairings' }),
        h('p', { class: 'hint' }, source === 'pairings' ? '点击格子可打开该配对的审核页面。空白表示该园区与该高校在此赛道没有配对。' : '显示每个园区得分最高的 5 所候选高校；空白表示不在前 5 名。'),
      );
    } catch (err) {
      if (mine !== seq) return;
      mount(body, failure(err, source === 'pairings' ? '配对数据' : '候选数据', load));
    }
  };
  onSelect(trackSel, (value) => (trackId = value), load);
  onSelect(sourceSel, (value) => (source = value), load);
  await load();
}
