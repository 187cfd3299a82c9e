// The client of the public `/api/v1` API (the inbox uses nothing else): JSON calls with the
// admin token, the URL of the event stream, and the token prompt shown on a 401.

import { h, toast } from './dom.js';

const API = '/api/v1';
const TOKEN_KEY = 'hookpit.token';

/** A refused call: the HTTP status and the API's `{code, message}`. */
class ApiError extends Error {
  constructor(status, code, message) {
    super(message || code || `HTTP ${status}`);
    this.status = status;
    this.code = code;
  }
}

/** Calls `API + path` and answers the parsed JSON (null for an empty body, as a 204 has). */
export async function api(path, { method = 'GET', body } = {}) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const token = localStorage.getItem(TOKEN_KEY);
  if (token) headers.Authorization = `Bearer ${token}`;
  const response = await fetch(API + path, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store',
  });
  const text = await response.text();
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch { data = null; }
  }
  if (response.status === 401) askForToken();
  if (!response.ok) {
    throw new ApiError(response.status, data && data.code, data && data.message);
  }
  return data;
}

/** The array of a wrapped list (`{chats: [...]}`), or the array a failed call fell back to. */
export function listOf(data, key) {
  if (Array.isArray(data)) return data;
  return data && Array.isArray(data[key]) ? data[key] : [];
}

/** `?a=1&b=2` of the parameters that have a value; empty when none has. */
export function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

/** The Server-Sent Events stream. EventSource cannot send headers, so the token goes in the
 *  query (the API accepts `access_token` on GET requests). */
export function eventsUrl() {
  const token = localStorage.getItem(TOKEN_KEY);
  return `${API}/events${token ? query({ access_token: token }) : ''}`;
}

let askedForToken = false;

/** Asks once for the admin token (`--admin-token`), stores it and reloads the page. */
function askForToken() {
  if (askedForToken) return;
  askedForToken = true;
  const form = h('form', { class: 'token-form' },
    h('p', { text: '这个 Hookpit 需要管理令牌（--admin-token）。' }),
    h('input', { type: 'password', name: 'token', placeholder: '管理令牌', autocomplete: 'off' }),
    h('button', { type: 'submit', class: 'button', text: '保存并重新加载' }));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    localStorage.setItem(TOKEN_KEY, form.elements.token.value.trim());
    location.reload();
  });
  document.body.append(h('div', { class: 'overlay' }, form));
  form.elements.token.focus();
}

/** Shows an unexpected error as a toast; a 401 shows nothing more, the token form says it all. */
export function reportError(error) {
  if (error instanceof ApiError && error.status === 401) return;
  console.warn('hookpit:', error);
  toast(`出错了：${error.message || error}`, 'error');
}
