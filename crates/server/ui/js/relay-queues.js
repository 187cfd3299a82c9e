// The relay's queues (转发队列, `#/relay`): per bot that forwards to a real WeCom bot (one
// upstream each, its key masked), how many of its messages wait (held ones included), how long
// the oldest has waited, and what was delivered and failed in the last minute
// (`GET /relay/queues`). Loaded again after each `relay` and `message` event the stream brings
// (a burst costs one load); the oldest age counts on by itself between loads. A relay set or
// removed elsewhere sends no event, so the page also loads again every 10 s while it is open.

import { api, listOf } from './api.js';
import { $, h } from './dom.js';
import { RELAY_MODE_LABEL } from './relay.js';
import { botName, state } from './state.js';

/** A burst of events costs one load. */
const ACTIVITY_DELAY_MS = 150;
/** How often the oldest age is drawn again, and how often the page loads regardless. */
const TICK_MS = 1000;
const RELOAD_MS = 10000;

let queues = [];
let loadedAt = 0; // Date.now() of the answer the page shows
let loadToken = 0;
let tickTimer = null;
let activityTimer = null;

/** The route `#/relay`: loads the queues and keeps them current. */
export async function openRelayQueues() {
  if (!tickTimer) tickTimer = setInterval(tick, TICK_MS);
  api('/bots').then((bots) => {
    state.bots = listOf(bots, 'bots');
    renderQueues(); // bot names
  }).catch(() => {});
  await loadQueues();
}

/** A message was accepted or a relayed one moved on: the queues changed. */
export function onRelayActivity() {
  if (state.route.name !== 'relay') return;
  clearTimeout(activityTimer);
  activityTimer = setTimeout(() => { loadQueues(); }, ACTIVITY_DELAY_MS);
}

function tick() {
  if (state.route.name !== 'relay') {
    clearInterval(tickTimer);
    tickTimer = null;
    return;
  }
  if (document.hidden) return;
  if (Date.now() - loadedAt >= RELOAD_MS) loadQueues();
  else renderAges();
}

async function loadQueues() {
  const token = ++loadToken;
  let loaded;
  try {
    loaded = listOf(await api('/relay/queues'), 'queues');
  } catch (error) {
    if (token === loadToken) $('relay-queues-title').textContent = `上游（加载失败：${error.message}）`;
    return;
  }
  if (token !== loadToken) return; // a newer load is on its way
  queues = loaded;
  loadedAt = Date.now();
  renderQueues();
}

/** "45 秒", "3 分 5 秒", "2 小时 3 分"; "—" when nothing waits. */
function age(seconds) {
  if (seconds === null || seconds === undefined) return '—';
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s} 秒`;
  if (s < 3600) return `${Math.floor(s / 60)} 分 ${s % 60} 秒`;
  return `${Math.floor(s / 3600)} 小时 ${Math.floor((s % 3600) / 60)} 分`;
}

/** The oldest age now: as loaded, plus the time since. */
function oldestNow(queue) {
  const loaded = queue.oldest_age_seconds;
  if (loaded === null || loaded === undefined) return null;
  return loaded + (Date.now() - loadedAt) / 1000;
}

function count(value, testId, className) {
  const n = Number(value || 0);
  return h('td', { class: `count${n ? ` ${className}` : ''}`, 'data-testid': testId, text: String(n) });
}

function queueRow(queue) {
  return h('tr', { 'data-testid': 'relay-queue', dataset: { botId: queue.bot_id } },
    h('td', {}, h('span', { text: botName(queue.bot_id) }), h('div', { class: 'muted', text: queue.bot_id })),
    h('td', {}, h('code', { class: 'relay-upstream', 'data-testid': 'relay-queue-upstream', text: queue.upstream || '' })),
    h('td', { class: 'nowrap', 'data-testid': 'relay-queue-mode', text: RELAY_MODE_LABEL[queue.mode] || queue.mode || '' }),
    count(queue.depth, 'relay-depth', 'waiting'),
    h('td', { class: 'nowrap count', 'data-testid': 'relay-oldest', text: age(oldestNow(queue)) }),
    count(queue.delivered_last_minute, 'relay-delivered', 'delivered'),
    count(queue.failed_last_minute, 'relay-failed', 'failed'),
    h('td', { class: 'nowrap' }, h('a', { class: 'link-button', href: '#/bots', text: '设置' })));
}

function renderQueues() {
  if (state.route.name !== 'relay') return;
  $('relay-queues').replaceChildren(...queues.map(queueRow));
  $('relay-queues-empty').hidden = queues.length !== 0;
  $('relay-queues').closest('table').hidden = queues.length === 0;
  $('relay-queues-title').textContent = `上游（${queues.length}）`;
}

function renderAges() {
  for (const row of $('relay-queues').querySelectorAll('[data-testid="relay-queue"]')) {
    const queue = queues.find((q) => q.bot_id === row.dataset.botId);
    const cell = row.querySelector('[data-testid="relay-oldest"]');
    if (queue && cell) cell.textContent = age(oldestNow(queue));
  }
}
