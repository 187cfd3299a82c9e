// Live updates from `GET /api/v1/events` (Server-Sent Events): new messages into the chat list
// and the open timeline, rejections into their log, callbacks into their log and the composer's
// note, relay states onto their messages' status lines and into the relay queues, "cleared"
// everywhere, activity on the fault-injection page, and the connection dot of the rail. The
// stream opens once the first view is drawn (app.js), and not at all with `?live=0`; what was
// sent before it opened, or while it was down, is loaded again.
//
// The stream is held by a dedicated worker (js/live-worker.js says why: headless captures) and
// relayed here through `LiveStream`, which looks like an EventSource to the code below (and to
// the tests: `window.__hookpitEvents.readyState`). Without workers, or without EventSource in
// them, the page holds the EventSource itself.

import { eventsUrl } from './api.js';
import { loadChats, rememberPreview, renderChatList, sortChats } from './chat-list.js';
import { onCallback, openCallbacks } from './callbacks.js';
import { catchUpChat, markRead, openChat } from './chat.js';
import { onCallbackUpdate } from './composer.js';
import { closeDetail } from './detail.js';
import { $ } from './dom.js';
import { onFaultActivity } from './faults.js';
import { forgetRows, updateRelay } from './message-row.js';
import { onRejection, openRejections } from './rejections.js';
import { forgetRelays } from './relay.js';
import { onRelayActivity, openRelayQueues } from './relay-queues.js';
import { route } from './router.js';
import { findChat, state } from './state.js';
import { matchesSearch, renderTimeline, showMessage } from './timeline.js';
import { visibleNow } from './view-as.js';

const CONNECTION_TITLE = {
  open: '实时连接：已连接', connecting: '实时连接：连接中', closed: '实时连接：已断开，正在重连',
  off: '实时连接：已关闭（?live=0），刷新页面查看新消息',
};
/** The named events of the stream (api/events.rs). */
const EVENTS = ['message', 'rejection', 'cleared', 'callback', 'relay'];

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
  onFaultActivity();
  if (message.relay) onRelayActivity(); // it joined a queue
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
  forgetRelays();
  onRelayActivity();
  closeDetail();
  loadChats().then(() => {
    if (state.route.name === 'chat') renderTimeline({ scroll: 'bottom' });
  }).catch(() => {});
  if (state.route.name === 'chat') renderTimeline({ scroll: 'bottom' });
}

/** Loads again what the stream did not bring: before its first open (`first`: the views drawn
 *  before it opened get what came meanwhile, without a redraw), or while it was down (the open
 *  chat is loaded again: a `cleared` may have been missed too). */
function catchUp({ first }) {
  reloadChatsSoon();
  const r = state.route;
  if (r.name === 'chat') {
    if (first) catchUpChat();
    else openChat(state.chatId, { keepDetail: true });
  } else if (r.name === 'rejections') {
    openRejections();
  } else if (r.name === 'callbacks' && !first) {
    openCallbacks(r, { fresh: true });
  } else if (r.name === 'faults') {
    onFaultActivity();
  } else if (r.name === 'relay') {
    openRelayQueues();
  }
}

/** An EventSource look-alike fed by the worker of js/live-worker.js, or by an EventSource of
 *  the page when the worker cannot hold one. */
class LiveStream extends EventTarget {
  constructor(url) {
    super();
    this.readyState = 0; // EventSource.CONNECTING
    this.url = url;
    this.worker = null;
    this.source = null;
    try {
      this.worker = new Worker('/assets/js/live-worker.js');
    } catch {
      this.inPage();
      return;
    }
    this.worker.addEventListener('message', (event) => this.fromWorker(event.data || {}));
    // The script did not load or failed: hold the stream here instead.
    this.worker.addEventListener('error', () => this.inPage());
    this.worker.postMessage({ url });
  }

  fromWorker(data) {
    if (data.kind === 'unsupported') {
      this.inPage();
    } else if (data.kind === 'state') {
      this.readyState = data.readyState;
      this.dispatchEvent(new Event(data.type));
    } else if (data.kind === 'event' && EVENTS.includes(data.type)) {
      this.dispatchEvent(new MessageEvent(data.type, { data: data.data, lastEventId: data.lastEventId }));
    }
  }

  inPage() {
    if (this.source) return;
    if (this.worker) this.worker.terminate();
    this.worker = null;
    const source = new EventSource(this.url);
    this.source = source;
    for (const type of ['open', 'error']) {
      source.addEventListener(type, () => {
        this.readyState = source.readyState;
        this.dispatchEvent(new Event(type));
      });
    }
    for (const type of EVENTS) {
      source.addEventListener(type, (event) => {
        this.dispatchEvent(new MessageEvent(type, { data: event.data, lastEventId: event.lastEventId }));
      });
    }
  }

  close() {
    if (this.worker) this.worker.terminate();
    if (this.source) this.source.close();
    this.readyState = 2; // EventSource.CLOSED
  }
}

function setConnection(status) {
  const element = $('conn');
  element.dataset.state = status;
  element.title = CONNECTION_TITLE[status] || status;
}

/** The dot of the rail when the stream is off (`?live=0`). */
export function showLiveOff() {
  setConnection('off');
}

/** Opens the stream (once the first view is drawn: app.js). */
export function connectEvents() {
  const source = new LiveStream(new URL(eventsUrl(), location.href).href);
  let wasOpen = false;
  const parse = (event) => { try { return JSON.parse(event.data); } catch { return null; } };
  source.addEventListener('open', () => {
    setConnection('open');
    catchUp({ first: !wasOpen });
    wasOpen = true;
  });
  source.addEventListener('error', () => setConnection(source.readyState === EventSource.CLOSED ? 'closed' : 'connecting'));
  source.addEventListener('message', (event) => onLiveMessage(parse(event)));
  source.addEventListener('rejection', (event) => {
    const data = parse(event);
    if (!data) return;
    onRejection(data);
    onFaultActivity();
  });
  source.addEventListener('cleared', onCleared);
  source.addEventListener('callback', (event) => {
    const data = parse(event);
    if (!data || data.id === undefined) return;
    onCallback(data);
    onCallbackUpdate(data);
  });
  source.addEventListener('relay', (event) => {
    const view = parse(event);
    if (!view || typeof view.request_id !== 'string') return;
    updateRelay(view);
    onRelayActivity();
  });
  window.__hookpitEvents = source; // lets tests and developers inspect the stream state
}
