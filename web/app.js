// Console entry point: sign-in state, role detection through GET /v1/me, the navigation of each role and a
// small hash router that renders one view at a time into <main>.

import { get, session, onUnauthorized } from './api.js';
import { h, mount, loading, errorNotice } from './ui.js';
import * as refs from './refs.js';
import { renderSignIn } from './views/signin.js';
import * as zoneViews from './views/zone.js';
import * as universityViews from './views/university.js';
import * as searchViews from './views/search.js';
import * as dashboardViews from './views/dashboard.js';
import * as proposalViews from './views/proposals.js';
import * as reviewViews from './views/review.js';
import * as heatmapViews from './views/heatmap.js';
import * as importViews from './views/imports.js';
import * as pageViews from './views/pages.js';
import * as outcomeViews from './views/outcomes.js';
import * as conversionViews from './views/conversions.js';

const ROLE_LABELS = { department: '省级管理部门', zone: '高新区管理员', university: '高校联络员' };

/** The signed-in principal, normalised from GET /v1/me. */
let me = null;

export function normaliseMe(raw) {
  const role = String((raw && raw.role) || '');
  const [kind, roleId] = role.includes(':') ? role.split(':', 2) : [role, ''];
  return {
    kind: raw && raw.kind ? raw.kind : kind,
    role,
    zoneId: (raw && raw.zone_id) || (kind === 'zone' ? roleId : ''),
    universityId: (raw && raw.university_id) || (kind === 'university' ? roleId : ''),
    name: (raw && (raw.name || raw.token_name)) || '',
    orgName: (raw && (raw.zone_name || raw.university_name || raw.org_name)) || '',
  };
}

const NAV = {
  department: [
    { path: 'dashboard', label: '项目看板' },
    { path: 'targets', label: '目标进度' },
    { path: 'proposals', label: '配对方案' },
    { path: 'review', label: '审核队列' },
    { path: 'outcomes', label: '成果核实' },
    { path: 'heatmap', label: '配对质量热力图' },
    { path: 'candidates', label: '园区候选高校' },
    { path: 'imports', label: '批量导入' },
    { path: 'search', label: '检索' },
  ],
  zone: [
    { path: 'zone', label: '园区概况与需求' },
    { path: 'candidates', label: '候选高校与团队' },
    { path: 'pairings', label: '我的配对' },
    { path: 'patents', label: '可对接专利' },
    { path: 'imports', label: '批量导入' },
    { path: 'search', label: '检索' },
  ],
  university: [
    { path: 'demands', label: '适配企业需求' },
    { path: 'teams', label: '本校团队' },
    { path: 'pairings', label: '我的配对' },
    { path: 'conversions', label: '可转化成果' },
    { path: 'imports', label: '批量导入' },
    { path: 'search', label: '检索' },
  ],
};

const ROUTES = {
  department: [
    ['dashboard', dashboardViews.renderDashboard],
    ['targets', outcomeViews.renderTargets],
    ['outcomes', outcomeViews.renderOutcomeQueue],
    ['proposals', proposalViews.renderProposals],
    ['review', reviewViews.renderQueue],
    ['review/:id', reviewViews.renderPairing],
    ['heatmap', heatmapViews.renderHeatmap],
    ['candidates', zoneViews.renderCandidates],
    ['imports', importViews.renderImport],
    ['imports/:kind', importViews.renderImport],
    ['demand/:id', pageViews.renderDemandPage],
    ['team/:id', pageViews.renderTeamPage],
    ['zone/:id', pageViews.renderZonePage],
    ['university/:id', pageViews.renderUniversityPage],
    ['search', searchViews.renderSearch],
  ],
  zone: [
    ['zone', zoneViews.renderZoneHome],
    ['candidates', zoneViews.renderCandidates],
    ['demands/new', zoneViews.renderDemandForm],
    ['demands/:id/edit', zoneViews.renderDemandForm],
    ['pairings', reviewViews.renderQueue],
    ['patents', conversionViews.renderZonePatents],
    ['review/:id', reviewViews.renderPairing],
    ['imports', importViews.renderImport],
    ['imports/:kind', importViews.renderImport],
    ['demand/:id', pageViews.renderDemandPage],
    ['team/:id', pageViews.renderTeamPage],
    ['zone/:id', pageViews.renderZonePage],
    ['university/:id', pageViews.renderUniversityPage],
    ['search', searchViews.renderSearch],
  ],
  university: [
    ['demands', universityViews.renderFittingDemands],
    ['teams', universityViews.renderTeams],
    ['teams/new', universityViews.renderTeamForm],
    ['teams/:id/edit', universityViews.renderTeamForm],
    ['pairings', reviewViews.renderQueue],
    ['conversions', conversionViews.renderConversions],
    ['review/:id', reviewViews.renderPairing],
    ['imports', importViews.renderImport],
    ['imports/:kind', importViews.renderImport],
    ['demand/:id', pageViews.renderDemandPage],
    ['team/:id', pageViews.renderTeamPage],
    ['zone/:id', pageViews.renderZonePage],
    ['university/:id', pageViews.renderUniversityPage],
    ['search', searchViews.renderSearch],
  ],
};

function parseHash() {
  const raw = window.location.hash.replace(/^#\/?/, '');
  const [path, qs] = raw.split('?', 2);
  return { path: path.replace(/\/+$/, ''), query: new URLSearchParams(qs || '') };
}

/** Navigates to a console path such as `review/p-1` with optional query parameters. */
export function navigate(path, query) {
  const qs = query ? new URLSearchParams(Object.entries(query).filter(([, v]) => v !== undefined && v !== null && v !== '')).toString() : '';
  const target = `#/${path}${qs ? `?${qs}` : ''}`;
  if (window.location.hash === target) render();
  else window.location.hash = target;
}

function match(pattern, path) {
  const p = pattern.split('/');
  const s = path.split('/');
  if (p.length !== s.length) return null;
  const params = {};
  for (let i = 0; i < p.length; i += 1) {
    if (p[i].startsWith(':')) params[p[i].slice(1)] = decodeURIComponent(s[i]);
    else if (p[i] !== s[i]) return null;
  }
  return params;
}

function renderSession() {
  const box = document.getElementById('session');
  if (!me) {
    mount(box);
    return;
  }
  const org = me.orgName || me.zoneId || me.universityId;
  mount(
    box,
    h(
      'div',
      { class: 'who' },
      h('span', { class: 'who-role' }, ROLE_LABELS[me.kind] || me.role),
      org ? h('span', { class: 'who-org' }, org) : null,
      me.name ? h('span', { class: 'who-name' }, me.name) : null,
    ),
    h('button', { type: 'button', class: 'btn btn-ghost', onClick: signOut }, '退出登录'),
  );
}

function renderNav(current) {
  const nav = document.getElementById('nav');
  if (!me) {
    nav.hidden = true;
    mount(nav);
    return;
  }
  nav.hidden = false;
  // A zone's or university's page belongs to no one menu item (the zone home is `zone`, without an id).
  const top = /^(zone|university)\//.test(current) ? '' : current.split('/')[0];
  mount(
    nav,
    h(
      'ul',
      {},
      (NAV[me.kind] || []).map((item) =>
        h(
          'li',
          {},
          h('a', { href: `#/${item.path}`, 'aria-current': item.path === top || (top === 'demands' && item.path === 'zone' && me.kind === 'zone') ? 'page' : undefined }, item.label),
        ),
      ),
    ),
  );
}

function signOut() {
  session.token = '';
  me = null;
  refs.reset();
  window.location.hash = '#/signin';
  render();
}

onUnauthorized(() => {
  if (!me) return;
  session.token = '';
  me = null;
  refs.reset();
  window.location.hash = '#/signin?expired=1';
});

/** Calls GET /v1/me with the stored token; returns the principal or throws. */
export async function whoAmI(token) {
  const raw = await get('/v1/me', undefined, { token });
  const principal = normaliseMe(raw);
  if (!principal.orgName && (principal.zoneId || principal.universityId)) {
    try {
      const path = principal.zoneId ? `/v1/zones/${encodeURIComponent(principal.zoneId)}` : `/v1/universities/${encodeURIComponent(principal.universityId)}`;
      const org = await get(path, undefined, { token });
      principal.orgName = (org && org.name) || '';
    } catch {
      // The id is shown instead.
    }
  }
  return principal;
}

async function signIn(token) {
  const principal = await whoAmI(token);
  session.token = token;
  me = principal;
  refs.reset();
  navigate(NAV[me.kind] ? NAV[me.kind][0].path : 'signin');
}

let renderSeq = 0;

async function render() {
  const seq = (renderSeq += 1);
  const main = document.getElementById('main');
  const { path, query } = parseHash();

  if (!me && session.token) {
    mount(main, loading('正在验证身份…'));
    try {
      me = await whoAmI(session.token);
    } catch (err) {
      if (seq !== renderSeq) return;
      if (err.status === 401) {
        session.token = '';
      } else {
        renderSession();
        renderNav('');
        mount(main, h('div', { class: 'view narrow' }, errorNotice(err, { context: '身份验证失败', retry: () => render() })));
        return;
      }
    }
    if (seq !== renderSeq) return;
  }

  if (!me) {
    renderSession();
    renderNav('');
    document.title = '登录 · 双高协同对接平台';
    renderSignIn(main, { onSubmit: signIn, expired: query.get('expired') === '1' });
    return;
  }

  const routes = ROUTES[me.kind];
  if (!routes) {
    renderSession();
    renderNav('');
    mount(main, h('div', { class: 'view narrow' }, errorNotice({ code: 'forbidden', status: 403 }, { context: `不支持的角色 ${me.role}` })));
    return;
  }
  let found = null;
  for (const [pattern, view] of routes) {
    const params = match(pattern, path);
    if (params) {
      found = { view, params };
      break;
    }
  }
  if (!found) {
    navigate(NAV[me.kind][0].path);
    return;
  }
  renderSession();
  renderNav(path);
  const view = h('div', { class: 'view' });
  mount(main, view);
  const setQuery = (next) => {
    const qs = new URLSearchParams(Object.entries(next).filter(([, v]) => v !== undefined && v !== null && v !== '')).toString();
    window.history.replaceState(null, '', `#/${path}${qs ? `?${qs}` : ''}`);
  };
  const mergeQuery = (partial) => {
    const current = parseHash();
    if (current.path !== path) return;
    const next = Object.fromEntries(current.query.entries());
    Object.assign(next, partial);
    setQuery(next);
  };
  const ctx = { me, params: found.params, query, navigate, setQuery, mergeQuery, view, refresh: render };
  try {
    await found.view(ctx);
  } catch (err) {
    if (view.isConnected) mount(view, errorNotice(err, { context: '页面加载失败', retry: () => render() }));
  }
  if (seq === renderSeq && view.isConnected) {
    const heading = view.querySelector('h1');
    if (heading) {
      document.title = `${heading.textContent} · 双高协同对接平台`;
      if (document.activeElement === document.body || !view.contains(document.activeElement)) heading.focus({ preventScroll: true });
    }
  }
}

window.addEventListener('hashchange', render);
render();
