// Hash routes: `#/` (lands on the most recently active chat), `#/chat/{chatid}`, `#/bots` and
// `#/rejections`; shows the matching view and highlights the rail.

import { loadBots } from './bots.js';
import { chatTime, renderChatList, visibleChats } from './chat-list.js';
import { openChat } from './chat.js';
import { closeDetail } from './detail.js';
import { openRejections } from './rejections.js';
import { state } from './state.js';

function parseRoute() {
  const hash = decodeURIComponent(location.hash.replace(/^#\/?/, ''));
  if (hash.startsWith('chat/')) return { name: 'chat', chatId: hash.slice(5) };
  if (hash === 'bots') return { name: 'bots' };
  if (hash === 'rejections') return { name: 'rejections' };
  return { name: 'home' };
}

function showView(id) {
  for (const view of document.querySelectorAll('.view')) view.hidden = view.id !== id;
  const nav = id === 'view-bots' ? 'bots' : id === 'view-rejections' ? 'rejections' : 'chats';
  for (const item of document.querySelectorAll('.rail-item')) item.classList.toggle('active', item.dataset.nav === nav);
  document.body.dataset.view = nav;
}

/** Shows what `location.hash` names. */
export async function route() {
  state.route = parseRoute();
  const r = state.route;
  if (r.name === 'home') {
    const chats = visibleChats();
    const latest = chats.find((c) => chatTime(c)) || chats[0];
    if (latest) {
      location.replace(`#/chat/${encodeURIComponent(latest.chatid)}`); // hashchange routes again
      return;
    }
    state.chatId = null;
    showView('view-empty');
    renderChatList();
    return;
  }
  if (r.name === 'chat') {
    showView('view-chat');
    if (r.chatId !== state.chatId) await openChat(r.chatId);
    else renderChatList();
    return;
  }
  closeDetail();
  if (r.name === 'bots') { showView('view-bots'); renderChatList(); await loadBots(); }
  if (r.name === 'rejections') {
    showView('view-rejections');
    renderChatList();
    await openRejections();
  }
}
