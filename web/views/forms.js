// Form pieces shared by the demand and team editors: checkbox groups, list inputs and client-side checks
// that mirror the dataset contract, so most mistakes are caught before the service sees them.

import { post, put, del } from '../api.js';
import { h, mount, newId, setFieldError, errorNotice, clearFieldErrors, showFormError, busy, toast } from '../ui.js';

/** A fieldset of checkboxes named `name`; options [{ value, label, group? }]. */
export function checkboxGroup(name, legend, options, selected = [], { hint } = {}) {
  const chosen = new Set(selected.map(String));
  const groups = new Map();
  for (const opt of options) {
    const key = opt.group || '';
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(opt);
  }
  const errId = newId('err');
  return h(
    'fieldset',
    { class: 'field checks', dataset: { field: name }, 'aria-describedby': errId },
    h('legend', {}, legend),
    hint ? h('p', { class: 'hint' }, hint) : null,
    [...groups.entries()].map(([group, opts]) =>
      h(
        'div',
        { class: 'check-group' },
        group ? h('p', { class: 'check-group-title' }, group) : null,
        h(
          'div',
          { class: 'check-grid' },
          opts.map((opt) => {
            const id = newId('c');
            return h(
              'span',
              { class: 'check' },
              h('input', { type: 'checkbox', id, name, value: opt.value, checked: chosen.has(String(opt.value)) }),
              h('label', { for: id }, opt.label),
            );
          }),
        ),
      ),
    ),
    h('p', { class: 'field-error', id: errId, 'aria-live': 'polite' }),
  );
}

export function checkedValues(form, name) {
  return [...form.querySelectorAll(`input[type=checkbox][name="${name}"]:checked`)].map((i) => i.value);
}

/** Splits "a、b，c; d" into trimmed, non-empty, unique items. */
export function splitList(text) {
  return [
    ...new Set(
      String(text || '')
        .split(/[,，、;；\n]+/)
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  ];
}

export function joinList(list) {
  return (list || []).join('、');
}

/** Collects client-side problems as [field, message]; shows them and returns whether the form is fine. */
export function report(form, problems) {
  for (const [name, message] of problems) setFieldError(form, name, message);
  if (problems.length) {
    const first = form.querySelector('[aria-invalid="true"]') || form.querySelector('.has-error input, .has-error textarea, .has-error select');
    if (first) first.focus();
    return false;
  }
  return true;
}

export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function isDate(text) {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const d = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === text;
}

/** A suggested id for a new record: prefix, owner and a short time-based suffix. */
export function suggestId(prefix, owner) {
  const stem = String(owner || '').replace(/^[a-z]+-/, '');
  return `${prefix}-${stem}-${Date.now().toString(36)}`.slice(0, 64);
}

/**
 * The editor of one team or demand: the grid of `fields`, a notice, and the actions (submit, cancel back to
 * `home`, delete when `editing`). On submit, `collect(form, problems)` builds the body and pushes the
 * problems it finds as [field, message]; a body without problems is saved to `/v1/{collection}`.
 * `noun` names the record in labels and messages, `title` the loaded one in the delete confirmation;
 * `saved` and `created` are the messages after an edit and after a creation.
 */
export function recordEditor({ editing, noun, collection, home, navigate, record, title, fields, collect, saved, created }) {
  const notice = h('div', { class: 'form-notice', tabindex: '-1' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, editing ? '保存修改' : `提交${noun}`);
  const form = h(
    'form',
    { class: 'form', novalidate: true },
    h('div', { class: 'form-grid' }, ...fields),
    notice,
    h(
      'div',
      { class: 'form-actions' },
      submit,
      h('a', { class: 'btn', href: `#/${home}` }, '取消'),
      editing ? h('button', { type: 'button', class: 'btn btn-danger', onClick: (e) => remove(e.currentTarget) }, `删除${noun}`) : null,
    ),
  );
  async function remove(button) {
    if (!window.confirm(`确定删除${noun}“${title}”吗？删除后不可恢复。`)) return;
    try {
      await busy(button, () => del(`/v1/${collection}/${encodeURIComponent(record.id)}`), '正在删除…');
      toast(`${noun}已删除`);
      navigate(home);
    } catch (err) {
      mount(notice, errorNotice(err, { context: '删除失败' }));
      notice.focus();
    }
  }
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearFieldErrors(form);
    mount(notice);
    const problems = [];
    const body = collect(form, problems);
    if (!report(form, problems)) {
      mount(notice, h('div', { class: 'notice notice-error', role: 'alert' }, h('p', {}, `有 ${problems.length} 处需要修改，请查看标红的字段。`)));
      return;
    }
    try {
      await busy(submit, () => (editing ? put(`/v1/${collection}/${encodeURIComponent(body.id)}`, body) : post(`/v1/${collection}`, body)), '正在保存…');
      toast(editing ? saved : created);
      navigate(home);
    } catch (err) {
      showFormError(form, err);
    }
  });
  return form;
}
