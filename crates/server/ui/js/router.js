// Hash routes: `#/` (lands on the most recently active chat), `#/chat/{chatid}`, `#/bots`,
// `#/relay`, `#/callbacks[/{bot_id}[/{callback_id}]]`, `#/rejections` and `#/faults`; shows the
// matching view and highlights the rail.

import { loadBots } from './bots.js';
import { openCallbacks } from './callbacks.js';
import { chatTime, renderChatList, visibleChats } from './chat-list.js';
import { openChat } from './chat.js';
import { closeDetail } from './detail.js';
import { openFaults } from './faults.js';
import { openRejections } from './rejections.js';
import { openRelayQueues } from './relay-queues.js';
import { state } from './state.js';

/** One part of the hash, decoded (a malformed escape stays as it is). */
function decodePart(part) {
  try { return decodeURIComponent(part); } catch { return part; }
}

function parseRoute() {
  const raw = location.hash.replace(/^#\/?/, '');
  const hash = decodePart(raw);
  if (hash.startsWith('chat/')) return { name: 'chat', chatId: hash.slice(5) };
  if (hash === 'bots') return { name: 'bots' };
  if (hash === 'rejections') return { name: 'rejections' };
  if (hash === 'faults') return { name: 'faults' };
  if (hash === 'relay') return { name: 'relay' };
  if (raw === 'callbacks' || raw.startsWith('callbacks/')) {
    // Split before decoding: a bot id may hold an encoded "/".
    const [, botId = '', id = ''] = raw.split('/').map(decodePart);
    const callbackId = /^\d+$/.test(id) ? Number(id) : null;
    return { name: 'callbacks', botId, callbackId };
  }
  return { name: 'home' };
}

const NAV_OF_VIEW = {
  'view-bots': 'bots', 'view-rejections': 'rejections', 'view-callbacks': 'callbacks', 'view-faults': 'faults',
  'view-relay': 'relay',
};

function showView(id) {
  for (const view of document.querySelectorAll('.view')) view.hidden = view.id !== id;
  const nav = NAV_OF_VIEW[id] || 'chats';
  for (const item of document.querySelectorAll('.rail-item')) item.classList.toggle('active', item.dataset.nav === nav);
  document.body.dataset.view = nav;
}

/** Shows what `location.hash` names. */
export async function route() {
  const previous = state.route;
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
    // Back from another page: live messages of the chat were not drawn meanwhile, load again.
    if (r.chatId !== state.chatId || previous.name !== 'chat') await openChat(r.chatId);
    else renderChatList();
    return;
  }
  closeDetail();
  if (r.name === 'bots') { showView('view-bots'); renderChatList(); await loadBots(); }
  if (r.name === 'callbacks') {
    showView('view-callbacks');
    await openCallbacks(r, { fresh: previous.name !== 'callbacks' });
  }
  if (r.name === 'rejections') {
    showView('view-rejections');
    renderChatList();
    await openRejections();
  }
  if (r.name === 'faults') {
    showView('view-faults');
    await openFaults();
  }
  if (r.name === 'relay') {
    showView('view-relay');
    await openRelayQueues();
  }
}
