// A small contract-valid dataset for the console tests: the shipped tracks, zones and universities plus
// teams and demands composed from the topic material (two teams per topic, three demands per topic in
// every zone that works in its track). Deterministic: same files every run.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(here, '..', '..');
const DATA = path.join(ROOT, 'datasets');

const jsonl = (file) =>
  fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));

/** Deterministic pseudo-random numbers (mulberry32). */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}


/** Tracks, zones, universities, teams and demands; teams and demands carry their topic in `_topic`. */
export function buildDataset() {
  const rand = rng(42);
  const pickOne = (list) => list[Math.floor(rand() * list.length)];
  const tracks = jsonl(path.join(DATA, 'jiangsu/tracks.jsonl'));
  const zones = jsonl(path.join(DATA, 'jiangsu/zones.jsonl'));
  const universities = jsonl(path.join(DATA, 'jiangsu/universities.jsonl'));
  const affinity = JSON.parse(fs.readFileSync(path.join(DATA, 'topics/affinity.json'), 'utf8'));
  const topics = fs
    .readdirSync(path.join(DATA, 'topics'))
    .filter((f) => f.startsWith('group-'))
    .flatMap((f) => JSON.parse(fs.readFileSync(path.join(DATA, 'topics', f), 'utf8')));
  const surnames = '王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗';
  const given = ['建华', '晓明', '志强', '海燕', '立新', '文博', '静怡', '国平', '振宇', '雪梅', '卫东', '思远'];
  const honors = ['国家杰出青年科学基金获得者', '长江学者特聘教授', '江苏省“双创人才”', '国家优秀青年科学基金获得者', '江苏省“333工程”培养对象'];
  const teams = [];
  const demands = [];
  let tn = 0;
  let dn = 0;
  for (const topic of topics) {
    const unis = Object.entries(affinity).filter(([, a]) => (Array.isArray(a) ? a : Object.keys(a.tracks)).includes(topic.track_id)).map(([u]) => u);
    for (let k = 0; k < 2 && unis.length; k += 1) {
      const u = unis[(tn + k) % unis.length];
      tn += 1;
      const t = topic.team;
      teams.push({
        id: `t-${String(tn).padStart(4, '0')}`,
        university_id: u,
        name: `${t.fields[0]}${['研究团队', '创新团队', '课题组'][tn % 3]}`,
        leader: { name: pickOne(surnames) + pickOne(given), title: pickOne(['教授', '研究员', '教授', '副教授']), honors: rand() < 0.5 ? [pickOne(honors)] : [] },
        fields: t.fields.slice(0, 3),
        description: `团队主要研究方向：${t.directions.slice(0, 2).join('；')}。代表性成果：${t.results[0]}。`,
        keywords: (t.keywords || t.fields).slice(0, 5),
        track_ids: [topic.track_id],
        platforms: (t.platforms || []).slice(0, 1),
        achievements: [...(t.papers || []).slice(0, 2).map((p) => ({ kind: 'paper', ...p, year: 2021 + (tn % 4) })), ...(t.patents || []).slice(0, 1).map((p) => ({ kind: 'patent', ...p, year: 2023 }))],
        capacity: 3,
        members: 8 + (tn % 10),
        _topic: topic.id,
      });
    }
    const zs = zones.filter((z) => (z.track_ids || []).includes(topic.track_id));
    for (const z of zs) {
      for (let k = 0; k < 3; k += 1) {
        dn += 1;
        const d = topic.demand;
        demands.push({
          id: `d-${String(dn).padStart(5, '0')}`,
          zone_id: z.id,
          title: d.titles[(dn + k) % d.titles.length],
          description: `${d.pains[dn % d.pains.length]}。希望${d.goals[dn % d.goals.length]}，指标要求：${d.indicators[dn % d.indicators.length]}。应用场景：${d.scenarios[dn % d.scenarios.length]}。`,
          enterprise: { name: `${z.city}${['华芯', '恒润', '中科', '博远', '新锐', '瑞能'][dn % 6]}${d.enterprise_kinds[0].replace(/企业|公司/, '')}有限公司`, size: ['大型', '中型', '小型'][dn % 3] },
          keywords: d.keywords.slice(0, 4),
          track_ids: [topic.track_id],
          budget_wan_yuan: [50, 80, 120, 200, 300][dn % 5],
          deadline: `2026-${String((dn % 12) + 1).padStart(2, '0')}-28`,
          _topic: topic.id,
        });
      }
    }
  }
  return { tracks, zones, universities, teams, demands };
}

const clean = (row) => Object.fromEntries(Object.entries(row).filter(([k]) => !k.startsWith('_')));

/** Writes the dataset as JSON Lines into `dir` (created if needed); returns the counts. */
export function writeDataset(dir) {
  const data = buildDataset();
  fs.mkdirSync(dir, { recursive: true });
  const counts = {};
  for (const name of ['tracks', 'zones', 'universities', 'teams', 'demands']) {
    fs.writeFileSync(path.join(dir, `${name}.jsonl`), data[name].map((r) => JSON.stringify(clean(r))).join('\n') + '\n');
    counts[name] = data[name].length;
  }
  return counts;
}
