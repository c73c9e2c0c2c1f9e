// The console's only door to the service: authenticated JSON requests, paging, and errors turned into
// `ApiError` values that carry the service's stable code (never a raw body).

const TOKEN_KEY = 'shuanggao.token';

/** The access token of this browser tab (sessionStorage: it ends with the tab). */
export const session = {
  get token() {
    return sessionStorage.getItem(TOKEN_KEY) || '';
  },
  set token(value) {
    if (value) sessionStorage.setItem(TOKEN_KEY, value);
    else sessionStorage.removeItem(TOKEN_KEY);
  },
};

/** A failed request: HTTP status, stable code, the field it concerns (422) and the service's message. */
export class ApiError extends Error {
  constructor(status, code, message, fields = []) {
    super(message || code);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.fields = fields;
  }

  /** True when the endpoint itself is missing on this server (route not found / method not allowed). */
  get unavailable() {
    return this.code === 'route_missing' || this.status === 405 || this.status === 501;
  }
}

/**
 * Endpoints addressed without a record id: a 404 from them means this server does not offer the route
 * (an older service version), not that a record is missing.
 */
const ROUTE_ONLY = [
  /^\/v1\/(me|dashboard|proposals|pairings|demands|teams|search)$/,
  /^\/v1\/pairings\/[^/]+\/comments$/,
  /^\/v1\/proposals\/[^/]+\/(export|revise)$/,
  /^\/v1\/proposals\/preview$/,
];

function routeMissing(status, path, data) {
  if (status !== 404) return false;
  if (data && data.code === 'not_found' && data.message === 'no such route') return true;
  return ROUTE_ONLY.some((re) => re.test(path));
}

const listeners = new Set();

/** Registers a callback run when the service refuses the token (401), so the app can sign out. */
export function onUnauthorized(fn) {
  listeners.add(fn);
}

function fieldsOf(body) {
  const out = [];
  const push = (field, message) => {
    if (typeof field === 'string' && field) out.push({ field, message: typeof message === 'string' ? message : '' });
  };
  if (!body || typeof body !== 'object') return out;
  push(body.field, body.message);
  const details = body.details && typeof body.details === 'object' ? body.details : null;
  if (details) push(details.field, details.message || body.message);
  const lists = [body.fields, body.errors, details && details.fields];
  for (const list of lists) {
    if (Array.isArray(list)) {
      for (const item of list) {
        if (typeof item === 'string') push(item, '');
        else if (item && typeof item === 'object') push(item.field || item.path, item.message);
      }
    } else if (list && typeof list === 'object') {
      for (const [field, message] of Object.entries(list)) push(field, message);
    }
  }
  return out;
}

function buildUrl(path, query) {
  const url = new URL(path, window.location.origin);
  if (query) {
    for (const [key, value] of Object.entries(query)) {
      if (value === undefined || value === null || value === '') continue;
      url.searchParams.set(key, String(value));
    }
  }
  return url.pathname + url.search;
}

/**
 * Sends one request and returns the parsed JSON body (or null for an empty body).
 * Throws `ApiError` for every failure, including network errors and non-JSON error bodies.
 */
export async function request(method, path, { query, body, signal, token } = {}) {
  const headers = { Accept: 'application/json' };
  const bearer = token !== undefined ? token : session.token;
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  const init = { method, headers, signal, credentials: 'same-origin', cache: 'no-store' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(buildUrl(path, query), init);
  } catch (err) {
    if (err && err.name === 'AbortError') throw err;
    throw new ApiError(0, 'network', String(err && err.message));
  }
  const text = await response.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (response.ok) return data;
  let code = data && typeof data.code === 'string' ? data.code : '';
  if (routeMissing(response.status, new URL(path, window.location.origin).pathname, data)) code = 'route_missing';
  if (!code) {
    // A body without our error shape means the router itself answered: the endpoint is not there.
    code = response.status === 404 ? 'route_missing' : `http_${response.status}`;
  }
  const message = data && typeof data.message === 'string' ? data.message : '';
  const error = new ApiError(response.status, code, message, fieldsOf(data));
  if (response.status === 401 && bearer) listeners.forEach((fn) => fn(error));
  throw error;
}

export const get = (path, query, opts) => request('GET', path, { ...opts, query });
export const post = (path, body, opts) => request('POST', path, { ...opts, body });
export const put = (path, body, opts) => request('PUT', path, { ...opts, body });
export const del = (path, opts) => request('DELETE', path, opts);

/** The rows of a list response, whichever envelope the endpoint uses. */
export function items(data) {
  if (Array.isArray(data)) return data;
  if (!data || typeof data !== 'object') return [];
  for (const key of ['items', 'data', 'results', 'rows', 'candidates', 'demands', 'teams', 'pairings', 'hits', 'batches', 'jobs']) {
    if (Array.isArray(data[key])) return data[key];
  }
  return [];
}

/** Total count of a list response when the service reports one. */
export function total(data) {
  if (data && typeof data === 'object' && !Array.isArray(data)) {
    for (const key of ['total', 'count', 'total_count']) {
      if (Number.isFinite(data[key])) return data[key];
    }
  }
  return items(data).length;
}

/** Reads every page of a list endpoint (bounded to `max` rows). */
export async function getAll(path, query = {}, { pageSize = 100, max = 5000 } = {}) {
  const rows = [];
  for (let offset = 0; offset < max; offset += pageSize) {
    const data = await get(path, { ...query, limit: pageSize, offset });
    const page = items(data);
    rows.push(...page);
    const known = total(data);
    if (page.length < pageSize || (known && rows.length >= known && !Array.isArray(data))) break;
  }
  return rows;
}

/** URL of a download that needs the token: fetched as a blob and handed to the browser. */
export async function download(path, query, filename) {
  const headers = {};
  if (session.token) headers.Authorization = `Bearer ${session.token}`;
  let response;
  try {
    response = await fetch(buildUrl(path, query), { headers, cache: 'no-store' });
  } catch (err) {
    throw new ApiError(0, 'network', String(err && err.message));
  }
  if (!response.ok) {
    let data = null;
    try {
      data = await response.json();
    } catch {
      data = null;
    }
    const missing = routeMissing(response.status, new URL(path, window.location.origin).pathname, data);
    const code = missing ? 'route_missing' : (data && data.code) || (response.status === 404 ? 'route_missing' : `http_${response.status}`);
    throw new ApiError(response.status, code, data && data.message, fieldsOf(data));
  }
  const blob = await response.blob();
  const href = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = href;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(href), 10_000);
}

/**
 * Posts a file's bytes as they are (an XLSX or CSV spreadsheet) and returns the parsed JSON body; a 422
 * whose body is an import report resolves with that report (its `errors` list the problems).
 */
export async function upload(path, query, file) {
  const xlsx = /\.xlsx$/i.test(file.name) || file.type.includes('spreadsheetml');
  const type = xlsx ? 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' : 'text/csv';
  const headers = { Accept: 'application/json', 'Content-Type': type };
  if (session.token) headers.Authorization = `Bearer ${session.token}`;
  let response;
  try {
    response = await fetch(buildUrl(path, query), { method: 'POST', headers, body: file, cache: 'no-store' });
  } catch (err) {
    throw new ApiError(0, 'network', String(err && err.message));
  }
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (response.ok || (response.status === 422 && data && Array.isArray(data.errors))) return data;
  const code = (data && data.code) || `http_${response.status}`;
  const error = new ApiError(response.status, code, data && data.message, fieldsOf(data));
  if (response.status === 401 && session.token) listeners.forEach((fn) => fn(error));
  throw error;
}
