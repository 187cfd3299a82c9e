// "View as" (视角): shows the inbox as one user sees it, applying `visible_to_user`. The
// server filters pages by `as_user`; live messages are filtered here. The choice survives a
// reload (localStorage).

import { loadChats } from './chat-list.js';
import { openChat } from './chat.js';
import { $, h } from './dom.js';
import { VIEW_AS_KEY, state } from './state.js';

/** Fills the selector with the known users (and a remembered user no longer known). */
export function renderViewAs() {
  const select = $('view-as');
  const current = state.asUser;
  select.replaceChildren(h('option', { value: '', text: '全部消息（管理员）' }));
  for (const user of state.users) {
    const label = user.name && user.name !== user.userid ? `${user.name}（${user.userid}）` : user.userid;
    select.append(h('option', { value: user.userid, text: label }));
  }
  if (current && !state.users.some((u) => u.userid === current)) {
    select.append(h('option', { value: current, text: current }));
  }
  select.value = current;
}

/** Switches the viewer ('' for the admin view) and reloads what depends on it. */
export function setViewAs(userid) {
  state.asUser = userid || '';
  if (state.asUser) localStorage.setItem(VIEW_AS_KEY, state.asUser);
  else localStorage.removeItem(VIEW_AS_KEY);
  $('view-as').value = state.asUser;
  // Previews may show what the new viewer may not see: fetch them again under the new viewer.
  state.previews.clear();
  loadChats().catch(() => {});
  if (state.route.name === 'chat') openChat(state.chatId, { keepDetail: false });
}

/** Whether a live message may be shown under the current viewer. */
export function visibleNow(message) {
  if (!state.asUser) return true;
  const visibleTo = message.visible_to || [];
  return visibleTo.length === 0 || visibleTo.includes(state.asUser);
}
