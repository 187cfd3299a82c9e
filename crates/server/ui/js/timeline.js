// The timeline of the open chat: messages oldest first with WeCom's time dividers (or a
// blackboard's posts), the "load older" button, the empty state, and the "new messages below"
// pill shown when a live message arrives while the reader is scrolled up.

import { blackboardBlocks } from './blackboard.js';
import { $, h } from './dom.js';
import { rowFor } from './message-row.js';
import { loadPicturesIn } from './remote-images.js';
import { state } from './state.js';
import { dividerTime, parseTime, sameDay } from './time.js';

/** WeCom shows a time divider after a pause of a few minutes. */
const TIME_GAP_MS = 5 * 60 * 1000;
/** Within this many pixels of the bottom, a live message scrolls the timeline along. */
const FOLLOW_PX = 120;

function withDividers(messages) {
  const out = [];
  let previous = null;
  for (const message of messages) {
    const at = parseTime(message.created_at);
    if (at && (!previous || at - previous > TIME_GAP_MS || !sameDay(at, previous))) {
      out.push(h('div', { class: 'time-divider' }, h('span', { text: dividerTime(at) })));
    }
    if (at) previous = at;
    out.push(rowFor(message));
  }
  return out;
}

/** Draws `state.messages`. `scroll`: 'bottom' jumps to the newest; 'follow' (a live message)
 *  scrolls along only when the reader was at the bottom, and shows the pill otherwise. */
export function renderTimeline({ scroll }) {
  const timeline = $('timeline');
  const nearBottom = timeline.scrollHeight - timeline.scrollTop - timeline.clientHeight < FOLLOW_PX;
  const blackboard = state.chat && state.chat.kind === 'blackboard';
  const children = [];
  if (state.nextCursor) {
    children.push(h('div', { class: 'load-older' },
      h('button', { type: 'button', class: 'link-button', 'data-action': 'older', text: '查看更早的消息' })));
  }
  if (!state.messages.length && !(blackboard && state.posts.length)) {
    children.push(h('div', { class: 'timeline-empty', text: state.q ? `没有包含「${state.q}」的消息` : '这个会话还没有消息' }));
  } else if (blackboard) {
    children.push(...blackboardBlocks(state.messages));
  } else {
    children.push(...withDividers(state.messages));
  }
  $('timeline-inner').replaceChildren(...children);
  // Only once the rows are in the page, whose listeners then see the pictures load or fail.
  if (state.remoteImages) loadPicturesIn($('timeline-inner'));
  if (scroll === 'bottom' || (scroll === 'follow' && nearBottom)) timeline.scrollTop = timeline.scrollHeight;
  else if (scroll === 'follow') showNewBelow();
}

/** Replaces the timeline by one line (loading, or why the chat cannot be shown). */
export function showTimelineNote(className, text) {
  $('timeline-inner').replaceChildren(h('div', { class: className, text }));
}

function showNewBelow() {
  if (document.querySelector('.new-below')) return;
  const pill = h('button', { type: 'button', class: 'new-below', text: '有新消息 ↓' });
  pill.addEventListener('click', () => {
    $('timeline').scrollTop = $('timeline').scrollHeight;
    pill.remove();
  });
  $('view-chat').append(pill);
}

/** Removes the "new messages below" pill (the reader reached the bottom). */
export function dismissNewBelow() {
  const pill = document.querySelector('.new-below');
  if (pill) pill.remove();
}

/** Whether a live message matches the open chat's search, as the server's `q` would. */
export function matchesSearch(message) {
  if (!state.q) return true;
  return JSON.stringify(message.content || {}).toLowerCase().includes(state.q.toLowerCase());
}
