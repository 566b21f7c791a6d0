// fetch wrapper: same-origin credentials, X-CSRF-Token on state-changing
// requests, and errors in the protocol's shape {"error": {code, message, field}}.

import { lang, t } from './i18n.js';

export class ApiError extends Error {
  constructor(status, code, message, field) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.field = field || null;
  }
}

export function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.getAttribute('content') || '' : '';
}

function buildUrl(path, query) {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === null || value === undefined || value === '') continue;
    params.set(key, String(value));
  }
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

export async function request(method, path, { body, query, signal } = {}) {
  const headers = { Accept: 'application/json', 'Accept-Language': lang };
  const init = { method, headers, credentials: 'same-origin', signal };
  if (method !== 'GET' && method !== 'HEAD') headers['X-CSRF-Token'] = csrfToken();
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(buildUrl(path, query), init);
  } catch (err) {
    if (err && err.name === 'AbortError') throw err;
    throw new ApiError(0, 'network_error', t('console.error.network'));
  }
  let data = null;
  if (response.status !== 204) {
    const text = await response.text();
    if (text) {
      try {
        data = JSON.parse(text);
      } catch {
        data = null;
      }
    }
  }
  if (!response.ok) {
    const error = data && data.error ? data.error : {};
    if (response.status === 401) sessionExpired();
    throw new ApiError(
      response.status,
      error.code || `http_${response.status}`,
      error.message || t('console.error.generic'),
      error.field,
    );
  }
  return data;
}

let expiredShown = false;
/** Session ended: tell the person and offer to log in again (keeps what is on screen). */
export function sessionExpired() {
  if (expiredShown) return;
  expiredShown = true;
  const box = document.getElementById('vt-session-expired');
  if (box) {
    box.hidden = false;
    box.querySelector('a')?.focus();
  }
}

export const api = {
  get: (path, query, opts) => request('GET', path, { query, ...opts }),
  post: (path, body) => request('POST', path, { body: body === undefined ? {} : body }),
  put: (path, body) => request('PUT', path, { body }),
  del: (path) => request('DELETE', path),
};
