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
  file: '文件', voice: '语音', miniprogram: '小程序', template_card: '模板卡片', mixed: '图文混排',
};
/** What a callback is about (its `event`), as the callback log names it. */
export const EVENT_LABEL = {
  text: '文本消息', image: '图片消息', mixed: '图文混排消息', attachment: '点击按钮',
  enter_chat: '进入单聊', add_to_chat: '加入群聊', delete_from_chat: '移出群聊',
};
/** A callback's `status`. */
export const STATUS_LABEL = { pending: '等待投递', delivered: '已送达', failed: '失败' };

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
  loading: false, // the open chat's first page is on its way (live messages wait for it)
  arrived: [], // live messages of the open chat that came while it was loading
  replyTo: null, // post_id the composer replies to (a blackboard), null for a new post
  asUser: localStorage.getItem(VIEW_AS_KEY) || '', // "view as" userid; '' for the admin view
  // (the person who writes, clicks buttons and opens single chats)
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

/** `{id, name}` of a message's bot (empty for a person's message). */
export function botOf(message) {
  return message.bot || {};
}

/** Who wrote a message: `{kind: 'bot', id, name}` or `{kind: 'user', userid, name}`. Items from
 *  before people could write carry only `bot`. */
export function authorOf(message) {
  if (message.from && message.from.kind) return message.from;
  const bot = botOf(message);
  return { kind: 'bot', id: bot.id, name: bot.name };
}

/** The name shown for a message's sender. */
export function senderName(message) {
  const author = authorOf(message);
  if (author.kind === 'user') return author.name || userName(author.userid);
  return author.name || author.id || '机器人';
}

/** The bots of a chat, as `GET /bots` lists them (an unknown id as a bot named by its id). */
export function chatBots(chat) {
  const ids = chat && Array.isArray(chat.bots) ? chat.bots : [];
  return ids.map((id) => state.bots.find((b) => b.id === id) || { id, name: id });
}

/** The bot's name, or its id while it is not (yet) loaded. */
export function botName(botId) {
  const bot = state.bots.find((b) => b.id === botId);
  return bot && bot.name ? bot.name : botId;
}

/** Why the "view as" user cannot act in `chat` (write, click): null when they can. */
export function cannotAct(chat) {
  if (!state.asUser) return 'no-viewer';
  if (!chat) return 'no-chat';
  return memberIds(chat).includes(state.asUser) ? null : 'not-member';
}
