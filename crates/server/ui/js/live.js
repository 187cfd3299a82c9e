// Live updates from `GET /api/v1/events` (Server-Sent Events): new messages into the chat list
// and the open timeline, rejections into their log, callbacks into their log and the composer's
// note, "cleared" everywhere, and the connection dot of the rail. After a reconnect, what was
// sent meanwhile is loaded again.

import { eventsUrl } from './api.js';
import { loadChats, rememberPreview, renderChatList, sortChats } from './chat-list.js';
import { onCallback } from './callbacks.js';
import { markRead, openChat } from './chat.js';
import { onCallbackUpdate } from './composer.js';
import { closeDetail } from './detail.js';
import { $ } from './dom.js';
import { forgetRows } from './message-row.js';
import { onRejection } from './rejections.js';
import { route } from './router.js';
import { findChat, state } from './state.js';
import { matchesSearch, renderTimeline, showMessage } from './timeline.js';
import { visibleNow } from './view-as.js';

const CONNECTION_TITLE = { open: '实时连接：已连接', connecting: '实时连接：连接中', closed: '实时连接：已断开，正在重连' };

let chatReloadTimer = null;

/** Reloads the chat list once a burst of events is over. */
function reloadChatsSoon() {
  clearTimeout(chatReloadTimer);
  chatReloadTimer = setTimeout(() => {
    loadChats().then(() => { if (state.route.name === 'home') route(); }).catch(() => {});
  }, 150);
}

function onLiveMessage(message) {
  if (!message || message.id === undefined) return;
  if (visibleNow(message)) rememberPreview(message);
  const chat = findChat(message.chatid);
  const open = state.route.name === 'chat' && state.chatId === message.chatid;
  if (chat) {
    chat.last_message_at = message.created_at || chat.last_message_at;
    chat.message_count = Number(chat.message_count || 0) + 1;
    if (!open || document.hidden) chat.unread = Number(chat.unread || 0) + 1;
    sortChats();
    renderChatList();
  } else {
    reloadChatsSoon(); // a chat we do not know yet (a new single chat, a new group)
  }
  if (open) {
    if (!visibleNow(message) || !matchesSearch(message)) return;
    showMessage(message);
    if (!document.hidden) markRead(message.chatid);
  } else if (state.route.name === 'home') {
    route();
  }
}

/** Every message was deleted (here, or by another client): empty everything and reload. */
export function onCleared() {
  state.messages = [];
  state.nextCursor = null;
  state.previews.clear();
  forgetRows();
  closeDetail();
  loadChats().then(() => {
    if (state.route.name === 'chat') renderTimeline({ scroll: 'bottom' });
  }).catch(() => {});
  if (state.route.name === 'chat') renderTimeline({ scroll: 'bottom' });
}

function setConnection(status) {
  const element = $('conn');
  element.dataset.state = status;
  element.title = CONNECTION_TITLE[status] || status;
}

export function connectEvents() {
  const source = new EventSource(eventsUrl());
  let wasOpen = false;
  const parse = (event) => { try { return JSON.parse(event.data); } catch { return null; } };
  source.addEventListener('open', () => {
    setConnection('open');
    if (wasOpen) {
      // Reconnected: catch up with what was sent while the stream was down.
      reloadChatsSoon();
      if (state.route.name === 'chat') openChat(state.chatId, { keepDetail: true });
    }
    wasOpen = true;
  });
  source.addEventListener('error', () => setConnection(source.readyState === EventSource.CLOSED ? 'closed' : 'connecting'));
  source.addEventListener('message', (event) => onLiveMessage(parse(event)));
  source.addEventListener('rejection', (event) => { const data = parse(event); if (data) onRejection(data); });
  source.addEventListener('cleared', onCleared);
  source.addEventListener('callback', (event) => {
    const data = parse(event);
    if (!data || data.id === undefined) return;
    onCallback(data);
    onCallbackUpdate(data);
  });
  window.__hookpitEvents = source; // lets tests and developers inspect the stream state
}
