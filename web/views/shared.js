// View pieces shared by the views: the head of a ranked card, the loader that reloads a ranking into its
// results box as the filters change, and the paged, sortable list every view shows its lists with.

import { items } from '../api.js';
import { h, mount, loading, failure, emptyState, scoreBar, degreeBar } from '../ui.js';

/**
 * The head of the card ranked `index` (from 0): rank, title (its element id `${idPrefix}-${index}`, which
 * labels the card; `titleNode`, a link, shown in its place when given), a muted subtitle (text or nodes),
 * and the 匹配度 bar (`degree`, else the score bar under `scoreLabel`).
 */
export function rankedCardHead({ index, idPrefix, title, titleNode, subtitle, scoreLabel, score, degree }) {
  return h(
    'header',
    { class: 'card-head' },
    h('span', { class: 'rank', 'aria-label': `第 ${index + 1} 名` }, String(index + 1)),
    h('div', { class: 'card-title' }, h('h3', { id: `${idPrefix}-${index}` }, titleNode || title), h('p', { class: 'muted' }, subtitle)),
    h(
      'div',
      { class: 'card-score' },
      h('span', { class: 'score-label' }, degree ? '匹配度' : scoreLabel),
      degree ? degreeBar(degree, { label: `${title} 匹配度` }) : scoreBar(score, { label: `${title} ${scoreLabel}` }),
    ),
  );
}

/**
 * Returns `load()`, which shows a ranking in `results`: it records `query()` in the address, shows
 * `loadingText`, gets the rows with `fetch()` and mounts `show(list)`, or the `empty()` state when there
 * are none, or a failure naming `what`. An answer that a later load has superseded is dropped.
 */
export function rankingLoader(ctx, results, { query, loadingText, fetch, empty, show, what }) {
  let seq = 0;
  const load = async () => {
    const mine = (seq += 1);
    ctx.setQuery(query());
    mount(results, loading(loadingText));
    try {
      const data = await fetch();
      if (mine !== seq) return;
      const list = items(data);
      if (!list.length) {
        mount(results, emptyState(empty()));
        return;
      }
      mount(results, ...show(list, data));
    } catch (err) {
      if (mine !== seq) return;
      mount(results, failure(err, what, load));
    }
  };
  return load;
}

/** How many rows the service keeps of a ranking or a search. */
export const RANKING_CAP = 100;

/**
 * The page and sort of a list as the address gives them (`${prefix}page`, `${prefix}sort`), so that a list
 * opened from a bookmark shows the same page in the same order. The view keeps this object and sets
 * `page = 1` when its filters change.
 */
export function listState(query, prefix = '') {
  const page = Number.parseInt((query && query.get(`${prefix}page`)) || '1', 10);
  return { prefix, page: Number.isFinite(page) && page > 0 ? page : 1, sort: (query && query.get(`${prefix}sort`)) || '' };
}

/** Compares two values for a sort: numbers by size, text in Chinese collation, missing values last. */
export function compareBy(read, { desc = false } = {}) {
  return (a, b) => {
    const x = read(a);
    const y = read(b);
    const missing = (v) => v === undefined || v === null || v === '' || Number.isNaN(v);
    const missX = missing(x);
    const missY = missing(y);
    if (missX || missY) return missX === missY ? 0 : missX ? 1 : -1;
    const c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y), 'zh-CN');
    return desc ? -c : c;
  };
}

/** The page numbers to offer around `page` of `pages`, with null for a gap. */
function pageNumbers(page, pages) {
  if (pages <= 7) return Array.from({ length: pages }, (_, i) => i + 1);
  const keep = new Set([1, pages, page - 1, page, page + 1]);
  const out = [];
  for (let n = 1; n <= pages; n += 1) {
    if (keep.has(n)) out.push(n);
    else if (out[out.length - 1] !== null) out.push(null);
  }
  return out;
}

/**
 * A list whose rows are all at hand, paged and sorted honestly: “共 N 条，第 a–b 条” (`noun`, and `unit`
 * for the range when it differs), a sort <select> (`sorts`: [{ id, label, compare }], the first the
 * default; a compare of null keeps the given order), and page buttons. `render(rows, offset)` gives the
 * nodes of one page. Page and sort are written to the address through `ctx.mergeQuery`. A ranking, which
 * the service cuts at `cap` rows, says so when it is that long. Returns the element, which redraws itself.
 */
export function pagedList(ctx, { rows, state, sorts = [], pageSize = 20, noun = '条', unit, render, label = '列表', cap }) {
  const box = h('div', { class: 'paged' });
  const st = state || listState(null);
  const sortId = `${st.prefix || 'list'}-sort-${Math.random().toString(36).slice(2, 7)}`;
  const draw = () => {
    const sort = sorts.find((s) => s.id === st.sort) || sorts[0];
    const ordered = sort && sort.compare ? [...rows].sort(sort.compare) : rows;
    const pages = Math.max(1, Math.ceil(ordered.length / pageSize));
    st.page = Math.min(Math.max(1, st.page), pages);
    const offset = (st.page - 1) * pageSize;
    const shown = ordered.slice(offset, offset + pageSize);
    if (ctx && ctx.mergeQuery) {
      ctx.mergeQuery({ [`${st.prefix}page`]: st.page > 1 ? st.page : '', [`${st.prefix}sort`]: sort && sort !== sorts[0] ? sort.id : '' });
    }
    const go = (n) => {
      st.page = n;
      draw();
      box.scrollIntoView({ block: 'start', behavior: 'instant' });
    };
    const select = sorts.length > 1
      ? h(
          'select',
          { id: sortId, 'data-test': 'list-sort', onChange: (e) => { st.sort = e.target.value; st.page = 1; draw(); } },
          sorts.map((s) => h('option', { value: s.id, selected: s === sort }, s.label)),
        )
      : null;
    const buttons = pages > 1
      ? h(
          'nav',
          { class: 'pages', 'aria-label': `${label}分页` },
          h('button', { type: 'button', class: 'btn btn-small', disabled: st.page <= 1, onClick: () => go(st.page - 1) }, '上一页'),
          pageNumbers(st.page, pages).map((n) =>
            n === null
              ? h('span', { class: 'muted' }, '…')
              : h('button', { type: 'button', class: ['btn', 'btn-small', n === st.page ? 'is-current' : ''], 'aria-current': n === st.page ? 'page' : undefined, 'aria-label': `第 ${n} 页`, onClick: () => go(n) }, String(n)),
          ),
          h('button', { type: 'button', class: 'btn btn-small', disabled: st.page >= pages, onClick: () => go(st.page + 1) }, '下一页'),
        )
      : null;
    const head = h(
      'div',
      { class: 'pager' },
      h('span', { class: 'count', 'data-test': 'pager-count' }, `共 ${ordered.length} ${noun}${cap && ordered.length >= cap ? `（排名只列前 ${cap} ${unit || noun}）` : ''}${ordered.length ? `，第 ${offset + 1}–${offset + shown.length} ${unit || noun}` : ''}`),
      select ? [h('label', { for: sortId }, '排序'), select] : null,
    );
    mount(box, head, render(shown, offset), buttons);
  };
  draw();
  return box;
}
