// How a pairing's five-in-one bundle reads to a department: its grade (达标 with ten or more benchmark
// projects, 培育 below) and the components it still has to build together (待共建).

import { h } from './ui.js';

export const GRADE_LABELS = { qualified: '达标', incubating: '培育' };

const GRADE_TITLES = {
  qualified: '标杆项目达到试点要求的 10 项',
  incubating: '标杆项目不足 10 项，列为培育对象',
};

export const COMPONENT_LABELS = {
  university_platform: '高校平台',
  zone_platform: '园区共建平台',
  leading_talent: '领军人才',
  transformation_fund: '成果转化基金',
};

/** The grade badge of a bundle, or null when the bundle carries none. */
export function gradeBadge(bundle) {
  const grade = bundle && bundle.grade;
  if (!GRADE_LABELS[grade]) return null;
  return h('span', { class: `badge badge-grade badge-${grade}`, title: GRADE_TITLES[grade] }, GRADE_LABELS[grade]);
}

/** Whether the bundle lists `component` as still to build. */
export function toBuild(bundle, component) {
  return Array.isArray(bundle && bundle.to_build) && bundle.to_build.includes(component);
}

/** The 待共建 mark for a missing component, with what it means. */
export function toBuildMark(component) {
  return h(
    'span',
    { class: 'badge badge-to-build', title: `暂无合适的${COMPONENT_LABELS[component] || ''}，需由园区与高校共同建设` },
    '待共建',
  );
}
