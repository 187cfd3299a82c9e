// The callback log (回调日志, `#/callbacks[/{bot_id}[/{id}]]`): every callback Hookpit sent to a
// bot's callback URL, newest first, with its status (等待投递 / 已送达 / 失败), event, chat,
// time and attempts; kept current by the `callback` events of the stream. The entry chosen
// shows what a bot developer cannot see in WeCom: the request as the bot decrypts it and the
// bot's answer, decrypted, side by side (pretty-printed XML or JSON), what became of the
// passive reply, every attempt, and the raw encrypted envelopes (collapsed).

import { api, listOf, query } from './api.js';
import { copyButton } from './clipboard.js';
import { $, h, toast } from './dom.js';
import { highlighted, prettyPayload } from './pretty.js';
import { EVENT_LABEL, STATUS_LABEL, botName, chatName, findChat, state } from './state.js';
import { fullTime, logTime, parseTime } from './time.js';

/** How many the page asks for, and how many it keeps as live ones arrive. */
const LOADED = 200;
const KEPT = 500;

let entries = []; // newest first
let botFilter = ''; // '' for every bot
let selectedId = null;
let loadedFor = null; // the bot filter the list was loaded for; null: not loaded
let rawOpen = false; // whether the raw envelopes are unfolded (kept across live redraws)

/** The route `#/callbacks[/{bot}[/{id}]]`. `fresh`: coming from another page, load again. */
export async function openCallbacks({ botId = '', callbackId = null }, { fresh = true } = {}) {
  const reload = fresh || loadedFor !== botId;
  botFilter = botId;
  selectedId = callbackId;
  renderBotFilter();
  if (reload) {
    $('callback-list').replaceChildren(h('li', { class: 'muted callback-loading', text: '加载中…' }));
    try {
      entries = listOf(await api(`/callbacks${query({ bot_id: botFilter, limit: LOADED })}`), 'callbacks');
      loadedFor = botId;
    } catch (error) {
      toast(`加载失败：${error.message}`, 'error');
      entries = [];
      loadedFor = null;
    }
  }
  if (selectedId !== null && !entries.some((e) => e.id === selectedId)) {
    try {
      const entry = await api(`/callbacks/${selectedId}`);
      if (!botFilter || entry.bot_id === botFilter) upsert(entry);
      else entries.push(entry); // shown though older than the list: it was asked for by name
    } catch (error) {
      if (selectedId === callbackId) toast(`没有这个回调：${error.message}`, 'error');
    }
  }
  renderList();
  renderDetail();
}

/** A `callback` event: a callback was queued or attempted. */
export function onCallback(entry) {
  if (loadedFor === null || (botFilter && entry.bot_id !== botFilter)) return;
  upsert(entry);
  if (state.route.name !== 'callbacks') return;
  renderList();
  if (entry.id === selectedId) renderDetail();
}

function upsert(entry) {
  const at = entries.findIndex((e) => e.id === entry.id);
  if (at >= 0) entries[at] = entry;
  else entries.push(entry);
  entries.sort((a, b) => b.id - a.id);
  if (entries.length > KEPT) entries.length = KEPT;
}

function entryHref(entry) {
  return `#/callbacks/${encodeURIComponent(botFilter || entry.bot_id)}/${entry.id}`;
}

function renderBotFilter() {
  const select = $('callbacks-bot');
  select.replaceChildren(h('option', { value: '', text: '全部机器人' }),
    ...state.bots.map((b) => h('option', { value: b.id, text: b.name || b.id })));
  if (botFilter && !state.bots.some((b) => b.id === botFilter)) select.append(h('option', { value: botFilter, text: botFilter }));
  select.value = botFilter;
}

// ---------------------------------------------------------------- the list

export function statusBadge(status) {
  return h('span', { class: `status-badge status-${status}`, 'data-testid': 'status', dataset: { status }, title: status, text: STATUS_LABEL[status] || status });
}

function eventLabel(event) {
  return EVENT_LABEL[event] || event || '回调';
}

function chatLabel(chatid) {
  const chat = findChat(chatid);
  return chat ? chatName(chat) : chatid;
}

function lastAttempt(entry) {
  const attempts = entry.attempts || [];
  return attempts[attempts.length - 1] || null;
}

function listItem(entry) {
  const at = parseTime(entry.created_at);
  const attempts = (entry.attempts || []).length;
  const last = lastAttempt(entry);
  const facts = [
    botFilter ? null : botName(entry.bot_id),
    chatLabel(entry.chatid),
    attempts ? `尝试 ${attempts} 次` : '尚未尝试',
    last && last.http_status ? `HTTP ${last.http_status}` : null,
    last && last.latency_ms !== null && last.latency_ms !== undefined ? `${last.latency_ms} ms` : null,
  ].filter(Boolean);
  return h('li', {},
    h('a', {
      class: `callback-item${entry.id === selectedId ? ' active' : ''}`,
      href: entryHref(entry),
      'data-testid': 'callback',
      'aria-current': entry.id === selectedId ? 'true' : undefined,
      dataset: { id: String(entry.id), status: entry.status, event: entry.event || '' },
    },
    h('span', { class: 'callback-line' },
      statusBadge(entry.status),
      h('span', { class: 'callback-event', text: eventLabel(entry.event) }),
      h('code', { class: 'callback-event-code', text: entry.event || '' }),
      h('span', { class: 'callback-time', title: at ? fullTime(at) : '', text: at ? logTime(at) : '' })),
    h('span', { class: 'callback-facts', text: facts.join(' · ') }),
    last && last.error ? h('span', { class: 'callback-error', text: last.error }) : null));
}

function renderList() {
  const list = $('callback-list');
  $('callbacks-empty').hidden = entries.length !== 0;
  list.replaceChildren(...entries.map(listItem));
}

// ---------------------------------------------------------------- one callback

/** A payload pretty-printed, with its copy button in a bar above it (long lines scroll, and
 *  must not slide under the button). */
function payloadBlock(testId, text, emptyText) {
  if (text === null || text === undefined || text === '') {
    return h('p', { class: 'payload-empty', 'data-testid': testId, text: emptyText });
  }
  const pretty = prettyPayload(String(text));
  return h('div', { class: 'payload-wrap' },
    h('div', { class: 'payload-bar' }, copyButton(() => pretty)),
    h('pre', { class: 'code payload', 'data-testid': testId }, ...highlighted(pretty)));
}

function responseSide(entry) {
  const response = entry.response;
  const last = lastAttempt(entry);
  const parts = [];
  if (!response) {
    const why = last && last.error ? `没有可用的响应：${last.error}` : entry.status === 'pending' ? '等待机器人的响应…' : '没有响应';
    parts.push(h('p', { class: 'payload-empty', 'data-testid': 'callback-reply-plaintext', text: why }));
  } else {
    const ok = response.status >= 200 && response.status < 300;
    parts.push(h('div', { class: 'response-status' },
      h('span', { class: `http-status ${ok ? 'ok' : 'bad'}`, 'data-testid': 'response-status', text: `HTTP ${response.status}` }),
      h('span', { class: 'muted', text: response.plaintext ? '被动回复（解密后）' : response.body ? '响应体无法解密，见下方原始报文' : '空响应：没有被动回复' })));
    if (response.plaintext) parts.push(payloadBlock('callback-reply-plaintext', response.plaintext, ''));
  }
  const reply = entry.reply;
  if (reply && reply.message_id !== undefined) {
    parts.push(h('p', { class: 'reply-outcome ok', 'data-testid': 'reply-outcome' },
      h('span', { text: `被动回复已作为「${botName(entry.bot_id)}」的消息发到会话 ` }),
      h('a', { href: `#/chat/${encodeURIComponent(entry.chatid)}`, text: `${chatLabel(entry.chatid)} ›` })));
  } else if (reply && reply.error) {
    parts.push(h('p', { class: 'reply-outcome error', 'data-testid': 'reply-outcome', text: `被动回复未能发出：${reply.error}` }));
  }
  return parts;
}

function attemptsTable(entry) {
  const attempts = entry.attempts || [];
  if (!attempts.length) return h('p', { class: 'muted', text: entry.next_attempt_at ? `尚未尝试；计划于 ${fullTime(parseTime(entry.next_attempt_at))}` : '尚未尝试' });
  return h('table', { class: 'table attempts', 'data-testid': 'callback-attempts' },
    h('thead', {}, h('tr', {}, ['#', '时间', 'HTTP 状态', '耗时', '错误'].map((t) => h('th', { text: t })))),
    h('tbody', {}, attempts.map((a, n) => {
      const at = parseTime(a.at);
      return h('tr', { 'data-testid': 'attempt' },
        h('td', { text: String(n + 1) }),
        h('td', { class: 'nowrap', title: at ? fullTime(at) : '', text: at ? logTime(at) : String(a.at || '') }),
        h('td', {}, a.http_status ? h('span', { class: `http-status ${a.http_status >= 200 && a.http_status < 300 ? 'ok' : 'bad'}`, text: String(a.http_status) }) : '—'),
        h('td', { class: 'nowrap', text: a.latency_ms !== null && a.latency_ms !== undefined ? `${a.latency_ms} ms` : '—' }),
        h('td', { class: 'errmsg', text: a.error || '' }));
    })));
}

function rawEnvelopes(entry) {
  const request = entry.request || {};
  const response = entry.response;
  const details = h('details', { class: 'raw', 'data-testid': 'callback-raw' },
    h('summary', { text: '原始报文（加密的信封，与 WeCom 实际发送的一致）' }),
    h('div', { class: 'raw-body' },
      h('h4', { text: '请求 URL（POST）' }),
      h('div', { class: 'payload-wrap' },
        h('div', { class: 'payload-bar' }, copyButton(() => request.url || '')),
        h('pre', { class: 'code payload', 'data-testid': 'raw-request-url', text: request.url || '' })),
      h('h4', { text: '请求体' }),
      payloadBlock('raw-request-body', request.body, '还没有发出'),
      h('h4', { text: response ? `响应体（HTTP ${response.status}）` : '响应体' }),
      payloadBlock('raw-response-body', response && response.body, response ? '（空）' : '还没有响应')));
  details.open = rawOpen;
  details.addEventListener('toggle', () => { rawOpen = details.open; });
  return details;
}

function facts(entry) {
  const created = parseTime(entry.created_at);
  const next = parseTime(entry.next_attempt_at);
  const chat = findChat(entry.chatid);
  return [
    ['机器人', `${botName(entry.bot_id)} (${entry.bot_id})`],
    ['会话', h('a', { href: `#/chat/${encodeURIComponent(entry.chatid)}`, text: chat ? `${chatName(chat)} · ${entry.chatid}` : entry.chatid })],
    ['事件', `${eventLabel(entry.event)}（${entry.event}）`],
    ['格式', (entry.format || '').toUpperCase()],
    ['回调地址', String((entry.request && entry.request.url) || '').split('?')[0]],
    ['MsgId', entry.msgid],
    ['创建时间', created ? fullTime(created) : entry.created_at],
    ['下次尝试', next && entry.status === 'pending' ? fullTime(next) : ''],
    ['引发的消息', entry.message_id !== undefined && entry.message_id !== null ? `#${entry.message_id}` : ''],
  ].filter(([, value]) => value !== undefined && value !== null && value !== '');
}

function renderDetail() {
  const pane = $('callback-detail');
  const entry = entries.find((e) => e.id === selectedId);
  if (!entry) {
    pane.replaceChildren(h('p', { class: 'empty-text callback-pick', text: entries.length ? '选择左侧的一个回调，查看解密后的请求与响应。' : '' }));
    return;
  }
  const request = entry.request || {};
  pane.replaceChildren(
    h('header', { class: 'callback-head' },
      h('h2', { text: `${eventLabel(entry.event)} · #${entry.id}` }),
      statusBadge(entry.status)),
    h('dl', { class: 'facts' }, facts(entry).flatMap(([key, value]) => [h('dt', { text: key }), h('dd', {}, value)])),
    h('div', { class: 'callback-pair', 'data-testid': 'callback-pair' },
      h('section', { class: 'callback-side', 'data-testid': 'callback-request' },
        h('h3', { text: `Hookpit 发出的回调（解密后，${(entry.format || '').toUpperCase()}）` }),
        payloadBlock('callback-request-plaintext', request.plaintext, '（无）')),
      h('section', { class: 'callback-side', 'data-testid': 'callback-response' },
        h('h3', { text: '机器人的响应' }),
        ...responseSide(entry))),
    h('section', { class: 'detail-section' }, h('h3', { text: `尝试（${(entry.attempts || []).length}）` }), attemptsTable(entry)),
    rawEnvelopes(entry));
}

/** The bot filter's listener (its element is in index.html). */
export function bindCallbacks() {
  $('callbacks-bot').addEventListener('change', (event) => {
    const bot = event.target.value;
    location.hash = bot ? `#/callbacks/${encodeURIComponent(bot)}` : '#/callbacks';
  });
}
