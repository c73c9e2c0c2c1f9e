// Free-text search over teams and demands, with the engine's highlighted snippets: every hit links to its
// team or demand page and names its university or zone with a link; all hits paged and sorted.

import { getAll } from '../api.js';
import { h, mount, loading, failure, emptyState, pageHeader, highlight } from '../ui.js';
import * as refs from '../refs.js';
import { pick, nameOf } from '../refs.js';
import { pagedList, listState, compareBy, RANKING_CAP } from './shared.js';
import { demandLink, teamLink, zoneLink, universityLink } from './pages.js';

function hit(row, kind, maps, q) {
  const id = pick(row, 'id');
  const title = pick(row, 'title', 'name', 'doc.title', 'doc.name') || id;
  const snippet = pick(row, 'snippet', 'highlight', 'highlighted', 'description');
  const ownerId = pick(row, 'owner_id', kind === 'teams' ? 'university_id' : 'zone_id');
  const ownerName = pick(row, 'owner_name', kind === 'teams' ? 'university_name' : 'zone_name') || nameOf(kind === 'teams' ? maps.universities : maps.zones, ownerId);
  const terms = q.split(/\s+/).filter(Boolean);
  const snippets = Array.isArray(snippet) ? snippet : snippet ? [snippet] : [];
  const titleText = highlight(title, terms);
  const owner = ownerId ? (kind === 'teams' ? universityLink(ownerId, ownerName) : zoneLink(ownerId, ownerName)) : null;
  return h(
    'li',
    { class: 'hit' },
    h('p', { class: 'hit-title' }, id ? (kind === 'teams' ? teamLink(id, titleText) : demandLink(id, titleText)) : titleText),
    owner ? h('p', { class: 'muted' }, kind === 'teams' ? '所属高校：' : '所在园区：', owner) : null,
    snippets.map((s) => h('p', { class: 'hit-snippet' }, highlight(s, terms))),
  );
}

export async function renderSearch(ctx) {
  const { view, query } = ctx;
  const maps = await refs.all();
  const state = listState(query);
  const input = h('input', { type: 'search', id: 'search-q', name: 'q', value: query.get('q') || '', placeholder: '例如：动力电池热失控预警、碳化硅功率器件' });
  const kind = h(
    'select',
    { id: 'search-kind', name: 'kind' },
    h('option', { value: 'teams', selected: query.get('kind') !== 'demands' }, '高校团队'),
    h('option', { value: 'demands', selected: query.get('kind') === 'demands' }, '企业需求'),
  );
  const results = h('div', { class: 'results', 'aria-live': 'polite' });
  const form = h(
    'form',
    { class: 'toolbar search-bar', role: 'search' },
    h('label', { for: 'search-q' }, '关键词'),
    input,
    h('label', { for: 'search-kind' }, '范围'),
    kind,
    h('button', { type: 'submit', class: 'btn btn-primary' }, '检索'),
  );
  mount(view, pageHeader('检索', '在全省高校团队和企业需求中按关键词检索，整词命中排在只含相同字的结果之前'), form, results);
  const run = async () => {
    const q = input.value.trim();
    ctx.setQuery({ q, kind: kind.value });
    if (!q) {
      mount(results, emptyState({ title: '请输入检索关键词', body: '可输入技术名称、产品或应用场景，中英文均可，多个词用空格分隔。' }));
      return;
    }
    mount(results, loading('正在检索…'));
    try {
      const list = await getAll('/v1/search', { q, kind: kind.value });
      if (!list.length) {
        mount(results, emptyState({ title: `没有找到与“${q}”相关的${kind.value === 'teams' ? '团队' : '需求'}`, body: '请换用更通用的词，或切换检索范围。' }));
        return;
      }
      const what = kind.value;
      mount(
        results,
        pagedList(ctx, {
          rows: list,
          state,
          sorts: [
            { id: 'score', label: '按相关度', compare: null },
            { id: 'name', label: what === 'teams' ? '按团队名称' : '按需求标题', compare: compareBy((r) => pick(r, 'name', 'title')) },
            { id: 'owner', label: what === 'teams' ? '按高校' : '按园区', compare: compareBy((r) => pick(r, 'owner_name')) },
          ],
          noun: '条结果',
          unit: '条',
          label: '检索结果',
          cap: RANKING_CAP,
          render: (rows, offset) => h('ol', { class: 'hits', start: String(offset + 1) }, rows.map((r) => hit(r, what, maps, q))),
        }),
      );
    } catch (err) {
      mount(results, failure(err, '检索', run));
    }
  };
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    state.page = 1;
    run();
  });
  await run();
}
