// A stand-in for the service's HTTP API, built from the shipped zones, universities and tracks plus the
// topic material, so the console's views can be exercised (and looked at) where the real server does not
// yet offer an endpoint, and so that rare answers (409, 422) can be produced on demand.
// The acceptance test (console.test.mjs) runs against the real `shuanggao serve`, never against this.
//
//   node standin-api.mjs [PORT]   serves web/ and the stand-in API on 127.0.0.1:PORT (default 8099)

import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildDataset, ROOT } from './fixture.mjs';

const WEB = path.join(ROOT, 'web');

export const TOKENS = {
  'dept-token': { role: 'department', name: '省科技厅成果转化处' },
  'zone-token': { role: 'zone:z-suzhou', name: '苏州高新区科技局' },
  'uni-token': { role: 'university:u-nju', name: '南京大学科技成果转化中心' },
};

export function buildState() {
  return { ...buildDataset(), pairings: [], history: [], comments: [], jobs: [], seq: 0 };
}

function score(team, demand) {
  let s = 0.35;
  if (team._topic === demand._topic) s += 0.4;
  if ((team.track_ids || []).some((t) => (demand.track_ids || []).includes(t))) s += 0.12;
  const shared = (demand.keywords || []).filter((k) => (team.description + team.keywords.join('')).includes(k)).length;
  s += Math.min(0.1, shared * 0.03);
  const h = [...(team.id + demand.id)].reduce((a, c) => (a * 31 + c.charCodeAt(0)) >>> 0, 7);
  return Math.min(0.99, s + (h % 100) / 1000);
}

function explain(team, demand, s) {
  const terms = [...new Set([...(demand.keywords || []), ...(team.keywords || [])])].slice(0, 5).map((term, i) => ({ term, weight: Number((0.3 - i * 0.05).toFixed(2)) }));
  const ach = team.achievements[0];
  const parts = [
    ['lexical', 0.3],
    ['semantic', 0.25],
    ['achievement', 0.2],
    ['track', 0.12],
    ['cluster', 0.06],
    ['capability', 0.04],
    ['proximity', 0.03],
  ];
  return {
    summary: `该团队在“${team.fields[0]}”方面的 ${team.achievements.length} 项成果与需求“${demand.title}”高度相关，且同属${demand.track_ids[0]}赛道。`,
    matched_terms: terms,
    best_achievement: ach ? { kind: ach.kind, title: ach.title, year: ach.year, snippet: ach.abstract ? ach.abstract.slice(0, 80) : '' } : null,
    contributions: parts.map(([feature, w]) => ({ feature, value: Number((s * w).toFixed(3)) })),
    shared_track: demand.track_ids[0],
  };
}

function send(res, status, body, headers = {}) {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', ...headers });
  res.end(text);
}

const err = (res, status, code, message, extra = {}) => send(res, status, { code, message, ...extra });

const CT = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml' };

function staticFile(res, rel) {
  const file = path.normalize(path.join(WEB, rel));
  if (!file.startsWith(WEB) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) return err(res, 404, 'not_found', 'no such asset');
  res.writeHead(200, { 'Content-Type': CT[path.extname(file)] || 'application/octet-stream', 'Cache-Control': 'no-cache' });
  res.end(fs.readFileSync(file));
}

const strip = (o) => Object.fromEntries(Object.entries(o).filter(([k]) => !k.startsWith('_')));

export function createServer(state = buildState(), { jobDelayMs = 150, without = [] } = {}) {
  const S = state;
  const zoneName = (id) => (S.zones.find((z) => z.id === id) || {}).name || id;
  const uniName = (id) => (S.universities.find((u) => u.id === id) || {}).name || id;
  const page = (list, q) => {
    const limit = Number(q.get('limit') || 20);
    if (!(limit >= 1 && limit <= 100)) throw Object.assign(new Error('limit'), { limit: true });
    const offset = Number(q.get('offset') || 0);
    return { items: list.slice(offset, offset + limit), total: list.length, limit, offset };
  };

  function candidates(zoneId, trackId, limit) {
    const ds = S.demands.filter((d) => d.zone_id === zoneId && (!trackId || d.track_ids.includes(trackId)));
    const byUni = new Map();
    for (const d of ds) {
      for (const t of S.teams) {
        if ((d.excluded_university_ids || []).includes(t.university_id)) continue;
        if (trackId && !t.track_ids.includes(trackId)) continue;
        const s = score(t, d);
        if (s < 0.5) continue;
        const e = byUni.get(t.university_id) || { teams: new Map(), demands: new Map(), best: null };
        const prevT = e.teams.get(t.id);
        if (!prevT || prevT.score < s) e.teams.set(t.id, { team_id: t.id, name: t.name, leader: t.leader, score: s });
        const prevD = e.demands.get(d.id);
        if (!prevD || prevD.score < s) e.demands.set(d.id, { demand_id: d.id, title: d.title, score: s });
        if (!e.best || e.best.s < s) e.best = { s, t, d };
        byUni.set(t.university_id, e);
      }
    }
    return [...byUni.entries()]
      .map(([u, e]) => {
        const ts = [...e.teams.values()].sort((a, b) => b.score - a.score);
        const dsl = [...e.demands.values()].sort((a, b) => b.score - a.score);
        const agg = dsl.slice(0, 10).reduce((a, x) => a + x.score, 0) / 10;
        return {
          university_id: u,
          university_name: uniName(u),
          score: Number(Math.min(0.99, agg + 0.2).toFixed(3)),
          demands_fit: dsl.length,
          demands_considered: ds.length,
          best_teams: ts.slice(0, 3).map((t) => ({ team_id: t.team_id, team_name: t.name, score: t.score, demand_ids: [] })),
          top_matches: dsl.slice(0, 5).map((d, i) => ({ demand_id: d.demand_id, team_id: ts[i % ts.length].team_id, score: d.score, explanation: i === 0 ? explain(e.best.t, e.best.d, e.best.s) : {} })),
          _demands: dsl,
          _teams: ts,
        };
      })
      .sort((a, b) => b.score - a.score)
      .slice(0, limit);
  }

  function propose(trackIds, config, fixed = [], forbidden = []) {
    const out = [];
    const uniCount = new Map();
    for (const [z, u, t] of fixed) uniCount.set(u, (uniCount.get(u) || 0) + 1);
    for (const trackId of trackIds) {
      for (const z of S.zones) {
        const max = config.zone_track_max ?? 2;
        const already = fixed.filter((f) => f[0] === z.id && f[2] === trackId).length;
        const cands = candidates(z.id, trackId, 10).filter((c) => !forbidden.some((f) => f[0] === z.id && f[1] === c.university_id && f[2] === trackId) && !fixed.some((f) => f[0] === z.id && f[1] === c.university_id && f[2] === trackId));
        let taken = already;
        for (const c of cands) {
          if (taken >= Math.min(1, max)) break;
          if ((uniCount.get(c.university_id) || 0) >= (config.university_max ?? 3)) continue;
          uniCount.set(c.university_id, (uniCount.get(c.university_id) || 0) + 1);
          taken += 1;
          const zone = z;
          const team = S.teams.find((t) => t.id === c._teams[0].team_id);
          const projects = c._demands.slice(0, 10).map((d, i) => ({ demand_id: d.demand_id, title: d.title, team_id: c._teams[i % c._teams.length].team_id, team_name: c._teams[i % c._teams.length].name, score: d.score }));
          out.push({
            zone_id: z.id,
            university_id: c.university_id,
            track_id: trackId,
            quality: c.score,
            bundle: {
              industrial_direction: { track_id: trackId, track_name: (S.tracks.find((t) => t.id === trackId) || {}).name, zone_industries: zone.industries.slice(0, 3), zone_track: true },
              innovation_platform: {
                university: team.platforms[0] ? { team_id: team.id, team_name: team.name, ...team.platforms[0] } : null,
                zone: zone.platforms[0] || null,
              },
              leading_talent: { name: team.leader.name, title: team.leader.title, honors: team.leader.honors, team_id: team.id, team_name: team.name },
              transformation_fund: zone.funds[0] || null,
              benchmark_projects: projects.map((x) => ({ ...x, enterprise: (S.demands.find((d) => d.id === x.demand_id).enterprise || {}).name })),
              shortfall: projects.length < 10 ? { target: 10, projects: projects.length, zone_demands: c._demands.length, fitting_demands: c._demands.length } : null,
              explanation: {
                summary: `${uniName(c.university_id)}的 ${c._teams.length} 个团队可承接${zone.name}在该赛道的 ${projects.length} 项企业需求，平均匹配得分 ${c.score.toFixed(2)}。`,
                terms: c.top_matches[0].explanation.matched_terms,
                teams: c._teams.slice(0, 3).map((t) => ({ team_id: t.team_id, team_name: t.name, projects: projects.filter((x) => x.team_id === t.team_id).length, score_sum: t.score, achievements: (S.teams.find((x) => x.id === t.team_id).achievements || []).slice(0, 2).map((a) => a.title) })),
                breakdown: { target: 10, projects: projects.length, topped_up: 0, score_sum: projects.reduce((a, x) => a + x.score, 0), mean_score: c.score, coverage: Math.min(1, projects.length / 10), quality: c.score },
                runner_up: cands[1] ? { university_id: cands[1].university_id, university_name: cands[1].university_name, quality: cands[1].score, projects: Math.min(10, cands[1]._demands.length), reason: `次优候选的平均匹配得分低于${uniName(c.university_id)}，可承接的需求也更少。` } : null,
              },
            },
          });
        }
      }
    }
    return out;
  }

  // Jobs mirror the service's ProposalJob: {job_id, kind, revises, state, stage, progress (0–100),
  // track_ids, created_by, created_at, updated_at, summary, error}, plus `batch` on GET of one done job.
  function startJob(trackIds, config, by, revise) {
    S.seq += 1;
    const now = new Date().toISOString();
    const job = { job_id: `pj-${String(S.seq).padStart(16, '0')}`, kind: revise ? 'revise' : 'propose', revises: revise, state: 'queued', stage: 'queued', progress: 0, track_ids: trackIds, created_by: by, created_at: now, updated_at: now, summary: null, error: null, _config: config, _batch: null };
    S.jobs.unshift(job);
    const stages = ['scoring', 'bundling', 'solving', 'explaining', 'saving'];
    let step = 0;
    const tick = () => {
      step += 1;
      job.updated_at = new Date().toISOString();
      if (step <= stages.length) {
        job.state = 'running';
        job.stage = stages[step - 1];
        job.progress = Math.min(99, (step - 1) * 22);
        setTimeout(tick, jobDelayMs);
        return;
      }
      const parent = revise ? S.jobs.find((j) => j.job_id === revise) : null;
      const parentRecords = parent ? parent._batch.pairing_ids.map((id) => S.pairings.find((p) => p.id === id)).filter(Boolean) : [];
      const triple = (p) => [p.zone_id, p.university_id, p.track_id];
      const approvedRecs = parentRecords.filter((p) => p.status === 'approved');
      const fixed = [...approvedRecs.map(triple)];
      const forbidden = [...(parent ? parent._batch.rejected : []), ...parentRecords.filter((p) => p.status === 'rejected').map(triple)];
      const proposed = propose(trackIds, config, fixed, forbidden);
      for (const rec of S.pairings) {
        // Like the service: every new batch supersedes the open pairings of its tracks.
        if (trackIds.includes(rec.track_id) && !rec.superseded_by && ['proposed', 'changes_requested'].includes(rec.status)) rec.superseded_by = job.job_id;
      }
      const ids = approvedRecs.map((r) => r.id);
      proposed.forEach((p, i) => {
        const rec = { id: `${job.job_id}-${String(i + 1).padStart(3, '0')}`, batch_id: job.job_id, ...p, status: 'proposed', version: 1, created_at: job.updated_at, updated_at: job.updated_at, superseded_by: null };
        S.pairings.push(rec);
        S.history.push({ id: S.history.length + 1, pairing_id: rec.id, at: rec.created_at, actor: { name: by, role: 'department' }, action: 'propose', from: null, to: 'proposed', version: 1, comment: '' });
        ids.push(rec.id);
      });
      job._batch = { pairing_ids: ids, approved: fixed, rejected: forbidden, config };
      const recs = ids.map((id) => S.pairings.find((p) => p.id === id));
      const objective = Number(recs.reduce((a, p) => a + p.quality, 0).toFixed(6));
      const diagnostics = S.zones
        .filter((z) => !recs.some((r) => r.zone_id === z.id))
        .slice(0, 3)
        .map((z) => ({ code: 'no_candidates', severity: 'info', message: `${z.name} has no demand that a university team fits in the selected tracks`, zone_ids: [z.id], university_ids: [], track_ids: trackIds }));
      job._diagnostics = diagnostics;
      job.summary = { objective, pairing_count: recs.length, feasible: true, proven_optimal: true, gap: 0, short_pairings: recs.filter((r) => r.bundle.shortfall).length, infeasibilities: 0 };
      job.state = 'done';
      job.stage = 'done';
      job.progress = 100;
    };
    setTimeout(tick, jobDelayMs);
    return job;
  }

  const jobView = (job, withBatch) => {
    const view = Object.fromEntries(Object.entries(job).filter(([k]) => !k.startsWith('_')));
    if (!withBatch || job.state !== 'done') return view;
    const recs = job._batch.pairing_ids.map((id) => S.pairings.find((p) => p.id === id));
    view.batch = {
      track_ids: job.track_ids,
      config: { zone_track_min: 1, zone_track_max: 2, university_max: 3, min_quality: null, forced: [], forbidden: [], benchmark_target: 10, require_full_bundle: false, teams_per_demand: 30, candidates_per_group: 0, ...job._config },
      approved: job._batch.approved,
      rejected: job._batch.rejected,
      objective: job.summary.objective,
      optimality: { feasible: true, proven_optimal: true, gap: 0, method: 'min_cost_flow', unmet_minimums: 0, groups: recs.length, candidates: recs.length },
      pairings: recs.map((r) => {
        const { explanation, ...bundle } = r.bundle;
        return { pairing_id: r.id, status: r.status, version: r.version, superseded_by: r.superseded_by, zone_id: r.zone_id, zone_name: zoneName(r.zone_id), university_id: r.university_id, university_name: uniName(r.university_id), track_id: r.track_id, track_name: (S.tracks.find((t) => t.id === r.track_id) || {}).name, quality: r.quality, forced: job._batch.approved.some((t) => t[0] === r.zone_id && t[1] === r.university_id && t[2] === r.track_id), bundle, explanation };
      }),
      diagnostics: job._diagnostics,
      timings_ms: { candidates: 1, solve: 1, explain: 1, total: 3 },
    };
    return view;
  };

  return http.createServer(async (req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    const p = url.pathname;
    const q = url.searchParams;
    if (req.method === 'GET' && p === '/') return staticFile(res, 'index.html');
    if (req.method === 'GET' && p.startsWith('/assets/')) return staticFile(res, decodeURIComponent(p.slice(8)));
    const noRoute = () => err(res, 404, 'not_found', `no route for ${req.method} ${p}`);
    if (!p.startsWith('/v1/')) return noRoute();
    const auth = req.headers.authorization || '';
    const token = auth.replace(/^Bearer\s+/i, '');
    if (!auth) return err(res, 401, 'missing_token', 'missing bearer token');
    try {
      return await handle();
    } catch (e) {
      if (e && e.limit) return err(res, 400, 'invalid_parameter', 'limit: must be between 1 and 100', { field: 'limit' });
      throw e;
    }
    async function handle() {
    const who = TOKENS[token];
    if (!who) return err(res, 401, 'invalid_token', 'unknown or revoked token');
    const [kind, ownId] = who.role.split(':');
    let body = null;
    if (req.method === 'POST' || req.method === 'PUT') {
      const chunks = [];
      for await (const c of req) chunks.push(c);
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null');
      } catch {
        return err(res, 400, 'invalid_json', 'malformed json');
      }
    }
    const seg = p.split('/').slice(2).map(decodeURIComponent);
    if (without.includes(seg[0])) return noRoute();
    const is = (m, ...parts) => req.method === m && parts.length === seg.length && parts.every((x, i) => x === '*' || x === seg[i]);

    if (is('GET', 'me')) return send(res, 200, { role: who.role, name: who.name, zone_id: kind === 'zone' ? ownId : undefined, university_id: kind === 'university' ? ownId : undefined });
    if (is('GET', 'tracks')) return send(res, 200, page(S.tracks, q));
    if (is('GET', 'zones')) return send(res, 200, page(S.zones, q));
    if (is('GET', 'universities')) return send(res, 200, page(S.universities, q));
    if (is('GET', 'zones', '*')) {
      const z = S.zones.find((x) => x.id === seg[1]);
      const refs = S.demands.filter((d) => d.zone_id === seg[1]).map((d) => ({ id: d.id, name: d.title, track_ids: d.track_ids }));
      return z ? send(res, 200, { ...z, demands: kind === 'university' ? [] : refs }) : err(res, 404, 'not_found', 'no such zone');
    }
    if (is('GET', 'universities', '*')) {
      const u = S.universities.find((x) => x.id === seg[1]);
      const refs = S.teams.filter((t) => t.university_id === seg[1]).map((t) => ({ id: t.id, name: t.name, track_ids: t.track_ids }));
      return u ? send(res, 200, { ...u, teams: refs }) : err(res, 404, 'not_found', 'no such university');
    }
    if (is('GET', 'zones', '*', 'candidates')) {
      if (kind === 'university' || (kind === 'zone' && ownId !== seg[1])) return err(res, 403, 'forbidden', 'not your zone');
      const rows = candidates(seg[1], q.get('track') || '', Number(q.get('limit') || 10)).map(strip);
      return send(res, 200, { items: rows, total: rows.length, limit: 10, offset: 0 });
    }
    if (is('GET', 'universities', '*', 'demands')) {
      if (kind === 'zone' || (kind === 'university' && ownId !== seg[1])) return err(res, 403, 'forbidden', 'not your university');
      const trackId = q.get('track') || '';
      const rows = [];
      for (const d of S.demands) {
        if (trackId && !d.track_ids.includes(trackId)) continue;
        let best = null;
        for (const t of S.teams) if (t.university_id === seg[1]) {
          const s = score(t, d);
          if (!best || s > best.s) best = { s, t };
        }
        if (best && best.s >= 0.6) rows.push({ demand_id: d.id, demand_title: d.title, zone_id: d.zone_id, zone_name: zoneName(d.zone_id), best_team_id: best.t.id, best_team_name: best.t.name, score: best.s, explanation: explain(best.t, d, best.s) });
      }
      rows.sort((a, b) => b.score - a.score);
      return send(res, 200, page(rows, q));
    }
    for (const [coll, owner] of [['teams', 'university_id'], ['demands', 'zone_id']]) {
      const list = S[coll];
      const ownKind = coll === 'teams' ? 'university' : 'zone';
      if (is('GET', coll)) return send(res, 200, page(list.filter((x) => !q.get(owner) || x[owner] === q.get(owner)).map(strip), q));
      if (is('GET', coll, '*')) {
        const x = list.find((r) => r.id === seg[1]);
        return x ? send(res, 200, strip(x)) : err(res, 404, 'not_found', `no such ${coll}`);
      }
      if (is('POST', coll) || is('PUT', coll, '*')) {
        if (!body || typeof body !== 'object') return err(res, 400, 'invalid_json', 'expected an object');
        if (kind !== 'department' && !(kind === ownKind && body[owner] === ownId)) return err(res, 403, 'forbidden', `may not write ${coll} of others`);
        const nameKey = coll === 'teams' ? 'name' : 'title';
        if (!body[nameKey] || !String(body[nameKey]).trim()) return err(res, 422, 'validation', `${nameKey}: must not be empty`, { field: nameKey });
        if (typeof body[nameKey] === 'string' && body[nameKey].includes('禁止')) return err(res, 422, 'validation', `${nameKey}: contains a forbidden word`, { field: nameKey });
        if (body.budget_wan_yuan !== undefined && body.budget_wan_yuan > 1e6) return err(res, 422, 'validation', 'budget_wan_yuan: implausibly large', { field: 'budget_wan_yuan' });
        if (req.method === 'POST') {
          if (list.some((r) => r.id === body.id)) return err(res, 409, 'already_exists', 'id taken');
          list.push(body);
          return send(res, 201, body);
        }
        const i = list.findIndex((r) => r.id === seg[1]);
        if (i < 0) return err(res, 404, 'not_found', `no such ${coll}`);
        list[i] = { ...body, _topic: list[i]._topic };
        return send(res, 200, body);
      }
      if (is('DELETE', coll, '*')) {
        const i = list.findIndex((r) => r.id === seg[1]);
        if (i < 0) return err(res, 404, 'not_found', `no such ${coll}`);
        list.splice(i, 1);
        res.writeHead(204);
        return res.end();
      }
    }
    if (is('GET', 'search')) {
      const words = (q.get('q') || '').split(/\s+/).filter(Boolean);
      const coll = q.get('kind') === 'demands' ? S.demands : S.teams;
      const rows = coll
        .filter((x) => words.some((w) => JSON.stringify(x).includes(w)))
        .slice(0, 20)
        .map((x) => {
          const text = x.description || '';
          const w = words.find((w2) => text.includes(w2)) || words[0];
          const i = Math.max(0, text.indexOf(w) - 20);
          return { kind: q.get('kind') === 'demands' ? 'demands' : 'teams', id: x.id, name: x.title || x.name, score: 0.8, snippet: text.slice(i, i + 90).split(w).join(`<mark>${w}</mark>`) };
        });
      return send(res, 200, { items: rows, total: rows.length });
    }
    const visible = (pr) => kind === 'department' || (kind === 'zone' && pr.zone_id === ownId) || (kind === 'university' && pr.university_id === ownId);
    if (is('GET', 'pairings')) {
      const rows = S.pairings.filter((x) => visible(x) && (!q.get('status') || x.status === q.get('status')) && (!q.get('track') || x.track_id === q.get('track')) && (q.get('batch_id') ? x.batch_id === q.get('batch_id') : !x.superseded_by));
      return send(res, 200, page(rows, q));
    }
    const pairing = seg[0] === 'pairings' && seg[1] ? S.pairings.find((x) => x.id === seg[1]) : null;
    if (seg[0] === 'pairings' && seg[1] && (!pairing || !visible(pairing))) return err(res, 404, 'not_found', 'no such pairing');
    if (is('GET', 'pairings', '*')) return send(res, 200, pairing);
    if (is('GET', 'pairings', '*', 'history')) return send(res, 200, { items: S.history.filter((x) => x.pairing_id === pairing.id) });
    if (is('GET', 'pairings', '*', 'comments')) return send(res, 200, { items: S.comments.filter((x) => x.pairing_id === pairing.id) });
    if (is('POST', 'pairings', '*', 'comments')) {
      if (!body || !String(body.body || '').trim()) return err(res, 422, 'validation', 'body: must not be empty', { field: 'body' });
      const c = { id: S.comments.length + 1, pairing_id: pairing.id, at: new Date().toISOString(), actor: { name: who.name, role: who.role }, body: body.body };
      S.comments.push(c);
      return send(res, 201, c);
    }
    if (is('POST', 'pairings', '*', 'reviews')) {
      if (kind !== 'department') return err(res, 403, 'forbidden', 'only the department reviews');
      const map = { approve: 'approved', reject: 'rejected', request_changes: 'changes_requested' };
      if (!body || !map[body.decision]) return err(res, 422, 'validation', 'decision: unknown', { field: 'decision' });
      if (pairing.superseded_by) return err(res, 409, 'pairing_superseded', `pairing ${pairing.id} was superseded by batch ${pairing.superseded_by} and can no longer be reviewed`);
      if (body.version !== pairing.version) return err(res, 409, 'version_conflict', `version ${body.version} is stale: the pairing is at version ${pairing.version}`);
      if (pairing.status !== 'proposed') return err(res, 409, 'invalid_transition', `cannot ${body.decision} a pairing that is ${pairing.status}`);
      if (body.decision !== 'approve' && !String(body.comment || '').trim()) return err(res, 422, 'comment_required', `${body.decision} needs a comment`, { field: 'comment' });
      const from = pairing.status;
      pairing.status = map[body.decision];
      pairing.version += 1;
      pairing.updated_at = new Date().toISOString();
      S.history.push({ id: S.history.length + 1, pairing_id: pairing.id, at: pairing.updated_at, actor: { name: who.name, role: who.role }, action: body.decision, from, to: pairing.status, version: pairing.version, comment: String(body.comment || '') });
      return send(res, 200, pairing);
    }
    const proposalRoute = seg[0] === 'proposals' || seg[0] === 'dashboard';
    if (proposalRoute && kind !== 'department') return err(res, 403, 'forbidden', `the ${who.role} role may not work with proposals`);
    if (is('POST', 'proposals')) {
      if (!body || typeof body !== 'object') return err(res, 400, 'bad_request', 'expected an object');
      const trackIds = Array.isArray(body.track_ids) ? body.track_ids : [];
      if (!trackIds.length) return err(res, 422, 'no_tracks', 'no track selected', { field: 'track_ids' });
      const unknown = trackIds.find((t) => !S.tracks.some((x) => x.id === t));
      if (unknown) return err(res, 422, 'unknown_track', `unknown track ${unknown}`, { field: 'track_ids' });
      const config = body.config || {};
      if ((config.zone_track_min ?? 1) > (config.zone_track_max ?? 2)) return err(res, 422, 'invalid_config', `invalid config: zone_track_min (${config.zone_track_min ?? 1}) exceeds zone_track_max (${config.zone_track_max ?? 2})`, { field: 'config.zone_track_min' });
      const job = startJob(trackIds, config, who.name, null);
      return send(res, 202, jobView(job, false), { Location: `/v1/proposals/${job.job_id}` });
    }
    if (is('GET', 'proposals')) return send(res, 200, page(S.jobs.map((j) => jobView(j, false)), q));
    if (is('GET', 'proposals', 'preview')) {
      const ids = String(q.get('track_ids') || '').split(',').filter(Boolean);
      if (!ids.length) return err(res, 422, 'no_tracks', 'no track selected', { field: 'track_ids' });
      const live = S.pairings.filter((x) => ids.includes(x.track_id) && !x.superseded_by);
      const count = (...statuses) => live.filter((x) => statuses.includes(x.status)).length;
      return send(res, 200, { open_pairings: count('proposed', 'changes_requested'), approved_carried: count('approved') });
    }
    const job = seg[0] === 'proposals' && seg[1] ? S.jobs.find((j) => j.job_id === seg[1]) : null;
    if (seg[0] === 'proposals' && seg[1] && !job) return err(res, 404, 'not_found', `proposal job ${seg[1]} not found`);
    if (is('GET', 'proposals', '*')) return send(res, 200, jobView(job, true));
    if (is('POST', 'proposals', '*', 'revise')) {
      if (job.state !== 'done') return err(res, 409, 'job_not_done', `proposal job ${job.job_id} is ${job.state}, not done`);
      const next = startJob(job.track_ids, job._config, who.name, job.job_id);
      return send(res, 202, jobView(next, false), { Location: `/v1/proposals/${next.job_id}` });
    }
    if (is('GET', 'proposals', '*', 'export')) {
      if (job.state !== 'done') return err(res, 409, 'job_not_done', `proposal job ${job.job_id} is ${job.state}, not done`);
      const format = q.get('format') || 'csv';
      if (!['csv', 'xlsx'].includes(format)) return err(res, 400, 'invalid_parameter', 'format: unknown variant', { field: 'format' });
      const LABEL = { proposed: '拟推荐', approved: '已批准', rejected: '已驳回', changes_requested: '需修改' };
      const rows = jobView(job, true).batch.pairings;
      const cell = (v) => (/[",\n\r]/.test(String(v ?? '')) ? `"${String(v).replace(/"/g, '""')}"` : String(v ?? ''));
      const grade = (r) => (r.bundle.benchmark_projects.length >= 10 ? '达标' : '培育');
      const csv = ['序号,园区,高校,赛道,等级,产业方向,创新平台,领军人才,成果转化基金,标杆项目,项目数,得分,状态,审核意见,批次日期', ...rows.map((r, i) => [i + 1, r.zone_name, r.university_name, r.track_name, grade(r), r.track_name, (r.bundle.innovation_platform.university || {}).name || '待共建', (r.bundle.leading_talent || {}).name || '待共建', (r.bundle.transformation_fund || {}).name || '待共建', `${r.bundle.benchmark_projects.length}项`, r.bundle.benchmark_projects.length, r.quality.toFixed(3), r.superseded_by ? '已由新方案取代' : LABEL[r.status], '', ''].map(cell).join(','))].join('\r\n');
      res.writeHead(200, {
        'Content-Type': format === 'xlsx' ? 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' : 'text/csv; charset=utf-8',
        'Content-Disposition': `attachment; filename="shuanggao-pairings-${job.job_id}.${format}"; filename*=UTF-8''${encodeURIComponent(`双高协同配对方案-${job.job_id}.${format}`)}`,
      });
      return res.end(`\ufeff${csv}\r\n`);
    }
    if (is('GET', 'dashboard')) {
      // Mirrors the service's Dashboard, counting approved pairings (superseded ones never are).
      const live = S.pairings.filter((x) => !x.superseded_by);
      const ok = live.filter((x) => x.status === 'approved');
      const projects = (x) => x.bundle.benchmark_projects.length;
      const target = (x) => (x.bundle.shortfall && x.bundle.shortfall.target) || 10;
      const isShort = (x) => projects(x) < target(x);
      const distinct = (list) => {
        const platforms = new Set();
        const talents = new Set();
        for (const x of list) {
          const p = x.bundle.innovation_platform || {};
          if (p.university) platforms.add(`u|${x.university_id}|${p.university.name}`);
          if (p.zone) platforms.add(`z|${x.zone_id}|${p.zone.name}`);
          if (x.bundle.leading_talent) talents.add(`${x.university_id}|${x.bundle.leading_talent.team_id}|${x.bundle.leading_talent.name}`);
        }
        return { platforms, talents };
      };
      const all = distinct(ok);
      const count = (status) => live.filter((x) => x.status === status).length;
      const coverage = (list, key) => {
        const covered = new Set(ok.map((x) => x[key]));
        return { covered: list.filter((r) => covered.has(r.id)).length, total: list.length, uncovered: list.filter((r) => !covered.has(r.id)).map((r) => ({ id: r.id, name: r.name, city: r.city })) };
      };
      const funds = new Map(ok.filter((x) => x.bundle.transformation_fund).map((x) => [`${x.zone_id}|${x.bundle.transformation_fund.name}`, x.bundle.transformation_fund.size_wan_yuan || 0]));
      const cities = [...new Set(S.zones.map((z) => z.city))];
      const short = ok.filter(isShort).map((x) => ({ pairing_id: x.id, zone_id: x.zone_id, zone_name: zoneName(x.zone_id), university_id: x.university_id, university_name: uniName(x.university_id), track_id: x.track_id, track_name: (S.tracks.find((t) => t.id === x.track_id) || {}).name || '', projects: projects(x), target: target(x), shortfall: target(x) - projects(x) }));
      return send(res, 200, {
        pairings: { proposed: count('proposed'), approved: count('approved'), rejected: count('rejected'), changes_requested: count('changes_requested') },
        zones: coverage(S.zones, 'zone_id'),
        universities: coverage(S.universities, 'university_id'),
        benchmark_projects: { planned: ok.reduce((a, x) => a + projects(x), 0), target_per_pairing: 10, short_pairings: short.length, qualified_pairings: ok.length - short.length },
        pairings_short: short.sort((a, b) => b.shortfall - a.shortfall),
        platforms: { total: all.platforms.size, university: [...all.platforms].filter((k) => k.startsWith('u|')).length, zone: [...all.platforms].filter((k) => k.startsWith('z|')).length },
        talents: { total: all.talents.size, with_honors: ok.filter((x) => x.bundle.leading_talent && x.bundle.leading_talent.honors.length).length },
        funds: { total: funds.size, size_wan_yuan: [...funds.values()].reduce((a, b) => a + b, 0) },
        by_track: [...new Set(ok.map((x) => x.track_id))].map((t) => {
          const list = ok.filter((x) => x.track_id === t);
          const d = distinct(list);
          return { track_id: t, track_name: (S.tracks.find((x) => x.id === t) || {}).name || '', pairings: list.length, zones: new Set(list.map((x) => x.zone_id)).size, universities: new Set(list.map((x) => x.university_id)).size, projects: list.reduce((a, x) => a + projects(x), 0), short: list.filter(isShort).length, platforms: d.platforms.size, talents: d.talents.size };
        }),
        by_city: cities.map((city) => {
          const zoneIds = new Set(S.zones.filter((z) => z.city === city).map((z) => z.id));
          const list = ok.filter((x) => zoneIds.has(x.zone_id));
          const d = distinct(list);
          return { city, zones_total: zoneIds.size, zones_covered: new Set(list.map((x) => x.zone_id)).size, universities: new Set(list.map((x) => x.university_id)).size, pairings: list.length, projects: list.reduce((a, x) => a + projects(x), 0), short: list.filter(isShort).length, platforms: d.platforms.size, talents: d.talents.size };
        }),
      });
    }
    return noRoute();
    }
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const port = Number(process.argv[2] || 8099);
  createServer().listen(port, '127.0.0.1', () => console.log(`stand-in API and console on http://127.0.0.1:${port}/ (tokens: ${Object.keys(TOKENS).join(', ')})`));
}
