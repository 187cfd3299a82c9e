// The rejected-calls log: the last webhook calls the server refused (errcode, errmsg, masked
// key, the whole request excerpt the server kept), kept current by the event stream, and the
// unseen count on the rail. A refusal made by a fault-injection rule (`injected`) is marked
// "注入", with a link to the rules.

import { api, listOf, query } from './api.js';
import { $, h, toast } from './dom.js';
import { state } from './state.js';
import { fullTime, logTime, parseTime } from './time.js';

/** How many the page asks for, and how many live ones it keeps. */
const LOADED = 200;
const KEPT = 500;

let rejections = []; // newest first
let unseen = 0; // arrived while another page was shown
let arriving = null; // live rejections that came while the log was loading (newest first)

/** What tells two rejections apart (they carry no id). */
const identity = (r) => JSON.stringify([r.at, r.key, r.endpoint, r.errcode, r.errmsg, r.body_excerpt, r.from_ip]);

/** Shows the page's rows: clears the unseen count, then loads the log. */
export async function openRejections() {
  unseen = 0;
  renderBadge();
  const arrived = [];
  arriving = arrived;
  let loaded;
  try {
    loaded = listOf(await api(`/rejections${query({ limit: LOADED })}`), 'rejections');
  } catch (error) {
    toast(`加载失败：${error.message}`, 'error');
    return;
  } finally {
    if (arriving === arrived) arriving = null;
  }
  // A rejection that came live while the list was on its way may be missing from it.
  const known = new Set(loaded.map(identity));
  rejections = arrived.filter((r) => !known.has(identity(r))).concat(loaded).slice(0, KEPT);
  renderRejections();
}

/** A `rejection` event: listed at once on the page, counted on the rail elsewhere. */
export function onRejection(rejection) {
  if (arriving) arriving.unshift(rejection);
  rejections.unshift(rejection);
  if (rejections.length > KEPT) rejections.length = KEPT;
  if (state.route.name === 'rejections') renderRejections();
  else {
    unseen += 1;
    renderBadge();
  }
}

function rejectionRow(r) {
  const at = parseTime(r.at);
  return h('tr', { 'data-testid': 'rejection', dataset: { injected: r.injected ? 'true' : 'false' } },
    h('td', { class: 'nowrap', title: at ? fullTime(at) : '', text: at ? logTime(at) : String(r.at || '') }),
    h('td', {}, h('code', { text: r.endpoint || '' })),
    h('td', {}, h('code', { text: r.key || '' })),
    h('td', { class: 'nowrap' },
      h('span', { class: 'errcode', text: String(r.errcode ?? '') }),
      r.injected ? h('a', {
        class: 'status-badge status-injected', href: '#/faults', 'data-testid': 'injected',
        title: '由故障注入规则造成（不是真实的错误）', text: '注入',
      }) : null),
    h('td', { class: 'errmsg', text: r.errmsg || '' }),
    // The whole excerpt, wrapped (it scrolls when long): the end of a body is often what is wrong.
    h('td', { class: 'excerpt-cell' }, h('pre', { class: 'excerpt', 'data-testid': 'excerpt', text: r.body_excerpt || '' })),
    h('td', { class: 'nowrap', text: r.from_ip || '' }));
}

function renderRejections() {
  $('rejections').replaceChildren(...rejections.map(rejectionRow));
  $('rejections-empty').hidden = rejections.length !== 0;
}

function renderBadge() {
  const badge = $('rejection-badge');
  badge.hidden = unseen === 0;
  badge.textContent = unseen > 99 ? '99+' : String(unseen);
}
