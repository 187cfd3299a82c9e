// The timeline of the open chat: messages oldest first with WeCom's time dividers (or a
// blackboard's posts), the "load older" button, the empty state, and the "new messages below"
// pill shown when a live message arrives while the reader is scrolled up. `showMessage` adds
// one message (live, or just written in the composer) exactly once.

import { api, listOf } from './api.js';
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

/** Adds a message of the open chat (a live one, or one the composer just sent) unless it is
 *  shown already: the event stream and the composer's answer both bring the composer's
 *  messages, in either order. While the chat's first page loads, it waits for that page (which
 *  may hold it already). Answers whether it was added. */
export function showMessage(message, { scroll = 'follow' } = {}) {
  if (state.loading) {
    state.arrived.push(message);
    return false;
  }
  if (state.messages.some((m) => m.id === message.id)) return false;
  state.messages.push(message);
  // Ids grow with time; the composer's answer may arrive after a later live message.
  state.messages.sort((a, b) => a.id - b.id);
  if (state.chat && state.chat.kind === 'blackboard' && message.post_id
    && !state.posts.some((p) => p.post_id === message.post_id)) {
    // A post created after the chat was loaded (by this very message, when it was sent without
    // post_id): drawn once the posts are fetched again, so that it shows as a post at once,
    // never first as a reply to a post without a title.
    refreshPosts(message.chatid, scroll);
    return true;
  }
  renderTimeline({ scroll });
  return true;
}

/** The messages that came while the first page loaded and are newer than it, added to it. */
export function takeArrived() {
  const newest = state.messages.reduce((max, m) => Math.max(max, m.id), 0);
  const known = new Set(state.messages.map((m) => m.id));
  for (const message of state.arrived) {
    if (message.id > newest && !known.has(message.id)) {
      state.messages.push(message);
      known.add(message.id);
    }
  }
  state.arrived = [];
  state.messages.sort((a, b) => a.id - b.id);
}

/** Fetches the open blackboard's posts again (a new message opened a new post). */
export async function refreshPosts(chatId, scroll = 'follow') {
  let posts = null;
  try {
    posts = listOf(await api(`/chats/${encodeURIComponent(chatId)}/posts`), 'posts');
  } catch { /* drawn with the posts known; the next load corrects it */ }
  if (state.chatId !== chatId || state.loading) return;
  if (posts) state.posts = posts;
  renderTimeline({ scroll });
}

/** Whether a live message matches the open chat's search, as the server's `q` would. */
export function matchesSearch(message) {
  if (!state.q) return true;
  return JSON.stringify(message.content || {}).toLowerCase().includes(state.q.toLowerCase());
}
