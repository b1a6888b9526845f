// The API client: every call carries the admin token (when one is set) and
// X-Requested-With (which the authorizer requires of cookie sessions that
// change state); a failure is a Problem with the answer's title and detail.

const tokenKey = 'lambdis.console.token';

// The API is the page's own path less /console: "" under `lambdis serve`,
// "/<stage>" deployed.
export const base = location.pathname.replace(/\/console\/?$/, '');

export function token() {
  return sessionStorage.getItem(tokenKey) || '';
}

export function setToken(t) {
  if (t) sessionStorage.setItem(tokenKey, t);
  else sessionStorage.removeItem(tokenKey);
}

// Problem is an API error (RFC 9457 problem+json) or a network failure
// (status 0).
export class Problem extends Error {
  constructor(status, title, detail, body) {
    super(detail ? `${title}: ${detail}` : title);
    this.status = status;
    this.title = title;
    this.detail = detail || '';
    this.body = body || null;
  }
}

// api calls method path (with its query) and returns the decoded JSON
// answer, or throws a Problem.
export async function api(method, path, body) {
  const headers = {
    Accept: 'application/json, application/problem+json',
    'X-Requested-With': 'lambdis-console',
  };
  const t = token();
  if (t) headers.Authorization = `Bearer ${t}`;
  const init = { method, headers, credentials: 'same-origin', cache: 'no-store' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let resp;
  try {
    resp = await fetch(base + path, init);
  } catch (e) {
    throw new Problem(0, 'The API could not be reached', String((e && e.message) || e));
  }
  const text = await resp.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!resp.ok) {
    if (data && typeof data === 'object' && (data.title || data.detail)) {
      throw new Problem(resp.status, String(data.title || resp.statusText), String(data.detail || ''), data);
    }
    if (data && typeof data === 'object' && data.message) { // API Gateway's own answers
      throw new Problem(resp.status, `HTTP ${resp.status}`, String(data.message), data);
    }
    throw new Problem(resp.status, `HTTP ${resp.status} ${resp.statusText}`.trim(), text.slice(0, 200));
  }
  return data;
}

// seg escapes one path segment.
export const seg = encodeURIComponent;
