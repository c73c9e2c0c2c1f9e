// Renders the engine's explanation of a match: one-sentence summary, matched terms, best achievement
// with its highlighted snippet, shared track and cluster, and the feature contributions as a bar chart.

import { h, highlight, barChart, listBlock } from './ui.js';
import { pick, label } from './refs.js';

const FEATURE_LABELS = {
  lexical: '文本相关度',
  feedback: '相近需求扩展词相关度',
  bm25: '文本相关度',
  text: '文本相关度',
  semantic: '语义相似度',
  lsa: '语义相似度',
  lsa_cosine: '语义相似度',
  cosine: '语义相似度',
  achievement: '成果匹配',
  achievements: '成果匹配',
  best_achievement: '最佳成果匹配',
  achievement_best: '最佳成果匹配',
  achievement_topk: '成果群匹配',
  soft_topk: '成果群匹配',
  track: '赛道一致',
  track_alignment: '赛道一致',
  cluster: '研究方向聚类相近',
  cluster_affinity: '研究方向聚类相近',
  capability: '能力佐证',
  evidence: '能力佐证',
  capability_evidence: '能力佐证',
  platform: '平台支撑',
  platforms: '平台支撑',
  honors: '人才荣誉',
  patents: '专利储备',
  recency: '近期成果',
  recent: '近期成果',
  proximity: '同城便利',
  same_city: '同城便利',
  city: '同城便利',
  capacity: '剩余承接能力',
  capacity_left: '剩余承接能力',
  token_overlap: '词语重合度',
  overlap: '词语重合度',
  bias: '基线',
  intercept: '基线',
};

const ACHIEVEMENT_KIND = { paper: '论文', patent: '专利', project: '项目', standard: '标准', award: '奖励' };

export function featureLabel(name) {
  const key = String(name || '').toLowerCase();
  return FEATURE_LABELS[key] || String(name || '');
}

/** [{label, value}] from an array of {feature|name, value|contribution} or from an object map. */
export function contributions(ex) {
  const raw = pick(ex, 'contributions', 'features', 'score_breakdown');
  if (Array.isArray(raw)) {
    return raw
      .map((r) => ({
        label: pick(r, 'label') || featureLabel(pick(r, 'feature', 'name', 'key')),
        value: Number(pick(r, 'contribution', 'value', 'weight', 'score')),
      }))
      .filter((r) => r.label && Number.isFinite(r.value));
  }
  if (raw && typeof raw === 'object') {
    return Object.entries(raw)
      .map(([k, v]) => ({ label: featureLabel(k), value: Number(typeof v === 'object' && v ? pick(v, 'contribution', 'value') : v) }))
      .filter((r) => Number.isFinite(r.value));
  }
  return [];
}

/** Contributions as shares of their sum, largest first, without the ones that add nothing. */
export function shares(rows) {
  const sum = rows.reduce((acc, r) => acc + Math.max(0, r.value), 0);
  if (sum <= 0) return rows;
  return rows
    .filter((r) => r.value > 0)
    .sort((a, b) => b.value - a.value)
    .map((r) => ({ ...r, text: `${Math.round((100 * r.value) / sum)}%` }));
}

/** The matched terms as plain strings, strongest first. */
export function matchedTerms(ex) {
  const raw = pick(ex, 'matched_terms', 'terms', 'shared_terms', 'top_terms');
  if (!Array.isArray(raw)) return [];
  return raw
    .map((t) => (typeof t === 'string' ? { term: t, weight: 0 } : { term: pick(t, 'term', 'text', 'token'), weight: Number(pick(t, 'weight', 'score')) || 0 }))
    .filter((t) => t.term)
    .sort((a, b) => b.weight - a.weight);
}

function achievementBlock(ach, terms) {
  if (!ach) return null;
  if (typeof ach === 'string') return h('p', { class: 'ach' }, highlight(ach, terms));
  const kind = ACHIEVEMENT_KIND[pick(ach, 'kind')] || '';
  const year = pick(ach, 'year');
  const title = pick(ach, 'title') || '';
  // The engine's snippet is {text, highlights, html}; html marks the matched terms with <mark>.
  const raw = pick(ach, 'snippet', 'highlight', 'abstract');
  const snippet = raw && typeof raw === 'object' ? raw.html || raw.text || '' : raw;
  return h(
    'div',
    { class: 'ach' },
    h(
      'p',
      { class: 'ach-title' },
      kind ? h('span', { class: 'tag' }, kind) : null,
      highlight(title, terms),
      year ? h('span', { class: 'muted' }, ` （${year}）`) : null,
    ),
    snippet && snippet !== title ? h('p', { class: 'ach-snippet' }, highlight(snippet, terms)) : null,
  );
}

function labelOf(v) {
  if (!v) return '';
  if (typeof v === 'string') return v;
  return pick(v, 'name', 'label', 'title') || '';
}

/**
 * The explanation panel. `context` may carry texts to highlight the terms in (demand title, team name).
 * Returns null when there is nothing to explain.
 */
export function explanation(ex, { context = [], compact = false } = {}) {
  if (!ex || typeof ex !== 'object') return null;
  const terms = matchedTerms(ex);
  const termTexts = terms.map((t) => t.term);
  const summary = pick(ex, 'summary_zh', 'summary', 'sentence', 'text');
  const ach = pick(ex, 'best_achievement', 'achievement', 'top_achievement');
  const trackRaw = pick(ex, 'shared_track', 'track', 'track_name', 'track_id');
  const track = typeof trackRaw === 'string' ? label('tracks', trackRaw) : labelOf(trackRaw);
  const cluster = labelOf(pick(ex, 'shared_cluster', 'cluster', 'cluster_label'));
  const rows = contributions(ex);
  return h(
    'div',
    { class: ['explain', compact ? 'is-compact' : ''] },
    summary ? h('p', { class: 'explain-summary' }, highlight(summary, termTexts)) : null,
    context.filter(Boolean).length
      ? h('ul', { class: 'explain-context' }, context.filter(Boolean).map((c) => h('li', {}, h('span', { class: 'muted' }, `${c.label}：`), highlight(c.text, termTexts))))
      : null,
    h(
      'div',
      { class: 'explain-grid' },
      h(
        'div',
        {},
        terms.length
          ? listBlock('匹配关键词', 'terms', terms.slice(0, 8), (t) => h('li', {}, h('mark', {}, t.term)))
          : null,
        ach ? h('div', { class: 'explain-block' }, h('h4', {}, '最相关成果'), achievementBlock(ach, termTexts)) : null,
        track || cluster
          ? h(
              'p',
              { class: 'explain-meta' },
              track ? h('span', {}, '共同赛道：', h('strong', {}, track)) : null,
              track && cluster ? '　' : null,
              cluster ? h('span', {}, '研究方向聚类：', h('strong', {}, cluster)) : null,
            )
          : null,
      ),
      rows.length ? barChart(shares(rows), { caption: '各项依据占匹配度的比重' }) : null,
    ),
  );
}
