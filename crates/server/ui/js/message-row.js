// One message of the timeline, as a WeCom client shows it: the sender's avatar and name (a bot,
// tagged 机器人, or a member), the time, who may see it, the bubble or card (the item's `html`,
// through the inbox's scrub) and the lints below it; a "加载图片" button when it holds remote
// pictures that wait. The "view as" user's own messages sit on the right, as in WeCom. Rows
// are kept per message id, so that a clicked attachment button keeps its state when the
// timeline is drawn again.
//
// Markdown attachment buttons are clicked as the "view as" user, through the API
// (`POST /messages/{id}/actions`, which calls the bot back); only then does the attachment show
// the action's replace_text, as WeCom does. A list loaded `as_user` says in `chosen` which
// action that user already took in each attachment, and those show their replace_text at once.
//
// A message its bot relays to a real WeCom bot shows the relay's status line under the bubble
// (js/relay.js), kept current in place by `updateRelay` (the `relay` events, 放行 and 重试).

import { api } from './api.js';
import { avatar, h, toast } from './dom.js';
import { freshRelay, noteRelay, relayLine } from './relay.js';
import { loadPicturesButton } from './remote-images.js';
import { safeFragment } from './safe-html.js';
import { authorOf, chatBots, findChat, senderName, state, userName } from './state.js';
import { clock, fullTime, parseTime } from './time.js';

const rows = new Map(); // message id -> rendered row

/** Forgets every row (another chat, another viewer, or the messages were cleared). */
export function forgetRows() {
  rows.clear();
}

function lintList(message) {
  const lints = message.lints || [];
  if (!lints.length) return null;
  return h('ul', { class: 'msg-lints', 'data-testid': 'lints' }, lints.map((lint) => h('li', {
    class: 'lint', title: lint.code || '',
  }, h('span', { class: 'lint-icon', 'aria-hidden': 'true', text: '!' }), h('span', { text: lint.message || lint.code || '' }))));
}

/** "仅 A、B 可见" for a message with `visible_to`; null for one every member sees. */
function visibilityTag(message) {
  const visibleTo = message.visible_to || [];
  if (!visibleTo.length) return null;
  const names = visibleTo.map(userName);
  const text = names.length > 3 ? `仅 ${names.slice(0, 3).join('、')} 等 ${names.length} 人可见` : `仅 ${names.join('、')} 可见`;
  return h('span', { class: 'msg-visibility', 'data-testid': 'visibility', title: visibleTo.join('|'), text });
}

/** Shows `@BotName` in a person's text as WeCom does (blue), for the bots of the chat. Works on
 *  text nodes only: the names never become HTML. */
function markMentions(body, message) {
  const names = chatBots(findChat(message.chatid) || state.chat).map((b) => b.name).filter(Boolean);
  if (!names.length) return;
  for (const text of body.querySelectorAll('.hp-person-text')) {
    for (const node of Array.from(text.childNodes)) {
      if (node.nodeType !== Node.TEXT_NODE) continue;
      const parts = [];
      let rest = node.nodeValue;
      let found = false;
      while (rest) {
        let best = null;
        for (const name of names) {
          const at = rest.indexOf(`@${name}`);
          if (at < 0 || (at > 0 && !/\s/.test(rest[at - 1]))) continue;
          if (!best || at < best.at || (at === best.at && name.length > best.name.length)) best = { at, name };
        }
        if (!best) { parts.push(rest); break; }
        found = true;
        if (best.at) parts.push(rest.slice(0, best.at));
        parts.push(h('span', { class: 'hp-mention', text: `@${best.name}` }));
        rest = rest.slice(best.at + best.name.length + 1);
      }
      if (found) node.replaceWith(...parts);
    }
  }
}

/** The text WeCom shows in place of an attachment's buttons once one was clicked. */
function replacedText(text) {
  return h('div', { class: 'replaced-text', 'data-testid': 'replace-text', text: text || '' });
}

/** Shows the replace_text of each attachment in which the viewer already chose an action. */
function applyChosen(body, chosen) {
  if (!chosen) return;
  for (const group of body.querySelectorAll('[data-attachment][data-callback-id]')) {
    const name = chosen[group.getAttribute('data-callback-id')];
    if (name === undefined) continue;
    const button = Array.from(group.querySelectorAll('button[data-replace-text]'))
      .find((b) => b.getAttribute('data-name') === name);
    if (!button) continue;
    group.replaceChildren(replacedText(button.getAttribute('data-replace-text')));
    group.classList.add('clicked');
  }
}

function messageRow(message) {
  const author = authorOf(message);
  const person = author.kind === 'user';
  const own = person && Boolean(state.asUser) && author.userid === state.asUser;
  const name = senderName(message);
  const seed = person ? `user:${author.userid}` : author.id || name;
  const created = parseTime(message.created_at);
  const body = h('div', { class: `msg-body msgtype-${message.msgtype || 'unknown'}` });
  body.append(safeFragment(message.html));
  if (person) markMentions(body, message);
  applyChosen(body, message.chosen);
  const relay = freshRelay(message);
  if (relay) message.relay = relay;
  const time = created ? h('time', { class: 'msg-time', datetime: created.toISOString(), title: fullTime(created), text: clock(created) }) : null;
  const row = h('div', {
    class: `msg${person ? ' msg-person' : ''}${own ? ' msg-own' : ''}`,
    'data-testid': 'message',
    dataset: {
      id: String(message.id), requestId: message.request_id || '', msgtype: message.msgtype || '', from: person ? 'user' : 'bot',
      ...(person ? { userid: author.userid } : {}),
    },
  },
  avatar(name, seed, `msg-avatar${person ? ' avatar-person' : ''}`),
  h('div', { class: 'msg-main' },
    h('div', { class: 'msg-meta' },
      // WeCom does not name you above your own messages.
      own ? null : h('span', { class: 'msg-sender', text: name }),
      person ? null : h('span', { class: 'bot-tag', text: '机器人' }),
      time,
      visibilityTag(message),
      loadPicturesButton(body),
      h('button', { type: 'button', class: 'msg-inspect', 'data-action': 'detail', title: person ? '查看这条消息的详情' : '查看请求、回复与检查结果', text: '详情' })),
    body,
    relayLine(relay),
    lintList(message)));
  if (own) row.title = `${name}（你）`;
  if ((message.lints || []).length) row.classList.add('has-lints');
  return row;
}

/** The row of a message (built once), marked when the detail pane shows it. */
export function rowFor(message) {
  const key = String(message.id);
  let row = rows.get(key);
  if (!row) {
    row = messageRow(message);
    rows.set(key, row);
  }
  row.classList.toggle('selected', state.detailId !== null && String(state.detailId) === key);
  return row;
}

/** A click on a markdown attachment button: the "view as" user clicks it (the bot is called
 *  back), then the attachment shows the action's replace_text, as WeCom does. Without a viewer
 *  nobody could have clicked, so nothing changes but a hint. Answers the API's `callbacks`. */
export async function clickAttachmentButton(button) {
  const row = button.closest('.msg');
  const group = button.closest('[data-attachment]'); // the render crate wraps each attachment's buttons
  if (!state.asUser) {
    toast('请先在左上角「视角」中选择一位成员：按钮由 TA 点击', 'error');
    return null;
  }
  if (!row || !group || group.classList.contains('clicking')) return null;
  const callbackId = group.getAttribute('data-callback-id') || '';
  const name = button.getAttribute('data-name') || '';
  group.classList.add('clicking');
  let answer;
  try {
    answer = await api(`/messages/${encodeURIComponent(row.dataset.id)}/actions`, {
      method: 'POST', body: { user: state.asUser, callback_id: callbackId, name },
    });
  } catch (error) {
    toast(`点击失败：${error.message}`, 'error');
    return null;
  } finally {
    group.classList.remove('clicking');
  }
  // Remembered on the item too, so a row drawn again from it shows the choice.
  const message = state.messages.find((m) => String(m.id) === row.dataset.id);
  if (message) message.chosen = { ...(message.chosen || {}), [callbackId]: name };
  group.replaceChildren(replacedText(button.getAttribute('data-replace-text')));
  group.classList.add('clicked');
  const callbacks = (answer && answer.callbacks) || [];
  if (callbacks.length) toast(`已点击「${button.textContent}」，回调已发给机器人`);
  return callbacks;
}

/** A relay state (an event, or the answer of 放行/重试): kept when it is the freshest known,
 *  then shown on every message of its request (one request sent to several chats is several
 *  messages), without drawing the timeline again. */
export function updateRelay(view) {
  const fresh = noteRelay(view);
  if (!fresh) return;
  for (const message of state.messages.concat(state.arrived)) {
    if (message.request_id === fresh.request_id) message.relay = fresh;
  }
  for (const row of rows.values()) {
    if (row.dataset.requestId !== fresh.request_id) continue;
    const main = row.querySelector(':scope > .msg-main');
    const old = main && main.querySelector(':scope > .msg-relay');
    const line = relayLine(fresh);
    if (old) old.replaceWith(line);
    else if (main) main.querySelector(':scope > .msg-body').after(line);
  }
}

/** 放行 (`release`, a held message of a manual relay) or 重试 (`retry`, a failed one), clicked
 *  in the row's status line. A refusal (409: another inbox or a script acted first) is shown,
 *  and the line is brought up to date. */
export async function relayAction(row, kind, button) {
  const id = row.dataset.id;
  const what = kind === 'release' ? '放行' : '重试';
  button.disabled = true;
  try {
    updateRelay(await api(`/messages/${encodeURIComponent(id)}/${kind}`, { method: 'POST' }));
    toast(kind === 'release' ? '已放行：正在转发到企业微信' : '已重新排队转发');
  } catch (error) {
    toast(`${what}失败：${error.message}`, 'error');
    button.disabled = false;
    try {
      const item = await api(`/messages/${encodeURIComponent(id)}`);
      if (item && item.relay) updateRelay(item.relay);
    } catch { /* the line stays as it was; the stream brings the next change */ }
  }
}
