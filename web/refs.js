// Reference data every view names things with (tracks, zones, universities), loaded once per sign-in,
// and the readers that pull common fields out of the service's objects.

import { getAll } from './api.js';

const cache = { tracks: null, zones: null, universities: null };
/** The maps once loaded, for synchronous look-ups while rendering. */
const loaded = { tracks: new Map(), zones: new Map(), universities: new Map() };

function byId(rows) {
  const map = new Map();
  for (const row of rows) if (row && row.id !== undefined) map.set(String(row.id), row);
  return map;
}

async function load(key, path) {
  if (!cache[key]) {
    cache[key] = getAll(path).then(
      (rows) => {
        loaded[key] = byId(rows);
        return loaded[key];
      },
      (err) => {
        cache[key] = null;
        throw err;
      },
    );
  }
  return cache[key];
}

export const tracks = () => load('tracks', '/v1/tracks');
export const zones = () => load('zones', '/v1/zones');
export const universities = () => load('universities', '/v1/universities');

/** Forgets everything (sign-out, or after an edit that changes names). */
export function reset() {
  cache.tracks = null;
  cache.zones = null;
  cache.universities = null;
}

/** Loads the three lists; a failure of one leaves an empty map so views still render. */
export async function all() {
  const settle = (p) => p.catch(() => new Map());
  const [t, z, u] = await Promise.all([settle(tracks()), settle(zones()), settle(universities())]);
  return { tracks: t, zones: z, universities: u };
}

/** Name of a track, zone or university already loaded, else the value itself. */
export function label(kind, id) {
  const row = loaded[kind] && loaded[kind].get(String(id));
  return row && row.name ? row.name : String(id);
}

/** Display name from an id and a map, falling back to an embedded name or the id itself. */
export function nameOf(map, id, fallback) {
  if (fallback) return fallback;
  if (id === undefined || id === null || id === '') return '—';
  const row = map && map.get(String(id));
  return row && row.name ? row.name : String(id);
}

export const TRACK_KIND = { cluster: '先进制造业集群', chain: '重点产业链', future: '未来产业' };

/** Tracks grouped for a <select>: future industries, clusters, chains. */
export function trackGroups(trackMap, onlyIds) {
  const groups = new Map([
    ['future', []],
    ['cluster', []],
    ['chain', []],
  ]);
  for (const t of trackMap.values()) {
    if (onlyIds && !onlyIds.includes(String(t.id))) continue;
    const list = groups.get(t.kind) || groups.get('cluster');
    list.push(t);
  }
  return [...groups.entries()]
    .filter(([, list]) => list.length)
    .map(([kind, list]) => ({ label: TRACK_KIND[kind] || kind, tracks: list }));
}

/** The first present value among several possible field names. */
export function pick(obj, ...keys) {
  if (!obj || typeof obj !== 'object') return undefined;
  for (const key of keys) {
    const value = key.split('.').reduce((o, k) => (o && typeof o === 'object' ? o[k] : undefined), obj);
    if (value !== undefined && value !== null) return value;
  }
  return undefined;
}
