// The head of the open chat: its name and facts (kind, members, bots, id), the page title, and
// the "view as" banner that says whose view the timeline shows.

import { $, h } from './dom.js';
import { KIND_LABEL, chatName, memberIds, state, userName } from './state.js';

export function renderChatHead() {
  const chat = state.chat;
  $('chat-name').textContent = chat ? chatName(chat) : state.chatId || '';
  const members = memberIds(chat);
  const bots = (chat && chat.bots) || [];
  const parts = [];
  if (chat && chat.kind) parts.push(KIND_LABEL[chat.kind] || chat.kind);
  if (members.length) parts.push(`${members.length} 位成员`);
  if (bots.length) parts.push(`${bots.length} 个机器人`);
  if (state.chatId) parts.push(state.chatId);
  const meta = $('chat-meta');
  meta.textContent = parts.join(' · ');
  meta.title = members.map(userName).join('、');
  document.title = chat ? `${chatName(chat)} - Hookpit` : 'Hookpit 收件箱';
}

/** The banner above the timeline while viewing as a user. Its "退出" button is handled by
 *  controls.js (`data-action="exit-view-as"`), which owns changing the viewer. */
export function renderViewAsBanner() {
  const banner = $('view-as-banner');
  if (!state.asUser) { banner.hidden = true; return; }
  banner.hidden = false;
  const members = memberIds(state.chat);
  const notMember = members.length && !members.includes(state.asUser);
  // replaceChildren would write a null as the text "null": leave it out instead.
  banner.replaceChildren(...[
    h('span', { text: `正在以「${userName(state.asUser)}」的身份查看与发言：只显示 TA 可见的消息` }),
    notMember ? h('span', { class: 'warn', text: '（TA 不是本会话成员）' }) : null,
    h('button', { type: 'button', class: 'link-button', 'data-action': 'exit-view-as', text: '退出' }),
  ].filter(Boolean));
}
