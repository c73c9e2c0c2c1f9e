// Small DOM toolkit shared by every view: element builder (text only, never HTML strings from data),
// score bars, contribution charts, empty states, error notices, progress, form field errors and an
// in-page confirmation dialog.

import { sentence, FIELD_NAMES } from './errors.js';

/**
 * Builds an element. `attrs`: class, text, on<Event> handlers, dataset, boolean and plain attributes.
 * Children: nodes, strings (as text), arrays, null/false (skipped).
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.className = Array.isArray(value) ? value.filter(Boolean).join(' ') : value;
    else if (key === 'text') el.textContent = String(value);
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key === 'style') Object.assign(el.style, value);
    else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2).toLowerCase(), value);
    else if (value === true) el.setAttribute(key, '');
    else if (key === 'value' && 'value' in el) el.value = value;
    else el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else if (child instanceof Node) el.append(child);
    else el.append(document.createTextNode(String(child)));
  }
}

/** Replaces the children of `el`. */
export function mount(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

let uid = 0;
/** A unique element id with a readable prefix. */
export function newId(prefix = 'f') {
  uid += 1;
  return `${prefix}-${uid}`;
}

/** A number in [0, 1] (or any number) shown with two decimals. */
export function fmtScore(value) {
  const n = Number(value);
  return Number.isFinite(n) ? n.toFixed(2) : '—';
}

export function fmtPercent(value) {
  const n = Number(value);
  return Number.isFinite(n) ? `${Math.round(n)}%` : '—';
}

export function fmtNumber(value) {
  const n = Number(value);
  return Number.isFinite(n) ? n.toLocaleString('zh-CN') : '—';
}

/** A date-time string from the service shown in local Chinese format. */
export function fmtTime(value) {
  if (!value) return '—';
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return String(value);
  return d.toLocaleString('zh-CN', { hour12: false });
}

/** Horizontal bar for a score in [0, 1], with the value written next to it. */
export function scoreBar(score, { label = '匹配得分', max = 1 } = {}) {
  const n = Number(score);
  const ratio = Number.isFinite(n) ? Math.max(0, Math.min(1, n / max)) : 0;
  const fill = h('span', { class: 'score-fill' });
  fill.style.width = `${(ratio * 100).toFixed(1)}%`;
  if (ratio >= 0.7) fill.classList.add('is-high');
  else if (ratio < 0.4) fill.classList.add('is-low');
  return h(
    'span',
    { class: 'score', role: 'img', 'aria-label': `${label} ${fmtScore(n)}` },
    h('span', { class: 'score-track', 'aria-hidden': 'true' }, fill),
    h('span', { class: 'score-value', 'aria-hidden': 'true' }, fmtScore(n)),
  );
}

/** Horizontal bar for a 匹配度 {value: 0–100, label: 强|较强|一般|弱}, written as “72 较强”. */
export function degreeBar(degree, { label = '匹配度' } = {}) {
  const value = Math.max(0, Math.min(100, Number(degree && degree.value) || 0));
  const word = (degree && degree.label) || '';
  const fill = h('span', { class: 'score-fill' });
  fill.style.width = `${value}%`;
  if (value >= 80) fill.classList.add('is-high');
  else if (value < 60) fill.classList.add('is-low');
  return h(
    'span',
    { class: 'score degree', role: 'img', 'aria-label': `${label} ${value}（${word}）` },
    h('span', { class: 'score-track', 'aria-hidden': 'true' }, fill),
    h('span', { class: 'score-value', 'aria-hidden': 'true' }, `${value} ${word}`),
  );
}

/** Small horizontal bar chart of labelled values (feature contributions); negative values go left. */
export function barChart(rows, { caption = '各项特征贡献' } = {}) {
  const clean = rows.filter((r) => Number.isFinite(Number(r.value)));
  if (!clean.length) return null;
  const max = Math.max(...clean.map((r) => Math.abs(Number(r.value))), 1e-9);
  return h(
    'figure',
    { class: 'bars' },
    h('figcaption', {}, caption),
    h(
      'table',
      { class: 'bars-table' },
      h(
        'tbody',
        {},
        clean.map((row) => {
          const value = Number(row.value);
          const bar = h('span', { class: ['bar', value < 0 ? 'is-negative' : ''] });
          bar.style.width = `${((Math.abs(value) / max) * 100).toFixed(1)}%`;
          return h(
            'tr',
            {},
            h('th', { scope: 'row' }, row.label),
            h('td', { class: 'bars-cell' }, h('span', { class: 'bar-track' }, bar)),
            h('td', { class: 'num' }, row.text !== undefined ? row.text : value.toFixed(3)),
          );
        }),
      ),
    ),
  );
}

function escapeRegExp(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Text with the given terms wrapped in <mark>. Also understands highlight markers the search engine may
 * put in snippets (<b>…</b>, <em>…</em>, <mark>…</mark>, 【…】) without ever parsing HTML.
 */
export function highlight(text, terms = []) {
  const frag = document.createDocumentFragment();
  if (text === undefined || text === null) return frag;
  const source = String(text);
  const marker = /<(b|em|mark|strong)>(.*?)<\/\1>/gis;
  const parts = [];
  let last = 0;
  for (const match of source.matchAll(marker)) {
    if (match.index > last) parts.push({ text: source.slice(last, match.index), marked: false });
    parts.push({ text: match[2], marked: true });
    last = match.index + match[0].length;
  }
  if (last < source.length) parts.push({ text: source.slice(last), marked: false });
  const words = [...new Set(terms.map((t) => String(t || '').trim()).filter((t) => t.length > 0))].sort(
    (a, b) => b.length - a.length,
  );
  const pattern = words.length ? new RegExp(`(${words.map(escapeRegExp).join('|')})`, 'gi') : null;
  for (const part of parts) {
    const plain = part.text.replace(/<[^>]*>/g, '');
    if (part.marked) {
      frag.append(h('mark', {}, plain));
    } else if (pattern) {
      for (const piece of plain.split(pattern)) {
        if (!piece) continue;
        if (words.some((w) => w.toLowerCase() === piece.toLowerCase())) frag.append(h('mark', {}, piece));
        else frag.append(document.createTextNode(piece));
      }
    } else {
      frag.append(document.createTextNode(plain));
    }
  }
  return frag;
}

/** A block telling the user why a list is empty and what to do next. */
export function emptyState({ title, body, action, icon = 'info' } = {}) {
  return h(
    'div',
    { class: ['empty', `empty-${icon}`], role: 'status' },
    h('p', { class: 'empty-title' }, title),
    body ? h('p', { class: 'empty-body' }, body) : null,
    action || null,
  );
}

/** Empty state for an endpoint that this server does not offer yet. */
export function unavailableState(what) {
  return emptyState({
    icon: 'pending',
    title: `${what}功能暂未开放`,
    body: '当前服务版本尚未提供这项功能的数据接口。接口上线后，刷新本页即可使用；其他功能不受影响。',
  });
}

/** An error notice with a sentence and, when useful, a retry button. */
export function errorNotice(error, { retry, context } = {}) {
  const text = sentence(error);
  return h(
    'div',
    { class: 'notice notice-error', role: 'alert' },
    h('p', {}, context ? `${context}：${text}` : text),
    error && error.code && error.status ? h('p', { class: 'notice-code' }, `错误代码 ${error.status} · ${error.code}`) : null,
    retry ? h('button', { type: 'button', class: 'btn btn-small', onClick: retry }, '重试') : null,
  );
}

/** Renders a view's load failure: unavailable endpoints get an explanatory empty state. */
export function failure(error, what, retry) {
  if (error && error.unavailable) return unavailableState(what);
  return errorNotice(error, { retry, context: `${what}加载失败` });
}

/**
 * Loads the list `what` of a view into `box`: on failure a notice whose retry refreshes the view (`ctx`),
 * when empty the `empty` state (its `action`: { href, label } of the button that adds the first item).
 * Resolves to the items, or to null when the box already says why there are none.
 */
export async function loadList(ctx, box, what, load, empty) {
  let list;
  try {
    list = await load();
  } catch (err) {
    mount(box, failure(err, what, () => ctx.refresh()));
    return null;
  }
  if (!list.length) {
    const action = h('a', { class: 'btn btn-primary', href: empty.action.href }, empty.action.label);
    mount(box, emptyState({ ...empty, action }));
    return null;
  }
  return list;
}

export function loading(text = '正在加载…') {
  return h('p', { class: 'loading', role: 'status' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), text);
}

/** A progress bar with a percentage and a label; returns { el, set(pct, label) }. */
export function progress(label = '处理中') {
  const fill = h('span', { class: 'progress-fill' });
  const text = h('span', { class: 'progress-text' });
  const bar = h(
    'div',
    { class: 'progress', role: 'progressbar', 'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-valuenow': '0' },
    h('span', { class: 'progress-track' }, fill),
  );
  const el = h('div', { class: 'progress-wrap' }, bar, text);
  const set = (pct, note = label) => {
    const p = Math.max(0, Math.min(100, Number(pct) || 0));
    fill.style.width = `${p}%`;
    bar.setAttribute('aria-valuenow', String(Math.round(p)));
    bar.setAttribute('aria-label', note);
    text.textContent = `${note} ${Math.round(p)}%`;
  };
  set(0);
  return { el, set };
}

const toastBox = () => document.getElementById('toasts');

/** A short message in the corner (also read by screen readers). */
export function toast(message, kind = 'ok') {
  const box = toastBox();
  if (!box) return;
  const el = h('div', { class: ['toast', `toast-${kind}`] }, message);
  box.append(el);
  setTimeout(() => el.remove(), 5000);
}

export const STATUS_LABELS = {
  proposed: '待审核',
  approved: '已通过',
  rejected: '已驳回',
  changes_requested: '需修改',
};

export function statusBadge(status) {
  return h('span', { class: ['badge', `badge-${status || 'unknown'}`] }, STATUS_LABELS[status] || status || '未知');
}

export function chips(values, cls = 'chip') {
  const list = (values || []).filter((v) => v !== undefined && v !== null && v !== '');
  if (!list.length) return h('span', { class: 'muted' }, '—');
  return h('ul', { class: 'chips' }, list.map((v) => h('li', { class: cls }, String(v))));
}

/**
 * A labelled form control with a hint and an error slot. `control` is an input/select/textarea whose
 * `name` ties it to the service's field names for 422 errors.
 */
export function field(label, control, { hint, required } = {}) {
  const id = control.id || newId('f');
  control.id = id;
  const errId = `${id}-err`;
  const hintId = hint ? `${id}-hint` : null;
  control.setAttribute('aria-describedby', [hintId, errId].filter(Boolean).join(' '));
  if (required) control.required = true;
  return h(
    'div',
    { class: 'field', dataset: { field: control.name || '' } },
    h('label', { for: id }, label, required ? h('span', { class: 'req', 'aria-hidden': 'true' }, ' *') : null),
    control,
    hint ? h('p', { class: 'hint', id: hintId }, hint) : null,
    h('p', { class: 'field-error', id: errId, 'aria-live': 'polite' }),
  );
}

/** Clears every field error of a form. */
export function clearFieldErrors(form) {
  form.querySelectorAll('.field').forEach((f) => f.classList.remove('has-error'));
  form.querySelectorAll('.field-error').forEach((p) => (p.textContent = ''));
  form.querySelectorAll('[aria-invalid]').forEach((c) => c.removeAttribute('aria-invalid'));
}

/** Shows one message next to the field whose name matches `name` (or its nearest parent path). */
export function setFieldError(form, name, message) {
  let key = String(name || '').replace(/\[\d+\]/g, '').replace(/^\//, '').replace(/\//g, '.');
  while (key) {
    const box = form.querySelector(`.field[data-field="${CSS.escape(key)}"]`);
    if (box) {
      box.classList.add('has-error');
      const p = box.querySelector('.field-error');
      p.textContent = p.textContent ? `${p.textContent}；${message}` : message;
      const control = box.querySelector('input,select,textarea');
      if (control) control.setAttribute('aria-invalid', 'true');
      return box;
    }
    key = key.includes('.') ? key.slice(0, key.lastIndexOf('.')) : '';
  }
  return null;
}

/**
 * Shows a service error on a form: 422 field errors next to their fields, everything else in the form's
 * notice area. Focuses the first invalid control.
 */
export function showFormError(form, error) {
  const notice = form.querySelector('.form-notice');
  let placed = 0;
  if (error && Array.isArray(error.fields)) {
    for (const f of error.fields) {
      const name = FIELD_NAMES[f.field] || FIELD_NAMES[String(f.field).split('.')[0]] || f.field;
      const detail = f.message ? `（服务提示：${f.message}）` : '';
      if (setFieldError(form, f.field, `${name}不符合数据规范${detail}`)) placed += 1;
    }
  }
  if (notice) {
    mount(notice, errorNotice(error));
    if (placed) notice.querySelector('p').textContent = `${sentence(error)}`;
  }
  const first = form.querySelector('[aria-invalid="true"]');
  if (first) first.focus();
  else if (notice) notice.focus();
}

/** A simple aligned table: columns [{ label, cell(row) -> node|string, num?: bool, class? }]. */
export function table(columns, rows, { caption, rowClass } = {}) {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'data' },
      caption ? h('caption', {}, caption) : null,
      h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col', class: [c.num ? 'num' : '', c.class] }, c.label)))),
      h(
        'tbody',
        {},
        rows.map((row, i) =>
          h(
            'tr',
            { class: rowClass ? rowClass(row) : undefined },
            columns.map((c) => h('td', { class: [c.num ? 'num' : '', c.class] }, c.cell(row, i))),
          ),
        ),
      ),
    ),
  );
}

/** A page header: title, optional subtitle and actions. */
export function pageHeader(title, subtitle, ...actions) {
  return h(
    'header',
    { class: 'page-head' },
    h('div', {}, h('h1', { tabindex: '-1' }, title), subtitle ? h('p', { class: 'subtitle' }, subtitle) : null),
    actions.length ? h('div', { class: 'page-actions' }, actions) : null,
  );
}

/** A titled block of an explanation: a heading over the list of `items`, each drawn by `item`. */
export function listBlock(title, listClass, items, item) {
  return h('div', { class: 'explain-block' }, h('h4', {}, title), h('ul', { class: listClass }, items.map(item)));
}

/** Whenever a select changes: hands its new value to `set`, then calls `reload`. */
export function onSelect(select, set, reload) {
  select.addEventListener('change', () => {
    set(select.value);
    reload();
  });
}

export function panel(title, ...children) {
  return h('section', { class: 'panel' }, title ? h('h2', {}, title) : null, children);
}

/**
 * Asks for confirmation in an in-page modal `<dialog>` (not `window.confirm`, so that it is styled, read
 * by screen readers and clickable by the end-to-end test). Resolves true on confirm, false on cancel or
 * Escape; the dialog removes itself.
 */
export function confirmDialog({ title = '请确认', message, confirmLabel = '确定', cancelLabel = '取消' } = {}) {
  return new Promise((resolve) => {
    const titleId = newId('confirm-title');
    const messageId = newId('confirm-message');
    const dialog = h('dialog', { class: 'confirm-dialog', 'aria-labelledby': titleId, 'aria-describedby': messageId });
    const close = (answer) => {
      if (dialog.open) dialog.close();
      dialog.remove();
      resolve(answer);
    };
    const ok = h('button', { type: 'button', class: 'btn btn-primary', onClick: () => close(true) }, confirmLabel);
    const cancel = h('button', { type: 'button', class: 'btn', onClick: () => close(false) }, cancelLabel);
    dialog.addEventListener('cancel', (e) => {
      e.preventDefault();
      close(false);
    });
    mount(
      dialog,
      h('h2', { id: titleId }, title),
      h('p', { id: messageId, class: 'confirm-message' }, message),
      h('div', { class: 'form-actions' }, cancel, ok),
    );
    document.body.append(dialog);
    if (typeof dialog.showModal === 'function') dialog.showModal();
    else dialog.setAttribute('open', '');
    ok.focus();
  });
}

/** Runs an async action while a button shows it is busy; the button is re-enabled afterwards. */
export async function busy(button, fn, text = '处理中…') {
  const label = button.textContent;
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  button.textContent = text;
  try {
    return await fn();
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
    button.textContent = label;
  }
}
