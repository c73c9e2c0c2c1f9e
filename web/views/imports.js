// Spreadsheet import of demands (zones, the department), teams (universities, the department) and
// outcomes of approved pairings (their zones and universities): the template, an upload that is checked
// first (a dry run) and shown as a table with each problem on its cell, then 确认导入, which writes every
// row or none.

import { download, upload } from '../api.js';
import { h, mount, pageHeader, panel, table, toast, busy, errorNotice } from '../ui.js';
import { pagedList } from './shared.js';

const KINDS = {
  demands: {
    noun: '需求',
    title: '批量导入需求',
    back: 'zone',
    backLabel: '返回园区需求',
    help: '模板第一张表是需求表（第 1 行为表头，另有一行示例），“填写说明”表列出每一列的含义、单位和多值分隔符；产业方向和高新区可填编号或名称。',
  },
  teams: {
    noun: '团队',
    title: '批量导入团队',
    back: 'teams',
    backLabel: '返回本校团队',
    help: '模板第一张表是团队表（第 1 行为表头，另有一行示例），“填写说明”表列出每一列的含义、单位和多值分隔符；产业方向和高校可填编号或名称。',
  },
  outcomes: {
    noun: '成果',
    title: '批量导入成果',
    back: 'pairings',
    backLabel: '返回我的配对',
    help: '每行登记一项成果（技术合同、合同到账、专利转化、共建平台、领军人才、联合培养研究生或标杆项目进展），只填该类型用到的列（见“成果类型”表）。“对接”表列出可登记的已批准对接；合同到账的“所属合同”可填“合同”表中的编号，或本文件中合同所在的行（如“第 2 行”）。与已登记成果完全相同的行不会重复登记；导入的成果经省厅核实后计入目标进度。',
  },
};

/** The kinds a role imports. */
export function importKinds(me) {
  if (me.kind === 'zone') return ['demands', 'outcomes'];
  if (me.kind === 'university') return ['teams', 'outcomes'];
  return ['demands', 'teams'];
}

function summaryLine(report, committed, kind) {
  const verb = committed ? '已导入' : '将导入';
  if (kind === 'outcomes') {
    const same = report.unchanged ? `；${report.unchanged} 条与已登记的成果相同，不重复登记` : '';
    return `共 ${report.rows} 行：${verb}新成果 ${report.created} 条（待省厅核实）${same}`;
  }
  return `共 ${report.rows} 行：${verb}新增 ${report.created} 条、修改 ${report.updated} 条，未变 ${report.unchanged} 条`;
}

/** The preview: the file's rows, paged, with each problem marked on its cell (and listed under the row). */
function previewTable(report) {
  const preview = report.preview || { header: [], rows: [] };
  const byCell = new Map();
  const byRow = new Map();
  for (const e of report.errors || []) {
    byCell.set(`${e.row}|${e.column}`, e.message);
    if (!byRow.has(e.row)) byRow.set(e.row, []);
    byRow.get(e.row).push(e);
  }
  const headerErrors = byRow.get(1) || [];
  const columns = [
    { label: '行', num: true, cell: (r) => String(r.row) },
    ...preview.header.map((name, i) => ({
      label: name,
      cell: (r) => {
        const message = byCell.get(`${r.row}|${name}`);
        const text = r.cells[i] || '';
        if (!message) return text;
        return h('span', { class: 'cell-error', title: message }, text || '（空）', h('span', { class: 'cell-error-msg' }, message));
      },
    })),
  ];
  const rows = [...preview.rows];
  // Problems of a column the file does not have still show, on their row.
  const unplaced = (report.errors || []).filter((e) => e.row > 1 && !preview.header.includes(e.column));
  return h(
    'div',
    {},
    headerErrors.length
      ? h('ul', { class: 'import-errors' }, headerErrors.map((e) => h('li', {}, `表头：${e.message}`)))
      : null,
    unplaced.length ? h('ul', { class: 'import-errors' }, unplaced.map((e) => h('li', {}, `第 ${e.row} 行 ${e.column || ''}：${e.message}`))) : null,
    pagedList(null, {
      rows,
      // With problems, the rows that have them come first.
      sorts: [
        byRow.size ? { id: 'errors', label: '问题行在前', compare: (a, b) => Number(byRow.has(b.row)) - Number(byRow.has(a.row)) } : null,
        { id: 'row', label: '按行号', compare: null },
      ].filter(Boolean),
      pageSize: 50,
      noun: '行',
      label: '文件内容预览',
      render: (page) =>
        table(columns, page, {
          caption: '文件内容预览',
          rowClass: (r) => (byRow.has(r.row) ? 'row-error' : undefined),
        }),
    }),
  );
}

export async function renderImport(ctx) {
  const allowed = importKinds(ctx.me);
  const kind = allowed.includes(ctx.params.kind) ? ctx.params.kind : allowed[0];
  const spec = KINDS[kind];
  const tabs = allowed.length > 1
    ? h('p', { class: 'tabs' }, allowed.map((k) => h('a', { href: `#/imports/${k}`, 'aria-current': k === kind ? 'page' : undefined }, KINDS[k].title)))
    : null;
  const result = h('div', { class: 'import-result', 'aria-live': 'polite' });
  const input = h('input', { type: 'file', id: 'import-file', accept: '.xlsx,.csv', 'data-test': 'import-file' });
  let chosen = null;

  const templateButton = (format) =>
    h(
      'button',
      {
        type: 'button',
        class: 'btn',
        onClick: (e) => busy(e.currentTarget, () => download(`/v1/imports/${kind}/template`, { format }, `${kind}-template.${format}`)),
      },
      format === 'xlsx' ? '下载模板（Excel）' : '下载模板（CSV）',
    );

  async function check() {
    if (!chosen) return;
    mount(result, h('p', { class: 'muted' }, '正在检查文件…'));
    let report;
    try {
      report = await upload(`/v1/imports/${kind}`, { dry_run: true }, chosen);
    } catch (err) {
      mount(result, errorNotice(err, { context: '文件无法导入' }));
      return;
    }
    const errors = report.errors || [];
    const confirm = h(
      'button',
      { type: 'button', class: 'btn btn-primary', disabled: errors.length > 0, 'data-test': 'import-confirm' },
      '确认导入',
    );
    confirm.addEventListener('click', () =>
      busy(confirm, async () => {
        try {
          const done = await upload(`/v1/imports/${kind}`, { dry_run: false }, chosen);
          if ((done.errors || []).length) {
            mount(result, h('p', { class: 'notice notice-error' }, `${done.errors.length} 处问题，未导入任何一行`), previewTable(done));
            return;
          }
          toast(summaryLine(done, true, kind));
          mount(
            result,
            h('p', { class: 'notice notice-info', 'data-test': 'import-done' }, summaryLine(done, true, kind)),
            h('p', {}, h('a', { href: `#/${spec.back}` }, spec.backLabel)),
          );
        } catch (err) {
          mount(result, errorNotice(err, { context: '导入失败' }));
        }
      }, '正在导入…'),
    );
    mount(
      result,
      errors.length
        ? h('p', { class: 'notice notice-error', 'data-test': 'import-problems' }, `发现 ${errors.length} 处问题（标红的单元格），请在表格里改正后重新选择文件；改正前不会导入任何一行。`)
        : h('p', { class: 'notice notice-info', 'data-test': 'import-clean' }, `检查通过。${summaryLine(report, false, kind)}。`),
      h('div', { class: 'form-actions' }, confirm),
      previewTable(report),
    );
  }

  input.addEventListener('change', () => {
    chosen = input.files && input.files[0] ? input.files[0] : null;
    check();
  });

  mount(
    ctx.view,
    pageHeader(spec.title, `从 Excel（.xlsx）或 CSV 文件导入${spec.noun}；先检查，确认后一次写入，有任何问题则一行也不写。`),
    tabs,
    panel(
      '1. 下载模板',
      h('p', {}, spec.help),
      h('div', { class: 'form-actions' }, templateButton('xlsx'), templateButton('csv')),
    ),
    panel(
      '2. 上传并检查',
      h('label', { for: 'import-file' }, '选择文件（.xlsx 或 .csv，UTF-8 或 GBK 编码，最大 1 MiB）'),
      input,
      result,
    ),
  );
}
