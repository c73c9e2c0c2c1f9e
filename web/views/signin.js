// Sign-in with an access token: the role (department, zone, university) comes from the service.

import { h, mount, errorNotice, busy, field } from '../ui.js';

export function renderSignIn(main, { onSubmit, expired }) {
  const input = h('input', {
    type: 'password',
    name: 'token',
    autocomplete: 'off',
    spellcheck: 'false',
    class: 'mono',
    placeholder: '粘贴 64 位访问令牌',
  });
  const show = h('input', { type: 'checkbox', id: 'show-token' });
  show.addEventListener('change', () => {
    input.type = show.checked ? 'text' : 'password';
  });
  const notice = h('div', { class: 'form-notice', tabindex: '-1' });
  if (expired) notice.append(h('div', { class: 'notice notice-warn', role: 'status' }, h('p', {}, '登录已失效（令牌无效或已被吊销），请重新登录。')));
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block' }, '登录');
  const form = h(
    'form',
    { class: 'signin-form', novalidate: true },
    field('访问令牌', input, { hint: '令牌由省级管理部门签发，对应“管理部门”“高新区”或“高校”角色。令牌只保存在当前浏览器标签页中，关闭后需重新登录。', required: true }),
    h('p', { class: 'check' }, show, h('label', { for: 'show-token' }, '显示令牌')),
    notice,
    submit,
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const token = input.value.trim();
    mount(notice);
    form.querySelector('.field').classList.remove('has-error');
    if (!token) {
      form.querySelector('.field').classList.add('has-error');
      form.querySelector('.field-error').textContent = '请输入访问令牌。';
      input.setAttribute('aria-invalid', 'true');
      input.focus();
      return;
    }
    input.removeAttribute('aria-invalid');
    form.querySelector('.field-error').textContent = '';
    try {
      await busy(submit, () => onSubmit(token), '正在验证…');
    } catch (err) {
      mount(notice, errorNotice(err, { context: '登录失败' }));
      input.focus();
    }
  });
  mount(
    main,
    h(
      'div',
      { class: 'signin' },
      h(
        'section',
        { class: 'signin-card', 'aria-labelledby': 'signin-title' },
        h('h1', { id: 'signin-title', tabindex: '-1' }, '登录双高协同对接平台'),
        h('p', { class: 'subtitle' }, '高新区 × 高校 协同创新 · 需求对接与结对配对管理'),
        form,
      ),
      h(
        'ul',
        { class: 'signin-roles' },
        h('li', {}, h('strong', {}, '管理部门'), '发起配对方案、审核“五个一”配对、查看项目看板'),
        h('li', {}, h('strong', {}, '高新区'), '维护园区需求、查看候选高校与团队及匹配依据'),
        h('li', {}, h('strong', {}, '高校'), '查看适配的企业需求、维护本校科研团队'),
      ),
    ),
  );
  input.focus();
}
