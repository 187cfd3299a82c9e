// What the user does on the page: clicks in the timeline (attachment buttons, remote-picture
// placeholders and "加载图片", links, rows for the detail pane, "load older", a blackboard
// post's "回复", a relayed message's 放行, 重试 and 合并发送), scrolling, the chat tabs, search,
// "view as", the remote-pictures setting, clear, closing the detail pane, and navigation. Every
// listener of index.html's fixed elements is bound here, or by the binder of the module that
// owns them (composer, callback log, faults).

import { api, reportError } from './api.js';
import { bindCallbacks } from './callbacks.js';
import { renderChatList } from './chat-list.js';
import { loadOlder, markRead, openChat } from './chat.js';
import { bindComposer, replyTo } from './composer.js';
import { closeDetail, openDetail } from './detail.js';
import { $, toast } from './dom.js';
import { bindFaults } from './faults.js';
import { onCleared } from './live.js';
import { clickAttachmentButton, relayAction } from './message-row.js';
import { clickPlaceholder, loadPicturesIn, setAutoLoad, watchPictures } from './remote-images.js';
import { route } from './router.js';
import { findChat, state } from './state.js';
import { dismissNewBelow } from './timeline.js';
import { setViewAs } from './view-as.js';

/** How long typing pauses before the search runs. */
const SEARCH_DELAY_MS = 300;
/** Within this many pixels of an end, scrolling loads older messages or hides the pill. */
const EDGE_PX = 40;

function onTimelineClick(event) {
  const target = event.target instanceof Element ? event.target : null;
  if (!target) return;
  const replaceButton = target.closest('button[data-replace-text]');
  if (replaceButton) {
    event.preventDefault();
    clickAttachmentButton(replaceButton);
    return;
  }
  if (clickPlaceholder(target)) {
    event.preventDefault(); // a placeholder in a news card loads the picture, not the article
    return;
  }
  const action = target.closest('[data-action]');
  if (action && action.dataset.action === 'older') { loadOlder(); return; }
  if (action && action.dataset.action === 'reply-post') {
    replyTo(state.replyTo === action.dataset.postId ? null : action.dataset.postId);
    return;
  }
  const link = target.closest('a[href]');
  if (link) {
    // Links in messages leave the inbox in a new tab, without a referrer or opener.
    link.target = '_blank';
    link.rel = 'noopener noreferrer';
    return;
  }
  const row = target.closest('.msg');
  if (!row) return;
  if (action && action.dataset.action === 'detail') { openDetail(row.dataset.id); return; }
  if (action && action.dataset.action === 'load-images') { loadPicturesIn(row); return; }
  if (action && action.dataset.action === 'relay-release') { relayAction(row, 'release', action); return; }
  if (action && action.dataset.action === 'relay-retry') { relayAction(row, 'retry', action); return; }
  if (action && action.dataset.action === 'relay-carrier') { showCarrier(action.dataset.carrier); return; }
  if (target.closest('button, audio, video, input, select, textarea')) return;
  if (window.getSelection && String(window.getSelection())) return; // the user is selecting text
  openDetail(row.dataset.id);
}

/** 合并发送: brings the message whose request carried this one (`--relay-merge`) into view and
 *  opens it, when it is loaded. */
function showCarrier(requestId) {
  const carrier = Array.from($('timeline').querySelectorAll('.msg')).find((r) => r.dataset.requestId === requestId);
  if (!carrier) {
    toast('合并发送它的那条消息不在已加载的消息中：向上滚动可加载更早的消息');
    return;
  }
  carrier.scrollIntoView({ block: 'center' });
  carrier.classList.add('flash');
  setTimeout(() => carrier.classList.remove('flash'), 1600);
  openDetail(carrier.dataset.id);
}

function onTimelineScroll() {
  const timeline = $('timeline');
  if (timeline.scrollTop < EDGE_PX) loadOlder();
  if (timeline.scrollHeight - timeline.scrollTop - timeline.clientHeight < EDGE_PX) dismissNewBelow();
}

function bindSearch() {
  let timer = null;
  const run = () => {
    const q = $('search').value.trim();
    if (q === state.q) return;
    state.q = q;
    if (state.route.name === 'chat') openChat(state.chatId);
  };
  $('search-form').addEventListener('submit', (event) => { event.preventDefault(); clearTimeout(timer); run(); });
  $('search').addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(run, SEARCH_DELAY_MS); });
}

function onKindTab(event) {
  const tab = event.target instanceof Element && event.target.closest('button[data-kind]');
  if (!tab) return;
  state.kindFilter = tab.dataset.kind;
  for (const other of $('chat-tabs').querySelectorAll('button')) other.setAttribute('aria-selected', String(other === tab));
  renderChatList();
}

async function clearAll() {
  if (!window.confirm('清空全部会话中的全部消息？此操作无法撤销。')) return;
  try {
    await api('/messages', { method: 'DELETE' });
    onCleared();
    toast('已清空全部消息');
  } catch (error) {
    toast(`清空失败：${error.message}`, 'error');
  }
}

export function bindEvents() {
  window.addEventListener('hashchange', () => { route().catch(reportError); });
  $('timeline').addEventListener('click', onTimelineClick);
  $('timeline').addEventListener('scroll', onTimelineScroll);
  watchPictures($('timeline'));
  watchPictures($('detail'));
  const autoLoad = $('remote-images');
  autoLoad.checked = state.remoteImages;
  autoLoad.addEventListener('change', () => setAutoLoad(autoLoad.checked, $('timeline')));
  $('detail-close').addEventListener('click', closeDetail);
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && !$('detail').hidden) closeDetail();
  });
  $('view-as').addEventListener('change', (event) => setViewAs(event.target.value));
  $('view-as-banner').addEventListener('click', (event) => {
    if (event.target instanceof Element && event.target.closest('[data-action="exit-view-as"]')) setViewAs('');
  });
  $('chat-tabs').addEventListener('click', onKindTab);
  bindSearch();
  bindComposer();
  bindCallbacks();
  bindFaults();
  $('clear-all').addEventListener('click', clearAll);
  document.addEventListener('visibilitychange', () => {
    // Back on the tab: what arrived while it was hidden has now been seen.
    if (!document.hidden && state.route.name === 'chat' && state.chatId) {
      const chat = findChat(state.chatId);
      if (chat && Number(chat.unread || 0) > 0) markRead(state.chatId);
    }
  });
}
