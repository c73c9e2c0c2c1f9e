// Achievement conversion: the university's 可转化成果 (its transferable patents, each with the enterprise
// demands that could take it up and why) and the zone's 可对接专利 (its demands, each with the transferable
// patents that fit it), both from the engine's ranking with the achievement as the query.

import { get } from '../api.js';
import { h, mount, loading, failure, emptyState, pageHeader, panel, table, fmtScore } from '../ui.js';

/** A snippet with the service's <mark> tags, rendered without trusting any other markup. */
function marked(snippet) {
  const out = h('span', { class: 'snippet' });
  String(snippet || '')
    .split(/(<mark>.*?<\/mark>)/)
    .forEach((part) => {
      const m = part.match(/^<mark>(.*)<\/mark>$/);
      out.append(m ? h('mark', {}, m[1]) : document.createTextNode(part));
    });
  return out;
}

function patentLine(a) {
  return [a.title, a.patent_no ? `专利号 ${a.patent_no}` : null, a.legal_status ? `法律状态：${a.legal_status}` : null, a.year ? `${a.year} 年` : null].filter(Boolean).join(' · ');
}

/** University: its transferable patents and the demands that fit each. */
export async function renderConversions(ctx) {
  const { view, me } = ctx;
  mount(view, loading());
  let list;
  try {
    list = await get(`/v1/universities/${encodeURIComponent(me.universityId)}/conversions`);
  } catch (err) {
    mount(view, pageHeader('可转化成果'), failure(err, '可转化成果', () => ctx.refresh()));
    return;
  }
  mount(
    view,
    pageHeader('可转化成果', '本校标记为可转化的专利，以及全省可能承接的企业需求（按匹配程度排序，标出与需求共有的关键词）'),
    list.length
      ? list.map((t) =>
          panel(
            `${t.achievement.title}（${t.team_name}）`,
            h('p', { class: 'muted' }, patentLine(t.achievement)),
            t.demands.length
              ? table(
                  [
                    { label: '企业需求', cell: (d) => h('a', { href: `#/demand/${encodeURIComponent(d.demand_id)}` }, d.title) },
                    { label: '高新区', cell: (d) => d.zone_name },
                    { label: '匹配得分', num: true, cell: (d) => fmtScore(d.score) },
                    { label: '匹配依据', cell: (d) => (d.matched_terms.length ? `共同关键词：${d.matched_terms.join('、')}` : marked(d.snippet)) },
                  ],
                  t.demands,
                )
              : h('p', { class: 'muted' }, '暂未找到可能承接的企业需求'),
          ),
        )
      : emptyState({ title: '还没有标记为可转化的专利', body: '在团队成果中为专利填写专利号、法律状态并标记“可转化”后，将在这里列出可能承接的企业需求。' }),
  );
}

/** Zone: its demands with the transferable patents that fit them. */
export async function renderZonePatents(ctx) {
  const { view, me } = ctx;
  mount(view, loading());
  let list;
  try {
    list = await get(`/v1/zones/${encodeURIComponent(me.zoneId)}/transferable-patents`);
  } catch (err) {
    mount(view, pageHeader('可对接专利'), failure(err, '可对接专利', () => ctx.refresh()));
    return;
  }
  mount(
    view,
    pageHeader('可对接专利', '本园区企业需求可对接的高校可转化专利'),
    list.length
      ? list.map((d) =>
          panel(
            d.title,
            table(
              [
                { label: '专利', cell: (p) => patentLine(p.achievement) },
                { label: '高校团队', cell: (p) => `${p.university_name} · ${p.team_name}` },
                { label: '匹配得分', num: true, cell: (p) => fmtScore(p.score) },
                { label: '匹配依据', cell: (p) => (p.matched_terms.length ? `共同关键词：${p.matched_terms.join('、')}` : marked(p.snippet)) },
              ],
              d.achievements,
            ),
          ),
        )
      : emptyState({ title: '暂无可对接的可转化专利', body: '高校标记可转化专利后，与本园区需求相符的将显示在这里。' }),
  );
}
