// View pieces shared by the zone and university rankings: the head of a ranked card and the loader that
// reloads a ranking into its results box as the filters change.

import { items, total } from '../api.js';
import { h, mount, loading, failure, emptyState, scoreBar, degreeBar } from '../ui.js';

/**
 * The head of the card ranked `index` (from 0): rank, title (its element id `${idPrefix}-${index}`, which
 * labels the card), a muted subtitle, and the 匹配度 bar (`degree`, else the score bar under `scoreLabel`).
 */
export function rankedCardHead({ index, idPrefix, title, subtitle, scoreLabel, score, degree }) {
  return h(
    'header',
    { class: 'card-head' },
    h('span', { class: 'rank', 'aria-label': `第 ${index + 1} 名` }, String(index + 1)),
    h('div', { class: 'card-title' }, h('h3', { id: `${idPrefix}-${index}` }, title), h('p', { class: 'muted' }, subtitle)),
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

/**
 * The honest count of a page of a list: “共 N 条，第 a–b 条” from the API's `total`, `offset` and the
 * page's length, with 上一页 / 下一页 that call `go(offset)`.
 */
export function pager(data, { noun = '条', go }) {
  const list = items(data);
  const all = total(data);
  const offset = Number((data && data.offset) || 0);
  const limit = Number((data && data.limit) || list.length || 1);
  const from = list.length ? offset + 1 : 0;
  const to = offset + list.length;
  return h(
    'div',
    { class: 'pager' },
    h('span', { class: 'count', 'data-test': 'pager-count' }, `共 ${all} ${noun}，第 ${from}–${to} ${noun}`),
    offset > 0 ? h('button', { type: 'button', class: 'btn btn-small', onClick: () => go(Math.max(0, offset - limit)) }, '上一页') : null,
    to < all ? h('button', { type: 'button', class: 'btn btn-small', onClick: () => go(offset + limit) }, '下一页') : null,
  );
}
