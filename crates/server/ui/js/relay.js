// The relay's state of each message (docs/RELAY.md: a bot that forwards to a real WeCom bot):
// the freshest state known per request, and the status line a WeCom client would show under
// the bubble — 待放行 with 放行, 待发送, 发送中, 已转发 with its time (合并发送 when another
// message carried it), 转发失败 with WeCom's errcode and errmsg and 重试.
//
// A state reaches the page three ways, in no guaranteed order: a message item (a page, or the
// `message` event, each a snapshot taken when it was written), a `relay` event, and the answer
// of 放行/重试. Each is kept only when it is not behind the one known (`progress`), so that a
// snapshot that travelled slower never turns a delivered message back into a queued one.

import { h } from './dom.js';
import { clock, fullTime, logTime, parseTime } from './time.js';

export const RELAY_LABEL = {
  held: '待放行', queued: '待发送', delivering: '发送中', delivered: '已转发', failed: '转发失败',
};
export const RELAY_MODE_LABEL = { all: '全部转发', manual: '手动放行' };

/** How many requests' states are remembered (a long-open inbox must not grow without end). */
const KEPT = 2000;
const known = new Map(); // request_id -> the freshest relay state seen

/** How far along a state is; every change the server makes moves it forward. An attempt ends
 *  in delivered, failed or queued again with one more attempt, so the number of attempts leads;
 *  within the same count: held (never released) < failed or delivered (the attempt that ended
 *  there) < queued (released, or queued again by 重试) < delivering (the next attempt under way). */
function progress(view) {
  const within = { held: 0, failed: 0.5, delivered: 0.5, queued: 1, delivering: 5 }[view.status] ?? 0;
  return Number(view.attempts || 0) * 10 + within;
}

/** Takes `view` unless a state further along is known for its request; answers the freshest. */
export function noteRelay(view) {
  if (!view || typeof view.request_id !== 'string') return null;
  const id = view.request_id;
  const seen = known.get(id);
  if (seen && progress(seen) > progress(view)) return seen;
  known.delete(id); // re-inserted: the map's order is the age of the last news
  known.set(id, view);
  if (known.size > KEPT) known.delete(known.keys().next().value);
  return view;
}

/** The freshest state of `message`'s relay (null for a message its bot did not relay). */
export function freshRelay(message) {
  if (message.relay) return noteRelay(message.relay);
  return known.get(message.request_id) || null;
}

/** Every message was deleted. */
export function forgetRelays() {
  known.clear();
}

/** `HH:MM` of an RFC 3339 time, with the full time as its tooltip. */
function timeOf(value, testId) {
  const at = parseTime(value);
  return at ? h('time', { class: 'relay-time', 'data-testid': testId, datetime: at.toISOString(), title: fullTime(at), text: clock(at) }) : null;
}

/** WeCom's last answer, as text: its errcode and errmsg, or only the one asked for (null when
 *  the answer has none: a timeout or a refused connection has no errcode). */
function answer(relay, only) {
  const code = relay.upstream_errcode !== null && relay.upstream_errcode !== undefined
    ? h('code', { class: 'relay-errcode', 'data-testid': 'relay-errcode', text: String(relay.upstream_errcode) }) : null;
  const message = relay.upstream_errmsg
    ? h('span', { class: 'relay-errmsg', 'data-testid': 'relay-errmsg', text: relay.upstream_errmsg }) : null;
  if (only === 'errcode') return code;
  if (only === 'errmsg') return message;
  return [code, message];
}

/** Whether WeCom's last answer was a refusal (or no answer at all) worth showing. */
function lastAnswerFailed(relay) {
  return Number(relay.attempts || 0) > 0 && relay.upstream_errcode !== 0 && Boolean(relay.upstream_errcode ?? relay.upstream_errmsg);
}

function button(action, text, title) {
  return h('button', { type: 'button', class: 'relay-button', 'data-action': action, 'data-testid': action, title, text });
}

/** The status line under a relayed message's bubble; null for a message that is not relayed. */
export function relayLine(relay) {
  if (!relay) return null;
  const status = relay.status;
  const attempts = Number(relay.attempts || 0);
  const parts = [
    h('span', { class: 'relay-icon', 'aria-hidden': 'true' }),
    h('span', { class: 'relay-label', 'data-testid': 'relay-label', text: RELAY_LABEL[status] || status }),
  ];
  if (status === 'held') {
    parts.push(h('span', { class: 'relay-note', text: '手动放行模式：点「放行」后才转发到企业微信' }),
      button('relay-release', '放行', '把这条消息转发到上游的企业微信机器人'));
  } else if (status === 'queued' || status === 'delivering') {
    if (status === 'delivering' && attempts) parts.push(h('span', { class: 'relay-note', text: `第 ${attempts + 1} 次尝试` }));
    if (status === 'queued' && lastAnswerFailed(relay)) {
      const next = parseTime(relay.next_attempt_at);
      parts.push(h('span', { class: 'relay-note', text: `已尝试 ${attempts} 次${next ? `，${logTime(next)} 重试` : ''}；上次：` }), ...answer(relay));
    }
  } else if (status === 'delivered') {
    parts.push(timeOf(relay.delivered_at, 'relay-delivered-at'));
    if (attempts > 1) parts.push(h('span', { class: 'relay-note', text: `尝试 ${attempts} 次` }));
    if (relay.carried_by) {
      parts.push(h('button', {
        type: 'button', class: 'relay-carrier', 'data-action': 'relay-carrier', 'data-testid': 'relay-carrier',
        dataset: { carrier: relay.carried_by }, title: `与其他消息合并为一条发出（--relay-merge），请求 ${relay.carried_by}`, text: '合并发送 ›',
      }));
    }
  } else if (status === 'failed') {
    // The errcode and 重试 beside the state; the errmsg (long) below them.
    const [code, message] = [answer(relay, 'errcode'), answer(relay, 'errmsg')];
    parts.push(code);
    if (attempts > 1) parts.push(h('span', { class: 'relay-note', text: `共尝试 ${attempts} 次` }));
    parts.push(button('relay-retry', '重试', '重新排队，再次转发到上游'), message);
  }
  const title = `转发到企业微信：${RELAY_LABEL[status] || status}${attempts ? `，已尝试 ${attempts} 次` : ''}`;
  return h('div', { class: 'msg-relay', 'data-testid': 'relay', dataset: { status }, title }, parts);
}

/** The relay in words, for the detail pane's facts (empty for a message that is not relayed). */
export function relaySummary(relay) {
  if (!relay) return '';
  const words = [RELAY_LABEL[relay.status] || relay.status];
  const delivered = parseTime(relay.delivered_at);
  if (relay.status === 'delivered' && delivered) words.push(fullTime(delivered));
  if (relay.attempts) words.push(`尝试 ${relay.attempts} 次`);
  if (relay.status !== 'delivered' && (relay.upstream_errcode || relay.upstream_errmsg)) {
    words.push(`上游：${[relay.upstream_errcode, relay.upstream_errmsg].filter((v) => v !== null && v !== undefined).join(' ')}`);
  }
  if (relay.carried_by) words.push(`由请求 ${relay.carried_by} 合并发送`);
  return words.join(' · ');
}
