// Form pieces shared by the demand and team editors: checkbox groups, list inputs and client-side checks
// that mirror the dataset contract, so most mistakes are caught before the service sees them.

import { h, newId, setFieldError } from '../ui.js';

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
