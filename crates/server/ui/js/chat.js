// Opening a chat: its first page of messages (and a blackboard's posts), its composer, older
// pages on scroll, and marking it read. A newer open supersedes a slower one still loading:
// each load checks `loadToken` before it touches the page. Live messages that come while the
// first page loads wait for it (`state.loading`), so they neither vanish nor stand alone.

import { api, listOf, query } from './api.js';
import { renderChatHead, renderViewAsBanner } from './chat-head.js';
import { rememberPreview, renderChatList } from './chat-list.js';
import { renderComposer } from './composer.js';
import { closeDetail } from './detail.js';
import { $, toast } from './dom.js';
import { forgetRows, updateRelay } from './message-row.js';
import { PAGE_SIZE, findChat, state } from './state.js';
import { renderTimeline, showMessage, showTimelineNote, takeArrived } from './timeline.js';

let loadToken = 0; // bumped by every open
let loadingOlder = false;

/** The `/messages` query of the open chat under the current viewer and search. */
function pageQuery(extra) {
  return `/messages${query({ chatid: state.chatId, as_user: state.asUser, q: state.q, limit: PAGE_SIZE, ...extra })}`;
}

/** Opens (or reloads) chat `chatId`; the detail pane stays open only with `keepDetail`. */
export async function openChat(chatId, { keepDetail = false } = {}) {
  const token = ++loadToken;
  if (state.chatId !== chatId) state.replyTo = null;
  state.chatId = chatId;
  state.chat = findChat(chatId) || null;
  state.messages = [];
  state.nextCursor = null;
  state.posts = [];
  state.loading = true;
  state.arrived = [];
  forgetRows();
  if (!keepDetail) closeDetail();
  const search = $('search');
  if (search.value !== state.q) search.value = state.q;
  renderChatHead();
  renderViewAsBanner();
  renderChatList();
  renderComposer();
  showTimelineNote('timeline-loading', '加载中…');
  try {
    if (!state.chat) {
      // A chat newer than the list (a link, or a chat created since): ask for it alone.
      try { state.chat = await api(`/chats/${encodeURIComponent(chatId)}`); } catch { state.chat = null; }
      if (token !== loadToken) return;
      renderChatHead();
      renderViewAsBanner();
      renderComposer();
    }
    const [page, posts] = await Promise.all([
      api(pageQuery({})),
      state.chat && state.chat.kind === 'blackboard'
        ? api(`/chats/${encodeURIComponent(chatId)}/posts`).catch(() => [])
        : Promise.resolve([]),
    ]);
    if (token !== loadToken) return;
    state.posts = listOf(posts, 'posts');
    const items = listOf(page, 'messages');
    state.messages = items.slice().reverse();
    state.nextCursor = (page && page.next_cursor) || null;
    state.loading = false;
    takeArrived();
    renderComposer();
    if (!state.q && items[0]) rememberPreview(items[0]);
    renderTimeline({ scroll: 'bottom' });
    markRead(chatId);
  } catch (error) {
    if (token !== loadToken) return;
    state.loading = false;
    state.arrived = [];
    renderComposer();
    showTimelineNote('timeline-empty', error.status === 404 ? '没有这个会话' : `加载失败：${error.message}`);
  }
}

/** Adds what the open chat's newest page holds and the timeline does not (messages sent after
 *  it was loaded, before the event stream was open), without drawing the rest again; the relay
 *  states of the messages shown may have moved on meanwhile too. */
export async function catchUpChat() {
  if (state.loading || !state.chatId) return; // the load under way brings them
  const token = loadToken;
  let items;
  try {
    items = listOf(await api(pageQuery({})), 'messages');
  } catch {
    return; // the next open of the chat brings them
  }
  if (token !== loadToken) return;
  const newest = state.messages.reduce((max, m) => Math.max(max, m.id), 0);
  for (const item of items) {
    if (item.relay && item.id <= newest) updateRelay(item.relay);
  }
  const added = items.slice().reverse().filter((message) => message.id > newest && showMessage(message));
  if (added.length && !document.hidden) markRead(state.chatId);
}

/** Prepends the next older page, keeping what the reader sees in place. */
export async function loadOlder() {
  if (!state.nextCursor || loadingOlder) return;
  loadingOlder = true;
  const token = loadToken;
  const timeline = $('timeline');
  const fromBottom = timeline.scrollHeight - timeline.scrollTop;
  try {
    const page = await api(pageQuery({ before: state.nextCursor }));
    if (token !== loadToken) return;
    const older = listOf(page, 'messages').slice().reverse();
    const known = new Set(state.messages.map((m) => m.id));
    state.messages = older.filter((m) => !known.has(m.id)).concat(state.messages);
    state.nextCursor = (page && page.next_cursor) || null;
    renderTimeline({});
    timeline.scrollTop = timeline.scrollHeight - fromBottom;
  } catch (error) {
    toast(`加载更早的消息失败：${error.message}`, 'error');
  } finally {
    loadingOlder = false;
  }
}

const readTimers = new Map(); // chatid -> pending "mark read" call

/** Clears the badge at once and tells the server shortly after: a burst of live messages into
 *  the open chat then costs one request, not one each (per chat, so that switching chats
 *  quickly never drops the call of the chat left). */
export function markRead(chatId) {
  const chat = findChat(chatId);
  if (chat && Number(chat.unread || 0) !== 0) {
    chat.unread = 0;
    renderChatList();
  }
  clearTimeout(readTimers.get(chatId));
  readTimers.set(chatId, setTimeout(() => {
    readTimers.delete(chatId);
    api(`/chats/${encodeURIComponent(chatId)}/read`, { method: 'POST', body: {} })
      .catch(() => { /* unread counts are cosmetic; the next chat list load corrects them */ });
  }, 100));
}
