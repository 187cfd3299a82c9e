// One message of the timeline, as a WeCom client shows it: the bot's avatar and name, the time,
// who may see it, the bubble or card (the item's `html`, through the inbox's scrub) and the
// lints below it; a "加载图片" button when it holds remote pictures that wait. Rows are kept per
// message id, so that a clicked attachment button keeps its state when the timeline is drawn
// again.

import { avatar, h } from './dom.js';
import { loadPicturesButton } from './remote-images.js';
import { safeFragment } from './safe-html.js';
import { botOf, userName, state } from './state.js';
import { clock, fullTime, parseTime } from './time.js';

const rows = new Map(); // message id -> rendered row

/** Forgets every row (another chat, or the messages were cleared). */
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

function messageRow(message) {
  const bot = botOf(message);
  const botName = bot.name || bot.id || '机器人';
  const created = parseTime(message.created_at);
  const body = h('div', { class: `msg-body msgtype-${message.msgtype || 'unknown'}` });
  body.append(safeFragment(message.html));
  const row = h('div', {
    class: 'msg', 'data-testid': 'message',
    dataset: { id: String(message.id), msgtype: message.msgtype || '' },
  },
  avatar(botName, bot.id || botName, 'msg-avatar'),
  h('div', { class: 'msg-main' },
    h('div', { class: 'msg-meta' },
      h('span', { class: 'msg-sender', text: botName }),
      h('span', { class: 'bot-tag', text: '机器人' }),
      created ? h('time', { class: 'msg-time', datetime: created.toISOString(), title: fullTime(created), text: clock(created) }) : null,
      visibilityTag(message),
      loadPicturesButton(body),
      h('button', { type: 'button', class: 'msg-inspect', 'data-action': 'detail', title: '查看请求、回复与检查结果', text: '详情' })),
    body,
    lintList(message)));
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

/** Markdown attachment buttons: WeCom replaces the buttons by their replace_text on click. */
export function clickAttachmentButton(button) {
  const replaced = h('div', { class: 'replaced-text', 'data-testid': 'replace-text', text: button.getAttribute('data-replace-text') || '' });
  const group = button.closest('[data-attachment]'); // the render crate wraps each attachment's buttons
  if (group) {
    group.replaceChildren(replaced);
    group.classList.add('clicked');
  } else {
    button.replaceWith(replaced);
  }
}
