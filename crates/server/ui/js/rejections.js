// The rejected-calls log: the last webhook calls the server refused (errcode, errmsg, masked
// key, request excerpt), kept current by the event stream, and the unseen count on the rail.

import { api, listOf, query } from './api.js';
import { $, h, toast } from './dom.js';
import { state } from './state.js';
import { fullTime, logTime, parseTime } from './time.js';

/** How many the page asks for, and how many live ones it keeps. */
const LOADED = 200;
const KEPT = 500;

let rejections = []; // newest first
let unseen = 0; // arrived while another page was shown

/** Shows the page's rows: clears the unseen count, then loads the log. */
export async function openRejections() {
  unseen = 0;
  renderBadge();
  try {
    rejections = listOf(await api(`/rejections${query({ limit: LOADED })}`), 'rejections');
  } catch (error) {
    toast(`加载失败：${error.message}`, 'error');
    return;
  }
  renderRejections();
}

/** A `rejection` event: listed at once on the page, counted on the rail elsewhere. */
export function onRejection(rejection) {
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
  return h('tr', { 'data-testid': 'rejection' },
    h('td', { class: 'nowrap', title: at ? fullTime(at) : '', text: at ? logTime(at) : String(r.at || '') }),
    h('td', {}, h('code', { text: r.endpoint || '' })),
    h('td', {}, h('code', { text: r.key || '' })),
    h('td', {}, h('span', { class: 'errcode', text: String(r.errcode ?? '') })),
    h('td', { class: 'errmsg', text: r.errmsg || '' }),
    h('td', {}, h('code', { class: 'excerpt', text: r.body_excerpt || '' })),
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
