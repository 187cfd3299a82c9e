// The inbox's shared state (one object that the views read and the loaders fill), the labels
// of chat kinds and message types, and the lookups over the loaded users and chats.

/** Messages per page of a chat's timeline. */
export const PAGE_SIZE = 50;
/** Where the "view as" user is remembered across reloads. */
export const VIEW_AS_KEY = 'hookpit.viewAs';
/** Where "load remote pictures automatically" is remembered ('on'; absent: off, the default). */
export const REMOTE_IMAGES_KEY = 'hookpit.remoteImages';

export const KIND_LABEL = { group: '群聊', blackboard: '小黑板', single: '单聊' };
export const TYPE_LABEL = {
  text: '文本', markdown: 'Markdown', markdown_v2: 'Markdown v2', image: '图片', news: '图文',
  file: '文件', voice: '语音', miniprogram: '小程序', template_card: '模板卡片',
};

export const state = {
  chats: [], // most recently active first
  users: [],
  bots: [],
  kindFilter: '', // the chat list's tab: '' or a chat kind
  chatId: null, // the open chat
  chat: null,
  posts: [], // of the open chat, when a blackboard
  messages: [], // of the open chat, oldest first
  nextCursor: null, // `before` of the next older page, null on the last
  asUser: localStorage.getItem(VIEW_AS_KEY) || '', // "view as" userid; '' for the admin view
  remoteImages: localStorage.getItem(REMOTE_IMAGES_KEY) === 'on', // load other hosts' pictures at once
  q: '', // search text of the open chat
  detailId: null, // the message shown in the detail pane
  previews: new Map(), // chatid -> {text, at}: the chat list's last line
  route: { name: 'home' },
};

/** The loaded chat with this id, if any. */
export function findChat(chatId) {
  return state.chats.find((c) => c.chatid === chatId);
}

/** A user's name, or the userid of a user not (or no longer) known. */
export function userName(userid) {
  const user = state.users.find((u) => u.userid === userid);
  return user && user.name ? user.name : userid;
}

/** The userids of a chat's members (none for a missing chat). */
export function memberIds(chat) {
  return chat && Array.isArray(chat.members) ? chat.members : [];
}

/** A chat's name; a single chat without one is named after its user. */
export function chatName(chat) {
  if (!chat) return '';
  if (chat.name) return chat.name;
  if (chat.kind === 'single') {
    const other = memberIds(chat)[0];
    if (other) return userName(other);
  }
  return chat.chatid;
}

/** `{id, name}` of a message's bot. */
export function botOf(message) {
  return message.bot || {};
}
