// The chat list of the sidebar: loading the chats, their one-line previews (the newest message,
// as a WeCom client shows it), the order by latest activity, the kind tabs and the unread badges.

import { api, listOf, query } from './api.js';
import { $, avatar, h } from './dom.js';
import { KIND_LABEL, chatName, memberIds, senderName, state } from './state.js';
import { parseTime, shortTime } from './time.js';

/** How many chats without a preview get their newest message fetched on a load. */
const PREVIEWS_FETCHED = 30;

/** A markdown's text without its markup: `<font color>` tags, `<@userid>` as `@userid`, and
 *  the heading, emphasis, quote and code marks. */
function markdownText(content) {
  return String(content || '')
    .replace(/<\/?font\b[^>]*>/gi, '')
    .replace(/<@([^<>\s]+)>/g, '@$1')
    .replace(/[#*>`]/g, '');
}

/** One line summarising a message, as a WeCom chat list does ("[图片]", "[图文] 标题"). */
function previewText(message) {
  const c = message.content || {};
  const cut = (s) => String(s || '').replace(/\s+/g, ' ').slice(0, 80);
  switch (message.msgtype) {
    case 'text': return cut(c.content);
    case 'markdown': case 'markdown_v2': return cut(markdownText(c.content));
    case 'image': return '[图片]';
    case 'mixed': return cut((c.items || []).map((item) => (item.type === 'image' ? '[图片]' : item.content)).join(' '));
    case 'news': return `[图文] ${cut(c.articles && c.articles[0] && c.articles[0].title)}`;
    case 'file': return '[文件]'; // the content holds only a media_id
    case 'voice': return '[语音]';
    case 'miniprogram': return `[小程序] ${cut(c.title)}`;
    case 'template_card': return `[卡片] ${cut((c.main_title && c.main_title.title) || c.sub_title_text)}`;
    default: return `[${message.msgtype || '消息'}]`;
  }
}

/** Makes `message` its chat's preview, unless a newer one is known. */
export function rememberPreview(message) {
  if (!message || !message.chatid) return;
  const at = parseTime(message.created_at);
  const known = state.previews.get(message.chatid);
  if (known && known.at && at && known.at > at) return;
  state.previews.set(message.chatid, { text: `${senderName(message)}: ${previewText(message)}`, at });
}

/** When a chat was last active (null for a chat without messages). */
export function chatTime(chat) {
  const preview = state.previews.get(chat.chatid);
  return parseTime(chat.last_message_at) || (preview && preview.at) || null;
}

/** Most recently active first. */
export function sortChats() {
  state.chats.sort((a, b) => {
    const ta = chatTime(a); const tb = chatTime(b);
    return (tb ? tb.getTime() : 0) - (ta ? ta.getTime() : 0);
  });
}

/** Loads the chats, shows them, then fetches the missing previews and shows them again. */
export async function loadChats() {
  state.chats = listOf(await api('/chats'), 'chats');
  sortChats();
  renderChatList();
  // Previews are not part of the chat list: fetch the newest message of the first chats.
  const missing = state.chats
    .filter((c) => !state.previews.has(c.chatid) && Number(c.message_count || 0) !== 0)
    .slice(0, PREVIEWS_FETCHED);
  await Promise.all(missing.map(async (chat) => {
    try {
      const page = await api(`/messages${query({ chatid: chat.chatid, as_user: state.asUser, limit: 1 })}`);
      const newest = listOf(page, 'messages')[0];
      if (newest) rememberPreview(newest);
    } catch { /* a preview is optional */ }
  }));
  if (missing.length) renderChatList();
}

/** The chats the "view as" user is in (all of them for the admin view). The open chat stays
 *  listed so that the list never loses the highlighted entry. */
export function visibleChats() {
  if (!state.asUser) return state.chats;
  return state.chats.filter((c) => c.chatid === state.chatId
    || memberIds(c).length === 0 || memberIds(c).includes(state.asUser));
}

function chatEntry(chat) {
  const name = chatName(chat);
  const preview = state.previews.get(chat.chatid);
  const unread = Number(chat.unread || 0);
  const members = memberIds(chat).length;
  const active = state.route.name === 'chat' && state.chatId === chat.chatid;
  const kindClass = `kind-${chat.kind}`;
  const sub = preview ? preview.text : `${KIND_LABEL[chat.kind] || ''}${members ? ` · ${members} 人` : ''}`;
  return h('li', {},
    h('a', {
      class: `chat-item ${kindClass}${active ? ' active' : ''}`,
      href: `#/chat/${encodeURIComponent(chat.chatid)}`,
      dataset: { chatid: chat.chatid, kind: chat.kind },
      'aria-current': active ? 'page' : undefined,
    },
    h('span', { class: 'chat-avatar-wrap' },
      avatar(chat.kind === 'blackboard' ? '板' : name, chat.chatid, kindClass),
      unread ? h('span', { class: 'badge unread', 'data-testid': 'unread', text: unread > 99 ? '99+' : String(unread) }) : null),
    h('span', { class: 'chat-text' },
      h('span', { class: 'chat-row' },
        h('span', { class: 'chat-name', text: name }),
        h('span', { class: 'chat-time', text: shortTime(chatTime(chat)) })),
      h('span', { class: 'chat-row' },
        h('span', { class: 'chat-preview', text: sub }),
        chat.kind !== 'group' ? h('span', { class: `kind-tag ${kindClass}`, text: KIND_LABEL[chat.kind] || chat.kind }) : null))));
}

export function renderChatList() {
  const list = $('chat-list');
  const chats = visibleChats().filter((c) => !state.kindFilter || c.kind === state.kindFilter);
  if (!chats.length) {
    list.replaceChildren(h('li', { class: 'chat-list-empty', text: state.chats.length ? '没有这类会话' : '还没有会话' }));
    return;
  }
  list.replaceChildren(...chats.map(chatEntry));
}
