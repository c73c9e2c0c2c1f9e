// Outcomes of approved pairings: the panel on a pairing's page (its outcomes, the zone's or university's
// form to record one, the department's verify and reject buttons), the department's verification queue
// (成果核实) and the 目标进度 page over GET /v1/dashboard's `targets`.

import { get, post, items, total, download } from '../api.js';
import { sentence } from '../errors.js';
import { h, mount, loading, failure, emptyState, pageHeader, panel, table, fmtNumber, field, clearFieldErrors, setFieldError, toast, busy } from '../ui.js';
import * as refs from '../refs.js';
import { nameOf } from '../refs.js';

export const KIND_LABELS = {
  project: '标杆项目进展',
  contract: '技术合同',
  payment: '合同到账',
  patent_conversion: '专利转化',
  platform: '共建平台',
  talent: '领军人才',
  students: '联合培养研究生',
};

const STATUS_LABELS = { pending: '待核实', verified: '已核实', rejected: '已退回' };
const STAGE_LABELS = { planned: '计划', contracted: '已签约', in_progress: '实施中', accepted: '已验收', terminated: '已终止' };
const MODE_LABELS = { transfer: '转让', licence: '许可', equity: '作价入股' };
const DEGREE_LABELS = { master: '硕士', doctoral: '博士' };

/** The fields of each kind: [name, label, type, options?]. Required unless marked optional. */
const FORMS = {
  project: [
    ['title', '项目名称', 'text'],
    ['demand_id', '对应企业需求编号（选填）', 'text', { optional: true }],
    ['stage', '进展阶段', 'select', { options: STAGE_LABELS }],
    ['date', '日期', 'date'],
  ],
  contract: [
    ['enterprise', '签约企业', 'text'],
    ['amount_wan_yuan', '合同金额（万元）', 'amount'],
    ['signed_on', '签订日期', 'date'],
    ['title', '合同名称（选填）', 'text', { optional: true }],
  ],
  payment: [
    ['contract_id', '所属合同', 'contract'],
    ['amount_wan_yuan', '到账金额（万元）', 'amount'],
    ['received_on', '到账日期', 'date'],
  ],
  patent_conversion: [
    ['patent_no', '专利号', 'text', { optional: true }],
    ['achievement', '成果名称（无专利号时必填）', 'text', { optional: true }],
    ['mode', '转化方式', 'select', { options: MODE_LABELS }],
    ['amount_wan_yuan', '转化金额（万元）', 'amount'],
    ['enterprise', '受让企业', 'text'],
    ['date', '转化日期', 'date'],
  ],
  platform: [
    ['name', '平台名称', 'text'],
    ['platform_kind', '平台类型（如联合实验室、中试基地）', 'text'],
    ['level', '平台级别（如国家级、省级、市级）', 'text'],
    ['built_on', '建成日期', 'date'],
  ],
  talent: [
    ['name', '姓名', 'text'],
    ['title', '职称或称号（选填）', 'text', { optional: true }],
    ['appointed_on', '聘任日期', 'date'],
  ],
  students: [
    ['year', '年份', 'year'],
    ['degree', '层次', 'select', { options: DEGREE_LABELS }],
    ['count', '人数', 'count'],
  ],
};

const MAX_AMOUNT = 1000000;

function today() {
  return new Date().toISOString().slice(0, 10);
}

/** A Chinese message for one field's value, or '' when it passes (the service checks again). */
export function checkValue(type, value, { optional } = {}) {
  const v = String(value ?? '').trim();
  if (!v) return optional ? '' : '此项为必填项';
  if (type === 'amount') {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) return '金额须为大于 0 的数字（单位：万元）';
    if (n > MAX_AMOUNT) return '金额不能超过 1,000,000 万元（100 亿元）';
  }
  if (type === 'date') {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(v)) return '请填写日期，格式为 年-月-日';
    if (v < '2000-01-01') return '日期不能早于 2000 年';
    if (v > today()) return '日期不能晚于今天';
  }
  if (type === 'year') {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 2000 || n > new Date().getFullYear()) return `年份须在 2000 至 ${new Date().getFullYear()} 之间`;
  }
  if (type === 'count') {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1 || n > 10000) return '人数须为 1 至 10000 的整数';
  }
  if (v.length > 200) return '不能超过 200 个字';
  return '';
}

/** What an outcome says, in one line. */
export function describe(o, contracts = []) {
  const d = o.detail || {};
  const wan = (x) => `${fmtNumber(x)} 万元`;
  switch (o.kind) {
    case 'project':
      return `${d.title}（${STAGE_LABELS[d.stage] || d.stage}）`;
    case 'contract':
      return `${d.enterprise}${d.title ? `：${d.title}` : ''}，${wan(d.amount_wan_yuan)}`;
    case 'payment': {
      const c = contracts.find((x) => x.id === d.contract_id);
      return c ? `${c.detail.enterprise}合同（${wan(c.detail.amount_wan_yuan)}）到账 ${wan(d.amount_wan_yuan)}` : `合同 ${d.contract_id} 到账 ${wan(d.amount_wan_yuan)}`;
    }
    case 'patent_conversion':
      return `${d.patent_no || d.achievement} ${MODE_LABELS[d.mode] || d.mode}给 ${d.enterprise}，${wan(d.amount_wan_yuan)}`;
    case 'platform':
      return `${d.name}（${d.level}${d.platform_kind}）`;
    case 'talent':
      return `${d.name}${d.title ? `（${d.title}）` : ''}`;
    case 'students':
      return `${d.year} 年${DEGREE_LABELS[d.degree] || d.degree}研究生 ${fmtNumber(d.count)} 人`;
    default:
      return o.kind;
  }
}

function dateOf(o) {
  const d = o.detail || {};
  return d.date || d.signed_on || d.received_on || d.built_on || d.appointed_on || (d.year ? `${d.year} 年` : '');
}

function statusTag(status) {
  return h('span', { class: ['badge', `badge-${status === 'verified' ? 'approved' : status === 'rejected' ? 'rejected' : 'proposed'}`] }, STATUS_LABELS[status] || status);
}

function control(name, type, opts, contracts) {
  if (type === 'select') {
    return h('select', { name }, Object.entries(opts.options).map(([value, label]) => h('option', { value }, label)));
  }
  if (type === 'contract') {
    const live = contracts.filter((c) => c.status !== 'rejected');
    return h(
      'select',
      { name },
      live.length ? live.map((c) => h('option', { value: c.id }, `${c.detail.enterprise} ${fmtNumber(c.detail.amount_wan_yuan)} 万元（${STATUS_LABELS[c.status]}）`)) : h('option', { value: '' }, '请先登记技术合同'),
    );
  }
  const attrs = { name, type: type === 'date' ? 'date' : type === 'text' ? 'text' : 'number' };
  if (type === 'amount') Object.assign(attrs, { step: '0.01', min: '0', inputmode: 'decimal' });
  if (type === 'date') attrs.max = today();
  if (type === 'year') attrs.value = String(new Date().getFullYear());
  return h('input', attrs);
}

/** The form a zone or university records an outcome with. */
function recordForm(p, contracts, reload) {
  const kind = h('select', { name: 'kind' }, Object.entries(KIND_LABELS).map(([value, label]) => h('option', { value }, label)));
  const fields = h('div', { class: 'outcome-fields' });
  const notice = h('div', { class: 'form-notice', tabindex: '-1' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, '提交登记');
  const form = h('form', { class: 'outcome-form', novalidate: true }, field('成果类型', kind), fields, notice, h('div', { class: 'form-actions' }, submit));
  const draw = () => {
    mount(fields, FORMS[kind.value].map(([name, label, type, opts = {}]) => field(label, control(name, type, opts, contracts), { required: !opts.optional })));
  };
  kind.addEventListener('change', draw);
  draw();
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearFieldErrors(form);
    mount(notice);
    const body = { kind: kind.value };
    let bad = 0;
    for (const [name, , type, opts = {}] of FORMS[kind.value]) {
      const value = form.elements[name].value;
      const problem = checkValue(type, value, opts);
      if (problem) {
        setFieldError(form, name, problem);
        bad += 1;
        continue;
      }
      if (!String(value).trim()) continue;
      body[name] = ['amount', 'year', 'count'].includes(type) ? Number(value) : String(value).trim();
    }
    if (kind.value === 'patent_conversion' && !body.patent_no && !body.achievement) {
      setFieldError(form, 'patent_no', '请填写专利号或成果名称');
      bad += 1;
    }
    if (kind.value === 'payment') {
      const c = contracts.find((x) => x.id === body.contract_id);
      const paid = contracts.paid ? contracts.paid(body.contract_id) : 0;
      if (c && body.amount_wan_yuan + paid > c.detail.amount_wan_yuan + 1e-6) {
        setFieldError(form, 'amount_wan_yuan', `累计到账将超过合同金额 ${fmtNumber(c.detail.amount_wan_yuan)} 万元（已登记到账 ${fmtNumber(paid)} 万元）`);
        bad += 1;
      }
    }
    if (bad) {
      const first = form.querySelector('[aria-invalid="true"]');
      if (first) first.focus();
      return;
    }
    await busy(submit, async () => {
      try {
        await post(`/v1/pairings/${encodeURIComponent(p.id)}/outcomes`, body);
        toast('已登记，等待省级管理部门核实');
        reload();
      } catch (err) {
        for (const f of err.fields || []) setFieldError(form, f.field, sentence(err));
        mount(notice, h('p', { class: 'notice notice-error', role: 'alert' }, sentence(err)));
      }
    });
  });
  return form;
}

/** Verify and reject buttons of one pending outcome (department). */
function decisionButtons(o, reload) {
  const verify = h('button', { type: 'button', class: 'btn btn-small btn-primary', dataset: { decision: 'verify' } }, '核实');
  const reject = h('button', { type: 'button', class: 'btn btn-small' }, '退回');
  verify.addEventListener('click', () =>
    busy(verify, async () => {
      try {
        await post(`/v1/outcomes/${encodeURIComponent(o.id)}/verify`, { decision: 'verify' });
        toast('已核实，计入目标进度');
        reload();
      } catch (err) {
        toast(sentence(err), 'error');
      }
    }),
  );
  reject.addEventListener('click', async () => {
    const comment = window.prompt('退回原因（必填）');
    if (comment === null) return;
    if (!comment.trim()) {
      toast('退回时必须填写原因', 'error');
      return;
    }
    await busy(reject, async () => {
      try {
        await post(`/v1/outcomes/${encodeURIComponent(o.id)}/verify`, { decision: 'reject', comment });
        toast('已退回');
        reload();
      } catch (err) {
        toast(sentence(err), 'error');
      }
    });
  });
  return h('span', { class: 'row-actions' }, verify, ' ', reject);
}

/** The outcomes panel of an approved pairing's page. */
export function outcomesPanel(p, me) {
  const box = h('div', {}, loading());
  const reload = async () => {
    let data;
    try {
      data = await get(`/v1/pairings/${encodeURIComponent(p.id)}/outcomes`, { limit: 100 });
    } catch (err) {
      mount(box, failure(err, '成果', reload));
      return;
    }
    const rows = items(data);
    const contracts = rows.filter((o) => o.kind === 'contract');
    contracts.paid = (id) => rows.filter((o) => o.kind === 'payment' && o.status !== 'rejected' && o.detail.contract_id === id).reduce((s, o) => s + o.detail.amount_wan_yuan, 0);
    const department = me.kind === 'department';
    mount(
      box,
      rows.length
        ? table(
            [
              { label: '类型', cell: (o) => KIND_LABELS[o.kind] || o.kind },
              { label: '内容', cell: (o) => describe(o, contracts) },
              { label: '日期', cell: (o) => dateOf(o) },
              { label: '登记', cell: (o) => o.recorded_by.name },
              { label: '状态', cell: (o) => (department && o.status === 'pending' ? h('span', {}, statusTag(o.status), ' ', decisionButtons(o, reload)) : statusTag(o.status)) },
            ],
            rows,
            { caption: `共 ${total(data)} 条成果，已核实的计入目标进度` },
          )
        : emptyState({ title: '还没有登记成果', body: department ? '园区或高校登记成果后，将在这里核实。' : '签订合同、到账、专利转化、共建平台、聘任人才、联合培养研究生后，请在下方登记。' }),
      department ? null : h('h3', { class: 'subhead' }, '登记新成果'),
      department ? null : h('p', { class: 'muted' }, '成果较多时，可用 ', h('a', { href: '#/imports/outcomes' }, '批量导入成果'), ' 从 Excel 一次登记。'),
      department ? null : recordForm(p, contracts, reload),
    );
  };
  reload();
  return panel('配对成果', box);
}

/** Department: outcomes waiting for verification, oldest concerns first. */
export async function renderOutcomeQueue(ctx) {
  const { view } = ctx;
  mount(view, loading());
  const maps = await refs.all();
  let data;
  let contracts = [];
  try {
    data = await get('/v1/outcomes', { status: 'pending', limit: 100 });
    // The contracts the pending payments are received on, to name them.
    const wanted = [...new Set(items(data).filter((o) => o.kind === 'payment').map((o) => o.detail.contract_id))];
    contracts = (await Promise.all(wanted.map((id) => get(`/v1/outcomes/${encodeURIComponent(id)}`).catch(() => null)))).filter(Boolean).map((v) => v.outcome);
  } catch (err) {
    mount(view, pageHeader('成果核实'), failure(err, '待核实成果', () => ctx.refresh()));
    return;
  }
  const rows = items(data);
  mount(
    view,
    pageHeader('成果核实', '园区和高校登记的配对成果，核实后计入 2027 年目标进度；退回须填写原因'),
    panel(
      `待核实成果（${fmtNumber(total(data))} 条）`,
      rows.length
        ? table(
            [
              { label: '配对', cell: (o) => h('a', { href: `#/review/${encodeURIComponent(o.pairing_id)}` }, `${nameOf(maps.zones, o.zone_id)} × ${nameOf(maps.universities, o.university_id)}`) },
              { label: '类型', cell: (o) => KIND_LABELS[o.kind] || o.kind },
              { label: '内容', cell: (o) => describe(o, contracts) },
              { label: '日期', cell: (o) => dateOf(o) },
              { label: '登记人', cell: (o) => o.recorded_by.name },
              { label: '操作', cell: (o) => decisionButtons(o, () => ctx.refresh()) },
            ],
            rows,
          )
        : emptyState({ title: '没有待核实的成果', body: '园区或高校在已通过的配对上登记成果后，会出现在这里。' }),
    ),
  );
}

function fmtTarget(value, unit) {
  if (value === null || value === undefined) return '—';
  const n = Number(value);
  const text = unit === '%' ? n.toFixed(2) : fmtNumber(Math.round(n * 100) / 100);
  return `${text} ${unit}`;
}

/** An inline SVG chart: the actual at the end of each quarter, with the target as a dashed line. */
export function trendChart(t) {
  const points = t.by_quarter || [];
  const values = points.map((q) => Number(q.actual ?? 0));
  const top = Math.max(1, ...values, Number(t.target ?? 0));
  const w = 520;
  const hgt = 160;
  const pad = { l: 48, r: 28, t: 12, b: 28 };
  const x = (i) => pad.l + (points.length <= 1 ? 0 : (i * (w - pad.l - pad.r)) / (points.length - 1));
  const y = (v) => pad.t + (hgt - pad.t - pad.b) * (1 - v / top);
  const ns = 'http://www.w3.org/2000/svg';
  const el = (tag, attrs, text) => {
    const node = document.createElementNS(ns, tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
    if (text !== undefined) node.textContent = text;
    return node;
  };
  const svg = el('svg', { viewBox: `0 0 ${w} ${hgt}`, class: 'trend-chart', role: 'img', 'aria-label': `${t.name}按季度走势` });
  svg.append(el('line', { x1: pad.l, x2: w - pad.r, y1: y(0), y2: y(0), class: 'axis' }));
  if (t.target !== null && t.target !== undefined) {
    svg.append(el('line', { x1: pad.l, x2: w - pad.r, y1: y(t.target), y2: y(t.target), class: 'target-line' }));
    svg.append(el('text', { x: pad.l - 4, y: y(t.target) + 4, class: 'axis-label', 'text-anchor': 'end' }, '目标'));
  }
  svg.append(el('text', { x: pad.l - 4, y: y(0) + 4, class: 'axis-label', 'text-anchor': 'end' }, '0'));
  if (points.length) {
    svg.append(el('polyline', { points: values.map((v, i) => `${x(i)},${y(v)}`).join(' '), class: 'trend-line' }));
    values.forEach((v, i) => svg.append(el('circle', { cx: x(i), cy: y(v), r: 3, class: 'trend-dot' })));
    const step = Math.max(1, Math.ceil(points.length / 6));
    points.forEach((q, i) => {
      if (i % step === 0 || i === points.length - 1) svg.append(el('text', { x: x(i), y: hgt - 8, class: 'axis-label', 'text-anchor': 'middle' }, q.quarter));
    });
  }
  return svg;
}

function targetCard(t) {
  const onTrack = t.on_track === true ? h('span', { class: 'badge badge-approved' }, '按期可达') : t.on_track === false ? h('span', { class: 'badge badge-rejected' }, '进度落后') : h('span', { class: 'badge' }, '无法判断');
  const behind = (t.by_pairing || []).filter((s) => s.ahead === false).slice(0, 5);
  const ahead = (t.by_zone || []).filter((s) => s.ahead === true);
  const zonesBehind = (t.by_zone || []).filter((s) => s.ahead === false);
  return h(
    'section',
    { class: 'panel target-card', dataset: { target: t.key } },
    h('h3', {}, t.name, ' ', onTrack),
    h(
      'dl',
      { class: 'kpis target-figures' },
      h('div', { class: 'kpi' }, h('dt', {}, '基线'), h('dd', { dataset: { figure: 'baseline' } }, fmtTarget(t.baseline, t.unit))),
      h('div', { class: 'kpi' }, h('dt', {}, '当前（已核实）'), h('dd', { dataset: { figure: 'actual' } }, fmtTarget(t.actual, t.unit))),
      h('div', { class: 'kpi' }, h('dt', {}, `2027 目标`), h('dd', { dataset: { figure: 'target' } }, fmtTarget(t.target, t.unit))),
      h('div', { class: 'kpi' }, h('dt', {}, '按当前进度预计'), h('dd', { dataset: { figure: 'projected' } }, fmtTarget(t.projected, t.unit))),
    ),
    trendChart(t),
    h('p', { class: 'hint' }, `测算方法：${t.projection_method}。统计区间 ${t.start} 至 ${t.deadline}。${t.source ? `依据：${t.source}` : ''}`),
    h(
      'div',
      { class: 'two-col' },
      h(
        'div',
        {},
        h('h4', {}, `高新区：${ahead.length} 个达到进度份额，${zonesBehind.length} 个落后`),
        table(
          [
            { label: '高新区', cell: (s) => s.name },
            { label: '新增', num: true, cell: (s) => fmtNumber(Math.round(s.added * 100) / 100) },
            { label: '应完成份额', num: true, cell: (s) => (s.expected === null ? '—' : fmtNumber(Math.round(s.expected * 100) / 100)) },
            { label: '', cell: (s) => (s.ahead ? h('span', { class: 'ok-text' }, '领先') : h('span', { class: 'warn-text' }, '落后')) },
          ],
          [...(t.by_zone || [])].sort((a, b) => b.added - a.added).slice(0, 8),
        ),
      ),
      h(
        'div',
        {},
        h('h4', {}, '落后最多的配对'),
        behind.length
          ? table(
              [
                { label: '配对', cell: (s) => h('a', { href: `#/review/${encodeURIComponent(s.id)}` }, s.name) },
                { label: '新增', num: true, cell: (s) => fmtNumber(Math.round(s.added * 100) / 100) },
                { label: '应完成份额', num: true, cell: (s) => fmtNumber(Math.round((s.expected || 0) * 100) / 100) },
              ],
              behind,
            )
          : h('p', { class: 'muted' }, '没有落后的配对'),
      ),
    ),
  );
}

/** Department: the 目标进度 page. */
export async function renderTargets(ctx) {
  const { view } = ctx;
  mount(view, loading());
  let d;
  try {
    d = await get('/v1/dashboard');
  } catch (err) {
    mount(view, pageHeader('目标进度'), failure(err, '目标进度', () => ctx.refresh()));
    return;
  }
  const targets = Array.isArray(d.targets) ? d.targets : [];
  const year = new Date().getFullYear();
  const exportButton = h('button', { type: 'button', class: 'btn' }, `导出 ${year} 年度进展（XLSX）`);
  exportButton.addEventListener('click', () =>
    busy(exportButton, async () => {
      try {
        await download('/v1/outcomes/export', { year }, `年度进展-${year}.xlsx`);
      } catch (err) {
        toast(sentence(err), 'error');
      }
    }),
  );
  mount(
    view,
    pageHeader('目标进度', '2027 年目标：基线、已核实的当前值、目标值和按当前进度的预计值；只有省级管理部门核实的成果计入', exportButton),
    targets.length
      ? h('div', { class: 'targets' }, targets.map(targetCard))
      : emptyState({ title: '尚未设定目标', body: '数据集的 targets.jsonl 给出目标后，重启服务即可在此查看进度。' }),
  );
}
