// Free-text search over teams and demands, with the engine's highlighted snippets.

import { get, items } from '../api.js';
import { h, mount, loading, failure, emptyState, pageHeader, highlight, fmtScore } from '../ui.js';
import * as refs from '../refs.js';
import { pick, nameOf } from '../refs.js';

function hit(row, kind, maps, q) {
  const title = pick(row, 'title', 'name', 'doc.title', 'doc.name') || pick(row, 'id');
  const snippet = pick(row, 'snippet', 'highlight', 'highlighted', 'description');
  const owner =
    kind === 'teams'
      ? pick(row, 'university_name') || nameOf(maps.universities, pick(row, 'university_id'))
      : pick(row, 'zone_name') || nameOf(maps.zones, pick(row, 'zone_id'));
  const terms = q.split(/\s+/).filter(Boolean);
  const snippets = Array.isArray(snippet) ? snippet : snippet ? [snippet] : [];
  return h(
    'li',
    { class: 'hit' },
    h('p', { class: 'hit-title' }, highlight(title, terms), pick(row, 'score') !== undefined ? h('span', { class: 'muted num-inline' }, `相关度 ${fmtScore(pick(row, 'score'))}`) : null),
    owner && owner !== '—' ? h('p', { class: 'muted' }, kind === 'teams' ? `所属高校：${owner}` : `所在园区：${owner}`) : null,
    snippets.map((s) => h('p', { class: 'hit-snippet' }, highlight(s, terms))),
  );
}

export async function renderSearch(ctx) {
  const { view, query } = ctx;
  const maps = await refs.all();
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
  mount(view, pageHeader('检索', '在全省高校团队和企业需求中按关键词检索，结果高亮匹配内容'), form, results);
  const run = async () => {
    const q = input.value.trim();
    ctx.setQuery({ q, kind: kind.value });
    if (!q) {
      mount(results, emptyState({ title: '请输入检索关键词', body: '可输入技术名称、产品或应用场景，中英文均可，多个词用空格分隔。' }));
      return;
    }
    mount(results, loading('正在检索…'));
    try {
      const data = await get('/v1/search', { q, kind: kind.value, limit: 20 });
      const list = items(data);
      if (!list.length) {
        mount(results, emptyState({ title: `没有找到与“${q}”相关的${kind.value === 'teams' ? '团队' : '需求'}`, body: '请换用更通用的词，或切换检索范围。' }));
        return;
      }
      mount(results, h('p', { class: 'count' }, `找到 ${list.length} 条结果`), h('ol', { class: 'hits' }, list.map((r) => hit(r, kind.value, maps, q))));
    } catch (err) {
      mount(results, failure(err, '检索', run));
    }
  };
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    run();
  });
  await run();
}
